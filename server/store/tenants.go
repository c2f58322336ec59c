package store

import (
	"context"

	"github.com/kiraapi/kira/server/kyc"
)

const tenantColumns = "id, name, client_id, api_key_hash, password_hash, created_at, updated_at"

const tenantConflict = "A tenant with this id, client id or API key already exists."

// CreateTenant stores a new tenant; EConflict if its id, client id or API key hash is taken. It
// sets t's timestamps to the stored values (now where they were zero).
func (s *Store) CreateTenant(ctx context.Context, t *kyc.Tenant) error {
	t.CreatedAt, t.UpdatedAt = s.timestamp(t.CreatedAt), s.timestamp(t.UpdatedAt)
	_, err := s.db.writer().exec(ctx, "INSERT INTO tenants ("+tenantColumns+") VALUES (?, ?, ?, ?, ?, ?, ?)",
		t.ID, t.Name, t.ClientID, t.APIKeyHash, t.PasswordHash, t.CreatedAt, t.UpdatedAt)
	if err != nil {
		return writeError("create tenant", tenantConflict, err)
	}
	return nil
}

// UpdateTenant replaces the tenant's name and credential hashes (by ID); ENotFound if there is no
// such tenant, EConflict if the API key hash is another tenant's. It sets t.UpdatedAt to the
// stored value (now where it was zero).
func (s *Store) UpdateTenant(ctx context.Context, t *kyc.Tenant) error {
	t.UpdatedAt = s.timestamp(t.UpdatedAt)
	n, err := s.db.writer().exec(ctx, "UPDATE tenants SET name = ?, api_key_hash = ?, password_hash = ?, updated_at = ? WHERE id = ?",
		t.Name, t.APIKeyHash, t.PasswordHash, t.UpdatedAt, t.ID)
	if err != nil {
		return writeError("update tenant", tenantConflict, err)
	}
	if n == 0 {
		return notFound("Tenant")
	}
	return nil
}

// TenantByAPIKeyHash returns the tenant whose API key has this hash, or ENotFound.
func (s *Store) TenantByAPIKeyHash(ctx context.Context, hash []byte) (*kyc.Tenant, error) {
	return s.tenantBy(ctx, "api_key_hash", hash)
}

// TenantByClientID returns the tenant with this client id, or ENotFound.
func (s *Store) TenantByClientID(ctx context.Context, clientID string) (*kyc.Tenant, error) {
	return s.tenantBy(ctx, "client_id", clientID)
}

// tenantBy looks a tenant up by a unique column.
func (s *Store) tenantBy(ctx context.Context, column string, value any) (*kyc.Tenant, error) {
	var t kyc.Tenant
	err := s.db.reader().queryRow(ctx, "SELECT "+tenantColumns+" FROM tenants WHERE "+column+" = ?", value).
		Scan(&t.ID, &t.Name, &t.ClientID, &t.APIKeyHash, &t.PasswordHash, scanTime(&t.CreatedAt), scanTime(&t.UpdatedAt))
	if isNoRows(err) {
		return nil, notFound("Tenant")
	}
	if err != nil {
		return nil, dbError("get tenant", err)
	}
	return &t, nil
}
