// Package retention erases, in the background, the users kept longer than the retention periods
// allow: those left CREATED and those REJECTED (kyc.UserService.EraseExpired). The event log has its
// own retention (server/webhook), which this does not change.
package retention

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/kiraapi/kira/server/jobs"
	"github.com/kiraapi/kira/server/kyc"
)

// Interval is how often users past their retention are looked for.
const Interval = time.Hour

// Worker erases the users past Retention, at most a batch per status on each run (see
// kyc.UserService.EraseExpired); the next run, an Interval later, goes on.
type Worker struct {
	river.WorkerDefaults[jobs.EraseExpiredUsersArgs]
	Users     *kyc.UserService
	Retention kyc.Retention
	Logger    *slog.Logger
}

// Work implements river.Worker.
func (w *Worker) Work(ctx context.Context, _ *river.Job[jobs.EraseExpiredUsersArgs]) error {
	n, err := w.Users.EraseExpired(ctx, w.Retention)
	if n > 0 {
		w.Logger.InfoContext(ctx, "erased users past their retention", "users", n,
			"created_retention", w.Retention.Created, "rejected_retention", w.Retention.Rejected)
	}
	if err != nil {
		return fmt.Errorf("erase expired users: %w", err)
	}
	return nil
}

// Periodic is the periodic job that queues the erasure every Interval (River's leader queues it,
// so one replica does).
func Periodic() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(Interval),
		func() (river.JobArgs, *river.InsertOpts) { return jobs.EraseExpiredUsersArgs{}, nil },
		&river.PeriodicJobOpts{ID: jobs.KindEraseExpiredUsers, RunOnStart: true})
}
