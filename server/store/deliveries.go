package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/kiraapi/kira/server/kyc"
)

var _ kyc.DeliveryStore = (*Store)(nil)

const deliveryColumns = "id, tenant_id, event_id, endpoint_id, status, next_attempt_at, created_at, updated_at"

const attemptColumns = "delivery_id, attempt, attempted_at, status_code, latency_ms, error, response_excerpt"

// maxDeliveries bounds the deliveries shown for an event (redeliveries add more).
const maxDeliveries = 100

// subscribedEndpoints returns the ids of the tenant's enabled endpoints that take events of type
// typ, oldest first.
func subscribedEndpoints(ctx context.Context, q querier, tenantID string, typ kyc.EventType) ([]string, error) {
	r, err := q.query(ctx, "SELECT id, events FROM webhook_endpoints WHERE tenant_id = ? AND status = ? ORDER BY created_at, id",
		tenantID, string(kyc.EndpointEnabled))
	if err != nil {
		return nil, dbError("find webhook endpoints", err)
	}
	defer r.Close()
	var ids []string
	for r.Next() {
		var ep kyc.WebhookEndpoint
		var events []byte
		if err := r.Scan(&ep.ID, &events); err != nil {
			return nil, dbError("find webhook endpoints", err)
		}
		if err := json.Unmarshal(events, &ep.Events); err != nil {
			return nil, fmt.Errorf("decode webhook events: %w", err)
		}
		if ep.Subscribed(typ) {
			ids = append(ids, ep.ID)
		}
	}
	if err := r.Err(); err != nil {
		return nil, dbError("find webhook endpoints", err)
	}
	return ids, nil
}

// ListDeliveries returns the deliveries of the tenant's event with their attempts, oldest first:
// the 100 newest.
func (s *Store) ListDeliveries(ctx context.Context, tenantID, eventID string) ([]*kyc.Delivery, error) {
	r, err := s.db.reader().query(ctx, "SELECT "+deliveryColumns+` FROM deliveries WHERE tenant_id = ? AND event_id = ?
		ORDER BY created_at DESC, id DESC LIMIT ?`, tenantID, eventID, maxDeliveries)
	if err != nil {
		return nil, dbError("list deliveries", err)
	}
	defer r.Close()
	var out []*kyc.Delivery
	byID := map[string]*kyc.Delivery{}
	for r.Next() {
		d, err := scanDelivery(r)
		if err != nil {
			return nil, dbError("list deliveries", err)
		}
		out = append(out, d)
		byID[d.ID] = d
	}
	if err := r.Err(); err != nil {
		return nil, dbError("list deliveries", err)
	}
	slices.Reverse(out)
	if len(out) == 0 {
		return out, nil
	}
	err = s.readAttempts(ctx, byID, "SELECT "+attemptColumns+` FROM delivery_attempts
		WHERE delivery_id IN (SELECT id FROM deliveries WHERE tenant_id = ? AND event_id = ?) ORDER BY attempt`, tenantID, eventID)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// LoadDelivery returns a delivery with its attempts, its endpoint (nil once deleted) and its
// event; ENotFound if the delivery is gone.
func (s *Store) LoadDelivery(ctx context.Context, id string) (*kyc.Delivery, *kyc.WebhookEndpoint, *kyc.Event, error) {
	d, err := scanDelivery(s.db.reader().queryRow(ctx, "SELECT "+deliveryColumns+" FROM deliveries WHERE id = ?", id))
	if isNoRows(err) {
		return nil, nil, nil, notFound("Delivery")
	}
	if err != nil {
		return nil, nil, nil, dbError("load delivery", err)
	}
	err = s.readAttempts(ctx, map[string]*kyc.Delivery{d.ID: d},
		"SELECT "+attemptColumns+" FROM delivery_attempts WHERE delivery_id = ? ORDER BY attempt", id)
	if err != nil {
		return nil, nil, nil, err
	}
	e, err := s.GetEvent(ctx, d.TenantID, d.EventID)
	if err != nil {
		return nil, nil, nil, err
	}
	endpoint, err := s.GetWebhook(ctx, d.TenantID, d.EndpointID)
	if kyc.ErrorCode(err) == kyc.ENotFound {
		return d, nil, e, nil
	}
	if err != nil {
		return nil, nil, nil, err
	}
	return d, endpoint, e, nil
}

// RecordDeliveryAttempt stores attempt a of the pending delivery d, with d's status and next
// attempt time, in one transaction; a delivery that is no longer pending (cancelled meanwhile)
// keeps its status. disableEndpoint also disables d's endpoint and cancels its pending
// deliveries. An attempt number recorded twice is an EConflict error. It sets a.At to the stored
// value.
func (s *Store) RecordDeliveryAttempt(ctx context.Context, d *kyc.Delivery, a kyc.DeliveryAttempt, disableEndpoint bool) error {
	a.At = s.timestamp(a.At)
	now := s.timestamp(time.Time{})
	return s.db.inTx(ctx, func(q querier, _ enqueueFunc) error {
		_, err := q.exec(ctx, "INSERT INTO delivery_attempts ("+attemptColumns+") VALUES (?, ?, ?, ?, ?, ?, ?)",
			d.ID, a.Attempt, a.At, a.StatusCode, a.Latency.Milliseconds(), a.Error, a.ResponseExcerpt)
		if err != nil {
			return writeError("record delivery attempt", "This attempt of the delivery is already recorded.", err)
		}
		_, err = q.exec(ctx, "UPDATE deliveries SET status = ?, next_attempt_at = ?, updated_at = ? WHERE id = ? AND status = ?",
			string(d.Status), nullTime(d.NextAttemptAt), now, d.ID, string(kyc.DeliveryPending))
		if err != nil {
			return dbError("record delivery attempt", err)
		}
		if !disableEndpoint {
			return nil
		}
		_, err = q.exec(ctx, "UPDATE webhook_endpoints SET status = ?, updated_at = ? WHERE tenant_id = ? AND id = ?",
			string(kyc.EndpointDisabled), now, d.TenantID, d.EndpointID)
		if err != nil {
			return dbError("disable webhook", err)
		}
		return s.cancelPendingDeliveries(ctx, q, d.EndpointID)
	})
}

// CancelDelivery cancels a delivery that is still pending.
func (s *Store) CancelDelivery(ctx context.Context, id string) error {
	_, err := s.db.writer().exec(ctx, "UPDATE deliveries SET status = ?, next_attempt_at = NULL, updated_at = ? WHERE id = ? AND status = ?",
		string(kyc.DeliveryCanceled), s.timestamp(time.Time{}), id, string(kyc.DeliveryPending))
	if err != nil {
		return dbError("cancel delivery", err)
	}
	return nil
}

// cancelPendingDeliveries cancels an endpoint's pending deliveries through q.
func (s *Store) cancelPendingDeliveries(ctx context.Context, q querier, endpointID string) error {
	_, err := q.exec(ctx, "UPDATE deliveries SET status = ?, next_attempt_at = NULL, updated_at = ? WHERE endpoint_id = ? AND status = ?",
		string(kyc.DeliveryCanceled), s.timestamp(time.Time{}), endpointID, string(kyc.DeliveryPending))
	if err != nil {
		return dbError("cancel deliveries", err)
	}
	return nil
}

// readAttempts runs query, which selects attemptColumns, and appends each attempt to its delivery
// in byID, in the order read.
func (s *Store) readAttempts(ctx context.Context, byID map[string]*kyc.Delivery, query string, args ...any) error {
	r, err := s.db.reader().query(ctx, query, args...)
	if err != nil {
		return dbError("read delivery attempts", err)
	}
	defer r.Close()
	for r.Next() {
		var deliveryID string
		var a kyc.DeliveryAttempt
		var latencyMS int64
		if err := r.Scan(&deliveryID, &a.Attempt, scanTime(&a.At), &a.StatusCode, &latencyMS, &a.Error, &a.ResponseExcerpt); err != nil {
			return dbError("read delivery attempts", err)
		}
		a.Latency = time.Duration(latencyMS) * time.Millisecond
		if d, ok := byID[deliveryID]; ok {
			d.Attempts = append(d.Attempts, a)
		}
	}
	if err := r.Err(); err != nil {
		return dbError("read delivery attempts", err)
	}
	return nil
}

func scanDelivery(r row) (*kyc.Delivery, error) {
	var d kyc.Delivery
	var status string
	if err := r.Scan(&d.ID, &d.TenantID, &d.EventID, &d.EndpointID, &status, scanNullTime(&d.NextAttemptAt),
		scanTime(&d.CreatedAt), scanTime(&d.UpdatedAt)); err != nil {
		return nil, err
	}
	d.Status = kyc.DeliveryStatus(status)
	return &d, nil
}
