package store_test

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/kiraapi/kira/server/jobs"
	"github.com/kiraapi/kira/server/kyc"
	"github.com/kiraapi/kira/server/store"
	"github.com/kiraapi/kira/server/storetest"
)

// TestQueueStats queues a verification that nothing works and one due in an hour: the stats count
// each in its state, and the due one's age.
func TestQueueStats(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b storetest.Backend) {
		st := b.Open(t, testKeyring(t), time.Now)
		tn := newTenant(t, st)
		queue := func(runAt time.Time) {
			job := kyc.VerificationJob{TenantID: tn.ID, UserID: uuid.NewString(), Attempt: 1, RunAt: runAt}
			if err := st.InTx(t.Context(), func(tx kyc.Tx) error { return tx.EnqueueVerification(t.Context(), job) }); err != nil {
				t.Fatal(err)
			}
		}
		queue(time.Time{})
		queue(time.Now().Add(time.Hour))
		stats, err := st.QueueStats(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]store.QueueStat{}
		for _, s := range stats {
			if s.Kind == jobs.KindVerifyUser {
				got[s.State] = s
			}
		}
		if len(got) != 2 || got[store.JobAvailable].Jobs != 1 || got[store.JobScheduled].Jobs != 1 {
			t.Fatalf("stats %+v", stats)
		}
		if age := got[store.JobAvailable].OldestAge; age < 0 || age > time.Minute {
			t.Errorf("oldest available job's age %v", age)
		}
		pools := st.PoolStats()
		if len(pools) == 0 || pools[0].Max < 1 {
			t.Errorf("pool stats %+v", pools)
		}
	})
}
