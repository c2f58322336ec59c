package store_test

import (
	"database/sql"
	"errors"
	"log/slog"
	"net/url"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver, to clear the setting
	"github.com/kiraapi/kira/server/kyc"
	"github.com/kiraapi/kira/server/secret"
	"github.com/kiraapi/kira/server/store"
	"github.com/kiraapi/kira/server/storetest"
)

// TestWrongKeyRefusesToOpen opens a database with one key, then with another: the second open
// fails with ErrWrongKey, naming both fingerprints and no key. A database whose fingerprint was
// never recorded (made before fingerprints were) is checked against a user's sealed data.
func TestWrongKeyRefusesToOpen(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b storetest.Backend) {
		dbURL := b.NewURL(t)
		right, other := testKeyring(t), keyringOf(t, 10)
		open := func(k *secret.Keyring) (*store.Store, error) {
			return store.Open(t.Context(), store.Options{URL: dbURL, Keyring: k, Logger: slog.New(slog.DiscardHandler)})
		}
		st, err := open(right)
		if err != nil {
			t.Fatal(err)
		}
		tn := newTenant(t, st)
		u := benchUser(tn.ID)
		if err := st.InTx(t.Context(), func(tx kyc.Tx) error { return tx.InsertUser(t.Context(), u) }); err != nil {
			t.Fatal(err)
		}
		st.Close()

		_, err = open(other)
		if !errors.Is(err, store.ErrWrongKey) || !strings.Contains(err.Error(), right.Fingerprint()) || !strings.Contains(err.Error(), other.Fingerprint()) {
			t.Fatalf("open with another key: %v, want ErrWrongKey naming both fingerprints", err)
		}

		clearFingerprint(t, dbURL)
		if _, err := open(other); !errors.Is(err, store.ErrWrongKey) {
			t.Fatalf("open of a database with no fingerprint, with a key that opens none of its users: %v, want ErrWrongKey", err)
		}
		st, err = open(right)
		if err != nil {
			t.Fatalf("reopen with the right key: %v", err)
		}
		st.Close()
		if _, err := open(other); !errors.Is(err, store.ErrWrongKey) {
			t.Fatalf("the fingerprint was not recorded again: %v", err)
		}
	})
}

// clearFingerprint removes the recorded key fingerprint, as in a database made before it was kept.
func clearFingerprint(t *testing.T, dbURL string) {
	t.Helper()
	execRaw(t, dbURL, "DELETE FROM settings")
}

// execRaw runs statements on the database at dbURL through a connection of its own.
func execRaw(t *testing.T, dbURL string, statements ...string) {
	t.Helper()
	db := rawDB(t, dbURL)
	for _, q := range statements {
		if _, err := db.ExecContext(t.Context(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// rawDB opens the database at dbURL apart from any store, closed when the test ends.
func rawDB(t *testing.T, dbURL string) *sql.DB {
	t.Helper()
	driver, dsn := "pgx", dbURL
	if path, ok := strings.CutPrefix(dbURL, "sqlite:"); ok {
		driver, dsn = "sqlite", (&url.URL{Scheme: "file", Path: path}).String()
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestClearEmailsSetting runs migration 0012 on a database holding a user without a data key (as
// users written before data keys are): it records the setting, which the store keeps while such a
// user remains and deletes once none does.
func TestClearEmailsSetting(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b storetest.Backend) {
		dbURL := b.NewURL(t)
		open := func() {
			t.Helper()
			st, err := store.Open(t.Context(), store.Options{URL: dbURL, Keyring: testKeyring(t), Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			st.Close()
		}
		settings := func() int {
			t.Helper()
			n := 0
			if err := rawDB(t, dbURL).QueryRowContext(t.Context(), "SELECT count(*) FROM settings WHERE name = 'users_with_clear_emails'").Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		st, err := store.Open(t.Context(), store.Options{URL: dbURL, Keyring: testKeyring(t), Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		u := benchUser(newTenant(t, st).ID)
		if err := st.InTx(t.Context(), func(tx kyc.Tx) error { return tx.InsertUser(t.Context(), u) }); err != nil {
			t.Fatal(err)
		}
		st.Close()
		if n := settings(); n != 0 {
			t.Fatalf("a database whose users all have data keys records the setting (%d)", n)
		}

		// Migration 0012 again, with a user that has no key (an erased one's is gone too, but
		// erased users have no email to find).
		execRaw(t, dbURL, "DELETE FROM user_keys", "DELETE FROM schema_migrations WHERE version = 12")
		open()
		if n := settings(); n != 1 {
			t.Fatalf("with a user without a data key, the migration recorded %d settings, want 1", n)
		}
		open()
		if n := settings(); n != 1 {
			t.Fatal("the store deleted the setting while a user without a data key remains")
		}
		execRaw(t, dbURL, "UPDATE users SET redacted_at = created_at")
		open()
		if n := settings(); n != 0 {
			t.Fatal("the store kept the setting with no user left without a data key")
		}
	})
}
