package kyc

import (
	"context"
	"time"
)

// DeliveryStatus is where the delivery of one event to one endpoint is.
type DeliveryStatus string

// The delivery statuses.
const (
	// DeliveryPending is queued or waiting for a retry.
	DeliveryPending DeliveryStatus = "pending"
	// DeliverySucceeded: the endpoint answered 2xx.
	DeliverySucceeded DeliveryStatus = "succeeded"
	// DeliveryExhausted: every attempt failed.
	DeliveryExhausted DeliveryStatus = "exhausted"
	// DeliveryCanceled: the endpoint was deleted or disabled before the delivery succeeded.
	DeliveryCanceled DeliveryStatus = "canceled"
)

// Delivery is the delivery of one event to one endpoint, carried out by one durable job that
// makes each attempt.
type Delivery struct {
	ID         string
	TenantID   string
	EventID    string
	EndpointID string
	Status     DeliveryStatus
	// NextAttemptAt is when a pending delivery that failed is retried (zero otherwise).
	NextAttemptAt time.Time
	// Attempts are the attempts made so far, oldest first.
	Attempts  []DeliveryAttempt
	CreatedAt time.Time
	UpdatedAt time.Time
}

// MaxResponseExcerpt bounds the part of a receiver's response body that is kept, in bytes.
const MaxResponseExcerpt = 256

// DeliveryAttempt is one POST of a delivery. Response bodies are never kept beyond a short excerpt.
type DeliveryAttempt struct {
	// Attempt numbers the attempts of a delivery from 1.
	Attempt int
	At      time.Time
	// StatusCode is the receiver's HTTP status, 0 when no response arrived.
	StatusCode int
	Latency    time.Duration
	// Error says why the attempt failed, "" when it succeeded.
	Error string
	// ResponseExcerpt is the start of the response body, at most MaxResponseExcerpt bytes.
	ResponseExcerpt string
}

// DeliveryStore is the storage of the delivery engine, which works deliveries outside any tenant's
// request.
type DeliveryStore interface {
	// LoadDelivery returns a delivery with its attempts, its endpoint (secrets opened; nil once the
	// endpoint is deleted) and its event; ENotFound if the delivery is gone (pruned).
	LoadDelivery(ctx context.Context, id string) (*Delivery, *WebhookEndpoint, *Event, error)
	// RecordDeliveryAttempt stores an attempt of the pending delivery d with d's new status and
	// next attempt time, in one transaction. disableEndpoint also disables d's endpoint and
	// cancels its pending deliveries (the receiver answered 410 Gone). Recording an attempt number
	// twice is an EConflict error.
	RecordDeliveryAttempt(ctx context.Context, d *Delivery, a DeliveryAttempt, disableEndpoint bool) error
	// CancelDelivery cancels a delivery that is still pending.
	CancelDelivery(ctx context.Context, id string) error
	// PruneEvents deletes the events created before t, with their deliveries and attempts, and
	// returns how many events it deleted.
	PruneEvents(ctx context.Context, before time.Time) (int, error)
}

// PublishEvent appends e to its tenant's event log and, in the same transaction, queues its
// delivery to every enabled endpoint subscribed to its type, due at once.
func PublishEvent(ctx context.Context, tx Tx, e *Event) error {
	if err := tx.AppendEvent(ctx, e); err != nil {
		return err
	}
	_, err := queueDeliveries(ctx, tx, e, e.CreatedAt)
	return err
}

// queueDeliveries queues a delivery of e, due at, to every enabled endpoint subscribed to its
// type, and returns how many it queued.
func queueDeliveries(ctx context.Context, tx Tx, e *Event, at time.Time) (int, error) {
	endpoints, err := tx.SubscribedEndpoints(ctx, e.TenantID, e.Type)
	if err != nil {
		return 0, err
	}
	for _, endpointID := range endpoints {
		d := &Delivery{
			ID: NewID(), TenantID: e.TenantID, EventID: e.ID, EndpointID: endpointID, Status: DeliveryPending,
			NextAttemptAt: at, CreatedAt: at, UpdatedAt: at,
		}
		if err := tx.QueueDelivery(ctx, d); err != nil {
			return 0, err
		}
	}
	return len(endpoints), nil
}
