// Package webhook delivers events to the tenants' webhook endpoints: the River worker that makes
// each attempt of a delivery and records it, the retry schedule, the policy that says which URLs
// and addresses deliveries may reach, and the periodic pruning of old events.
//
// A delivery is durable: it is queued as a River job in the transaction that writes its event,
// and the job carries it through every attempt, snoozing between them, so a restart loses
// nothing. Delivery is at least once; receivers deduplicate on the webhook-id header.
package webhook
