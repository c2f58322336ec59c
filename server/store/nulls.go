package store

import (
	"database/sql"
	"time"
)

// nullTime is t as a query argument: NULL when t is zero, else t as the store keeps it (UTC, to
// the microsecond).
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Truncate(time.Microsecond)
}

// scanNullTime scans a nullable timestamp column into *t: the zero time for NULL.
func scanNullTime(t *time.Time) sql.Scanner { return nullTimeScanner{t} }

type nullTimeScanner struct{ t *time.Time }

func (s nullTimeScanner) Scan(src any) error {
	if src == nil {
		*s.t = time.Time{}
		return nil
	}
	return timeScanner(s).Scan(src)
}
