package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	jsonv2 "github.com/go-json-experiment/json"

	"github.com/kiraapi/kira/server/kyc"
	"github.com/kiraapi/kira/server/secret"
)

// defaultListLimit is the page size when the filter gives none.
const defaultListLimit = 10

// userColumns are a user's columns and its sealed data key (NULL for a user written before data
// keys, or redacted).
const userColumns = "id, tenant_id, type, status, attempts, public, secrets, reasons, created_at, updated_at, redacted_at, " +
	"(SELECT data_key FROM user_keys WHERE user_keys.user_id = users.id)"

// GetUser returns the tenant's user, or ENotFound.
func (s *Store) GetUser(ctx context.Context, tenantID, id string) (*kyc.User, error) {
	u, _, err := s.getUser(ctx, s.db.reader(), tenantID, id, "")
	return u, err
}

// getUser reads a user through q, with the sealer of its data key (nil when it has none); suffix
// ends the query (a row lock).
func (s *Store) getUser(ctx context.Context, q querier, tenantID, id, suffix string) (*kyc.User, *secret.Sealer, error) {
	u, sealer, err := s.scanUserKey(q.queryRow(ctx, "SELECT "+userColumns+" FROM users WHERE tenant_id = ? AND id = ?"+suffix, tenantID, id))
	if isNoRows(err) {
		return nil, nil, notFound("User")
	}
	if err != nil {
		return nil, nil, dbError("get user", err)
	}
	return u, sealer, nil
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
	switch {
	case f.Email != "" && s.clearEmails:
		// Users written before data keys keep their email in the clear until their next write.
		query += " AND email_lower IN (?, ?)"
		args = append(args, s.emailKey(f.Email), strings.ToLower(f.Email))
	case f.Email != "":
		query += " AND email_lower = ?"
		args = append(args, s.emailKey(f.Email))
	}
	return listPage(ctx, s.db.reader(), "list users", query, args, f.Cursor, f.Limit, s.scanUser,
		func(u *kyc.User) (time.Time, string) { return u.CreatedAt, u.ID })
}

// scanUser reads a row of userColumns, opening the sealed personal data with the user's data key.
// A user written before data keys has none: its public fields are in the clear and its secrets
// (kyc.Secrets) sealed under the master key. A redacted user has no fields. A missing row is an
// error matching sql.ErrNoRows.
func (s *Store) scanUser(r row) (*kyc.User, error) {
	u, _, err := s.scanUserKey(r)
	return u, err
}

// scanUserKey is scanUser, also returning the sealer of the user's data key (nil when it has none).
// The stored JSON, which encodeUser writes with encoding/json, is decoded with the implementation
// of encoding/json/v2 (github.com/go-json-experiment/json): the same values for these types, with
// a third of the allocations.
func (s *Store) scanUserKey(r row) (*kyc.User, *secret.Sealer, error) {
	var (
		u                                kyc.User
		typ, status                      string
		public, sealed, reasons, dataKey []byte
	)
	if err := r.Scan(&u.ID, &u.TenantID, &typ, &status, &u.Attempts, &public, &sealed, &reasons,
		scanTime(&u.CreatedAt), scanTime(&u.UpdatedAt), scanNullTime(&u.RedactedAt), &dataKey); err != nil {
		return nil, nil, err
	}
	u.Type, u.Status = kyc.UserType(typ), kyc.Status(status)
	if err := jsonv2.Unmarshal(reasons, &u.Reasons); err != nil {
		return nil, nil, fmt.Errorf("decode user reasons: %w", err)
	}
	if u.Redacted() {
		return &u, nil, nil
	}
	sealer, err := s.userSealer(u.TenantID, u.ID, dataKey)
	if err != nil {
		return nil, nil, err
	}
	plain, err := sealer.Open(sealed, userAAD(u.TenantID, u.ID))
	if err != nil {
		return nil, nil, fmt.Errorf("open user fields: %w", err)
	}
	if dataKey != nil {
		if err := jsonv2.Unmarshal(plain, &u.Fields); err != nil {
			return nil, nil, fmt.Errorf("decode user fields: %w", err)
		}
		return &u, sealer, nil
	}
	var fields kyc.Fields
	var secrets kyc.Secrets
	if err := jsonv2.Unmarshal(public, &fields); err != nil {
		return nil, nil, fmt.Errorf("decode user fields: %w", err)
	}
	if err := jsonv2.Unmarshal(plain, &secrets); err != nil {
		return nil, nil, fmt.Errorf("decode user secrets: %w", err)
	}
	u.Fields = kyc.Join(fields, secrets)
	return &u, nil, nil
}

// userRecord is a user's columns that are encoded: its fields sealed, the email as a keyed hash,
// the reasons as JSON.
type userRecord struct {
	emailKey string
	fields   []byte
	reasons  string
}

// encodeUser encodes u, all its fields sealed by sealer (the user's data key): the users table
// holds none of them in the clear.
func (s *Store) encodeUser(u *kyc.User, sealer *secret.Sealer) (userRecord, error) {
	plain, err := json.Marshal(u.Fields)
	if err != nil {
		return userRecord{}, fmt.Errorf("encode user fields: %w", err)
	}
	reasons, err := json.Marshal(u.Reasons)
	if err != nil {
		return userRecord{}, fmt.Errorf("encode user reasons: %w", err)
	}
	return userRecord{
		emailKey: s.emailKey(u.Fields.Email),
		fields:   sealer.Seal(plain, userAAD(u.TenantID, u.ID)),
		reasons:  string(reasons),
	}, nil
}

// emailKey is what the email_lower column holds, by which users are found by email: a keyed hash
// of the email in lower case.
func (s *Store) emailKey(email string) string {
	return s.keyring.Hash("user-email", strings.ToLower(email))
}

// userAAD binds a user's sealed data to the user: it does not open in another row.
func userAAD(tenantID, id string) []byte { return []byte(tenantID + "/" + id) }

// userKeyAAD binds a sealed data key to its user.
func userKeyAAD(tenantID, id string) []byte { return []byte("user-key/" + tenantID + "/" + id) }

// userSealer returns the sealer of a user's data key, sealed as stored (nil: the user has none
// and its data is sealed under the master key).
func (s *Store) userSealer(tenantID, id string, sealedKey []byte) (*secret.Sealer, error) {
	if sealedKey == nil {
		return s.keyring.Sealer, nil
	}
	name := userKeyAAD(tenantID, id)
	if k, ok := s.dataKeys.Get(string(name)); ok && bytes.Equal(k.sealed, sealedKey) {
		return k.sealer, nil
	}
	key, err := s.keyring.Open(sealedKey, name)
	if err != nil {
		return nil, fmt.Errorf("open user data key: %w", err)
	}
	sealer, err := secret.OpenDataKey(key)
	if err != nil {
		return nil, err
	}
	s.dataKeys.Add(string(name), openedKey{sealed: bytes.Clone(sealedKey), sealer: sealer})
	return sealer, nil
}

// openedKey is a user's data key as stored (sealed) and opened, kept in Store.dataKeys.
type openedKey struct {
	sealed []byte
	sealer *secret.Sealer
}

// openedKeys is how many opened data keys a store keeps: opening one (AES-GCM under the
// keyring, then the key's own AES-GCM set-up) is a tenth of the cost of reading a user.
const openedKeys = 10000

// newUserKey stores a new data key for the user through q and returns its sealer.
func (s *Store) newUserKey(ctx context.Context, q querier, tenantID, id string) (*secret.Sealer, error) {
	key := secret.NewDataKey()
	_, err := q.exec(ctx, "INSERT INTO user_keys (tenant_id, user_id, data_key, created_at) VALUES (?, ?, ?, ?)",
		tenantID, id, s.keyring.Seal(key, userKeyAAD(tenantID, id)), s.timestamp(s.now()))
	if err != nil {
		return nil, writeError("store user data key", "A user with this id already exists.", err)
	}
	return secret.OpenDataKey(key)
}

// writableUserKey returns the sealer of the user's data key through q, giving the user one if it
// has none yet (a user written before data keys: its data moves under its own key as it is
// written); ENotFound if the tenant has no such user.
func (s *Store) writableUserKey(ctx context.Context, q querier, tenantID, id string) (*secret.Sealer, error) {
	var sealed []byte
	err := q.queryRow(ctx, "SELECT (SELECT data_key FROM user_keys WHERE user_keys.user_id = users.id) FROM users WHERE tenant_id = ? AND id = ?",
		tenantID, id).Scan(&sealed)
	switch {
	case isNoRows(err):
		return nil, notFound("User")
	case err != nil:
		return nil, dbError("read user data key", err)
	case sealed == nil:
		return s.newUserKey(ctx, q, tenantID, id)
	}
	return s.userSealer(tenantID, id, sealed)
}

// RetentionDue returns up to limit users, of any tenant, in status, not redacted, and unchanged
// since before, least recently changed first.
func (s *Store) RetentionDue(ctx context.Context, status kyc.Status, before time.Time, limit int) ([]kyc.UserRef, error) {
	r, err := s.db.reader().query(ctx, `SELECT tenant_id, id FROM users
		WHERE status = ? AND redacted_at IS NULL AND updated_at < ? ORDER BY updated_at, id LIMIT ?`,
		string(status), before.UTC().Truncate(time.Microsecond), limit)
	if err != nil {
		return nil, dbError("list users due for erasure", err)
	}
	defer r.Close()
	var out []kyc.UserRef
	for r.Next() {
		var ref kyc.UserRef
		if err := r.Scan(&ref.TenantID, &ref.ID); err != nil {
			return nil, dbError("list users due for erasure", err)
		}
		out = append(out, ref)
	}
	if err := r.Err(); err != nil {
		return nil, dbError("list users due for erasure", err)
	}
	return out, nil
}
