package httpapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kiraapi/kira/client/webhook"
	"github.com/kiraapi/kira/server/app"
)

type eventDetail struct {
	ID         string          `json:"id"`
	Type       string          `json:"type"`
	UserID     string          `json:"user_id"`
	Payload    json.RawMessage `json:"payload"`
	Deliveries []struct {
		ID            string `json:"id"`
		EndpointID    string `json:"endpoint_id"`
		Status        string `json:"status"`
		NextAttemptAt string `json:"next_attempt_at"`
		Attempts      []struct {
			Attempt         int    `json:"attempt"`
			AttemptedAt     string `json:"attempted_at"`
			StatusCode      int    `json:"status_code"`
			LatencyMS       *int64 `json:"latency_ms"`
			Error           string `json:"error"`
			ResponseExcerpt string `json:"response_excerpt"`
		} `json:"attempts"`
	} `json:"deliveries"`
}

func (env *testEnv) event(t *testing.T, a *testTenant, id string) eventDetail {
	t.Helper()
	resp, raw := env.srv.Do(t, "GET", "/v1/events/"+id, a.headers(), nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("get event: %d %s", resp.StatusCode, raw)
	}
	return decode[eventDetail](t, raw)
}

// retryFast makes the retry schedule short enough for tests: 3 attempts, 10ms apart.
func retryFast(o *app.Options) {
	o.RetrySchedule = []time.Duration{10 * time.Millisecond, 10 * time.Millisecond}
}

// verify checks a delivery with both signatures and decodes it; it returns the event type and id.
func verify(t *testing.T, env *testEnv, d received, secrets ...string) (string, string) {
	t.Helper()
	v := webhook.Verifier{Secrets: secrets, Now: env.clock.Now}
	ev, err := v.Verify(d.header, d.body)
	if err != nil {
		t.Fatalf("Verify: %v (%s)", err, d.body)
	}
	if !webhook.VerifySHA256(secrets[0], d.body, d.header.Get("x-signature-sha256")) {
		t.Error("x-signature-sha256 does not verify")
	}
	kind, err := ev.Discriminator()
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		Data struct {
			EventID string `json:"event_id"`
		} `json:"data"`
	}
	if err := json.Unmarshal(d.body, &p); err != nil || p.Data.EventID != d.header.Get("webhook-id") {
		t.Errorf("webhook-id %q is not data.event_id in %s", d.header.Get("webhook-id"), d.body)
	}
	if d.header.Get("Content-Type") != "application/json" || !strings.HasPrefix(d.header.Get("User-Agent"), "Kira-Webhooks/") {
		t.Errorf("headers: %v", d.header)
	}
	return kind, p.Data.EventID
}

// TestWebhooksDeliverUserEvents registers a receiver for user.created and
// user.verification.accepted, creates a user whom the sandbox verifies, and checks both
// deliveries with the secret, as a receiver would.
func TestWebhooksDeliverUserEvents(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, env *testEnv) {
		a := env.tenant(t, "acme")
		r := newReceiver(t)
		endpoint := env.createWebhook(t, a, map[string]any{"url": r.url, "events": []string{"user.created", "user.verification.accepted"}})
		settled := env.deliveryJobs(t, nil)
		userID := env.createUser(t, a, seedUser)

		got := map[string]string{}
		for range 2 {
			d := r.next(t)
			kind, eventID := verify(t, env, d, endpoint.Secret)
			got[kind] = eventID
			if !strings.Contains(string(d.body), userID) {
				t.Errorf("%s is not about the user: %s", kind, d.body)
			}
		}
		if len(got) != 2 || got["user.created"] == "" || got["user.verification.accepted"] == "" {
			t.Fatalf("delivered %v", got)
		}
		awaitSettled(t, settled, 2)
		if len(r.got) != 0 {
			t.Errorf("an event the endpoint did not subscribe to was delivered: %s", (<-r.got).body)
		}
		ev := env.event(t, a, got["user.verification.accepted"])
		if ev.Type != "user.verification.accepted" || ev.UserID != userID || len(ev.Deliveries) != 1 {
			t.Fatalf("event: %+v", ev)
		}
		d := ev.Deliveries[0]
		if d.EndpointID != endpoint.ID || d.Status != "succeeded" || d.NextAttemptAt != "" || len(d.Attempts) != 1 ||
			d.Attempts[0].StatusCode != 200 || d.Attempts[0].Error != "" || d.Attempts[0].LatencyMS == nil {
			t.Errorf("delivery: %+v", d)
		}
	})
}

// TestWebhookDeliveryOutcomes answers deliveries with a sequence of statuses and checks what the
// events API shows: every attempt, and the delivery's final status.
func TestWebhookDeliveryOutcomes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		statuses     []int
		wantCodes    []int
		wantStatus   string
		wantEndpoint string
	}{
		{"succeeds on the third attempt", []int{500, 500, 200}, []int{500, 500, 200}, "succeeded", "enabled"},
		{"exhausted after the last attempt", []int{500, 502, 503}, []int{500, 502, 503}, "exhausted", "enabled"},
		{"410 disables the endpoint", []int{410}, []int{410}, "canceled", "disabled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			forEachBackend(t, func(t *testing.T, env *testEnv) {
				a := env.tenant(t, "acme")
				r := newReceiver(t, tt.statuses...)
				endpoint := env.createWebhook(t, a, map[string]any{"url": r.url, "events": []string{"user.created"}})
				settled := env.deliveryJobs(t, nil)
				env.createUser(t, a, incompleteUser("ada@example.com"))

				var ids []string
				for range tt.wantCodes {
					_, id := verify(t, env, r.next(t), endpoint.Secret)
					ids = append(ids, id)
				}
				awaitSettled(t, settled, 1)
				if len(slices.Compact(slices.Clone(ids))) != 1 {
					t.Errorf("webhook-id changed between attempts: %v", ids)
				}
				ev := env.event(t, a, ids[0])
				if len(ev.Deliveries) != 1 {
					t.Fatalf("deliveries: %+v", ev.Deliveries)
				}
				d := ev.Deliveries[0]
				var codes []int
				for i, at := range d.Attempts {
					codes = append(codes, at.StatusCode)
					wantErr := ""
					if at.StatusCode != 200 {
						wantErr = "receiver answered " + strconv.Itoa(at.StatusCode)
					}
					if at.Attempt != i+1 || at.Error != wantErr {
						t.Errorf("attempt %d: %+v", i+1, at)
					}
				}
				if d.Status != tt.wantStatus || !slices.Equal(codes, tt.wantCodes) || d.NextAttemptAt != "" {
					t.Errorf("delivery: %+v", d)
				}
				_, raw := env.srv.Do(t, "GET", "/v1/webhooks/"+endpoint.ID, a.headers(), nil)
				if got := decode[webhookEndpoint](t, raw); got.Status != tt.wantEndpoint {
					t.Errorf("endpoint status %s, want %s", got.Status, tt.wantEndpoint)
				}
				if tt.wantEndpoint == "disabled" {
					// A disabled endpoint receives nothing more.
					next := env.createUser(t, a, incompleteUser("grace@example.com"))
					evs := env.userEvents(t, a, next)
					if len(evs) != 1 || len(env.event(t, a, evs[0]).Deliveries) != 0 {
						t.Errorf("a disabled endpoint was sent an event: %v", evs)
					}
				}
			}, retryFast)
		})
	}
}

// userEvents lists the ids of the tenant's events about a user, newest first.
func (env *testEnv) userEvents(t *testing.T, a *testTenant, userID string) []string {
	t.Helper()
	resp, raw := env.srv.Do(t, "GET", "/v1/events?limit=100&user_id="+userID, a.headers(), nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("list events: %d %s", resp.StatusCode, raw)
	}
	var ids []string
	for _, e := range decode[struct{ Data []eventDetail }](t, raw).Data {
		ids = append(ids, e.ID)
	}
	return ids
}

func TestRedeliverEvent(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, env *testEnv) {
		a, b := env.tenant(t, "acme"), env.tenant(t, "globex")
		r := newReceiver(t)
		endpoint := env.createWebhook(t, a, map[string]any{"url": r.url})
		settled := env.deliveryJobs(t, nil)
		env.createUser(t, a, incompleteUser("ada@example.com"))
		first := r.next(t)
		_, eventID := verify(t, env, first, endpoint.Secret)
		awaitSettled(t, settled, 1)

		resp, raw := env.srv.Do(t, "POST", "/v1/events/"+eventID+"/redeliver", a.headers(), nil)
		got := decode[struct {
			EventID          string `json:"event_id"`
			DeliveriesQueued int    `json:"deliveries_queued"`
		}](t, raw)
		if resp.StatusCode != http.StatusAccepted || got.EventID != eventID || got.DeliveriesQueued != 1 {
			t.Fatalf("redeliver: %d %s", resp.StatusCode, raw)
		}
		again := r.next(t)
		if _, id := verify(t, env, again, endpoint.Secret); id != eventID || string(again.body) != string(first.body) {
			t.Errorf("redelivered %s, want the same event and body as %s", again.body, first.body)
		}
		awaitSettled(t, settled, 1)
		ev := env.event(t, a, eventID)
		if len(ev.Deliveries) != 2 || ev.Deliveries[0].Status != "succeeded" || ev.Deliveries[1].Status != "succeeded" || ev.Deliveries[0].ID == ev.Deliveries[1].ID {
			t.Errorf("deliveries after a redelivery: %+v", ev.Deliveries)
		}
		if resp, _ := env.srv.Do(t, "POST", "/v1/events/"+eventID+"/redeliver", b.headers(), nil); resp.StatusCode != 404 {
			t.Errorf("another tenant's redeliver: %d", resp.StatusCode)
		}
	})
}

// TestSecretRotation rotates an endpoint's secret: for 24 hours deliveries carry a signature by
// each secret, so receivers holding either verify them; then only the new secret signs.
func TestSecretRotation(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, env *testEnv) {
		a := env.tenant(t, "acme")
		r := newReceiver(t)
		old := env.createWebhook(t, a, map[string]any{"url": r.url, "events": []string{"user.created"}})
		_, raw := env.srv.Do(t, "POST", "/v1/webhooks/"+old.ID+"/rotate-secret", a.headers(), nil)
		first := decode[webhookEndpoint](t, raw)
		secret := first.Secret

		// A second rotation within the 24 hours would drop the original secret early: refused,
		// saying until when, and changing nothing.
		env.clock.Advance(time.Minute)
		resp, raw := env.srv.Do(t, "POST", "/v1/webhooks/"+old.ID+"/rotate-secret", a.headers(), nil)
		if e := decode[errorBody](t, raw); resp.StatusCode != http.StatusConflict || e.Code != "conflict" ||
			!strings.Contains(e.Message, strings.TrimSuffix(first.PreviousSecretExpiresAt, ".000Z")) || strings.Contains(string(raw), "whsec_") {
			t.Errorf("second rotation within 24 hours: %d %s", resp.StatusCode, raw)
		}

		env.createUser(t, a, incompleteUser("ada@example.com"))
		d := r.next(t)
		if sigs := strings.Fields(d.header.Get("webhook-signature")); len(sigs) != 2 {
			t.Fatalf("signatures while rotating: %v", sigs)
		}
		verify(t, env, d, secret)
		if _, err := (webhook.Verifier{Secrets: []string{old.Secret}, Now: env.clock.Now}).Verify(d.header, d.body); err != nil {
			t.Errorf("a receiver on the old secret: %v", err)
		}
		if sigs := strings.Fields(d.header.Get("x-signature-sha256")); len(sigs) != 2 || !webhook.VerifySHA256(old.Secret, d.body, d.header.Get("x-signature-sha256")) {
			t.Errorf("x-signature-sha256 while rotating does not verify with the old secret: %v", sigs)
		}

		env.clock.Advance(24*time.Hour - time.Minute + time.Second)
		env.logIn(t, a)
		env.createUser(t, a, incompleteUser("grace@example.com"))
		d = r.next(t)
		if sigs := strings.Fields(d.header.Get("webhook-signature")); len(sigs) != 1 {
			t.Fatalf("signatures after the overlap: %v", sigs)
		}
		verify(t, env, d, secret)
		if _, err := (webhook.Verifier{Secrets: []string{old.Secret}, Now: env.clock.Now}).Verify(d.header, d.body); !errors.Is(err, webhook.ErrSignature) {
			t.Errorf("the old secret still verifies after 24 hours: %v", err)
		}
		if webhook.VerifySHA256(old.Secret, d.body, d.header.Get("x-signature-sha256")) {
			t.Error("the old secret still verifies x-signature-sha256 after 24 hours")
		}

		// Once the previous secret expired, the endpoint rotates again.
		resp, raw = env.srv.Do(t, "POST", "/v1/webhooks/"+old.ID+"/rotate-secret", a.headers(), nil)
		if resp.StatusCode != http.StatusOK || decode[webhookEndpoint](t, raw).Secret == secret {
			t.Errorf("rotation after the overlap: %d %s", resp.StatusCode, raw)
		}
	})
}

// TestDeliveryResumesAfterRestart queues a delivery while no worker runs, then starts a new app
// on the same database: the delivery is made, nothing was lost.
func TestDeliveryResumesAfterRestart(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, env *testEnv) {
		a := env.tenant(t, "acme")
		r := newReceiver(t)
		endpoint := env.createWebhook(t, a, map[string]any{"url": r.url})
		env.stopWorkers()
		userID := env.createUser(t, a, incompleteUser("ada@example.com"))
		events := env.userEvents(t, a, userID)
		if len(events) != 1 {
			t.Fatalf("events: %v", events)
		}
		if ev := env.event(t, a, events[0]); len(ev.Deliveries) != 1 || ev.Deliveries[0].Status != "pending" || len(ev.Deliveries[0].Attempts) != 0 {
			t.Fatalf("queued delivery: %+v", ev.Deliveries)
		}

		restarted, err := app.New(env.options)
		if err != nil {
			t.Fatal(err)
		}
		settled := env.deliveryJobs(t, restarted)
		if err := restarted.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := restarted.Stop(context.Background()); err != nil {
				t.Error(err)
			}
		})
		if _, id := verify(t, env, r.next(t), endpoint.Secret); id != events[0] {
			t.Errorf("delivered %s, want %s", id, events[0])
		}
		awaitSettled(t, settled, 1)
		if ev := env.event(t, a, events[0]); ev.Deliveries[0].Status != "succeeded" || len(ev.Deliveries[0].Attempts) != 1 {
			t.Errorf("delivery after the restart: %+v", ev.Deliveries)
		}
	})
}
