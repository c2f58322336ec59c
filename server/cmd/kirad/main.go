// Command kirad serves the Kira Users & Verification API.
//
//	kirad                                  serve the API
//	kirad tenants create --name NAME [--json]  provision a tenant and print its credentials
//	kirad operators create --email EMAIL [--totp]  create a review console operator (password on stdin)
//	kirad operators token create --email EMAIL [--scope review:decide]  issue an operator API token
//
// Configuration comes from the environment (see server/config): KIRA_ADDR, KIRA_DATABASE_URL,
// KIRA_MODE, KIRA_ENCRYPTION_KEY, KIRA_API_KEY/KIRA_CLIENT_ID/KIRA_PASSWORD, KIRA_RATE_LIMIT,
// KIRA_EVENT_RETENTION, KIRA_METRICS_ADDR, KIRA_LOG_FORMAT, KIRA_LOG_LEVEL, KIRA_PROVIDER and the
// KIRA_PERSONA_* settings; tracing from the
// standard OTEL_EXPORTER_OTLP_* variables (see server/tracing).
//
// Serving checks the configuration, then takes its ports, then opens (and migrates) the
// database: a mistyped address or a busy port fails before anything else happens.
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
	"runtime/debug"
	"syscall"
	"time"

	"go.uber.org/zap/zapcore"

	"github.com/kiraapi/kira/server/app"
	"github.com/kiraapi/kira/server/auth"
	"github.com/kiraapi/kira/server/config"
	"github.com/kiraapi/kira/server/httpapi"
	"github.com/kiraapi/kira/server/kyc"
	"github.com/kiraapi/kira/server/persona"
	"github.com/kiraapi/kira/server/secret"
	"github.com/kiraapi/kira/server/store"
	"github.com/kiraapi/kira/server/tracing"
)

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr, nil); err != nil {
		fmt.Fprintln(os.Stderr, "kirad:", err)
		os.Exit(1)
	}
}

// gcPercent is kirad's garbage collection target when GOGC is unset: the heap may grow to five
// times what is live before a collection. At the Go default of 100 the collector took 8-10% of
// kirad's CPU under load; at 400, GET's share of the bare handler rose from 37% to 42-43%, and
// kirad's peak resident memory over the run from 50 to 72 MB (make load). GOGC and GOMEMLIMIT,
// when set, decide as usual.
const gcPercent = 400

// listeners is what serving has bound: the API's address, and the metrics' when
// KIRA_METRICS_ADDR is set (nil otherwise).
type listeners struct {
	api, metrics net.Addr
}

// run carries out one command. Serving lasts until ctx is done; onListen, when set, learns the
// bound addresses (tests bind 127.0.0.1:0).
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, onListen func(listeners)) error {
	cfg, err := config.FromEnv(getenv)
	if err != nil {
		return err
	}
	switch {
	case len(args) == 0:
		logs := newLogBuffer(stderr)
		defer logs.Stop()
		return serve(ctx, cfg, getenv, logs, stdout, onListen)
	case len(args) >= 2 && args[0] == "tenants" && args[1] == "create":
		return createTenant(ctx, cfg, newLogger(cfg, stderr), args[2:], stdout)
	case len(args) >= 1 && args[0] == "operators":
		return operatorsCommand(ctx, cfg, newLogger(cfg, stderr), args[1:], os.Stdin, stdout, stderr)
	default:
		return fmt.Errorf("unknown command %q (commands: none to serve, \"tenants create --name NAME [--json]\", \"operators create --email EMAIL [--totp]\", \"operators token create --email EMAIL\")", args)
	}
}

// newLogger logs to w in cfg's format, from cfg's level up. When w is a log buffer
// (newLogBuffer), records at level Warn and above are written out before the call that logs them
// returns.
func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	var h slog.Handler
	if cfg.LogFormat == config.LogText {
		h = slog.NewTextHandler(w, opts)
	} else {
		h = slog.NewJSONHandler(w, opts)
	}
	if b, ok := w.(*zapcore.BufferedWriteSyncer); ok {
		h = flushAtWarn{Handler: h, flush: b.Sync}
	}
	return slog.New(h)
}

// logFlushInterval is the longest a record of the serving process's log waits in its buffer.
// Gathering records makes a busy server write its log once per batch rather than once per
// request: the access log's write(2) calls were 5% of kirad's CPU under a GET load (make load).
const logFlushInterval = 100 * time.Millisecond

// newLogBuffer gathers the records written to w and writes them out every logFlushInterval, when
// 256 KiB are waiting, and on Sync and Stop. A record is never split between two writes.
func newLogBuffer(w io.Writer) *zapcore.BufferedWriteSyncer {
	// The struct hides w's Sync method (an *os.File's fsync): Sync flushes the buffer, no more.
	return &zapcore.BufferedWriteSyncer{WS: zapcore.AddSync(struct{ io.Writer }{w}), FlushInterval: logFlushInterval}
}

// flushAtWarn is a handler that flushes its buffered output after each record at level Warn and
// above, so that warnings and errors are seen when they happen.
type flushAtWarn struct {
	slog.Handler
	flush func() error
}

// Handle implements slog.Handler.
func (h flushAtWarn) Handle(ctx context.Context, r slog.Record) error {
	if err := h.Handler.Handle(ctx, r); err != nil || r.Level < slog.LevelWarn {
		return err
	}
	return h.flush()
}

// WithAttrs implements slog.Handler.
func (h flushAtWarn) WithAttrs(attrs []slog.Attr) slog.Handler {
	return flushAtWarn{Handler: h.Handler.WithAttrs(attrs), flush: h.flush}
}

// WithGroup implements slog.Handler.
func (h flushAtWarn) WithGroup(name string) slog.Handler {
	return flushAtWarn{Handler: h.Handler.WithGroup(name), flush: h.flush}
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
		if p, err := store.SQLitePath(cfg.DatabaseURL); err == nil {
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

func serve(ctx context.Context, cfg config.Config, getenv func(string) string, logs *zapcore.BufferedWriteSyncer, stdout io.Writer, onListen func(listeners)) error {
	logger := newLogger(cfg, logs)
	logger.Info("starting kirad", "config", cfg)
	apiLn, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on KIRA_ADDR: %w", err)
	}
	defer apiLn.Close()
	bound := listeners{api: apiLn.Addr()}
	var metricsLn net.Listener
	if cfg.MetricsAddr != "" {
		if metricsLn, err = net.Listen("tcp", cfg.MetricsAddr); err != nil {
			return fmt.Errorf("listen on KIRA_METRICS_ADDR: %w", err)
		}
		defer metricsLn.Close()
		bound.metrics = metricsLn.Addr()
	}

	tp, stopTracing, err := tracing.FromEnv(ctx, getenv)
	if err != nil {
		return err
	}
	defer func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := stopTracing(stopCtx); err != nil {
			logger.Warn("flush traces", "error", err)
		}
	}()
	if tracing.Enabled(getenv) {
		logger.Info("exporting traces over OTLP (OTEL_EXPORTER_OTLP_ENDPOINT)")
	}

	db, err := open(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer db.store.Close()

	var vendor *app.Persona
	delay := cfg.SandboxDelay
	if cfg.Provider == config.ProviderPersona {
		p := cfg.Persona
		vendor = &app.Persona{Client: &persona.Client{BaseURL: p.BaseURL, APIKey: p.APIKey}, TemplateKYC: p.TemplateKYC, TemplateKYB: p.TemplateKYB, WebhookSecrets: p.WebhookSecrets}
		delay = 0 // KIRA_SANDBOX_DELAY is the sandbox's
		logger.Info("Persona decides verifications; point its webhooks at "+cfg.PublicURL+"/vendor/persona/webhooks", "persona_base_url", p.BaseURL)
	}
	if cfg.Mode == config.Production {
		if vendor == nil {
			logger.Warn("no KYC/KYB vendor is configured (KIRA_PROVIDER=sandbox): the built-in sandbox provider decides verifications; set KIRA_PROVIDER=persona for real verification")
		}
		if metricsLn == nil {
			logger.Warn("GET /metrics is served on KIRA_ADDR, without credentials; set KIRA_METRICS_ADDR to serve it on a private address")
		}
	}
	svc, err := app.New(app.Options{
		Store:             db.store,
		Keyring:           db.keyring,
		Logger:            logger,
		Sandbox:           cfg.Mode == config.Sandbox,
		RateLimit:         httpapi.RateLimit{PerSecond: cfg.RateLimit, Burst: int(2 * cfg.RateLimit)},
		MaxAttempts:       cfg.MaxAttempts,
		Requirements:      cfg.Requirements,
		VerificationDelay: delay,
		Persona:           vendor,
		PublicURL:         cfg.PublicURL,
		EventRetention:    cfg.EventRetention,
		UserRetention:     kyc.Retention{Created: cfg.RetentionCreated, Rejected: cfg.RetentionRejected},
		CORSOrigins:       cfg.CORSOrigins,
		FrameAncestors:    cfg.FrameAncestors,
		MetricsElsewhere:  metricsLn != nil,
		TracerProvider:    tp,
	})
	if err != nil {
		return err
	}
	if err := provision(ctx, cfg, svc.Auth, "http://"+config.Reachable(bound.api.String()), stdout); err != nil {
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

	servers := []*http.Server{newServer(svc.Handler, logger)}
	lns := []net.Listener{httpapi.Listen(apiLn)}
	if metricsLn != nil {
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", svc.Metrics.Handler())
		servers = append(servers, newServer(mux, logger))
		lns = append(lns, metricsLn)
	}
	errc := make(chan error, len(servers))
	for i, srv := range servers {
		go func() { errc <- srv.Serve(lns[i]) }()
	}
	if bound.metrics != nil {
		logger.Info("listening", "addr", bound.api.String(), "metrics_addr", bound.metrics.String())
	} else {
		logger.Info("listening", "addr", bound.api.String())
	}
	// Whoever waits for "listening" sees it now. A log that cannot be written does not stop
	// serving (slog drops write errors too).
	_ = logs.Sync()
	if onListen != nil {
		onListen(bound)
	}

	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, srv := range servers {
		if err := srv.Shutdown(shutdownCtx); err != nil {
			return fmt.Errorf("shutdown: %w", err)
		}
	}
	for range servers {
		if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("serve: %w", err)
		}
	}
	logger.Info("stopped")
	return nil
}

// newServer serves h with the API's limits and timeouts.
func newServer(h http.Handler, logger *slog.Logger) *http.Server {
	srv := &http.Server{Handler: h, ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}
	httpapi.ConfigureServer(srv)
	return srv
}

// provision makes sure a tenant can call the API at once: the one configured in the environment,
// or, in sandbox mode, a development tenant whose credentials are printed on every start, with the
// API's baseURL for the kira command line.
func provision(ctx context.Context, cfg config.Config, a *auth.Service, baseURL string, stdout io.Writer) error {
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
  export KIRA_BASE_URL=%s
  export KIRA_API_KEY=%s
  export KIRA_CLIENT_ID=%s
  export KIRA_PASSWORD=%s
API reference: %s/docs
`, baseURL, creds.APIKey, creds.ClientID, creds.Password, baseURL)
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
