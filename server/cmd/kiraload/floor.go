package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"github.com/kiraapi/kira/server/store"
	"github.com/labstack/echo/v4"
)

// The floor is the least a server can do for each scenario on kirad's database, served by the
// bare handler's process beside its fixed answer: a read of one 600-byte row by primary key for
// GET, and for a write, one transaction of as many single-row statements (prepared, on a table with
// only its primary key) as kirad runs for that request. Its share of the bare handler is the most
// kirad's can be on that database and machine. On SQLite it opens its own file with the store's
// connection settings (one writer, WAL, the same pragmas, readers as many as kirad's default); on
// PostgreSQL a table of its own in kirad's database, through a pool of kirad's default size.
type floor struct {
	read, write *sql.DB
	get, insert *sql.Stmt
	next        atomic.Int64 // the last row id written
}

// Statements of kirad's transaction per request, counted in the store (ours and River's insert of
// the verification job): an update of a contact field (read the user, write it), a minimal create
// (the idempotency key claimed, data key, user, event, subscribed endpoints, the stored response),
// a complete create (also its verification job, the started event with its endpoints, the status).
const (
	putStatements      = 2
	minimalStatements  = 6
	completeStatements = 10
)

// Pool sizes as kirad's defaults (KIRA_DB_MAX_CONNS).
const (
	sqliteReaders = 4
	postgresConns = 16
)

// openFloor opens the floor on the PostgreSQL database url names, or when url is empty on a new
// SQLite file in dir, and writes the row it reads.
func openFloor(ctx context.Context, url, dir string) (*floor, error) {
	f := &floor{}
	var err error
	if url == "" {
		writeDSN, readDSN := store.SQLiteDSNs(filepath.Join(dir, "floor.db"))
		if f.write, err = sql.Open("sqlite", writeDSN); err == nil {
			f.write.SetMaxOpenConns(1)
			// The writer creates the file in WAL mode before a reader opens it.
			if err = f.write.PingContext(ctx); err == nil {
				f.read, err = sql.Open("sqlite", readDSN)
			}
		}
		if err == nil {
			f.read.SetMaxOpenConns(sqliteReaders)
			f.read.SetMaxIdleConns(sqliteReaders)
		}
	} else if f.write, err = sql.Open("pgx", url); err == nil {
		f.write.SetMaxOpenConns(postgresConns)
		f.write.SetMaxIdleConns(postgresConns)
		f.read = f.write
	}
	if err != nil {
		return nil, errors.Join(fmt.Errorf("open the floor's database: %w", err), f.close())
	}
	for _, q := range []string{
		"DROP TABLE IF EXISTS kiraload_floor",
		"CREATE TABLE kiraload_floor (id BIGINT PRIMARY KEY, body TEXT NOT NULL)",
		"INSERT INTO kiraload_floor (id, body) VALUES (0, '" + string(user) + "')",
	} {
		if _, err := f.write.ExecContext(ctx, q); err != nil {
			return nil, errors.Join(fmt.Errorf("set up the floor's table: %w", err), f.close())
		}
	}
	if f.get, err = f.read.PrepareContext(ctx, "SELECT body FROM kiraload_floor WHERE id = $1"); err == nil {
		f.insert, err = f.write.PrepareContext(ctx, "INSERT INTO kiraload_floor (id, body) VALUES ($1, $2)")
	}
	if err != nil {
		return nil, errors.Join(fmt.Errorf("prepare the floor's statements: %w", err), f.close())
	}
	return f, nil
}

// routes serves GET /floor/read, the row's body, and POST and PUT /floor/write?statements=N, which
// write N rows in one transaction and answer the row's body, as kirad does (201 and 200).
func (f *floor) routes(e *echo.Echo) {
	e.GET("/floor/read", func(c echo.Context) error {
		var body string
		if err := f.get.QueryRowContext(c.Request().Context(), 0).Scan(&body); err != nil {
			return err
		}
		return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, []byte(body))
	})
	write := func(c echo.Context) error {
		n, err := strconv.Atoi(c.QueryParam("statements"))
		if err != nil || n < 1 {
			return echo.NewHTTPError(http.StatusBadRequest, "statements must be a positive integer")
		}
		if err := f.writeRows(c.Request().Context(), n); err != nil {
			return err
		}
		if c.Request().Method == http.MethodPost {
			return c.JSONBlob(http.StatusCreated, user)
		}
		return c.JSONBlob(http.StatusOK, user)
	}
	e.POST("/floor/write", write)
	e.PUT("/floor/write", write)
}

// writeRows writes n new rows in one transaction.
func (f *floor) writeRows(ctx context.Context, n int) error {
	tx, err := f.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	insert := tx.StmtContext(ctx, f.insert)
	for range n {
		if _, err := insert.ExecContext(ctx, f.next.Add(1), string(user)); err != nil {
			return err
		}
	}
	return tx.Commit()
}

func (f *floor) close() error {
	var errs []error
	for _, s := range []*sql.Stmt{f.get, f.insert} {
		if s != nil {
			errs = append(errs, s.Close())
		}
	}
	if f.read != nil && f.read != f.write {
		errs = append(errs, f.read.Close())
	}
	if f.write != nil {
		errs = append(errs, f.write.Close())
	}
	return errors.Join(errs...)
}

// floorRequest is a scenario's request to the floor.
func floorRequest(method string, statements int) func(base string, _ int64) (*http.Request, error) {
	return func(base string, _ int64) (*http.Request, error) {
		if method == http.MethodGet {
			return http.NewRequest(method, base+"/floor/read", nil)
		}
		return http.NewRequest(method, base+"/floor/write?statements="+strconv.Itoa(statements), strings.NewReader("{}"))
	}
}
