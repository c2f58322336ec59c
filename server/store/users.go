package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/kiraapi/kira/server/kyc"
)

// defaultListLimit is the page size when the filter gives none.
const defaultListLimit = 10

const userColumns = "id, tenant_id, type, status, attempts, public, secrets, reasons, created_at, updated_at"

// GetUser returns the tenant's user, or ENotFound.
func (s *Store) GetUser(ctx context.Context, tenantID, id string) (*kyc.User, error) {
	return s.getUser(ctx, s.db.reader(), tenantID, id, "")
}

// getUser reads a user through q; suffix ends the query (a row lock).
func (s *Store) getUser(ctx context.Context, q querier, tenantID, id, suffix string) (*kyc.User, error) {
	u, err := s.scanUser(q.queryRow(ctx, "SELECT "+userColumns+" FROM users WHERE tenant_id = ? AND id = ?"+suffix, tenantID, id))
	if isNoRows(err) {
		return nil, notFound("User")
	}
	if err != nil {
		return nil, dbError("get user", err)
	}
	return u, nil
}

// ListUsers returns a page of the tenant's users, newest first (ties by id, descending), and the
// cursor of the next page, "" on the last. The email filter is exact but ignores case; an invalid
// cursor is an EInvalid error on the field cursor.
func (s *Store) ListUsers(ctx context.Context, tenantID string, f kyc.UserFilter) ([]*kyc.User, string, error) {
	query := "SELECT " + userColumns + " FROM users WHERE tenant_id = ?"
	args := []any{tenantID}
	if f.Status != "" {
		query += " AND status = ?"
		args = append(args, string(f.Status))
	}
	if f.Type != "" {
		query += " AND type = ?"
		args = append(args, string(f.Type))
	}
	if f.Email != "" {
		query += " AND email_lower = ?"
		args = append(args, strings.ToLower(f.Email))
	}
	return listPage(ctx, s.db.reader(), "list users", query, args, f.Cursor, f.Limit, s.scanUser,
		func(u *kyc.User) (time.Time, string) { return u.CreatedAt, u.ID })
}

// scanUser reads a row of userColumns, opening the sealed personal data. A missing row is an
// error matching sql.ErrNoRows.
func (s *Store) scanUser(r row) (*kyc.User, error) {
	var (
		u                       kyc.User
		typ, status             string
		public, sealed, reasons []byte
	)
	if err := r.Scan(&u.ID, &u.TenantID, &typ, &status, &u.Attempts, &public, &sealed, &reasons,
		scanTime(&u.CreatedAt), scanTime(&u.UpdatedAt)); err != nil {
		return nil, err
	}
	u.Type, u.Status = kyc.UserType(typ), kyc.Status(status)
	var fields kyc.Fields
	if err := json.Unmarshal(public, &fields); err != nil {
		return nil, fmt.Errorf("decode user fields: %w", err)
	}
	plain, err := s.keyring.Open(sealed, userAAD(u.TenantID, u.ID))
	if err != nil {
		return nil, fmt.Errorf("open user secrets: %w", err)
	}
	var secrets kyc.Secrets
	if err := json.Unmarshal(plain, &secrets); err != nil {
		return nil, fmt.Errorf("decode user secrets: %w", err)
	}
	u.Fields = kyc.Join(fields, secrets)
	if err := json.Unmarshal(reasons, &u.Reasons); err != nil {
		return nil, fmt.Errorf("decode user reasons: %w", err)
	}
	return &u, nil
}

// userRecord is a user's columns that are encoded: personal data sealed, the rest JSON.
type userRecord struct {
	emailLower string
	public     string
	secrets    []byte
	reasons    string
}

func (s *Store) encodeUser(u *kyc.User) (userRecord, error) {
	fields, secrets := u.Fields.Split()
	public, err := json.Marshal(fields)
	if err != nil {
		return userRecord{}, fmt.Errorf("encode user fields: %w", err)
	}
	plain, err := json.Marshal(secrets)
	if err != nil {
		return userRecord{}, fmt.Errorf("encode user secrets: %w", err)
	}
	reasons, err := json.Marshal(u.Reasons)
	if err != nil {
		return userRecord{}, fmt.Errorf("encode user reasons: %w", err)
	}
	return userRecord{
		emailLower: strings.ToLower(u.Fields.Email),
		public:     string(public),
		secrets:    s.keyring.Seal(plain, userAAD(u.TenantID, u.ID)),
		reasons:    string(reasons),
	}, nil
}

// userAAD binds a user's sealed data to the user: it does not open in another row.
func userAAD(tenantID, id string) []byte { return []byte(tenantID + "/" + id) }
