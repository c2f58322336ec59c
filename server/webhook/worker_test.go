package webhook

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/kiraapi/kira/server/jobs"
	"github.com/kiraapi/kira/server/kyc"
)

// fakeDeliveries is a DeliveryStore of one delivery.
type fakeDeliveries struct {
	delivery    *kyc.Delivery
	endpoint    *kyc.WebhookEndpoint
	recorded    []kyc.DeliveryAttempt
	disabled    bool
	prunedUntil time.Time
}

func (f *fakeDeliveries) LoadDelivery(context.Context, string) (*kyc.Delivery, *kyc.WebhookEndpoint, *kyc.Event, error) {
	if f.delivery == nil {
		return nil, nil, nil, &kyc.Error{Code: kyc.ENotFound, Message: "Delivery not found."}
	}
	d := *f.delivery
	return &d, f.endpoint, testEvent, nil
}

func (f *fakeDeliveries) RecordDeliveryAttempt(_ context.Context, d *kyc.Delivery, a kyc.DeliveryAttempt, disable bool) error {
	f.delivery, f.recorded, f.disabled = d, append(f.recorded, a), disable
	f.delivery.Attempts = append(f.delivery.Attempts, a)
	return nil
}

func (f *fakeDeliveries) CancelDelivery(context.Context, string) error {
	f.delivery.Status = kyc.DeliveryCanceled
	return nil
}

func (f *fakeDeliveries) PruneEvents(_ context.Context, before time.Time) (int, error) {
	f.prunedUntil = before
	return 3, nil
}

func TestWorkerOutcomes(t *testing.T) {
	t.Parallel()
	answer := func(status int) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(status) }
	}
	tests := []struct {
		name         string
		status       int
		attempts     int // already made
		endpoint     kyc.EndpointStatus
		deleted      bool
		wantStatus   kyc.DeliveryStatus
		wantSnooze   bool
		wantDisabled bool
		wantPosts    int
	}{
		{"2xx succeeds", 202, 0, kyc.EndpointEnabled, false, kyc.DeliverySucceeded, false, false, 1},
		{"500 is retried later", 500, 0, kyc.EndpointEnabled, false, kyc.DeliveryPending, true, false, 1},
		{"500 on the last attempt exhausts", 500, 2, kyc.EndpointEnabled, false, kyc.DeliveryExhausted, false, false, 1},
		{"410 disables the endpoint", 410, 0, kyc.EndpointEnabled, false, kyc.DeliveryCanceled, false, true, 1},
		{"a disabled endpoint gets nothing", 200, 0, kyc.EndpointDisabled, false, kyc.DeliveryCanceled, false, false, 0},
		{"a deleted endpoint gets nothing", 200, 0, kyc.EndpointEnabled, true, kyc.DeliveryCanceled, false, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			endpoint, got := receiver(t, answer(tt.status))
			endpoint.Status = tt.endpoint
			store := &fakeDeliveries{delivery: &kyc.Delivery{ID: "d", Status: kyc.DeliveryPending}, endpoint: endpoint}
			for i := range tt.attempts {
				store.delivery.Attempts = append(store.delivery.Attempts, kyc.DeliveryAttempt{Attempt: i + 1})
			}
			if tt.deleted {
				store.endpoint = nil
			}
			w := &Worker{Store: store, Client: Policy{Sandbox: true}.Client(), Schedule: Schedule{time.Minute, time.Hour},
				Now: func() time.Time { return testNow }, Logger: slog.New(slog.DiscardHandler)}
			err := w.Work(t.Context(), &river.Job[jobs.DeliverWebhookArgs]{JobRow: &rivertype.JobRow{}, Args: jobs.DeliverWebhookArgs{DeliveryID: "d"}})
			var snooze *rivertype.JobSnoozeError
			if errors.As(err, &snooze) != tt.wantSnooze || (!tt.wantSnooze && err != nil) {
				t.Fatalf("Work = %v, want a snooze: %v", err, tt.wantSnooze)
			}
			if tt.wantSnooze && (snooze.Duration < 54*time.Second || snooze.Duration > 66*time.Second ||
				!store.delivery.NextAttemptAt.Equal(testNow.Add(snooze.Duration))) {
				t.Errorf("snoozed %s, next attempt at %s", snooze.Duration, store.delivery.NextAttemptAt)
			}
			if store.delivery.Status != tt.wantStatus || store.disabled != tt.wantDisabled || len(got) != tt.wantPosts || len(store.recorded) != tt.wantPosts {
				t.Errorf("status %s, disabled %v, %d posts, recorded %+v", store.delivery.Status, store.disabled, len(got), store.recorded)
			}
			if tt.wantPosts == 1 && store.recorded[0].Attempt != tt.attempts+1 {
				t.Errorf("recorded attempt %d, want %d", store.recorded[0].Attempt, tt.attempts+1)
			}
		})
	}
}

func TestWorkerForgetsPrunedDeliveries(t *testing.T) {
	t.Parallel()
	w := &Worker{Store: &fakeDeliveries{}, Now: time.Now, Logger: slog.New(slog.DiscardHandler)}
	if err := w.Work(t.Context(), &river.Job[jobs.DeliverWebhookArgs]{JobRow: &rivertype.JobRow{}}); err != nil {
		t.Errorf("Work on a pruned delivery = %v", err)
	}
}

// TestDeliveryTimeoutWithinRescue: an attempt is cut off before River could take its job for
// abandoned and run it beside itself, and within the client-wide job timeout.
func TestDeliveryTimeoutWithinRescue(t *testing.T) {
	if got := (&Worker{}).Timeout(nil); got <= DeliveryTimeout || got > jobs.Timeout || got >= jobs.RescueAfter {
		t.Errorf("delivery job timeout %v: want above DeliveryTimeout %v, at most jobs.Timeout %v, below jobs.RescueAfter %v",
			got, DeliveryTimeout, jobs.Timeout, jobs.RescueAfter)
	}
}
