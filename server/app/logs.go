package app

import (
	"context"
	"log/slog"
)

// quiet passes a handler's warnings and errors on as they are and lowers everything else to
// debug: the job queue's routine messages (started, elected leader, stopped) show only at
// KIRA_LOG_LEVEL=debug.
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
