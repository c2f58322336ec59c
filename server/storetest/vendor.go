package storetest

import (
	"testing"
	"time"

	"github.com/kiraapi/kira/server/kyc"
)

// testVendorChecks: a vendor's check of an attempt is found by the attempt (tenant-scoped) and by
// the vendor's id (whatever the tenant); a second check of the attempt, or of the id, conflicts;
// an event id is claimed once, and a rolled-back claim is no claim.
func testVendorChecks(t *testing.T, st kyc.Store) {
	ctx := t.Context()
	tn, other := newTenant(t, st), newTenant(t, st)
	u := individual(tn.ID)
	insertUser(t, st, u)
	c := &kyc.VendorCheck{Provider: "persona", ID: "inq_1", TenantID: tn.ID, UserID: u.ID, Attempt: 1, CreatedAt: base}
	if err := st.InTx(ctx, func(tx kyc.Tx) error { return tx.InsertVendorCheck(ctx, c) }); err != nil {
		t.Fatal(err)
	}
	if got, err := st.VendorCheckFor(ctx, "persona", tn.ID, u.ID, 1); err != nil || *got != *c {
		t.Errorf("VendorCheckFor = %+v, %v; want %+v", got, err, c)
	}
	for _, miss := range []struct {
		provider, tenant string
		attempt          int
	}{{"persona", other.ID, 1}, {"persona", tn.ID, 2}, {"other", tn.ID, 1}} {
		if _, err := st.VendorCheckFor(ctx, miss.provider, miss.tenant, u.ID, miss.attempt); kyc.ErrorCode(err) != kyc.ENotFound {
			t.Errorf("VendorCheckFor(%v) = %v, want ENotFound", miss, err)
		}
	}
	err := st.InTx(ctx, func(tx kyc.Tx) error {
		got, err := tx.VendorCheckByID(ctx, "persona", "inq_1")
		if err != nil || *got != *c {
			t.Errorf("VendorCheckByID = %+v, %v", got, err)
		}
		if _, err := tx.VendorCheckByID(ctx, "persona", "inq_2"); kyc.ErrorCode(err) != kyc.ENotFound {
			t.Errorf("VendorCheckByID(unknown) = %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, dup := range []kyc.VendorCheck{{Provider: "persona", ID: "inq_1", TenantID: tn.ID, UserID: u.ID, Attempt: 2}, {Provider: "persona", ID: "inq_3", TenantID: tn.ID, UserID: u.ID, Attempt: 1}} {
		if err := st.InTx(ctx, func(tx kyc.Tx) error { return tx.InsertVendorCheck(ctx, &dup) }); kyc.ErrorCode(err) != kyc.EConflict {
			t.Errorf("InsertVendorCheck(%+v) = %v, want EConflict", dup, err)
		}
	}
	claim := func(id string, rollback bool) bool {
		t.Helper()
		var fresh bool
		err := st.InTx(ctx, func(tx kyc.Tx) error {
			var err error
			if fresh, err = tx.ClaimVendorEvent(ctx, "persona", id, base.Add(time.Minute)); err != nil || !rollback {
				return err
			}
			return kyc.Errorf(kyc.EConflict, "roll back")
		})
		if err != nil && !rollback {
			t.Fatal(err)
		}
		return fresh
	}
	if !claim("evt_rolled_back", true) || !claim("evt_rolled_back", false) {
		t.Error("a rolled-back claim kept the event")
	}
	if !claim("evt_1", false) || claim("evt_1", false) || claim("evt_rolled_back", false) {
		t.Error("an event was claimed twice")
	}
	// Received events are kept as long as the event log.
	if _, err := st.PruneEvents(ctx, base.Add(time.Minute)); err != nil || claim("evt_1", false) {
		t.Errorf("PruneEvents before the events were received: %v, or it dropped them", err)
	}
	if _, err := st.PruneEvents(ctx, base.Add(2*time.Minute)); err != nil || !claim("evt_1", false) {
		t.Errorf("PruneEvents after the events were received: %v, or it kept them", err)
	}
}
