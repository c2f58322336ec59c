package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/kiraapi/kira/client/mock"
)

var mockCommand = &command{
	path: "mock", flags: "[--port N]",
	summary:  "Serve every operation of the API from the spec's examples, validating requests (no database).",
	noResult: true,
	setup: func(fs *flag.FlagSet) runFunc {
		port := fs.Int("port", 4010, "the `port` to listen on, on 127.0.0.1")
		return func(ctx context.Context, k *cli, _ []string) error {
			if *port < 0 || *port > 65535 {
				return &usageError{msg: "--port must be between 0 and 65535"}
			}
			s, err := mock.New()
			if err != nil {
				return err
			}
			ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(*port)))
			if err != nil {
				return fmt.Errorf("listen: %w", err)
			}
			srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
			fmt.Fprintf(k.stderr, "Mock Kira API on http://%s: %d operations, answered from the spec's examples. Press Ctrl-C to stop.\n", ln.Addr(), s.Operations())
			done := make(chan error, 1)
			go func() { done <- srv.Serve(ln) }()
			select {
			case err := <-done:
				return fmt.Errorf("serve: %w", err)
			case <-ctx.Done():
			}
			shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := srv.Shutdown(shutdownCtx); err != nil {
				return fmt.Errorf("shutdown: %w", err)
			}
			if err := <-done; !errors.Is(err, http.ErrServerClosed) {
				return fmt.Errorf("serve: %w", err)
			}
			return nil
		}
	},
}
