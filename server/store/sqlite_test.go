package store

import (
	"bytes"
	"database/sql"
	"log/slog"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/kiraapi/kira/server/secret"
)

// TestSQLiteConnections checks the SQLite settings: WAL, one writer connection with its pragmas,
// and readers that cannot write.
func TestSQLiteConnections(t *testing.T) {
	st, _ := openSQLiteStore(t)
	b := st.db.(*sqliteBackend)

	pragma := func(db *sql.DB, name string) string {
		t.Helper()
		var v string
		if err := db.QueryRowContext(t.Context(), "PRAGMA "+name).Scan(&v); err != nil {
			t.Fatalf("PRAGMA %s: %v", name, err)
		}
		return v
	}
	for name, want := range map[string]string{"journal_mode": "wal", "busy_timeout": "5000", "foreign_keys": "1", "synchronous": "1", "secure_delete": "1"} {
		if got := pragma(b.write, name); got != want {
			t.Errorf("writer %s = %s, want %s", name, got, want)
		}
	}
	if n := b.write.Stats().MaxOpenConnections; n != 1 {
		t.Errorf("writer pool of %d connections, want 1", n)
	}
	if got := pragma(b.read, "busy_timeout"); got != "5000" {
		t.Errorf("reader busy_timeout = %s", got)
	}
	if _, err := b.read.ExecContext(t.Context(), "DELETE FROM tenants"); err == nil {
		t.Error("a reader connection could write")
	}
}

// openSQLiteStore opens a store on a new SQLite database, closed when the test ends, and returns
// it with its keyring.
func openSQLiteStore(t *testing.T) (*Store, *secret.Keyring) {
	t.Helper()
	keyring, err := secret.NewKeyring(bytes.Repeat([]byte{1}, secret.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	st, err := Open(t.Context(), Options{URL: "sqlite:" + filepath.Join(t.TempDir(), "kira.db"), Keyring: keyring, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st, keyring
}

// TestSQLiteTransactionsReuseStatements checks that a query a transaction of the writer ran
// unprepared is prepared once the transaction is over, and that the next transactions run it
// prepared; and that a transaction finding a statement needs no lock that a caller preparing
// one outside transactions holds while it waits for the writer's connection.
func TestSQLiteTransactionsReuseStatements(t *testing.T) {
	st, _ := openSQLiteStore(t)
	b := st.db.(*sqliteBackend)
	const q, other = "SELECT count(*) FROM tenants WHERE id <> ?", "SELECT count(*) FROM users WHERE id <> ?"
	count := func(qr querier, q string) error {
		var n int
		return qr.queryRow(t.Context(), q, "x").Scan(&n)
	}
	var prepared []bool
	for range 2 {
		err := b.inTx(t.Context(), func(qr querier, _ enqueueFunc) error {
			prepared = append(prepared, b.writeStmts.inTx(q) != nil)
			return count(qr, q)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if prepared[0] || !prepared[1] {
		t.Errorf("prepared in the first and second transactions: %v, want [false true]", prepared)
	}

	// A caller outside transactions waits for the connection the transaction holds, to prepare a
	// new statement.
	err := b.inTx(t.Context(), func(qr querier, _ enqueueFunc) error {
		outside := make(chan error, 1)
		go func() { outside <- count(b.writer(), other) }()
		waits := b.write.Stats().WaitCount
		for b.write.Stats().WaitCount == waits {
			runtime.Gosched()
		}
		if err := count(qr, q); err != nil { // would deadlock if get held the cache's lock
			return err
		}
		select {
		case err := <-outside:
			t.Errorf("the caller outside the transaction ran inside it: %v", err)
		default:
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
