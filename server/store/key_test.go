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
	driver, dsn := "pgx", dbURL
	if path, ok := strings.CutPrefix(dbURL, "sqlite:"); ok {
		driver, dsn = "sqlite", (&url.URL{Scheme: "file", Path: path}).String()
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(t.Context(), "DELETE FROM settings"); err != nil {
		t.Fatal(err)
	}
}
