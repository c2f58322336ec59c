package httpapi

import (
	"bufio"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/labstack/echo/v4"

	"github.com/kiraapi/kira/server/kyc"
)

// operations indexes the spec's operations by method and Echo route pattern ("GET
// /v1/users/:userId"), each with its parameters (the path item's and its own).
type operations map[string]*operation

// parameterNames are the names of every parameter of every operation.
func (ops operations) parameterNames() map[string]bool {
	names := map[string]bool{}
	for _, op := range ops {
		for _, name := range op.names {
			names[name] = true
		}
	}
	return names
}

// of returns the operation of the request's route (its method and Echo pattern), if the spec has
// one.
func (ops operations) of(c echo.Context) (*operation, bool) {
	op, ok := ops[c.Request().Method+" "+c.Path()]
	return op, ok
}

// takes reports whether the operation at method and route (an Echo pattern) declares the header
// parameter name (canonical).
func (ops operations) takes(method, route, header string) bool {
	op, ok := ops[method+" "+route]
	return ok && slices.Contains(op.headers, header)
}

type operation struct {
	id      string          // the spec's operationId
	query   map[string]bool // query parameter name -> whether it may repeat (an array)
	headers []string        // header parameters, canonical names
	body    bool            // whether the operation takes a body
	names   []string        // every parameter's name, as the spec spells it
	public  bool            // whether the spec makes it public (security: []): no credentials
}

func newOperations(spec *openapi3.T) operations {
	ops := operations{}
	for path, item := range spec.Paths.Map() {
		route := strings.NewReplacer("{", ":", "}", "").Replace(path)
		for method, op := range item.Operations() {
			o := &operation{id: op.OperationID, query: map[string]bool{}, body: op.RequestBody != nil,
				public: op.Security != nil && len(*op.Security) == 0}
			for _, p := range append(item.Parameters, op.Parameters...) {
				o.names = append(o.names, p.Value.Name)
				switch p.Value.In {
				case openapi3.ParameterInQuery:
					o.query[p.Value.Name] = p.Value.Schema != nil && p.Value.Schema.Value.Type.Is(openapi3.TypeArray)
				case openapi3.ParameterInHeader:
					o.headers = append(o.headers, http.CanonicalHeaderKey(p.Value.Name))
				}
			}
			ops[method+" "+route] = o
		}
	}
	return ops
}

// checkParameters refuses what the validator lets through silently: query parameters the
// operation does not declare, a single-valued parameter given more than once (which one would
// count?), a query string that does not parse, and a body sent to an operation that takes none.
// Each offending parameter is named.
func checkParameters(ops operations) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			op, ok := ops.of(c)
			if !ok {
				return next(c) // not an operation of the spec: the validator answers
			}
			if fields := op.problems(c.Request()); len(fields) > 0 {
				return &kyc.Error{Code: kyc.EInvalid, Message: "The request is invalid.", Fields: fields}
			}
			return next(c)
		}
	}
}

func (op *operation) problems(r *http.Request) []kyc.FieldError {
	var out []kyc.FieldError
	query, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		out = append(out, kyc.FieldError{Field: "query", Message: "is not a valid query string"})
	}
	names := make([]string, 0, len(query))
	for name := range query {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		repeatable, known := op.query[name]
		switch {
		case !known:
			out = append(out, kyc.FieldError{Field: name, Message: "is not a known parameter"})
		case !repeatable && len(query[name]) > 1:
			out = append(out, kyc.FieldError{Field: name, Message: "must be given once"})
		}
	}
	for _, name := range op.headers {
		if len(r.Header.Values(name)) > 1 {
			out = append(out, kyc.FieldError{Field: name, Message: "must be given once"})
		}
	}
	if !op.body && hasBody(r) {
		out = append(out, kyc.FieldError{Field: "body", Message: "must be empty: this operation takes no body"})
	}
	return out
}

// hasBody reports whether the request carries at least one byte of body; a chunked body of
// unknown length is peeked at, and left as it was.
func hasBody(r *http.Request) bool {
	if r.ContentLength > 0 {
		return true
	}
	if r.ContentLength == 0 || r.Body == nil || r.Body == http.NoBody {
		return false
	}
	br := bufio.NewReaderSize(r.Body, 16)
	_, err := br.Peek(1)
	r.Body = struct {
		io.Reader
		io.Closer
	}{br, r.Body}
	return err == nil
}

// binderParameter finds the parameter named in an error of the generated parameter binding,
// which runs after the checks above and rarely fails; only a name the spec declares is taken,
// so the client's input is never repeated.
var binderParameter = regexp.MustCompile(`(?:parameter|value for) ([A-Za-z0-9_-]+)`)

// binderError turns an error of the generated binding into a validation error naming the
// parameter; ok is false for any other error.
func binderError(err *echo.HTTPError, declared map[string]bool) (*kyc.Error, bool) {
	msg, _ := err.Message.(string)
	if err.Code != http.StatusBadRequest {
		return nil, false
	}
	m := binderParameter.FindStringSubmatch(msg)
	if m == nil || !declared[m[1]] {
		return nil, false
	}
	return &kyc.Error{Code: kyc.EInvalid, Message: "The request is invalid.", Fields: []kyc.FieldError{{Field: m[1], Message: "has an invalid value"}}}, true
}
