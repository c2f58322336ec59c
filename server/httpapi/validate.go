package httpapi

import (
	"context"
	"errors"
	"net/http"

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
	// Match on paths only, whatever host the API is served on, without changing the shared spec
	// (which /openapi.json serves with its servers).
	routed := *spec
	routed.Servers = nil
	return echomiddleware.OapiRequestValidatorWithOptions(&routed, &echomiddleware.Options{
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

// fromValidation turns the validator's errors into one domain error: an oversized body, a wrong
// content type, missing credentials or malformed JSON, or else every field error.
func fromValidation(me openapi3.MultiError) *kyc.Error {
	tooLarge := func(err error) bool { return errors.Is(err, echo.ErrStatusRequestEntityTooLarge) }
	problem, fields := openapi.DescribeRequestError(me, tooLarge)
	switch problem {
	case openapi.ProblemTooLarge:
		return errorByStatus[http.StatusRequestEntityTooLarge]
	case openapi.ProblemMediaType:
		return errorByStatus[http.StatusUnsupportedMediaType]
	case openapi.ProblemUnauthorized:
		return errNoCredentials
	case openapi.ProblemInvalidJSON:
		return &kyc.Error{Code: codeInvalidJSON, Message: "The request body is not valid JSON."}
	}
	out := make([]kyc.FieldError, len(fields))
	for i, f := range fields {
		out[i] = kyc.FieldError{Field: f.Field, Message: f.Message}
	}
	return &kyc.Error{Code: kyc.EInvalid, Message: "The request is invalid.", Fields: out}
}
