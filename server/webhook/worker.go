package webhook

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/riverqueue/river"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/kiraapi/kira/server/jobs"
	"github.com/kiraapi/kira/server/kyc"
)

// Worker makes the attempts of a delivery, one per run of its River job, and records each one. A
// 2xx answer settles the delivery; 410 Gone disables the endpoint and cancels its pending
// deliveries; any other failure snoozes the job until the next attempt the schedule allows, after
// which the delivery is exhausted. A crash between the POST and its record makes the attempt
// again: delivery is at least once.
type Worker struct {
	river.WorkerDefaults[jobs.DeliverWebhookArgs]
	Store kyc.DeliveryStore
	// Client sends the deliveries: Policy.Client.
	Client   *http.Client
	Schedule Schedule
	Now      func() time.Time
	// Logger receives a line per attempt, without payloads or URLs.
	Logger *slog.Logger
	// Metrics, when set, records each attempt and each finished delivery.
	Metrics DeliveryObserver
	// Tracer, when set, makes a span per attempt ("webhook send"), with ids only.
	Tracer trace.Tracer
}

// DeliveryObserver records webhook deliveries (metrics.Metrics): each attempt's result (success,
// failure, gone) and time, and each finished delivery's outcome (succeeded, exhausted, canceled)
// and number of attempts.
type DeliveryObserver interface {
	ObserveAttempt(result string, elapsed time.Duration)
	ObserveDelivery(outcome string, attempts int)
}

// Timeout lets an attempt run its course (DeliveryTimeout) and record it; it stays within
// jobs.Timeout, so that an attempt cut off by a crash is made again within about a minute.
func (w *Worker) Timeout(*river.Job[jobs.DeliverWebhookArgs]) time.Duration {
	return DeliveryTimeout + 5*time.Second
}

// Work implements river.Worker.
func (w *Worker) Work(ctx context.Context, job *river.Job[jobs.DeliverWebhookArgs]) error {
	d, endpoint, event, err := w.Store.LoadDelivery(ctx, job.Args.DeliveryID)
	switch {
	case kyc.ErrorCode(err) == kyc.ENotFound:
		return nil // pruned with its event
	case err != nil:
		return fmt.Errorf("deliver webhook: %w", err)
	case d.Status != kyc.DeliveryPending:
		return nil
	case endpoint == nil || endpoint.Status != kyc.EndpointEnabled:
		if err := w.Store.CancelDelivery(ctx, d.ID); err != nil {
			return fmt.Errorf("deliver webhook: %w", err)
		}
		w.Logger.InfoContext(ctx, "webhook delivery canceled: the endpoint is disabled or deleted", "delivery_id", d.ID, "endpoint_id", d.EndpointID)
		if w.Metrics != nil {
			w.Metrics.ObserveDelivery(string(kyc.DeliveryCanceled), len(d.Attempts))
		}
		return nil
	}

	now := w.Now()
	a, retryAfter := w.send(ctx, d, endpoint, event, now)
	if err := ctx.Err(); err != nil {
		return err // stopping: the attempt is made again when the job runs next
	}
	var wait time.Duration
	disable := false
	d.NextAttemptAt = time.Time{}
	switch {
	case a.Error == "":
		d.Status = kyc.DeliverySucceeded
	case a.StatusCode == http.StatusGone:
		d.Status, disable = kyc.DeliveryCanceled, true
	default:
		var retry bool
		if wait, retry = w.Schedule.Next(a.Attempt, retryAfter); retry {
			d.NextAttemptAt = now.Add(wait)
		} else {
			d.Status = kyc.DeliveryExhausted
		}
	}
	if err := w.Store.RecordDeliveryAttempt(ctx, d, a, disable); err != nil {
		return fmt.Errorf("deliver webhook: %w", err)
	}
	w.log(ctx, d, event, a, disable)
	w.observe(d, a, disable)
	if d.Status == kyc.DeliveryPending {
		return river.JobSnooze(wait)
	}
	return nil
}

// send makes one attempt, in a span when w.Tracer is set. The span records the answer's status
// code, not the error text, which can name the endpoint's address.
func (w *Worker) send(ctx context.Context, d *kyc.Delivery, endpoint *kyc.WebhookEndpoint, event *kyc.Event, now time.Time) (kyc.DeliveryAttempt, time.Duration) {
	attempt := len(d.Attempts) + 1
	if w.Tracer == nil {
		return post(ctx, w.Client, endpoint, event, attempt, now)
	}
	ctx, span := w.Tracer.Start(ctx, "webhook send", trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(
		attribute.String("kira.delivery_id", d.ID), attribute.String("kira.endpoint_id", d.EndpointID),
		attribute.String("kira.event_id", event.ID), attribute.String("kira.event_type", string(event.Type)),
		attribute.Int("kira.attempt", attempt),
	))
	defer span.End()
	a, retryAfter := post(ctx, w.Client, endpoint, event, attempt, now)
	if a.StatusCode != 0 {
		span.SetAttributes(semconv.HTTPResponseStatusCode(a.StatusCode))
	}
	if a.Error != "" {
		span.SetStatus(codes.Error, "delivery attempt failed")
	}
	return a, retryAfter
}

func (w *Worker) log(ctx context.Context, d *kyc.Delivery, event *kyc.Event, a kyc.DeliveryAttempt, disabled bool) {
	attrs := []any{
		"delivery_id", d.ID, "endpoint_id", d.EndpointID, "event_id", event.ID, "event_type", event.Type,
		"attempt", a.Attempt, "status_code", a.StatusCode, "latency_ms", a.Latency.Milliseconds(), "delivery_status", d.Status,
	}
	switch {
	case a.Error == "":
		w.Logger.InfoContext(ctx, "webhook delivered", attrs...)
	case disabled:
		w.Logger.WarnContext(ctx, "webhook endpoint answered 410 Gone: disabled", attrs...)
	case d.Status == kyc.DeliveryExhausted:
		w.Logger.WarnContext(ctx, "webhook delivery exhausted: no attempt left", append(attrs, "error", a.Error)...)
	default:
		w.Logger.WarnContext(ctx, "webhook delivery attempt failed", append(attrs, "error", a.Error, "next_attempt_at", d.NextAttemptAt)...)
	}
}

// observe reports an attempt, and the delivery when it is finished, to w.Metrics.
func (w *Worker) observe(d *kyc.Delivery, a kyc.DeliveryAttempt, disabled bool) {
	if w.Metrics == nil {
		return
	}
	result := "failure"
	switch {
	case a.Error == "":
		result = "success"
	case disabled:
		result = "gone"
	}
	w.Metrics.ObserveAttempt(result, a.Latency)
	if d.Status != kyc.DeliveryPending {
		w.Metrics.ObserveDelivery(string(d.Status), a.Attempt)
	}
}
