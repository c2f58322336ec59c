package store

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"github.com/kiraapi/kira/server/jobs"
)

// OptimizeInterval is how often the planner's statistics are refreshed (Optimize).
const OptimizeInterval = time.Hour

// OptimizeWorker runs Optimize as a River job.
type OptimizeWorker struct {
	river.WorkerDefaults[jobs.OptimizeDatabaseArgs]
	Store *Store
}

// Work implements river.Worker.
func (w *OptimizeWorker) Work(ctx context.Context, _ *river.Job[jobs.OptimizeDatabaseArgs]) error {
	return w.Store.Optimize(ctx)
}

// PeriodicOptimize is the periodic job that queues Optimize every OptimizeInterval (River's
// leader queues it, so one replica does); Open runs it too.
func PeriodicOptimize() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(OptimizeInterval),
		func() (river.JobArgs, *river.InsertOpts) { return jobs.OptimizeDatabaseArgs{}, nil },
		&river.PeriodicJobOpts{ID: jobs.KindOptimizeDatabase})
}
