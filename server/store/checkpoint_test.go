package store

import (
	"context"
	"database/sql"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"modernc.org/sqlite"
)

// walFrameBytes is the size of a WAL frame of a 4 KiB page: the page and its 24-byte header.
const walFrameBytes = 4096 + 24

// TestWALCheckpointerCopiesTheWAL checks that, after commits, the background checkpoint copies
// the whole WAL into the file without the writer checkpointing.
func TestWALCheckpointerCopiesTheWAL(t *testing.T) {
	abs := filepath.Join(t.TempDir(), "kira.db")
	writeDSN, _ := SQLiteDSNs(abs)
	write := sql.OpenDB(cachingConnector{dsn: writeDSN, driver: &sqlite.Driver{}})
	defer write.Close()
	write.SetMaxOpenConns(1)
	if _, err := write.ExecContext(t.Context(), "CREATE TABLE pages (b BLOB)"); err != nil {
		t.Fatal(err)
	}
	type outcome struct{ frames, checkpointed int }
	outcomes := make(chan outcome, 1)
	c := newWALCheckpointer(sql.OpenDB(cachingConnector{dsn: checkpointerDSN(abs), driver: &sqlite.Driver{}}), slog.New(slog.DiscardHandler),
		func(frames, checkpointed int) { outcomes <- outcome{frames, checkpointed} })
	defer c.close()

	for range 3 {
		// Ten pages each time, far fewer than the writer's own checkpoint waits for.
		if _, err := write.ExecContext(t.Context(), "INSERT INTO pages VALUES (zeroblob(40000))"); err != nil {
			t.Fatal(err)
		}
		c.committed()
		var got outcome
		select {
		case got = <-outcomes:
		case <-time.After(time.Minute):
			t.Fatal("no checkpoint a minute after a commit")
		}
		if got.frames == 0 || got.checkpointed != got.frames {
			t.Fatalf("a checkpoint after a commit copied %d of the WAL's %d pages, want all of them", got.checkpointed, got.frames)
		}
	}
}

// TestSQLiteWALStaysBounded checks that, with the background checkpoints running beside a writer
// that never pauses, the writer's own checkpoints still start the WAL again from its beginning:
// the WAL file stays near writerCheckpointFrames pages while the writes fill many times that.
func TestSQLiteWALStaysBounded(t *testing.T) {
	b := openPagesStore(t)
	ctx := t.Context()
	// Each insert writes three pages: a 10,000-byte blob overflows two pages from its row's.
	const writers, inserts = 4, 1500
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for range writers {
		wg.Go(func() {
			for range inserts {
				if err := insertBlob(ctx, b, 10000); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	info, err := os.Stat(walPath(t, b))
	if err != nil {
		t.Fatal(err)
	}
	written := writers * inserts * 3
	// The writer checkpoints after the commit that takes the WAL to writerCheckpointFrames, or
	// after a later one when the background checkpoint was running then.
	if limit := 2 * writerCheckpointFrames * walFrameBytes; info.Size() > int64(limit) {
		t.Errorf("the WAL grew to %d bytes (%d pages) while %d pages were written; want at most %d bytes: it is not reused from its start",
			info.Size(), info.Size()/walFrameBytes, written, limit)
	}
}

// TestSQLiteCompactAfterErasureTakesItsTurn checks that the truncating checkpoint after an
// erasure never fails for the background checkpoint running at the same moment.
func TestSQLiteCompactAfterErasureTakesItsTurn(t *testing.T) {
	b := openPagesStore(t)
	ctx := t.Context()
	wal := walPath(t, b)
	for i := range 500 {
		if err := insertBlob(ctx, b, 40000); err != nil {
			t.Fatal(err)
		}
		if err := b.compactAfterErasure(ctx); err != nil {
			t.Fatalf("compaction %d: %v", i, err)
		}
		info, err := os.Stat(wal)
		if err != nil {
			t.Fatal(err)
		}
		if info.Size() != 0 {
			t.Fatalf("after compaction %d the WAL is %d bytes, want empty", i, info.Size())
		}
	}
}

// walPath is the path of the WAL of b's database.
func walPath(t *testing.T, b *sqliteBackend) string {
	t.Helper()
	var seq int
	var name, file string
	if err := b.write.QueryRowContext(t.Context(), "PRAGMA database_list").Scan(&seq, &name, &file); err != nil {
		t.Fatal(err)
	}
	return file + "-wal"
}

// openPagesStore opens a SQLite store with a table of blobs, pages, and returns its backend.
func openPagesStore(t *testing.T) *sqliteBackend {
	t.Helper()
	st, _ := openSQLiteStore(t)
	b := st.db.(*sqliteBackend)
	if _, err := b.write.ExecContext(t.Context(), "CREATE TABLE pages (b BLOB)"); err != nil {
		t.Fatal(err)
	}
	return b
}

// insertBlob inserts a blob of size zero bytes into pages, in a transaction of b's writer.
func insertBlob(ctx context.Context, b *sqliteBackend, size int) error {
	return b.inTx(ctx, func(q querier, _ enqueueFunc) error {
		_, err := q.exec(ctx, "INSERT INTO pages VALUES (zeroblob(?))", size)
		return err
	})
}
