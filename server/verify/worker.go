package verify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/kiraapi/kira/server/jobs"
	"github.com/kiraapi/kira/server/kyc"
)

// Worker decides queued verification attempts: it asks the provider about the user and records
// the decision. It runs as a River job on the users' database, so an attempt queued before a crash
// is decided after the restart. A provider error is retried by River with backoff; a
// *kyc.RetryAfterError after its delay. A kyc.Pending decision (a vendor that calls back) snoozes
// the job on Poll's schedule: it asks the provider again, polling, until the attempt is decided
// (by the provider, or by the vendor's webhook, after which the job finds the attempt stale).
type Worker struct {
	river.WorkerDefaults[jobs.VerifyUserArgs]
	Users    Decisions
	Provider kyc.Provider
	// Poll is how a Pending attempt is polled (zero: DefaultPoll).
	Poll Poll
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
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	d, err := w.Provider.Decide(ctx, u)
	var later *kyc.RetryAfterError
	if errors.As(err, &later) {
		w.log(ctx, slog.LevelWarn, "verification provider asks to wait", a, "retry_after", later.After.String())
		return river.JobSnooze(later.After)
	}
	if err != nil {
		return fmt.Errorf("verification provider: %w", err)
	}
	if d.Status == kyc.StatusVerifying {
		wait, ok := w.Poll.next(snoozes(job.Metadata), now().Sub(job.CreatedAt))
		if !ok {
			w.log(ctx, slog.LevelWarn, "verification still pending at the provider; polling stops, its webhook still decides", a)
			return nil
		}
		return river.JobSnooze(wait)
	}
	if err := w.Users.ApplyDecision(ctx, a.TenantID, a.UserID, a.Attempt, d); err != nil {
		return err
	}
	verifying := now().Sub(job.CreatedAt)
	if w.Metrics != nil {
		w.Metrics.ObserveDecision(string(d.Status), verifying)
	}
	w.log(ctx, slog.LevelInfo, "verification decided", a, "outcome", d.Status, "verifying", verifying.Round(time.Millisecond).String())
	return nil
}

func (w *Worker) log(ctx context.Context, level slog.Level, msg string, a jobs.VerifyUserArgs, args ...any) {
	if w.Logger != nil {
		w.Logger.Log(ctx, level, msg, append([]any{"tenant_id", a.TenantID, "user_id", a.UserID, "attempt", a.Attempt}, args...)...)
	}
}

// Poll is the schedule on which a Pending attempt is asked about again: First after the attempt
// is queued (a webhook usually comes before), then doubling up to Max, for at most For after the
// attempt was queued; then the job ends and only the vendor's webhook can still decide.
type Poll struct {
	First, Max, For time.Duration
}

// DefaultPoll polls after 5 minutes, then at most hourly, for 3 days: Persona expires an unfinished
// inquiry after 24 hours by default, so that its end is seen within the bound.
var DefaultPoll = Poll{First: 5 * time.Minute, Max: time.Hour, For: 72 * time.Hour}

// next is the wait before poll number n+1 (n polls so far), with elapsed since the attempt was
// queued; false when polling is over.
func (p Poll) next(n int, elapsed time.Duration) (time.Duration, bool) {
	if p == (Poll{}) {
		p = DefaultPoll
	}
	if elapsed >= p.For {
		return 0, false
	}
	wait := p.First
	for range n {
		if wait >= p.Max/2 {
			wait = p.Max
			break
		}
		wait *= 2
	}
	return min(wait, p.Max, p.For-elapsed), true
}

// snoozes is how often River has snoozed the job (its metadata's "snoozes").
func snoozes(metadata []byte) int {
	var m struct {
		Snoozes int `json:"snoozes"`
	}
	_ = json.Unmarshal(metadata, &m) // no metadata: never snoozed
	return m.Snoozes
}
