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
	createTenantT1(t, st, now)
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
	// Such a user is in a database upgraded from before data keys, where migration 0012 records
	// the setting.
	if st.clearEmails {
		t.Fatal("a database created with data keys looks up clear emails")
	}
	clearEmails := func() bool {
		t.Helper()
		if err := st.checkClearEmails(ctx); err != nil {
			t.Fatal(err)
		}
		return st.clearEmails
	}
	if _, err := st.db.writer().exec(ctx, "INSERT INTO settings (name, value) VALUES (?, 'yes')", clearEmailsSetting); err != nil {
		t.Fatal(err)
	}
	if !clearEmails() {
		t.Fatal("with a user without a data key, a search by email does not look up clear emails")
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
	if clearEmails() || clearEmails() || found() != 1 {
		t.Fatal("with no user left without a data key, a search by email still looks up clear emails")
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

// TestOpenedDataKeys checks the store's kept data keys: a user read twice opens its key once, a
// key moved onto another user's row is refused as it would be unkept (its seal names its user),
// and erasing a user drops its key.
func TestOpenedDataKeys(t *testing.T) {
	st, _ := openSQLiteStore(t)
	ctx := t.Context()
	now := time.Now().UTC()
	createTenantT1(t, st, now)
	for _, id := range []string{"u1", "u2"} {
		u := &kyc.User{ID: id, TenantID: "t1", Type: kyc.Individual, Status: kyc.StatusCreated,
			Fields: kyc.Fields{Email: id + "@example.com"}, CreatedAt: now, UpdatedAt: now}
		if err := st.InTx(ctx, func(tx kyc.Tx) error { return tx.InsertUser(ctx, u) }); err != nil {
			t.Fatal(err)
		}
		if _, err := st.GetUser(ctx, "t1", id); err != nil {
			t.Fatal(err)
		}
	}
	kept := func(id string) bool { return st.dataKeys.Contains(string(userKeyAAD("t1", id))) }
	if !kept("u1") || !kept("u2") {
		t.Fatal("reading users kept no opened key")
	}
	exec := func(q string) {
		t.Helper()
		if _, err := st.db.writer().exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	exec("UPDATE user_keys SET user_id = 'x1' WHERE user_id = 'u1'")
	exec("UPDATE user_keys SET user_id = 'u1' WHERE user_id = 'u2'")
	if u, err := st.GetUser(ctx, "t1", "u1"); err == nil {
		t.Fatalf("u1 read with u2's key: %s", u.Fields.Email)
	}
	exec("UPDATE user_keys SET user_id = 'u2' WHERE user_id = 'u1'")
	exec("UPDATE user_keys SET user_id = 'u1' WHERE user_id = 'x1'")
	u, err := st.GetUser(ctx, "t1", "u1")
	if err != nil || u.Fields.Email != "u1@example.com" {
		t.Fatalf("u1 with its own key again: %v", err)
	}
	u.RedactedAt = now
	err = st.InTx(ctx, func(tx kyc.Tx) error {
		if err := tx.RedactUser(ctx, u); err != nil {
			return err
		}
		// A read of the user before the erasure commits still finds its key, and opens it.
		if _, err := st.GetUser(ctx, "t1", "u1"); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if kept("u1") || !kept("u2") {
		t.Errorf("after erasing u1: u1's key kept %v, u2's %v; want false, true", kept("u1"), kept("u2"))
	}
}
