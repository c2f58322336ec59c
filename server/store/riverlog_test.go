package store

import (
	"log/slog"
	"strings"
	"testing"
)

func TestQuietLowersRoutineMessages(t *testing.T) {
	t.Parallel()
	tests := []struct {
		level slog.Level
		want  string
	}{
		{slog.LevelDebug, ""},
		{slog.LevelInfo, ""},
		{slog.LevelWarn, "level=WARN"},
		{slog.LevelError, "level=ERROR"},
	}
	for _, tt := range tests {
		var b strings.Builder
		RiverLogger(slog.New(slog.NewTextHandler(&b, nil))).With("component", "river").Log(t.Context(), tt.level, "message")
		if tt.want == "" && b.Len() != 0 || tt.want != "" && !strings.Contains(b.String(), tt.want) {
			t.Errorf("%v at info: %q, want %q", tt.level, b.String(), tt.want)
		}
	}
	var b strings.Builder
	RiverLogger(slog.New(slog.NewTextHandler(&b, &slog.HandlerOptions{Level: slog.LevelDebug}))).Info("River client started")
	if !strings.Contains(b.String(), "level=DEBUG") {
		t.Errorf("at debug: %q", b.String())
	}
}
