package httpapi

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/labstack/echo/v4"

	"github.com/kiraapi/kira/server/kyc"
)

// jsonLimits bound the shape of a request body before it is validated, so that the validator's
// work and its list of errors stay small whatever the body: no array longer than MaxItems and no
// object with more than MaxMembers members. They are the largest the spec allows anywhere.
type jsonLimits struct {
	MaxItems   int
	MaxMembers int
}

// limitsOf finds the largest maxItems and the largest object (maxProperties, or the number of
// declared properties) among the spec's request bodies. An array without maxItems, or a free-form
// object without maxProperties, makes the spec invalid for this server.
func limitsOf(spec *openapi3.T) (jsonLimits, error) {
	var l jsonLimits
	seen := map[*openapi3.Schema]bool{}
	var walk func(path string, s *openapi3.Schema) error
	walk = func(path string, s *openapi3.Schema) error {
		if s == nil || seen[s] {
			return nil
		}
		seen[s] = true
		switch {
		case s.Type.Is(openapi3.TypeArray) && s.MaxItems == nil:
			return fmt.Errorf("request schema %s: an array without maxItems", path)
		case s.Type.Is(openapi3.TypeArray):
			l.MaxItems = max(l.MaxItems, int(*s.MaxItems))
		case s.MaxProps != nil:
			l.MaxMembers = max(l.MaxMembers, int(*s.MaxProps))
		case s.Type.Is(openapi3.TypeObject) && s.AdditionalProperties.Has != nil && !*s.AdditionalProperties.Has:
			l.MaxMembers = max(l.MaxMembers, len(s.Properties))
		case s.Type.Is(openapi3.TypeObject):
			return fmt.Errorf("request schema %s: an object without maxProperties", path)
		}
		var subs []*openapi3.SchemaRef
		for _, p := range s.Properties {
			subs = append(subs, p)
		}
		subs = append(subs, s.Items, s.AdditionalProperties.Schema)
		subs = append(append(append(subs, s.AllOf...), s.OneOf...), s.AnyOf...)
		for _, sub := range subs {
			if sub != nil {
				if err := walk(path, sub.Value); err != nil {
					return err
				}
			}
		}
		return nil
	}
	for p, item := range spec.Paths.Map() {
		for m, op := range item.Operations() {
			if op.RequestBody == nil {
				continue
			}
			for _, mt := range op.RequestBody.Value.Content {
				if err := walk(m+" "+p, mt.Schema.Value); err != nil {
					return jsonLimits{}, err
				}
			}
		}
	}
	return l, nil
}

// screenBody reads a JSON request body as text, before anything decodes it, and refuses what a
// decoder would silently change or what storage cannot hold: a member given twice (parsers
// disagree on which one counts), text that is not UTF-8 or has a lone surrogate (decoders turn it
// into U+FFFD), a NUL character (PostgreSQL cannot store it), and arrays or objects larger than
// the spec allows anywhere. Each problem names its field. Bodies that are not JSON at all are left
// to the validator.
func screenBody(limits jsonLimits) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			// ContentLength 0 is no body (a body of unknown length is -1): nothing to screen.
			if req.Body == nil || req.ContentLength == 0 {
				return next(c)
			}
			if mt, _, _ := mime.ParseMediaType(req.Header.Get(echo.HeaderContentType)); mt != echo.MIMEApplicationJSON && !strings.HasSuffix(mt, "+json") {
				return next(c)
			}
			raw, err := io.ReadAll(req.Body)
			if err != nil {
				return err // the body limit's 413, or the client went away
			}
			req.Body = io.NopCloser(bytes.NewReader(raw))
			if fields := screenJSON(raw, limits); len(fields) > 0 {
				return &kyc.Error{Code: kyc.EInvalid, Message: "The request is invalid.", Fields: fields}
			}
			return next(c)
		}
	}
}

// screenJSON returns the problems screenBody refuses, at most maxFieldErrors of them.
func screenJSON(raw []byte, limits jsonLimits) []kyc.FieldError {
	var out []kyc.FieldError
	dec := jsontext.NewDecoder(bytes.NewReader(raw)) // refuses duplicate names and invalid UTF-8
	for len(out) < maxFieldErrors {
		tok, err := dec.ReadToken()
		if err != nil {
			var se *jsontext.SyntacticError
			if errors.As(err, &se) {
				if msg := syntaxMessage(se); msg != "" {
					out = append(out, kyc.FieldError{Field: fieldOf(se.JSONPointer), Message: msg})
				}
			}
			return out // io.EOF at the end; other syntax errors are the validator's to report
		}
		switch tok.Kind() {
		case '"':
			if strings.IndexByte(tok.String(), 0) >= 0 {
				out = append(out, kyc.FieldError{Field: fieldOf(dec.StackPointer()), Message: "must not contain NUL characters"})
			}
		}
		kind, n := dec.StackIndex(dec.StackDepth())
		switch {
		case kind == '[' && n > int64(limits.MaxItems):
			return append(out, kyc.FieldError{Field: fieldOf(dec.StackPointer().Parent()), Message: fmt.Sprintf("must have at most %d items", limits.MaxItems)})
		case kind == '{' && n > 2*int64(limits.MaxMembers):
			return append(out, kyc.FieldError{Field: fieldOf(dec.StackPointer().Parent()), Message: fmt.Sprintf("must have at most %d members", limits.MaxMembers)})
		}
	}
	return out
}

// syntaxMessage says what is wrong for the syntax errors screenJSON reports, "" for the others.
func syntaxMessage(se *jsontext.SyntacticError) string {
	msg := se.Err.Error()
	switch {
	case errors.Is(se.Err, jsontext.ErrDuplicateName):
		return "is given more than once"
	case strings.Contains(msg, "UTF-8"), strings.Contains(msg, "surrogate"):
		return "must be valid UTF-8 text without lone surrogates"
	}
	return ""
}

// fieldOf turns a JSON pointer into the error schema's field name: associated_persons/0/email,
// or body for the whole body.
func fieldOf(p jsontext.Pointer) string {
	var parts []string
	for tok := range p.Tokens() {
		parts = append(parts, tok)
	}
	if len(parts) == 0 {
		return "body"
	}
	return strings.Join(parts, "/")
}
