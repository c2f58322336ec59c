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

// enqueuer is the enqueueFunc of a transaction tx of River's client c. A job whose options ask
// for no uniqueness (a webhook delivery's) goes through River's fast insert, which inserts the
// row without reading it back or checking for a conflicting unique job: on SQLite the returning
// insert runs the row through JSON twice more and builds a temporary table for it, and it took
// 15% of the process's CPU while deliveries kept up with complete creates. A job with options
// (nil: the args' own) that may make it unique goes through River's insert, which skips a
// duplicate.
func enqueuer[TTx any](c *river.Client[TTx], tx TTx) enqueueFunc {
	return func(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) error {
		if opts != nil && reflect.ValueOf(opts.UniqueOpts).IsZero() {
			_, err := c.InsertManyFastTx(ctx, tx, []river.InsertManyParams{{Args: args, InsertOpts: opts}})
			return err
		}
		_, err := c.InsertTx(ctx, tx, args, opts)
		return err
	}
}

// selectOne checks that q's database answers.
func selectOne(ctx context.Context, q querier) error {
	var one int
	return q.queryRow(ctx, "SELECT 1").Scan(&one)
}
