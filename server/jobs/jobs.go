// Package jobs defines the background jobs the service queues with River: their kinds, arguments
// and insert options. It is shared by the code that queues them (server/store) and the workers
// that run them.
package jobs

import "github.com/riverqueue/river"

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
