// Package apitest is the contract harness of the test suites: it serves an API handler on
// 127.0.0.1:0 and checks every response the server sends, errors included, against the OpenAPI
// document. A response that the spec does not allow fails the test that caused it.
package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/kiraapi/kira/openapi"
	"github.com/kiraapi/kira/server/httpapi"
)

var (
	specOnce   sync.Once
	spec       *openapi3.T
	specRouter routers.Router
	specErr    error
)

func loadSpec() (*openapi3.T, routers.Router, error) {
	specOnce.Do(func() {
		spec, specErr = openapi.Load()
		if specErr != nil {
			return
		}
		spec.Servers = nil
		specRouter, specErr = gorillamux.NewRouter(spec)
	})
	return spec, specRouter, specErr
}

// Server is a running API whose responses are checked against the spec.
type Server struct {
	URL    string
	Client *http.Client
}

// Serve starts h on 127.0.0.1:0 for the duration of the test, with the limits and listener of
// kirad's server.
func Serve(tb testing.TB, h http.Handler) *Server {
	tb.Helper()
	if _, _, err := loadSpec(); err != nil {
		tb.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Listener = httpapi.Listen(srv.Listener)
	httpapi.ConfigureServer(srv.Config)
	srv.Start()
	tb.Cleanup(srv.Close)
	return &Server{URL: srv.URL, Client: client(tb)}
}

// Remote is a server already running at url (another process, say), whose responses are checked
// like Serve's.
func Remote(tb testing.TB, url string) *Server {
	tb.Helper()
	if _, _, err := loadSpec(); err != nil {
		tb.Fatal(err)
	}
	return &Server{URL: url, Client: client(tb)}
}

// client checks every response against the spec. The API never redirects: a redirect comes back
// to the test as it is.
func client(tb testing.TB) *http.Client {
	return &http.Client{
		Transport:     Transport(tb, http.DefaultTransport),
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Transport returns a RoundTripper that sends requests through next and checks every response
// against the spec, for clients (the SDK's, say) that tests give their own HTTP client.
func Transport(tb testing.TB, next http.RoundTripper) http.RoundTripper {
	return &checker{tb: tb, next: next}
}

// Login exchanges a tenant's credentials at POST /auth and returns the headers that authenticate
// its calls: x-api-key and Authorization with the bearer token. The test fails unless it gets 200.
func (s *Server) Login(tb testing.TB, apiKey, clientID, password string) http.Header {
	tb.Helper()
	resp, raw := s.Do(tb, http.MethodPost, "/auth", http.Header{"X-Api-Key": {apiKey}},
		map[string]string{"client_id": clientID, "password": password})
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("login: %d %s", resp.StatusCode, raw)
	}
	var token struct {
		Data struct {
			AccessToken string `json:"access_token"`
		}
	}
	if err := json.Unmarshal(raw, &token); err != nil {
		tb.Fatalf("login: %v", err)
	}
	return http.Header{"X-Api-Key": {apiKey}, "Authorization": {"Bearer " + token.Data.AccessToken}}
}

// Do sends a request with the given method, path, headers and JSON body (nil for none) and returns
// the response with its body read.
func (s *Server) Do(tb testing.TB, method, path string, header http.Header, body any) (*http.Response, []byte) {
	tb.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			tb.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, s.URL+path, rd)
	if err != nil {
		tb.Fatal(err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	if rd != nil && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := s.Client.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return resp, raw
}

// checker is a RoundTripper that validates each response against the spec.
type checker struct {
	tb   testing.TB
	next http.RoundTripper
}

func (c *checker) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.next.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if verr := Check(req, resp.StatusCode, resp.Header, body); verr != nil {
		c.tb.Errorf("%s %s -> %d: response violates the spec: %v\nbody: %s", req.Method, req.URL.Path, resp.StatusCode, verr, body)
	}
	return resp, nil
}

// Check validates one response against the spec. Requests the spec does not describe (unknown
// routes, wrong methods), and operations the server does not implement yet (501), must still be
// answered in the error schema. Routes outside the API
// (the spec documents themselves, hosted pages, vendor callbacks, the review console) are not checked.
func Check(req *http.Request, status int, header http.Header, body []byte) error {
	doc, router, err := loadSpec()
	if err != nil {
		return err
	}
	if header.Get("X-Request-Id") == "" {
		return fmt.Errorf("no X-Request-Id header")
	}
	// A HEAD answers like the GET of the same path, without the body.
	head := req.Method == http.MethodHead
	if head {
		req = req.Clone(req.Context())
		req.Method = http.MethodGet
	}
	route, params, err := router.FindRoute(req)
	switch {
	case err != nil && head && isAPIPath(req.URL.Path):
		return nil // no body to check
	case err != nil && req.Method == http.MethodOptions && status == http.StatusNoContent:
		return nil // a CORS preflight's answer
	}
	switch {
	case err != nil && !isAPIPath(req.URL.Path):
		return nil
	case err != nil, status == http.StatusNotImplemented:
		return checkError(doc, body)
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 status,
		Header:                 header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options: &openapi3filter.Options{
			IncludeResponseStatus:   true,
			ExcludeResponseBody:     head,
			MultiError:              true,
			SchemaValidationOptions: openapi.ValidationOptions(),
		},
	}
	return openapi3filter.ValidateResponse(context.Background(), in)
}

// checkError validates an error response body against the spec's Error schema.
func checkError(doc *openapi3.T, body []byte) error {
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return fmt.Errorf("error body is not JSON: %w", err)
	}
	return doc.Components.Schemas["Error"].Value.VisitJSON(v, append(openapi.ValidationOptions(), openapi3.VisitAsResponse())...)
}

func isAPIPath(p string) bool {
	return !strings.HasPrefix(p, "/openapi.") && !strings.HasPrefix(p, "/verify/") && !strings.HasPrefix(p, "/vendor/") &&
		p != "/console" && !strings.HasPrefix(p, "/console/")
}
