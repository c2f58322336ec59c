package store

import (
	"context"
	"errors"
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
	// inTx runs fn in a transaction: q runs SQL in it and enqueue queues a River job in it
	// (runWithJobs).
	inTx(ctx context.Context, fn func(q querier, enqueue enqueueFunc) error) error
	// migrate runs apply in a transaction, then River's migrations. On PostgreSQL, replicas
	// starting together take turns.
	migrate(ctx context.Context, apply func(context.Context, querier) error) error
	newRiverClient(cfg *river.Config) (RiverClient, error)
	ping(ctx context.Context) error
	// compactAfterErasure removes from the database's files what an erasure that committed
	// overwrote, or says why it could not (see Store.compactAfterErasure).
	compactAfterErasure(ctx context.Context) error
	close() error
}

// enqueueFunc queues a River job in the current transaction (runWithJobs).
type enqueueFunc func(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) error

// runWithJobs runs fn in the transaction tx of River's client c, q running SQL in it. A job fn
// queues that may be unique (a verification attempt's) is inserted at once through River's
// insert, which skips a duplicate. The others (webhook deliveries) are inserted together when fn
// returns nil, in one statement: through River's fast insert when fast is set, which reads no row
// back (on SQLite, River's returning insert of one job ran the row through JSON twice more and
// built a temporary table for it: 15% of the process's CPU while deliveries kept up with complete
// creates), else through River's insert. The fast insert is for SQLite alone: on PostgreSQL it is
// a COPY whose times come from this process's clock rather than the database's, by which River
// finds due jobs. The jobs inserted together take ctx's trace context; a job queued once fn has
// returned is an error.
func runWithJobs[TTx any](ctx context.Context, c *river.Client[TTx], tx TTx, fast bool, q querier, fn func(querier, enqueueFunc) error) error {
	var plain []river.InsertManyParams
	done := false
	enqueue := func(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) error {
		switch {
		case done:
			return errors.New("queue a job: its transaction's work is over")
		case mayBeUnique(args, opts):
			_, err := c.InsertTx(ctx, tx, args, opts)
			return err
		}
		plain = append(plain, river.InsertManyParams{Args: args, InsertOpts: opts})
		return nil
	}
	err := fn(q, enqueue)
	done = true
	if err != nil || len(plain) == 0 {
		return err
	}
	if fast {
		_, err = c.InsertManyFastTx(ctx, tx, plain)
	} else {
		_, err = c.InsertManyTx(ctx, tx, plain)
	}
	if err != nil {
		return dbError("queue jobs", err)
	}
	return nil
}

// mayBeUnique reports whether River may insert the job as unique: its options ask for it or, where
// they ask for nothing (or are nil), its args' own options do (as River decides).
func mayBeUnique(args river.JobArgs, opts *river.InsertOpts) bool {
	if opts != nil && !reflect.ValueOf(opts.UniqueOpts).IsZero() {
		return true
	}
	own, ok := args.(river.JobArgsWithInsertOpts)
	return ok && !reflect.ValueOf(own.InsertOpts().UniqueOpts).IsZero()
}

// selectOne checks that q's database answers.
func selectOne(ctx context.Context, q querier) error {
	var one int
	return q.queryRow(ctx, "SELECT 1").Scan(&one)
}
