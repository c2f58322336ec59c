package store

import (
	"context"

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

// selectOne checks that q's database answers.
func selectOne(ctx context.Context, q querier) error {
	var one int
	return q.queryRow(ctx, "SELECT 1").Scan(&one)
}
