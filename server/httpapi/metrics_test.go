package httpapi_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// TestMetrics creates a user whom the sandbox verifies, with a webhook endpoint for its events,
// replays the create and reuses its key for another body, then reads /metrics: every family is
// there, labelled by operation id and outcome, and no user id or email address is.
func TestMetrics(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, env *testEnv) {
		a := env.tenant(t, "acme")
		r := newReceiver(t)
		env.createWebhook(t, a, map[string]any{"url": r.url, "events": []string{"user.created", "user.verification.accepted"}})
		settled := env.deliveryJobs(t, nil)
		key := uuid.NewString()
		resp, raw := env.srv.Do(t, "POST", "/v1/users", a.headers("Idempotency-Key", key), seedUser)
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("create user: %d %s", resp.StatusCode, raw)
		}
		userID := decode[user](t, raw).ID
		if resp, raw := env.srv.Do(t, "POST", "/v1/users", a.headers("Idempotency-Key", key), seedUser); resp.StatusCode != http.StatusCreated {
			t.Fatalf("replay: %d %s", resp.StatusCode, raw)
		}
		if resp, raw := env.srv.Do(t, "POST", "/v1/users", a.headers("Idempotency-Key", key), incompleteUser("ada@example.com")); resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("reused key: %d %s", resp.StatusCode, raw)
		}
		r.next(t)
		r.next(t)
		awaitSettled(t, settled, 2)
		if resp, _ := page(t, http.MethodGet, env.srv.URL+"/verify/"+uuid.NewString()+"?token=nope", nil); resp.StatusCode != http.StatusNotFound {
			t.Errorf("hosted page of no session: %d", resp.StatusCode)
		}

		resp, err := http.Get(env.srv.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /metrics: %d %v", resp.StatusCode, err)
		}
		text := string(body)
		for _, want := range []string{
			`kira_http_request_duration_seconds_count{method="POST",operation="createUser",status_class="2xx"} 2`,
			`kira_http_request_duration_seconds_count{method="POST",operation="createUser",status_class="4xx"} 1`,
			`kira_http_request_duration_seconds_count{method="POST",operation="authenticate",status_class="2xx"} 1`,
			`kira_http_request_duration_seconds_count{method="GET",operation="hostedVerificationPage",status_class="4xx"} 1`,
			`kira_verification_duration_seconds_count{outcome="VERIFIED"} 1`,
			`kira_webhook_attempt_duration_seconds_count{result="success"} 2`,
			`kira_webhook_delivery_attempts_count{outcome="succeeded"} 2`,
			`kira_idempotency_total{outcome="replay"} 1`,
			`kira_idempotency_total{outcome="conflict"} 1`,
			`kira_jobs{kind="verify_user",state="available"} 0`,
			`kira_job_oldest_age_seconds{kind="deliver_webhook"} 0`,
			`kira_db_connections{pool=`,
			`kira_db_max_connections{pool=`,
			`go_goroutines`,
		} {
			if !strings.Contains(text, want) {
				t.Errorf("/metrics lacks %s", want)
			}
		}
		for _, pii := range []string{userID, a.id, "john.doe", "example.com", r.url} {
			if strings.Contains(text, pii) {
				t.Errorf("/metrics shows %q", pii)
			}
		}
		// One line per decision and per delivered event, with ids and no personal data.
		logs := env.logs.String()
		if n := strings.Count(logs, `"msg":"verification decided"`); n != 1 || !strings.Contains(logs, `"outcome":"VERIFIED"`) {
			t.Errorf("%d decision lines in %s", n, logs)
		}
		if n := strings.Count(logs, `"msg":"webhook delivered"`); n != 2 {
			t.Errorf("%d delivery lines", n)
		}
		for _, pii := range []string{"john.doe", "123-45-6789", "AB1234567", "1990-01-15"} {
			if strings.Contains(logs, pii) {
				t.Errorf("the logs show %q", pii)
			}
		}
	})
}
