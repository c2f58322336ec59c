// Package mock serves the Kira API from its OpenAPI document alone, with no database: the stub
// server a front-end team runs before the real handlers exist (`kira mock`).
//
// Each request is validated against the spec like the real API validates it: credentials must be
// present (any value is accepted), parameters and bodies must match their schemas. A valid request
// is answered with the example of its operation's first 2xx response (the media type's example,
// or the first of its examples). A violation is answered in the spec's Error schema, with one
// entry per offending field that never repeats the submitted value; unknown routes get 404 and
// wrong methods 405, in the same shape. Browsers may call it from any origin (CORS).
package mock

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/google/uuid"

	"github.com/kiraapi/kira/gen/apitypes"
	"github.com/kiraapi/kira/openapi"
)

// MaxBodyBytes is the largest request body accepted, as by the real API.
const MaxBodyBytes = 1 << 20

// answer is what an operation responds with.
type answer struct {
	status      int
	body        []byte // nil for no content
	contentType string
}

// Server answers the spec's operations from their examples. It is safe for concurrent use.
type Server struct {
	router  routers.Router
	answers map[*openapi3.Operation]answer
	options *openapi3filter.Options
}

// New loads the embedded spec and prepares every operation's answer.
func New() (*Server, error) {
	loader := openapi3.NewLoader()
	loader.IncludeOrigin = true // to take the examples in the order they are written
	doc, err := loader.LoadFromData(openapi.YAML())
	if err != nil {
		return nil, fmt.Errorf("mock: load spec: %w", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		return nil, fmt.Errorf("mock: validate spec: %w", err)
	}
	doc.Servers = nil // match on paths only, whatever address the mock listens on
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("mock: route spec: %w", err)
	}
	s := &Server{
		router:  router,
		answers: map[*openapi3.Operation]answer{},
		options: &openapi3filter.Options{
			MultiError:              true,
			AuthenticationFunc:      credentialsPresent,
			SchemaValidationOptions: append(openapi.ValidationOptions(), openapi3.DisableSchemaErrorDetails()),
		},
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			a, err := exampleAnswer(op)
			if err != nil {
				return nil, fmt.Errorf("mock: %s %s: %w", method, path, err)
			}
			s.answers[op] = a
		}
	}
	return s, nil
}

// Operations is how many operations the server answers.
func (s *Server) Operations() int { return len(s.answers) }

// exampleAnswer finds the example of the operation's first 2xx response.
func exampleAnswer(op *openapi3.Operation) (answer, error) {
	var codes []int
	for code := range op.Responses.Map() {
		if n, err := strconv.Atoi(code); err == nil && n >= 200 && n < 300 {
			codes = append(codes, n)
		}
	}
	if len(codes) == 0 {
		return answer{}, errors.New("no 2xx response")
	}
	status := slices.Min(codes)
	resp := op.Responses.Status(status).Value
	if len(resp.Content) == 0 {
		return answer{status: status}, nil
	}
	mt := resp.Content.Get("application/json")
	if mt == nil {
		return fileAnswer(status, resp.Content)
	}
	value := mt.Example
	if value == nil {
		value = firstExample(mt.Examples)
	}
	if value == nil {
		return answer{}, fmt.Errorf("%d: no example", status)
	}
	body, err := json.Marshal(value)
	if err != nil {
		return answer{}, fmt.Errorf("%d: encode example: %w", status, err)
	}
	return answer{status: status, body: body, contentType: "application/json"}, nil
}

// fileAnswer answers with the example of the first media type (by name) of a response that is not
// JSON (a file), as its bytes.
func fileAnswer(status int, content openapi3.Content) (answer, error) {
	types := slices.Sorted(maps.Keys(content))
	example, ok := content[types[0]].Example.(string)
	if !ok {
		return answer{}, fmt.Errorf("%d: no example of %s", status, types[0])
	}
	return answer{status: status, body: []byte(example), contentType: types[0]}, nil
}

// firstExample is the value of the example written first (by name when positions are unknown).
func firstExample(examples openapi3.Examples) any {
	names := make([]string, 0, len(examples))
	for name, ex := range examples {
		if ex != nil && ex.Value != nil {
			names = append(names, name)
		}
	}
	line := func(name string) int {
		if o := examples[name].Origin; o != nil && o.Key != nil {
			return o.Key.Line
		}
		return 0
	}
	sort.Slice(names, func(i, j int) bool {
		return cmp.Or(cmp.Compare(line(names[i]), line(names[j])), strings.Compare(names[i], names[j])) < 0
	})
	if len(names) == 0 {
		return nil
	}
	return examples[names[0]].Value.Value
}

// credentialsPresent accepts any credentials, but they must be there, as the spec requires.
func credentialsPresent(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	req, scheme := in.RequestValidationInput.Request, in.SecurityScheme
	switch {
	case scheme.Type == "http" && strings.EqualFold(scheme.Scheme, "bearer"):
		token, ok := strings.CutPrefix(req.Header.Get("Authorization"), "Bearer ")
		if !ok || strings.TrimSpace(token) == "" {
			return errors.New("no bearer token")
		}
	case scheme.Type == "apiKey" && scheme.In == "header":
		if req.Header.Get(scheme.Name) == "" {
			return fmt.Errorf("no %s header", scheme.Name)
		}
	}
	return nil
}

// ServeHTTP answers one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Request-Id", uuid.NewString())
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Expose-Headers", "X-Request-Id, Idempotent-Replayed, Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset")
	if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
		h.Set("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE")
		h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Idempotency-Key, x-api-key")
		h.Set("Access-Control-Max-Age", "600")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	route, params, err := s.router.FindRoute(r)
	switch {
	case errors.Is(err, routers.ErrMethodNotAllowed):
		writeError(w, http.StatusMethodNotAllowed, apitypes.Error{Code: apitypes.ErrorCodeMethodNotAllowed, Message: "This method is not allowed on this resource."})
		return
	case err != nil:
		writeError(w, http.StatusNotFound, apitypes.Error{Code: apitypes.ErrorCodeNotFound, Message: "No such resource."})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	in := &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route, Options: s.options}
	if err := openapi3filter.ValidateRequest(r.Context(), in); err != nil {
		status, body := fromValidation(err)
		writeError(w, status, body)
		return
	}
	a := s.answers[route.Operation]
	if a.body == nil {
		w.WriteHeader(a.status)
		return
	}
	h.Set("Content-Type", a.contentType)
	w.WriteHeader(a.status)
	_, _ = w.Write(a.body)
}

func writeError(w http.ResponseWriter, status int, e apitypes.Error) {
	e.RequestId = w.Header().Get("X-Request-Id")
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(e)
}
