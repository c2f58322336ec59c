package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"strconv"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"modernc.org/sqlite"
)

const (
	// sqlitePragmas apply to every connection; busy_timeout (ms) makes a connection wait for
	// another process's lock instead of failing with SQLITE_BUSY.
	sqlitePragmas = "_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)"
)

// sqliteBackend is a SQLite file in WAL mode. All writes, transactions and River go through one
// connection, so they never contend for SQLite's write lock inside the process; its transactions
// begin IMMEDIATE, taking the lock at once rather than failing to upgrade a read lock later.
// Reads outside transactions use a separate pool of read-only connections, which WAL lets run
// beside the writer, and a connection of its own copies the WAL into the file (walCheckpointer).
type sqliteBackend struct {
	write       *sql.DB
	read        *sql.DB
	river       *river.Client[*sql.Tx] // insert-only, for enqueueing in transactions
	logger      *slog.Logger
	group       *groupCommit // the writer's transactions, committed in batches
	checkpoints *walCheckpointer
}

func openSQLite(ctx context.Context, path string, readers int, logger *slog.Logger) (*sqliteBackend, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("resolve the SQLite path: %w", err)
	}
	writeDSN, readDSN := SQLiteDSNs(abs)
	write := sql.OpenDB(cachingConnector{dsn: writeDSN, driver: &sqlite.Driver{}})
	write.SetMaxOpenConns(1)
	// Connect the writer first: it creates the file and switches it to WAL, which the read-only
	// connections cannot do.
	if err := write.PingContext(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("open SQLite database %s: %w", abs, err), write.Close())
	}
	read := sql.OpenDB(cachingConnector{dsn: readDSN, driver: &sqlite.Driver{}})
	read.SetMaxOpenConns(readers)
	read.SetMaxIdleConns(readers)
	checkpoint := sql.OpenDB(cachingConnector{dsn: checkpointerDSN(abs), driver: &sqlite.Driver{}})
	checkpoint.SetMaxOpenConns(1)
	b := &sqliteBackend{write: write, read: read, logger: logger, checkpoints: newWALCheckpointer(checkpoint, logger, nil)}
	b.group = &groupCommit{db: write, committed: b.checkpoints.committed}
	if b.river, err = river.NewClient(riversqlite.New(write), &river.Config{Logger: logger}); err != nil {
		return nil, errors.Join(fmt.Errorf("create the River client: %w", err), b.close())
	}
	return b, nil
}

// SQLiteDSNs are the "sqlite" database/sql data source names with which the store opens the
// SQLite file at the absolute path abs: its one writer's (WAL, transactions that begin IMMEDIATE)
// and its read-only readers'.
func SQLiteDSNs(abs string) (writer, reader string) {
	// secure_delete zeroes what the writer deletes or overwrites, so that erased data does not
	// linger in the file's free space. temp_store=MEMORY keeps the writer's temporary files in
	// memory, among them the sub-journal, where SQLite copies each page a savepoint changes
	// (groupCommit runs each transaction of a batch in one): past 64 KiB it would go to a file,
	// at two write(2) calls a page made while the batch holds the writer, and copies of pages,
	// personal data among them, would reach the disk outside the database. The writer checkpoints
	// the WAL every writerCheckpointFrames pages (see walCheckpointer).
	writer = abs + "?" + sqlitePragmas + "&_pragma=journal_mode(WAL)&_pragma=secure_delete(1)&_pragma=temp_store(MEMORY)" +
		"&_pragma=wal_autocheckpoint(" + strconv.Itoa(writerCheckpointFrames) + ")&_txlock=immediate"
	readURL := url.URL{Scheme: "file", Path: abs, RawQuery: "mode=ro&" + sqlitePragmas}
	return writer, readURL.String()
}

func (b *sqliteBackend) dialect() dialect { return sqliteDialect }
func (b *sqliteBackend) reader() querier  { return sqliteQuerier{db: b.read, keyReads: true} }
func (b *sqliteBackend) writer() querier  { return sqliteQuerier{db: b.write} }

// inTx runs fn in a transaction of the writer, committed with the others waiting (groupCommit).
func (b *sqliteBackend) inTx(ctx context.Context, fn func(querier, enqueueFunc) error) error {
	return b.group.run(ctx, func(tx *sql.Tx) error {
		return runWithJobs(ctx, b.river, tx, true, sqliteQuerier{db: tx}, fn)
	})
}

// withTx runs fn in a transaction of the writer, committed when fn returns nil.
func (b *sqliteBackend) withTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := b.write.BeginTx(ctx, nil) // BEGIN IMMEDIATE (_txlock)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	// After Commit this is a no-op; otherwise fn's error is the one that matters.
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// migrate applies the store's migrations in one IMMEDIATE transaction, which holds the database's
// write lock, then River's. River's take their own transactions, which the single writer
// connection cannot open while the first is running, so SQLite relies on one process opening a
// new database at a time: it is the single-node database.
func (b *sqliteBackend) migrate(ctx context.Context, apply func(context.Context, querier) error) error {
	if err := b.withTx(ctx, func(tx *sql.Tx) error { return apply(ctx, sqliteQuerier{db: tx}) }); err != nil {
		return err
	}
	return migrateRiver(ctx, riversqlite.New(b.write), b.logger)
}

func (b *sqliteBackend) newRiverClient(cfg *river.Config) (RiverClient, error) {
	client, err := river.NewClient(riversqlite.New(b.write), cfg)
	if err != nil {
		return nil, err
	}
	return client, nil
}

func (b *sqliteBackend) ping(ctx context.Context) error {
	if err := selectOne(ctx, b.writer()); err != nil {
		return fmt.Errorf("writer: %w", err)
	}
	if err := selectOne(ctx, b.reader()); err != nil {
		return fmt.Errorf("reader: %w", err)
	}
	return nil
}

// compactAfterErasure checkpoints the WAL into the file and truncates it, taking its turn with
// the background checkpoints; readers in the WAL keep it from completing.
func (b *sqliteBackend) compactAfterErasure(ctx context.Context) error {
	var busy, frames, checkpointed int
	err := b.checkpoints.exclusive(func() error {
		return b.write.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &frames, &checkpointed)
	})
	switch {
	case err != nil:
		return fmt.Errorf("checkpoint the WAL: %w", err)
	case busy != 0 && frames < 0:
		return errors.New("another connection was checkpointing the WAL or writing")
	case busy != 0:
		return fmt.Errorf("readers were active: %d of the WAL's %d pages checkpointed", checkpointed, frames)
	}
	return nil
}

func (b *sqliteBackend) close() error {
	// The writer goes last: closing the last connection checkpoints the WAL into the file.
	return errors.Join(b.checkpoints.close(), b.read.Close(), b.write.Close())
}
