package httpapi

import (
	"net/http"
	"testing"

	"github.com/labstack/echo/v4"
)

// TestBinderErrorNamesTheParameter: the generated binding's own errors, should one get past the
// checks before it, still name a declared parameter and nothing else.
func TestBinderErrorNamesTheParameter(t *testing.T) {
	t.Parallel()
	declared := map[string]bool{"limit": true, "Idempotency-Key": true}
	tests := []struct {
		msg       string
		wantField string
	}{
		{"Invalid format for parameter limit: error binding string parameter: strconv.ParseInt", "limit"},
		{"Expected one value for Idempotency-Key, got 2", "Idempotency-Key"},
		{"Header parameter Idempotency-Key is required, but not found", "Idempotency-Key"},
		{"Invalid format for parameter secret-value: x", ""},
		{"something else", ""},
	}
	for _, tt := range tests {
		got, ok := binderError(echo.NewHTTPError(http.StatusBadRequest, tt.msg), declared)
		if ok != (tt.wantField != "") || ok && (len(got.Fields) != 1 || got.Fields[0].Field != tt.wantField) {
			t.Errorf("%q: %+v %v, want field %q", tt.msg, got, ok, tt.wantField)
		}
	}
}
