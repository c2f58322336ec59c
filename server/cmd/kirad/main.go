// Command kirad serves the Kira Users & Verification API.
//
//	kirad                                  serve the API
//	kirad tenants create --name NAME [--json]  provision a tenant and print its credentials
//
// Configuration comes from the environment (see server/config): KIRA_ADDR, KIRA_DATABASE_URL,
// KIRA_MODE, KIRA_ENCRYPTION_KEY, KIRA_API_KEY/KIRA_CLIENT_ID/KIRA_PASSWORD, KIRA_RATE_LIMIT,
// KIRA_EVENT_RETENTION.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/kiraapi/kira/server/app"
	"github.com/kiraapi/kira/server/auth"
	"github.com/kiraapi/kira/server/config"
	"github.com/kiraapi/kira/server/httpapi"
	"github.com/kiraapi/kira/server/kyc"
	"github.com/kiraapi/kira/server/secret"
	"github.com/kiraapi/kira/server/store"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr, nil); err != nil {
		fmt.Fprintln(os.Stderr, "kirad:", err)
		os.Exit(1)
	}
}

// run carries out one command. Serving lasts until ctx is done; onListen, when set, learns the
// bound address (tests bind 127.0.0.1:0).
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, onListen func(net.Addr)) error {
	logger := slog.New(slog.NewJSONHandler(stderr, nil))
	cfg, err := config.FromEnv(getenv)
	if err != nil {
		return err
	}
	switch {
	case len(args) == 0:
		return serve(ctx, cfg, logger, stdout, onListen)
	case len(args) >= 2 && args[0] == "tenants" && args[1] == "create":
		return createTenant(ctx, cfg, logger, args[2:], stdout)
	default:
		return fmt.Errorf("unknown command %q (commands: none to serve, \"tenants create --name NAME [--json]\")", args)
	}
}

// database is the opened store and the keys that protect it.
type database struct {
	store   *store.Store
	keyring *secret.Keyring
}

func open(ctx context.Context, cfg config.Config, logger *slog.Logger) (*database, error) {
	keyring, err := loadKeyring(cfg, logger)
	if err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, store.Options{URL: cfg.DatabaseURL, Keyring: keyring, Logger: logger, MaxConns: cfg.DBMaxConns})
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	return &database{store: st, keyring: keyring}, nil
}

// loadKeyring takes the master key from KIRA_ENCRYPTION_KEY or, in sandbox mode, from kira.key
// beside the database, creating it on first start.
func loadKeyring(cfg config.Config, logger *slog.Logger) (*secret.Keyring, error) {
	var key []byte
	var err error
	switch {
	case cfg.EncryptionKey != "":
		key, err = secret.ParseKey(cfg.EncryptionKey)
		if err != nil {
			return nil, fmt.Errorf("KIRA_ENCRYPTION_KEY: %w", err)
		}
	case cfg.Mode == config.Sandbox:
		dir := "."
		if p := cfg.SQLitePath(); p != "" {
			dir = filepath.Dir(p)
		}
		path := filepath.Join(dir, "kira.key")
		var created bool
		key, created, err = secret.LoadOrCreateKeyFile(path)
		if err != nil {
			return nil, err
		}
		if created {
			logger.Warn("generated a sandbox encryption key; set KIRA_ENCRYPTION_KEY in production", "path", path)
		}
	default:
		return nil, errors.New("KIRA_ENCRYPTION_KEY is required in production mode")
	}
	return secret.NewKeyring(key)
}

func serve(ctx context.Context, cfg config.Config, logger *slog.Logger, stdout io.Writer, onListen func(net.Addr)) error {
	logger.Info("starting kirad", "config", cfg)
	db, err := open(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer db.store.Close()

	if cfg.Mode == config.Production {
		logger.Warn("no KYC/KYB vendor is configured: the built-in sandbox provider decides verifications")
	}
	svc, err := app.New(app.Options{
		Store:             db.store,
		Keyring:           db.keyring,
		Logger:            logger,
		Sandbox:           cfg.Mode == config.Sandbox,
		RateLimit:         httpapi.RateLimit{PerSecond: cfg.RateLimit, Burst: int(2 * cfg.RateLimit)},
		MaxAttempts:       cfg.MaxAttempts,
		VerificationDelay: cfg.SandboxDelay,
		PublicURL:         cfg.PublicURL,
		EventRetention:    cfg.EventRetention,
		UserRetention:     kyc.Retention{Created: cfg.RetentionCreated, Rejected: cfg.RetentionRejected},
		CORSOrigins:       cfg.CORSOrigins,
		FrameAncestors:    cfg.FrameAncestors,
	})
	if err != nil {
		return err
	}
	if err := provision(ctx, cfg, svc.Auth, stdout); err != nil {
		return err
	}
	if err := svc.Start(ctx); err != nil {
		return err
	}
	defer func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := svc.Stop(stopCtx); err != nil {
			logger.Warn("stop background work", "error", err)
		}
	}()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{
		Handler:  svc.Handler,
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	httpapi.ConfigureServer(srv)
	logger.Info("listening", "addr", ln.Addr().String())
	if onListen != nil {
		onListen(ln.Addr())
	}

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(httpapi.Listen(ln)) }()
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

// provision makes sure a tenant can call the API at once: the one configured in the environment,
// or, in sandbox mode, a development tenant whose credentials are printed on every start.
func provision(ctx context.Context, cfg config.Config, a *auth.Service, stdout io.Writer) error {
	if cfg.APIKey != "" {
		_, err := a.Provision(ctx, "default", auth.Credentials{APIKey: cfg.APIKey, ClientID: cfg.ClientID, Password: cfg.Password})
		return err
	}
	if cfg.Mode != config.Sandbox {
		return nil
	}
	creds := a.DevCredentials()
	if _, err := a.Provision(ctx, "sandbox", creds); err != nil {
		return err
	}
	fmt.Fprintf(stdout, `Sandbox tenant (sandbox mode only; set KIRA_API_KEY, KIRA_CLIENT_ID and KIRA_PASSWORD to use your own):
  export KIRA_API_KEY=%s
  export KIRA_CLIENT_ID=%s
  export KIRA_PASSWORD=%s
`, creds.APIKey, creds.ClientID, creds.Password)
	return nil
}

func createTenant(ctx context.Context, cfg config.Config, logger *slog.Logger, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("tenants create", flag.ContinueOnError)
	name := fs.String("name", "", "the tenant's name (required)")
	asJSON := fs.Bool("json", false, "print the credentials as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *name == "" {
		return errors.New("tenants create: --name is required")
	}
	db, err := open(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer db.store.Close()
	t, creds, err := auth.New(db.store, db.keyring).CreateTenant(ctx, *name)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(map[string]string{
			"tenant_id": t.ID, "name": t.Name, "api_key": creds.APIKey, "client_id": creds.ClientID, "password": creds.Password,
		})
	}
	_, err = fmt.Fprintf(stdout, "Tenant %s (%s). The password is shown only now.\n  KIRA_API_KEY=%s\n  KIRA_CLIENT_ID=%s\n  KIRA_PASSWORD=%s\n",
		t.Name, t.ID, creds.APIKey, creds.ClientID, creds.Password)
	return err
}
