package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// groupCommit runs SQLite's transactions in batches: the transactions that wait while one batch
// commits run together in the next, each inside a savepoint of one SQLite transaction, which
// commits once for them all. SQLite has one writer, and a commit's cost (writing the WAL) is
// mostly per commit, not per row: a batch of n pays it once instead of n times.
//
// Each transaction keeps its own outcome: one whose function fails is rolled back to its
// savepoint, leaving the others; a batch whose commit fails fails every transaction in it. So a
// caller learns that its transaction committed only once it has, exactly as with a transaction
// of its own. The first caller to find no batch running runs the batch, its own; then the first
// transaction of the next batch, if one waits, runs that one, and so on: no caller runs, or
// waits for, a batch after its own.
//
// Requests go first: a batch takes every request's transaction waiting and at most
// maxBackgroundInBatch of the background work's (a job's, see BackgroundJobs), in the order they
// came. A request that comes while a batch runs then waits for that batch and its own, never
// for the dozens of transactions a burst of jobs brings at once.
type groupCommit struct {
	db        *sql.DB // the writer
	committed func()  // called after each batch that commits

	mu         sync.Mutex
	requests   []*groupTx // waiting, in the order they came
	background []*groupTx // waiting, in the order they came
	running    bool       // a batch runs, or its next leader is told to run one
}

// maxBackgroundInBatch bounds the background transactions of a batch. A verification's takes
// about 0.5 ms, and a commit about 0.3: eight keep most of what a batch saves.
const maxBackgroundInBatch = 8

// backgroundKey marks a context whose transactions are background work (asBackground).
type backgroundKey struct{}

// asBackground returns ctx marked as background work's: on SQLite its transactions wait for the
// requests' (groupCommit).
func asBackground(ctx context.Context) context.Context {
	return context.WithValue(ctx, backgroundKey{}, true)
}

// BackgroundJobs is the River worker middleware that marks every job's work as background: on
// SQLite, the transactions of requests commit first.
type BackgroundJobs struct{ river.MiddlewareDefaults }

var _ rivertype.WorkerMiddleware = (*BackgroundJobs)(nil)

// Work implements rivertype.WorkerMiddleware.
func (*BackgroundJobs) Work(ctx context.Context, _ *rivertype.JobRow, doInner func(context.Context) error) error {
	return doInner(asBackground(ctx))
}

// groupTx is one caller's transaction: its function, where its outcome goes, and how the caller
// learns that it is to run the batch the transaction is first in.
type groupTx struct {
	ctx  context.Context
	fn   func(*sql.Tx) error
	done chan error
	lead chan struct{}
}

// run runs the transaction's function in tx. A panic is its error: the batch, run by another
// caller's goroutine, must go on and answer every caller.
func (t *groupTx) run(tx *sql.Tx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic in a transaction: %v\n%s", r, debug.Stack())
		}
	}()
	return t.fn(tx)
}

// savepoint names the savepoint of each transaction of a batch.
const savepoint = "kira_tx"

// run runs fn in a transaction of a batch and returns fn's error or, when fn succeeded, the
// commit's. It waits for its batch even when ctx is done: what fn did may be committing. A
// transaction whose ctx is done before its turn does not run.
func (g *groupCommit) run(ctx context.Context, fn func(*sql.Tx) error) error {
	t := &groupTx{ctx: ctx, fn: fn, done: make(chan error, 1), lead: make(chan struct{}, 1)}
	g.mu.Lock()
	if ctx.Value(backgroundKey{}) != nil {
		g.background = append(g.background, t)
	} else {
		g.requests = append(g.requests, t)
	}
	lead := !g.running
	g.running = true
	g.mu.Unlock()
	if !lead {
		select {
		case err := <-t.done:
			return err
		case <-t.lead:
		}
	}
	g.lead()
	return <-t.done
}

// lead runs the next batch, which holds the caller's transaction, then tells the first
// transaction of the batch after it, if one waits, to run that one.
func (g *groupCommit) lead() {
	g.mu.Lock()
	n := min(len(g.background), maxBackgroundInBatch)
	batch := append(g.requests, g.background[:n]...)
	g.requests = nil
	clear(g.background[:n]) // the batch holds them now
	if g.background = g.background[n:]; len(g.background) == 0 {
		g.background = nil // let the array go
	}
	g.mu.Unlock()
	g.commit(batch)

	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case len(g.requests) > 0:
		g.requests[0].lead <- struct{}{}
	case len(g.background) > 0:
		g.background[0].lead <- struct{}{}
	default:
		g.running = false
	}
}

// commit runs one batch in one SQLite transaction and tells each caller its outcome.
func (g *groupCommit) commit(batch []*groupTx) {
	outcome := make([]error, len(batch))
	finish := func(batchErr error) {
		for i, t := range batch {
			if outcome[i] == nil {
				outcome[i] = batchErr
			}
			t.done <- outcome[i]
		}
	}
	// The batch outlives any one caller's context.
	ctx := context.Background()
	tx, err := g.db.BeginTx(ctx, nil) // BEGIN IMMEDIATE (_txlock)
	if err != nil {
		finish(fmt.Errorf("begin transaction: %w", err))
		return
	}
	single := len(batch) == 1
	committed := false
	for i, t := range batch {
		if err := t.ctx.Err(); err != nil {
			outcome[i] = err
			continue
		}
		if single {
			outcome[i] = t.run(tx)
			committed = outcome[i] == nil
			break
		}
		if _, err := tx.ExecContext(ctx, "SAVEPOINT "+savepoint); err != nil {
			_ = tx.Rollback()
			finish(fmt.Errorf("savepoint: %w", err))
			return
		}
		if outcome[i] = t.run(tx); outcome[i] != nil {
			// Undo this transaction alone; if SQLite cannot, the batch is lost.
			if _, err := tx.ExecContext(ctx, "ROLLBACK TO "+savepoint); err != nil {
				_ = tx.Rollback()
				finish(errors.Join(errors.New("the transaction was rolled back with others"), err))
				return
			}
		} else {
			committed = true
		}
		if _, err := tx.ExecContext(ctx, "RELEASE "+savepoint); err != nil {
			_ = tx.Rollback()
			finish(fmt.Errorf("release savepoint: %w", err))
			return
		}
	}
	if !committed {
		_ = tx.Rollback()
		finish(nil)
		return
	}
	if err := tx.Commit(); err != nil {
		finish(fmt.Errorf("commit: %w", err))
		return
	}
	g.committed()
	finish(nil)
}
