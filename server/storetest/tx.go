package storetest

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/kiraapi/kira/server/kyc"
)

func testInTxRollback(t *testing.T, st kyc.Store) {
	in := inspector(t, st)
	tn := newTenant(t, st)
	u := individual(tn.ID)
	boom := errors.New("boom")
	err := st.InTx(t.Context(), func(tx kyc.Tx) error {
		if err := tx.InsertUser(t.Context(), u); err != nil {
			return err
		}
		if err := tx.AppendEvent(t.Context(), newEvent(t, u)); err != nil {
			return err
		}
		if err := tx.EnqueueVerification(t.Context(), kyc.VerificationJob{TenantID: tn.ID, UserID: u.ID, Attempt: 1}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx = %v, want fn's error", err)
	}
	_, err = st.GetUser(t.Context(), tn.ID, u.ID)
	wantCode(t, err, kyc.ENotFound)
	if events, err := in.Events(t.Context(), tn.ID); err != nil || len(events) != 0 {
		t.Fatalf("events after rollback = %d, %v", len(events), err)
	}
	if jobs, err := in.QueuedVerifications(t.Context(), tn.ID); err != nil || len(jobs) != 0 {
		t.Fatalf("jobs after rollback = %v, %v", jobs, err)
	}

	// A failing statement rolls back the ones before it.
	first := individual(tn.ID)
	err = st.InTx(t.Context(), func(tx kyc.Tx) error {
		if err := tx.InsertUser(t.Context(), first); err != nil {
			return err
		}
		return tx.InsertUser(t.Context(), first)
	})
	wantCode(t, err, kyc.EConflict)
	_, err = st.GetUser(t.Context(), tn.ID, first.ID)
	wantCode(t, err, kyc.ENotFound)
}

func newEvent(t *testing.T, u *kyc.User) *kyc.Event {
	t.Helper()
	e, err := kyc.NewEvent(uuid.NewString(), u.TenantID, kyc.EventUserCreated, u.ID, base,
		map[string]any{"user_id": u.ID, "email": u.Fields.Email, "status": u.Status})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func testAppendEvent(t *testing.T, st kyc.Store) {
	in := inspector(t, st)
	tn := newTenant(t, st)
	u := individual(tn.ID)
	e := newEvent(t, u)
	err := st.InTx(t.Context(), func(tx kyc.Tx) error {
		if err := tx.InsertUser(t.Context(), u); err != nil {
			return err
		}
		return tx.AppendEvent(t.Context(), e)
	})
	if err != nil {
		t.Fatalf("AppendEvent: %v", err)
	}
	events, err := in.Events(t.Context(), tn.ID)
	if err != nil || len(events) != 1 {
		t.Fatalf("events = %d, %v; want 1", len(events), err)
	}
	got := events[0]
	if got.ID != e.ID || got.TenantID != tn.ID || got.Type != kyc.EventUserCreated || got.UserID != u.ID {
		t.Fatalf("event = %+v, want %+v", got, e)
	}
	var gotPayload, wantPayload any
	if err := json.Unmarshal(got.Payload, &gotPayload); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(e.Payload, &wantPayload); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gotPayload, wantPayload) {
		t.Fatalf("payload = %s, want %s", got.Payload, e.Payload)
	}

	err = st.InTx(t.Context(), func(tx kyc.Tx) error { return tx.AppendEvent(t.Context(), e) })
	wantCode(t, err, kyc.EConflict)
	bad := newEvent(t, u)
	bad.Payload = []byte("{not json")
	if err := st.InTx(t.Context(), func(tx kyc.Tx) error { return tx.AppendEvent(t.Context(), bad) }); err == nil {
		t.Fatal("AppendEvent accepted a payload that is not JSON")
	}
}

func testEnqueueVerification(t *testing.T, st kyc.Store) {
	in := inspector(t, st)
	tn := newTenant(t, st)
	u := individual(tn.ID)
	insertUser(t, st, u)
	enqueue := func(attempt int, err error) error {
		return st.InTx(t.Context(), func(tx kyc.Tx) error {
			if e := tx.EnqueueVerification(t.Context(), kyc.VerificationJob{TenantID: tn.ID, UserID: u.ID, Attempt: attempt}); e != nil {
				return e
			}
			return err
		})
	}
	for _, attempt := range []int{1, 1, 2} { // the same attempt twice is queued once
		if err := enqueue(attempt, nil); err != nil {
			t.Fatalf("EnqueueVerification(%d): %v", attempt, err)
		}
	}
	boom := errors.New("boom")
	if err := enqueue(3, boom); !errors.Is(err, boom) {
		t.Fatalf("InTx = %v, want fn's error", err)
	}
	jobs, err := in.QueuedVerifications(t.Context(), tn.ID)
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(jobs, func(a, b kyc.VerificationJob) int { return a.Attempt - b.Attempt })
	want := []kyc.VerificationJob{{TenantID: tn.ID, UserID: u.ID, Attempt: 1}, {TenantID: tn.ID, UserID: u.ID, Attempt: 2}}
	if !slices.Equal(jobs, want) {
		t.Fatalf("queued = %+v, want %+v", jobs, want)
	}
}
