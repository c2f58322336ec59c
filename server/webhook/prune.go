package webhook

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/kiraapi/kira/server/jobs"
	"github.com/kiraapi/kira/server/kyc"
)

// DefaultRetention is how long events are kept.
const DefaultRetention = 30 * 24 * time.Hour

// PruneInterval is how often events past their retention are deleted.
const PruneInterval = time.Hour

// PruneWorker deletes the events older than Retention, with their deliveries and attempts.
type PruneWorker struct {
	river.WorkerDefaults[jobs.PruneEventsArgs]
	Store     kyc.DeliveryStore
	Retention time.Duration
	Now       func() time.Time
	Logger    *slog.Logger
}

// Work implements river.Worker.
func (w *PruneWorker) Work(ctx context.Context, _ *river.Job[jobs.PruneEventsArgs]) error {
	n, err := w.Store.PruneEvents(ctx, w.Now().Add(-w.Retention))
	if err != nil {
		return fmt.Errorf("prune events: %w", err)
	}
	if n > 0 {
		w.Logger.InfoContext(ctx, "pruned events past their retention", "events", n, "retention", w.Retention)
	}
	return nil
}

// PeriodicPrune is the periodic job that queues the pruning every PruneInterval (River's leader
// queues it, so one replica does).
func PeriodicPrune() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(PruneInterval),
		func() (river.JobArgs, *river.InsertOpts) { return jobs.PruneEventsArgs{}, nil },
		&river.PeriodicJobOpts{ID: jobs.KindPruneEvents})
}
