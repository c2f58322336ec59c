package webhook_test

import (
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/kiraapi/kira/client/webhook"
)

// The Standard Webhooks reference test vector.
const (
	vectorSecret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	vectorID        = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	vectorTimestamp = 1614265330
	vectorBody      = `{"test": 2432232314}`
	vectorSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func TestSignMatchesReferenceVector(t *testing.T) {
	t.Parallel()
	got, err := webhook.Sign(vectorSecret, vectorID, time.Unix(vectorTimestamp, 0), []byte(vectorBody))
	if err != nil || got != vectorSignature {
		t.Fatalf("Sign = %q, %v; want %q", got, err, vectorSignature)
	}
}

const event = `{"event":"user.created","data":{"event_id":"061cc7aa-4a31-4d49-aada-f5b44ef08e17","type":"individual","email":"j@example.com","status":"CREATED","user_id":"e9610a11-d514-4587-85dc-e18e2b461e55","created_at":"2026-11-25T20:01:34.249Z","verification_triggered":true}}`

func TestVerify(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_800_000_000, 0)
	sign := func(secret string, at time.Time, body string) string {
		s, err := webhook.Sign(secret, "evt-1", at, []byte(body))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	newSecret, oldSecret := vectorSecret, "whsec_dGhpcyBpcyB0aGUgb2xkIHNlY3JldCBrZXkgMzI="
	headers := func(sig string, at time.Time) http.Header {
		return http.Header{"Webhook-Id": {"evt-1"}, "Webhook-Timestamp": {strconv.FormatInt(at.Unix(), 10)}, "Webhook-Signature": {sig}}
	}
	tests := []struct {
		name    string
		secrets []string
		header  http.Header
		body    string
		wantErr error
	}{
		{"valid", []string{newSecret}, headers(sign(newSecret, now, event), now), event, nil},
		{"rotation: two signatures, new secret", []string{newSecret}, headers(sign(oldSecret, now, event)+" "+sign(newSecret, now, event), now), event, nil},
		{"rotation: receiver still on the old secret", []string{oldSecret}, headers(sign(oldSecret, now, event)+" "+sign(newSecret, now, event), now), event, nil},
		{"receiver holding both secrets", []string{oldSecret, newSecret}, headers(sign(newSecret, now, event), now), event, nil},
		{"4 minutes old", []string{newSecret}, headers(sign(newSecret, now.Add(-4*time.Minute), event), now.Add(-4*time.Minute)), event, nil},
		{"6 minutes old", []string{newSecret}, headers(sign(newSecret, now.Add(-6*time.Minute), event), now.Add(-6*time.Minute)), event, webhook.ErrTimestamp},
		{"6 minutes ahead", []string{newSecret}, headers(sign(newSecret, now.Add(6*time.Minute), event), now.Add(6*time.Minute)), event, webhook.ErrTimestamp},
		{"body changed", []string{newSecret}, headers(sign(newSecret, now, event), now), event + " ", webhook.ErrSignature},
		{"wrong secret", []string{oldSecret}, headers(sign(newSecret, now, event), now), event, webhook.ErrSignature},
		{"timestamp changed", []string{newSecret}, headers(sign(newSecret, now, event), now.Add(time.Second)), event, webhook.ErrSignature},
		{"no headers", []string{newSecret}, http.Header{}, event, webhook.ErrHeaders},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := webhook.Verifier{Secrets: tt.secrets, Now: func() time.Time { return now }}
			ev, err := v.Verify(tt.header, []byte(tt.body))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Verify err = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			kind, err := ev.Discriminator()
			if err != nil || kind != "user.created" {
				t.Fatalf("Discriminator = %q, %v", kind, err)
			}
			created, err := ev.AsUserCreatedEvent()
			if err != nil || created.Data.UserId.String() != "e9610a11-d514-4587-85dc-e18e2b461e55" || !created.Data.VerificationTriggered {
				t.Errorf("decoded %+v, %v", created, err)
			}
		})
	}
}

func TestSignatureSHA256(t *testing.T) {
	t.Parallel()
	sig := webhook.SignatureSHA256(vectorSecret, []byte(event))
	if len(sig) != 64 || !webhook.VerifySHA256(vectorSecret, []byte(event), sig) {
		t.Fatalf("SignatureSHA256 = %q", sig)
	}
	if webhook.VerifySHA256(vectorSecret, []byte(event+" "), sig) || webhook.VerifySHA256("whsec_other", []byte(event), sig) || webhook.VerifySHA256(vectorSecret, []byte(event), "zz") {
		t.Error("VerifySHA256 accepted a wrong signature")
	}
}

// TestVerifySHA256DuringRotation: while a secret rotates the header carries a signature per
// secret, and either secret verifies it.
func TestVerifySHA256DuringRotation(t *testing.T) {
	t.Parallel()
	body := []byte(`{"event":"user.created"}`)
	header := webhook.SignaturesSHA256([]string{"whsec_new", "whsec_old"}, body)
	tests := []struct {
		secret, header string
		want           bool
	}{
		{"whsec_new", header, true},
		{"whsec_old", header, true},
		{"whsec_other", header, false},
		{"whsec_old", webhook.SignatureSHA256("whsec_old", body), true},
		{"whsec_old", "  " + header + " ", true},
		{"whsec_old", "", false},
		{"whsec_old", "zz " + webhook.SignatureSHA256("whsec_new", body), false},
	}
	for _, tt := range tests {
		if got := webhook.VerifySHA256(tt.secret, body, tt.header); got != tt.want {
			t.Errorf("VerifySHA256(%s, %q) = %v, want %v", tt.secret, tt.header, got, tt.want)
		}
	}
}
