package store

import (
	"context"

	"github.com/kiraapi/kira/server/kyc"
)

// RedactUser stores the tombstone u and erases the rest of the user's personal data, as kyc.Tx
// describes, in the transaction. On SQLite, once the transaction commits, the WAL is
// checkpointed and truncated (see compactAfterErasure).
func (t *tx) RedactUser(ctx context.Context, u *kyc.User) error {
	u.UpdatedAt, u.RedactedAt = t.s.timestamp(u.UpdatedAt), t.s.timestamp(u.RedactedAt)
	n, err := t.q.exec(ctx, `UPDATE users SET status = ?, email_lower = '', attempts = ?, public = '{}', secrets = ?, reasons = '[]',
		updated_at = ?, redacted_at = ? WHERE tenant_id = ? AND id = ?`,
		string(u.Status), u.Attempts, []byte{}, u.UpdatedAt, u.RedactedAt, u.TenantID, u.ID)
	if err != nil {
		return dbError("redact user", err)
	}
	if n == 0 {
		return notFound("User")
	}
	t.forget(u.TenantID, u.ID)
	// Dropped now and again once committed: a read that began before the commit may keep it anew.
	keyName := string(userKeyAAD(u.TenantID, u.ID))
	t.s.dataKeys.Remove(keyName)
	t.afterCommit = append(t.afterCommit, func(context.Context) { t.s.dataKeys.Remove(keyName) })
	steps := []struct{ op, query string }{
		{"delete user data key", "DELETE FROM user_keys WHERE tenant_id = ? AND user_id = ?"},
		{"delete user documents", "DELETE FROM user_documents WHERE tenant_id = ? AND user_id = ?"},
		{"purge idempotent responses", "DELETE FROM idempotency_keys WHERE tenant_id = ? AND user_id = ?"},
		{"redact delivery attempts", `UPDATE delivery_attempts SET response_excerpt = '' WHERE delivery_id IN
			(SELECT d.id FROM deliveries d JOIN events e ON e.id = d.event_id WHERE e.tenant_id = ? AND e.user_id = ?)`},
	}
	for _, st := range steps {
		if _, err := t.q.exec(ctx, st.query, u.TenantID, u.ID); err != nil {
			return dbError(st.op, err)
		}
	}
	if err := t.redactEvents(ctx, u); err != nil {
		return err
	}
	t.afterCommit = append(t.afterCommit, t.s.compactAfterErasure)
	return nil
}

// redactEvents leaves the payloads of the user's events without their personal fields: the sealed
// payloads go, and the ones stored in the clear (by a user written before data keys) are redacted.
func (t *tx) redactEvents(ctx context.Context, u *kyc.User) error {
	r, err := t.q.query(ctx, "SELECT id, payload FROM events WHERE tenant_id = ? AND user_id = ?", u.TenantID, u.ID)
	if err != nil {
		return dbError("read the user's events", err)
	}
	payloads := map[string][]byte{}
	for r.Next() {
		var id string
		var payload []byte
		if err := r.Scan(&id, &payload); err != nil {
			r.Close()
			return dbError("read the user's events", err)
		}
		payloads[id] = payload
	}
	r.Close()
	if err := r.Err(); err != nil {
		return dbError("read the user's events", err)
	}
	for id, payload := range payloads {
		redacted, err := kyc.RedactPayload(payload)
		if err != nil {
			return err
		}
		if _, err := t.q.exec(ctx, "UPDATE events SET payload = ?, sealed_payload = NULL WHERE id = ?", string(redacted), id); err != nil {
			return dbError("redact event", err)
		}
	}
	return nil
}

// compactAfterErasure makes what an erasure overwrote leave the database's files: on SQLite
// (whose writer runs with secure_delete, so that deleted content is zeroed in the file) it
// checkpoints the WAL, which still holds the pages as they were, and truncates it; PostgreSQL's
// vacuum reclaims dead rows in its own time. It is best effort: a checkpoint that readers keep
// from completing is logged, and the next one, or closing the database, finishes it.
func (s *Store) compactAfterErasure(ctx context.Context) {
	if err := s.db.compactAfterErasure(ctx); err != nil {
		s.logger.WarnContext(ctx, "the WAL could not be truncated after an erasure", "error", err)
	}
}
