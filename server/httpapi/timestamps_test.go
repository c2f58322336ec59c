package httpapi_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// oneTimestamp is the API's one timestamp format: RFC 3339, UTC, milliseconds.
var oneTimestamp = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$`)

// timestamps collects every member named *_at in a JSON document, with its path.
func timestamps(t *testing.T, raw []byte) map[string]string {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	out := map[string]string{}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				if s, ok := e.(string); ok && strings.HasSuffix(k, "_at") {
					out[path+"/"+k] = s
				}
				walk(path+"/"+k, e)
			}
		case []any:
			for _, e := range v {
				walk(path+"/*", e)
			}
		}
	}
	walk("", v)
	return out
}

// TestOneTimestampFormat: API responses, webhook payloads and reasons write every timestamp the
// same way, whatever the clock's precision and the backend's.
func TestOneTimestampFormat(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, env *testEnv) {
		env.clock.Advance(123_456_789 * time.Nanosecond)
		a := env.tenant(t, "acme")
		r := newReceiver(t)
		wh := env.createWebhook(t, a, map[string]any{"url": r.url})
		_, rotated := env.srv.Do(t, "POST", "/v1/webhooks/"+wh.ID+"/rotate-secret", a.headers(), nil)
		env.clock.Advance(7 * time.Microsecond)
		rejected := env.createAndSettle(t, a, "ts-1", withSSN("111-11-1111"))
		env.clock.Advance(100 * time.Millisecond)
		review := env.createAndSettle(t, a, "ts-2", strings.Replace(withSSN("222-22-2222"), "john.doe", "jane.doe", 1))
		env.clock.Advance(time.Second)
		env.srv.Do(t, "POST", "/v1/sandbox/users/"+review.ID+"/review", a.headers(), map[string]any{"decision": "reject", "reason": "Document expired"})
		_, raw := env.srv.Do(t, "POST", "/v1/users/"+rejected.ID+"/verifications", a.headers("Idempotency-Key", "ts-3"),
			map[string]string{"type": "embedded-link", "redirect_uri": "https://yourapp.example/done"})
		docs := map[string][]byte{"session": raw, "rotated": rotated}
		_, events := env.srv.Do(t, "GET", "/v1/events?limit=100", a.headers(), nil)
		docs["events"] = events
		var list struct {
			Data []struct {
				ID string `json:"id"`
			} `json:"data"`
		}
		if err := json.Unmarshal(events, &list); err != nil || len(list.Data) < 5 {
			t.Fatalf("events: %s", events)
		}
		for _, e := range list.Data {
			_, docs["event "+e.ID] = env.srv.Do(t, "GET", "/v1/events/"+e.ID, a.headers(), nil)
		}
		for _, p := range []string{"/v1/users", "/v1/users/" + rejected.ID, "/v1/users/" + review.ID, "/v1/users/" + rejected.ID + "/verifications", "/v1/webhooks", "/v1/webhooks/" + wh.ID} {
			resp, raw := env.srv.Do(t, "GET", p, a.headers(), nil)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET %s: %d %s", p, resp.StatusCode, raw)
			}
			docs[p] = raw
		}
		for i := range 4 {
			docs["delivery "+string(rune('0'+i))] = r.next(t).body
		}
		seen := map[string]bool{}
		for name, raw := range docs {
			for path, ts := range timestamps(t, raw) {
				seen[path[strings.LastIndexByte(path, '/')+1:]] = true
				if !oneTimestamp.MatchString(ts) {
					t.Errorf("%s %s = %q, not RFC 3339 UTC with milliseconds", name, path, ts)
				}
			}
		}
		for _, want := range []string{"created_at", "updated_at", "expires_at", "attempted_at", "previous_secret_expires_at"} {
			if !seen[want] {
				t.Errorf("no %s was checked", want)
			}
		}
	})
}
