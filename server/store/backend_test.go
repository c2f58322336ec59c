package store

import (
	"testing"

	"github.com/riverqueue/river"

	"github.com/kiraapi/kira/server/jobs"
)

// plainArgs are job args without options of their own.
type plainArgs struct{}

func (plainArgs) Kind() string { return "plain" }

// TestMayBeUnique: a job is unique when its options ask for it or, where they ask for nothing, its
// args' own options do, as River decides.
func TestMayBeUnique(t *testing.T) {
	verify, deliver := jobs.VerifyUserArgs{}, jobs.DeliverWebhookArgs{}
	verifyOpts, deliverOpts := verify.InsertOpts(), deliver.InsertOpts()
	for _, tt := range []struct {
		name string
		args river.JobArgs
		opts *river.InsertOpts
		want bool
	}{
		{"a verification, its options", verify, &verifyOpts, true},
		{"a verification, no options", verify, nil, true},
		{"a verification, options of another queue", verify, &river.InsertOpts{Queue: "other"}, true},
		{"a delivery, its options", deliver, &deliverOpts, false},
		{"a delivery, no options", deliver, nil, false},
		{"a delivery, unique options", deliver, &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}, true},
		{"args without options, none", plainArgs{}, nil, false},
	} {
		if got := mayBeUnique(tt.args, tt.opts); got != tt.want {
			t.Errorf("%s: mayBeUnique = %t, want %t", tt.name, got, tt.want)
		}
	}
}

// TestJobQueuedAfterItsTransactionIsRefused: a job queued once the transaction's function has
// returned would never be inserted, so it is an error.
func TestJobQueuedAfterItsTransactionIsRefused(t *testing.T) {
	st, _ := openSQLiteStore(t)
	ctx := t.Context()
	var kept enqueueFunc
	if err := st.db.inTx(ctx, func(_ querier, enqueue enqueueFunc) error { kept = enqueue; return nil }); err != nil {
		t.Fatal(err)
	}
	args := jobs.DeliverWebhookArgs{DeliveryID: "d1"}
	opts := args.InsertOpts()
	if err := kept(ctx, args, &opts); err == nil {
		t.Fatal("a job queued after its transaction was accepted")
	}
}
