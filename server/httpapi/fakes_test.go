package httpapi_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kiraapi/kira/server/httpapi"
	"github.com/kiraapi/kira/server/kyc"
)

// fakeUsers is an httpapi.UserService whose methods are its function fields; a method whose field
// is nil fails the test that calls it.
type fakeUsers struct {
	t              *testing.T
	CreateUserFunc func(ctx context.Context, tenantID string, typ kyc.UserType, f kyc.Fields, redirectURI string) (*kyc.Result, error)
	GetUserFunc    func(ctx context.Context, tenantID, id string) (*kyc.User, error)
	UpdateUserFunc func(ctx context.Context, tenantID, id string, p kyc.Patch) (*kyc.Result, error)
}

var _ httpapi.UserService = (*fakeUsers)(nil)

func (f *fakeUsers) unexpected(name string) error {
	f.t.Errorf("unexpected call of UserService.%s", name)
	return errors.New("unexpected call")
}

func (f *fakeUsers) CreateUser(ctx context.Context, tenantID string, typ kyc.UserType, fields kyc.Fields, redirectURI string) (*kyc.Result, error) {
	if f.CreateUserFunc == nil {
		return nil, f.unexpected("CreateUser")
	}
	return f.CreateUserFunc(ctx, tenantID, typ, fields, redirectURI)
}

func (f *fakeUsers) GetUser(ctx context.Context, tenantID, id string) (*kyc.User, error) {
	if f.GetUserFunc == nil {
		return nil, f.unexpected("GetUser")
	}
	return f.GetUserFunc(ctx, tenantID, id)
}

func (f *fakeUsers) UpdateUser(ctx context.Context, tenantID, id string, p kyc.Patch) (*kyc.Result, error) {
	if f.UpdateUserFunc == nil {
		return nil, f.unexpected("UpdateUser")
	}
	return f.UpdateUserFunc(ctx, tenantID, id, p)
}

func (f *fakeUsers) ListUsers(context.Context, string, kyc.UserFilter) ([]*kyc.User, string, error) {
	return nil, "", f.unexpected("ListUsers")
}

func (f *fakeUsers) RedactUser(context.Context, string, string, kyc.RedactionReason) (*kyc.User, error) {
	return nil, f.unexpected("RedactUser")
}

func (f *fakeUsers) Review(context.Context, string, string, kyc.ReviewDecision) (*kyc.User, error) {
	return nil, f.unexpected("Review")
}

func (f *fakeUsers) CreateSession(context.Context, string, string, string) (*kyc.Session, error) {
	return nil, f.unexpected("CreateSession")
}

func (f *fakeUsers) ListSessions(context.Context, string, string) ([]*kyc.Session, error) {
	return nil, f.unexpected("ListSessions")
}

// MissingFields applies the seed's rules.
func (f *fakeUsers) MissingFields(u *kyc.User) []string {
	return kyc.MissingFields(kyc.SeedRequirements, u.Type, &u.Fields)
}

// memoryKeys is a kyc.Transactor whose transactions keep idempotency records in memory and do
// nothing else (any other method panics): enough for the idempotency middleware in front of a fake
// UserService.
type memoryKeys struct {
	records map[string]*kyc.IdempotencyRecord
}

func (m *memoryKeys) InTx(_ context.Context, fn func(kyc.Tx) error) error {
	return fn(memoryKeysTx{memoryKeys: m})
}

type memoryKeysTx struct {
	kyc.Tx
	*memoryKeys
}

func (m memoryKeysTx) ClaimIdempotencyKey(_ context.Context, rec *kyc.IdempotencyRecord) (*kyc.IdempotencyRecord, error) {
	return m.records[rec.TenantID+"/"+rec.KeyHash], nil
}

func (m memoryKeysTx) CompleteIdempotencyKey(_ context.Context, rec *kyc.IdempotencyRecord) error {
	m.records[rec.TenantID+"/"+rec.KeyHash] = rec
	return nil
}

// TestDomainErrorsAtTheEdge maps each kind of error a use case returns to its answer, with no
// database: the one table from codes to statuses, and an internal error that says nothing of
// itself (500 while ready, 503 with Retry-After while the readiness check fails).
func TestDomainErrorsAtTheEdge(t *testing.T) {
	t.Parallel()
	const id = "e9610a11-d514-4587-85dc-e18e2b461e55"
	secretCause := errors.New("pq: relation users: password=hunter2")
	tests := []struct {
		name       string
		err        error
		down       bool
		wantStatus int
		wantCode   string
	}{
		{"not found", &kyc.Error{Code: kyc.ENotFound, Message: "User not found."}, false, 404, "not_found"},
		{"invalid transition", &kyc.Error{Code: kyc.EInvalidTransition, Message: "No."}, false, 409, "invalid_transition"},
		{"attempts exhausted", &kyc.Error{Code: kyc.EAttemptsExhausted, Message: "No."}, false, 409, "verification_attempts_exhausted"},
		{"validation", &kyc.Error{Code: kyc.EInvalid, Message: "Bad.", Fields: []kyc.FieldError{{Field: "ssn", Message: "is wrong"}}}, false, 400, "validation_error"},
		{"internal", secretCause, false, 500, "internal_error"},
		{"internal while the database is down", secretCause, true, 503, "service_unavailable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			users := &fakeUsers{t: t, GetUserFunc: func(_ context.Context, tenantID, got string) (*kyc.User, error) {
				if tenantID != "t1" || got != id {
					t.Errorf("GetUser(%s, %s)", tenantID, got)
				}
				return nil, tt.err
			}}
			ready := func(context.Context) error { return nil }
			if tt.down {
				ready = func(context.Context) error { return errors.New("down") }
			}
			srv := serve(t, httpapi.Options{Users: users, Ready: ready})
			resp, raw := srv.Do(t, "GET", "/v1/users/"+id, creds, nil)
			body := decode[errorBody](t, raw)
			if resp.StatusCode != tt.wantStatus || body.Code != tt.wantCode {
				t.Errorf("%d %s, want %d %s", resp.StatusCode, raw, tt.wantStatus, tt.wantCode)
			}
			if tt.down && resp.Header.Get("Retry-After") == "" {
				t.Error("a 503 without Retry-After")
			}
			if tt.err == secretCause && (strings.Contains(string(raw), "hunter2") || strings.Contains(string(raw), "relation")) {
				t.Errorf("the internal error leaked: %s", raw)
			}
		})
	}
}

// TestConversionAtTheEdge checks, with no database, what reaches the use cases from a create and
// an update: every field, typed as the field table says, a pointer to false kept, and an update's
// patch naming what it sends in the table's order.
func TestConversionAtTheEdge(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 25, 20, 0, 0, 0, time.UTC)
	var created kyc.Fields
	var patched kyc.Patch
	users := &fakeUsers{t: t,
		CreateUserFunc: func(_ context.Context, _ string, typ kyc.UserType, f kyc.Fields, _ string) (*kyc.Result, error) {
			created = f
			return &kyc.Result{User: &kyc.User{ID: "e9610a11-d514-4587-85dc-e18e2b461e55", Type: typ, Status: kyc.StatusCreated, Fields: f, CreatedAt: now, UpdatedAt: now}}, nil
		},
		UpdateUserFunc: func(_ context.Context, _ string, id string, p kyc.Patch) (*kyc.Result, error) {
			patched = p
			u := &kyc.User{ID: id, Type: kyc.Business, Status: kyc.StatusCreated, Fields: kyc.Fields{Email: "a@example.com"}, CreatedAt: now, UpdatedAt: now}
			p.Apply(&u.Fields)
			return &kyc.Result{User: u, Updated: p.Names()}, nil
		},
	}
	srv := serve(t, httpapi.Options{Users: users, Store: &memoryKeys{records: map[string]*kyc.IdempotencyRecord{}}, Hasher: plainHasher{}})
	business := `{"type":"business","email":"finance@acme.example","business_legal_name":"Acme","formation_date":"2015-06-01",
		"ein":"12-3456789","metadata":{"crm":"7"},
		"associated_persons":[{"first_name":"Jane","last_name":"Roe","email":"jane@acme.example","ssn":"123-45-6789","is_signer":false,"ownership_percentage":25.5}]}`
	resp, raw := srv.Do(t, "POST", "/v1/users", withHeader(creds, "Idempotency-Key", "k"), business)
	if resp.StatusCode != 201 {
		t.Fatalf("create: %d %s", resp.StatusCode, raw)
	}
	p := created.AssociatedPersons
	if created.FormationDate != "2015-06-01" || created.EIN != "12-3456789" || created.Metadata["crm"] != "7" || len(p) != 1 ||
		p[0].SSN != "123-45-6789" || p[0].IsSigner == nil || *p[0].IsSigner || p[0].HasOwnership != nil || *p[0].OwnershipPercentage != 25.5 {
		t.Errorf("created fields: %+v", created)
	}
	if s := string(raw); !strings.Contains(s, `"ein_last4":"6789"`) || strings.Contains(s, "12-3456789") || !strings.Contains(s, `"ssn_last4":"6789"`) {
		t.Errorf("the response does not mask: %s", raw)
	}

	resp, raw = srv.Do(t, "PUT", "/v1/users/e9610a11-d514-4587-85dc-e18e2b461e55", creds,
		`{"representative_title":"Founder","metadata":{},"business_legal_name":"Acme 2"}`)
	if resp.StatusCode != 200 || strings.Join(patched.Names(), ",") != "metadata,business_legal_name,representative_title" {
		t.Errorf("update: %d %s, patch %v", resp.StatusCode, raw, patched.Names())
	}
	if !strings.Contains(string(raw), `"updated_fields":["metadata","business_legal_name","representative_title"]`) {
		t.Errorf("update response: %s", raw)
	}
}

// plainHasher "hashes" by joining purpose and value: the tests that use it store nothing.
type plainHasher struct{}

func (plainHasher) Hash(purpose, value string) string { return purpose + ":" + value }

// TestPanicUnderAnIdempotencyKey: a handler that panics inside the request's transaction still
// answers 500 in the error schema (the recovery's answer reaches the client), and keeps nothing.
func TestPanicUnderAnIdempotencyKey(t *testing.T) {
	t.Parallel()
	keys := &memoryKeys{records: map[string]*kyc.IdempotencyRecord{}}
	users := &fakeUsers{t: t, CreateUserFunc: func(context.Context, string, kyc.UserType, kyc.Fields, string) (*kyc.Result, error) {
		panic("boom")
	}}
	srv := serve(t, httpapi.Options{Users: users, Store: keys, Hasher: plainHasher{}})
	resp, raw := srv.Do(t, "POST", "/v1/users", withHeader(creds, "Idempotency-Key", "k"), `{"type":"individual","email":"a@example.com"}`)
	if resp.StatusCode != 500 || decode[errorBody](t, raw).Code != "internal_error" {
		t.Errorf("a panic: %d %s, want 500 internal_error", resp.StatusCode, raw)
	}
	if len(keys.records) != 0 {
		t.Errorf("a panicking request kept its key: %v", keys.records)
	}
}

func (f *fakeUsers) DocumentLink(string, string, string) (int64, string, bool) { return 0, "", false }

func (f *fakeUsers) OpenDocument(context.Context, string, string, int64, string) (*kyc.DocumentFile, error) {
	return nil, f.unexpected("OpenDocument")
}
