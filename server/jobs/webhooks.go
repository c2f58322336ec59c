package jobs

import "github.com/riverqueue/river"

// QueueWebhooks is the queue of webhook deliveries, apart from the default queue so that slow
// receivers cannot hold up verifications.
const QueueWebhooks = "webhooks"

// The River kinds of the webhook jobs.
const (
	KindDeliverWebhook = "deliver_webhook"
	KindPruneEvents    = "prune_events"
)

// DeliverWebhookArgs asks for a delivery to be attempted. One job carries a delivery through all
// its attempts: it is snoozed between them.
type DeliverWebhookArgs struct {
	DeliveryID string `json:"delivery_id"`
}

// Kind identifies the job to River.
func (DeliverWebhookArgs) Kind() string { return KindDeliverWebhook }

// InsertOpts puts the job on the webhooks queue.
func (DeliverWebhookArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueWebhooks}
}

// PruneEventsArgs asks for the events past their retention to be deleted. A periodic job queues
// it; running it twice does no harm.
type PruneEventsArgs struct{}

// Kind identifies the job to River.
func (PruneEventsArgs) Kind() string { return KindPruneEvents }
