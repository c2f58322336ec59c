package store

import (
	"context"
	"reflect"

	"github.com/riverqueue/river"
)

// backend is one database's connections, transactions and River driver: everything about a
// database but the SQL, which the store writes once.
type backend interface {
	dialect() dialect
	// reader runs reads outside transactions; writer runs single writes outside transactions.
	reader() querier
	writer() querier
	// inTx runs fn in a transaction: q runs SQL in it and enqueue inserts a River job in it.
	inTx(ctx context.Context, fn func(q querier, enqueue enqueueFunc) error) error
	// migrate runs apply in a transaction, then River's migrations. On PostgreSQL, replicas
	// starting together take turns.
	migrate(ctx context.Context, apply func(context.Context, querier) error) error
	newRiverClient(cfg *river.Config) (RiverClient, error)
	ping(ctx context.Context) error
	close() error
}

// enqueueFunc inserts a River job in the current transaction.
type enqueueFunc func(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) error

// runWithJobs runs fn in the transaction tx of River's client c, q running SQL in it, then
// inserts the jobs fn queued without uniqueness (webhook deliveries) in one statement, through
// River's fast insert: it neither reads the rows back nor checks for conflicting unique jobs. On
// SQLite River's returning insert of a single job ran the row through JSON twice more and built a
// temporary table for it, and it took 15% of the process's CPU while deliveries kept up with
// complete creates. A job whose options (nil: the args' own) may make it unique is inserted at
// once through River's insert, which skips a duplicate. The jobs take ctx's trace context.
func runWithJobs[TTx any](ctx context.Context, c *river.Client[TTx], tx TTx, q querier, fn func(querier, enqueueFunc) error) error {
	var plain []river.InsertManyParams
	enqueue := func(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) error {
		if opts != nil && reflect.ValueOf(opts.UniqueOpts).IsZero() {
			plain = append(plain, river.InsertManyParams{Args: args, InsertOpts: opts})
			return nil
		}
		_, err := c.InsertTx(ctx, tx, args, opts)
		return err
	}
	if err := fn(q, enqueue); err != nil || len(plain) == 0 {
		return err
	}
	if _, err := c.InsertManyFastTx(ctx, tx, plain); err != nil {
		return dbError("queue jobs", err)
	}
	return nil
}

// selectOne checks that q's database answers.
func selectOne(ctx context.Context, q querier) error {
	var one int
	return q.queryRow(ctx, "SELECT 1").Scan(&one)
}
