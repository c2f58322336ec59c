package httpapi_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
)

// TestLoginThrottle: failed logins are throttled per API key and per API key and client id,
// with 429 and Retry-After, and no tenant can lock out another.
func TestLoginThrottle(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, env *testEnv) {
		a, b, c := env.tenant(t, "acme"), env.tenant(t, "globex"), env.tenant(t, "initech")
		login := func(apiKey, clientID, password string) *http.Response {
			t.Helper()
			resp, _ := env.srv.Do(t, "POST", "/auth", http.Header{"X-Api-Key": {apiKey}}, map[string]string{"client_id": clientID, "password": password})
			return resp
		}
		expect := func(what string, resp *http.Response, status int) {
			t.Helper()
			if resp.StatusCode != status {
				t.Fatalf("%s: %d, want %d", what, resp.StatusCode, status)
			}
			if status == http.StatusTooManyRequests && resp.Header.Get("Retry-After") != "60" {
				t.Errorf("%s: Retry-After %q", what, resp.Header.Get("Retry-After"))
			}
		}

		// Tenant B hammers tenant A's client id with its own API key: B is throttled, A is not.
		for i := range 10 {
			expect("B guessing A's password", login(b.creds.APIKey, a.creds.ClientID, "guess"+string(rune('a'+i))), http.StatusUnauthorized)
		}
		expect("B guessing again", login(b.creds.APIKey, a.creds.ClientID, "guess"), http.StatusTooManyRequests)
		expect("A after B's attempts", login(a.creds.APIKey, a.creds.ClientID, a.creds.Password), http.StatusOK)
		// Someone without any key cannot lock A out either.
		for range 20 {
			login("kira_sk_made_up", a.creds.ClientID, "guess")
		}
		expect("A after made-up keys", login(a.creds.APIKey, a.creds.ClientID, a.creds.Password), http.StatusOK)

		// Wrong passwords with A's own key and client id: 10 answered, then 429, even for the
		// right password, until a minute has passed.
		for range 10 {
			expect("wrong password", login(a.creds.APIKey, a.creds.ClientID, "wrong"), http.StatusUnauthorized)
		}
		for range 190 {
			expect("wrong password after 10", login(a.creds.APIKey, a.creds.ClientID, "wrong"), http.StatusTooManyRequests)
		}
		expect("right password while throttled", login(a.creds.APIKey, a.creds.ClientID, a.creds.Password), http.StatusTooManyRequests)
		env.clock.Advance(time.Minute)
		expect("right password a minute later", login(a.creds.APIKey, a.creds.ClientID, a.creds.Password), http.StatusOK)
		expect("B's own login meanwhile", login(b.creds.APIKey, b.creds.ClientID, b.creds.Password), http.StatusOK)

		// Per API key: new client ids each time do not escape the key's budget.
		for range 10 {
			expect("C with made-up client ids", login(c.creds.APIKey, uuid.NewString(), "x"), http.StatusUnauthorized)
		}
		expect("C with yet another client id", login(c.creds.APIKey, uuid.NewString(), "x"), http.StatusTooManyRequests)

		// Successful logins spend nothing.
		env.clock.Advance(time.Hour)
		for range 30 {
			expect("repeated good login", login(c.creds.APIKey, c.creds.ClientID, c.creds.Password), http.StatusOK)
		}
	})
}
