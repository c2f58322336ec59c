package kyc

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/kiraapi/kira/openapi/timestamp"
)

// RedactedEmail stands for the email of a redacted user wherever the API requires an email: in
// the tombstone and in the user.created event it keeps. Its domain is reserved (RFC 2606), so it
// reaches no one.
const RedactedEmail = "redacted@redacted.invalid"

// RedactionReason says why a user was erased.
type RedactionReason string

// The redaction reasons.
const (
	// RedactedOnRequest: the client asked (POST /v1/users/{userId}/redact).
	RedactedOnRequest RedactionReason = "request"
	// RedactedByRetention: the user was left CREATED or REJECTED longer than the retention period.
	RedactedByRetention RedactionReason = "retention"
)

// RedactUser erases a user's personal data and keeps a tombstone: id, type, status, attempts,
// timestamps and RedactedAt; the status history stays in the event log, whose payloads lose their
// personal fields. The user's data key is destroyed (crypto-shredding), its pending verification
// sessions expire, and a user.redacted event is emitted, all in one transaction. A user who is
// VERIFYING or REVIEW keeps that status and its pending verification is cancelled: it is never
// decided. Redacting a redacted user changes nothing and returns its tombstone. ENotFound if the
// tenant has no such user.
func (s *UserService) RedactUser(ctx context.Context, tenantID, id string, reason RedactionReason) (*User, error) {
	var out *User
	err := s.store.InTx(ctx, func(tx Tx) error {
		u, err := tx.GetUserForUpdate(ctx, tenantID, id)
		if err != nil {
			return err
		}
		out = u
		if u.Redacted() {
			return nil
		}
		now := s.now().UTC()
		u.Fields, u.Reasons, u.RedactedAt, u.UpdatedAt = Fields{}, nil, now, now
		if err := tx.ExpirePendingSessions(ctx, tenantID, id, now); err != nil {
			return err
		}
		if err := tx.RedactUser(ctx, u); err != nil {
			return err
		}
		return s.appendEvent(ctx, tx, u, EventUserRedacted, map[string]any{
			"user_id": u.ID, "status": u.Status, "reason": reason, "redacted_at": timestamp.Of(u.RedactedAt),
		})
	})
	if err != nil {
		return nil, fmt.Errorf("redact user: %w", err)
	}
	return out, nil
}

// Retention says how long users may stay untouched in a status before they are erased: CREATED
// users that never completed, and REJECTED ones. Zero keeps them.
type Retention struct {
	Created  time.Duration
	Rejected time.Duration
}

// retentionBatch is how many users one pass of EraseExpired erases per status at most.
const retentionBatch = 100

// EraseExpired erases (RedactUser, reason retention) the users that have been CREATED for longer
// than r.Created or REJECTED for longer than r.Rejected without a change, at most retentionBatch
// of each per call, and returns how many it erased. A user that changed meanwhile is left alone.
func (s *UserService) EraseExpired(ctx context.Context, r Retention) (int, error) {
	n := 0
	for status, period := range map[Status]time.Duration{StatusCreated: r.Created, StatusRejected: r.Rejected} {
		if period <= 0 {
			continue
		}
		before := s.now().Add(-period)
		due, err := s.store.RetentionDue(ctx, status, before, retentionBatch)
		if err != nil {
			return n, fmt.Errorf("erase expired users: %w", err)
		}
		for _, ref := range due {
			erased, err := s.eraseIfStill(ctx, ref, status, before)
			if err != nil {
				return n, fmt.Errorf("erase expired users: %w", err)
			}
			if erased {
				n++
			}
		}
	}
	return n, nil
}

// eraseIfStill erases the user if it is still in status, unchanged since before.
func (s *UserService) eraseIfStill(ctx context.Context, ref UserRef, status Status, before time.Time) (bool, error) {
	erased := false
	err := s.store.InTx(ctx, func(tx Tx) error {
		u, err := tx.GetUserForUpdate(ctx, ref.TenantID, ref.ID)
		if err != nil || u.Redacted() || u.Status != status || !u.UpdatedAt.Before(before) {
			return err
		}
		_, err = s.RedactUser(ContextWithTx(ctx, tx), ref.TenantID, ref.ID, RedactedByRetention)
		erased = err == nil
		return err
	})
	return erased, err
}

// errRedacted refuses any change to a redacted user.
func errRedacted() error {
	return Errorf(EInvalidTransition, "This user's personal data was erased: the user cannot change.")
}

// RedactPayload removes the personal fields, those of the user field table, from an event
// payload ({"event": ..., "data": {...}}); email, which the API requires, becomes RedactedEmail.
func RedactPayload(payload json.RawMessage) (json.RawMessage, error) {
	var p struct {
		Event EventType                  `json:"event"`
		Data  map[string]json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(payload, &p); err != nil {
		return nil, fmt.Errorf("decode event payload: %w", err)
	}
	_, hadEmail := p.Data["email"]
	for name := range p.Data {
		if UserField(name) != nil {
			delete(p.Data, name)
		}
	}
	if hadEmail {
		p.Data["email"] = json.RawMessage(`"` + RedactedEmail + `"`)
	}
	out, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("encode event payload: %w", err)
	}
	return out, nil
}
