package storetest

import (
	"errors"
	"net/http"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/kiraapi/kira/server/kyc"
)

// record builds the record of key for tenantID, expiring after ttl (a negative ttl is in the past).
func record(tenantID, key string, ttl time.Duration) *kyc.IdempotencyRecord {
	now := time.Now().UTC()
	return &kyc.IdempotencyRecord{TenantID: tenantID, KeyHash: key, Fingerprint: "fp-" + key, CreatedAt: now, ExpiresAt: now.Add(ttl)}
}

var errRollback = errors.New("roll back")

// claimOnce runs one request under rec's key: it claims the key and, when the claim is its own,
// runs work and stores response, committing unless work fails. It returns the live record the
// claim found instead (nil when the request ran) and work's or the store's error.
func claimOnce(t *testing.T, st kyc.Store, rec *kyc.IdempotencyRecord, response *kyc.IdempotencyRecord, work func(kyc.Tx) error) (*kyc.IdempotencyRecord, error) {
	t.Helper()
	var existing *kyc.IdempotencyRecord
	err := st.InTx(t.Context(), func(tx kyc.Tx) error {
		var err error
		if existing, err = tx.ClaimIdempotencyKey(t.Context(), rec); err != nil || existing != nil {
			return err
		}
		if work != nil {
			if err := work(tx); err != nil {
				return err
			}
		}
		return tx.CompleteIdempotencyKey(t.Context(), response)
	})
	return existing, err
}

func response(rec *kyc.IdempotencyRecord, status int, body string) *kyc.IdempotencyRecord {
	out := *rec
	out.Status, out.Body = status, []byte(body)
	out.Header = http.Header{"Location": {"/v1/users/u1"}, "Content-Type": {"application/json"}}
	return &out
}

func testIdempotencyClaimComplete(t *testing.T, st kyc.Store) {
	a, b := newTenant(t, st), newTenant(t, st)
	first := record(a.ID, "key", time.Hour)
	want := response(first, 201, `{"id":"u1","ssn_last4":"6789"}`)
	if existing, err := claimOnce(t, st, first, want, nil); err != nil || existing != nil {
		t.Fatalf("first claim: existing %+v, error %v", existing, err)
	}
	// A later request under the key, whatever its body, finds the committed record.
	second := record(a.ID, "key", time.Hour)
	second.Fingerprint = "other"
	existing, err := claimOnce(t, st, second, response(second, 500, `{}`), nil)
	if err != nil || existing == nil {
		t.Fatalf("second claim: existing %+v, error %v", existing, err)
	}
	if existing.Status != 201 || string(existing.Body) != string(want.Body) || !reflect.DeepEqual(existing.Header, want.Header) ||
		existing.Fingerprint != first.Fingerprint || !existing.ExpiresAt.Equal(first.ExpiresAt) {
		t.Fatalf("existing = %+v, want the first response %+v", existing, want)
	}
	// Keys are per tenant.
	other := record(b.ID, "key", time.Hour)
	if existing, err := claimOnce(t, st, other, response(other, 201, `{}`), nil); err != nil || existing != nil {
		t.Fatalf("another tenant's claim: existing %+v, error %v", existing, err)
	}
}

// testIdempotencyRollback: a request whose work fails leaves no record, nor any of its writes.
func testIdempotencyRollback(t *testing.T, st kyc.Store) {
	tn := newTenant(t, st)
	rec := record(tn.ID, "key", time.Hour)
	u := individual(tn.ID)
	_, err := claimOnce(t, st, rec, response(rec, 201, `{}`), func(tx kyc.Tx) error {
		if err := tx.InsertUser(t.Context(), u); err != nil {
			return err
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatalf("error = %v, want the work's", err)
	}
	wantCode(t, func() error { _, err := st.GetUser(t.Context(), tn.ID, u.ID); return err }(), kyc.ENotFound)
	if existing, err := claimOnce(t, st, rec, response(rec, 201, `{}`), nil); err != nil || existing != nil {
		t.Fatalf("retry: existing %+v, error %v; want the key free", existing, err)
	}
}

func testIdempotencyExpiry(t *testing.T, st kyc.Store) {
	tn := newTenant(t, st)
	expired := record(tn.ID, "key", -time.Second)
	if _, err := claimOnce(t, st, expired, response(expired, 200, `{"old":true}`), nil); err != nil {
		t.Fatal(err)
	}
	next := record(tn.ID, "key", time.Hour)
	next.Fingerprint = "new"
	if existing, err := claimOnce(t, st, next, response(next, 201, `{"new":true}`), nil); err != nil || existing != nil {
		t.Fatalf("claim of an expired key: existing %+v, error %v", existing, err)
	}
	existing, err := claimOnce(t, st, record(tn.ID, "key", time.Hour), nil, nil)
	if err != nil || existing == nil || existing.Fingerprint != "new" || string(existing.Body) != `{"new":true}` {
		t.Fatalf("existing = %+v (error %v), want the new record", existing, err)
	}
}

// testIdempotencyConcurrentClaims: of many requests under one key at once, one runs its work and
// every other finds its committed response; the work is done once.
func testIdempotencyConcurrentClaims(t *testing.T, st kyc.Store) {
	tn := newTenant(t, st)
	const n = 20
	type result struct {
		existing *kyc.IdempotencyRecord
		err      error
	}
	results := make([]result, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			rec := record(tn.ID, "contended", time.Hour)
			u := individual(tn.ID)
			<-start
			existing, err := claimOnce(t, st, rec, response(rec, 201, `{"id":"`+u.ID+`"}`), func(tx kyc.Tx) error {
				return tx.InsertUser(t.Context(), u)
			})
			results[i] = result{existing, err}
		})
	}
	close(start)
	wg.Wait()
	ran := 0
	var body string
	for _, r := range results {
		switch {
		case r.err != nil:
			t.Fatalf("claim: %v", r.err)
		case r.existing == nil:
			ran++
		case body == "":
			body = string(r.existing.Body)
		case string(r.existing.Body) != body:
			t.Fatalf("two responses kept for one key: %s and %s", body, r.existing.Body)
		}
	}
	users, _, err := st.ListUsers(t.Context(), tn.ID, kyc.UserFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if ran != 1 || len(users) != 1 || body != `{"id":"`+users[0].ID+`"}` {
		t.Fatalf("%d requests ran, %d users, replayed %s; want one of each", ran, len(users), body)
	}
}
