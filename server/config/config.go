// Package config reads the service's configuration from the environment.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
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
}

// FromEnv reads the configuration through getenv (os.Getenv in production, a map in tests).
func FromEnv(getenv func(string) string) (Config, error) {
	c := Config{
		Addr:        getenv("KIRA_ADDR"),
		DatabaseURL: getenv("KIRA_DATABASE_URL"),
		Mode:        Mode(strings.ToLower(getenv("KIRA_MODE"))),
	}
	if c.Addr == "" {
		c.Addr = "127.0.0.1:8080"
	}
	if c.Mode == "" {
		c.Mode = Sandbox
	}
	var errs []error
	if c.Mode != Sandbox && c.Mode != Production {
		errs = append(errs, errors.New("KIRA_MODE must be sandbox or production"))
	}
	if c.DatabaseURL != "" {
		u, err := url.Parse(c.DatabaseURL)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql" && u.Scheme != "sqlite" && u.Scheme != "file") {
			errs = append(errs, errors.New("KIRA_DATABASE_URL must be a postgres:// URL or a sqlite file path (sqlite:PATH)"))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return Config{}, fmt.Errorf("configuration: %w", err)
	}
	return c, nil
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
	)
}
