package webhook

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	clientwebhook "github.com/kiraapi/kira/client/webhook"
	"github.com/kiraapi/kira/server/kyc"
)

var (
	testNow   = time.Date(2026, 11, 25, 20, 0, 0, 0, time.UTC)
	testEvent = &kyc.Event{ID: "4c1a2cf0-5b1e-4e8a-9d1c-6b0f6f1e2a3b", Type: kyc.EventUserCreated,
		Payload: []byte(`{"event":"user.created","data":{"event_id":"4c1a2cf0-5b1e-4e8a-9d1c-6b0f6f1e2a3b","user_id":"e9610a11-d514-4587-85dc-e18e2b461e55","type":"individual","email":"j@example.com","status":"CREATED","created_at":"2026-11-25T20:00:00Z","verification_triggered":false}}`)}
)

// receiver serves handler and returns an enabled endpoint that points at it, and the requests it got.
func receiver(t *testing.T, handler http.HandlerFunc) (*kyc.WebhookEndpoint, <-chan *http.Request) {
	t.Helper()
	got := make(chan *http.Request, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		got <- r
		handler(w, r)
	}))
	t.Cleanup(srv.Close)
	return &kyc.WebhookEndpoint{ID: "ep", URL: srv.URL + "/hook?token=s3cr3t-token", Status: kyc.EndpointEnabled, Secret: kyc.NewWebhookSecret()}, got
}

func TestPostSignsThePayload(t *testing.T) {
	t.Parallel()
	endpoint, got := receiver(t, func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	endpoint.PreviousSecret, endpoint.PreviousSecretExpiresAt = kyc.NewWebhookSecret(), testNow.Add(time.Hour)
	a, _ := post(t.Context(), Policy{Sandbox: true}.Client(), endpoint, testEvent, 1, testNow)
	if a.Error != "" || a.StatusCode != http.StatusNoContent || a.Attempt != 1 || !a.At.Equal(testNow) {
		t.Fatalf("attempt = %+v", a)
	}
	r := <-got
	body, _ := io.ReadAll(r.Body)
	if string(body) != string(testEvent.Payload) {
		t.Errorf("body = %s, want the payload's bytes", body)
	}
	h := r.Header
	if h.Get("Content-Type") != "application/json" || h.Get("User-Agent") != UserAgent || h.Get("webhook-id") != testEvent.ID ||
		h.Get("webhook-timestamp") != "1795636800" || len(strings.Fields(h.Get("webhook-signature"))) != 2 {
		t.Errorf("headers = %v", h)
	}
	for _, secret := range []string{endpoint.Secret, endpoint.PreviousSecret} {
		v := clientwebhook.Verifier{Secrets: []string{secret}, Now: func() time.Time { return testNow }}
		if _, err := v.Verify(h, body); err != nil {
			t.Errorf("Verify with one of the secrets: %v", err)
		}
	}
	if !clientwebhook.VerifySHA256(endpoint.Secret, body, h.Get("x-signature-sha256")) {
		t.Error("x-signature-sha256 does not verify with the current secret")
	}
}

func TestPostFailures(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("é", 200) + "\x00tail"
	tests := []struct {
		name           string
		handler        http.HandlerFunc
		wantStatus     int
		wantError      string
		wantExcerpt    string
		wantRetryAfter time.Duration
	}{
		{"server error with Retry-After", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Retry-After", "120")
			http.Error(w, "try later", http.StatusServiceUnavailable)
		}, 503, "receiver answered 503", "try later\n", 2 * time.Minute},
		{"redirects are not followed", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "https://93.184.216.34/elsewhere", http.StatusFound)
		}, 302, "receiver answered 302; redirects are not followed", "", 0},
		{"a long body is cut to 256 bytes of text", func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, long)
		}, 400, "receiver answered 400", strings.Repeat("é", 128), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			endpoint, _ := receiver(t, tt.handler)
			a, retryAfter := post(t.Context(), Policy{Sandbox: true}.Client(), endpoint, testEvent, 2, testNow)
			if a.StatusCode != tt.wantStatus || a.Error != tt.wantError || retryAfter != tt.wantRetryAfter {
				t.Errorf("attempt = %+v, Retry-After %s", a, retryAfter)
			}
			if tt.wantExcerpt != "" && a.ResponseExcerpt != tt.wantExcerpt {
				t.Errorf("excerpt = %q (%d bytes), want %q", a.ResponseExcerpt, len(a.ResponseExcerpt), tt.wantExcerpt)
			}
		})
	}
}

func TestPostWithoutAResponse(t *testing.T) {
	t.Parallel()
	blocked := make(chan struct{})
	endpoint, _ := receiver(t, func(http.ResponseWriter, *http.Request) { <-blocked })
	t.Cleanup(func() { close(blocked) })
	client := Policy{Sandbox: true}.Client()
	client.Timeout = 50 * time.Millisecond
	a, _ := post(t.Context(), client, endpoint, testEvent, 1, testNow)
	if a.StatusCode != 0 || a.Error != "no response within 15s" {
		t.Errorf("timeout: %+v", a)
	}

	refused, _ := receiver(t, nil)
	refused.URL = "http://127.0.0.1:1/hook?token=s3cr3t-token"
	a, _ = post(t.Context(), client, refused, testEvent, 1, testNow)
	if a.StatusCode != 0 || !strings.Contains(a.Error, "refused") || strings.Contains(a.Error, "s3cr3t") {
		t.Errorf("connection refused: %+v", a)
	}

	forbidden, _ := receiver(t, nil)
	a, _ = post(t.Context(), Policy{}.Client(), forbidden, testEvent, 1, testNow)
	if a.StatusCode != 0 || a.Error != ErrForbiddenAddress.Error() {
		t.Errorf("forbidden address: %+v", a)
	}
}
