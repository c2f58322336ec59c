package apitest_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/kiraapi/kira/server/apitest"
)

// TestCheckCatchesViolations proves the harness can fail: each response breaks the spec.
func TestCheckCatchesViolations(t *testing.T) {
	t.Parallel()
	withID := http.Header{"X-Request-Id": {"abc12345"}, "Content-Type": {"application/json"}}
	tests := []struct {
		name   string
		method string
		path   string
		status int
		header http.Header
		body   string
	}{
		{"undeclared status", "GET", "/healthz", 418, withID, `{"status":"ok"}`},
		{"enum violated", "GET", "/healthz", 200, withID, `{"status":"fine"}`},
		{"missing request id", "GET", "/healthz", 200, http.Header{"Content-Type": {"application/json"}}, `{"status":"ok"}`},
		{"error body not in the error schema", "GET", "/no/such/route", 404, withID, `{"error":"not found"}`},
		{"501 not in the error schema", "GET", "/healthz", 501, withID, `{"status":"ok"}`},
		{"user without required fields", "GET", "/v1/users/e9610a11-d514-4587-85dc-e18e2b461e55", 200, withID, `{"id":"e9610a11-d514-4587-85dc-e18e2b461e55"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := httptest.NewRequest(tt.method, tt.path, nil)
			if err := apitest.Check(req, tt.status, tt.header, []byte(tt.body)); err == nil {
				t.Error("Check accepted a response that violates the spec")
			}
		})
	}
	req := httptest.NewRequest("GET", "/healthz", nil)
	if err := apitest.Check(req, 200, withID, []byte(`{"status":"ok"}`)); err != nil {
		t.Errorf("Check rejected a valid response: %v", err)
	}
	// Any operation may answer 501 in the error schema until the server implements it.
	if err := apitest.Check(req, 501, withID, []byte(`{"code":"not_implemented","message":"m","request_id":"abc12345"}`)); err != nil {
		t.Errorf("Check rejected a 501 in the error schema: %v", err)
	}
}
