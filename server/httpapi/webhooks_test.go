package httpapi_test

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/kiraapi/kira/server/app"
	"github.com/kiraapi/kira/server/jobs"
)

type webhookEndpoint struct {
	ID                      string   `json:"id"`
	URL                     string   `json:"url"`
	Events                  []string `json:"events"`
	Description             string   `json:"description"`
	Status                  string   `json:"status"`
	Secret                  string   `json:"secret"`
	PreviousSecretExpiresAt string   `json:"previous_secret_expires_at"`
	CreatedAt               string   `json:"created_at"`
}

// received is a delivery a test receiver got.
type received struct {
	header http.Header
	body   []byte
}

// receiver is a webhook receiver on 127.0.0.1:0. It answers each delivery with the next of its
// statuses (200 once they run out) and reports it on got.
type receiver struct {
	url string
	got chan received
}

func newReceiver(t *testing.T, statuses ...int) *receiver {
	t.Helper()
	r := &receiver{got: make(chan received, 100)}
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, err := io.ReadAll(req.Body)
		if err != nil {
			t.Errorf("receiver: %v", err)
		}
		mu.Lock()
		status := http.StatusOK
		if len(statuses) > 0 {
			status, statuses = statuses[0], statuses[1:]
		}
		mu.Unlock()
		w.WriteHeader(status)
		r.got <- received{header: req.Header.Clone(), body: body}
	}))
	t.Cleanup(srv.Close)
	r.url = srv.URL + "/hooks/kira"
	return r
}

// next waits for the next delivery.
func (r *receiver) next(t *testing.T) received {
	t.Helper()
	select {
	case d := <-r.got:
		return d
	case <-time.After(10 * time.Second):
		t.Fatal("timed out waiting for a delivery")
	}
	return received{}
}

// deliveryJobs subscribes to the app's jobs; awaitSettled then waits on it for deliveries.
func (env *testEnv) deliveryJobs(t *testing.T, a *app.App) <-chan *river.Event {
	t.Helper()
	if a == nil {
		a = env.app
	}
	events, cancel := a.Subscribe(river.EventKindJobCompleted)
	t.Cleanup(cancel)
	return events
}

// awaitSettled waits until n delivery jobs have completed: their deliveries succeeded, were
// exhausted or were cancelled, and their attempts are recorded.
func awaitSettled(t *testing.T, events <-chan *river.Event, n int) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for n > 0 {
		select {
		case ev := <-events:
			if ev.Job.Kind == jobs.KindDeliverWebhook {
				n--
			}
		case <-timeout:
			t.Fatalf("timed out waiting for %d more deliveries to settle", n)
		}
	}
}

func (env *testEnv) createWebhook(t *testing.T, a *testTenant, body map[string]any) webhookEndpoint {
	t.Helper()
	resp, raw := env.srv.Do(t, "POST", "/v1/webhooks", a.headers(), body)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create webhook: %d %s", resp.StatusCode, raw)
	}
	return decode[webhookEndpoint](t, raw)
}

// createUser creates a user and returns its id.
func (env *testEnv) createUser(t *testing.T, a *testTenant, body string) string {
	t.Helper()
	resp, raw := env.srv.Do(t, "POST", "/v1/users", a.headers("Idempotency-Key", uuid.NewString()), body)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create user: %d %s", resp.StatusCode, raw)
	}
	return decode[user](t, raw).ID
}

// incompleteUser is a user who does not start verification: its only event is user.created.
func incompleteUser(email string) string {
	return `{"type":"individual","email":"` + email + `","first_name":"Ada"}`
}

func TestWebhookEndpoints(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, env *testEnv) {
		a, b := env.tenant(t, "acme"), env.tenant(t, "globex")
		all := env.createWebhook(t, a, map[string]any{"url": "http://127.0.0.1:9/all"})
		if !strings.HasPrefix(all.Secret, "whsec_") || len(all.Secret) != 50 || all.Status != "enabled" || all.PreviousSecretExpiresAt != "" ||
			!slices.Equal(all.Events, []string{"user.created", "user.verification.accepted", "user.verification.failed", "user.status_changed", "user.redacted"}) {
			t.Errorf("created: %+v", all)
		}
		env.clock.Advance(time.Second)
		some := env.createWebhook(t, a, map[string]any{"url": "https://localhost/some", "description": "CRM",
			"events": []string{"user.verification.failed", "user.verification.accepted"}})
		if some.Description != "CRM" || !slices.Equal(some.Events, []string{"user.verification.accepted", "user.verification.failed"}) {
			t.Errorf("created: %+v", some)
		}

		resp, raw := env.srv.Do(t, "GET", "/v1/webhooks", a.headers(), nil)
		list := decode[struct{ Data []webhookEndpoint }](t, raw)
		if resp.StatusCode != 200 || len(list.Data) != 2 || list.Data[0].ID != some.ID || list.Data[1].ID != all.ID || bytes.Contains(raw, []byte("whsec_")) {
			t.Errorf("list: %d %s", resp.StatusCode, raw)
		}
		resp, raw = env.srv.Do(t, "GET", "/v1/webhooks/"+all.ID, a.headers(), nil)
		if got := decode[webhookEndpoint](t, raw); resp.StatusCode != 200 || got.URL != all.URL || bytes.Contains(raw, []byte("whsec_")) {
			t.Errorf("get: %d %s", resp.StatusCode, raw)
		}

		// Another tenant sees none of it.
		for _, req := range [][2]string{{"GET", ""}, {"DELETE", ""}, {"POST", "/rotate-secret"}} {
			if resp, raw := env.srv.Do(t, req[0], "/v1/webhooks/"+all.ID+req[1], b.headers(), nil); resp.StatusCode != 404 {
				t.Errorf("%s by another tenant: %d %s", req[0], resp.StatusCode, raw)
			}
		}
		if _, raw := env.srv.Do(t, "GET", "/v1/webhooks", b.headers(), nil); len(decode[struct{ Data []webhookEndpoint }](t, raw).Data) != 0 {
			t.Errorf("another tenant's list: %s", raw)
		}

		resp, raw = env.srv.Do(t, "POST", "/v1/webhooks/"+all.ID+"/rotate-secret", a.headers(), nil)
		rotated := decode[webhookEndpoint](t, raw)
		if resp.StatusCode != 200 || !strings.HasPrefix(rotated.Secret, "whsec_") || rotated.Secret == all.Secret ||
			rotated.PreviousSecretExpiresAt != "2026-11-26T20:00:01.000Z" {
			t.Errorf("rotate: %d %s", resp.StatusCode, raw)
		}

		if resp, raw := env.srv.Do(t, "DELETE", "/v1/webhooks/"+all.ID, a.headers(), nil); resp.StatusCode != 204 {
			t.Errorf("delete: %d %s", resp.StatusCode, raw)
		}
		for _, method := range []string{"GET", "DELETE"} {
			if resp, _ := env.srv.Do(t, method, "/v1/webhooks/"+all.ID, a.headers(), nil); resp.StatusCode != 404 {
				t.Errorf("%s after delete: %d", method, resp.StatusCode)
			}
		}
	})
}

// TestWebhookEndpointCap: a tenant registers at most 100 endpoints, which the list shows all of;
// one more is a conflict naming the limit, until one is deleted. Other tenants are not counted.
func TestWebhookEndpointCap(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, env *testEnv) {
		a, b := env.tenant(t, "acme"), env.tenant(t, "globex")
		env.createWebhook(t, b, map[string]any{"url": "https://localhost/b"})
		var last webhookEndpoint
		for i := range 100 {
			last = env.createWebhook(t, a, map[string]any{"url": fmt.Sprintf("https://localhost/%d", i)})
		}
		resp, raw := env.srv.Do(t, "POST", "/v1/webhooks", a.headers(), map[string]any{"url": "https://localhost/101"})
		if e := decode[errorBody](t, raw); resp.StatusCode != http.StatusConflict || e.Code != "conflict" || !strings.Contains(e.Message, "at most 100") {
			t.Errorf("101st endpoint: %d %s", resp.StatusCode, raw)
		}
		if _, raw := env.srv.Do(t, "GET", "/v1/webhooks", a.headers(), nil); len(decode[struct{ Data []webhookEndpoint }](t, raw).Data) != 100 {
			t.Errorf("the list does not show the 100 endpoints")
		}
		if resp, raw := env.srv.Do(t, "DELETE", "/v1/webhooks/"+last.ID, a.headers(), nil); resp.StatusCode != http.StatusNoContent {
			t.Fatalf("delete: %d %s", resp.StatusCode, raw)
		}
		env.createWebhook(t, a, map[string]any{"url": "https://localhost/again"})
	})
}

// TestWebhookURLRules registers endpoints in production mode: https only, and never to a private,
// loopback or link-local address. The error names the field and never repeats the URL.
func TestWebhookURLRules(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, env *testEnv) {
		a := env.tenant(t, "acme")
		refused := []string{
			"http://93.184.216.34/hook", "https://127.0.0.1/hook", "https://localhost:8443/hook", "https://[::1]/hook",
			"https://10.0.0.7/hook", "https://192.168.1.20/hook", "https://169.254.169.254/latest/meta-data",
			"https://[fe80::1]/hook", "ftp://93.184.216.34/hook", "https://user:pw@93.184.216.34/hook",
		}
		for _, url := range refused {
			resp, raw := env.srv.Do(t, "POST", "/v1/webhooks", a.headers(), map[string]any{"url": url})
			e := decode[errorBody](t, raw)
			if resp.StatusCode != 400 || e.Code != "validation_error" || len(e.Errors) != 1 || e.Errors[0].Field != "url" {
				t.Errorf("%s: %d %s", url, resp.StatusCode, raw)
			}
			if host := strings.Split(strings.SplitN(url, "://", 2)[1], "/")[0]; strings.Contains(string(raw), host) {
				t.Errorf("%s: the error repeats the URL: %s", url, raw)
			}
		}
		if got := env.createWebhook(t, a, map[string]any{"url": "https://93.184.216.34/hooks/kira"}); got.Status != "enabled" {
			t.Errorf("a public https URL: %+v", got)
		}
	}, func(o *app.Options) { o.Sandbox = false })
}

// TestWebhookSecretsNeverStored registers and rotates an endpoint, lets a delivery be signed with
// both secrets, then finds neither secret in the raw database or the logs, nor the payload's
// personal data in the logs.
func TestWebhookSecretsNeverStored(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, env *testEnv) {
		a := env.tenant(t, "acme")
		r := newReceiver(t)
		created := env.createWebhook(t, a, map[string]any{"url": r.url, "events": []string{"user.created"}})
		_, raw := env.srv.Do(t, "POST", "/v1/webhooks/"+created.ID+"/rotate-secret", a.headers(), nil)
		rotated := decode[webhookEndpoint](t, raw)
		env.createUser(t, a, incompleteUser("grace.hopper@navy.example"))
		if sigs := strings.Fields(r.next(t).header.Get("webhook-signature")); len(sigs) != 2 {
			t.Fatalf("signatures: %v", sigs)
		}

		env.stopWorkers()
		logs := env.logs.String()
		contents, err := env.inspect.RawContents(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(contents, []byte(r.url)) {
			t.Fatal("the raw contents do not show the endpoint: the test would prove nothing")
		}
		for _, secret := range []string{created.Secret, rotated.Secret} {
			key := strings.TrimPrefix(secret, "whsec_")
			for _, s := range []string{secret, key, hex.EncodeToString([]byte(secret))} {
				if bytes.Contains(contents, []byte(s)) {
					t.Errorf("the database holds a webhook secret in the clear")
				}
				if strings.Contains(logs, s) {
					t.Errorf("the logs hold a webhook secret")
				}
			}
		}
		if strings.Contains(logs, "grace.hopper") {
			t.Error("the logs hold the delivered payload's email")
		}
		if !strings.Contains(logs, `"msg":"webhook delivered"`) {
			t.Errorf("no delivery log line was captured: %.300s", logs)
		}
	})
}
