package httpapi

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestFrontRoutes: a request goes to the mounted handler whose pattern it matches and otherwise
// to the API, whether or not a wildcard first segment makes every request ask the mux.
func TestFrontRoutes(t *testing.T) {
	named := func(name string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Header().Set("X-Handler", name) })
	}
	for _, tt := range []struct {
		mount   []string
		path    string
		want    string
		asksMux bool
	}{
		{[]string{"GET /docs", "GET /docs/", "/verify/{id}"}, "/v1/users", "api", false},
		{[]string{"GET /docs", "GET /docs/", "/verify/{id}"}, "/docs", "GET /docs", false},
		{[]string{"GET /docs", "GET /docs/", "/verify/{id}"}, "/docs/x", "GET /docs/", false},
		{[]string{"GET /docs", "GET /docs/", "/verify/{id}"}, "/verify/abc", "/verify/{id}", false},
		{[]string{"GET /docs", "GET /docs/", "/verify/{id}"}, "/verify", "api", false},
		{[]string{"GET /docs", "GET /{tenant}/hooks"}, "/acme/hooks", "GET /{tenant}/hooks", true},
		{[]string{"GET /docs", "GET /{tenant}/hooks"}, "/v1/users", "api", true},
		{[]string{"GET /docs", "GET example.com/x"}, "/x", "GET example.com/x", true},
		{[]string{"/docs", "/"}, "/v1/users", "/", true},
	} {
		mount := map[string]http.Handler{}
		for _, p := range tt.mount {
			mount[p] = named(p)
		}
		f := newFront(named("api"), mount)
		if asks := f.mounted == nil; asks != tt.asksMux {
			t.Errorf("%v: every request asks the mux: %t, want %t", tt.mount, asks, tt.asksMux)
		}
		w := httptest.NewRecorder()
		f.ServeHTTP(w, httptest.NewRequest(http.MethodGet, tt.path, nil))
		if got := w.Header().Get("X-Handler"); got != tt.want {
			t.Errorf("%v: GET %s went to %q, want %q", tt.mount, tt.path, got, tt.want)
		}
	}
}
