package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStartRefusesEarly checks that a mistyped address and a busy port fail before the database
// is created or migrated and before any credentials are printed.
func TestStartRefusesEarly(t *testing.T) {
	t.Parallel()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { busy.Close() })
	tests := []struct {
		name    string
		env     map[string]string
		wantErr string
	}{
		{"a port without a host", map[string]string{"KIRA_ADDR": "18108"}, "KIRA_ADDR must be host:port"},
		{"a busy port", map[string]string{"KIRA_ADDR": busy.Addr().String()}, "listen on KIRA_ADDR"},
		{"a busy metrics port", map[string]string{"KIRA_ADDR": "127.0.0.1:0", "KIRA_METRICS_ADDR": busy.Addr().String()}, "listen on KIRA_METRICS_ADDR"},
		{"persona without its key and template", map[string]string{"KIRA_ADDR": "127.0.0.1:0", "KIRA_MODE": "production", "KIRA_ENCRYPTION_KEY": "k",
			"KIRA_PROVIDER": "persona", "KIRA_PERSONA_WEBHOOK_SECRET": "wbhsec_x"}, "KIRA_PROVIDER=persona needs KIRA_PERSONA_API_KEY, KIRA_PERSONA_TEMPLATE_ID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			tt.env["KIRA_DATABASE_URL"] = "sqlite:" + filepath.Join(dir, "kira.db")
			var stdout strings.Builder
			err := run(t.Context(), nil, func(k string) string { return tt.env[k] }, &stdout, io.Discard, nil)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
			if stdout.Len() != 0 {
				t.Errorf("printed %q before failing", stdout.String())
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("created %v before failing", entries)
			}
		})
	}
}

// TestStartPrintsBaseURLAndServesMetricsApart starts the sandbox with KIRA_METRICS_ADDR: the
// printed credentials come with the API's KIRA_BASE_URL, /metrics answers on the metrics address
// and not on the API's.
func TestStartPrintsBaseURLAndServesMetricsApart(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		"KIRA_ADDR": "127.0.0.1:0", "KIRA_METRICS_ADDR": "127.0.0.1:0",
		"KIRA_DATABASE_URL": "sqlite:" + filepath.Join(t.TempDir(), "kira.db"), "KIRA_LOG_FORMAT": "text",
	}
	ctx, cancel := context.WithCancel(context.Background())
	bound := make(chan listeners, 1)
	done := make(chan error, 1)
	var stdout, stderr strings.Builder
	go func() {
		done <- run(ctx, nil, func(k string) string { return env[k] }, &stdout, &stderr, func(l listeners) { bound <- l })
	}()
	var l listeners
	select {
	case l = <-bound:
	case err := <-done:
		t.Fatalf("run: %v", err)
	}
	for _, want := range []string{"export KIRA_BASE_URL=http://" + l.api.String() + "\n", "API reference: http://" + l.api.String() + "/docs\n"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("stdout %q lacks %q", stdout.String(), want)
		}
	}
	get := func(addr net.Addr) int {
		resp, err := http.Get("http://" + addr.String() + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := get(l.metrics); got != http.StatusOK {
		t.Errorf("GET /metrics on KIRA_METRICS_ADDR = %d", got)
	}
	if got := get(l.api); got != http.StatusNotFound {
		t.Errorf("GET /metrics on KIRA_ADDR = %d, want 404", got)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run returned %v after shutdown", err)
	}
	logs := stderr.String()
	if !strings.Contains(logs, "level=INFO msg=\"starting kirad\"") || !strings.Contains(logs, "config.sandbox_delay=2s") {
		t.Errorf("text start line: %s", logs)
	}
	if strings.Contains(logs, "River client started") {
		t.Errorf("the job queue's routine messages show at info: %s", logs)
	}
}
