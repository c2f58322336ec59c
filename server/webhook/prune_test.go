package webhook

import (
	"log/slog"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/kiraapi/kira/server/jobs"
)

func TestPruneWorkerDeletesWhatIsPastTheRetention(t *testing.T) {
	t.Parallel()
	store := &fakeDeliveries{}
	w := &PruneWorker{Store: store, Retention: DefaultRetention, Now: func() time.Time { return testNow }, Logger: slog.New(slog.DiscardHandler)}
	if err := w.Work(t.Context(), &river.Job[jobs.PruneEventsArgs]{JobRow: &rivertype.JobRow{}}); err != nil {
		t.Fatal(err)
	}
	if want := testNow.Add(-30 * 24 * time.Hour); !store.prunedUntil.Equal(want) {
		t.Errorf("pruned until %s, want %s", store.prunedUntil, want)
	}
}
