package openapi

import (
	"errors"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
)

// Problem is what a request that failed validation against the document did wrong, the most
// specific kind first.
type Problem int

// The kinds of problem, from the least to the most specific.
const (
	// ProblemFields: the fields (parameters, headers, body properties) in the list are invalid.
	ProblemFields Problem = iota
	// ProblemInvalidJSON: the body is not JSON.
	ProblemInvalidJSON
	// ProblemUnauthorized: the credentials the document requires are missing.
	ProblemUnauthorized
	// ProblemMediaType: the body is not of a media type the operation takes.
	ProblemMediaType
	// ProblemTooLarge: the body is over the size limit (tooLarge recognises the error).
	ProblemTooLarge
)

// DescribeRequestError explains the error of openapi3filter.ValidateRequest: the most specific
// problem and, for ProblemFields, each offending field sorted by name, in words that never repeat
// a submitted value. tooLarge recognises the error of a body-size limit.
func DescribeRequestError(err error, tooLarge func(error) bool) (Problem, []FieldProblem) {
	var me openapi3.MultiError
	if !errors.As(err, &me) {
		me = openapi3.MultiError{err}
	}
	worst := ProblemFields
	var fields []FieldProblem
	for _, err := range flatten(me) {
		var reqErr *openapi3filter.RequestError
		var secErr *openapi3filter.SecurityRequirementsError
		var schemaErr *openapi3.SchemaError
		switch {
		case tooLarge(err):
			worst = max(worst, ProblemTooLarge)
		case errors.As(err, &secErr):
			worst = max(worst, ProblemUnauthorized)
		case errors.As(err, &reqErr) && reqErr.Parameter != nil:
			fields = append(fields, FieldProblem{Field: reqErr.Parameter.Name, Message: parameterMessage(reqErr)})
		case errors.As(err, &reqErr) && strings.HasPrefix(reqErr.Reason, "header Content-Type has unexpected value"):
			worst = max(worst, ProblemMediaType)
		case errors.As(err, &schemaErr):
			fields = append(fields, DescribeSchemaError(schemaErr)...)
		case errors.As(err, &reqErr) && errors.Is(err, openapi3filter.ErrInvalidRequired):
			fields = append(fields, FieldProblem{Field: "body", Message: "is required"})
		case errors.As(err, &reqErr) && reqErr.RequestBody != nil:
			worst = max(worst, ProblemInvalidJSON)
		default:
			fields = append(fields, FieldProblem{Field: "request", Message: "is invalid"})
		}
	}
	if worst != ProblemFields {
		return worst, nil
	}
	sort.SliceStable(fields, func(i, j int) bool { return fields[i].Field < fields[j].Field })
	return ProblemFields, dedupe(fields)
}

// flatten unwraps nested multi-errors, including the body's list of schema errors, into a flat
// list. A parameter's errors stay inside their RequestError, which names the parameter.
func flatten(me openapi3.MultiError) []error {
	var out []error
	for _, err := range me {
		var inner openapi3.MultiError
		reqErr, isReqErr := err.(*openapi3filter.RequestError)
		switch {
		case isReqErr && reqErr.Parameter == nil && errors.As(reqErr.Err, &inner):
			out = append(out, flatten(inner)...)
		case !isReqErr && errors.As(err, &inner):
			out = append(out, flatten(inner)...)
		default:
			out = append(out, err)
		}
	}
	return out
}

func dedupe(fields []FieldProblem) []FieldProblem {
	out := fields[:0]
	for i, f := range fields {
		if i > 0 && f == fields[i-1] {
			continue
		}
		out = append(out, f)
	}
	return out
}

func parameterMessage(reqErr *openapi3filter.RequestError) string {
	var schemaErr *openapi3.SchemaError
	switch {
	case errors.Is(reqErr, openapi3filter.ErrInvalidRequired):
		return "is required"
	case errors.As(reqErr, &schemaErr):
		return SchemaMessage(schemaErr)
	default:
		return "has an invalid value"
	}
}
