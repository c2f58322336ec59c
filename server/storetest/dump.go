package storetest

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kiraapi/kira/server/kyc"
	"github.com/kiraapi/kira/server/secret"
)

// Dump is a logical backup of a store's tables: their rows, as the database returns them.
type Dump struct {
	tables map[string]dumpedTable
}

type dumpedTable struct {
	columns []string
	rows    [][]any
}

// dumpTables are the store's tables, in an order their foreign keys let a restore follow.
var dumpTables = []string{
	"tenants", "users", "user_keys", "user_documents", "verification_sessions", "webhook_endpoints",
	"events", "deliveries", "delivery_attempts", "idempotency_keys", "settings",
}

// Text is the dump as one text: every value as the database returned it (bytes as they are).
func (d *Dump) Text() []byte {
	var b strings.Builder
	for _, name := range dumpTables {
		for _, row := range d.tables[name].rows {
			for _, v := range row {
				if raw, ok := v.([]byte); ok {
					b.Write(raw)
				} else {
					fmt.Fprint(&b, v)
				}
				b.WriteByte('\t')
			}
			b.WriteByte('\n')
		}
	}
	return []byte(b.String())
}

// Rows returns the dumped rows of a table, each by column name.
func (d *Dump) Rows(table string) []map[string]any {
	t := d.tables[table]
	out := make([]map[string]any, len(t.rows))
	for i, row := range t.rows {
		out[i] = map[string]any{}
		for j, c := range t.columns {
			out[i][c] = row[j]
		}
	}
	return out
}

func (s *inspectable) Dump(ctx context.Context, include func(table string) bool) (*Dump, error) {
	var tables []string
	for _, name := range dumpTables {
		if include == nil || include(name) {
			tables = append(tables, name)
		}
	}
	db, _, err := s.sqlDB()
	if err != nil {
		return nil, err
	}
	defer db.Close()
	d := &Dump{tables: map[string]dumpedTable{}}
	for _, name := range tables {
		rows, err := db.QueryContext(ctx, "SELECT * FROM "+name)
		if err != nil {
			return nil, fmt.Errorf("dump %s: %w", name, err)
		}
		table, err := readRows(rows)
		if err != nil {
			return nil, fmt.Errorf("dump %s: %w", name, err)
		}
		d.tables[name] = table
	}
	return d, nil
}

func readRows(rows *sql.Rows) (dumpedTable, error) {
	defer rows.Close()
	columns, err := rows.Columns()
	if err != nil {
		return dumpedTable{}, err
	}
	t := dumpedTable{columns: columns}
	for rows.Next() {
		row := make([]any, len(columns))
		ptrs := make([]any, len(columns))
		for i := range row {
			ptrs[i] = &row[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return dumpedTable{}, err
		}
		t.rows = append(t.rows, row)
	}
	return t, rows.Err()
}

func (s *inspectable) Restore(t testing.TB, keyring *secret.Keyring, dumps ...*Dump) kyc.Store {
	t.Helper()
	dbURL, driver, dsn, placeholder := "", "pgx", "", func(i int) string { return fmt.Sprintf("$%d", i+1) }
	if strings.HasPrefix(s.url, "sqlite:") {
		path := filepath.Join(t.TempDir(), "kira.db")
		dbURL, driver, dsn, placeholder = "sqlite:"+path, "sqlite", "file:"+path+"?_pragma=busy_timeout(5000)", func(int) string { return "?" }
	} else {
		dbURL = newPostgresSchema(t)
		dsn = dbURL
	}
	st := open(t, dbURL, keyring, time.Now)
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, name := range dumpTables {
		for _, d := range dumps {
			table, ok := d.tables[name]
			if !ok {
				continue
			}
			if _, err := db.ExecContext(t.Context(), "DELETE FROM "+name); err != nil {
				t.Fatalf("restore %s: %v", name, err)
			}
			marks := make([]string, len(table.columns))
			for i := range marks {
				marks[i] = placeholder(i)
			}
			insert := fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s)", name, strings.Join(table.columns, ", "), strings.Join(marks, ", "))
			for _, row := range table.rows {
				if _, err := db.ExecContext(t.Context(), insert, row...); err != nil {
					t.Fatalf("restore %s: %v", name, err)
				}
			}
		}
	}
	return st
}
