package verify_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/kiraapi/kira/server/jobs"
	"github.com/kiraapi/kira/server/kyc"
	"github.com/kiraapi/kira/server/verify"
)

// users is verify.Decisions over one user, recording the decisions applied.
type users struct {
	u       *kyc.User
	applied []kyc.Decision
}

func (f *users) GetUser(context.Context, string, string) (*kyc.User, error) { return f.u, nil }
func (f *users) ApplyDecision(_ context.Context, _, _ string, _ int, d kyc.Decision) error {
	f.applied = append(f.applied, d)
	return nil
}

type provider struct {
	d   kyc.Decision
	err error
}

func (p provider) Decide(context.Context, *kyc.User) (kyc.Decision, error) { return p.d, p.err }

// TestWorkerWaitsForTheVendor: a Pending decision snoozes the job on the poll schedule (doubling,
// capped, bounded), a 429's wait snoozes it that long, and neither applies anything.
func TestWorkerWaitsForTheVendor(t *testing.T) {
	t.Parallel()
	queued := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	poll := verify.Poll{First: time.Minute, Max: 5 * time.Minute, For: time.Hour}
	tests := []struct {
		name     string
		provider provider
		snoozes  string // the job's metadata
		elapsed  time.Duration
		want     time.Duration // the snooze; 0: none
		wantErr  bool
	}{
		{"pending, first poll", provider{d: kyc.Pending}, `{}`, 0, time.Minute, false},
		{"pending, third poll", provider{d: kyc.Pending}, `{"snoozes":2}`, 10 * time.Minute, 4 * time.Minute, false},
		{"pending, capped", provider{d: kyc.Pending}, `{"snoozes":9}`, 20 * time.Minute, 5 * time.Minute, false},
		{"pending, near the bound", provider{d: kyc.Pending}, `{"snoozes":9}`, 58 * time.Minute, 2 * time.Minute, false},
		{"pending past the bound: polling stops", provider{d: kyc.Pending}, `{"snoozes":9}`, time.Hour, 0, false},
		{"429", provider{err: &kyc.RetryAfterError{After: 7 * time.Second, Err: errors.New("429")}}, `{}`, 0, 7 * time.Second, false},
		{"5xx: retried with River's backoff", provider{err: errors.New("502")}, `{}`, 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			us := &users{u: &kyc.User{ID: "u", TenantID: "t", Status: kyc.StatusVerifying, Attempts: 1}}
			w := &verify.Worker{Users: us, Provider: tt.provider, Poll: poll, Now: func() time.Time { return queued.Add(tt.elapsed) }}
			job := &river.Job[jobs.VerifyUserArgs]{JobRow: &rivertype.JobRow{CreatedAt: queued, Metadata: []byte(tt.snoozes)},
				Args: jobs.VerifyUserArgs{TenantID: "t", UserID: "u", Attempt: 1}}
			err := w.Work(t.Context(), job)
			var snooze *rivertype.JobSnoozeError
			switch {
			case tt.want > 0:
				if !errors.As(err, &snooze) || snooze.Duration != tt.want {
					t.Errorf("Work = %v, want a snooze of %s", err, tt.want)
				}
			case tt.wantErr:
				if err == nil || errors.As(err, &snooze) {
					t.Errorf("Work = %v, want an error", err)
				}
			default:
				if err != nil {
					t.Errorf("Work = %v, want nil", err)
				}
			}
			if len(us.applied) != 0 {
				t.Errorf("applied %+v", us.applied)
			}
		})
	}
}
