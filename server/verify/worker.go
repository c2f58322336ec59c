package verify

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/kiraapi/kira/server/jobs"
	"github.com/kiraapi/kira/server/kyc"
)

// Worker decides queued verification attempts: it asks the provider about the user and records
// the decision. It runs as a River job on the users' database, so an attempt queued before a crash
// is decided after the restart. A provider error is retried by River with backoff.
type Worker struct {
	river.WorkerDefaults[jobs.VerifyUserArgs]
	Users    Decisions
	Provider kyc.Provider
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger receives a line per decision, with ids only; nil logs nothing.
	Logger *slog.Logger
	// Metrics, when set, records each decision.
	Metrics DecisionObserver
}

// DecisionObserver records verification decisions (metrics.Metrics): the outcome is the user's
// new status, verifying how long the user was VERIFYING (since the attempt was queued).
type DecisionObserver interface {
	ObserveDecision(outcome string, verifying time.Duration)
}

// Decisions is what the worker needs of the user use cases: kyc.UserService, or a fake in tests.
type Decisions interface {
	GetUser(ctx context.Context, tenantID, id string) (*kyc.User, error)
	ApplyDecision(ctx context.Context, tenantID, userID string, attempt int, d kyc.Decision) error
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
	if err := w.Users.ApplyDecision(ctx, a.TenantID, a.UserID, a.Attempt, d); err != nil {
		return err
	}
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	verifying := now().Sub(job.CreatedAt)
	if w.Metrics != nil {
		w.Metrics.ObserveDecision(string(d.Status), verifying)
	}
	if w.Logger != nil {
		w.Logger.InfoContext(ctx, "verification decided", "tenant_id", a.TenantID, "user_id", a.UserID,
			"attempt", a.Attempt, "outcome", d.Status, "verifying", verifying.Round(time.Millisecond).String())
	}
	return nil
}
