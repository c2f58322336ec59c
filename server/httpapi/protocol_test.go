package httpapi_test

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/kiraapi/kira/openapi"
	"github.com/kiraapi/kira/server/apitest"
	"github.com/kiraapi/kira/server/app"
)

// fixture is a tenant with one of each resource, to fill in the spec's path parameters.
type fixture struct {
	tenant *testTenant
	params map[string]string
	link   string
}

func newFixture(t *testing.T, env *testEnv) *fixture {
	t.Helper()
	a := env.tenant(t, "acme")
	_, raw := env.srv.Do(t, "POST", "/v1/users", a.headers("Idempotency-Key", "fixture-user"), minimalUser)
	uid := decode[user](t, raw).ID
	resp, raw := env.srv.Do(t, "POST", "/v1/users/"+uid+"/verifications", a.headers("Idempotency-Key", "fixture-session"),
		map[string]string{"type": "embedded-link", "redirect_uri": "https://yourapp.example/done"})
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("session: %d %s", resp.StatusCode, raw)
	}
	link := decode[session](t, raw).ProviderLink
	resp, raw = env.srv.Do(t, "POST", "/v1/webhooks", a.headers(), map[string]any{"url": "http://127.0.0.1:9/hook"})
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("webhook: %d %s", resp.StatusCode, raw)
	}
	wid := decode[webhookEndpoint](t, raw).ID
	_, raw = env.srv.Do(t, "GET", "/v1/events", a.headers(), nil)
	events := decode[struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}](t, raw)
	if len(events.Data) == 0 {
		t.Fatalf("no events: %s", raw)
	}
	return &fixture{tenant: a, link: link, params: map[string]string{"userId": uid, "webhookId": wid, "eventId": events.Data[0].ID}}
}

// specPaths lists the spec's paths with their parameters filled in, and each path's methods.
func (f *fixture) specPaths(t *testing.T) map[string][]string {
	t.Helper()
	spec, err := openapi.Load()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for p, item := range spec.Paths.Map() {
		for name, v := range f.params {
			p = strings.ReplaceAll(p, "{"+name+"}", v)
		}
		for m := range item.Operations() {
			out[p] = append(out[p], m)
		}
	}
	return out
}

// TestMediaTypeCasing sends every operation that takes a body its media type in odd casing and
// with parameters: RFC 9110 makes both insignificant.
func TestMediaTypeCasing(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, env *testEnv) {
		f := newFixture(t, env)
		uid := f.params["userId"]
		tests := []struct {
			op, method, path string
			header           http.Header
			body             string
		}{
			{"authenticate", "POST", "/auth", http.Header{"X-Api-Key": {f.tenant.creds.APIKey}}, fmt.Sprintf(`{"client_id":%q,"password":%q}`, f.tenant.creds.ClientID, f.tenant.creds.Password)},
			{"createUser", "POST", "/v1/users", f.tenant.headers(), minimalUser},
			{"updateUser", "PUT", "/v1/users/" + uid, f.tenant.headers(), `{"first_name":"Jon"}`},
			{"createVerification", "POST", "/v1/users/" + uid + "/verifications", f.tenant.headers(), `{"type":"embedded-link","redirect_uri":"https://yourapp.example/x"}`},
			{"createWebhook", "POST", "/v1/webhooks", f.tenant.headers(), `{"url":"http://127.0.0.1:9/other"}`},
			{"sandboxReviewUser", "POST", "/v1/sandbox/users/" + uid + "/review", f.tenant.headers(), `{"decision":"approve"}`},
		}
		spec, err := openapi.Load()
		if err != nil {
			t.Fatal(err)
		}
		var want, got []string
		for _, item := range spec.Paths.Map() {
			for _, op := range item.Operations() {
				if op.RequestBody != nil {
					want = append(want, op.OperationID)
				}
			}
		}
		for _, tt := range tests {
			got = append(got, tt.op)
		}
		sort.Strings(want)
		sort.Strings(got)
		if !slices.Equal(want, got) {
			t.Fatalf("operations with a body: %v; the test covers %v", want, got)
		}
		for i, ct := range []string{"Application/JSON", "APPLICATION/JSON; charset=UTF-8", "application/json;CHARSET=utf-8"} {
			for _, tt := range tests {
				h := tt.header.Clone()
				h.Set("Content-Type", ct)
				h.Set("Idempotency-Key", fmt.Sprintf("casing-%s-%d", tt.op, i)) // ignored where not taken
				resp, raw := env.srv.Do(t, tt.method, tt.path, h, tt.body)
				if resp.StatusCode >= 300 && resp.StatusCode != http.StatusConflict {
					t.Errorf("%s with %q: %d %s", tt.op, ct, resp.StatusCode, raw)
				}
			}
		}
	})
}

// TestHeadAndAllow: every GET answers HEAD alike without a body, and every 405 says what is
// allowed.
func TestHeadAndAllow(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, env *testEnv) {
		f := newFixture(t, env)
		paths := f.specPaths(t)
		paths["/openapi.json"] = []string{"GET"}
		paths["/openapi.yaml"] = []string{"GET"}
		for p, methods := range paths {
			if slices.Contains(methods, "GET") {
				get, _ := env.srv.Do(t, "GET", p, f.tenant.headers(), nil)
				head, raw := env.srv.Do(t, "HEAD", p, f.tenant.headers(), nil)
				if head.StatusCode != get.StatusCode || len(raw) != 0 || head.Header.Get("Content-Type") != get.Header.Get("Content-Type") {
					t.Errorf("HEAD %s: %d %q %d bytes; GET: %d %q", p, head.StatusCode, head.Header.Get("Content-Type"), len(raw), get.StatusCode, get.Header.Get("Content-Type"))
				}
				methods = append(methods, "HEAD")
			}
			resp, raw := env.srv.Do(t, "PATCH", p, f.tenant.headers(), nil)
			allow := strings.Split(resp.Header.Get("Allow"), ", ")
			sort.Strings(allow)
			sort.Strings(methods)
			if resp.StatusCode != http.StatusMethodNotAllowed || !slices.Equal(allow, methods) {
				t.Errorf("PATCH %s: %d, Allow %q, want %v; %s", p, resp.StatusCode, resp.Header.Get("Allow"), methods, raw)
			}
		}
		resp, html := page(t, "HEAD", f.link, nil)
		if resp.StatusCode != http.StatusOK || html != "" {
			t.Errorf("HEAD on the hosted page: %d, %d bytes", resp.StatusCode, len(html))
		}
	})
}

// TestNoRedirects: a path that is not in canonical form is refused in the error schema, never
// redirected, on the API and the hosted pages alike.
func TestNoRedirects(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, env *testEnv) {
		f := newFixture(t, env)
		link, err := url.Parse(f.link)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{
			"/v1/users/../webhooks", "/v1//users", "/v1/./users", "//healthz", "/healthz/..", "/v1/users/%2e%2e/webhooks",
			strings.Replace(link.Path, "/verify/", "/verify//", 1) + "?" + link.RawQuery, "/verify/../healthz",
		} {
			for _, method := range []string{"GET", "POST", "HEAD"} {
				resp, raw := env.srv.Do(t, method, p, f.tenant.headers(), nil)
				if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
					t.Errorf("%s %s: %d, Location %q", method, p, resp.StatusCode, resp.Header.Get("Location"))
				}
				if method != "HEAD" && !strings.Contains(string(raw), `"field":"path"`) {
					t.Errorf("%s %s: %s", method, p, raw)
				}
			}
		}
	})
}

// rawRequest sends bytes that Go's client refuses to send, and checks the answer against the spec.
func rawRequest(t *testing.T, srv *apitest.Server, request string) (*http.Response, string) {
	t.Helper()
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(request)); err != nil {
		t.Fatal(err)
	}
	req, err := http.ReadRequest(bufio.NewReader(strings.NewReader("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body strings.Builder
	if _, err := bufio.NewReader(resp.Body).WriteTo(&body); err != nil {
		t.Fatal(err)
	}
	if err := apitest.Check(req, resp.StatusCode, resp.Header, []byte(body.String())); err != nil {
		t.Errorf("response violates the spec: %v: %s", err, body.String())
	}
	return resp, body.String()
}

// TestNetHTTPErrorsInTheErrorSchema: what net/http refuses before any handler runs comes back in
// the error schema, and headers are capped well below 1 MiB.
func TestNetHTTPErrorsInTheErrorSchema(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, env *testEnv) {
		tests := []struct {
			name       string
			request    string
			wantStatus int
			wantCode   string
		}{
			{"huge header", "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 100<<10) + "\r\n\r\n", 431, "headers_too_large"},
			{"many headers", "GET /healthz HTTP/1.1\r\nHost: x\r\n" + strings.Repeat("X-A: b\r\n", 10000) + "\r\n", 431, "headers_too_large"},
			{"control character in a header", "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Bad: a\x01b\r\n\r\n", 400, "validation_error"},
			{"malformed request line", "GET /healthz\r\nHost: x\r\n\r\n", 400, "validation_error"},
			{"unknown transfer encoding", "POST /auth HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501, "not_implemented"},
			{"unknown expectation", "GET /healthz HTTP/1.1\r\nHost: x\r\nExpect: 100-whatever\r\n\r\n", 417, "validation_error"},
			{"OPTIONS *", "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", 405, "method_not_allowed"},
		}
		for _, tt := range tests {
			resp, body := rawRequest(t, env.srv, tt.request)
			if resp.StatusCode != tt.wantStatus || !strings.Contains(body, `"code":"`+tt.wantCode+`"`) || resp.Header.Get("Content-Type") != "application/json" {
				t.Errorf("%s: %d %q %s", tt.name, resp.StatusCode, resp.Header.Get("Content-Type"), body)
			}
		}
		// A large but sane header is fine.
		resp, _ := env.srv.Do(t, "GET", "/healthz", http.Header{"X-Big": {strings.Repeat("a", 16<<10)}}, nil)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("16 KiB header: %d", resp.StatusCode)
		}
	})
}

// TestResponseHygiene: API responses are never sniffed, and never cached but for the reference
// data's answers (the country list, the same for everyone: public, for a day), 401s say how to
// authenticate, the hosted page is not framed by other origins, and CORS answers only the
// configured origins.
func TestResponseHygiene(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, env *testEnv) {
		f := newFixture(t, env)
		for p, methods := range f.specPaths(t) {
			for _, m := range methods {
				resp, _ := env.srv.Do(t, m, p, f.tenant.headers("Idempotency-Key", "hygiene-"+m+p), nil)
				cache := "no-store"
				if strings.HasPrefix(p, "/v1/countries") && resp.StatusCode == http.StatusOK {
					cache = "public, max-age=86400"
				}
				if resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.Header.Get("Cache-Control") != cache {
					t.Errorf("%s %s: %d without nosniff or Cache-Control %q: %v", m, p, resp.StatusCode, cache, resp.Header)
				}
				if resp.Header.Get("Access-Control-Allow-Origin") != "" {
					t.Errorf("%s %s: CORS header without configured origins", m, p)
				}
			}
		}
		for _, tt := range []struct{ path, want string }{
			{"/v1/users", `Bearer realm="kira"`},
			{"/auth", `ApiKey realm="kira", header="x-api-key"`},
		} {
			method := "GET"
			if tt.path == "/auth" {
				method = "POST"
			}
			resp, _ := env.srv.Do(t, method, tt.path, http.Header{"X-Api-Key": {"wrong"}}, map[string]string{"client_id": "c", "password": "p"})
			if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") != tt.want {
				t.Errorf("%s %s: %d, WWW-Authenticate %q", method, tt.path, resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
			}
		}
		resp, _ := page(t, "GET", f.link, nil)
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'self'") || strings.Contains(csp, "frame-ancestors 'self' ") || resp.Header.Get("X-Frame-Options") != "SAMEORIGIN" {
			t.Errorf("hosted page framing: CSP %q, X-Frame-Options %q", csp, resp.Header.Get("X-Frame-Options"))
		}
	})
}

func TestCORSAndFramingWhenConfigured(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, env *testEnv) {
		f := newFixture(t, env)
		preflight := http.Header{"Origin": {"https://app.example"}, "Access-Control-Request-Method": {"POST"}, "Access-Control-Request-Headers": {"authorization, x-api-key, content-type"}}
		resp, _ := env.srv.Do(t, "OPTIONS", "/v1/users", preflight, nil)
		if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Origin") != "https://app.example" ||
			!strings.Contains(strings.ToLower(resp.Header.Get("Access-Control-Allow-Headers")), "x-api-key") {
			t.Errorf("preflight without credentials: %d %v", resp.StatusCode, resp.Header)
		}
		other := preflight.Clone()
		other.Set("Origin", "https://evil.example")
		if resp, _ := env.srv.Do(t, "OPTIONS", "/v1/users", other, nil); resp.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("preflight from another origin allowed: %v", resp.Header)
		}
		for _, p := range []string{"/v1/users", "/openapi.json", "/docs"} { // not a preflight: refused alike
			if resp, _ := env.srv.Do(t, "OPTIONS", p, http.Header{"Origin": {"https://app.example"}}, nil); resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") == "" {
				t.Errorf("OPTIONS %s without Access-Control-Request-Method: %d %v", p, resp.StatusCode, resp.Header)
			}
		}
		resp, _ = env.srv.Do(t, "GET", "/v1/users", f.tenant.headers("Origin", "https://app.example"), nil)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Access-Control-Allow-Origin") != "https://app.example" || !strings.Contains(resp.Header.Get("Access-Control-Expose-Headers"), "X-Request-Id") {
			t.Errorf("GET from an allowed origin: %d %v", resp.StatusCode, resp.Header)
		}
		resp, _ = page(t, "GET", f.link, nil)
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'self' https://portal.example") || resp.Header.Get("X-Frame-Options") != "" {
			t.Errorf("hosted page framing: CSP %q, X-Frame-Options %q", csp, resp.Header.Get("X-Frame-Options"))
		}
	}, func(o *app.Options) {
		o.CORSOrigins = []string{"https://app.example"}
		o.FrameAncestors = []string{"https://portal.example"}
	})
}

// TestAnswersBesideTheAPIInTheErrorSchema: the routes mounted beside the API (/docs, /metrics)
// refuse in the error schema too, a wrong method is 405 with Allow, and OPTIONS (no CORS
// configured) is refused like any other method not allowed, on every route.
func TestAnswersBesideTheAPIInTheErrorSchema(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, env *testEnv) {
		auth := env.tenant(t, "acme").headers()
		getHead := "GET, HEAD"
		tests := []struct {
			method, path string
			header       http.Header
			wantStatus   int
			wantCode     string
			wantAllow    string
		}{
			{"GET", "/docs/x", nil, 404, "not_found", ""},
			{"GET", "/docs/index.html", nil, 404, "not_found", ""},
			{"HEAD", "/docs/nothing.js", nil, 404, "", ""}, // no body
			{"GET", "/docs/redoc.standalone.js", http.Header{"Range": {"bytes=999999999-"}}, 416, "validation_error", ""},
			{"POST", "/docs", nil, 405, "method_not_allowed", getHead},
			{"PUT", "/docs", nil, 405, "method_not_allowed", getHead},
			{"DELETE", "/docs", nil, 405, "method_not_allowed", getHead},
			{"POST", "/docs/init.js", nil, 405, "method_not_allowed", getHead},
			{"POST", "/metrics", nil, 405, "method_not_allowed", getHead},
			{"PUT", "/metrics", nil, 405, "method_not_allowed", getHead},
			{"DELETE", "/metrics", nil, 405, "method_not_allowed", getHead},
			{"OPTIONS", "/docs", nil, 405, "method_not_allowed", getHead},
			{"OPTIONS", "/metrics", nil, 405, "method_not_allowed", getHead},
			{"OPTIONS", "/openapi.json", nil, 405, "method_not_allowed", getHead},
			{"OPTIONS", "/openapi.yaml", nil, 405, "method_not_allowed", getHead},
			{"OPTIONS", "/healthz", nil, 405, "method_not_allowed", getHead},
			{"OPTIONS", "/v1/users", auth, 405, "method_not_allowed", "GET, HEAD, POST"},
			{"OPTIONS", "/v1/users", nil, 405, "method_not_allowed", "GET, HEAD, POST"},
		}
		for _, tt := range tests {
			resp, raw := env.srv.Do(t, tt.method, tt.path, tt.header, nil)
			allow := strings.Split(resp.Header.Get("Allow"), ", ")
			sort.Strings(allow)
			wantBody := `"code":"` + tt.wantCode + `"`
			if tt.method == http.MethodHead {
				wantBody = ""
			}
			if resp.StatusCode != tt.wantStatus || resp.Header.Get("Content-Type") != "application/json" ||
				!strings.Contains(string(raw), wantBody) || strings.Join(allow, ", ") != tt.wantAllow {
				t.Errorf("%s %s: %d %q, Allow %q: %s", tt.method, tt.path, resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Allow"), raw)
			}
			if _, ok := resp.Header["Allow"]; ok != (tt.wantStatus == http.StatusMethodNotAllowed) {
				t.Errorf("%s %s: Allow %v on a %d", tt.method, tt.path, resp.Header["Allow"], resp.StatusCode)
			}
		}
	})
}
