package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/kiraapi/kira/server/kyc"
)

var _ kyc.WebhookStore = (*Store)(nil)

const webhookColumns = "id, tenant_id, url, description, events, status, secret, previous_secret, previous_secret_expires_at, created_at, updated_at"

// CreateWebhook stores a new endpoint, its secret sealed; EConflict if its id is taken, and
// kyc.ErrTooManyWebhooks if the tenant has kyc.MaxWebhooks endpoints already. The count and the
// insert are one transaction holding the tenant's row (on SQLite, the database's write lock), so
// concurrent creates cannot pass the cap. It sets e's timestamps to the stored values (now where
// they were zero).
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
	secret := s.keyring.Seal([]byte(e.Secret), aad)
	return s.db.inTx(ctx, func(q querier, _ enqueueFunc) error {
		var tenant string
		err := q.queryRow(ctx, "SELECT id FROM tenants WHERE id = ?"+s.db.dialect().forNoKeyUpdate, e.TenantID).Scan(&tenant)
		if err != nil && !isNoRows(err) { // no tenant: the insert below fails
			return dbError("create webhook: lock tenant", err)
		}
		var n int
		if err := q.queryRow(ctx, "SELECT count(*) FROM webhook_endpoints WHERE tenant_id = ?", e.TenantID).Scan(&n); err != nil {
			return dbError("create webhook: count endpoints", err)
		}
		if n >= kyc.MaxWebhooks {
			return kyc.ErrTooManyWebhooks
		}
		_, err = q.exec(ctx, "INSERT INTO webhook_endpoints ("+webhookColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			e.ID, e.TenantID, e.URL, e.Description, string(encoded), string(e.Status), secret,
			previous, nullTime(e.PreviousSecretExpiresAt), e.CreatedAt, e.UpdatedAt)
		if err != nil {
			return writeError("create webhook", "A webhook endpoint with this id already exists.", err)
		}
		return nil
	})
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

// ListWebhooks returns the tenant's endpoints, newest first: all of them, since CreateWebhook
// keeps them to kyc.MaxWebhooks.
func (s *Store) ListWebhooks(ctx context.Context, tenantID string) ([]*kyc.WebhookEndpoint, error) {
	r, err := s.db.reader().query(ctx, "SELECT "+webhookColumns+` FROM webhook_endpoints WHERE tenant_id = ?
		ORDER BY created_at DESC, id DESC LIMIT ?`, tenantID, kyc.MaxWebhooks)
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
// previous secret until now+kyc.SecretOverlap, and returns the endpoint as stored; ENotFound if
// there is no such endpoint, kyc.PreviousSecretValid if its previous secret still signs at now.
// The check and the change are one statement: of concurrent rotations, one wins.
func (s *Store) RotateWebhookSecret(ctx context.Context, tenantID, id, secret string, now time.Time) (*kyc.WebhookEndpoint, error) {
	now = s.timestamp(now)
	var e *kyc.WebhookEndpoint
	err := s.db.inTx(ctx, func(q querier, _ enqueueFunc) error {
		var err error
		e, err = s.scanWebhook(q.queryRow(ctx, `UPDATE webhook_endpoints
			SET previous_secret = secret, previous_secret_expires_at = ?, secret = ?, updated_at = ?
			WHERE tenant_id = ? AND id = ? AND (previous_secret_expires_at IS NULL OR previous_secret_expires_at <= ?)
			RETURNING `+webhookColumns,
			now.Add(kyc.SecretOverlap), s.keyring.Seal([]byte(secret), webhookAAD(tenantID, id)), now, tenantID, id, now))
		if !isNoRows(err) {
			return err
		}
		var until time.Time
		err = q.queryRow(ctx, "SELECT previous_secret_expires_at FROM webhook_endpoints WHERE tenant_id = ? AND id = ?", tenantID, id).Scan(scanNullTime(&until))
		switch {
		case isNoRows(err):
			return notFound("Webhook endpoint")
		case err != nil:
			return err
		}
		return kyc.PreviousSecretValid(until)
	})
	if err != nil {
		if kerr := (*kyc.Error)(nil); !errors.As(err, &kerr) {
			err = dbError("rotate webhook secret", err)
		}
		return nil, err
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
