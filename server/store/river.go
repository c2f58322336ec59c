package store

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"
)

// RiverClient is a River client on the store's database: the methods of *river.Client that do not
// depend on the driver's transaction type, so that it is the same type whether the database is
// SQLite (*river.Client[*sql.Tx]) or PostgreSQL (*river.Client[pgx.Tx]). Jobs queued with the
// writes that call for them go through kyc.Tx (EnqueueVerification), not through this client.
type RiverClient interface {
	// Start starts working the configured queues (river.Config.Queues and Workers).
	Start(ctx context.Context) error
	// Stop stops fetching jobs and waits for the running ones to finish.
	Stop(ctx context.Context) error
	// StopAndCancel stops and cancels the running jobs' contexts.
	StopAndCancel(ctx context.Context) error
	// Subscribe returns a channel of the client's events of the given kinds, and a function that
	// cancels the subscription.
	Subscribe(kinds ...river.EventKind) (<-chan *river.Event, func())
	// Insert queues a job outside any transaction.
	Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	// JobGet returns a job by its id.
	JobGet(ctx context.Context, id int64) (*rivertype.JobRow, error)
	// JobList lists jobs.
	JobList(ctx context.Context, params *river.JobListParams) (*river.JobListResult, error)
}

// NewRiverClient returns a River client on the store's database, configured by cfg: give it
// Queues and Workers to work jobs (cfg.Logger defaults to the store's). It shares the store's
// connections (on SQLite, the one writer connection) and must be stopped before the store is
// closed.
func (s *Store) NewRiverClient(cfg *river.Config) (RiverClient, error) {
	c := *cfg
	if c.Logger == nil {
		c.Logger = s.logger
	}
	client, err := s.db.newRiverClient(&c)
	if err != nil {
		return nil, fmt.Errorf("create the River client: %w", err)
	}
	return client, nil
}

// migrateRiver applies River's migrations that the database lacks.
func migrateRiver[TTx any](ctx context.Context, driver riverdriver.Driver[TTx], logger *slog.Logger) error {
	migrator, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: RiverLogger(logger)})
	if err != nil {
		return fmt.Errorf("apply River's migrations: %w", err)
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("apply River's migrations: %w", err)
	}
	return nil
}
