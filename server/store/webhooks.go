package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/kiraapi/kira/server/kyc"
)

var _ kyc.WebhookStore = (*Store)(nil)

const webhookColumns = "id, tenant_id, url, description, events, status, secret, previous_secret, previous_secret_expires_at, created_at, updated_at"

// maxWebhooks bounds a listing of endpoints.
const maxWebhooks = 100

// CreateWebhook stores a new endpoint, its secret sealed; EConflict if its id is taken. It sets
// e's timestamps to the stored values (now where they were zero).
func (s *Store) CreateWebhook(ctx context.Context, e *kyc.WebhookEndpoint) error {
	e.CreatedAt, e.UpdatedAt = s.timestamp(e.CreatedAt), s.timestamp(e.UpdatedAt)
	events := e.Events
	if events == nil {
		events = []kyc.EventType{}
	}
	encoded, err := json.Marshal(events)
	if err != nil {
		return fmt.Errorf("encode webhook events: %w", err)
	}
	aad := webhookAAD(e.TenantID, e.ID)
	var previous any // NULL when there is none
	if e.PreviousSecret != "" {
		previous = s.keyring.Seal([]byte(e.PreviousSecret), aad)
	}
	_, err = s.db.writer().exec(ctx, "INSERT INTO webhook_endpoints ("+webhookColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		e.ID, e.TenantID, e.URL, e.Description, string(encoded), string(e.Status), s.keyring.Seal([]byte(e.Secret), aad),
		previous, nullTime(e.PreviousSecretExpiresAt), e.CreatedAt, e.UpdatedAt)
	if err != nil {
		return writeError("create webhook", "A webhook endpoint with this id already exists.", err)
	}
	return nil
}

// GetWebhook returns the tenant's endpoint with its secrets opened, or ENotFound.
func (s *Store) GetWebhook(ctx context.Context, tenantID, id string) (*kyc.WebhookEndpoint, error) {
	e, err := s.scanWebhook(s.db.reader().queryRow(ctx, "SELECT "+webhookColumns+" FROM webhook_endpoints WHERE tenant_id = ? AND id = ?", tenantID, id))
	if isNoRows(err) {
		return nil, notFound("Webhook endpoint")
	}
	if err != nil {
		return nil, dbError("get webhook", err)
	}
	return e, nil
}

// ListWebhooks returns the tenant's endpoints, newest first (at most 100).
func (s *Store) ListWebhooks(ctx context.Context, tenantID string) ([]*kyc.WebhookEndpoint, error) {
	r, err := s.db.reader().query(ctx, "SELECT "+webhookColumns+` FROM webhook_endpoints WHERE tenant_id = ?
		ORDER BY created_at DESC, id DESC LIMIT ?`, tenantID, maxWebhooks)
	if err != nil {
		return nil, dbError("list webhooks", err)
	}
	defer r.Close()
	var out []*kyc.WebhookEndpoint
	for r.Next() {
		e, err := s.scanWebhook(r)
		if err != nil {
			return nil, dbError("list webhooks", err)
		}
		out = append(out, e)
	}
	if err := r.Err(); err != nil {
		return nil, dbError("list webhooks", err)
	}
	return out, nil
}

// DeleteWebhook deletes the tenant's endpoint and cancels its pending deliveries, in one
// transaction; ENotFound if there is no such endpoint. Its deliveries stay, for the history.
func (s *Store) DeleteWebhook(ctx context.Context, tenantID, id string) error {
	return s.db.inTx(ctx, func(q querier, _ enqueueFunc) error {
		n, err := q.exec(ctx, "DELETE FROM webhook_endpoints WHERE tenant_id = ? AND id = ?", tenantID, id)
		if err != nil {
			return dbError("delete webhook", err)
		}
		if n == 0 {
			return notFound("Webhook endpoint")
		}
		return s.cancelPendingDeliveries(ctx, q, id)
	})
}

// RotateWebhookSecret makes secret the endpoint's current secret and the current one its
// previous secret until previousExpiresAt, in one statement (concurrent rotations each keep the
// secret they replaced), and returns the endpoint as stored; ENotFound if there is no such endpoint.
func (s *Store) RotateWebhookSecret(ctx context.Context, tenantID, id, secret string, previousExpiresAt time.Time) (*kyc.WebhookEndpoint, error) {
	e, err := s.scanWebhook(s.db.writer().queryRow(ctx, `UPDATE webhook_endpoints
		SET previous_secret = secret, previous_secret_expires_at = ?, secret = ?, updated_at = ?
		WHERE tenant_id = ? AND id = ? RETURNING `+webhookColumns,
		s.timestamp(previousExpiresAt), s.keyring.Seal([]byte(secret), webhookAAD(tenantID, id)), s.timestamp(time.Time{}), tenantID, id))
	if isNoRows(err) {
		return nil, notFound("Webhook endpoint")
	}
	if err != nil {
		return nil, dbError("rotate webhook secret", err)
	}
	return e, nil
}

// scanWebhook reads a row of webhookColumns, opening the sealed secrets. A missing row is an
// error matching sql.ErrNoRows.
func (s *Store) scanWebhook(r row) (*kyc.WebhookEndpoint, error) {
	var (
		e                 kyc.WebhookEndpoint
		events            []byte
		status            string
		secret, previous  []byte
		previousExpiresAt time.Time
	)
	if err := r.Scan(&e.ID, &e.TenantID, &e.URL, &e.Description, &events, &status, &secret, &previous,
		scanNullTime(&previousExpiresAt), scanTime(&e.CreatedAt), scanTime(&e.UpdatedAt)); err != nil {
		return nil, err
	}
	e.Status = kyc.EndpointStatus(status)
	if err := json.Unmarshal(events, &e.Events); err != nil {
		return nil, fmt.Errorf("decode webhook events: %w", err)
	}
	if len(e.Events) == 0 {
		e.Events = nil
	}
	aad := webhookAAD(e.TenantID, e.ID)
	plain, err := s.keyring.Open(secret, aad)
	if err != nil {
		return nil, fmt.Errorf("open webhook secret: %w", err)
	}
	e.Secret = string(plain)
	if previous != nil {
		if plain, err = s.keyring.Open(previous, aad); err != nil {
			return nil, fmt.Errorf("open previous webhook secret: %w", err)
		}
		e.PreviousSecret, e.PreviousSecretExpiresAt = string(plain), previousExpiresAt
	}
	return &e, nil
}

// webhookAAD binds an endpoint's sealed secrets to the endpoint.
func webhookAAD(tenantID, id string) []byte { return []byte("webhook/" + tenantID + "/" + id) }
