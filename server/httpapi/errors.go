package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/kiraapi/kira/gen/apitypes"
	"github.com/kiraapi/kira/server/kyc"
)

// statusByCode is the one table from domain error codes to HTTP statuses.
var statusByCode = map[string]int{
	kyc.EInvalid:           http.StatusBadRequest,
	kyc.EInvalidJSON:       http.StatusBadRequest,
	kyc.EUnauthorized:      http.StatusUnauthorized,
	kyc.ENotFound:          http.StatusNotFound,
	kyc.EMethodNotAllowed:  http.StatusMethodNotAllowed,
	kyc.EConflict:          http.StatusConflict,
	kyc.EIdempotencyInUse:  http.StatusConflict,
	kyc.EIdempotencyReused: http.StatusUnprocessableEntity,
	kyc.EInvalidTransition: http.StatusConflict,
	kyc.EAttemptsExhausted: http.StatusConflict,
	kyc.ETooLarge:          http.StatusRequestEntityTooLarge,
	kyc.EUnsupportedMedia:  http.StatusUnsupportedMediaType,
	kyc.ERateLimited:       http.StatusTooManyRequests,
	kyc.ENotImplemented:    http.StatusNotImplemented,
	kyc.EUnavailable:       http.StatusServiceUnavailable,
	kyc.EInternal:          http.StatusInternalServerError,
}

// errorByStatus turns Echo's own errors (unknown route, wrong method, body limit, ...) into the
// domain error of the same meaning. Their messages are Echo's and never reach the client.
var errorByStatus = map[int]*kyc.Error{
	http.StatusBadRequest:            {Code: kyc.EInvalid, Message: "The request is invalid."},
	http.StatusUnauthorized:          {Code: kyc.EUnauthorized, Message: "Authentication is required."},
	http.StatusNotFound:              {Code: kyc.ENotFound, Message: "No such resource."},
	http.StatusMethodNotAllowed:      {Code: kyc.EMethodNotAllowed, Message: "This method is not allowed on this resource."},
	http.StatusRequestEntityTooLarge: {Code: kyc.ETooLarge, Message: "The request body must not exceed 1 MiB."},
	http.StatusUnsupportedMediaType:  {Code: kyc.EUnsupportedMedia, Message: "The request body must be application/json."},
	http.StatusTooManyRequests:       {Code: kyc.ERateLimited, Message: "Too many requests; retry after the time in Retry-After."},
}

var (
	errInternal    = &kyc.Error{Code: kyc.EInternal, Message: "Internal error."}
	errUnavailable = &kyc.Error{Code: kyc.EUnavailable, Message: "The service cannot reach its database; retry after the time in Retry-After."}
)

// unavailableRetryAfter is the Retry-After, in seconds, of a 503.
const unavailableRetryAfter = "5"

// readyTimeout bounds the readiness check that tells an outage from another internal error.
const readyTimeout = time.Second

// toAPIError finds the domain error that err stands for. Errors that are neither domain errors nor
// Echo's own are internal: they are logged, and the client learns nothing about them.
func toAPIError(err error) (*kyc.Error, bool) {
	var kerr *kyc.Error
	if errors.As(err, &kerr) {
		return kerr, false
	}
	var herr *echo.HTTPError
	if errors.As(err, &herr) {
		if e, ok := errorByStatus[herr.Code]; ok {
			return e, false
		}
	}
	return errInternal, true
}

// errorHandler writes every error, from handlers, middleware and Echo itself, in the one error
// schema. An internal error while ready (the database check) fails is an outage: 503 with
// Retry-After, which clients retry, rather than 500.
func errorHandler(logger *slog.Logger, ready func(context.Context) error) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		apiErr, internal := toAPIError(err)
		if internal {
			if ready != nil && unready(c.Request().Context(), ready) {
				apiErr = errUnavailable
			}
			logger.ErrorContext(c.Request().Context(), "internal error",
				"request_id", requestID(c), "route", c.Path(), "code", apiErr.Code, "error", err)
		}
		if apiErr.Code == kyc.EUnavailable {
			c.Response().Header().Set("Retry-After", unavailableRetryAfter)
		}
		status, ok := statusByCode[apiErr.Code]
		if !ok {
			status = http.StatusInternalServerError
		}
		body := apitypes.Error{Code: apiErr.Code, Message: apiErr.Message, RequestId: requestID(c)}
		if len(apiErr.Fields) > 0 {
			fields := make([]apitypes.FieldError, len(apiErr.Fields))
			for i, f := range apiErr.Fields {
				fields[i] = apitypes.FieldError{Field: f.Field, Message: f.Message}
			}
			body.Errors = &fields
		}
		var werr error
		if c.Request().Method == http.MethodHead {
			werr = c.NoContent(status)
		} else {
			werr = c.JSON(status, body)
		}
		if werr != nil {
			logger.WarnContext(c.Request().Context(), "write error response", "request_id", requestID(c), "error", werr)
		}
	}
}

// unready reports whether the readiness check fails within readyTimeout.
func unready(ctx context.Context, ready func(context.Context) error) bool {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), readyTimeout)
	defer cancel()
	return ready(ctx) != nil
}
