package mock

import (
	"errors"
	"net/http"

	"github.com/kiraapi/kira/gen/apitypes"
	"github.com/kiraapi/kira/openapi"
)

// The errors that outrank field errors, most specific first, as the real API reports them.
var (
	errTooLarge     = apitypes.Error{Code: apitypes.ErrorCodePayloadTooLarge, Message: "The request body must not exceed 1 MiB."}
	errMediaType    = apitypes.Error{Code: apitypes.ErrorCodeUnsupportedMediaType, Message: "The request body must be application/json."}
	errUnauthorized = apitypes.Error{Code: apitypes.ErrorCodeUnauthorized, Message: "Send both Authorization: Bearer <token> and x-api-key."}
	errInvalidJSON  = apitypes.Error{Code: apitypes.ErrorCodeInvalidJson, Message: "The request body is not valid JSON."}
)

var statusOf = map[apitypes.ErrorCode]int{
	errTooLarge.Code:     http.StatusRequestEntityTooLarge,
	errMediaType.Code:    http.StatusUnsupportedMediaType,
	errUnauthorized.Code: http.StatusUnauthorized,
	errInvalidJSON.Code:  http.StatusBadRequest,
}

// fromValidation turns the validator's errors into one answer, as the real API reports them.
func fromValidation(err error) (int, apitypes.Error) {
	tooLarge := func(err error) bool {
		var e *http.MaxBytesError
		return errors.As(err, &e)
	}
	problem, fields := openapi.DescribeRequestError(err, tooLarge)
	switch problem {
	case openapi.ProblemTooLarge:
		return statusOf[errTooLarge.Code], errTooLarge
	case openapi.ProblemMediaType:
		return statusOf[errMediaType.Code], errMediaType
	case openapi.ProblemUnauthorized:
		return statusOf[errUnauthorized.Code], errUnauthorized
	case openapi.ProblemInvalidJSON:
		return statusOf[errInvalidJSON.Code], errInvalidJSON
	}
	out := make([]apitypes.FieldError, len(fields))
	for i, f := range fields {
		out[i] = apitypes.FieldError{Field: f.Field, Message: f.Message}
	}
	return http.StatusBadRequest, apitypes.Error{Code: apitypes.ErrorCodeValidationError, Message: "The request is invalid.", Errors: &out}
}
