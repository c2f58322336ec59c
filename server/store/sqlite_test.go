package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/kiraapi/kira/server/kyc"
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
	for name, want := range map[string]string{"journal_mode": "wal", "busy_timeout": "5000", "foreign_keys": "1", "synchronous": "1", "secure_delete": "1", "temp_store": "2", "wal_autocheckpoint": strconv.Itoa(writerCheckpointFrames)} {
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

// createTenantT1 stores the tenant t1, made at now, in st.
func createTenantT1(t *testing.T, st *Store, now time.Time) {
	t.Helper()
	if err := st.CreateTenant(t.Context(), &kyc.Tenant{ID: "t1", Name: "acme", ClientID: "c1", APIKeyHash: []byte("h"), PasswordHash: []byte("p"), CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
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

// TestSQLiteConnectionsKeepStatements checks that a connection prepares a text once, whether it
// runs in a transaction or not, that a text run again while its rows are open runs beside them,
// and that a connection keeps at most maxCachedStatements.
func TestSQLiteConnectionsKeepStatements(t *testing.T) {
	st, _ := openSQLiteStore(t)
	b := st.db.(*sqliteBackend)
	ctx := t.Context()
	writer := func() *cachingConn {
		t.Helper()
		conn, err := b.write.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		var c *cachingConn
		if err := conn.Raw(func(dc any) error { c = dc.(*cachingConn); return nil }); err != nil {
			t.Fatal(err)
		}
		return c
	}
	count := func(q querier, text string) int {
		t.Helper()
		var n int
		if err := q.queryRow(ctx, text, "x").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if _, err := b.write.ExecContext(ctx, "CREATE TABLE kept (id TEXT); INSERT INTO kept VALUES ('t1'), ('t2')"); err != nil {
		t.Fatal(err)
	}
	const text = "SELECT count(*) FROM kept WHERE id <> ?"
	before := writer().prepares
	for range 3 {
		count(b.writer(), text)
		if err := b.inTx(ctx, func(q querier, _ enqueueFunc) error { count(q, text); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	if n := writer().prepares - before; n != 1 {
		t.Errorf("six runs of one text prepared it %d times, want 1", n)
	}

	// The same text again while its rows are open.
	err := b.inTx(ctx, func(q querier, _ enqueueFunc) error {
		r, err := q.query(ctx, "SELECT id FROM kept WHERE id <> ? ORDER BY id", "x")
		if err != nil {
			return err
		}
		defer r.Close()
		var ids []string
		for r.Next() {
			var id string
			if err := r.Scan(&id); err != nil {
				return err
			}
			inner, err := q.query(ctx, "SELECT id FROM kept WHERE id <> ? ORDER BY id", id)
			if err != nil {
				return err
			}
			n := 0
			for inner.Next() {
				n++
			}
			inner.Close()
			if n != 1 {
				t.Errorf("the inner run for %s found %d rows, want 1", id, n)
			}
			ids = append(ids, id)
		}
		if len(ids) != 2 {
			t.Errorf("the outer run found %v, want t1 and t2", ids)
		}
		return r.Err()
	})
	if err != nil {
		t.Fatal(err)
	}

	for i := range maxCachedStatements + 10 {
		if got := count(b.writer(), fmt.Sprintf("SELECT count(*) + %d FROM kept WHERE id <> ?", i)); got != 2+i {
			t.Fatalf("text %d counted %d, want %d", i, got, 2+i)
		}
	}
	if c := writer(); len(c.stmts) != maxCachedStatements || c.lru.Len() != maxCachedStatements {
		t.Errorf("the writer keeps %d statements (%d listed), want %d", len(c.stmts), c.lru.Len(), maxCachedStatements)
	}
}

// TestSQLiteConnectionBusyStatementsFull checks that a connection whose kept statements all have
// their rows open still runs a new text: the statement it prepares for it is not the one evicted.
func TestSQLiteConnectionBusyStatementsFull(t *testing.T) {
	st, _ := openSQLiteStore(t)
	ctx := t.Context()
	conn, err := st.db.(*sqliteBackend).write.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var open []*sql.Rows
	defer func() {
		for _, r := range open {
			r.Close()
		}
	}()
	for i := range maxCachedStatements {
		r, err := conn.QueryContext(ctx, fmt.Sprintf("SELECT %d UNION ALL SELECT 0", i))
		if err != nil {
			t.Fatal(err)
		}
		if !r.Next() {
			t.Fatalf("text %d returned no row: %v", i, r.Err())
		}
		open = append(open, r)
	}
	for range 2 {
		var n int
		if err := conn.QueryRowContext(ctx, "SELECT ? + 1", 41).Scan(&n); err != nil || n != 42 {
			t.Fatalf("a new text beside %d open rows = %d, %v; want 42", maxCachedStatements, n, err)
		}
	}
}

// TestSQLiteKeyReadsDoNotWatchTheContext: the readers' single-row reads run whatever becomes of
// their context (watching it would cost more than the read); other queries stop on it.
func TestSQLiteKeyReadsDoNotWatchTheContext(t *testing.T) {
	st, _ := openSQLiteStore(t)
	b := st.db.(*sqliteBackend)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	one := func(q querier) error {
		var n int
		return q.queryRow(ctx, "SELECT 1").Scan(&n)
	}
	many := func(q querier) error {
		r, err := q.query(ctx, "SELECT 1")
		if err == nil {
			r.Close()
		}
		return err
	}
	for _, tt := range []struct {
		name    string
		run     func(querier) error
		q       querier
		stopped bool
	}{
		{"a reader's single-row read", one, b.reader(), false},
		{"a reader's query", many, b.reader(), true},
		{"the writer's single-row read", one, b.writer(), true},
	} {
		err := tt.run(tt.q)
		if stopped := errors.Is(err, context.Canceled); stopped != tt.stopped || !stopped && err != nil {
			t.Errorf("%s with its context done: %v, want stopped %t", tt.name, err, tt.stopped)
		}
	}
}
