package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/kiraapi/kira/gen/apiserver"
	"github.com/kiraapi/kira/gen/apitypes"
	"github.com/kiraapi/kira/server/kyc"
)

// The HTTP layer's own error codes: what it refuses before a use case runs, or when none can. The
// domain's codes are kyc's; both are the spec's ErrorCode enum (TestErrorCodesAreTheSpecs).
const (
	codeInvalidJSON      = string(apitypes.ErrorCodeInvalidJson)
	codeMethodNotAllowed = string(apitypes.ErrorCodeMethodNotAllowed)
	codeTooLarge         = string(apitypes.ErrorCodePayloadTooLarge)
	codeHeadersTooLarge  = string(apitypes.ErrorCodeHeadersTooLarge)
	codeUnsupportedMedia = string(apitypes.ErrorCodeUnsupportedMediaType)
	codeRateLimited      = string(apitypes.ErrorCodeRateLimited)
	codeNotImplemented   = string(apitypes.ErrorCodeNotImplemented)
	codeUnavailable      = string(apitypes.ErrorCodeServiceUnavailable)
)

// statusByCode is the one table from domain error codes to HTTP statuses.
var statusByCode = map[string]int{
	kyc.EInvalid:           http.StatusBadRequest,
	codeInvalidJSON:        http.StatusBadRequest,
	kyc.EUnauthorized:      http.StatusUnauthorized,
	kyc.EForbidden:         http.StatusForbidden,
	kyc.ENotFound:          http.StatusNotFound,
	codeMethodNotAllowed:   http.StatusMethodNotAllowed,
	kyc.EConflict:          http.StatusConflict,
	kyc.EIdempotencyInUse:  http.StatusConflict,
	kyc.EIdempotencyReused: http.StatusUnprocessableEntity,
	kyc.EInvalidTransition: http.StatusConflict,
	kyc.EAttemptsExhausted: http.StatusConflict,
	codeTooLarge:           http.StatusRequestEntityTooLarge,
	codeHeadersTooLarge:    http.StatusRequestHeaderFieldsTooLarge,
	codeUnsupportedMedia:   http.StatusUnsupportedMediaType,
	codeRateLimited:        http.StatusTooManyRequests,
	codeNotImplemented:     http.StatusNotImplemented,
	codeUnavailable:        http.StatusServiceUnavailable,
	kyc.EInternal:          http.StatusInternalServerError,
}

// errorByStatus turns Echo's own errors (unknown route, wrong method, body limit, ...) into the
// domain error of the same meaning. Their messages are Echo's and never reach the client.
var errorByStatus = map[int]*kyc.Error{
	http.StatusBadRequest:                   {Code: kyc.EInvalid, Message: "The request is invalid."},
	http.StatusUnauthorized:                 {Code: kyc.EUnauthorized, Message: "Authentication is required."},
	http.StatusNotFound:                     {Code: kyc.ENotFound, Message: "No such resource."},
	http.StatusMethodNotAllowed:             {Code: codeMethodNotAllowed, Message: "This method is not allowed on this resource."},
	http.StatusRequestEntityTooLarge:        {Code: codeTooLarge, Message: "The request body must not exceed 1 MiB."},
	http.StatusUnsupportedMediaType:         {Code: codeUnsupportedMedia, Message: "The request body must be application/json."},
	http.StatusTooManyRequests:              {Code: codeRateLimited, Message: "Too many requests; retry after the time in Retry-After."},
	http.StatusRequestedRangeNotSatisfiable: {Code: kyc.EInvalid, Message: "The requested range is not satisfiable."},
	http.StatusExpectationFailed:            {Code: kyc.EInvalid, Message: "The Expect header can only be 100-continue."},
	http.StatusRequestHeaderFieldsTooLarge:  {Code: codeHeadersTooLarge, Message: fmt.Sprintf("The request line and headers must not exceed %d KiB.", MaxHeaderBytes>>10)},
	http.StatusNotImplemented:               {Code: codeNotImplemented, Message: "This request is not supported."},
}

var (
	errInternal       = &kyc.Error{Code: kyc.EInternal, Message: "Internal error."}
	errNotImplemented = &kyc.Error{Code: codeNotImplemented, Message: "This operation is not implemented yet."}
	errUnavailable    = &kyc.Error{Code: codeUnavailable, Message: "The service cannot reach its database; retry after the time in Retry-After."}
)

// toAPIError finds the domain error that err stands for. An operation without a handler
// (apiserver.ErrNotImplemented) is not_implemented. Errors that are neither domain errors nor
// Echo's own are internal: they are logged, and the client learns nothing about them.
// An error of the generated parameter binding names a parameter of params.
func toAPIError(err error, params map[string]bool) (*kyc.Error, bool) {
	var kerr *kyc.Error
	if errors.As(err, &kerr) {
		return kerr, false
	}
	if errors.Is(err, apiserver.ErrNotImplemented) {
		return errNotImplemented, false
	}
	var herr *echo.HTTPError
	if errors.As(err, &herr) {
		if e, ok := binderError(herr, params); ok {
			return e, false
		}
		if e, ok := errorByStatus[herr.Code]; ok {
			return e, false
		}
	}
	return errInternal, true
}

// errorHandler writes every error, from handlers, middleware and Echo itself, in the one error
// schema. An internal error while ready (the database check) fails is an outage: 503 with
// Retry-After, which clients retry, rather than 500. An error of the generated parameter binding
// names one of params.
func errorHandler(logger *slog.Logger, ready func(context.Context) error, params map[string]bool) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		apiErr, internal := toAPIError(err, params)
		if internal {
			if kyc.InOutage(c.Request().Context(), ready) {
				apiErr = errUnavailable
			}
			logger.ErrorContext(c.Request().Context(), "internal error",
				"request_id", requestID(c), "route", c.Path(), "code", apiErr.Code, "error", err)
		}
		if apiErr.Code == codeUnavailable {
			c.Response().Header().Set("Retry-After", kyc.OutageRetryAfter)
		}
		status, ok := statusByCode[apiErr.Code]
		if !ok {
			status = http.StatusInternalServerError
		}
		body := apitypes.Error{Code: apitypes.ErrorCode(apiErr.Code), Message: apiErr.Message, RequestId: requestID(c)}
		if len(apiErr.Fields) > 0 {
			fields := make([]apitypes.FieldError, min(len(apiErr.Fields), maxFieldErrors))
			for i := range fields {
				fields[i] = apitypes.FieldError{Field: truncate(apiErr.Fields[i].Field, maxFieldName), Message: apiErr.Fields[i].Message}
			}
			body.Errors = &fields
		}
		h := c.Response().Header()
		switch status {
		case http.StatusMethodNotAllowed:
			h.Set(echo.HeaderAllow, allowed(c))
		case http.StatusUnauthorized:
			h.Set(echo.HeaderWWWAuthenticate, challenge(c.Request()))
		}
		werr := c.JSON(status, body)
		if werr != nil {
			logger.WarnContext(c.Request().Context(), "write error response", "request_id", requestID(c), "error", werr)
		}
	}
}

// An error lists at most maxFieldErrors fields (the schema's maxItems), each name cut to
// maxFieldName bytes (its maxLength): a hostile body cannot make the answer grow with it.
const (
	maxFieldErrors = 100
	maxFieldName   = 200
)

// truncate cuts s to at most n bytes, on a UTF-8 boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// allowed is the Allow header of a 405: the methods the router has for the path, with HEAD
// wherever GET is (front answers it), without OPTIONS unless CORS preflights are answered.
func allowed(c echo.Context) string {
	routed, _ := c.Get(echo.ContextKeyHeaderAllow).(string)
	var out []string
	for m := range strings.SplitSeq(routed, ",") {
		switch m = strings.TrimSpace(m); m {
		case "", http.MethodOptions:
		case http.MethodGet:
			out = append(out, http.MethodGet, http.MethodHead)
		default:
			out = append(out, m)
		}
	}
	return strings.Join(out, ", ")
}

// challenge is the WWW-Authenticate header of a 401: POST /auth takes an API key, the rest of the
// API a bearer token with it.
func challenge(r *http.Request) string {
	if r.URL.Path == "/auth" {
		return `ApiKey realm="kira", header="x-api-key"`
	}
	return `Bearer realm="kira"`
}
