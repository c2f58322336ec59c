package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/kiraapi/kira/server/kyc"
)

const operatorColumns = "id, email, password_hash, totp_secret, totp_last_step, created_at"

// CreateOperator stores a new operator, its TOTP secret (if any) sealed under the keyring and
// bound to its id; EConflict if its id or email is taken. It sets o.CreatedAt to the stored value.
func (s *Store) CreateOperator(ctx context.Context, o *kyc.Operator) error {
	o.CreatedAt = s.timestamp(o.CreatedAt)
	var sealed []byte
	if o.TOTPSecret != "" {
		sealed = s.keyring.Seal([]byte(o.TOTPSecret), operatorTOTPAAD(o.ID))
	}
	_, err := s.db.writer().exec(ctx, "INSERT INTO operators ("+operatorColumns+") VALUES (?, ?, ?, ?, ?, ?)",
		o.ID, o.Email, o.PasswordHash, sealed, o.TOTPLastStep, o.CreatedAt)
	if err != nil {
		return writeError("create operator", "An operator with this email already exists.", err)
	}
	return nil
}

// OperatorByEmail returns the operator with this email (ignoring case), or ENotFound.
func (s *Store) OperatorByEmail(ctx context.Context, email string) (*kyc.Operator, error) {
	return s.operatorBy(ctx, "email", strings.ToLower(email))
}

// OperatorByID returns the operator with this id, or ENotFound.
func (s *Store) OperatorByID(ctx context.Context, id string) (*kyc.Operator, error) {
	return s.operatorBy(ctx, "id", id)
}

func (s *Store) operatorBy(ctx context.Context, column, value string) (*kyc.Operator, error) {
	var o kyc.Operator
	var sealed []byte
	err := s.db.reader().queryRow(ctx, "SELECT "+operatorColumns+" FROM operators WHERE "+column+" = ?", value).
		Scan(&o.ID, &o.Email, &o.PasswordHash, &sealed, &o.TOTPLastStep, scanTime(&o.CreatedAt))
	if isNoRows(err) {
		return nil, notFound("Operator")
	}
	if err != nil {
		return nil, dbError("get operator", err)
	}
	if sealed != nil {
		secret, err := s.keyring.Open(sealed, operatorTOTPAAD(o.ID))
		if err != nil {
			return nil, fmt.Errorf("open operator TOTP secret: %w", err)
		}
		o.TOTPSecret = string(secret)
	}
	return &o, nil
}

// operatorTOTPAAD binds a sealed TOTP secret to its operator.
func operatorTOTPAAD(id string) []byte { return []byte("operator-totp/" + id) }

// AcceptTOTPStep records step as the operator's last accepted TOTP step, in one conditional
// update, and reports whether it did: false when a step as late was accepted before.
func (s *Store) AcceptTOTPStep(ctx context.Context, operatorID string, step int64) (bool, error) {
	n, err := s.db.writer().exec(ctx, "UPDATE operators SET totp_last_step = ? WHERE id = ? AND totp_last_step < ?", step, operatorID, step)
	if err != nil {
		return false, dbError("accept TOTP step", err)
	}
	return n == 1, nil
}

// CreateOperatorSession stores a new console session. It sets the session's times to the stored
// values.
func (s *Store) CreateOperatorSession(ctx context.Context, se *kyc.OperatorSession) error {
	se.CreatedAt, se.LastSeenAt, se.ExpiresAt = s.timestamp(se.CreatedAt), s.timestamp(se.LastSeenAt), s.timestamp(se.ExpiresAt)
	_, err := s.db.writer().exec(ctx, "INSERT INTO operator_sessions (token_hash, operator_id, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?)",
		se.TokenHash, se.OperatorID, se.CreatedAt, se.LastSeenAt, se.ExpiresAt)
	if err != nil {
		return writeError("create operator session", "This session already exists.", err)
	}
	return nil
}

// OperatorSession returns the session with this token hash, or ENotFound.
func (s *Store) OperatorSession(ctx context.Context, tokenHash string) (*kyc.OperatorSession, error) {
	var se kyc.OperatorSession
	err := s.db.reader().queryRow(ctx, "SELECT token_hash, operator_id, created_at, last_seen_at, expires_at FROM operator_sessions WHERE token_hash = ?", tokenHash).
		Scan(&se.TokenHash, &se.OperatorID, scanTime(&se.CreatedAt), scanTime(&se.LastSeenAt), scanTime(&se.ExpiresAt))
	if isNoRows(err) {
		return nil, notFound("Session")
	}
	if err != nil {
		return nil, dbError("get operator session", err)
	}
	return &se, nil
}

// TouchOperatorSession sets a session's LastSeenAt to at.
func (s *Store) TouchOperatorSession(ctx context.Context, tokenHash string, at time.Time) error {
	if _, err := s.db.writer().exec(ctx, "UPDATE operator_sessions SET last_seen_at = ? WHERE token_hash = ?", s.timestamp(at), tokenHash); err != nil {
		return dbError("touch operator session", err)
	}
	return nil
}

// DeleteOperatorSession deletes a session, and every session that expired before now.
func (s *Store) DeleteOperatorSession(ctx context.Context, tokenHash string, now time.Time) error {
	if _, err := s.db.writer().exec(ctx, "DELETE FROM operator_sessions WHERE token_hash = ? OR expires_at < ?", tokenHash, s.timestamp(now)); err != nil {
		return dbError("delete operator session", err)
	}
	return nil
}

// CreateOperatorToken stores a new operator API token; EConflict if its id or hash is taken. It
// sets t.CreatedAt to the stored value.
func (s *Store) CreateOperatorToken(ctx context.Context, t *kyc.OperatorToken) error {
	t.CreatedAt = s.timestamp(t.CreatedAt)
	_, err := s.db.writer().exec(ctx, "INSERT INTO operator_tokens (id, operator_id, token_hash, scopes, created_at) VALUES (?, ?, ?, ?, ?)",
		t.ID, t.OperatorID, t.TokenHash, strings.Join(t.Scopes, " "), t.CreatedAt)
	if err != nil {
		return writeError("create operator token", "This token already exists.", err)
	}
	return nil
}

// OperatorTokenByHash returns the token with this hash, or ENotFound.
func (s *Store) OperatorTokenByHash(ctx context.Context, tokenHash string) (*kyc.OperatorToken, error) {
	var t kyc.OperatorToken
	var scopes string
	err := s.db.reader().queryRow(ctx, "SELECT id, operator_id, token_hash, scopes, created_at FROM operator_tokens WHERE token_hash = ?", tokenHash).
		Scan(&t.ID, &t.OperatorID, &t.TokenHash, &scopes, scanTime(&t.CreatedAt))
	if isNoRows(err) {
		return nil, notFound("Token")
	}
	if err != nil {
		return nil, dbError("get operator token", err)
	}
	t.Scopes = strings.Fields(scopes)
	return &t, nil
}

const auditColumns = "id, created_at, operator_id, action, tenant_id, user_id, field, detail, request_id"

// AppendAudit adds e to the audit trail in a transaction of its own, or in ctx's
// (kyc.ContextWithTx).
func (s *Store) AppendAudit(ctx context.Context, e *kyc.AuditEntry) error {
	return s.InTx(ctx, func(tx kyc.Tx) error { return tx.AppendAudit(ctx, e) })
}

// AppendAudit adds e to the audit trail (EConflict if its id is taken); empty strings are stored
// as NULL. It sets e.CreatedAt to the stored value.
func (t *tx) AppendAudit(ctx context.Context, e *kyc.AuditEntry) error {
	e.CreatedAt = t.s.timestamp(e.CreatedAt)
	_, err := t.q.exec(ctx, "INSERT INTO audit_log ("+auditColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
		e.ID, e.CreatedAt, nullString(e.OperatorID), string(e.Action), nullString(e.TenantID), nullString(e.UserID),
		nullString(e.Field), nullString(e.Detail), e.RequestID)
	if err != nil {
		return writeError("append audit entry", "An audit entry with this id already exists.", err)
	}
	return nil
}

// ListAudit returns a page of the audit trail, newest first, and the next page's cursor.
func (s *Store) ListAudit(ctx context.Context, cursor string, limit int) ([]*kyc.AuditEntry, string, error) {
	return listPage(ctx, s.db.reader(), "list audit entries", "SELECT "+auditColumns+" FROM audit_log WHERE 1 = 1", nil, cursor, limit,
		func(r row) (*kyc.AuditEntry, error) {
			var e kyc.AuditEntry
			var operator, tenant, user, field, detail sql.NullString
			var action string
			err := r.Scan(&e.ID, scanTime(&e.CreatedAt), &operator, &action, &tenant, &user, &field, &detail, &e.RequestID)
			e.OperatorID, e.Action, e.TenantID, e.UserID, e.Field, e.Detail = operator.String, kyc.AuditAction(action), tenant.String, user.String, field.String, detail.String
			return &e, err
		},
		func(e *kyc.AuditEntry) (time.Time, string) { return e.CreatedAt, e.ID })
}

// ReviewQueue returns a page of the users in REVIEW of every tenant, newest first, and the next
// page's cursor.
func (s *Store) ReviewQueue(ctx context.Context, cursor string, limit int) ([]*kyc.User, string, error) {
	return listPage(ctx, s.db.reader(), "list the review queue", "SELECT "+userColumns+" FROM users WHERE status = ?",
		[]any{string(kyc.StatusReview)}, cursor, limit, s.scanUser,
		func(u *kyc.User) (time.Time, string) { return u.CreatedAt, u.ID })
}

// nullString is s as a query argument: NULL when s is empty.
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}
