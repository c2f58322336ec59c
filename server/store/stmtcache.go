package store

import (
	"container/list"
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
)

// SQLite parses and plans a statement's text every time it is prepared, and database/sql prepares
// the text of every query run without a *sql.Stmt: for a short query that is most of its cost. So
// each SQLite connection keeps the statements it ran, by text, and runs a text it has seen with
// its prepared statement again (SQLite re-prepares one itself if the schema changes). This covers
// every query on the connection, in or out of transactions: the store's, and River's, which its
// driver sends as text.

// maxCachedStatements bounds the statements one connection keeps (the least recently used
// is closed first). The store and River run about a hundred texts in all.
const maxCachedStatements = 256

// sqliteConn is what database/sql uses of a connection of the SQLite driver, and what a caching
// connection passes on.
type sqliteConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

// sqliteRows is what database/sql uses of the SQLite driver's rows.
type sqliteRows interface {
	driver.Rows
	driver.RowsColumnTypeDatabaseTypeName
	driver.RowsColumnTypeLength
	driver.RowsColumnTypeNullable
	driver.RowsColumnTypePrecisionScale
	driver.RowsColumnTypeScanType
}

// cachingConnector opens connections of the SQLite driver to dsn that keep their statements.
type cachingConnector struct {
	dsn    string
	driver driver.Driver
}

// Connect opens a connection. The SQLite driver connects without a context.
func (c cachingConnector) Connect(context.Context) (driver.Conn, error) {
	conn, err := c.driver.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	sc, ok := conn.(sqliteConn)
	if !ok {
		return nil, errors.Join(fmt.Errorf("the SQLite driver's connection is a %T, without the methods the store uses", conn), conn.Close())
	}
	return &cachingConn{sqliteConn: sc, stmts: map[string]*list.Element{}, lru: list.New()}, nil
}

// Driver returns the SQLite driver.
func (c cachingConnector) Driver() driver.Driver { return c.driver }

// cachingConn is a SQLite connection that keeps its prepared statements by text. database/sql
// uses a connection from one goroutine at a time, so it needs no lock.
type cachingConn struct {
	sqliteConn
	stmts map[string]*list.Element // of *cachedStmt, in lru
	lru   *list.List               // most recently used first
	// prepares counts the statements the connection prepared (for tests).
	prepares int
}

// cachedStmt is a prepared statement; busy while rows it returned are open, when the statement
// cannot run again (its text then runs unprepared).
type cachedStmt struct {
	query string
	stmt  interface {
		driver.Stmt
		driver.StmtExecContext
		driver.StmtQueryContext
	}
	busy bool
}

// statement returns query's statement, preparing and keeping it on first use; nil when it is
// busy, or cannot be kept, and the query must run as the driver runs it unprepared.
func (c *cachingConn) statement(ctx context.Context, query string) (*cachedStmt, error) {
	if e, ok := c.stmts[query]; ok {
		c.lru.MoveToFront(e)
		s := e.Value.(*cachedStmt)
		if s.busy {
			return nil, nil
		}
		return s, nil
	}
	ds, err := c.sqliteConn.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.prepares++
	stmt, ok := ds.(interface {
		driver.Stmt
		driver.StmtExecContext
		driver.StmtQueryContext
	})
	if !ok {
		return nil, ds.Close()
	}
	// Make room before keeping the new statement, which must not be the one evicted.
	if c.lru.Len() >= maxCachedStatements {
		c.evict()
	}
	s := &cachedStmt{query: query, stmt: stmt}
	c.stmts[query] = c.lru.PushFront(s)
	return s, nil
}

// evict closes the least recently used statement that is not busy (none when all are: the
// connection then keeps more than maxCachedStatements until their rows are closed).
func (c *cachingConn) evict() {
	for e := c.lru.Back(); e != nil; e = e.Prev() {
		if s := e.Value.(*cachedStmt); !s.busy {
			c.lru.Remove(e)
			delete(c.stmts, s.query)
			_ = s.stmt.Close() // a statement that fails to finalize is gone all the same
			return
		}
	}
}

// ExecContext runs query with its kept statement.
func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	s, err := c.statement(ctx, query)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return c.sqliteConn.ExecContext(ctx, query, args)
	}
	return s.stmt.ExecContext(ctx, args)
}

// QueryContext runs query with its kept statement, busy until the rows are closed.
func (c *cachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	s, err := c.statement(ctx, query)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return c.sqliteConn.QueryContext(ctx, query, args)
	}
	r, err := s.stmt.QueryContext(ctx, args)
	if err != nil {
		return nil, err
	}
	sr, ok := r.(sqliteRows)
	if !ok {
		return nil, errors.Join(fmt.Errorf("the SQLite driver's rows are a %T, without the methods the store uses", r), r.Close())
	}
	s.busy = true
	return &cachedRows{sqliteRows: sr, stmt: s}, nil
}

// Close closes the kept statements and the connection.
func (c *cachingConn) Close() error {
	var errs []error
	for e := c.lru.Front(); e != nil; e = e.Next() {
		errs = append(errs, e.Value.(*cachedStmt).stmt.Close())
	}
	c.stmts, c.lru = nil, list.New()
	return errors.Join(append(errs, c.sqliteConn.Close())...)
}

// cachedRows are the rows of a kept statement, which they free when closed.
type cachedRows struct {
	sqliteRows
	stmt *cachedStmt
}

func (r *cachedRows) Close() error {
	r.stmt.busy = false
	return r.sqliteRows.Close()
}
