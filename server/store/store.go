// Package store keeps the service's data in SQLite or PostgreSQL. It implements kyc.Store once
// for both databases: the SQL is shared, and a small seam (dialect.go, querier.go) covers what
// really differs. It also runs River, the job queue, on the same database, so that a job is
// queued in the same transaction as the writes that call for it.
//
// Personal data never reaches the database in the clear: a user's fields (all of them), and the
// payloads of its events that carry personal data, are sealed (AES-GCM) under the user's own data
// key, itself sealed under the keyring; cached idempotent responses are sealed under the keyring.
// Each sealed value is bound to its row by the associated data, and users are found by email
// through a keyed hash. Erasing a user deletes its data key (crypto-shredding). What webhook
// receivers answer is kept as they sent it (a short excerpt), until the erasure of its user.
//
// SQLite (the default, a file) runs in WAL mode with one writer connection, used for every write,
// transaction and River, beside a small read-only pool for reads outside transactions.
// PostgreSQL uses one pgx pool for everything.
package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	lru "github.com/hashicorp/golang-lru/v2"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/kiraapi/kira/server/kyc"
	"github.com/kiraapi/kira/server/secret"
)

// Options configure Open.
type Options struct {
	// URL selects the database: "" for the SQLite file kira.db in the working directory,
	// "sqlite:PATH" (or "file:PATH") for another SQLite file, "postgres://..." for PostgreSQL.
	URL string
	// Keyring seals personal data and cached idempotent responses. Required.
	Keyring *secret.Keyring
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger receives the store's and River's logs; nil means slog.Default().
	Logger *slog.Logger
	// MaxConns is the size of the connection pool: PostgreSQL's one pool (0: DefaultPostgresConns,
	// unless the URL sets pool_max_conns), or SQLite's pool of readers beside its one writer (0:
	// DefaultSQLiteReaders).
	MaxConns int
}

// The default pool sizes. PostgreSQL's pool serves the API and River's workers (30 of them, see
// server/app), whose jobs each hold a connection only for their short transactions.
const (
	DefaultPostgresConns = 16
	DefaultSQLiteReaders = 4
)

// Store is a kyc.Store over SQLite or PostgreSQL. It is safe for concurrent use.
type Store struct {
	db      backend
	keyring *secret.Keyring
	now     func() time.Time
	logger  *slog.Logger
	// dataKeys are users' opened data keys, by userKeyAAD: reading a user opens its key once.
	dataKeys *lru.Cache[string, openedKey]
	// clearEmails says users whose email_lower is their email in the clear may remain.
	clearEmails bool

	closeOnce sync.Once
	closeErr  error
}

var _ kyc.Store = (*Store)(nil)

// Open connects to the database opts.URL names, brings its schema up to date (the store's
// migrations, then River's), checks that opts.Keyring is the one the database's data is sealed
// with (ErrWrongKey otherwise), refreshes the planner's statistics (Optimize) and returns a store
// ready to use.
func Open(ctx context.Context, opts Options) (*Store, error) {
	if opts.Keyring == nil {
		return nil, errors.New("store: a keyring is required")
	}
	dataKeys, err := lru.New[string, openedKey](openedKeys)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	s := &Store{keyring: opts.Keyring, now: opts.Now, logger: opts.Logger, dataKeys: dataKeys}
	if s.now == nil {
		s.now = time.Now
	}
	if s.logger == nil {
		s.logger = slog.Default()
	}
	switch url := opts.URL; {
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		s.db, err = openPostgres(ctx, url, opts.MaxConns, s.logger)
	default:
		var path string
		if path, err = SQLitePath(url); err == nil {
			s.db, err = openSQLite(ctx, path, cmp.Or(opts.MaxConns, DefaultSQLiteReaders), s.logger)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	if err := s.db.migrate(ctx, s.migrateTables); err != nil {
		return nil, errors.Join(fmt.Errorf("store: migrate: %w", err), s.db.close())
	}
	if err := s.checkKeyring(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("store: %w", err), s.db.close())
	}
	if err := s.checkClearEmails(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("store: %w", err), s.db.close())
	}
	if err := s.Optimize(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("store: %w", err), s.db.close())
	}
	return s, nil
}

// SQLitePath is the file a SQLite URL names: "" is kira.db, "sqlite:PATH", "sqlite://PATH" and
// "file:PATH" are PATH. Any other URL (postgres://...) is an error.
func SQLitePath(url string) (string, error) {
	var path string
	switch {
	case url == "":
		path = "kira.db"
	case strings.HasPrefix(url, "sqlite:"):
		path = strings.TrimPrefix(strings.TrimPrefix(url, "sqlite:"), "//")
	case strings.HasPrefix(url, "file:"):
		path = strings.TrimPrefix(url, "file:")
	default:
		return "", errors.New("the database URL must be postgres://... or sqlite:PATH")
	}
	if path == "" || strings.ContainsAny(path, "?#") {
		return "", errors.New("a SQLite URL must be sqlite:PATH, with no query")
	}
	return path, nil
}

// Close closes the database connections. It may be called more than once.
func (s *Store) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.db.close() })
	return s.closeErr
}

// Ping reports whether the database answers, on every pool the store uses.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.ping(ctx); err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	return nil
}

// InTx runs fn in one transaction, committed when fn returns nil and rolled back otherwise;
// fn's error is returned as it is. Everything fn writes through its Tx, queued jobs included,
// commits or rolls back together. When ctx carries a transaction (kyc.ContextWithTx), fn runs in
// it and the transaction's owner commits it. On SQLite the transaction holds the only writer
// connection: fn must write through tx alone.
func (s *Store) InTx(ctx context.Context, fn func(kyc.Tx) error) error {
	if outer, ok := kyc.TxFromContext(ctx); ok {
		return fn(outer)
	}
	var t *tx
	err := s.db.inTx(ctx, func(q querier, enqueue enqueueFunc) error {
		t = &tx{s: s, q: q, enqueue: enqueue}
		return fn(t)
	})
	if err == nil {
		for _, f := range t.afterCommit {
			f(ctx)
		}
	}
	return err
}

// timestamp is t as the store keeps it: UTC, to the microsecond, and now when t is zero.
func (s *Store) timestamp(t time.Time) time.Time {
	if t.IsZero() {
		t = s.now()
	}
	return t.UTC().Truncate(time.Microsecond)
}

// Optimize brings the database's planner statistics up to date where the database does not do
// it by itself: SQLite's PRAGMA optimize (PostgreSQL's autovacuum analyzes on its own).
func (s *Store) Optimize(ctx context.Context) error {
	if q := s.db.dialect().optimize; q != "" {
		if _, err := s.db.writer().exec(ctx, q); err != nil {
			return dbError("optimize", err)
		}
	}
	return nil
}
