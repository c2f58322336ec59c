package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// querier runs the store's SQL on a pool or a transaction of either database. Queries are written
// once, with ? placeholders and time.Time arguments; each implementation adapts them to its
// driver. A query that finds no row reports an error matching sql.ErrNoRows on both (pgx.ErrNoRows
// wraps it).
type querier interface {
	exec(ctx context.Context, query string, args ...any) (rowsAffected int64, err error)
	query(ctx context.Context, query string, args ...any) (rows, error)
	queryRow(ctx context.Context, query string, args ...any) row
}

// rows is a result set being read; pgx.Rows is one as it is.
type rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

// row is a single-row result; *sql.Row and pgx.Row are both one.
type row interface {
	Scan(dest ...any) error
}

// sqlDB is what *sql.DB and *sql.Tx share.
type sqlDB interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// sqliteQuerier runs queries through database/sql on SQLite, which keeps times as integer
// microseconds since the Unix epoch (exact, and ordered as the times are). Its statements are
// prepared once and reused: on a pool, at their first use; in a transaction of the writer, once
// the transaction that first ran one unprepared has ended (see stmtCache.inTx).
type sqliteQuerier struct {
	db    sqlDB
	stmts *stmtCache // nil: every statement runs unprepared
	tx    *sql.Tx    // set when db is a transaction of stmts' pool
}

// stmt returns the prepared statement of query, or nil when it runs unprepared.
func (q sqliteQuerier) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	switch {
	case q.stmts == nil:
		return nil, nil
	case q.tx != nil:
		s := q.stmts.inTx(query)
		if s == nil {
			return nil, nil
		}
		return q.tx.StmtContext(ctx, s), nil
	}
	return q.stmts.get(ctx, query)
}

func (q sqliteQuerier) exec(ctx context.Context, query string, args ...any) (int64, error) {
	s, err := q.stmt(ctx, query)
	if err != nil {
		return 0, err
	}
	var res sql.Result
	if s == nil {
		res, err = q.db.ExecContext(ctx, query, sqliteArgs(args)...)
	} else {
		res, err = s.ExecContext(ctx, sqliteArgs(args)...)
	}
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (q sqliteQuerier) query(ctx context.Context, query string, args ...any) (rows, error) {
	s, err := q.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	var r *sql.Rows
	if s == nil {
		r, err = q.db.QueryContext(ctx, query, sqliteArgs(args)...)
	} else {
		r, err = s.QueryContext(ctx, sqliteArgs(args)...)
	}
	if err != nil {
		return nil, err
	}
	return sqlRows{r}, nil
}

func (q sqliteQuerier) queryRow(ctx context.Context, query string, args ...any) row {
	s, err := q.stmt(ctx, query)
	switch {
	case err != nil:
		return errRow{err}
	case s == nil:
		return q.db.QueryRowContext(ctx, query, sqliteArgs(args)...)
	}
	return s.QueryRowContext(ctx, sqliteArgs(args)...)
}

// errRow is a row whose query could not even be prepared.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

// stmtCache holds one prepared statement per query text for a database/sql pool: SQLite would
// otherwise parse and plan the query on every call. (pgx caches statements itself.)
//
// Preparing takes a connection of the pool. The writer's pool has one, which a transaction holds
// while it runs, so a transaction never prepares: a query it runs that is not prepared yet runs
// unprepared and is noted, and prepareNoted prepares the noted queries once the transaction is over.
type stmtCache struct {
	db *sql.DB
	mu sync.Mutex
	m  map[string]*sql.Stmt
	// noted are the queries transactions ran unprepared, to prepare when none runs.
	noted map[string]struct{}
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, m: map[string]*sql.Stmt{}, noted: map[string]struct{}{}}
}

// get returns query's statement, preparing it on first use. The lock is not held while it
// prepares: a transaction holding the pool's connection may need it meanwhile (inTx).
func (c *stmtCache) get(ctx context.Context, query string) (*sql.Stmt, error) {
	c.mu.Lock()
	s, ok := c.m[query]
	c.mu.Unlock()
	if ok {
		return s, nil
	}
	s, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev, ok := c.m[query]; ok { // prepared meanwhile by another caller
		return prev, s.Close()
	}
	c.m[query] = s
	return s, nil
}

// inTx returns query's statement for a transaction of the pool, or nil when it is not prepared
// yet: then the query is noted for prepareNoted.
func (c *stmtCache) inTx(query string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.m[query]
	if !ok {
		c.noted[query] = struct{}{}
	}
	return s
}

// prepareNoted prepares the queries transactions noted; it must run while the caller holds no
// connection of the pool. A query that cannot be prepared goes on running unprepared.
func (c *stmtCache) prepareNoted(ctx context.Context) {
	c.mu.Lock()
	noted := c.noted
	c.noted = map[string]struct{}{}
	c.mu.Unlock()
	for query := range noted {
		_, _ = c.get(ctx, query)
	}
}

// close closes the prepared statements.
func (c *stmtCache) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for q, s := range c.m {
		errs = append(errs, s.Close())
		delete(c.m, q)
	}
	return errors.Join(errs...)
}

// sqliteArgs returns args with each time.Time replaced by its Unix microseconds.
func sqliteArgs(args []any) []any {
	out := make([]any, len(args))
	for i, a := range args {
		if t, ok := a.(time.Time); ok {
			a = t.UnixMicro()
		}
		out[i] = a
	}
	return out
}

// sqlRows is *sql.Rows as rows (whose Close returns nothing: Err reports what went wrong).
type sqlRows struct{ *sql.Rows }

func (r sqlRows) Close() { _ = r.Rows.Close() }

// pgxDB is what *pgxpool.Pool, *pgxpool.Conn and pgx.Tx share.
type pgxDB interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// pgxQuerier runs queries through pgx on PostgreSQL, numbering the placeholders ($1, $2, ...).
type pgxQuerier struct{ db pgxDB }

func (q pgxQuerier) exec(ctx context.Context, query string, args ...any) (int64, error) {
	tag, err := q.db.Exec(ctx, numberPlaceholders(query), args...)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

func (q pgxQuerier) query(ctx context.Context, query string, args ...any) (rows, error) {
	return q.db.Query(ctx, numberPlaceholders(query), args...)
}

func (q pgxQuerier) queryRow(ctx context.Context, query string, args ...any) row {
	return q.db.QueryRow(ctx, numberPlaceholders(query), args...)
}

// numberPlaceholders rewrites each ? as $1, $2, ... The store's SQL has no ? in literals.
func numberPlaceholders(query string) string {
	if !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 8)
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// scanTime scans a timestamp column of either database into *t, in UTC: SQLite gives integer
// microseconds, PostgreSQL a time.Time.
func scanTime(t *time.Time) sql.Scanner { return timeScanner{t} }

type timeScanner struct{ t *time.Time }

func (s timeScanner) Scan(src any) error {
	switch v := src.(type) {
	case int64:
		*s.t = time.UnixMicro(v).UTC()
	case time.Time:
		*s.t = v.UTC()
	default:
		return fmt.Errorf("scan time: unexpected %T", src)
	}
	return nil
}
