package store

import (
	"context"
	"log/slog"
)

// RiverLogger is logger for River, the job queue: its warnings and errors pass as they are and
// everything else is lowered to debug, so that its routine messages (migrations applied, client
// started, leader elected, stopped) show only at KIRA_LOG_LEVEL=debug.
func RiverLogger(logger *slog.Logger) *slog.Logger {
	return slog.New(quiet{logger.Handler()})
}

// quiet is the handler of RiverLogger.
type quiet struct{ next slog.Handler }

func (q quiet) level(l slog.Level) slog.Level {
	if l < slog.LevelWarn {
		return slog.LevelDebug
	}
	return l
}

func (q quiet) Enabled(ctx context.Context, l slog.Level) bool {
	return q.next.Enabled(ctx, q.level(l))
}

func (q quiet) Handle(ctx context.Context, r slog.Record) error {
	r.Level = q.level(r.Level)
	return q.next.Handle(ctx, r)
}

func (q quiet) WithAttrs(attrs []slog.Attr) slog.Handler { return quiet{q.next.WithAttrs(attrs)} }
func (q quiet) WithGroup(name string) slog.Handler       { return quiet{q.next.WithGroup(name)} }
