package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/kiraapi/kira/openapi"
	"github.com/kiraapi/kira/server/apitest"
	"github.com/kiraapi/kira/server/httpapi"
	"github.com/kiraapi/kira/server/kyc"
)

type errorBody struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	RequestID string `json:"request_id"`
	Errors    []struct {
		Field   string `json:"field"`
		Message string `json:"message"`
	} `json:"errors"`
}

// fakeAuth accepts the token "token" with the key "key"; these tests are about the HTTP layer.
type fakeAuth struct{}

func (fakeAuth) Login(context.Context, string, string, string) (string, int, error) {
	return "token", 3600, nil
}

func (fakeAuth) Authenticate(_ context.Context, key, token string) (*kyc.Tenant, error) {
	if key != "key" || token != "token" {
		return nil, &kyc.Error{Code: kyc.EUnauthorized, Message: "Invalid access token or API key."}
	}
	return &kyc.Tenant{ID: "t1"}, nil
}

func serve(t *testing.T, opts httpapi.Options) *apitest.Server {
	t.Helper()
	opts.Auth = fakeAuth{}
	spec, err := openapi.Load()
	if err != nil {
		t.Fatal(err)
	}
	opts.Spec = spec
	h, err := httpapi.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return apitest.Serve(t, h)
}

var creds = http.Header{"Authorization": {"Bearer token"}, "X-Api-Key": {"key"}}

func withHeader(h http.Header, kv ...string) http.Header {
	out := h.Clone()
	for i := 0; i < len(kv); i += 2 {
		out.Set(kv[i], kv[i+1])
	}
	return out
}

func TestErrors(t *testing.T) {
	t.Parallel()
	srv := serve(t, httpapi.Options{})
	idem := withHeader(creds, "Idempotency-Key", "k-1")
	tests := []struct {
		name       string
		method     string
		path       string
		header     http.Header
		body       any
		wantStatus int
		wantCode   string
		wantFields []string
	}{
		{"unknown route", "GET", "/nope", nil, nil, 404, "not_found", nil},
		{"wrong method", "DELETE", "/healthz", nil, nil, 405, "method_not_allowed", nil},
		{"limit over 100", "GET", "/v1/users?limit=101", creds, nil, 400, "validation_error", []string{"limit"}},
		{"bad status filter", "GET", "/v1/users?status=ACTIVE", creds, nil, 400, "validation_error", []string{"status"}},
		{"malformed user id", "GET", "/v1/users/123", creds, nil, 400, "validation_error", []string{"userId"}},
		{"bearer token twice", "GET", "/v1/users", http.Header{"Authorization": {"Bearer token", "Bearer other"}, "X-Api-Key": {"key"}}, nil, 400, "validation_error", []string{"Authorization"}},
		{"API key twice", "GET", "/v1/users", http.Header{"Authorization": {"Bearer token"}, "X-Api-Key": {"key", "other"}}, nil, 400, "validation_error", []string{"x-api-key"}},
		{"API key twice on /auth", "POST", "/auth", http.Header{"X-Api-Key": {"key", "other"}}, map[string]any{"client_id": "c", "password": "p"}, 400, "validation_error", []string{"x-api-key"}},
		{"missing idempotency key", "POST", "/v1/users", creds, map[string]any{"type": "individual", "email": "a@example.com"}, 400, "validation_error", []string{"Idempotency-Key"}},
		{"idempotency key too long", "POST", "/v1/users", withHeader(creds, "Idempotency-Key", strings.Repeat("k", 256)), map[string]any{"type": "individual", "email": "a@example.com"}, 400, "validation_error", []string{"Idempotency-Key"}},
		{"status is read-only", "POST", "/v1/users", idem, map[string]any{"type": "individual", "email": "a@example.com", "status": "VERIFIED"}, 400, "validation_error", []string{"status"}},
		{"type missing", "POST", "/v1/users", idem, map[string]any{"email": "a@example.com"}, 400, "validation_error", []string{"type"}},
		{"nested field errors", "POST", "/v1/users", idem, map[string]any{"type": "business", "email": "a@example.com", "associated_persons": []any{map[string]any{"first_name": "A", "email": "x@example.com", "shoe_size": 9}}}, 400, "validation_error", []string{"associated_persons/0/last_name", "associated_persons/0/shoe_size"}},
		{"invalid json", "POST", "/v1/users", idem, "{nope", 400, "invalid_json", nil},
		{"wrong content type", "POST", "/v1/users", withHeader(idem, "Content-Type", "text/plain"), "hello", 415, "unsupported_media_type", nil},
		{"body too large", "POST", "/v1/webhooks", creds, `{"url":"https://hooks.example/` + strings.Repeat("a", httpapi.MaxBodyBytes) + `"}`, 413, "payload_too_large", nil},
		{"user body too large", "POST", "/v1/users", idem, `{"type":"individual","email":"a@example.com","first_name":"` + strings.Repeat("a", httpapi.MaxDocumentBodyBytes) + `"}`, 413, "payload_too_large", nil},
		{"type cannot change", "PUT", "/v1/users/e9610a11-d514-4587-85dc-e18e2b461e55", creds, map[string]any{"type": "business"}, 400, "validation_error", []string{"type"}},
		{"webhook url not a url", "POST", "/v1/webhooks", creds, map[string]any{"url": "not a url"}, 400, "validation_error", []string{"url"}},
		{"sandbox route in production mode", "POST", "/v1/sandbox/users/e9610a11-d514-4587-85dc-e18e2b461e55/review", creds, map[string]any{"decision": "approve"}, 404, "not_found", nil},
		{"no credentials", "GET", "/v1/events", nil, nil, 401, "unauthorized", nil},
		{"wrong credentials", "GET", "/v1/events", withHeader(creds, "X-Api-Key", "other"), nil, 401, "unauthorized", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			resp, raw := srv.Do(t, tt.method, tt.path, tt.header, tt.body)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", resp.StatusCode, tt.wantStatus, raw)
			}
			var got errorBody
			if err := json.Unmarshal(raw, &got); err != nil {
				t.Fatal(err)
			}
			if got.Code != tt.wantCode {
				t.Errorf("code = %q, want %q", got.Code, tt.wantCode)
			}
			if got.RequestID == "" || got.RequestID != resp.Header.Get("X-Request-Id") {
				t.Errorf("request_id = %q, X-Request-Id = %q", got.RequestID, resp.Header.Get("X-Request-Id"))
			}
			fields := map[string]bool{}
			for _, f := range got.Errors {
				fields[f.Field] = true
			}
			for _, f := range tt.wantFields {
				if !fields[f] {
					t.Errorf("no error for field %q in %s", f, raw)
				}
			}
		})
	}
}

// TestErrorsNeverEchoValues sends PII in invalid shapes and checks that no part of it comes back.
func TestErrorsNeverEchoValues(t *testing.T) {
	t.Parallel()
	srv := serve(t, httpapi.Options{})
	secrets := map[string]any{
		"type":            "individual",
		"email":           "john.doe.secret@@example.com",
		"ssn":             "987-65-43210",
		"birth_date":      "1987-19-45",
		"document_number": "ZQ9876543!",
		"phone":           "+0987654321",
		"address_country": "XQZ",
	}
	resp, raw := srv.Do(t, "POST", "/v1/users", withHeader(creds, "Idempotency-Key", "k-2"), secrets)
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("status = %d; body %s", resp.StatusCode, raw)
	}
	for field, v := range secrets {
		if field == "type" {
			continue
		}
		if s := v.(string); bytes.Contains(raw, []byte(s)) {
			t.Errorf("response repeats the submitted %s: %s", field, raw)
		}
	}
	var got errorBody
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Errors) < 6 {
		t.Errorf("want an error for each of 6 fields, got %+v", got.Errors)
	}
}

func TestHealthAndReadiness(t *testing.T) {
	t.Parallel()
	var notReady = errors.New("database down")
	tests := []struct {
		name       string
		ready      func(context.Context) error
		path       string
		wantStatus int
		wantBody   string
	}{
		{"alive", nil, "/healthz", 200, "ok"},
		{"ready", func(context.Context) error { return nil }, "/readyz", 200, "ok"},
		{"not ready", func(context.Context) error { return notReady }, "/readyz", 503, "unavailable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := serve(t, httpapi.Options{Ready: tt.ready})
			resp, raw := srv.Do(t, "GET", tt.path, nil, nil)
			var got struct{ Status string }
			if err := json.Unmarshal(raw, &got); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.wantStatus || got.Status != tt.wantBody {
				t.Errorf("got %d %q, want %d %q", resp.StatusCode, got.Status, tt.wantStatus, tt.wantBody)
			}
		})
	}
}

func TestServesTheSpec(t *testing.T) {
	t.Parallel()
	srv := serve(t, httpapi.Options{})
	resp, raw := srv.Do(t, "GET", "/openapi.yaml", nil, nil)
	if resp.StatusCode != 200 || !bytes.Equal(raw, openapi.YAML()) {
		t.Errorf("GET /openapi.yaml: %d, %d bytes; want the document", resp.StatusCode, len(raw))
	}
	resp, raw = srv.Do(t, "GET", "/openapi.json", nil, nil)
	var doc struct {
		OpenAPI string         `json:"openapi"`
		Paths   map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil || resp.StatusCode != 200 || doc.OpenAPI != "3.0.3" || doc.Paths["/v1/users"] == nil {
		t.Errorf("GET /openapi.json: %d, %v, %q", resp.StatusCode, err, doc.OpenAPI)
	}
}

func TestRequestID(t *testing.T) {
	t.Parallel()
	srv := serve(t, httpapi.Options{})
	resp, _ := srv.Do(t, "GET", "/healthz", http.Header{"X-Request-Id": {"client-chosen-id-1"}}, nil)
	if got := resp.Header.Get("X-Request-Id"); got != "client-chosen-id-1" {
		t.Errorf("X-Request-Id = %q, want the client's", got)
	}
	resp, _ = srv.Do(t, "GET", "/healthz", http.Header{"X-Request-Id": {"bad id with spaces"}}, nil)
	if got := resp.Header.Get("X-Request-Id"); got == "" || strings.Contains(got, " ") {
		t.Errorf("X-Request-Id = %q, want a generated id", got)
	}
}

// TestNewLeavesTheSpecAlone: building the API does not change the spec it is given, which other
// parts of the server (the hosted page, /openapi.json) share.
func TestNewLeavesTheSpecAlone(t *testing.T) {
	t.Parallel()
	spec, err := openapi.Load()
	if err != nil {
		t.Fatal(err)
	}
	before, err := spec.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := httpapi.New(httpapi.Options{Spec: spec, Auth: fakeAuth{}}); err != nil {
		t.Fatal(err)
	}
	after, err := spec.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if string(before) != string(after) {
		t.Error("httpapi.New changed the spec")
	}
}
