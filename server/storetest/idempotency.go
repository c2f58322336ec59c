package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/kiraapi/kira/server/kyc"
)

// claim builds a claim of key for a new token, expiring after ttl and locked for lock (negative
// durations are in the past).
func claim(tenantID, key string, ttl, lock time.Duration) *kyc.IdempotencyRecord {
	now := time.Now().UTC()
	return &kyc.IdempotencyRecord{
		TenantID: tenantID, KeyHash: key, Fingerprint: "fp-" + key, Token: uuid.NewString(),
		State: kyc.IdempotencyInFlight, CreatedAt: now, ExpiresAt: now.Add(ttl), LockedUntil: now.Add(lock),
	}
}

// mustClaim claims rec and fails the test unless the outcome is claimed.
func mustClaim(t *testing.T, st kyc.Store, rec *kyc.IdempotencyRecord, claimed bool) *kyc.IdempotencyRecord {
	t.Helper()
	existing, ok, err := st.ClaimIdempotencyKey(t.Context(), rec)
	if err != nil {
		t.Fatalf("ClaimIdempotencyKey: %v", err)
	}
	if ok != claimed {
		t.Fatalf("claimed = %v, want %v", ok, claimed)
	}
	if claimed != (existing == nil) {
		t.Fatalf("claimed = %v with existing record %+v", ok, existing)
	}
	return existing
}

func testIdempotencyClaimComplete(t *testing.T, st kyc.Store) {
	ctx := t.Context()
	a, b := newTenant(t, st), newTenant(t, st)
	first := claim(a.ID, "key", time.Hour, time.Minute)
	mustClaim(t, st, first, true)

	second := claim(a.ID, "key", time.Hour, time.Minute)
	second.Fingerprint = "other"
	existing := mustClaim(t, st, second, false)
	if existing.State != kyc.IdempotencyInFlight || existing.Token != first.Token || existing.Fingerprint != first.Fingerprint || existing.Body != nil {
		t.Fatalf("existing = %+v, want first's in-flight claim", existing)
	}
	mustClaim(t, st, claim(b.ID, "key", time.Hour, time.Minute), true) // keys are per tenant

	wantCode(t, st.CompleteIdempotencyKey(ctx, a.ID, "key", second.Token, 201, []byte(`{"stolen":true}`)), kyc.EConflict)
	body := []byte(`{"id":"u1","ssn_last4":"6789"}`)
	if err := st.CompleteIdempotencyKey(ctx, a.ID, "key", first.Token, 201, body); err != nil {
		t.Fatalf("CompleteIdempotencyKey: %v", err)
	}
	existing = mustClaim(t, st, claim(a.ID, "key", time.Hour, time.Minute), false)
	if existing.State != kyc.IdempotencyCompleted || existing.Status != 201 || string(existing.Body) != string(body) ||
		existing.Token != first.Token || existing.Fingerprint != first.Fingerprint ||
		!existing.ExpiresAt.Equal(first.ExpiresAt.Truncate(time.Microsecond)) {
		t.Fatalf("existing = %+v, want first's completed record", existing)
	}
	// A completed key can be neither completed again nor released.
	wantCode(t, st.CompleteIdempotencyKey(ctx, a.ID, "key", first.Token, 500, nil), kyc.EConflict)
	if err := st.ReleaseIdempotencyKey(ctx, a.ID, "key", first.Token); err != nil {
		t.Fatalf("ReleaseIdempotencyKey: %v", err)
	}
	if existing = mustClaim(t, st, claim(a.ID, "key", time.Hour, time.Minute), false); existing.State != kyc.IdempotencyCompleted {
		t.Fatalf("releasing a completed key changed it: %+v", existing)
	}
}

func testIdempotencyRelease(t *testing.T, st kyc.Store) {
	ctx := t.Context()
	tn := newTenant(t, st)
	first := claim(tn.ID, "key", time.Hour, time.Minute)
	mustClaim(t, st, first, true)
	if err := st.ReleaseIdempotencyKey(ctx, tn.ID, "key", uuid.NewString()); err != nil {
		t.Fatalf("release with another token: %v", err)
	}
	mustClaim(t, st, claim(tn.ID, "key", time.Hour, time.Minute), false)
	if err := st.ReleaseIdempotencyKey(ctx, tn.ID, "key", first.Token); err != nil {
		t.Fatalf("ReleaseIdempotencyKey: %v", err)
	}
	mustClaim(t, st, claim(tn.ID, "key", time.Hour, time.Minute), true)
}

func testIdempotencyExpiry(t *testing.T, st kyc.Store) {
	ctx := t.Context()
	tn := newTenant(t, st)
	expired := claim(tn.ID, "key", -time.Second, time.Minute)
	mustClaim(t, st, expired, true)
	if err := st.CompleteIdempotencyKey(ctx, tn.ID, "key", expired.Token, 200, []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	next := claim(tn.ID, "key", time.Hour, time.Minute)
	next.Fingerprint = "new"
	mustClaim(t, st, next, true)
	existing := mustClaim(t, st, claim(tn.ID, "key", time.Hour, time.Minute), false)
	if existing.Token != next.Token || existing.State != kyc.IdempotencyInFlight || existing.Fingerprint != "new" ||
		existing.Status != 0 || existing.Body != nil {
		t.Fatalf("existing = %+v, want the new in-flight claim", existing)
	}
}

func testIdempotencyStaleLock(t *testing.T, st kyc.Store) {
	ctx := t.Context()
	tn := newTenant(t, st)
	stale := claim(tn.ID, "key", time.Hour, -time.Second)
	mustClaim(t, st, stale, true)
	takeover := claim(tn.ID, "key", time.Hour, time.Minute)
	mustClaim(t, st, takeover, true)
	// The request that lost its claim can neither complete nor release the key.
	wantCode(t, st.CompleteIdempotencyKey(ctx, tn.ID, "key", stale.Token, 200, []byte(`{}`)), kyc.EConflict)
	if err := st.ReleaseIdempotencyKey(ctx, tn.ID, "key", stale.Token); err != nil {
		t.Fatal(err)
	}
	if existing := mustClaim(t, st, claim(tn.ID, "key", time.Hour, time.Minute), false); existing.Token != takeover.Token {
		t.Fatalf("existing token = %s, want the takeover's", existing.Token)
	}

	// A completed key is kept until it expires, though its lock has run out.
	done := claim(tn.ID, "done", time.Hour, -time.Second)
	mustClaim(t, st, done, true)
	if err := st.CompleteIdempotencyKey(ctx, tn.ID, "done", done.Token, 200, []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	if existing := mustClaim(t, st, claim(tn.ID, "done", time.Hour, time.Minute), false); existing.State != kyc.IdempotencyCompleted {
		t.Fatalf("existing = %+v, want the completed record", existing)
	}
}

func testIdempotencyConcurrentClaims(t *testing.T, st kyc.Store) {
	tn := newTenant(t, st)
	const n = 50
	type result struct {
		rec      *kyc.IdempotencyRecord
		existing *kyc.IdempotencyRecord
		claimed  bool
		err      error
	}
	results := make([]result, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			rec := claim(tn.ID, "contended", time.Hour, time.Minute)
			<-start
			existing, claimed, err := st.ClaimIdempotencyKey(t.Context(), rec)
			results[i] = result{rec, existing, claimed, err}
		})
	}
	close(start)
	wg.Wait()
	var winner *kyc.IdempotencyRecord
	for _, r := range results {
		if r.err != nil {
			t.Fatalf("ClaimIdempotencyKey: %v", r.err)
		}
		if r.claimed {
			if winner != nil {
				t.Fatal("two requests claimed the same key")
			}
			winner = r.rec
		}
	}
	if winner == nil {
		t.Fatal("no request claimed the key")
	}
	for _, r := range results {
		if !r.claimed && (r.existing.State != kyc.IdempotencyInFlight || r.existing.Token != winner.Token) {
			t.Fatalf("a loser saw %+v, want the winner's in-flight claim", r.existing)
		}
	}
}
