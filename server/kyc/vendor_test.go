package kyc_test

import (
	"testing"
	"time"

	"github.com/kiraapi/kira/server/kyc"
)

// TestServiceApplyVendorDecision drives a vendor's decisions over memStore: an event is applied
// once; a vendor's review, then its final decision, resolve the attempt; a decision about an
// attempt the user has left, or a Pending one, changes nothing; an unknown check is ENotFound and
// claims nothing; an expiry sends the user back to CREATED with its reasons.
func TestServiceApplyVendorDecision(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st := newMemStore()
	svc := kyc.NewUserService(st, kyc.WithClock(func() time.Time { return time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC) }))
	create := func(checkID string) string {
		t.Helper()
		res, err := svc.CreateUser(ctx, "t1", kyc.Individual, seedIndividual(), "")
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.RecordVendorCheck(ctx, &kyc.VendorCheck{Provider: "v", ID: checkID, TenantID: "t1", UserID: res.User.ID, Attempt: 1}); err != nil {
			t.Fatal(err)
		}
		return res.User.ID
	}
	reasons := []kyc.Reason{{Reason: "r", DeveloperReason: "d"}}
	decision := func(s kyc.Status) func(*kyc.User) kyc.Decision {
		return func(*kyc.User) kyc.Decision { return kyc.Decision{Status: s, Reasons: reasons} }
	}
	steps := []struct {
		user, event string
		status      kyc.Status
		want        kyc.VendorOutcome
		after       kyc.Status
	}{
		{"a", "e1", kyc.StatusVerifying, kyc.VendorStale, kyc.StatusVerifying}, // Pending
		{"a", "e2", kyc.StatusReview, kyc.VendorApplied, kyc.StatusReview},
		{"a", "e2", kyc.StatusVerified, kyc.VendorDuplicate, kyc.StatusReview},
		{"a", "e3", kyc.StatusReview, kyc.VendorStale, kyc.StatusReview},
		{"a", "e4", kyc.StatusRejected, kyc.VendorApplied, kyc.StatusRejected},
		{"a", "e5", kyc.StatusVerified, kyc.VendorStale, kyc.StatusRejected},
		{"b", "e6", kyc.StatusCreated, kyc.VendorApplied, kyc.StatusCreated},
		{"b", "e7", kyc.StatusVerified, kyc.VendorStale, kyc.StatusCreated},
	}
	ids := map[string]string{"a": create("chk_a"), "b": create("chk_b")}
	for _, s := range steps {
		got, err := svc.ApplyVendorDecision(ctx, "v", s.event, "chk_"+s.user, decision(s.status))
		u, _ := svc.GetUser(ctx, "t1", ids[s.user])
		if err != nil || got != s.want || u.Status != s.after {
			t.Fatalf("%s %s: outcome %v, %v, user %s; want %v, %s", s.event, s.status, got, err, u.Status, s.want, s.after)
		}
	}
	if u, _ := svc.GetUser(ctx, "t1", ids["b"]); len(u.Reasons) != 1 {
		t.Errorf("an expired attempt's reasons: %+v", u.Reasons)
	}
	if _, err := svc.ApplyVendorDecision(ctx, "v", "e8", "chk_unknown", decision(kyc.StatusVerified)); kyc.ErrorCode(err) != kyc.ENotFound || st.claimed["e8"] {
		t.Errorf("unknown check: %v, claimed %v", err, st.claimed["e8"])
	}
	if got := eventTypes(st.events); got != "user.created,user.status_changed,user.created,user.status_changed,"+
		"user.status_changed,user.status_changed,user.verification.failed,user.status_changed" {
		t.Errorf("events %s", got)
	}
}
