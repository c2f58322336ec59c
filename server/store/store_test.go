package store_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/kiraapi/kira/server/jobs"
	"github.com/kiraapi/kira/server/kyc"
	"github.com/kiraapi/kira/server/secret"
	"github.com/kiraapi/kira/server/store"
	"github.com/kiraapi/kira/server/storetest"
)

// TestStore runs the conformance suite on every backend: SQLite always, PostgreSQL when
// KIRA_TEST_DATABASE_URL is set (skipped otherwise, failed when CI=true).
func TestStore(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			storetest.Run(t, b.OpenInspectable)
		})
	}
}

// forEachBackend runs fn on every backend, in parallel.
func forEachBackend(t *testing.T, fn func(t *testing.T, b storetest.Backend)) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			fn(t, b)
		})
	}
}

func testKeyring(t testing.TB) *secret.Keyring { return keyringOf(t, 9) }

// keyringOf is the keyring whose master key is b repeated.
func keyringOf(t testing.TB, b byte) *secret.Keyring {
	t.Helper()
	k, err := secret.NewKeyring(bytes.Repeat([]byte{b}, secret.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func openURL(t testing.TB, url string, now func() time.Time) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), store.Options{URL: url, Keyring: testKeyring(t), Now: now, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func newTenant(t testing.TB, st kyc.Store) *kyc.Tenant {
	t.Helper()
	id := uuid.NewString()
	tn := &kyc.Tenant{ID: id, Name: "T", ClientID: "client_" + id, APIKeyHash: []byte(id), PasswordHash: []byte("x")}
	if err := st.CreateTenant(context.Background(), tn); err != nil {
		t.Fatal(err)
	}
	return tn
}

// TestReopen checks that the migrations are idempotent: a restarted store finds its data.
func TestReopen(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b storetest.Backend) {
		url := b.NewURL(t)
		first := openURL(t, url, nil)
		tn := newTenant(t, first)
		if err := first.Close(); err != nil {
			t.Fatal(err)
		}
		again := openURL(t, url, nil)
		if _, err := again.TenantByClientID(t.Context(), tn.ClientID); err != nil {
			t.Fatalf("after reopening: %v", err)
		}
	})
}

// TestConcurrentOpen starts several replicas on one new database at once: one migrates, the
// others wait and find nothing to do.
// (PostgreSQL only: SQLite is the single-process database.)
func TestConcurrentOpen(t *testing.T) {
	var url string
	for _, b := range storetest.Backends() {
		if b.Name == "postgres" {
			url = b.NewURL(t)
		}
	}
	keyring := testKeyring(t)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Go(func() {
			st, err := store.Open(t.Context(), store.Options{URL: url, Keyring: keyring, Logger: slog.New(slog.DiscardHandler)})
			if err == nil {
				err = errors.Join(st.Ping(t.Context()), st.Close())
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
	}
}

// TestClock checks that the store's clock decides expiry and fills in missing timestamps.
func TestClock(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b storetest.Backend) {
		now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
		st := b.Open(t, testKeyring(t), func() time.Time { return now })
		tn := newTenant(t, st)
		if !tn.CreatedAt.Equal(now) || !tn.UpdatedAt.Equal(now) {
			t.Fatalf("tenant times = %v, %v; want the clock's %v", tn.CreatedAt, tn.UpdatedAt, now)
		}
		claim := func() bool {
			rec := &kyc.IdempotencyRecord{TenantID: tn.ID, KeyHash: "k", Fingerprint: "f", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
			var existing *kyc.IdempotencyRecord
			err := st.InTx(t.Context(), func(tx kyc.Tx) error {
				var err error
				if existing, err = tx.ClaimIdempotencyKey(t.Context(), rec); err != nil || existing != nil {
					return err
				}
				rec.Status = 201
				return tx.CompleteIdempotencyKey(t.Context(), rec)
			})
			if err != nil {
				t.Fatal(err)
			}
			return existing == nil
		}
		if !claim() || claim() {
			t.Fatal("want the first claim only to succeed")
		}
		now = now.Add(time.Hour) // the record has expired
		if !claim() {
			t.Fatal("an expired record was not taken over")
		}
	})
}

// TestForeignKeys checks that a user belongs to an existing tenant.
func TestForeignKeys(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b storetest.Backend) {
		st := b.Open(t, testKeyring(t), time.Now)
		u := benchUser(uuid.NewString())
		err := st.InTx(t.Context(), func(tx kyc.Tx) error { return tx.InsertUser(t.Context(), u) })
		if err == nil || kyc.ErrorCode(err) != kyc.EInternal {
			t.Fatalf("InsertUser for an unknown tenant = %v, want an internal error", err)
		}
	})
}

func TestOpenErrors(t *testing.T) {
	keyring := testKeyring(t)
	tests := []struct {
		name string
		opts store.Options
	}{
		{"no keyring", store.Options{URL: "sqlite:" + filepath.Join(t.TempDir(), "kira.db")}},
		{"unknown scheme", store.Options{URL: "mysql://root:hunter2@db/kira", Keyring: keyring}},
		{"SQLite query", store.Options{URL: "sqlite:kira.db?mode=memory", Keyring: keyring}},
		{"missing directory", store.Options{URL: "sqlite:" + filepath.Join(t.TempDir(), "missing", "kira.db"), Keyring: keyring}},
		{"unreachable PostgreSQL", store.Options{URL: "postgres://kira:hunter2@127.0.0.1:1/kira?connect_timeout=1", Keyring: keyring}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, err := store.Open(t.Context(), tc.opts)
			if err == nil {
				st.Close()
				t.Fatal("Open succeeded")
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Fatalf("the error shows the password: %v", err)
			}
		})
	}
}

// verifyWorker records the verification jobs it works.
type verifyWorker struct {
	river.WorkerDefaults[jobs.VerifyUserArgs]
	done chan jobs.VerifyUserArgs
}

func (w *verifyWorker) Work(_ context.Context, job *river.Job[jobs.VerifyUserArgs]) error {
	w.done <- job.Args
	return nil
}

// TestRiverWorker runs a River client with a worker on the store's database, as the service
// does: a job queued in a transaction is worked once the transaction commits.
func TestRiverWorker(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b storetest.Backend) {
		st := b.Open(t, testKeyring(t), time.Now)
		worker := &verifyWorker{done: make(chan jobs.VerifyUserArgs, 1)}
		workers := river.NewWorkers()
		river.AddWorker(workers, worker)
		client, err := st.NewRiverClient(&river.Config{
			Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 2}},
			Workers:           workers,
			FetchCooldown:     10 * time.Millisecond,
			FetchPollInterval: 20 * time.Millisecond,
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := client.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := client.Stop(context.Background()); err != nil {
				t.Errorf("stop River: %v", err)
			}
		})

		tn := newTenant(t, st)
		job := kyc.VerificationJob{TenantID: tn.ID, UserID: uuid.NewString(), Attempt: 1}
		if err := st.InTx(t.Context(), func(tx kyc.Tx) error { return tx.EnqueueVerification(t.Context(), job) }); err != nil {
			t.Fatal(err)
		}
		select {
		case got := <-worker.done:
			if got != (jobs.VerifyUserArgs{TenantID: job.TenantID, UserID: job.UserID, Attempt: 1}) {
				t.Fatalf("worked %+v, want %+v", got, job)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the job was not worked")
		}
	})
}

func BenchmarkInsertUser(b *testing.B) {
	st := openURL(b, "sqlite:"+filepath.Join(b.TempDir(), "kira.db"), nil)
	tn := newTenant(b, st)
	ctx := context.Background()
	for b.Loop() {
		u := benchUser(tn.ID)
		if err := st.InTx(ctx, func(tx kyc.Tx) error { return tx.InsertUser(ctx, u) }); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGetUser(b *testing.B) {
	st := openURL(b, "sqlite:"+filepath.Join(b.TempDir(), "kira.db"), nil)
	tn := newTenant(b, st)
	ctx := context.Background()
	u := benchUser(tn.ID)
	if err := st.InTx(ctx, func(tx kyc.Tx) error { return tx.InsertUser(ctx, u) }); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := st.GetUser(ctx, tn.ID, u.ID); err != nil {
			b.Fatal(err)
		}
	}
}

func benchUser(tenantID string) *kyc.User {
	return &kyc.User{
		ID: uuid.NewString(), TenantID: tenantID, Type: kyc.Individual, Status: kyc.StatusCreated,
		Fields: kyc.Fields{
			Email: "ada@example.com", FirstName: "Ada", LastName: "Lovelace", BirthDate: "1985-12-10",
			SSN: "123-45-6789", AddressStreet: "1 Analytical Way", AddressCity: "San Francisco",
			AddressState: "CA", AddressZipCode: "94105", AddressCountry: "US",
		},
	}
}
