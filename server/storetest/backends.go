package storetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"github.com/riverqueue/river"

	"github.com/kiraapi/kira/server/jobs"
	"github.com/kiraapi/kira/server/kyc"
	"github.com/kiraapi/kira/server/secret"
	"github.com/kiraapi/kira/server/store"
)

// PostgresEnv names the variable that holds the URL of the PostgreSQL database tests may use.
const PostgresEnv = "KIRA_TEST_DATABASE_URL"

// Backend is a database that tests can run the store on.
type Backend struct {
	// Name is "sqlite" or "postgres".
	Name string
	// newURL returns the URL of a new, empty database, removed when the test ends.
	newURL func(t testing.TB) string
}

// Backends returns SQLite, in a temporary directory, and PostgreSQL, in a fresh schema of the
// database that KIRA_TEST_DATABASE_URL names. Without that variable the PostgreSQL tests are
// skipped, or fail when CI=true.
func Backends() []Backend {
	return []Backend{
		{Name: "sqlite", newURL: func(t testing.TB) string { return "sqlite:" + filepath.Join(t.TempDir(), "kira.db") }},
		{Name: "postgres", newURL: newPostgresSchema},
	}
}

// NewURL returns the URL of a new, empty database on the backend, for store.Options.URL. It is
// removed when the test ends.
func (b Backend) NewURL(t testing.TB) string { return b.newURL(t) }

// Open opens a store on a new, empty database of the backend, closed when the test ends.
func (b Backend) Open(t testing.TB, keyring *secret.Keyring, now func() time.Time) *store.Store {
	t.Helper()
	return open(t, b.NewURL(t), keyring, now)
}

// OpenInspectable opens a store for Run on a new, empty database of the backend: the store
// implements Inspector.
func (b Backend) OpenInspectable(t *testing.T) kyc.Store {
	t.Helper()
	keyring, err := secret.NewKeyring(bytes.Repeat([]byte{42}, secret.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	_, in := b.OpenWithInspector(t, keyring, time.Now)
	return in.(*inspectable)
}

// OpenWithInspector opens a store on a new, empty database of the backend, like Open, and an
// Inspector that reads beneath it.
func (b Backend) OpenWithInspector(t testing.TB, keyring *secret.Keyring, now func() time.Time) (*store.Store, Inspector) {
	t.Helper()
	dbURL := b.NewURL(t)
	st := open(t, dbURL, keyring, now)
	return st, &inspectable{Store: st, url: dbURL}
}

func open(t testing.TB, dbURL string, keyring *secret.Keyring, now func() time.Time) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), store.Options{
		URL: dbURL, Keyring: keyring, Now: now, Logger: slog.New(slog.DiscardHandler), MaxConns: testConns,
	})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	return st
}

// testConns is the pool size of the stores tests open: many tests run at once against one
// PostgreSQL server, whose connections (100 by default) they share.
const testConns = 4

// newPostgresSchema creates a schema in the test database and returns a URL that uses it
// (search_path); the schema is dropped when the test ends.
func newPostgresSchema(t testing.TB) string {
	t.Helper()
	base := os.Getenv(PostgresEnv)
	if base == "" {
		const msg = "PostgreSQL tests need " + PostgresEnv + " (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s is not a URL", PostgresEnv)
	}
	schema := "kira_test_" + strings.ToLower(rand.Text()[:12])
	exec := func(sql string) {
		ctx := context.Background() // also at cleanup, when the test's context is done
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Fatalf("connect to %s: %v", PostgresEnv, err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	exec("CREATE SCHEMA " + schema)
	t.Cleanup(func() { exec("DROP SCHEMA " + schema + " CASCADE") })
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// inspectable is a store and the database URL it was opened with, through which the suite reads
// beneath the store.
type inspectable struct {
	*store.Store
	url string
}

var _ Inspector = (*inspectable)(nil)

func (s *inspectable) QueuedVerifications(ctx context.Context, tenantID string) ([]kyc.VerificationJob, error) {
	client, err := s.NewRiverClient(&river.Config{})
	if err != nil {
		return nil, err
	}
	res, err := client.JobList(ctx, river.NewJobListParams().Kinds(jobs.KindVerifyUser).First(10000))
	if err != nil {
		return nil, err
	}
	var out []kyc.VerificationJob
	for _, j := range res.Jobs {
		var args jobs.VerifyUserArgs
		if err := json.Unmarshal(j.EncodedArgs, &args); err != nil {
			return nil, err
		}
		if args.TenantID == tenantID {
			out = append(out, kyc.VerificationJob{TenantID: args.TenantID, UserID: args.UserID, Attempt: args.Attempt})
		}
	}
	return out, nil
}

func (s *inspectable) QueuedDeliveries(ctx context.Context) ([]string, error) {
	client, err := s.NewRiverClient(&river.Config{})
	if err != nil {
		return nil, err
	}
	res, err := client.JobList(ctx, river.NewJobListParams().Kinds(jobs.KindDeliverWebhook).First(10000))
	if err != nil {
		return nil, err
	}
	out := make([]string, len(res.Jobs))
	for i, j := range res.Jobs {
		var args jobs.DeliverWebhookArgs
		if err := json.Unmarshal(j.EncodedArgs, &args); err != nil {
			return nil, err
		}
		out[i] = args.DeliveryID
	}
	return out, nil
}

func (s *inspectable) Events(ctx context.Context, tenantID string) ([]*kyc.Event, error) {
	var out []*kyc.Event
	cursor := ""
	for {
		page, next, err := s.ListEvents(ctx, tenantID, kyc.EventFilter{Limit: 100, Cursor: cursor})
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
		if next == "" {
			slices.Reverse(out) // oldest first
			return out, nil
		}
		cursor = next
	}
}

// RawContents returns, for SQLite, the bytes of every file in the database's directory (the
// database, its WAL and shared memory) while the store is open and again after closing it; for
// PostgreSQL, every row of every table of the store's schema as text.
func (s *inspectable) RawContents(ctx context.Context) ([]byte, error) {
	if !strings.HasPrefix(s.url, "sqlite:") {
		return s.postgresRows(ctx)
	}
	dir := filepath.Dir(strings.TrimPrefix(s.url, "sqlite:"))
	open, err := readDir(dir)
	if err != nil {
		return nil, err
	}
	if err := s.Close(); err != nil {
		return nil, err
	}
	closed, err := readDir(dir)
	if err != nil {
		return nil, err
	}
	return append(open, closed...), nil
}

func readDir(dir string) ([]byte, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []byte
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		out = append(out, b...)
	}
	return out, nil
}

func (s *inspectable) postgresRows(ctx context.Context) ([]byte, error) {
	db, _, err := s.sqlDB()
	if err != nil {
		return nil, err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")
	if err != nil {
		return nil, err
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, err
		}
		tables = append(tables, name)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []byte
	for _, table := range tables {
		var text string
		q := fmt.Sprintf(`SELECT coalesce(string_agg(t::text, E'\n'), '') FROM %s t`, pgx.Identifier{table}.Sanitize())
		if err := db.QueryRowContext(ctx, q).Scan(&text); err != nil {
			return nil, err
		}
		out = append(out, text...)
	}
	return out, nil
}

// faultTrigger names the trigger (and, on PostgreSQL, its function) of InjectFault.
const faultTrigger = "kira_injected_fault"

func (s *inspectable) InjectFault(ctx context.Context, f Fault) (func() error, error) {
	var create, drop []string
	if path, ok := strings.CutPrefix(s.url, "sqlite:"); ok {
		when, action := "", "SELECT RAISE(ABORT, 'injected fault')"
		if f.When != "" {
			when = " WHEN " + f.When
		}
		if f.AtCommit {
			// SQLite checks a deferred foreign key at commit: the trigger writes a row whose
			// parent does not exist.
			create = []string{
				"CREATE TABLE " + faultTrigger + "_parent (id INTEGER PRIMARY KEY)",
				"CREATE TABLE " + faultTrigger + "_child (parent INTEGER REFERENCES " + faultTrigger + "_parent (id) DEFERRABLE INITIALLY DEFERRED)",
			}
			drop = []string{"DROP TABLE " + faultTrigger + "_child", "DROP TABLE " + faultTrigger + "_parent"}
			action = "INSERT INTO " + faultTrigger + "_child (parent) VALUES (1)"
		}
		create = append(create, fmt.Sprintf("CREATE TRIGGER %s AFTER %s ON %s%s BEGIN %s; END",
			faultTrigger, f.Op, f.Table, when, action))
		drop = append([]string{"DROP TRIGGER " + faultTrigger}, drop...)
		return s.execAll(ctx, "sqlite", sqliteWritable(path), create, drop)
	}
	when, timing := "", "BEFORE"
	if f.When != "" {
		when = " WHEN (" + f.When + ")"
	}
	if f.AtCommit {
		timing = "AFTER"
	}
	trigger := fmt.Sprintf("CREATE TRIGGER %s %s %s ON %s FOR EACH ROW%s EXECUTE FUNCTION %[1]s()", faultTrigger, timing, f.Op, f.Table, when)
	if f.AtCommit {
		trigger = strings.Replace(trigger, "CREATE TRIGGER", "CREATE CONSTRAINT TRIGGER", 1)
		trigger = strings.Replace(trigger, " FOR EACH ROW", " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW", 1)
	}
	create = []string{
		"CREATE FUNCTION " + faultTrigger + "() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected fault'; END $$",
		trigger,
	}
	drop = []string{fmt.Sprintf("DROP TRIGGER %s ON %s", faultTrigger, f.Table), "DROP FUNCTION " + faultTrigger + "()"}
	return s.execAll(ctx, "pgx", s.url, create, drop)
}

func (s *inspectable) Exec(ctx context.Context, stmt string) error {
	driver, dsn := "pgx", s.url
	if path, ok := strings.CutPrefix(s.url, "sqlite:"); ok {
		driver, dsn = "sqlite", sqliteWritable(path)
	}
	_, err := s.execAll(ctx, driver, dsn, []string{stmt}, nil)
	return err
}

// sqliteWritable is the DSN of a writable connection to the SQLite file at path, beside the
// store's, waiting for its lock.
func sqliteWritable(path string) string {
	return (&url.URL{Scheme: "file", Path: path, RawQuery: "_pragma=busy_timeout(5000)"}).String()
}

// execAll runs create on a writable connection of the store's database and returns a function
// that runs drop.
func (s *inspectable) execAll(ctx context.Context, driver, dsn string, create, drop []string) (func() error, error) {
	run := func(stmts []string) error {
		db, err := sql.Open(driver, dsn)
		if err != nil {
			return err
		}
		defer db.Close()
		for _, stmt := range stmts {
			if _, err := db.ExecContext(context.WithoutCancel(ctx), stmt); err != nil {
				return fmt.Errorf("%s: %w", stmt, err)
			}
		}
		return nil
	}
	if err := run(create); err != nil {
		return nil, err
	}
	return func() error { return run(drop) }, nil
}

// sqlDB opens the store's database read-only beside the store, and tells its placeholder.
func (s *inspectable) sqlDB() (*sql.DB, string, error) {
	if path, ok := strings.CutPrefix(s.url, "sqlite:"); ok {
		u := url.URL{Scheme: "file", Path: path, RawQuery: "mode=ro"}
		db, err := sql.Open("sqlite", u.String())
		return db, "?", err
	}
	db, err := sql.Open("pgx", s.url)
	return db, "$1", err
}
