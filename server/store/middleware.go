package store

import (
	"fmt"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivertype"
)

// UseJobMiddleware makes the jobs the store queues in its transactions go through River
// middleware, such as tracing.JobMiddleware, which records the queuing span. It replaces the
// middleware of an earlier call. Call it while nothing else uses the store (before serving).
func (s *Store) UseJobMiddleware(mw ...rivertype.Middleware) error {
	var err error
	switch b := s.db.(type) {
	case *postgresBackend:
		b.river, err = river.NewClient(riverpgxv5.New(b.pool), &river.Config{Logger: b.logger, Middleware: mw})
	case *sqliteBackend:
		b.river, err = river.NewClient(riversqlite.New(b.write), &river.Config{Logger: b.logger, Middleware: mw})
	}
	if err != nil {
		return fmt.Errorf("store: job middleware: %w", err)
	}
	return nil
}
