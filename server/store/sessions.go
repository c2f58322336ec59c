package store

import (
	"context"
	"time"

	"github.com/kiraapi/kira/server/kyc"
)

const sessionColumns = "id, tenant_id, user_id, type, status, redirect_uri, expires_at, created_at, updated_at"

// ListSessions returns a user's verification sessions, newest first (at most 100).
func (s *Store) ListSessions(ctx context.Context, tenantID, userID string) ([]*kyc.Session, error) {
	r, err := s.db.reader().query(ctx, "SELECT "+sessionColumns+` FROM verification_sessions
		WHERE tenant_id = ? AND user_id = ? ORDER BY created_at DESC, id DESC LIMIT 100`, tenantID, userID)
	if err != nil {
		return nil, dbError("list sessions", err)
	}
	defer r.Close()
	var out []*kyc.Session
	for r.Next() {
		se, err := scanSession(r)
		if err != nil {
			return nil, dbError("list sessions", err)
		}
		out = append(out, se)
	}
	if err := r.Err(); err != nil {
		return nil, dbError("list sessions", err)
	}
	return out, nil
}

// GetSession returns a session by id; ENotFound if there is none.
func (s *Store) GetSession(ctx context.Context, id string) (*kyc.Session, error) {
	return getSession(ctx, s.db.reader(), id, "")
}

// GetSessionForUpdate reads a session and locks it until the transaction ends.
func (t *tx) GetSessionForUpdate(ctx context.Context, id string) (*kyc.Session, error) {
	return getSession(ctx, t.q, id, t.s.db.dialect().forUpdate)
}

func getSession(ctx context.Context, q querier, id, suffix string) (*kyc.Session, error) {
	se, err := scanSession(q.queryRow(ctx, "SELECT "+sessionColumns+" FROM verification_sessions WHERE id = ?"+suffix, id))
	if isNoRows(err) {
		return nil, notFound("Verification session")
	}
	if err != nil {
		return nil, dbError("get session", err)
	}
	return se, nil
}

// InsertSession inserts a session (EConflict if its id is taken).
func (t *tx) InsertSession(ctx context.Context, se *kyc.Session) error {
	se.CreatedAt, se.ExpiresAt = t.s.timestamp(se.CreatedAt), t.s.timestamp(se.ExpiresAt)
	_, err := t.q.exec(ctx, "INSERT INTO verification_sessions ("+sessionColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
		se.ID, se.TenantID, se.UserID, se.Type, string(se.Status), se.RedirectURI, se.ExpiresAt, se.CreatedAt, se.CreatedAt)
	if err != nil {
		return writeError("insert session", "A session with this id already exists.", err)
	}
	return nil
}

// UpdateSession stores a session's status; a completed session's completion time is stored as
// its update time.
func (t *tx) UpdateSession(ctx context.Context, se *kyc.Session) error {
	at := se.CompletedAt
	if se.Status != kyc.SessionCompleted {
		at = time.Time{}
	}
	at = t.s.timestamp(at)
	if se.Status == kyc.SessionCompleted {
		se.CompletedAt = at
	}
	n, err := t.q.exec(ctx, "UPDATE verification_sessions SET status = ?, updated_at = ? WHERE id = ?", string(se.Status), at, se.ID)
	if err != nil {
		return dbError("update session", err)
	}
	if n == 0 {
		return notFound("Verification session")
	}
	return nil
}

// ExpirePendingSessions marks the user's pending sessions expired.
func (t *tx) ExpirePendingSessions(ctx context.Context, tenantID, userID string, at time.Time) error {
	_, err := t.q.exec(ctx, "UPDATE verification_sessions SET status = ?, updated_at = ? WHERE tenant_id = ? AND user_id = ? AND status = ?",
		string(kyc.SessionExpired), t.s.timestamp(at), tenantID, userID, string(kyc.SessionPending))
	if err != nil {
		return dbError("expire sessions", err)
	}
	return nil
}

func scanSession(r row) (*kyc.Session, error) {
	var se kyc.Session
	var status string
	var updated time.Time
	if err := r.Scan(&se.ID, &se.TenantID, &se.UserID, &se.Type, &status, &se.RedirectURI,
		scanTime(&se.ExpiresAt), scanTime(&se.CreatedAt), scanTime(&updated)); err != nil {
		return nil, err
	}
	se.Status = kyc.SessionStatus(status)
	if se.Status == kyc.SessionCompleted {
		se.CompletedAt = updated
	}
	return &se, nil
}
