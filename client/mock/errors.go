package mock

import (
	"errors"
	"net/http"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/kiraapi/kira/gen/apitypes"
	"github.com/kiraapi/kira/openapi"
)

// The errors that outrank field errors, most specific first, as the real API reports them.
var (
	errTooLarge     = apitypes.Error{Code: "payload_too_large", Message: "The request body must not exceed 1 MiB."}
	errMediaType    = apitypes.Error{Code: "unsupported_media_type", Message: "The request body must be application/json."}
	errUnauthorized = apitypes.Error{Code: "unauthorized", Message: "Send both Authorization: Bearer <token> and x-api-key."}
	errInvalidJSON  = apitypes.Error{Code: "invalid_json", Message: "The request body is not valid JSON."}
)

var statusOf = map[string]int{
	errTooLarge.Code:     http.StatusRequestEntityTooLarge,
	errMediaType.Code:    http.StatusUnsupportedMediaType,
	errUnauthorized.Code: http.StatusUnauthorized,
	errInvalidJSON.Code:  http.StatusBadRequest,
}

// fromValidation turns the validator's errors into one answer: an oversized body, then a wrong
// content type, then missing credentials, then malformed JSON; otherwise a validation error that
// lists every offending field from the schema alone.
func fromValidation(err error) (int, apitypes.Error) {
	var me openapi3.MultiError
	if !errors.As(err, &me) {
		me = openapi3.MultiError{err}
	}
	var fields []apitypes.FieldError
	var worst *apitypes.Error
	rank := map[string]int{errTooLarge.Code: 4, errMediaType.Code: 3, errUnauthorized.Code: 2, errInvalidJSON.Code: 1}
	consider := func(e apitypes.Error) {
		if worst == nil || rank[e.Code] > rank[worst.Code] {
			worst = &e
		}
	}
	for _, err := range flatten(me) {
		var reqErr *openapi3filter.RequestError
		var secErr *openapi3filter.SecurityRequirementsError
		var schemaErr *openapi3.SchemaError
		var tooLarge *http.MaxBytesError
		switch {
		case errors.As(err, &tooLarge):
			consider(errTooLarge)
		case errors.As(err, &secErr):
			consider(errUnauthorized)
		case errors.As(err, &reqErr) && reqErr.Parameter != nil:
			fields = append(fields, apitypes.FieldError{Field: reqErr.Parameter.Name, Message: parameterMessage(reqErr)})
		case errors.As(err, &reqErr) && strings.HasPrefix(reqErr.Reason, "header Content-Type has unexpected value"):
			consider(errMediaType)
		case errors.As(err, &schemaErr):
			for _, p := range openapi.DescribeSchemaError(schemaErr) {
				fields = append(fields, apitypes.FieldError{Field: p.Field, Message: p.Message})
			}
		case errors.As(err, &reqErr) && errors.Is(err, openapi3filter.ErrInvalidRequired):
			fields = append(fields, apitypes.FieldError{Field: "body", Message: "is required"})
		case errors.As(err, &reqErr) && reqErr.RequestBody != nil:
			consider(errInvalidJSON)
		default:
			fields = append(fields, apitypes.FieldError{Field: "request", Message: "is invalid"})
		}
	}
	if worst != nil {
		return statusOf[worst.Code], *worst
	}
	sort.SliceStable(fields, func(i, j int) bool { return fields[i].Field < fields[j].Field })
	fields = dedupe(fields)
	return http.StatusBadRequest, apitypes.Error{Code: "validation_error", Message: "The request is invalid.", Errors: &fields}
}

// flatten unwraps nested multi-errors, including a body's list of schema errors, into a flat list.
// A parameter's errors stay inside their RequestError, which names the parameter.
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

func dedupe(fields []apitypes.FieldError) []apitypes.FieldError {
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
		return openapi.SchemaMessage(schemaErr)
	default:
		return "has an invalid value"
	}
}
