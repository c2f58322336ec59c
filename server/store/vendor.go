package store

import (
	"context"
	"time"

	"github.com/kiraapi/kira/server/kyc"
)

const vendorCheckColumns = "provider, id, tenant_id, user_id, attempt, created_at"

// VendorCheckFor returns the provider's check of a user's attempt; ENotFound if there is none.
func (s *Store) VendorCheckFor(ctx context.Context, provider, tenantID, userID string, attempt int) (*kyc.VendorCheck, error) {
	c, err := scanVendorCheck(s.db.reader().queryRow(ctx, "SELECT "+vendorCheckColumns+` FROM vendor_checks
		WHERE tenant_id = ? AND user_id = ? AND attempt = ? AND provider = ?`, tenantID, userID, attempt, provider))
	return vendorCheck(c, err)
}

// VendorCheckByID returns the provider's check by the vendor's id; ENotFound if there is none.
func (t *tx) VendorCheckByID(ctx context.Context, provider, id string) (*kyc.VendorCheck, error) {
	c, err := scanVendorCheck(t.q.queryRow(ctx, "SELECT "+vendorCheckColumns+" FROM vendor_checks WHERE provider = ? AND id = ?", provider, id))
	return vendorCheck(c, err)
}

// InsertVendorCheck records a vendor's check (EConflict if its id or its attempt is taken). It
// sets c.CreatedAt to the stored value.
func (t *tx) InsertVendorCheck(ctx context.Context, c *kyc.VendorCheck) error {
	c.CreatedAt = t.s.timestamp(c.CreatedAt)
	_, err := t.q.exec(ctx, "INSERT INTO vendor_checks ("+vendorCheckColumns+") VALUES (?, ?, ?, ?, ?, ?)",
		c.Provider, c.ID, c.TenantID, c.UserID, c.Attempt, c.CreatedAt)
	if err != nil {
		return writeError("insert vendor check", "This vendor check is already recorded.", err)
	}
	return nil
}

// ClaimVendorEvent records the provider's event id; false if it was recorded before.
func (t *tx) ClaimVendorEvent(ctx context.Context, provider, eventID string, at time.Time) (bool, error) {
	n, err := t.q.exec(ctx, `INSERT INTO vendor_events (provider, event_id, received_at) VALUES (?, ?, ?)
		ON CONFLICT (provider, event_id) DO NOTHING`, provider, eventID, t.s.timestamp(at))
	if err != nil {
		return false, dbError("claim vendor event", err)
	}
	return n == 1, nil
}

func vendorCheck(c *kyc.VendorCheck, err error) (*kyc.VendorCheck, error) {
	if isNoRows(err) {
		return nil, notFound("Vendor check")
	}
	if err != nil {
		return nil, dbError("get vendor check", err)
	}
	return c, nil
}

func scanVendorCheck(r row) (*kyc.VendorCheck, error) {
	var c kyc.VendorCheck
	if err := r.Scan(&c.Provider, &c.ID, &c.TenantID, &c.UserID, &c.Attempt, scanTime(&c.CreatedAt)); err != nil {
		return nil, err
	}
	return &c, nil
}
