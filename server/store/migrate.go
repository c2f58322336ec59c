package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"text/template"
)

// migrationFS holds the store's migrations, migrations/NNNN_name.sql, applied in order. Each is a
// text/template over the dialect, for the column types.
//
//go:embed migrations/*.sql
var migrationFS embed.FS

// migration is one migration, rendered for a dialect.
type migration struct {
	version int
	name    string
	sql     string
}

// schemaMigrations records which migrations have been applied.
const schemaMigrations = `CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    applied_at {{.Time}} NOT NULL
)`

// migrations returns the embedded migrations rendered for d, in version order.
func migrations(d dialect) ([]migration, error) {
	files, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	out := make([]migration, 0, len(files))
	for _, file := range files { // fs.Glob sorts, so versions ascend
		name := strings.TrimSuffix(path.Base(file), ".sql")
		prefix, _, _ := strings.Cut(name, "_")
		version, err := strconv.Atoi(prefix)
		if err != nil {
			return nil, fmt.Errorf("migration %s: the name must start with its version", file)
		}
		raw, err := migrationFS.ReadFile(file)
		if err != nil {
			return nil, err
		}
		sql, err := render(file, string(raw), d)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: version, name: name, sql: sql})
	}
	return out, nil
}

func render(name, text string, d dialect) (string, error) {
	tmpl, err := template.New(name).Option("missingkey=error").Parse(text)
	if err != nil {
		return "", fmt.Errorf("migration %s: %w", name, err)
	}
	var b strings.Builder
	if err := tmpl.Execute(&b, d); err != nil {
		return "", fmt.Errorf("migration %s: %w", name, err)
	}
	return b.String(), nil
}

// migrateTables applies the migrations that schema_migrations does not list, in the transaction
// q. The backend makes sure that only one process migrates at a time.
func (s *Store) migrateTables(ctx context.Context, q querier) error {
	all, err := migrations(s.db.dialect())
	if err != nil {
		return err
	}
	create, err := render("schema_migrations", schemaMigrations, s.db.dialect())
	if err != nil {
		return err
	}
	if _, err := q.exec(ctx, create); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	applied, err := appliedVersions(ctx, q)
	if err != nil {
		return err
	}
	if err := checkNotNewer(applied, all); err != nil {
		return err
	}
	for _, m := range all {
		if applied[m.version] {
			continue
		}
		if _, err := q.exec(ctx, m.sql); err != nil {
			return fmt.Errorf("apply migration %s: %w", m.name, err)
		}
		if _, err := q.exec(ctx, "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)", m.version, s.timestamp(s.now())); err != nil {
			return fmt.Errorf("record migration %s: %w", m.name, err)
		}
		s.logger.InfoContext(ctx, "applied database migration", "migration", m.name)
	}
	return nil
}

// checkNotNewer refuses a database that a newer binary has migrated: this one would not know its
// tables.
func checkNotNewer(applied map[int]bool, known []migration) error {
	latest := 0
	if len(known) > 0 {
		latest = known[len(known)-1].version
	}
	newest := latest
	for v := range applied {
		newest = max(newest, v)
	}
	if newest > latest {
		return fmt.Errorf("the database's schema is at version %d, newer than this binary's %d: run the newer release (or one at least as new) against it", newest, latest)
	}
	return nil
}

func appliedVersions(ctx context.Context, q querier) (map[int]bool, error) {
	r, err := q.query(ctx, "SELECT version FROM schema_migrations")
	if err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	defer r.Close()
	applied := map[int]bool{}
	for r.Next() {
		var v int
		if err := r.Scan(&v); err != nil {
			return nil, fmt.Errorf("read schema_migrations: %w", err)
		}
		applied[v] = true
	}
	if err := r.Err(); err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	return applied, nil
}
