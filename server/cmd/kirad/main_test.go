package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zapcore"

	"github.com/kiraapi/kira/server/config"
)

func TestRunServesAndStops(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env := map[string]string{"KIRA_ADDR": "127.0.0.1:0", "KIRA_DATABASE_URL": "sqlite:" + filepath.Join(dir, "kira.db")}
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, nil, func(k string) string { return env[k] }, io.Discard, io.Discard, func(l listeners) { addrc <- l.api })
	}()
	var addr net.Addr
	select {
	case addr = <-addrc:
	case err := <-done:
		t.Fatalf("run: %v", err)
	}
	resp, err := http.Get("http://" + addr.String() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /healthz = %d", resp.StatusCode)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run returned %v after shutdown", err)
	}
}

func TestRunRejectsBadConfig(t *testing.T) {
	t.Parallel()
	env := map[string]string{"KIRA_MODE": "staging"}
	err := run(context.Background(), nil, func(k string) string { return env[k] }, io.Discard, io.Discard, nil)
	if err == nil {
		t.Fatal("run accepted KIRA_MODE=staging")
	}
}

func TestTenantsCreate(t *testing.T) {
	t.Parallel()
	env := map[string]string{"KIRA_DATABASE_URL": "sqlite:" + filepath.Join(t.TempDir(), "kira.db")}
	getenv := func(k string) string { return env[k] }
	var out strings.Builder
	if err := run(context.Background(), []string{"tenants", "create", "--name", "Acme", "--json"}, getenv, &out, io.Discard, nil); err != nil {
		t.Fatal(err)
	}
	var creds struct {
		TenantID string `json:"tenant_id"`
		Name     string `json:"name"`
		APIKey   string `json:"api_key"`
		ClientID string `json:"client_id"`
		Password string `json:"password"`
	}
	if err := json.Unmarshal([]byte(out.String()), &creds); err != nil {
		t.Fatalf("output %q: %v", out.String(), err)
	}
	if creds.Name != "Acme" || !strings.HasPrefix(creds.APIKey, "kira_sk_") || creds.ClientID == "" || len(creds.Password) < 20 || creds.TenantID == "" {
		t.Errorf("credentials: %+v", creds)
	}
	// The printed credentials work against a server on the same database.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	env["KIRA_ADDR"] = "127.0.0.1:0"
	addrc := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() { done <- run(ctx, nil, getenv, io.Discard, io.Discard, func(l listeners) { addrc <- l.api }) }()
	addr := <-addrc
	body := strings.NewReader(`{"client_id":"` + creds.ClientID + `","password":"` + creds.Password + `"}`)
	req, _ := http.NewRequest("POST", "http://"+addr.String()+"/auth", body)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-api-key", creds.APIKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("login with the printed credentials: %d", resp.StatusCode)
	}
	cancel()
	if err := <-done; err != nil {
		t.Error(err)
	}
	if err := run(context.Background(), []string{"tenants", "create"}, getenv, io.Discard, io.Discard, nil); err == nil {
		t.Error("tenants create without --name succeeded")
	}
}

// TestLogBufferWritesWarningsAtOnce: the serving log gathers records, but a warning, with the
// records before it, is written before the call that logs it returns; the rest on Sync.
func TestLogBufferWritesWarningsAtOnce(t *testing.T) {
	t.Parallel()
	for _, format := range []string{config.LogJSON, config.LogText} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			var out strings.Builder
			// An interval longer than the test: only a warning or Sync writes.
			logs := &zapcore.BufferedWriteSyncer{WS: zapcore.AddSync(&out), FlushInterval: time.Hour}
			defer logs.Stop()
			logger := newLogger(config.Config{LogFormat: format, LogLevel: slog.LevelInfo}, logs).With("component", "test")

			logger.Info("first")
			if out.Len() != 0 {
				t.Fatalf("an info record was written at once: %q", out.String())
			}
			logger.WithGroup("g").Warn("second", "k", "v")
			if got := out.String(); !strings.Contains(got, "first") || !strings.Contains(got, "second") {
				t.Fatalf("after a warning the log holds %q, want both records", got)
			}
			logger.Info("third")
			if strings.Contains(out.String(), "third") {
				t.Fatal("an info record after the warning was written at once")
			}
			if err := logs.Sync(); err != nil {
				t.Fatal(err)
			}
			if got := out.String(); strings.Count(got, "\n") != 3 || !strings.Contains(got, "third") {
				t.Fatalf("after Sync the log holds %q, want three records", got)
			}
		})
	}
}
