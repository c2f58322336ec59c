package mock_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/kiraapi/kira/client/mock"
	"github.com/kiraapi/kira/gen/apitypes"
	"github.com/kiraapi/kira/openapi"
	"github.com/kiraapi/kira/server/apitest"
)

func serve(t *testing.T) (string, *mock.Server) {
	t.Helper()
	s, err := mock.New()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return srv.URL, s
}

// call sends a request and checks the answer against the spec with the contract harness.
func call(t *testing.T, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if err := apitest.Check(req, resp.StatusCode, resp.Header, body); err != nil {
		t.Errorf("%s %s -> %d: the answer violates the spec: %v\n%s", req.Method, req.URL.Path, resp.StatusCode, err, body)
	}
	return resp, body
}

func example(mt *openapi3.MediaType) any {
	if mt.Example != nil {
		return mt.Example
	}
	names := make([]string, 0, len(mt.Examples))
	for name := range mt.Examples {
		names = append(names, name)
	}
	sort.Strings(names)
	return mt.Examples[names[0]].Value.Value
}

// validRequest builds a request for the operation from the spec's own examples, with credentials.
func validRequest(t *testing.T, base, path, method string, item *openapi3.PathItem, op *openapi3.Operation) *http.Request {
	t.Helper()
	headers := http.Header{"Authorization": {"Bearer any-token"}, "X-Api-Key": {"any-key"}}
	query := url.Values{}
	for _, p := range append(append(openapi3.Parameters{}, item.Parameters...), op.Parameters...) {
		v := p.Value.Example
		if v == nil && p.Value.Schema.Value.Example != nil {
			v = p.Value.Schema.Value.Example
		}
		switch {
		case p.Value.In == "path":
			path = strings.ReplaceAll(path, "{"+p.Value.Name+"}", v.(string))
		case p.Value.In == "header" && p.Value.Required:
			headers.Set(p.Value.Name, v.(string))
		case p.Value.In == "query" && p.Value.Required:
			query.Set(p.Value.Name, strings.Trim(string(must(json.Marshal(v))), `"`))
		}
	}
	if len(query) > 0 {
		path += "?" + query.Encode()
	}
	var body io.Reader
	if op.RequestBody != nil {
		raw, err := json.Marshal(example(op.RequestBody.Value.Content.Get("application/json")))
		if err != nil {
			t.Fatal(err)
		}
		body = bytes.NewReader(raw)
		headers.Set("Content-Type", "application/json")
	}
	req, err := http.NewRequest(method, base+path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header = headers
	return req
}

func TestMockAnswersEveryOperationWithAResponseThatValidates(t *testing.T) {
	t.Parallel()
	base, s := serve(t)
	doc, err := openapi.Load()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			n++
			req := validRequest(t, base, path, method, item, op)
			resp, body := call(t, req)
			if resp.StatusCode < 200 || resp.StatusCode > 299 {
				t.Errorf("%s %s (%s) -> %d, want 2xx: %s", method, path, op.OperationID, resp.StatusCode, body)
			}
		}
	}
	if n == 0 || n != s.Operations() {
		t.Errorf("%d operations called, the mock answers %d", n, s.Operations())
	}
}

func TestMockAnswersInTheOrderOfTheExamples(t *testing.T) {
	t.Parallel()
	base, _ := serve(t)
	req, _ := http.NewRequest(http.MethodGet, base+"/v1/users/8d05b02e-9d15-46d6-bb33-9c81d461a969", nil)
	req.Header = http.Header{"Authorization": {"Bearer t"}, "X-Api-Key": {"k"}}
	_, body := call(t, req)
	var u apitypes.User
	if err := json.Unmarshal(body, &u); err != nil {
		t.Fatal(err)
	}
	if *u.Status != apitypes.UserStatusVERIFIED {
		t.Errorf("status %s, want VERIFIED: the first example written (verified) comes before rejected", *u.Status)
	}
}

func TestMockRejectsInvalidRequestsInTheErrorSchema(t *testing.T) {
	t.Parallel()
	base, _ := serve(t)
	creds := http.Header{"Authorization": {"Bearer t"}, "X-Api-Key": {"k"}}
	withKey := http.Header{"Authorization": {"Bearer t"}, "X-Api-Key": {"k"}, "Idempotency-Key": {"k-1"}, "Content-Type": {"application/json"}}
	for _, tc := range []struct {
		name, method, path string
		header             http.Header
		body               string
		status             int
		code               string
		fields             []string
	}{
		{"unknown route", "GET", "/v1/nothing", creds, "", 404, "not_found", nil},
		{"wrong method", "PATCH", "/v1/users", creds, "", 405, "method_not_allowed", nil},
		{"no credentials", "GET", "/v1/users", nil, "", 401, "unauthorized", nil},
		{"bad path parameter", "GET", "/v1/users/not-a-uuid", creds, "", 400, "validation_error", []string{"userId"}},
		{"bad query parameter", "GET", "/v1/users?limit=500&status=GONE", creds, "", 400, "validation_error", []string{"limit", "status"}},
		{"missing idempotency key", "POST", "/v1/users", http.Header{"Authorization": {"Bearer t"}, "X-Api-Key": {"k"}, "Content-Type": {"application/json"}},
			`{"type":"individual","email":"j@example.com"}`, 400, "validation_error", []string{"Idempotency-Key"}},
		{"invalid fields", "POST", "/v1/users", withKey,
			`{"type":"individual","email":"secret-value","birth_date":"1990-13-45","status":"VERIFIED"}`, 400, "validation_error", []string{"birth_date", "email", "status"}},
		{"not JSON", "POST", "/v1/users", withKey, `{"type":`, 400, "invalid_json", nil},
		{"wrong media type", "POST", "/v1/users", http.Header{"Authorization": {"Bearer t"}, "X-Api-Key": {"k"}, "Idempotency-Key": {"k-1"}, "Content-Type": {"text/plain"}},
			`hello`, 415, "unsupported_media_type", nil},
		{"too large", "POST", "/v1/users", withKey, `{"type":"individual","email":"` + strings.Repeat("a", mock.MaxBodyBytes) + `"}`, 413, "payload_too_large", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var body io.Reader
			if tc.body != "" {
				body = strings.NewReader(tc.body)
			}
			req, err := http.NewRequest(tc.method, base+tc.path, body)
			if err != nil {
				t.Fatal(err)
			}
			if tc.header != nil {
				req.Header = tc.header.Clone()
			}
			resp, raw := call(t, req)
			var e apitypes.Error
			if err := json.Unmarshal(raw, &e); err != nil {
				t.Fatalf("not JSON: %s", raw)
			}
			if resp.StatusCode != tc.status || string(e.Code) != tc.code || e.RequestId == "" || e.RequestId != resp.Header.Get("X-Request-Id") {
				t.Errorf("-> %d %+v, want %d %s with the request id", resp.StatusCode, e, tc.status, tc.code)
			}
			var fields []string
			if e.Errors != nil {
				for _, f := range *e.Errors {
					fields = append(fields, f.Field)
				}
			}
			if strings.Join(fields, ",") != strings.Join(tc.fields, ",") {
				t.Errorf("fields %v, want %v", fields, tc.fields)
			}
			if strings.Contains(string(raw), "secret-value") || strings.Contains(string(raw), "1990-13-45") {
				t.Errorf("the answer repeats a submitted value: %s", raw)
			}
		})
	}
}

func TestMockAllowsBrowsers(t *testing.T) {
	t.Parallel()
	base, _ := serve(t)
	req, _ := http.NewRequest(http.MethodOptions, base+"/v1/users", nil)
	req.Header.Set("Origin", "http://localhost:3000")
	req.Header.Set("Access-Control-Request-Method", "POST")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Origin") != "*" ||
		!strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "Idempotency-Key") {
		t.Errorf("preflight -> %d %v", resp.StatusCode, resp.Header)
	}
}

// must returns v, failing on err (values the spec's examples make).
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
