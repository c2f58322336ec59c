// Package storetest is the conformance suite of kyc.Store, and the databases tests run the store
// on: Run checks a store's behaviour (round trips, tenant scoping, listing, transactions, queued
// jobs, idempotency under concurrency, webhook endpoints, deliveries and the event log, and that
// no personal data or webhook secret is written in the clear);
// Backends opens server/store on SQLite and, when KIRA_TEST_DATABASE_URL is set, PostgreSQL.
package storetest

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/kiraapi/kira/server/kyc"
	"github.com/kiraapi/kira/server/secret"
)

// Inspector is implemented by the stores that Run may look beneath: at the jobs they queued, the
// events they logged and the bytes they wrote. The tests that need it are skipped for a store
// that does not implement it.
type Inspector interface {
	// QueuedVerifications returns the verification jobs queued for a tenant, in any state.
	QueuedVerifications(ctx context.Context, tenantID string) ([]kyc.VerificationJob, error)
	// QueuedDeliveries returns the ids of the deliveries that webhook jobs are queued for.
	QueuedDeliveries(ctx context.Context) ([]string, error)
	// Events returns a tenant's events, oldest first, as the store gives them.
	Events(ctx context.Context, tenantID string) ([]*kyc.Event, error)
	// RawContents returns everything the store has written, as the database keeps it. It may
	// close the store.
	RawContents(ctx context.Context) ([]byte, error)
	// Dump copies the rows of the store's tables that include accepts (nil: all of them): a
	// logical backup.
	Dump(ctx context.Context, include func(table string) bool) (*Dump, error)
	// Restore opens a store, with keyring, on a new database of the same backend that holds the
	// dumps' rows: a later dump's rows of a table replace an earlier one's.
	Restore(t testing.TB, keyring *secret.Keyring, dumps ...*Dump) kyc.Store
	// InjectFault makes the database fail every statement that matches f until the returned
	// function removes the fault.
	InjectFault(ctx context.Context, f Fault) (remove func() error, err error)
	// Exec runs stmt on a connection of its own to the store's database, beneath the store: what
	// the database itself allows or refuses, whatever the application would do.
	Exec(ctx context.Context, stmt string) error
}

// Fault is a failure the database is made to raise, by a trigger: on every Op ("INSERT" or
// "UPDATE") of Table's rows for which When (a condition on NEW, in SQL that both databases read;
// "" for every row) holds. AtCommit defers the failure to the transaction's commit.
type Fault struct {
	Table, Op, When string
	AtCommit        bool
}

// Run runs the conformance suite. open returns a new, empty store for each test (which are
// parallel), and closes it when the test ends.
func Run(t *testing.T, open func(t *testing.T) kyc.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, st kyc.Store)
	}{
		{"UserRoundTrip", testUserRoundTrip},
		{"Timestamps", testTimestamps},
		{"TenantScoping", testTenantScoping},
		{"DuplicateUser", testDuplicateUser},
		{"UpdateUser", testUpdateUser},
		{"ConcurrentUpdates", testConcurrentUpdates},
		{"ListUsersOrderAndPages", testListUsersOrderAndPages},
		{"ListUsersFilters", testListUsersFilters},
		{"ListUsersDefaultLimit", testListUsersDefaultLimit},
		{"ListUsersInvalidCursor", testListUsersInvalidCursor},
		{"InTxRollback", testInTxRollback},
		{"AppendEvent", testAppendEvent},
		{"EnqueueVerification", testEnqueueVerification},
		{"Tenants", testTenants},
		{"TenantConflicts", testTenantConflicts},
		{"IdempotencyClaimComplete", testIdempotencyClaimComplete},
		{"IdempotencyRollback", testIdempotencyRollback},
		{"IdempotencyExpiry", testIdempotencyExpiry},
		{"IdempotencyConcurrentClaims", testIdempotencyConcurrentClaims},
		{"NoPlaintextPersonalData", testNoPlaintextPersonalData},
		{"Documents", testDocuments},
		{"Sessions", testSessions},
		{"VendorChecks", testVendorChecks},
		{"WebhookEndpoints", testWebhookEndpoints},
		{"WebhookCap", testWebhookCap},
		{"RotateWhilePreviousSecretValid", testRotateWhilePreviousSecretValid},
		{"DeliveriesFanOut", testDeliveriesFanOut},
		{"DeliveryAttempts", testDeliveryAttempts},
		{"DeleteWebhookCancelsDeliveries", testDeleteWebhookCancelsDeliveries},
		{"ListEvents", testListEvents},
		{"PruneEvents", testPruneEvents},
		{"NoPlaintextWebhookSecrets", testNoPlaintextWebhookSecrets},
		{"Operators", testOperators},
		{"OperatorSessionsAndTokens", testOperatorSessionsAndTokens},
		{"AuditTrail", testAuditTrail},
		{"ReviewQueue", testReviewQueue},
		{"Ping", testPing},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open(t))
		})
	}
}

func testPing(t *testing.T, st kyc.Store) {
	if err := st.Ping(t.Context()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}

// inspector returns st's Inspector, skipping the test when it has none.
func inspector(t *testing.T, st kyc.Store) Inspector {
	t.Helper()
	in, ok := st.(Inspector)
	if !ok {
		t.Skip("the store does not implement storetest.Inspector")
	}
	return in
}

// newTenant creates a tenant with fresh credentials.
func newTenant(t *testing.T, st kyc.Store) *kyc.Tenant {
	t.Helper()
	id := uuid.NewString()
	hash := sha256.Sum256([]byte("api key " + id))
	now := time.Now().UTC().Truncate(time.Microsecond)
	tn := &kyc.Tenant{
		ID: id, Name: "Tenant " + id[:8], ClientID: "client_" + id, APIKeyHash: hash[:],
		PasswordHash: []byte("$2a$04$" + id), CreatedAt: now, UpdatedAt: now,
	}
	if err := st.CreateTenant(t.Context(), tn); err != nil {
		t.Fatalf("CreateTenant: %v", err)
	}
	return tn
}

// insertUser inserts u in its own transaction.
func insertUser(t *testing.T, st kyc.Store, u *kyc.User) {
	t.Helper()
	if err := st.InTx(t.Context(), func(tx kyc.Tx) error { return tx.InsertUser(t.Context(), u) }); err != nil {
		t.Fatalf("InsertUser: %v", err)
	}
}

// mustGetUser returns the tenant's user, failing the test if it cannot.
func mustGetUser(t *testing.T, st kyc.Store, tenantID, id string) *kyc.User {
	t.Helper()
	u, err := st.GetUser(t.Context(), tenantID, id)
	if err != nil {
		t.Fatalf("GetUser: %v", err)
	}
	return u
}

// wantCode fails the test unless err is a *kyc.Error with code.
func wantCode(t *testing.T, err error, code string) *kyc.Error {
	t.Helper()
	var e *kyc.Error
	if !errors.As(err, &e) || e.Code != code {
		t.Fatalf("error = %v, want a kyc.Error %s", err, code)
	}
	return e
}

// sameUser fails the test unless got and want are the same user. Times compare as instants.
func sameUser(t *testing.T, got, want *kyc.User) {
	t.Helper()
	g, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	w, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	if string(g) != string(w) {
		t.Fatalf("user differs:\n got %s\nwant %s", g, w)
	}
}
