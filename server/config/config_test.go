package config_test

import (
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kiraapi/kira/server/config"
	"github.com/kiraapi/kira/server/kyc"
)

func TestFromEnv(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		env     map[string]string
		want    config.Config
		wantErr bool
	}{
		{"defaults", nil, config.Config{Addr: "127.0.0.1:8080", Mode: config.Sandbox, Provider: config.ProviderSandbox, RateLimit: 50, SandboxDelay: 2 * time.Second, MaxAttempts: 3, Requirements: kyc.SeedRequirements, PublicURL: "http://127.0.0.1:8080", EventRetention: 720 * time.Hour, LogFormat: "json"}, false},
		{"production on postgres", map[string]string{"KIRA_ADDR": ":9000", "KIRA_MODE": "Production", "KIRA_DATABASE_URL": "postgres://u:p@db/kira", "KIRA_ENCRYPTION_KEY": "k", "KIRA_RATE_LIMIT": "0",
			"KIRA_SANDBOX_DELAY": "0", "KIRA_MAX_VERIFICATION_ATTEMPTS": "5", "KIRA_PUBLIC_URL": "https://kyc.example/", "KIRA_EVENT_RETENTION": "168h", "KIRA_DB_MAX_CONNS": "40",
			"KIRA_CORS_ORIGINS": "https://app.example, http://localhost:3000/", "KIRA_FRAME_ANCESTORS": "https://portal.example",
			"KIRA_METRICS_ADDR": "127.0.0.1:9090", "KIRA_LOG_FORMAT": "TEXT", "KIRA_LOG_LEVEL": "debug", "KIRA_REQUIREMENTS": "Kira"},
			config.Config{Addr: ":9000", Mode: config.Production, Provider: config.ProviderSandbox, DatabaseURL: "postgres://u:p@db/kira", EncryptionKey: "k", MaxAttempts: 5, Requirements: kyc.KiraRequirements, PublicURL: "https://kyc.example", EventRetention: 168 * time.Hour, DBMaxConns: 40,
				CORSOrigins: []string{"https://app.example", "http://localhost:3000"}, FrameAncestors: []string{"https://portal.example"},
				MetricsAddr: "127.0.0.1:9090", LogFormat: "text", LogLevel: slog.LevelDebug,
				RetentionCreated: config.DefaultRetentionCreated, RetentionRejected: config.DefaultRetentionRejected}, false},
		{"every interface: links on the loopback address", map[string]string{"KIRA_ADDR": ":18108"},
			config.Config{Addr: ":18108", Mode: config.Sandbox, Provider: config.ProviderSandbox, RateLimit: 50, SandboxDelay: 2 * time.Second, MaxAttempts: 3, Requirements: kyc.SeedRequirements, PublicURL: "http://127.0.0.1:18108", EventRetention: 720 * time.Hour, LogFormat: "json"}, false},
		{"every IPv6 interface", map[string]string{"KIRA_ADDR": "[::]:18108"},
			config.Config{Addr: "[::]:18108", Mode: config.Sandbox, Provider: config.ProviderSandbox, RateLimit: 50, SandboxDelay: 2 * time.Second, MaxAttempts: 3, Requirements: kyc.SeedRequirements, PublicURL: "http://127.0.0.1:18108", EventRetention: 720 * time.Hour, LogFormat: "json"}, false},
		{"a port without a colon", map[string]string{"KIRA_ADDR": "18108"}, config.Config{}, true},
		{"a port out of range", map[string]string{"KIRA_ADDR": "127.0.0.1:99999"}, config.Config{}, true},
		{"a URL for an address", map[string]string{"KIRA_ADDR": "http://127.0.0.1:8080"}, config.Config{}, true},
		{"bad metrics address", map[string]string{"KIRA_METRICS_ADDR": "9090"}, config.Config{}, true},
		{"bad log format", map[string]string{"KIRA_LOG_FORMAT": "xml"}, config.Config{}, true},
		{"bad log level", map[string]string{"KIRA_LOG_LEVEL": "loud"}, config.Config{}, true},
		{"retention set in sandbox", map[string]string{"KIRA_RETENTION_CREATED": "48h", "KIRA_RETENTION_REJECTED": "720h"},
			config.Config{Addr: "127.0.0.1:8080", Mode: config.Sandbox, Provider: config.ProviderSandbox, RateLimit: 50, SandboxDelay: 2 * time.Second, MaxAttempts: 3, Requirements: kyc.SeedRequirements, PublicURL: "http://127.0.0.1:8080", EventRetention: 720 * time.Hour, LogFormat: "json",
				RetentionCreated: 48 * time.Hour, RetentionRejected: 720 * time.Hour}, false},
		{"retention turned off in production", map[string]string{"KIRA_MODE": "production", "KIRA_ENCRYPTION_KEY": "k", "KIRA_RETENTION_CREATED": "0", "KIRA_RETENTION_REJECTED": "0"},
			config.Config{Addr: "127.0.0.1:8080", Mode: config.Production, Provider: config.ProviderSandbox, EncryptionKey: "k", RateLimit: 50, SandboxDelay: 2 * time.Second, MaxAttempts: 3, Requirements: kyc.SeedRequirements, PublicURL: "http://127.0.0.1:8080", EventRetention: 720 * time.Hour, LogFormat: "json"}, false},
		{"retention too short", map[string]string{"KIRA_RETENTION_CREATED": "5m"}, config.Config{}, true},
		{"bad retention", map[string]string{"KIRA_RETENTION_REJECTED": "1y"}, config.Config{}, true},
		{"bad delay", map[string]string{"KIRA_SANDBOX_DELAY": "soon"}, config.Config{}, true},
		{"bad event retention", map[string]string{"KIRA_EVENT_RETENTION": "30d"}, config.Config{}, true},
		{"event retention too short", map[string]string{"KIRA_EVENT_RETENTION": "10m"}, config.Config{}, true},
		{"pool too small", map[string]string{"KIRA_DB_MAX_CONNS": "1"}, config.Config{}, true},
		{"bad pool size", map[string]string{"KIRA_DB_MAX_CONNS": "many"}, config.Config{}, true},
		{"bad attempts", map[string]string{"KIRA_MAX_VERIFICATION_ATTEMPTS": "0"}, config.Config{}, true},
		{"unknown requirements", map[string]string{"KIRA_REQUIREMENTS": "strict"}, config.Config{}, true},
		{"link is no verification rule", map[string]string{"KIRA_REQUIREMENTS": "link"}, config.Config{}, true},
		{"bad public url", map[string]string{"KIRA_PUBLIC_URL": "ftp://x"}, config.Config{}, true},
		{"production without a key", map[string]string{"KIRA_MODE": "production"}, config.Config{}, true},
		{"some tenant credentials", map[string]string{"KIRA_API_KEY": "a", "KIRA_CLIENT_ID": "b"}, config.Config{}, true},
		{"bad rate limit", map[string]string{"KIRA_RATE_LIMIT": "fast"}, config.Config{}, true},
		{"unknown mode", map[string]string{"KIRA_MODE": "live"}, config.Config{}, true},
		{"unknown database", map[string]string{"KIRA_DATABASE_URL": "mysql://db"}, config.Config{}, true},
		{"cors origin with a path", map[string]string{"KIRA_CORS_ORIGINS": "https://app.example/x"}, config.Config{}, true},
		{"frame ancestor wildcard", map[string]string{"KIRA_FRAME_ANCESTORS": "*"}, config.Config{}, true},
		{"production with persona", map[string]string{"KIRA_MODE": "production", "KIRA_ENCRYPTION_KEY": "k", "KIRA_PROVIDER": "Persona",
			"KIRA_PERSONA_API_KEY": "sk_test_x", "KIRA_PERSONA_WEBHOOK_SECRET": "wbhsec_new, wbhsec_old", "KIRA_PERSONA_TEMPLATE_ID": "itmpl_kyc",
			"KIRA_PERSONA_BASE_URL": "http://127.0.0.1:9999/"},
			config.Config{Addr: "127.0.0.1:8080", Mode: config.Production, EncryptionKey: "k", RateLimit: 50, SandboxDelay: 2 * time.Second, MaxAttempts: 3, PublicURL: "http://127.0.0.1:8080", EventRetention: 720 * time.Hour, LogFormat: "json",
				RetentionCreated: config.DefaultRetentionCreated, RetentionRejected: config.DefaultRetentionRejected, Provider: config.ProviderPersona, Requirements: kyc.SeedRequirements,
				Persona: config.Persona{APIKey: "sk_test_x", WebhookSecrets: []string{"wbhsec_new", "wbhsec_old"}, TemplateKYC: "itmpl_kyc", TemplateKYB: "itmpl_kyc", BaseURL: "http://127.0.0.1:9999"}}, false},
		{"persona with a KYB template, on Persona's API", map[string]string{"KIRA_PROVIDER": "persona", "KIRA_PERSONA_API_KEY": "k", "KIRA_PERSONA_WEBHOOK_SECRET": "s",
			"KIRA_PERSONA_TEMPLATE_ID": "itmpl_kyc", "KIRA_PERSONA_KYB_TEMPLATE_ID": "itmpl_kyb"},
			config.Config{Addr: "127.0.0.1:8080", Mode: config.Sandbox, RateLimit: 50, SandboxDelay: 2 * time.Second, MaxAttempts: 3, PublicURL: "http://127.0.0.1:8080", EventRetention: 720 * time.Hour, LogFormat: "json",
				Provider: config.ProviderPersona, Requirements: kyc.SeedRequirements, Persona: config.Persona{APIKey: "k", WebhookSecrets: []string{"s"}, TemplateKYC: "itmpl_kyc", TemplateKYB: "itmpl_kyb", BaseURL: "https://api.withpersona.com"}}, false},
		{"persona without its settings", map[string]string{"KIRA_PROVIDER": "persona"}, config.Config{}, true},
		{"persona with a bad base URL", map[string]string{"KIRA_PROVIDER": "persona", "KIRA_PERSONA_API_KEY": "k", "KIRA_PERSONA_WEBHOOK_SECRET": "s",
			"KIRA_PERSONA_TEMPLATE_ID": "t", "KIRA_PERSONA_BASE_URL": "api.withpersona.com"}, config.Config{}, true},
		{"unknown provider", map[string]string{"KIRA_PROVIDER": "onfido"}, config.Config{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := config.FromEnv(func(k string) string { return tt.env[k] })
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestLogValueHidesPassword(t *testing.T) {
	t.Parallel()
	c := config.Config{Addr: ":1", Mode: config.Sandbox, Provider: config.ProviderSandbox, DatabaseURL: "postgres://kira:hunter2@db/kira", EncryptionKey: "hunter3", Password: "hunter4"}
	var b strings.Builder
	slog.New(slog.NewTextHandler(&b, nil)).Info("start", "config", c)
	if strings.Contains(b.String(), "hunter") {
		t.Errorf("log shows the database password: %s", b.String())
	}
}

func TestPersonaErrorNamesWhatIsMissing(t *testing.T) {
	t.Parallel()
	env := map[string]string{"KIRA_PROVIDER": "persona", "KIRA_PERSONA_API_KEY": "sk_live_secret"}
	_, err := config.FromEnv(func(k string) string { return env[k] })
	if err == nil || !strings.Contains(err.Error(), "KIRA_PROVIDER=persona needs KIRA_PERSONA_WEBHOOK_SECRET, KIRA_PERSONA_TEMPLATE_ID") ||
		strings.Contains(err.Error(), "sk_live") {
		t.Errorf("err = %v", err)
	}
}

func TestLogValueHidesPersonaSecrets(t *testing.T) {
	t.Parallel()
	c := config.Config{Provider: config.ProviderPersona, Persona: config.Persona{APIKey: "sk_live_hunter5", WebhookSecrets: []string{"wbhsec_hunter6"}}}
	var b strings.Builder
	slog.New(slog.NewTextHandler(&b, nil)).Info("start", "config", c)
	if strings.Contains(b.String(), "hunter") || !strings.Contains(b.String(), "persona_api_key_set=true") {
		t.Errorf("start line: %s", b.String())
	}
}

func TestAddrErrorNamesTheFix(t *testing.T) {
	t.Parallel()
	_, err := config.FromEnv(func(k string) string { return map[string]string{"KIRA_ADDR": "18108"}[k] })
	if err == nil || !strings.Contains(err.Error(), "KIRA_ADDR must be host:port") || !strings.Contains(err.Error(), `"18108"`) {
		t.Errorf("err = %v", err)
	}
}

func TestLogValueReadableDurations(t *testing.T) {
	t.Parallel()
	c, err := config.FromEnv(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	slog.New(slog.NewJSONHandler(&b, nil)).Info("start", "config", c)
	for _, want := range []string{`"sandbox_delay":"2s"`, `"event_retention":"720h0m0s"`, `"log_level":"INFO"`} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("start line %s lacks %s", b.String(), want)
		}
	}
}
