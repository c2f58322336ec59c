package store

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// checkpointInterval is how often a SQLite store's checkpointer copies the pages committed to the
// WAL into the database file. SQLite's own automatic checkpoint, after 1,000 pages, would run in
// the committing connection: the writer, which every write waits for.
const checkpointInterval = 200 * time.Millisecond

// checkpointer runs SQLite's passive WAL checkpoints on a connection of its own, beside the writer
// (whose automatic checkpoints are off: wal_autocheckpoint(0)). A passive checkpoint waits for no
// reader or writer, so the writer goes on committing while pages are copied and the file is
// synced, and the WAL is reused from its start once a checkpoint has copied all of it and no
// reader still needs it, as with automatic checkpoints.
type checkpointer struct {
	db     *sql.DB // one read-write connection
	logger *slog.Logger
	stop   context.CancelFunc
	done   sync.WaitGroup
}

// startCheckpointer opens the checkpointer's connection with dsn and runs a checkpoint every
// interval until close.
func startCheckpointer(dsn string, interval time.Duration, logger *slog.Logger) (*checkpointer, error) {
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open the checkpointer's connection: %w", err)
	}
	db.SetMaxOpenConns(1)
	ctx, stop := context.WithCancel(context.Background())
	c := &checkpointer{db: db, logger: logger, stop: stop}
	c.done.Go(func() { c.run(ctx, interval) })
	return c, nil
}

func (c *checkpointer) run(ctx context.Context, interval time.Duration) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		_, _, err := c.checkpoint(ctx)
		switch {
		case err != nil && !failing && ctx.Err() == nil:
			c.logger.Warn("WAL checkpoint failed; retrying", "error", err)
		case err == nil && failing:
			c.logger.Info("WAL checkpoint succeeded again")
		}
		failing = err != nil
	}
}

// checkpoint runs one passive checkpoint and returns the WAL's length and how much of it is now
// in the database file, in pages.
func (c *checkpointer) checkpoint(ctx context.Context) (walPages, copied int, err error) {
	var busy int
	if err := c.db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &walPages, &copied); err != nil {
		return 0, 0, fmt.Errorf("wal_checkpoint: %w", err)
	}
	return walPages, copied, nil
}

// close stops the checkpoints and closes the connection.
func (c *checkpointer) close() error {
	c.stop()
	c.done.Wait()
	return c.db.Close()
}
