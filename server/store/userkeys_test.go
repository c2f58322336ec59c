package store

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/kiraapi/kira/server/kyc"
)

// TestUsersSealedUnderTheMasterKeyMoveToTheirOwnKey makes a user as the store wrote them before
// data keys (its public fields and email in the clear, its secrets sealed under the master key,
// no key of its own): it still reads and is found by email, its next write gives it a key of its
// own and seals all its fields under that key, and erasing it deletes the key.
func TestUsersSealedUnderTheMasterKeyMoveToTheirOwnKey(t *testing.T) {
	st, keyring := openSQLiteStore(t)
	ctx := t.Context()
	now := time.Now().UTC()
	tenant := &kyc.Tenant{ID: "t1", Name: "acme", ClientID: "c1", APIKeyHash: []byte("h"), PasswordHash: []byte("p"), CreatedAt: now, UpdatedAt: now}
	if err := st.CreateTenant(ctx, tenant); err != nil {
		t.Fatal(err)
	}
	u := &kyc.User{ID: "u1", TenantID: "t1", Type: kyc.Individual, Status: kyc.StatusCreated,
		Fields: kyc.Fields{Email: "legacy@example.com", SSN: "734-29-1856"}, CreatedAt: now, UpdatedAt: now}
	if err := st.InTx(ctx, func(tx kyc.Tx) error { return tx.InsertUser(ctx, u) }); err != nil {
		t.Fatal(err)
	}
	keys := func() int {
		t.Helper()
		var n int
		if err := st.db.reader().queryRow(ctx, "SELECT count(*) FROM user_keys WHERE user_id = 'u1'").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	secrets := func() []byte {
		t.Helper()
		var b []byte
		if err := st.db.reader().queryRow(ctx, "SELECT secrets FROM users WHERE id = 'u1'").Scan(&b); err != nil {
			t.Fatal(err)
		}
		return b
	}
	opensUnderMaster := func() bool {
		_, err := keyring.Open(secrets(), userAAD("t1", "u1"))
		return err == nil
	}
	if keys() != 1 || opensUnderMaster() {
		t.Fatal("a new user's data is not sealed under a key of its own")
	}

	// As before data keys: the public fields in the clear, the secrets under the master key.
	public, secret := u.Fields.Split()
	publicJSON, err := json.Marshal(public)
	if err != nil {
		t.Fatal(err)
	}
	secretJSON, err := json.Marshal(secret)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{"DELETE FROM user_keys", nil},
		{"UPDATE users SET public = ?, secrets = ?, email_lower = 'legacy@example.com' WHERE id = 'u1'", []any{string(publicJSON), keyring.Seal(secretJSON, userAAD("t1", "u1"))}},
	} {
		if _, err := st.db.writer().exec(ctx, q.sql, q.args...); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := st.GetUser(ctx, "t1", "u1"); err != nil || got.Fields.SSN != "734-29-1856" || got.Fields.Email != "legacy@example.com" || !opensUnderMaster() {
		t.Fatalf("a user sealed under the master key does not read: %v", err)
	}
	found := func() int {
		t.Helper()
		users, _, err := st.ListUsers(ctx, "t1", kyc.UserFilter{Email: "LEGACY@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		return len(users)
	}
	if found() != 1 {
		t.Fatal("a user stored before data keys is not found by its email")
	}

	err = st.InTx(ctx, func(tx kyc.Tx) error {
		got, err := tx.GetUserForUpdate(ctx, "t1", "u1")
		if err != nil {
			return err
		}
		got.Fields.Phone = "+14155550100"
		return tx.UpdateUser(ctx, got)
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := st.GetUser(ctx, "t1", "u1"); err != nil || got.Fields.SSN != "734-29-1856" || got.Fields.Email != "legacy@example.com" ||
		keys() != 1 || opensUnderMaster() || found() != 1 {
		t.Fatalf("after a write: %v, %d keys, still under the master key: %v", err, keys(), opensUnderMaster())
	}

	err = st.InTx(ctx, func(tx kyc.Tx) error {
		return tx.RedactUser(ctx, &kyc.User{ID: "u1", TenantID: "t1", Status: kyc.StatusCreated, UpdatedAt: now, RedactedAt: now})
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := st.GetUser(ctx, "t1", "u1"); err != nil || !got.Redacted() || got.Fields.Email != "" || keys() != 0 {
		t.Fatalf("after erasure: %+v, %v, %d keys", got, err, keys())
	}
}
