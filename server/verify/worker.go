package verify

import (
	"context"
	"fmt"

	"github.com/riverqueue/river"

	"github.com/kiraapi/kira/server/jobs"
	"github.com/kiraapi/kira/server/kyc"
)

// Worker decides queued verification attempts: it asks the provider about the user and records
// the decision. It runs as a River job on the users' database, so an attempt queued before a crash
// is decided after the restart. A provider error is retried by River with backoff.
type Worker struct {
	river.WorkerDefaults[jobs.VerifyUserArgs]
	Users    *kyc.Service
	Provider kyc.Provider
}

// Work implements river.Worker.
func (w *Worker) Work(ctx context.Context, job *river.Job[jobs.VerifyUserArgs]) error {
	a := job.Args
	u, err := w.Users.GetUser(ctx, a.TenantID, a.UserID)
	if kyc.ErrorCode(err) == kyc.ENotFound {
		return river.JobCancel(fmt.Errorf("verify user: %w", err))
	}
	if err != nil {
		return err
	}
	if u.Status != kyc.StatusVerifying || u.Attempts != a.Attempt || u.Redacted() {
		return nil // a stale attempt: the user has moved on, or was redacted (its attempt is cancelled)
	}
	d, err := w.Provider.Decide(ctx, u)
	if err != nil {
		return fmt.Errorf("verification provider: %w", err)
	}
	return w.Users.ApplyDecision(ctx, a.TenantID, a.UserID, a.Attempt, d)
}
