package httpapi

import (
	"context"
	"errors"
	"net/http"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/labstack/echo/v4"
	echomiddleware "github.com/oapi-codegen/echo-middleware"

	"github.com/kiraapi/kira/openapi"
	"github.com/kiraapi/kira/server/kyc"
)

// validator returns the middleware that checks every request against the spec before it reaches a
// handler. Violations become one validation error that lists every offending field and never
// repeats a submitted value. Credentials are checked by the auth middleware that runs before it,
// so the spec's security requirements only need the headers to be present here.
func validator(spec *openapi3.T, skipper func(echo.Context) bool) echo.MiddlewareFunc {
	spec.Servers = nil // match on paths only, whatever host the API is served on
	return echomiddleware.OapiRequestValidatorWithOptions(spec, &echomiddleware.Options{
		Skipper: skipper,
		Options: openapi3filter.Options{
			MultiError:              true,
			AuthenticationFunc:      func(context.Context, *openapi3filter.AuthenticationInput) error { return nil },
			SchemaValidationOptions: append(openapi.ValidationOptions(), openapi3.DisableSchemaErrorDetails()),
		},
		MultiErrorHandler: func(me openapi3.MultiError) *echo.HTTPError {
			return &echo.HTTPError{Code: http.StatusBadRequest, Message: "invalid request", Internal: fromValidation(me)}
		},
		ErrorHandler: func(_ echo.Context, herr *echo.HTTPError) error {
			var kerr *kyc.Error
			switch {
			case herr.Internal == nil:
				return herr // unknown route or method: Echo's status says it all
			case errors.As(herr.Internal, &kerr):
				return kerr
			}
			var me openapi3.MultiError
			if errors.As(herr.Internal, &me) {
				return fromValidation(me)
			}
			return fromValidation(openapi3.MultiError{herr.Internal})
		},
	})
}

// fromValidation turns the validator's errors into one domain error. The most specific problem
// wins: an oversized body, then a wrong content type, then missing credentials, then malformed
// JSON; otherwise every field error is reported.
func fromValidation(me openapi3.MultiError) *kyc.Error {
	var fields []kyc.FieldError
	var worst *kyc.Error
	rank := map[string]int{kyc.ETooLarge: 4, kyc.EUnsupportedMedia: 3, kyc.EUnauthorized: 2, kyc.EInvalidJSON: 1}
	consider := func(e *kyc.Error) {
		if worst == nil || rank[e.Code] > rank[worst.Code] {
			worst = e
		}
	}
	for _, err := range flatten(me) {
		var reqErr *openapi3filter.RequestError
		var secErr *openapi3filter.SecurityRequirementsError
		var schemaErr *openapi3.SchemaError
		switch {
		case errors.Is(err, echo.ErrStatusRequestEntityTooLarge):
			consider(errorByStatus[http.StatusRequestEntityTooLarge])
		case errors.As(err, &secErr):
			consider(&kyc.Error{Code: kyc.EUnauthorized, Message: "Send both Authorization: Bearer <token> and x-api-key."})
		case errors.As(err, &reqErr) && reqErr.Parameter != nil:
			fields = append(fields, kyc.FieldError{Field: reqErr.Parameter.Name, Message: parameterMessage(reqErr)})
		case errors.As(err, &reqErr) && strings.HasPrefix(reqErr.Reason, "header Content-Type has unexpected value"):
			consider(errorByStatus[http.StatusUnsupportedMediaType])
		case errors.As(err, &schemaErr):
			for _, p := range openapi.DescribeSchemaError(schemaErr) {
				fields = append(fields, kyc.FieldError{Field: p.Field, Message: p.Message})
			}
		case errors.As(err, &reqErr) && errors.Is(err, openapi3filter.ErrInvalidRequired):
			fields = append(fields, kyc.FieldError{Field: "body", Message: "is required"})
		case errors.As(err, &reqErr) && reqErr.RequestBody != nil:
			consider(&kyc.Error{Code: kyc.EInvalidJSON, Message: "The request body is not valid JSON."})
		default:
			fields = append(fields, kyc.FieldError{Field: "request", Message: "is invalid"})
		}
	}
	if worst != nil {
		return worst
	}
	sort.SliceStable(fields, func(i, j int) bool { return fields[i].Field < fields[j].Field })
	return &kyc.Error{Code: kyc.EInvalid, Message: "The request is invalid.", Fields: dedupe(fields)}
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

func dedupe(fields []kyc.FieldError) []kyc.FieldError {
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
