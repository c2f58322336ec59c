package store

import (
	"database/sql"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/kiraapi/kira/server/kyc"
)

func notFound(what string) error {
	return &kyc.Error{Code: kyc.ENotFound, Message: what + " not found."}
}

// writeError is dbError, except that a unique violation is a kyc.EConflict error saying
// conflict (and nothing of the duplicate value).
func writeError(op, conflict string, err error) error {
	if isUniqueViolation(err) {
		return &kyc.Error{Code: kyc.EConflict, Message: conflict}
	}
	return dbError(op, err)
}

// dbError wraps an error of the database for op. A PostgreSQL error keeps only its code and
// constraint, because its message and detail may quote values of the row (a duplicate key, an
// invalid input).
func dbError(op string, err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return fmt.Errorf("%s: PostgreSQL error %s %s", op, pgErr.Code, pgErr.ConstraintName)
	}
	return fmt.Errorf("%s: %w", op, err)
}

func isUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23505" // unique_violation
	}
	var liteErr *sqlite.Error
	if errors.As(err, &liteErr) {
		return liteErr.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || liteErr.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// isLockTimeout reports whether a statement gave up waiting for a row lock (PostgreSQL's
// lock_not_available).
func isLockTimeout(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "55P03"
}

// isNoRows reports whether a single-row query found nothing (pgx.ErrNoRows wraps sql.ErrNoRows).
func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
