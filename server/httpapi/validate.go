package httpapi

import (
	"context"
	"errors"
	"fmt"
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
			fields = append(fields, schemaFieldErrors(schemaErr)...)
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
		return schemaMessage(schemaErr)
	default:
		return "has an invalid value"
	}
}

// schemaFieldErrors names the field of a body schema error. An unknown property is reported under
// its own name, so that `"status": "VERIFIED"` in a request says `status` is read-only.
func schemaFieldErrors(e *openapi3.SchemaError) []kyc.FieldError {
	path := strings.Join(e.JSONPointer(), "/")
	if e.SchemaField == "additionalProperties" || strings.HasSuffix(e.Reason, " is unsupported") {
		obj, _ := e.Value.(map[string]any)
		var out []kyc.FieldError
		for name := range obj {
			if _, known := e.Schema.Properties[name]; known {
				continue
			}
			msg := "is not a known field"
			if name == "status" || name == "id" || name == "created_at" || name == "updated_at" {
				msg = "is read-only and cannot be set"
			}
			out = append(out, kyc.FieldError{Field: joinPath(path, name), Message: msg})
		}
		if len(out) > 0 {
			return out
		}
	}
	if path == "" {
		path = "body"
	}
	return []kyc.FieldError{{Field: path, Message: schemaMessage(e)}}
}

func joinPath(base, name string) string {
	if base == "" {
		return name
	}
	return base + "/" + name
}

// schemaMessage describes a schema violation from the schema alone, never from the value.
func schemaMessage(e *openapi3.SchemaError) string {
	s := e.Schema
	if s == nil {
		return "is invalid"
	}
	switch e.SchemaField {
	case "required":
		return "is required"
	case "type", "nullable":
		if s.Type != nil && len(*s.Type) > 0 {
			return "must be of type " + (*s.Type)[0]
		}
		return "has the wrong type"
	case "enum":
		if len(s.Enum) <= 12 {
			vals := make([]string, len(s.Enum))
			for i, v := range s.Enum {
				vals[i] = fmt.Sprint(v)
			}
			return "must be one of: " + strings.Join(vals, ", ")
		}
		return "is not an allowed value"
	case "format":
		return formatMessage(s.Format)
	case "pattern":
		if s.Format != "" {
			return formatMessage(s.Format)
		}
		return "has an invalid format"
	case "minLength":
		return fmt.Sprintf("must be at least %d characters long", s.MinLength)
	case "maxLength":
		if s.MaxLength != nil {
			return fmt.Sprintf("must be at most %d characters long", *s.MaxLength)
		}
	case "minimum":
		if s.Min != nil {
			return fmt.Sprintf("must be at least %v", *s.Min)
		}
	case "maximum":
		if s.Max != nil {
			return fmt.Sprintf("must be at most %v", *s.Max)
		}
	case "minItems":
		return fmt.Sprintf("must have at least %d items", s.MinItems)
	case "maxItems":
		if s.MaxItems != nil {
			return fmt.Sprintf("must have at most %d items", *s.MaxItems)
		}
	case "uniqueItems":
		return "must not contain duplicates"
	case "maxProperties":
		if s.MaxProps != nil {
			return fmt.Sprintf("must have at most %d entries", *s.MaxProps)
		}
	case "readOnly":
		return "is read-only and cannot be set"
	}
	return "is invalid"
}

func formatMessage(format string) string {
	switch format {
	case "date":
		return "must be a date in the form YYYY-MM-DD"
	case "date-time":
		return "must be an RFC 3339 timestamp"
	case "email":
		return "must be a valid email address"
	case "uuid":
		return "must be a UUID"
	case "uri":
		return "must be an absolute URL"
	case "":
		return "has an invalid format"
	default:
		return "must be a valid " + format
	}
}
