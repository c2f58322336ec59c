// Command kirad serves the Kira Users & Verification API.
//
// Configuration comes from the environment: KIRA_ADDR (default 127.0.0.1:8080),
// KIRA_DATABASE_URL (default: the embedded SQLite file kira.db) and KIRA_MODE (sandbox, the
// default, or production).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/kiraapi/kira/server/config"
	"github.com/kiraapi/kira/server/httpapi"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stderr, nil); err != nil {
		fmt.Fprintln(os.Stderr, "kirad:", err)
		os.Exit(1)
	}
}

// run serves until ctx is done. onListen, when set, learns the bound address (tests bind
// 127.0.0.1:0).
func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer, onListen func(net.Addr)) error {
	if len(args) > 0 {
		return fmt.Errorf("unknown command %q", args[0])
	}
	logger := slog.New(slog.NewJSONHandler(stderr, nil))
	cfg, err := config.FromEnv(getenv)
	if err != nil {
		return err
	}
	logger.Info("starting kirad", "config", cfg)

	handler, err := httpapi.New(httpapi.Options{Logger: logger})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	logger.Info("listening", "addr", ln.Addr().String())
	if onListen != nil {
		onListen(ln.Addr())
	}

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	logger.Info("stopped")
	return nil
}
