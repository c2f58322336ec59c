// Package jobs defines the background jobs the service queues with River: their kinds, arguments
// and insert options, and how many of each queue one process runs at once. It is shared by the
// code that queues them (server/store), the workers that run them and the clients they call.
package jobs

import (
	"time"

	"github.com/riverqueue/river"
)

// Timeout is how long a job may run before its context is cancelled (River's JobTimeout); a
// worker may set a shorter one, never a longer one. RescueAfter is how long a job may stay running
// before River takes it for abandoned (its process died) and runs it again; it is longer than any
// timeout, so that a live job is never run twice at once. River's rescuer looks every 30 s, on the
// leader, which a restarted process or another replica becomes within about 15 s: a job interrupted
// by a crash runs again about 30 to 65 s after it.
const (
	Timeout     = 20 * time.Second
	RescueAfter = 30 * time.Second
)

// The workers of each queue in one process: how many of its jobs run at once. A verification
// mostly waits (on the provider's API, and on the database), as does a webhook delivery attempt
// (on the endpoint, then on the database to record it), so the jobs at once, not the CPU, bound
// their rate. With 10 and 20, the job queue of one process on SQLite (2 cores, sandbox mode) grew
// at 193 complete creates a second with four deliveries each, from 379 jobs due or running in the
// first 10 s of a 40 s run to 1,863 in its last; with 50 and 100 it stayed flat at 334 for 60 s
// (BenchmarkDeliveryLatency).
const (
	// DefaultWorkers run the default queue's jobs: verifications, and the periodic ones.
	DefaultWorkers = 50
	// WebhookWorkers run QueueWebhooks' delivery attempts.
	WebhookWorkers = 100
)

// KindVerifyUser is the River kind of VerifyUserArgs.
const KindVerifyUser = "verify_user"

// VerifyUserArgs asks for one verification attempt of a user to be decided.
type VerifyUserArgs struct {
	TenantID string `json:"tenant_id"`
	UserID   string `json:"user_id"`
	Attempt  int    `json:"attempt"`
}

// Kind identifies the job to River.
func (VerifyUserArgs) Kind() string { return KindVerifyUser }

// InsertOpts makes the job unique by its arguments: an attempt is queued once, however often it
// is enqueued.
func (VerifyUserArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// KindEraseExpiredUsers is the River kind of EraseExpiredUsersArgs.
const KindEraseExpiredUsers = "erase_expired_users"

// EraseExpiredUsersArgs asks for the users past their retention to be erased. A periodic job
// queues it.
type EraseExpiredUsersArgs struct{}

// Kind identifies the job to River.
func (EraseExpiredUsersArgs) Kind() string { return KindEraseExpiredUsers }

// KindOptimizeDatabase is the River kind of OptimizeDatabaseArgs.
const KindOptimizeDatabase = "optimize_database"

// OptimizeDatabaseArgs asks for the database's planner statistics to be brought up to date. A
// periodic job queues it; running it twice does no harm.
type OptimizeDatabaseArgs struct{}

// Kind identifies the job to River.
func (OptimizeDatabaseArgs) Kind() string { return KindOptimizeDatabase }
