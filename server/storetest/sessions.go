package storetest

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/kiraapi/kira/server/kyc"
)

func newSession(tenantID, userID string, created time.Time) *kyc.Session {
	return &kyc.Session{
		ID: uuid.NewString(), TenantID: tenantID, UserID: userID, Type: "embedded-link", Status: kyc.SessionPending,
		RedirectURI: "https://app.test/done?x=1", ExpiresAt: created.Add(kyc.SessionTTL), CreatedAt: created,
	}
}

func testSessions(t *testing.T, st kyc.Store) {
	ctx := t.Context()
	tn := newTenant(t, st)
	other := newTenant(t, st)
	u := individual(tn.ID)
	insertUser(t, st, u)
	first, second := newSession(tn.ID, u.ID, base), newSession(tn.ID, u.ID, base.Add(time.Minute))
	err := st.InTx(ctx, func(tx kyc.Tx) error {
		if err := tx.InsertSession(ctx, first); err != nil {
			return err
		}
		if err := tx.ExpirePendingSessions(ctx, tn.ID, u.ID, base.Add(time.Minute)); err != nil {
			return err
		}
		return tx.InsertSession(ctx, second)
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := st.GetSession(ctx, second.ID)
	if err != nil || *got != *second {
		t.Fatalf("GetSession = %+v, %v; want %+v", got, err, second)
	}
	list, err := st.ListSessions(ctx, tn.ID, u.ID)
	if err != nil || len(list) != 2 || list[0].ID != second.ID || list[1].Status != kyc.SessionExpired || list[0].Status != kyc.SessionPending {
		t.Fatalf("ListSessions = %+v, %v", list, err)
	}
	if list, err := st.ListSessions(ctx, other.ID, u.ID); err != nil || len(list) != 0 {
		t.Errorf("another tenant lists %d sessions, %v", len(list), err)
	}
	done := base.Add(2 * time.Minute)
	err = st.InTx(ctx, func(tx kyc.Tx) error {
		se, err := tx.GetSessionForUpdate(ctx, second.ID)
		if err != nil {
			return err
		}
		se.Status, se.CompletedAt = kyc.SessionCompleted, done
		return tx.UpdateSession(ctx, se)
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := st.GetSession(ctx, second.ID); err != nil || got.Status != kyc.SessionCompleted || !got.CompletedAt.Equal(done) {
		t.Errorf("after completion: %+v, %v", got, err)
	}
	if _, err := st.GetSession(ctx, uuid.NewString()); kyc.ErrorCode(err) != kyc.ENotFound {
		t.Errorf("unknown session: %v", err)
	}
}
