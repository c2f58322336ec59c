package kyc

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// The domain's error codes: what the use cases refuse. They are part of the API contract (the
// spec's ErrorCode enum, which also lists the HTTP layer's own codes); clients switch on them.
const (
	EInvalid           = "validation_error"
	EUnauthorized      = "unauthorized"
	EForbidden         = "forbidden"
	ENotFound          = "not_found"
	EConflict          = "conflict"
	EIdempotencyInUse  = "idempotency_key_in_use"
	EIdempotencyReused = "idempotency_key_reused"
	EInvalidTransition = "invalid_transition"
	EAttemptsExhausted = "verification_attempts_exhausted"
	EInternal          = "internal_error"
)

// FieldError says what is wrong with one field. Message never repeats the submitted value.
type FieldError struct {
	Field   string
	Message string
}

// Error is an error the API reports to its caller: a stable Code, a Message for people and, for
// validation errors, one FieldError per offending field. Any other error is internal.
type Error struct {
	Code    string
	Message string
	Fields  []FieldError
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the *Error in err's chain, EInternal for any other error, and ""
// for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// OutageRetryAfter is the Retry-After, in seconds, of an answer given while the service cannot
// reach its database.
const OutageRetryAfter = "5"

// InOutage reports whether ready, a readiness check (nil: none), fails within a second: an
// internal error is then an outage, answered 503 with Retry-After OutageRetryAfter, and not a
// fault (500).
func InOutage(ctx context.Context, ready func(context.Context) error) bool {
	if ready == nil {
		return false
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	defer cancel()
	return ready(ctx) != nil
}
