package kyc_test

import (
	"context"
	"encoding/base64"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kiraapi/kira/server/kyc"
)

// createOnly is a WebhookStore that keeps what is created (its other methods are not called).
type createOnly struct {
	kyc.WebhookStore
	created *kyc.WebhookEndpoint
}

func (s *createOnly) CreateWebhook(_ context.Context, e *kyc.WebhookEndpoint) error {
	s.created = e
	return nil
}

func TestCreateWebhook(t *testing.T) {
	t.Parallel()
	refuse := func(context.Context, string) error { return errors.New("must be an absolute https URL") }
	tests := []struct {
		name       string
		in         kyc.WebhookInput
		check      kyc.URLChecker
		wantField  string
		wantEvents []kyc.EventType
	}{
		{"every type", kyc.WebhookInput{URL: "https://hooks.example/kira"}, nil, "", nil},
		{"types in the canonical order, once", kyc.WebhookInput{URL: "https://hooks.example/kira",
			Events: []kyc.EventType{kyc.EventStatusChanged, kyc.EventUserCreated, kyc.EventStatusChanged}}, nil, "",
			[]kyc.EventType{kyc.EventUserCreated, kyc.EventStatusChanged}},
		{"an unknown type", kyc.WebhookInput{URL: "https://hooks.example/kira", Events: []kyc.EventType{"user.deleted"}}, nil, "events", nil},
		{"a refused URL", kyc.WebhookInput{URL: "http://hooks.example/kira"}, refuse, "url", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			store := &createOnly{}
			at := time.Date(2026, 11, 25, 20, 0, 0, 0, time.UTC)
			e, err := kyc.NewWebhookService(store, kyc.WithURLCheck(tt.check), kyc.WithClock(func() time.Time { return at })).Create(t.Context(), "t1", tt.in)
			if tt.wantField != "" {
				var kerr *kyc.Error
				if !errors.As(err, &kerr) || kerr.Code != kyc.EInvalid || len(kerr.Fields) != 1 || kerr.Fields[0].Field != tt.wantField {
					t.Fatalf("Create = %v, want an error on %s", err, tt.wantField)
				}
				if strings.Contains(kerr.Fields[0].Message, "hooks.example") || store.created != nil {
					t.Fatalf("the error repeats the URL, or the endpoint was stored: %+v", kerr)
				}
				return
			}
			if err != nil || e != store.created || e.Status != kyc.EndpointEnabled || e.TenantID != "t1" || !e.CreatedAt.Equal(at) ||
				!slices.Equal(e.Events, tt.wantEvents) {
				t.Fatalf("Create = %+v, %v", e, err)
			}
		})
	}
}

func TestWebhookSecrets(t *testing.T) {
	t.Parallel()
	secret := kyc.NewWebhookSecret()
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if !strings.HasPrefix(secret, "whsec_") || err != nil || len(key) != 32 || secret == kyc.NewWebhookSecret() {
		t.Fatalf("NewWebhookSecret = %q", secret)
	}
	at := time.Date(2026, 11, 25, 20, 0, 0, 0, time.UTC)
	e := kyc.WebhookEndpoint{Secret: "new", PreviousSecret: "old", PreviousSecretExpiresAt: at.Add(kyc.SecretOverlap)}
	if got := e.SigningSecrets(at); !slices.Equal(got, []string{"new", "old"}) {
		t.Errorf("while rotating: %v", got)
	}
	if got := e.SigningSecrets(at.Add(kyc.SecretOverlap)); !slices.Equal(got, []string{"new"}) {
		t.Errorf("after the overlap: %v", got)
	}
	if !(&kyc.WebhookEndpoint{}).Subscribed(kyc.EventVerificationFailed) ||
		(&kyc.WebhookEndpoint{Events: []kyc.EventType{kyc.EventUserCreated}}).Subscribed(kyc.EventVerificationFailed) {
		t.Error("Subscribed")
	}
}
