package store

import (
	"context"
	"fmt"
	"time"

	"github.com/kiraapi/kira/server/kyc"
)

// eventColumns are an event's columns and its user's sealed data key (NULL for an erased user, or
// one written before data keys).
const eventColumns = "id, tenant_id, type, user_id, created_at, payload, sealed_payload, " +
	"(SELECT data_key FROM user_keys WHERE user_keys.user_id = events.user_id)"

// pruneBatch is how many events one statement of PruneEvents deletes, so that a large backlog is
// deleted in short transactions.
const pruneBatch = 1000

// ListEvents returns a page of the tenant's events, newest first (ties by id, descending), and the
// cursor of the next page, "" on the last. An invalid cursor is an EInvalid error on the field
// cursor.
func (s *Store) ListEvents(ctx context.Context, tenantID string, f kyc.EventFilter) ([]*kyc.Event, string, error) {
	query := "SELECT " + eventColumns + " FROM events WHERE tenant_id = ?"
	args := []any{tenantID}
	if f.Type != "" {
		query += " AND type = ?"
		args = append(args, string(f.Type))
	}
	if f.UserID != "" {
		query += " AND user_id = ?"
		args = append(args, f.UserID)
	}
	return listPage(ctx, s.db.reader(), "list events", query, args, f.Cursor, f.Limit, s.scanEvent,
		func(e *kyc.Event) (time.Time, string) { return e.CreatedAt, e.ID })
}

// GetEvent returns the tenant's event, or ENotFound.
func (s *Store) GetEvent(ctx context.Context, tenantID, id string) (*kyc.Event, error) {
	e, err := s.scanEvent(s.db.reader().queryRow(ctx, "SELECT "+eventColumns+" FROM events WHERE tenant_id = ? AND id = ?", tenantID, id))
	if isNoRows(err) {
		return nil, notFound("Event")
	}
	if err != nil {
		return nil, dbError("get event", err)
	}
	return e, nil
}

// PruneEvents deletes the events created before t, with their deliveries and attempts (the
// foreign keys cascade), in batches, and returns how many events it deleted. The KYC vendors'
// webhook events received before t go too: a vendor's redelivery of one after that is applied
// again, and finds its attempt decided (kyc.ApplyVendorDecision).
func (s *Store) PruneEvents(ctx context.Context, before time.Time) (int, error) {
	before = before.UTC().Truncate(time.Microsecond)
	if _, err := s.deleteInBatches(ctx, "prune vendor events",
		"DELETE FROM vendor_events WHERE (provider, event_id) IN (SELECT provider, event_id FROM vendor_events WHERE received_at < ? LIMIT ?)", before); err != nil {
		return 0, err
	}
	return s.deleteInBatches(ctx, "prune events", "DELETE FROM events WHERE id IN (SELECT id FROM events WHERE created_at < ? LIMIT ?)", before)
}

// deleteInBatches runs query, a DELETE of at most its second argument's rows older than its
// first, until it deletes fewer, and returns how many rows it deleted.
func (s *Store) deleteInBatches(ctx context.Context, op, query string, before time.Time) (int, error) {
	total := 0
	for {
		n, err := s.db.writer().exec(ctx, query, before, pruneBatch)
		if err != nil {
			return total, dbError(op, err)
		}
		total += int(n)
		if n < pruneBatch {
			return total, nil
		}
	}
}

// scanEvent reads a row of eventColumns. The payload is returned as it was written: opened with
// its user's data key when it holds personal data (sealed_payload), else as it is stored.
func (s *Store) scanEvent(r row) (*kyc.Event, error) {
	var e kyc.Event
	var typ string
	var payload, sealed, dataKey []byte
	if err := r.Scan(&e.ID, &e.TenantID, &typ, &e.UserID, scanTime(&e.CreatedAt), &payload, &sealed, &dataKey); err != nil {
		return nil, err
	}
	e.Type, e.Payload = kyc.EventType(typ), payload
	if sealed == nil || dataKey == nil {
		return &e, nil
	}
	sealer, err := s.userSealer(e.TenantID, e.UserID, dataKey)
	if err != nil {
		return nil, err
	}
	if e.Payload, err = sealer.Open(sealed, eventAAD(e.TenantID, e.ID)); err != nil {
		return nil, fmt.Errorf("open event payload: %w", err)
	}
	return &e, nil
}

// eventAAD binds a sealed payload to its event.
func eventAAD(tenantID, id string) []byte { return []byte("event/" + tenantID + "/" + id) }
