package kyc_test

import (
	"context"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kiraapi/kira/server/kyc"
)

// memStore is a kyc.UserStore in memory, for testing the user use cases without a database. A
// transaction works on copies and commits them when its function returns nil. Webhook endpoints
// are its subscribed field; sessions and idempotency records are not kept.
type memStore struct {
	users      map[string]kyc.User
	events     []*kyc.Event
	deliveries []*kyc.Delivery
	jobs       []kyc.VerificationJob
	subscribed []string                   // endpoint ids that take every event
	checks     map[string]kyc.VendorCheck // by the vendor's id
	claimed    map[string]bool            // vendor event ids
}

func newMemStore() *memStore {
	return &memStore{users: map[string]kyc.User{}, checks: map[string]kyc.VendorCheck{}, claimed: map[string]bool{}}
}

func (m *memStore) InTx(ctx context.Context, fn func(kyc.Tx) error) error {
	tx := &memTx{users: maps.Clone(m.users), checks: maps.Clone(m.checks), claimed: maps.Clone(m.claimed), store: m}
	if err := fn(tx); err != nil {
		return err
	}
	m.users, m.checks, m.claimed = tx.users, tx.checks, tx.claimed
	m.events = append(m.events, tx.events...)
	m.deliveries = append(m.deliveries, tx.deliveries...)
	m.jobs = append(m.jobs, tx.jobs...)
	return nil
}

func (m *memStore) GetUser(_ context.Context, tenantID, id string) (*kyc.User, error) {
	u, ok := m.users[id]
	if !ok || u.TenantID != tenantID {
		return nil, &kyc.Error{Code: kyc.ENotFound, Message: "User not found."}
	}
	return &u, nil
}

func (m *memStore) ListUsers(context.Context, string, kyc.UserFilter) ([]*kyc.User, string, error) {
	panic("not used")
}

func (m *memStore) RetentionDue(context.Context, kyc.Status, time.Time, int) ([]kyc.UserRef, error) {
	panic("not used")
}

func (m *memStore) ListSessions(context.Context, string, string) ([]*kyc.Session, error) {
	panic("not used")
}

func (m *memStore) GetSession(context.Context, string) (*kyc.Session, error) { panic("not used") }
func (m *memStore) VendorCheckFor(context.Context, string, string, string, int) (*kyc.VendorCheck, error) {
	panic("not used")
}

// GetDocument finds the document among the users' fields, whose Content the memory store keeps.
func (m *memStore) GetDocument(_ context.Context, userID, docID string) (*kyc.DocumentFile, error) {
	if u, ok := m.users[userID]; ok {
		for _, d := range u.Fields.Documents() {
			if d.ID == docID && d.Content != nil {
				return &kyc.DocumentFile{TenantID: u.TenantID, UserID: userID, ID: docID, ContentType: d.ContentType, Content: d.Content}, nil
			}
		}
	}
	return nil, kyc.Errorf(kyc.ENotFound, "no such document")
}

// memTx is a transaction of memStore; the methods the user use cases do not call panic through
// the nil embedded interface.
type memTx struct {
	kyc.Tx
	store      *memStore
	users      map[string]kyc.User
	events     []*kyc.Event
	deliveries []*kyc.Delivery
	jobs       []kyc.VerificationJob
	checks     map[string]kyc.VendorCheck
	claimed    map[string]bool
	audit      []*kyc.AuditEntry
}

func (tx *memTx) GetUserForUpdate(ctx context.Context, tenantID, id string) (*kyc.User, error) {
	u, ok := tx.users[id]
	if !ok || u.TenantID != tenantID {
		return nil, &kyc.Error{Code: kyc.ENotFound, Message: "User not found."}
	}
	return &u, nil
}

func (tx *memTx) InsertUser(_ context.Context, u *kyc.User) error { tx.users[u.ID] = *u; return nil }
func (tx *memTx) UpdateUser(_ context.Context, u *kyc.User) error { tx.users[u.ID] = *u; return nil }
func (tx *memTx) AppendEvent(_ context.Context, e *kyc.Event) error {
	tx.events = append(tx.events, e)
	return nil
}
func (tx *memTx) SubscribedEndpoints(context.Context, string, kyc.EventType) ([]string, error) {
	return tx.store.subscribed, nil
}
func (tx *memTx) QueueDelivery(_ context.Context, d *kyc.Delivery) error {
	tx.deliveries = append(tx.deliveries, d)
	return nil
}
func (tx *memTx) EnqueueVerification(_ context.Context, j kyc.VerificationJob) error {
	tx.jobs = append(tx.jobs, j)
	return nil
}

func (tx *memTx) InsertVendorCheck(_ context.Context, c *kyc.VendorCheck) error {
	tx.checks[c.ID] = *c
	return nil
}

func (tx *memTx) VendorCheckByID(_ context.Context, _, id string) (*kyc.VendorCheck, error) {
	c, ok := tx.checks[id]
	if !ok {
		return nil, kyc.Errorf(kyc.ENotFound, "Vendor check not found.")
	}
	return &c, nil
}

func (tx *memTx) ClaimVendorEvent(_ context.Context, _, id string, _ time.Time) (bool, error) {
	fresh := !tx.claimed[id]
	tx.claimed[id] = true
	return fresh, nil
}

func (tx *memTx) RedactUser(_ context.Context, u *kyc.User) error { tx.users[u.ID] = *u; return nil }
func (tx *memTx) ExpirePendingSessions(context.Context, string, string, time.Time) error {
	return nil
}
func (tx *memTx) AppendAudit(_ context.Context, e *kyc.AuditEntry) error {
	tx.audit = append(tx.audit, e)
	return nil
}

func eventTypes(events []*kyc.Event) string {
	var types []string
	for _, e := range events {
		types = append(types, string(e.Type))
	}
	return strings.Join(types, ",")
}

// TestServiceCreateAndUpdate drives the user use cases over memStore: what each step writes, in
// one transaction, and what it publishes and queues.
func TestServiceCreateAndUpdate(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st := newMemStore()
	st.subscribed = []string{"endpoint-1"}
	now := time.Date(2026, 11, 25, 20, 0, 0, 0, time.UTC)
	svc := kyc.NewUserService(st, kyc.WithClock(func() time.Time { return now }))

	res, err := svc.CreateUser(ctx, "t1", kyc.Individual, seedIndividual(), "")
	if err != nil || !res.Triggered || res.User.Status != kyc.StatusVerifying {
		t.Fatalf("create = %+v, %v", res, err)
	}
	if got := eventTypes(st.events); got != "user.created,user.status_changed" || len(st.deliveries) != 2 || len(st.jobs) != 1 {
		t.Fatalf("create wrote events %s, %d deliveries, %d jobs", got, len(st.deliveries), len(st.jobs))
	}
	for i, d := range st.deliveries {
		if d.EventID != st.events[i].ID || d.EndpointID != "endpoint-1" || d.Status != kyc.DeliveryPending {
			t.Errorf("delivery %d = %+v", i, d)
		}
	}
	id := res.User.ID

	// In VERIFYING nothing can change, and a refused update writes nothing.
	var p kyc.Patch
	if err := p.Set("last_name", "Roe"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.UpdateUser(ctx, "t1", id, p); kyc.ErrorCode(err) != kyc.EInvalidTransition {
		t.Fatalf("update while VERIFYING = %v", err)
	}
	if err := svc.ApplyDecision(ctx, "t1", id, 1, kyc.Decision{Status: kyc.StatusVerified}); err != nil {
		t.Fatal(err)
	}
	events, jobs := len(st.events), len(st.jobs)

	// Unchanged values: nothing changes, nothing is written.
	var same kyc.Patch
	if err := same.Set("ssn", "123-45-6789"); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Minute)
	res, err = svc.UpdateUser(ctx, "t1", id, same)
	if err != nil || len(res.Updated) != 0 || !res.User.UpdatedAt.Equal(now.Add(-time.Minute)) || len(st.events) != events {
		t.Fatalf("update with the same SSN = %+v, %v", res, err)
	}
	// A changed identity re-verifies the verified user.
	res, err = svc.UpdateUser(ctx, "t1", id, p)
	if err != nil || !res.Reverify || !res.Triggered || res.User.Status != kyc.StatusVerifying || !slices.Equal(res.Updated, []string{"last_name"}) {
		t.Fatalf("identity change of a verified user = %+v, %v", res, err)
	}
	if len(st.jobs) != jobs+1 || st.jobs[len(st.jobs)-1].Attempt != 2 {
		t.Fatalf("jobs = %+v", st.jobs)
	}
	if u, _ := st.GetUser(ctx, "t1", id); u.Fields.LastName != "Roe" || u.Status != kyc.StatusVerifying {
		t.Fatalf("stored user = %+v", u)
	}
}

// TestServiceRedactUser erases a VERIFYING user over memStore: the tombstone keeps its status and
// attempts, loses every field, one user.redacted event is published, the pending decision changes
// nothing, and erasing again changes nothing.
func TestServiceRedactUser(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st := newMemStore()
	now := time.Date(2026, 11, 25, 20, 0, 0, 0, time.UTC)
	svc := kyc.NewUserService(st, kyc.WithClock(func() time.Time { return now }))
	res, err := svc.CreateUser(ctx, "t1", kyc.Individual, seedIndividual(), "")
	if err != nil {
		t.Fatal(err)
	}
	id := res.User.ID
	now = now.Add(time.Hour)
	u, err := svc.RedactUser(ctx, "t1", id, kyc.RedactedOnRequest)
	if err != nil || !u.Redacted() || !u.RedactedAt.Equal(now) || u.Status != kyc.StatusVerifying || u.Attempts != 1 ||
		!reflect.DeepEqual(u.Fields, kyc.Fields{}) {
		t.Fatalf("redact = %+v, %v", u, err)
	}
	if got := eventTypes(st.events); got != "user.created,user.status_changed,user.redacted" {
		t.Fatalf("events %s", got)
	}
	if err := svc.ApplyDecision(ctx, "t1", id, 1, kyc.Decision{Status: kyc.StatusVerified}); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Hour)
	again, err := svc.RedactUser(ctx, "t1", id, kyc.RedactedOnRequest)
	if err != nil || !again.RedactedAt.Equal(u.RedactedAt) || again.Status != kyc.StatusVerifying || len(st.events) != 3 {
		t.Fatalf("after a decision and a second redaction: %+v, %v, %d events", again, err, len(st.events))
	}
	var p kyc.Patch
	if err := p.Set("email", "back@example.com"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.UpdateUser(ctx, "t1", id, p); kyc.ErrorCode(err) != kyc.EInvalidTransition {
		t.Fatalf("update of a redacted user = %v", err)
	}
}
