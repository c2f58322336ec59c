package store

import "fmt"

// dialect is what differs in the SQL text itself between SQLite and PostgreSQL. The rest of the
// seam is in querier.go: placeholders ($n for PostgreSQL) and how times are passed (integer
// microseconds on SQLite).
type dialect struct {
	// Bytes, Time and JSON are the column types of the migrations, which are templates.
	Bytes, Time, JSON string
	// Postgres selects, in a migration, what only PostgreSQL understands (functions, their triggers).
	Postgres bool
	// forUpdate ends a SELECT whose rows stay locked until the transaction ends. SQLite needs no
	// row locks: its transactions begin IMMEDIATE and hold the database's write lock throughout.
	forUpdate string
	// forNoKeyUpdate is forUpdate for a row others reference: inserts of rows referencing it
	// (which take a key-share lock) do not wait for it.
	forNoKeyUpdate string
	// claimTimeout bounds, for the rest of a transaction, how long it waits for a row lock: an
	// idempotency claim waits no longer than idempotencyClaimWait for a concurrent request with
	// the same key. SQLite has no row locks to wait for.
	claimTimeout string
	// optimize refreshes the planner's statistics (SQLite has no background analyzer).
	optimize string
}

var (
	sqliteDialect   = dialect{Bytes: "BLOB", Time: "INTEGER", JSON: "TEXT", optimize: "PRAGMA optimize"}
	postgresDialect = dialect{Bytes: "BYTEA", Time: "TIMESTAMPTZ", JSON: "JSONB", Postgres: true, forUpdate: " FOR UPDATE", forNoKeyUpdate: " FOR NO KEY UPDATE",
		claimTimeout: fmt.Sprintf("SET LOCAL lock_timeout = %d", idempotencyClaimWait.Milliseconds())}
)
