package storetest

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/kiraapi/kira/server/kyc"
)

// newOperator stores an operator with a TOTP secret.
func newOperator(t *testing.T, st kyc.Store, email string) *kyc.Operator {
	t.Helper()
	o := &kyc.Operator{ID: uuid.NewString(), Email: email, PasswordHash: "$argon2id$v=19$m=1024,t=1,p=1$c2FsdA$a2V5",
		TOTPSecret: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", CreatedAt: base}
	if err := st.CreateOperator(t.Context(), o); err != nil {
		t.Fatalf("CreateOperator: %v", err)
	}
	return o
}

// testOperators: operators round-trip, by id and by email (in any case); an email is taken once;
// a TOTP step is accepted once and only moving forward; the TOTP secret is not in the database in
// the clear.
func testOperators(t *testing.T, st kyc.Store) {
	ctx := t.Context()
	o := newOperator(t, st, "ada@compliance.example")
	for _, get := range []func() (*kyc.Operator, error){
		func() (*kyc.Operator, error) { return st.OperatorByID(ctx, o.ID) },
		func() (*kyc.Operator, error) { return st.OperatorByEmail(ctx, "Ada@Compliance.example") },
	} {
		got, err := get()
		if err != nil || got.ID != o.ID || got.Email != o.Email || got.PasswordHash != o.PasswordHash || got.TOTPSecret != o.TOTPSecret || !got.CreatedAt.Equal(base) {
			t.Errorf("operator read back: %+v, %v", got, err)
		}
	}
	_, err := st.OperatorByEmail(ctx, "nobody@compliance.example")
	wantCode(t, err, kyc.ENotFound)
	err = st.CreateOperator(ctx, &kyc.Operator{ID: uuid.NewString(), Email: o.Email, PasswordHash: "x", CreatedAt: base})
	wantCode(t, err, kyc.EConflict)
	for _, step := range []struct {
		n    int64
		want bool
	}{{100, true}, {100, false}, {99, false}, {101, true}} {
		if got, err := st.AcceptTOTPStep(ctx, o.ID, step.n); err != nil || got != step.want {
			t.Errorf("AcceptTOTPStep(%d) = %v, %v; want %v", step.n, got, err, step.want)
		}
	}
	if in, ok := st.(Inspector); ok {
		raw, err := in.RawContents(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(raw, []byte(o.Email)) {
			t.Fatal("RawContents does not show the operator's email: the check would prove nothing")
		}
		if bytes.Contains(raw, []byte(o.TOTPSecret)) {
			t.Error("the database holds a TOTP secret in the clear")
		}
	}
}

// testOperatorSessionsAndTokens: sessions are found by their hash, touched, deleted with the
// expired ones; tokens are found by their hash, with their scopes.
func testOperatorSessionsAndTokens(t *testing.T, st kyc.Store) {
	ctx := t.Context()
	o := newOperator(t, st, "ada@compliance.example")
	live := &kyc.OperatorSession{TokenHash: "live", OperatorID: o.ID, CreatedAt: base, LastSeenAt: base, ExpiresAt: base.Add(time.Hour)}
	old := &kyc.OperatorSession{TokenHash: "old", OperatorID: o.ID, CreatedAt: base, LastSeenAt: base, ExpiresAt: base.Add(time.Minute)}
	for _, se := range []*kyc.OperatorSession{live, old} {
		if err := st.CreateOperatorSession(ctx, se); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.TouchOperatorSession(ctx, "live", base.Add(5*time.Minute)); err != nil {
		t.Fatal(err)
	}
	got, err := st.OperatorSession(ctx, "live")
	if err != nil || got.OperatorID != o.ID || !got.LastSeenAt.Equal(base.Add(5*time.Minute)) || !got.ExpiresAt.Equal(live.ExpiresAt) {
		t.Errorf("session read back: %+v, %v", got, err)
	}
	if err := st.DeleteOperatorSession(ctx, "none", base.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	_, err = st.OperatorSession(ctx, "old")
	wantCode(t, err, kyc.ENotFound)
	if _, err := st.OperatorSession(ctx, "live"); err != nil {
		t.Errorf("a live session was deleted: %v", err)
	}
	if err := st.DeleteOperatorSession(ctx, "live", base); err != nil {
		t.Fatal(err)
	}
	_, err = st.OperatorSession(ctx, "live")
	wantCode(t, err, kyc.ENotFound)

	tok := &kyc.OperatorToken{ID: uuid.NewString(), OperatorID: o.ID, TokenHash: "token hash", Scopes: []string{kyc.ScopeReviewDecide}, CreatedAt: base}
	if err := st.CreateOperatorToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	gotTok, err := st.OperatorTokenByHash(ctx, "token hash")
	if err != nil || gotTok.OperatorID != o.ID || !slices.Equal(gotTok.Scopes, tok.Scopes) {
		t.Errorf("token read back: %+v, %v", gotTok, err)
	}
	_, err = st.OperatorTokenByHash(ctx, "other hash")
	wantCode(t, err, kyc.ENotFound)
}

// testAuditTrail: entries are listed newest first, a page at a time; one appended in a
// transaction that rolls back is not kept.
func testAuditTrail(t *testing.T, st kyc.Store) {
	ctx := t.Context()
	o := newOperator(t, st, "ada@compliance.example")
	var want []string
	for i := range 5 {
		e := &kyc.AuditEntry{ID: kyc.NewID(), OperatorID: o.ID, Action: kyc.AuditReveal, TenantID: "t", UserID: "u", Field: "ssn",
			RequestID: "req", CreatedAt: base.Add(time.Duration(i) * time.Second)}
		if i == 0 {
			e.OperatorID, e.Action, e.TenantID, e.UserID, e.Field = "", kyc.AuditLoginFailed, "", "", ""
		}
		if err := st.AppendAudit(ctx, e); err != nil {
			t.Fatal(err)
		}
		want = append([]string{e.ID}, want...)
	}
	errRollback := errors.New("roll back")
	err := st.InTx(ctx, func(tx kyc.Tx) error {
		if err := tx.AppendAudit(ctx, &kyc.AuditEntry{ID: kyc.NewID(), Action: kyc.AuditLogin, RequestID: "req", CreatedAt: base.Add(time.Hour)}); err != nil {
			return err
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatal(err)
	}
	var got []string
	var last *kyc.AuditEntry
	cursor := ""
	for range 3 {
		page, next, err := st.ListAudit(ctx, cursor, 2)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page {
			got, last = append(got, e.ID), e
		}
		if cursor = next; cursor == "" {
			break
		}
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("audit trail %v, want %v", got, want)
	}
	if last == nil || last.Action != kyc.AuditLoginFailed || last.OperatorID != "" || last.TenantID != "" || last.RequestID != "req" {
		t.Errorf("the oldest entry read back: %+v", last)
	}
}

// testReviewQueue: the queue lists the users in REVIEW of every tenant, newest first, and no other.
func testReviewQueue(t *testing.T, st kyc.Store) {
	var want []string
	for i, tn := range []*kyc.Tenant{newTenant(t, st), newTenant(t, st)} {
		for j, status := range []kyc.Status{kyc.StatusReview, kyc.StatusVerified, kyc.StatusReview} {
			u := individual(tn.ID)
			u.Status, u.CreatedAt = status, base.Add(time.Duration(i*3+j)*time.Minute)
			insertUser(t, st, u)
			if status == kyc.StatusReview {
				want = append([]string{u.ID}, want...)
			}
		}
	}
	first, next, err := st.ReviewQueue(t.Context(), "", 3)
	if err != nil || next == "" {
		t.Fatalf("first page: %v, next %q", err, next)
	}
	rest, last, err := st.ReviewQueue(t.Context(), next, 3)
	if err != nil || last != "" {
		t.Fatalf("second page: %v, next %q", err, last)
	}
	if got := ids(append(first, rest...)); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("review queue %v, want %v", got, want)
	}
}
