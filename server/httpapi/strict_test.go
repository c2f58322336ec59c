package httpapi_test

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

// TestNothingSilentlyIgnored: every 400 names what is wrong, and what the operation does not
// take is refused rather than ignored.
func TestNothingSilentlyIgnored(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, env *testEnv) {
		f := newFixture(t, env)
		h := f.tenant.headers()
		twoKeys := f.tenant.headers()
		twoKeys["Idempotency-Key"] = []string{"k-1", "k-2"}
		foreignCursor := base64.RawURLEncoding.EncodeToString([]byte(time.Now().UTC().Format(time.RFC3339Nano) + "|not-an-id"))
		var junk strings.Builder
		for i := range 1000 { // 2,000 parameters in 26 KB: more would pass the header cap
			if i > 0 {
				junk.WriteByte('&')
			}
			junk.WriteString("junk")
			junk.WriteString(strings.Repeat("x", i%7))
			junk.WriteString("=1&zz")
			junk.WriteString(uuid.NewString()[:8])
			junk.WriteString("=2")
		}
		tests := []struct {
			name, method, path string
			header             http.Header
			body               any
			wantFields         []string
		}{
			{"repeated limit", "GET", "/v1/users?limit=5&limit=7", h, nil, []string{"limit"}},
			{"repeated status", "GET", "/v1/users?status=VERIFIED&status=REJECTED", h, nil, []string{"status"}},
			{"repeated event filter", "GET", "/v1/events?limit=1&limit=2", h, nil, []string{"limit"}},
			{"unknown parameter", "GET", "/v1/users?offset=5", h, nil, []string{"offset"}},
			{"unknown parameters everywhere", "GET", "/v1/webhooks?page=2&sort=asc", h, nil, []string{"page", "sort"}},
			{"unknown parameter on a health probe", "GET", "/healthz?verbose=1", nil, nil, []string{"verbose"}},
			{"junk parameters", "GET", "/v1/users?" + junk.String(), h, nil, []string{"junk"}},
			{"unparsable query", "GET", "/v1/users?limit=%zz", h, nil, []string{"query"}},
			{"repeated header parameter", "POST", "/v1/users", twoKeys, minimalUser, []string{"Idempotency-Key"}},
			{"body to redeliver", "POST", "/v1/events/" + f.params["eventId"] + "/redeliver", h, `{"force":true}`, []string{"body"}},
			{"body to rotate-secret", "POST", "/v1/webhooks/" + f.params["webhookId"] + "/rotate-secret", h, `{}`, []string{"body"}},
			{"body to delete", "DELETE", "/v1/webhooks/" + f.params["webhookId"], h, `{"really":true}`, []string{"body"}},
			{"body to a GET", "GET", "/v1/users/" + f.params["userId"], h, `x`, []string{"body"}},
			{"malformed cursor", "GET", "/v1/users?cursor=nonsense", h, nil, []string{"cursor"}},
			{"cursor of no item", "GET", "/v1/users?cursor=" + foreignCursor, h, nil, []string{"cursor"}},
			{"malformed events cursor", "GET", "/v1/events?cursor=" + foreignCursor, h, nil, []string{"cursor"}},
		}
		for _, tt := range tests {
			resp, raw := env.srv.Do(t, tt.method, tt.path, tt.header, tt.body)
			got := decode[errorBody](t, raw)
			fields := map[string]bool{}
			for _, e := range got.Errors {
				fields[e.Field] = true
			}
			if resp.StatusCode != http.StatusBadRequest || got.Code != "validation_error" || len(got.Errors) > 100 {
				t.Errorf("%s: %d %s (%d errors)", tt.name, resp.StatusCode, got.Code, len(got.Errors))
				continue
			}
			for _, want := range tt.wantFields {
				if !fields[want] {
					t.Errorf("%s: no error for %q in %.500s", tt.name, want, raw)
				}
			}
		}
		// A chunked body, whose length is not announced, is seen all the same.
		req, err := http.NewRequest("POST", env.srv.URL+"/v1/events/"+f.params["eventId"]+"/redeliver", strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		req.Header = f.tenant.headers()
		req.ContentLength = -1
		resp, err := env.srv.Client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("chunked body to redeliver: %d", resp.StatusCode)
		}
	})
}
