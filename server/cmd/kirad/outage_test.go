package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/kiraapi/kira/server/storetest"
)

// TestDatabaseOutageAnswers503 stops a PostgreSQL cluster of the test's own under a running kirad:
// every API call answers 503 service_unavailable with Retry-After (never 500), and once the
// database is back the same process serves again, background work included, with no restart.
func TestDatabaseOutageAnswers503(t *testing.T) {
	t.Parallel()
	cluster := storetest.StartCluster(t)
	k := newKirads(t, cluster.URL, "KIRA_SANDBOX_DELAY=0")
	p := k.start()
	user := func(email string) []byte {
		b, _ := json.Marshal(completeUser(email))
		return b
	}
	resp, raw, err := p.send(t.Context(), "POST", "/v1/users", user("before@example.com"), "Idempotency-Key", "before")
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("create before the outage: %s %v", raw, err)
	}
	var created struct{ ID string }
	if err := json.Unmarshal(raw, &created); err != nil {
		t.Fatal(err)
	}

	cluster.Stop(t)
	loginBody, _ := json.Marshal(k.login)
	calls := []struct {
		name, method, path string
		body               []byte
		kv                 []string
	}{
		{"get user", "GET", "/v1/users/" + created.ID, nil, nil},
		{"list users", "GET", "/v1/users?limit=5", nil, nil},
		{"create user", "POST", "/v1/users", user("during@example.com"), []string{"Idempotency-Key", "during"}},
		{"update user", "PUT", "/v1/users/" + created.ID, []byte(`{"phone":"+14155550100"}`), nil},
		{"list events", "GET", "/v1/events", nil, nil},
		{"login", "POST", "/auth", loginBody, []string{"Authorization", ""}},
	}
	for _, call := range calls {
		resp, raw, err := p.send(t.Context(), call.method, call.path, call.body, call.kv...)
		if err != nil {
			t.Fatalf("%s during the outage: %v", call.name, err)
		}
		var body struct{ Code string }
		_ = json.Unmarshal(raw, &body)
		if resp.StatusCode != http.StatusServiceUnavailable || body.Code != "service_unavailable" || resp.Header.Get("Retry-After") == "" {
			t.Errorf("%s during the outage: %d %s (Retry-After %q), want 503 service_unavailable with Retry-After",
				call.name, resp.StatusCode, raw, resp.Header.Get("Retry-After"))
		}
	}
	if resp, _ := p.srv.Do(t, "GET", "/readyz", nil, nil); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("readyz during the outage: %d", resp.StatusCode)
	}

	cluster.Start(t)
	until(t, "ready again after the database came back", func() bool {
		resp, _, err := p.send(t.Context(), "GET", "/readyz", nil)
		return err == nil && resp.StatusCode == http.StatusOK
	})
	// The create refused during the outage did nothing: its retry creates the user, once.
	resp, raw, err = p.send(t.Context(), "POST", "/v1/users", user("during@example.com"), "Idempotency-Key", "during")
	if err != nil || resp.StatusCode != http.StatusCreated || resp.Header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("create after the outage: %s %v, want a first 201", raw, err)
	}
	if err := json.Unmarshal(raw, &created); err != nil {
		t.Fatal(err)
	}
	until(t, "the user created after the outage verified", func() bool {
		_, raw, err := p.send(t.Context(), "GET", "/v1/users/"+created.ID, nil)
		return err == nil && strings.Contains(string(raw), `"status":"VERIFIED"`)
	})
}
