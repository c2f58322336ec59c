package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
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
	// queryRow runs a query for one row: a read by key, or one that stops at the first row
	// (SQLite's readers do not watch ctx for it).
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
// microseconds since the Unix epoch (exact, and ordered as the times are). Its connections keep
// the statements they run prepared (cachingConn).
type sqliteQuerier struct {
	db sqlDB
	// keyReads is set on the readers' pool, whose queryRow calls read a row by its key or stop at
	// the first row found.
	keyReads bool
}

func (q sqliteQuerier) exec(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := q.db.ExecContext(ctx, query, sqliteArgs(args)...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (q sqliteQuerier) query(ctx context.Context, query string, args ...any) (rows, error) {
	r, err := q.db.QueryContext(ctx, query, sqliteArgs(args)...)
	if err != nil {
		return nil, err
	}
	return sqlRows{r}, nil
}

// queryRow runs a query for one row. On the readers' pool (keyReads) it does not watch ctx for
// its end (ctx's values still apply): a read by key takes microseconds, less than the watching,
// for which database/sql and the SQLite driver each start a goroutine per query (together about
// 8% of kirad's CPU for a GET, make load).
func (q sqliteQuerier) queryRow(ctx context.Context, query string, args ...any) row {
	if q.keyReads {
		ctx = context.WithoutCancel(ctx)
	}
	return q.db.QueryRowContext(ctx, query, sqliteArgs(args)...)
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
