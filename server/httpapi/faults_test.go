package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/kiraapi/kira/server/storetest"
)

// TestFailureAtEachWriteStepMakesOneUser makes the database fail at each step of a create's write
// path in turn (the idempotency key's claim, the user, its events, its verification job, the
// status change, the stored response, the commit), then retries the request with the same key:
// every key ends with exactly one user, and a retry never replays a response whose work did not
// commit.
func TestFailureAtEachWriteStepMakesOneUser(t *testing.T) {
	t.Parallel()
	steps := []struct {
		name  string
		fault storetest.Fault
	}{
		{"claim of the key", storetest.Fault{Table: "idempotency_keys", Op: "INSERT"}},
		{"user", storetest.Fault{Table: "users", Op: "INSERT"}},
		{"user.created event", storetest.Fault{Table: "events", Op: "INSERT", When: "NEW.type = 'user.created'"}},
		{"user.status_changed event", storetest.Fault{Table: "events", Op: "INSERT", When: "NEW.type = 'user.status_changed'"}},
		{"verification job", storetest.Fault{Table: "river_job", Op: "INSERT", When: "NEW.kind = 'verify_user'"}},
		{"status change", storetest.Fault{Table: "users", Op: "UPDATE"}},
		{"stored response", storetest.Fault{Table: "idempotency_keys", Op: "UPDATE"}},
		{"commit", storetest.Fault{Table: "users", Op: "INSERT", AtCommit: true}},
	}
	forEachBackend(t, func(t *testing.T, env *testEnv) {
		a := env.tenant(t, "acme")
		for _, step := range steps {
			t.Run(step.name, func(t *testing.T) {
				remove, err := env.inspect.InjectFault(t.Context(), step.fault)
				if err != nil {
					t.Fatal(err)
				}
				email := strings.ReplaceAll(step.name, " ", "-") + "@example.com"
				body := strings.Replace(seedUser, "john.doe@example.com", email, 1)
				key := a.headers("Idempotency-Key", "fault-"+email)

				resp, raw := env.srv.Do(t, "POST", "/v1/users", key, body)
				if resp.StatusCode != http.StatusInternalServerError {
					t.Errorf("with the fault: %d %s, want 500", resp.StatusCode, raw)
				}
				if n := countUsers(t, env, a, email); n != 0 {
					t.Fatalf("%d users after the failed request, want none", n)
				}
				if err := remove(); err != nil {
					t.Fatal(err)
				}

				first, raw1 := env.srv.Do(t, "POST", "/v1/users", key, body)
				again, raw2 := env.srv.Do(t, "POST", "/v1/users", key, body)
				if first.StatusCode != http.StatusCreated || first.Header.Get("Idempotent-Replayed") != "" {
					t.Fatalf("retry: %d %s, want a first 201", first.StatusCode, raw1)
				}
				if again.StatusCode != http.StatusCreated || again.Header.Get("Idempotent-Replayed") != "true" ||
					string(raw2) != string(raw1) || again.Header.Get("Location") != first.Header.Get("Location") {
					t.Errorf("second retry: %d %s (Location %q), want the first response replayed",
						again.StatusCode, raw2, again.Header.Get("Location"))
				}
				if n := countUsers(t, env, a, email); n != 1 {
					t.Errorf("%d users for one key, want 1", n)
				}
			})
		}
	})
}

// countUsers counts the tenant's users with email.
func countUsers(t *testing.T, env *testEnv, tt *testTenant, email string) int {
	t.Helper()
	resp, raw := env.srv.Do(t, "GET", "/v1/users?limit=100&email="+email, tt.headers(), nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("list: %d %s", resp.StatusCode, raw)
	}
	var page struct{ Data []json.RawMessage }
	if err := json.Unmarshal(raw, &page); err != nil {
		t.Fatal(err)
	}
	return len(page.Data)
}
