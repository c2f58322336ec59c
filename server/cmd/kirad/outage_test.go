package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kiraapi/kira/server/apitest"
	"github.com/kiraapi/kira/server/secret"
	"github.com/kiraapi/kira/server/storetest"
)

// TestDatabaseOutageAnswers503 stops a PostgreSQL cluster of the test's own under a running kirad:
// every API call answers 503 service_unavailable with Retry-After (never 500), and once the
// database is back the same calls succeed with no restart, background work included.
func TestDatabaseOutageAnswers503(t *testing.T) {
	t.Parallel()
	cluster := storetest.StartCluster(t)
	creds := struct{ apiKey, clientID, password string }{"kira_sk_outage_test_key_0123456789", "outage-client", "outage-password"}
	kirad := startChild(t, []string{
		"KIRA_DATABASE_URL=" + cluster.URL, "KIRA_ENCRYPTION_KEY=" + secret.NewKey(), "KIRA_SANDBOX_DELAY=0",
		"KIRA_API_KEY=" + creds.apiKey, "KIRA_CLIENT_ID=" + creds.clientID, "KIRA_PASSWORD=" + creds.password,
	})
	srv := apitest.Remote(t, "http://"+kirad.addr)
	login := func() (*http.Response, []byte) {
		return srv.Do(t, "POST", "/auth", http.Header{"X-Api-Key": {creds.apiKey}},
			map[string]string{"client_id": creds.clientID, "password": creds.password})
	}
	resp, raw := login()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("login: %d %s", resp.StatusCode, raw)
	}
	var token struct {
		Data struct {
			AccessToken string `json:"access_token"`
		}
	}
	if err := json.Unmarshal(raw, &token); err != nil {
		t.Fatal(err)
	}
	auth := func(kv ...string) http.Header {
		h := http.Header{"Authorization": {"Bearer " + token.Data.AccessToken}, "X-Api-Key": {creds.apiKey}}
		for i := 0; i < len(kv); i += 2 {
			h.Set(kv[i], kv[i+1])
		}
		return h
	}
	user := func(email string) string {
		b, _ := json.Marshal(completeUser(email))
		return string(b)
	}
	resp, raw = srv.Do(t, "POST", "/v1/users", auth("Idempotency-Key", "before"), user("before@example.com"))
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create before the outage: %d %s", resp.StatusCode, raw)
	}
	var created struct{ ID string }
	if err := json.Unmarshal(raw, &created); err != nil {
		t.Fatal(err)
	}

	cluster.Stop(t)
	calls := []struct {
		name, method, path string
		header             http.Header
		body               any
	}{
		{"get user", "GET", "/v1/users/" + created.ID, auth(), nil},
		{"list users", "GET", "/v1/users?limit=5", auth(), nil},
		{"create user", "POST", "/v1/users", auth("Idempotency-Key", "during"), user("during@example.com")},
		{"update user", "PUT", "/v1/users/" + created.ID, auth(), `{"phone":"+14155550100"}`},
		{"list events", "GET", "/v1/events", auth(), nil},
		{"login", "POST", "/auth", http.Header{"X-Api-Key": {creds.apiKey}}, map[string]string{"client_id": creds.clientID, "password": creds.password}},
	}
	for _, call := range calls {
		resp, raw := srv.Do(t, call.method, call.path, call.header, call.body)
		var body struct{ Code string }
		_ = json.Unmarshal(raw, &body)
		if resp.StatusCode != http.StatusServiceUnavailable || body.Code != "service_unavailable" || resp.Header.Get("Retry-After") == "" {
			t.Errorf("%s during the outage: %d %s (Retry-After %q), want 503 service_unavailable with Retry-After",
				call.name, resp.StatusCode, raw, resp.Header.Get("Retry-After"))
		}
	}
	if resp, _ := srv.Do(t, "GET", "/readyz", nil, nil); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("readyz during the outage: %d", resp.StatusCode)
	}

	cluster.Start(t)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	for {
		if resp, _ := srv.Do(t, "GET", "/readyz", nil, nil); resp.StatusCode == http.StatusOK {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatal("kirad did not become ready after the database came back")
		case <-time.After(100 * time.Millisecond):
		}
	}
	// The create refused during the outage did nothing: its retry creates the user once.
	resp, raw = srv.Do(t, "POST", "/v1/users", auth("Idempotency-Key", "during"), user("during@example.com"))
	if resp.StatusCode != http.StatusCreated || resp.Header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("create after the outage: %d %s", resp.StatusCode, raw)
	}
	if err := json.Unmarshal(raw, &created); err != nil {
		t.Fatal(err)
	}
	// Background work resumed too: the new user's verification is decided.
	for {
		_, raw := srv.Do(t, "GET", "/v1/users/"+created.ID, auth(), nil)
		if strings.Contains(string(raw), `"status":"VERIFIED"`) {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the user created after the outage was not verified: %s", raw)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
