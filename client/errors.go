package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/uuid"

	"github.com/kiraapi/kira/gen/apitypes"
)

// FieldError is one offending field of a rejected request: its name (a path such as
// associated_persons/0/email for nested fields) and what is wrong with it, never its value.
type FieldError = apitypes.FieldError

// APIError is an answer of the API with a non-2xx status, in the API's one error shape. Every call
// of the grouped services returns one (possibly wrapped) for such an answer; find it with errors.As.
type APIError struct {
	// StatusCode is the HTTP status.
	StatusCode int `json:"status"`
	// Code is stable and machine-readable: one of the apitypes.ErrorCode constants
	// (apitypes.ErrorCodeNotFound, ...), or a newer code this SDK does not know yet.
	// It is empty when the answer was not in the error shape (a proxy's 502, for instance).
	Code apitypes.ErrorCode `json:"code"`
	// Message is for people.
	Message string `json:"message"`
	// Fields lists each offending field of a validation error.
	Fields []FieldError `json:"errors,omitempty"`
	// RequestID identifies the request; quote it when you contact support.
	RequestID string `json:"request_id,omitempty"`
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "status %d", e.StatusCode)
	if e.Code != "" {
		fmt.Fprintf(&b, " %s", e.Code)
	}
	fmt.Fprintf(&b, ": %s", e.Message)
	if len(e.Fields) > 0 {
		parts := make([]string, len(e.Fields))
		for i, f := range e.Fields {
			parts[i] = f.Field + " " + f.Message
		}
		fmt.Fprintf(&b, " (%s)", strings.Join(parts, "; "))
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " [request %s]", e.RequestID)
	}
	return b.String()
}

// ErrInvalidID is returned, wrapped, for an id argument that is not a UUID; no request is sent.
var ErrInvalidID = errors.New("invalid id")

// CheckResponse returns nil for a 2xx response and an *APIError otherwise. body is the response's
// body, already read (the generated client's responses keep it in their Body field), so callers of
// Client.API can turn its answers into errors the way the grouped services do.
func CheckResponse(resp *http.Response, body []byte) error {
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	e := &APIError{StatusCode: resp.StatusCode}
	var shape apitypes.Error
	if json.Unmarshal(body, &shape) == nil && shape.Code != "" {
		e.Code, e.Message, e.RequestID = shape.Code, shape.Message, shape.RequestId
		if shape.Errors != nil {
			e.Fields = *shape.Errors
		}
	} else {
		e.Message = http.StatusText(resp.StatusCode)
	}
	if e.RequestID == "" {
		e.RequestID = resp.Header.Get("X-Request-Id")
	}
	return e
}

// result turns a generated response into its 2xx payload or an error. want is the payload the
// generated client decoded for the expected status; nil means the answer was something else.
func result[T any](resp *http.Response, body []byte, want *T) (*T, error) {
	if err := CheckResponse(resp, body); err != nil {
		return nil, err
	}
	if want == nil {
		return nil, fmt.Errorf("unexpected %s response", resp.Status)
	}
	return want, nil
}

// parseID checks an id argument before it is put in a URL.
func parseID(kind, id string) (uuid.UUID, error) {
	u, err := uuid.Parse(id)
	if err != nil || len(id) != 36 {
		return uuid.UUID{}, fmt.Errorf("%w: the %s id must be a UUID", ErrInvalidID, kind)
	}
	return u, nil
}
