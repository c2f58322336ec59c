package store

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// A checkpoint copies the pages the WAL holds into the database file: it syncs the WAL, writes
// each page's last version into the file and syncs the file. Run by the writer at commit, as
// SQLite does by default every 1,000 pages, it holds every write for as long: with a create
// writing about 23 pages, that was 11 ms in each 40 ms at 1,000 creates a second, and most of the
// slowest requests' time. So a connection of its own checkpoints beside the writer, which goes on
// committing, and the writer's own checkpoint, every writerCheckpointFrames pages, finds the WAL
// all but copied: it copies the rest, and the writer's next transaction starts the WAL again from
// its beginning.
//
// The writer's has to stay: SQLite reuses the WAL only when a checkpoint has copied all of it,
// which one beside a writer that never pauses does not, and the WAL then grows without end.

const (
	// checkpointInterval is the least time, after a background checkpoint, before the next one.
	// At 1,000 creates a second, 10 ms is about 230 pages a checkpoint.
	checkpointInterval = 10 * time.Millisecond
	// writerCheckpointFrames is the WAL's size, in pages, from which the writer checkpoints when
	// it commits (SQLite's wal_autocheckpoint); the writer's checkpoints then hold it 4-6 ms,
	// every 4,000 pages. The WAL stays at about 16 MiB, plus what commits write while a
	// background checkpoint runs (the writer's is then skipped, and tried again at its next
	// commit). Readers that never all leave the WAL keep any checkpoint from starting it again,
	// as they always have.
	writerCheckpointFrames = 4000
)

// walCheckpointer runs SQLite's passive checkpoints on a connection of its own, at most one per
// checkpointInterval and only after the store's batches commit (River's own statements, on the
// same writer, do not wake it): an idle database costs nothing. Its checkpoints and
// the store's truncating one (Store.compactAfterErasure) take turns, since SQLite fails a
// checkpoint at once while another runs. The writer's automatic checkpoint does not wait: one
// that finds the background one running is skipped, and the writer tries again at its next commit.
type walCheckpointer struct {
	db     *sql.DB
	logger *slog.Logger
	// observe, when set, learns each background checkpoint's outcome: the WAL's pages and how
	// many of them are in the database file (for tests).
	observe func(frames, checkpointed int)

	mu      sync.Mutex    // held while this process checkpoints, but for the writer's own
	kick    chan struct{} // a commit happened
	stop    chan struct{}
	done    chan struct{}
	failing bool // the last checkpoint failed (run's goroutine only)
}

// newWALCheckpointer starts checkpointing through db, opened with checkpointerDSN, until close.
func newWALCheckpointer(db *sql.DB, logger *slog.Logger, observe func(frames, checkpointed int)) *walCheckpointer {
	c := &walCheckpointer{db: db, logger: logger, observe: observe,
		kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c
}

// committed tells the checkpointer that a transaction committed. It never blocks.
func (c *walCheckpointer) committed() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// run checkpoints after each kick, then waits checkpointInterval, until stop.
func (c *walCheckpointer) run() {
	defer close(c.done)
	pause := time.NewTimer(checkpointInterval)
	pause.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-c.kick:
		}
		c.checkpoint()
		pause.Reset(checkpointInterval)
		select {
		case <-c.stop:
			pause.Stop()
			return
		case <-pause.C:
		}
	}
}

// checkpoint runs one passive checkpoint: it copies what it can without waiting for the writer
// or the readers, and never holds them. A failure is logged when checkpoints start failing, not
// at each one after.
func (c *walCheckpointer) checkpoint() {
	var busy, frames, checkpointed int
	err := c.exclusive(func() error {
		return c.db.QueryRowContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &checkpointed)
	})
	switch {
	case err != nil && !c.failing:
		c.logger.Warn("the WAL could not be checkpointed beside the writer; the writer's own checkpoints go on", "error", err)
	case err == nil && c.failing:
		c.logger.Info("the WAL is checkpointed beside the writer again")
	case err == nil && c.observe != nil && busy == 0:
		c.observe(frames, checkpointed)
	}
	c.failing = err != nil
}

// checkpointerDSN is the data source name of the checkpointer's connection to the SQLite file at
// abs: read-write, and syncing as the writer does (synchronous=NORMAL: a checkpoint syncs the WAL,
// then the file).
func checkpointerDSN(abs string) string { return abs + "?" + sqlitePragmas }

// exclusive runs fn, a checkpoint, while no other checkpoint of this process but the writer's
// own runs.
func (c *walCheckpointer) exclusive(fn func() error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return fn()
}

// close stops the checkpoints and closes the connection. It is called once (Store.Close).
func (c *walCheckpointer) close() error {
	close(c.stop)
	<-c.done
	if err := c.db.Close(); err != nil {
		return fmt.Errorf("close the checkpointer's connection: %w", err)
	}
	return nil
}
