package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
)

// postgresBackend is a PostgreSQL database reached through one pgx pool, shared with River.
// Tables are created in the connection's current schema (set search_path in the URL to choose
// another).
type postgresBackend struct {
	pool   *pgxpool.Pool
	river  *river.Client[pgx.Tx] // insert-only, for enqueueing in transactions
	logger *slog.Logger
}

// openPostgres connects a pool of maxConns connections (0: the URL's pool_max_conns, or
// DefaultPostgresConns).
func openPostgres(ctx context.Context, url string, maxConns int, logger *slog.Logger) (*postgresBackend, error) {
	cfg, err := pgxpool.ParseConfig(url) // its errors redact the password
	if err != nil {
		return nil, fmt.Errorf("parse the PostgreSQL URL: %w", err)
	}
	switch {
	case maxConns > 0:
		cfg.MaxConns = int32(maxConns)
	case !strings.Contains(url, "pool_max_conns="):
		cfg.MaxConns = DefaultPostgresConns
	}
	// Migrating holds a lock on one connection while River migrates on another.
	if cfg.MaxConns < 2 {
		return nil, errors.New("the PostgreSQL pool must have at least 2 connections")
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	b := &postgresBackend{pool: pool, logger: logger}
	if err := pool.Ping(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("connect to PostgreSQL: %w", err), b.close())
	}
	if b.river, err = river.NewClient(riverpgxv5.New(pool), &river.Config{Logger: logger}); err != nil {
		return nil, errors.Join(fmt.Errorf("create the River client: %w", err), b.close())
	}
	return b, nil
}

func (b *postgresBackend) dialect() dialect { return postgresDialect }
func (b *postgresBackend) reader() querier  { return pgxQuerier{b.pool} }
func (b *postgresBackend) writer() querier  { return pgxQuerier{b.pool} }

func (b *postgresBackend) inTx(ctx context.Context, fn func(querier, enqueueFunc) error) error {
	return b.withTx(ctx, func(tx pgx.Tx) error {
		return runWithJobs(ctx, b.river, tx, false, pgxQuerier{tx}, fn)
	})
}

// withTx runs fn in a transaction, committed when fn returns nil.
func (b *postgresBackend) withTx(ctx context.Context, fn func(pgx.Tx) error) error {
	tx, err := b.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	// After Commit this is a no-op; otherwise fn's error is the one that matters. It runs even if
	// ctx is done, so that the connection goes back to the pool clean.
	defer tx.Rollback(context.WithoutCancel(ctx))
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// migrate applies the store's migrations in a transaction that first takes a transaction-level
// advisory lock for the current schema, and applies River's (on other connections of the pool)
// before committing it: replicas starting together migrate one after the other, and the later
// ones find nothing left to do.
func (b *postgresBackend) migrate(ctx context.Context, apply func(context.Context, querier) error) error {
	return b.withTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(hashtextextended('kira migrations ' || current_schema(), 0))"); err != nil {
			return fmt.Errorf("lock for migrations: %w", err)
		}
		if err := apply(ctx, pgxQuerier{tx}); err != nil {
			return err
		}
		return migrateRiver(ctx, riverpgxv5.New(b.pool), b.logger)
	})
}

func (b *postgresBackend) newRiverClient(cfg *river.Config) (RiverClient, error) {
	client, err := river.NewClient(riverpgxv5.New(b.pool), cfg)
	if err != nil {
		return nil, err
	}
	return client, nil
}

func (b *postgresBackend) ping(ctx context.Context) error { return selectOne(ctx, b.writer()) }

// compactAfterErasure does nothing: vacuum reclaims the rows an erasure left behind.
func (b *postgresBackend) compactAfterErasure(context.Context) error { return nil }

func (b *postgresBackend) close() error {
	b.pool.Close()
	return nil
}
