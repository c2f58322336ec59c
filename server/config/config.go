// Package config reads the service's configuration from the environment.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kiraapi/kira/server/kyc"
)

// Mode selects the service's behaviour: sandbox (the default) makes life easy for integrators;
// production refuses unsafe settings.
type Mode string

// The modes.
const (
	Sandbox    Mode = "sandbox"
	Production Mode = "production"
)

// Config is the service's configuration.
type Config struct {
	// Addr is the address to listen on (KIRA_ADDR, default 127.0.0.1:8080).
	Addr string
	// DatabaseURL selects the database (KIRA_DATABASE_URL): a postgres:// URL, or empty for the
	// embedded SQLite file kira.db in the working directory.
	DatabaseURL string
	// Mode is sandbox or production (KIRA_MODE, default sandbox).
	Mode Mode
	// EncryptionKey is the base64 or hex master key (KIRA_ENCRYPTION_KEY). Production requires it;
	// sandbox mode keeps a generated one in kira.key beside the database.
	EncryptionKey string
	// APIKey, ClientID and Password (KIRA_API_KEY, KIRA_CLIENT_ID, KIRA_PASSWORD), when all set,
	// are the credentials of a tenant provisioned at start.
	APIKey, ClientID, Password string
	// RateLimit is the requests per second allowed per API key (KIRA_RATE_LIMIT, default 50; 0
	// disables the limit). Bursts of twice as many are allowed.
	RateLimit float64
	// SandboxDelay is how long the sandbox provider takes to decide (KIRA_SANDBOX_DELAY, a Go
	// duration, default 2s, so that VERIFYING can be observed).
	SandboxDelay time.Duration
	// MaxAttempts is how many verification attempts a user gets (KIRA_MAX_VERIFICATION_ATTEMPTS,
	// default 3).
	MaxAttempts int
	// Requirements are the rules that decide when automatic verification starts
	// (KIRA_REQUIREMENTS): seed, the default (the seed's lists), or kira (Kira's fuller lists).
	Requirements kyc.RequirementSet
	// PublicURL is the base of the links this server hands out, such as hosted verification pages
	// (KIRA_PUBLIC_URL, default http://ADDR).
	PublicURL string
	// EventRetention is how long events, and their webhook deliveries, are kept
	// (KIRA_EVENT_RETENTION, a Go duration, default 720h: 30 days).
	EventRetention time.Duration
	// RetentionCreated and RetentionRejected are how long a user may stay untouched CREATED, or
	// REJECTED, before its personal data is erased (KIRA_RETENTION_CREATED and
	// KIRA_RETENTION_REJECTED, Go durations; 0 keeps such users). Off by default in sandbox mode; in
	// production the defaults are 2160h (90 days) and 8760h (365 days).
	RetentionCreated  time.Duration
	RetentionRejected time.Duration
	// CORSOrigins are the browser origins (scheme://host[:port]) allowed to call the API
	// (KIRA_CORS_ORIGINS, comma-separated; none by default, and then no CORS header is sent).
	CORSOrigins []string
	// FrameAncestors are the origins besides the server's own that may show the hosted pages in a
	// frame (KIRA_FRAME_ANCESTORS, comma-separated; none by default).
	FrameAncestors []string
	// DBMaxConns is the size of the database connection pool (KIRA_DB_MAX_CONNS, 2 to 1000; 0,
	// the default, means 16 for PostgreSQL unless the URL sets pool_max_conns, and 4 readers
	// beside the one writer for SQLite).
	DBMaxConns int
	// MetricsAddr, when set, is a separate host:port that serves GET /metrics
	// (KIRA_METRICS_ADDR); unset, /metrics is served on Addr.
	MetricsAddr string
	// LogFormat is json or text (KIRA_LOG_FORMAT, default json).
	LogFormat string
	// LogLevel is the least severe level logged (KIRA_LOG_LEVEL: debug, info, warn or error;
	// default info).
	LogLevel slog.Level
	// Provider decides verifications (KIRA_PROVIDER): sandbox (the default, deterministic by the
	// SSN or EIN digits) or persona. Production mode may run the sandbox provider, for staging, and
	// says so at start.
	Provider string
	// Persona configures the persona provider; all of it but its base URL and KYB template is
	// required then.
	Persona Persona
}

// The providers.
const (
	ProviderSandbox = "sandbox"
	ProviderPersona = "persona"
)

// Persona is the configuration of the Persona provider.
type Persona struct {
	// APIKey is Persona's server API key (KIRA_PERSONA_API_KEY).
	APIKey string
	// WebhookSecrets verify Persona's webhooks (KIRA_PERSONA_WEBHOOK_SECRET, comma-separated: the
	// new and the old secret while Persona rotates it).
	WebhookSecrets []string
	// TemplateKYC is the inquiry template of individuals (KIRA_PERSONA_TEMPLATE_ID, itmpl_...);
	// TemplateKYB that of businesses (KIRA_PERSONA_KYB_TEMPLATE_ID, default TemplateKYC).
	TemplateKYC, TemplateKYB string
	// BaseURL is Persona's API (KIRA_PERSONA_BASE_URL, default https://api.withpersona.com).
	BaseURL string
}

// The production defaults of RetentionCreated and RetentionRejected.
const (
	DefaultRetentionCreated  = 90 * 24 * time.Hour
	DefaultRetentionRejected = 365 * 24 * time.Hour
)

// The log formats.
const (
	LogJSON = "json"
	LogText = "text"
)

// FromEnv reads the configuration through getenv (os.Getenv in production, a map in tests).
func FromEnv(getenv func(string) string) (Config, error) {
	c := Config{
		Addr:        getenv("KIRA_ADDR"),
		DatabaseURL: getenv("KIRA_DATABASE_URL"),
		Mode:        Mode(strings.ToLower(getenv("KIRA_MODE"))),

		EncryptionKey: getenv("KIRA_ENCRYPTION_KEY"),
		APIKey:        getenv("KIRA_API_KEY"),
		ClientID:      getenv("KIRA_CLIENT_ID"),
		Password:      getenv("KIRA_PASSWORD"),
		RateLimit:     50,
		SandboxDelay:  2 * time.Second,
		MaxAttempts:   3,
		Requirements:  kyc.SeedRequirements,
		PublicURL:     strings.TrimRight(getenv("KIRA_PUBLIC_URL"), "/"),

		EventRetention: 720 * time.Hour,
		MetricsAddr:    getenv("KIRA_METRICS_ADDR"),
		LogFormat:      strings.ToLower(getenv("KIRA_LOG_FORMAT")),
	}
	if c.Addr == "" {
		c.Addr = "127.0.0.1:8080"
	}
	if c.Mode == "" {
		c.Mode = Sandbox
	}
	if c.LogFormat == "" {
		c.LogFormat = LogJSON
	}
	var errs []error
	if err := checkAddr(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("KIRA_ADDR %w", err))
	}
	if c.MetricsAddr != "" {
		if err := checkAddr(c.MetricsAddr); err != nil {
			errs = append(errs, fmt.Errorf("KIRA_METRICS_ADDR %w", err))
		}
	}
	if c.LogFormat != LogJSON && c.LogFormat != LogText {
		errs = append(errs, errors.New("KIRA_LOG_FORMAT must be json or text"))
	}
	if v := getenv("KIRA_LOG_LEVEL"); v != "" {
		if err := c.LogLevel.UnmarshalText([]byte(v)); err != nil {
			errs = append(errs, errors.New("KIRA_LOG_LEVEL must be debug, info, warn or error"))
		}
	}
	if c.Mode != Sandbox && c.Mode != Production {
		errs = append(errs, errors.New("KIRA_MODE must be sandbox or production"))
	}
	if c.DatabaseURL != "" {
		u, err := url.Parse(c.DatabaseURL)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql" && u.Scheme != "sqlite" && u.Scheme != "file") {
			errs = append(errs, errors.New("KIRA_DATABASE_URL must be a postgres:// URL or a sqlite file path (sqlite:PATH)"))
		}
	}
	if c.Mode == Production && c.EncryptionKey == "" {
		errs = append(errs, errors.New("KIRA_ENCRYPTION_KEY is required in production mode"))
	}
	if set := countSet(c.APIKey, c.ClientID, c.Password); set != 0 && set != 3 {
		errs = append(errs, errors.New("set all of KIRA_API_KEY, KIRA_CLIENT_ID and KIRA_PASSWORD, or none"))
	}
	if v := getenv("KIRA_RATE_LIMIT"); v != "" {
		r, err := strconv.ParseFloat(v, 64)
		if err != nil || r < 0 || math.IsInf(r, 0) || math.IsNaN(r) {
			errs = append(errs, errors.New("KIRA_RATE_LIMIT must be a number of requests per second, 0 to disable"))
		}
		c.RateLimit = r
	}
	if v := getenv("KIRA_SANDBOX_DELAY"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			errs = append(errs, errors.New("KIRA_SANDBOX_DELAY must be a duration such as 2s or 0"))
		}
		c.SandboxDelay = d
	}
	if v := getenv("KIRA_MAX_VERIFICATION_ATTEMPTS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			errs = append(errs, errors.New("KIRA_MAX_VERIFICATION_ATTEMPTS must be a number from 1 to 100"))
		}
		c.MaxAttempts = n
	}
	if v := getenv("KIRA_REQUIREMENTS"); v != "" {
		set, err := kyc.ParseVerificationRules(strings.ToLower(v))
		if err != nil {
			errs = append(errs, fmt.Errorf("KIRA_REQUIREMENTS must be one of %v", kyc.VerificationRules))
		}
		c.Requirements = set
	}
	if c.Mode == Production {
		c.RetentionCreated, c.RetentionRejected = DefaultRetentionCreated, DefaultRetentionRejected
	}
	for _, r := range []struct {
		name string
		dst  *time.Duration
	}{{"KIRA_RETENTION_CREATED", &c.RetentionCreated}, {"KIRA_RETENTION_REJECTED", &c.RetentionRejected}} {
		if v := getenv(r.name); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil || (d != 0 && d < time.Hour) {
				errs = append(errs, fmt.Errorf("%s must be 0 (keep) or a duration of at least 1h, such as 2160h", r.name))
			}
			*r.dst = d
		}
	}
	if v := getenv("KIRA_EVENT_RETENTION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Hour {
			errs = append(errs, errors.New("KIRA_EVENT_RETENTION must be a duration of at least 1h, such as 720h"))
		}
		c.EventRetention = d
	}
	for _, o := range []struct {
		name string
		dst  *[]string
	}{{"KIRA_CORS_ORIGINS", &c.CORSOrigins}, {"KIRA_FRAME_ANCESTORS", &c.FrameAncestors}} {
		list, err := origins(o.name, getenv(o.name))
		errs = append(errs, err)
		*o.dst = list
	}
	if v := getenv("KIRA_DB_MAX_CONNS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 2 || n > 1000 {
			errs = append(errs, errors.New("KIRA_DB_MAX_CONNS must be a number from 2 to 1000"))
		}
		c.DBMaxConns = n
	}
	c.Provider, c.Persona = provider(getenv, &errs)
	if c.PublicURL == "" {
		c.PublicURL = "http://" + Reachable(c.Addr)
	} else if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, errors.New("KIRA_PUBLIC_URL must be an absolute http(s) URL"))
	}
	if err := errors.Join(errs...); err != nil {
		return Config{}, fmt.Errorf("configuration: %w", err)
	}
	return c, nil
}

// provider reads KIRA_PROVIDER and, for persona, its settings, adding to errs one error naming
// every missing one.
func provider(getenv func(string) string, errs *[]error) (string, Persona) {
	name := strings.ToLower(getenv("KIRA_PROVIDER"))
	switch name {
	case "":
		return ProviderSandbox, Persona{}
	case ProviderSandbox:
		return name, Persona{}
	case ProviderPersona:
	default:
		*errs = append(*errs, errors.New("KIRA_PROVIDER must be sandbox or persona"))
		return name, Persona{}
	}
	p := Persona{
		APIKey:      getenv("KIRA_PERSONA_API_KEY"),
		TemplateKYC: getenv("KIRA_PERSONA_TEMPLATE_ID"),
		TemplateKYB: getenv("KIRA_PERSONA_KYB_TEMPLATE_ID"),
		BaseURL:     strings.TrimRight(getenv("KIRA_PERSONA_BASE_URL"), "/"),
	}
	for s := range strings.SplitSeq(getenv("KIRA_PERSONA_WEBHOOK_SECRET"), ",") {
		if s = strings.TrimSpace(s); s != "" {
			p.WebhookSecrets = append(p.WebhookSecrets, s)
		}
	}
	var missing []string
	for _, v := range []struct {
		name string
		set  bool
	}{{"KIRA_PERSONA_API_KEY", p.APIKey != ""}, {"KIRA_PERSONA_WEBHOOK_SECRET", len(p.WebhookSecrets) > 0}, {"KIRA_PERSONA_TEMPLATE_ID", p.TemplateKYC != ""}} {
		if !v.set {
			missing = append(missing, v.name)
		}
	}
	if len(missing) > 0 {
		*errs = append(*errs, fmt.Errorf("KIRA_PROVIDER=persona needs %s", strings.Join(missing, ", ")))
	}
	if p.TemplateKYB == "" {
		p.TemplateKYB = p.TemplateKYC
	}
	if p.BaseURL == "" {
		p.BaseURL = "https://api.withpersona.com"
	} else if u, err := url.Parse(p.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		*errs = append(*errs, errors.New("KIRA_PERSONA_BASE_URL must be an absolute http(s) URL"))
	}
	return name, p
}

// checkAddr checks a listening address: host:port, where the host may be empty (every
// interface) and the port is a number. The error reads after the variable's name.
func checkAddr(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err == nil {
		_, err = strconv.ParseUint(port, 10, 16)
	}
	if err != nil || strings.ContainsAny(host, "/ ") {
		return fmt.Errorf("must be host:port, such as 127.0.0.1:8080 or :8080 for every interface (got %q)", addr)
	}
	return nil
}

// Reachable is addr with a host that a browser on this machine reaches: an address that listens on
// every interface (":8080", "0.0.0.0:8080", "[::]:8080") becomes 127.0.0.1:PORT.
func Reachable(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		return net.JoinHostPort("127.0.0.1", port)
	}
	return addr
}

// origins parses a comma-separated list of origins: scheme://host[:port], http or https, nothing
// else.
func origins(name, v string) ([]string, error) {
	var out []string
	for o := range strings.SplitSeq(v, ",") {
		if o = strings.TrimSpace(o); o == "" {
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
			return nil, fmt.Errorf("%s must be comma-separated origins such as https://app.example", name)
		}
		out = append(out, u.Scheme+"://"+u.Host)
	}
	return out, nil
}

func countSet(vals ...string) int {
	n := 0
	for _, v := range vals {
		if v != "" {
			n++
		}
	}
	return n
}

// LogValue implements slog.LogValuer; the database password never reaches the log.
func (c Config) LogValue() slog.Value {
	db := "sqlite (kira.db)"
	if c.DatabaseURL != "" {
		db = c.DatabaseURL
		if u, err := url.Parse(c.DatabaseURL); err == nil {
			db = u.Redacted()
		}
	}
	return slog.GroupValue(
		slog.String("addr", c.Addr),
		slog.String("mode", string(c.Mode)),
		slog.String("database", db),
		slog.Bool("encryption_key_set", c.EncryptionKey != ""),
		slog.Bool("tenant_from_env", c.APIKey != ""),
		slog.Float64("rate_limit_per_second", c.RateLimit),
		slog.String("sandbox_delay", c.SandboxDelay.String()),
		slog.Int("max_verification_attempts", c.MaxAttempts),
		slog.String("public_url", c.PublicURL),
		slog.String("event_retention", c.EventRetention.String()),
		slog.String("retention_created", c.RetentionCreated.String()),
		slog.String("retention_rejected", c.RetentionRejected.String()),
		slog.Any("cors_origins", c.CORSOrigins),
		slog.Any("frame_ancestors", c.FrameAncestors),
		slog.Int("db_max_conns", c.DBMaxConns),
		slog.String("metrics_addr", c.MetricsAddr),
		slog.String("log_format", c.LogFormat),
		slog.String("log_level", c.LogLevel.String()),
		slog.String("provider", c.Provider),
		slog.String("persona_base_url", c.Persona.BaseURL),
		slog.Bool("persona_api_key_set", c.Persona.APIKey != ""),
		slog.Int("persona_webhook_secrets", len(c.Persona.WebhookSecrets)),
		slog.String("persona_template_id", c.Persona.TemplateKYC),
		slog.String("persona_kyb_template_id", c.Persona.TemplateKYB),
	)
}
