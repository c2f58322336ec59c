package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Job states that QueueStats reports.
const (
	JobAvailable = "available"
	JobScheduled = "scheduled"
	JobRetryable = "retryable"
	JobRunning   = "running"
)

// QueueStat is the number of a kind of River job in one state.
type QueueStat struct {
	Kind, State string
	Jobs        int
	// OldestAge is, for available jobs, how long the one due longest has waited (by the database's
	// clock).
	OldestAge time.Duration
}

// queueStatsSQL counts the jobs waiting or running by kind and state, with the seconds since the
// oldest one was due: SQLite's, then PostgreSQL's.
const (
	queueStatsSQLite = `SELECT kind, state, COUNT(*), COALESCE((julianday('now') - julianday(MIN(scheduled_at))) * 86400.0, 0)
        FROM river_job WHERE state IN ('available', 'scheduled', 'retryable', 'running') GROUP BY kind, state ORDER BY kind, state`
	queueStatsPostgres = `SELECT kind, state::text, COUNT(*), COALESCE(EXTRACT(EPOCH FROM now() - MIN(scheduled_at)), 0)::float8
        FROM river_job WHERE state IN ('available', 'scheduled', 'retryable', 'running') GROUP BY kind, state ORDER BY kind, state`
)

// QueueStats reports the jobs waiting or running, by kind and state.
func (s *Store) QueueStats(ctx context.Context) ([]QueueStat, error) {
	query := queueStatsSQLite
	if _, ok := s.db.(*postgresBackend); ok {
		query = queueStatsPostgres
	}
	r, err := s.db.reader().query(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("queue stats: %w", err)
	}
	defer r.Close()
	var out []QueueStat
	for r.Next() {
		var q QueueStat
		var age float64
		if err := r.Scan(&q.Kind, &q.State, &q.Jobs, &age); err != nil {
			return nil, fmt.Errorf("queue stats: %w", err)
		}
		if q.State == JobAvailable && age > 0 {
			q.OldestAge = time.Duration(age * float64(time.Second))
		}
		out = append(out, q)
	}
	if err := r.Err(); err != nil {
		return nil, fmt.Errorf("queue stats: %w", err)
	}
	return out, nil
}

// PoolStat is the use of one pool of database connections.
type PoolStat struct {
	// Pool names it: "postgres", or "sqlite_writer" and "sqlite_reader".
	Pool string
	// InUse and Idle are the open connections; Max the most the pool opens.
	InUse, Idle, Max int
	// Waits is how many times a query has had to wait for a free connection.
	Waits int64
}

// PoolStats reports the use of the store's connection pools.
func (s *Store) PoolStats() []PoolStat {
	switch b := s.db.(type) {
	case *postgresBackend:
		st := b.pool.Stat()
		return []PoolStat{{Pool: "postgres", InUse: int(st.AcquiredConns()), Idle: int(st.IdleConns()), Max: int(st.MaxConns()), Waits: st.EmptyAcquireCount()}}
	case *sqliteBackend:
		return []PoolStat{sqlPoolStat("sqlite_writer", b.write.Stats()), sqlPoolStat("sqlite_reader", b.read.Stats())}
	}
	return nil
}

func sqlPoolStat(name string, st sql.DBStats) PoolStat {
	return PoolStat{Pool: name, InUse: st.InUse, Idle: st.Idle, Max: st.MaxOpenConnections, Waits: st.WaitCount}
}
