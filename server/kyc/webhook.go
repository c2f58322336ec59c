package kyc

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"slices"
	"time"
)

// EventTypes are every event type, in the order the API lists them.
var EventTypes = []EventType{EventUserCreated, EventVerificationAccepted, EventVerificationFailed, EventStatusChanged, EventUserRedacted}

// SecretOverlap is how long a rotated-out signing secret keeps signing beside the new one. An
// endpoint has at most one previous secret: it cannot be rotated again within SecretOverlap.
const SecretOverlap = 24 * time.Hour

// MaxWebhooks is how many endpoints a tenant may have: all of them fit in one listing.
const MaxWebhooks = 100

// ErrTooManyWebhooks is the EConflict of registering an endpoint beyond MaxWebhooks.
var ErrTooManyWebhooks = &Error{Code: EConflict,
	Message: fmt.Sprintf("A tenant can have at most %d webhook endpoints; delete one to register another.", MaxWebhooks)}

// PreviousSecretValid is the EConflict of a rotation while the secret the last rotation replaced
// still signs, which it does until until.
func PreviousSecretValid(until time.Time) *Error {
	return &Error{Code: EConflict, Message: "The secret replaced by the last rotation still signs deliveries until " +
		until.UTC().Format(time.RFC3339) + "; rotate again after that time."}
}

// EndpointStatus says whether an endpoint receives deliveries.
type EndpointStatus string

// The endpoint statuses. An endpoint is disabled when its receiver answers 410 Gone.
const (
	EndpointEnabled  EndpointStatus = "enabled"
	EndpointDisabled EndpointStatus = "disabled"
)

// WebhookEndpoint is a URL of a tenant's that receives signed deliveries of its events. Secret and
// PreviousSecret are stored sealed; they leave the service only in the response to a create or a
// rotation, and as signatures.
type WebhookEndpoint struct {
	ID          string
	TenantID    string
	URL         string
	Description string
	// Events are the types delivered; empty means every type, present and future.
	Events []EventType
	Status EndpointStatus
	Secret string
	// PreviousSecret keeps signing beside Secret until PreviousSecretExpiresAt (zero: none).
	PreviousSecret          string
	PreviousSecretExpiresAt time.Time
	CreatedAt               time.Time
	UpdatedAt               time.Time
}

// Subscribed reports whether the endpoint receives events of type t.
func (e *WebhookEndpoint) Subscribed(t EventType) bool {
	return len(e.Events) == 0 || slices.Contains(e.Events, t)
}

// SigningSecrets are the secrets a delivery made at t is signed with: the current one and, until
// it expires, the previous one.
func (e *WebhookEndpoint) SigningSecrets(t time.Time) []string {
	if e.PreviousSecret != "" && t.Before(e.PreviousSecretExpiresAt) {
		return []string{e.Secret, e.PreviousSecret}
	}
	return []string{e.Secret}
}

// NewWebhookSecret returns a new signing secret: "whsec_" and the base64 of 32 random bytes, the
// Standard Webhooks form.
func NewWebhookSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return "whsec_" + base64.StdEncoding.EncodeToString(b)
}

// EventFilter narrows an event listing. Cursor is the opaque next cursor of the previous page.
type EventFilter struct {
	Type   EventType
	UserID string
	Limit  int
	Cursor string
}

// WebhookStore keeps webhook endpoints and serves the events API. Every lookup is scoped to a
// tenant: another tenant's endpoint or event is ENotFound, exactly like an unknown id.
type WebhookStore interface {
	Transactor
	// CreateWebhook stores a new endpoint, its secret sealed; ErrTooManyWebhooks if the tenant
	// has MaxWebhooks endpoints already. The count and the insert are one transaction that
	// concurrent creates of the tenant run one after another.
	CreateWebhook(ctx context.Context, e *WebhookEndpoint) error
	// GetWebhook returns an endpoint with its secrets opened.
	GetWebhook(ctx context.Context, tenantID, id string) (*WebhookEndpoint, error)
	// ListWebhooks returns the tenant's endpoints, newest first (all of them: at most MaxWebhooks).
	ListWebhooks(ctx context.Context, tenantID string) ([]*WebhookEndpoint, error)
	// DeleteWebhook deletes an endpoint and cancels its pending deliveries.
	DeleteWebhook(ctx context.Context, tenantID, id string) error
	// RotateWebhookSecret makes secret the endpoint's current secret and the current one its
	// previous secret until now+SecretOverlap, atomically, and returns the endpoint as stored.
	// While the previous secret still signs at now, it changes nothing: PreviousSecretValid.
	RotateWebhookSecret(ctx context.Context, tenantID, id, secret string, now time.Time) (*WebhookEndpoint, error)

	// ListEvents returns a page of the tenant's events, newest first, and the cursor of the next
	// page ("" on the last).
	ListEvents(ctx context.Context, tenantID string, f EventFilter) ([]*Event, string, error)
	GetEvent(ctx context.Context, tenantID, id string) (*Event, error)
	// ListDeliveries returns the deliveries of an event with their attempts, oldest first (at most
	// the 100 newest).
	ListDeliveries(ctx context.Context, tenantID, eventID string) ([]*Delivery, error)
}

// URLChecker refuses an endpoint URL that deliveries may not be sent to. Its error says why in
// words fit for the client, never repeating the URL.
type URLChecker func(ctx context.Context, rawURL string) error

// WebhookService carries out the webhook and events use cases over a WebhookStore.
type WebhookService struct {
	config
	store WebhookStore
}

// NewWebhookService returns the webhook use cases over store (WithURLCheck vets endpoint URLs).
func NewWebhookService(store WebhookStore, opts ...Option) *WebhookService {
	return &WebhookService{config: newConfig(opts), store: store}
}

// WebhookInput is what a client sends to register an endpoint.
type WebhookInput struct {
	URL         string
	Events      []EventType
	Description string
}

// Create registers an endpoint with a new secret, which the returned endpoint carries. A URL that
// the checker refuses is an EInvalid error on the field url; a tenant with MaxWebhooks endpoints
// already gets ErrTooManyWebhooks.
func (w *WebhookService) Create(ctx context.Context, tenantID string, in WebhookInput) (*WebhookEndpoint, error) {
	var events []EventType // in the canonical order, each once
	for _, t := range in.Events {
		if !slices.Contains(EventTypes, t) {
			return nil, invalidField("events", "lists an unknown event type")
		}
	}
	for _, t := range EventTypes {
		if slices.Contains(in.Events, t) {
			events = append(events, t)
		}
	}
	if w.checkURL != nil {
		if err := w.checkURL(ctx, in.URL); err != nil {
			return nil, invalidField("url", err.Error())
		}
	}
	now := w.now().UTC()
	e := &WebhookEndpoint{
		ID: w.newID(), TenantID: tenantID, URL: in.URL, Description: in.Description,
		Events: events, Status: EndpointEnabled,
		Secret: NewWebhookSecret(), CreatedAt: now, UpdatedAt: now,
	}
	if err := w.store.CreateWebhook(ctx, e); err != nil {
		return nil, fmt.Errorf("create webhook: %w", err)
	}
	return e, nil
}

// List returns the tenant's endpoints, newest first.
func (w *WebhookService) List(ctx context.Context, tenantID string) ([]*WebhookEndpoint, error) {
	out, err := w.store.ListWebhooks(ctx, tenantID)
	if err != nil {
		return nil, fmt.Errorf("list webhooks: %w", err)
	}
	return out, nil
}

// Get returns the tenant's endpoint, or ENotFound.
func (w *WebhookService) Get(ctx context.Context, tenantID, id string) (*WebhookEndpoint, error) {
	e, err := w.store.GetWebhook(ctx, tenantID, id)
	if err != nil {
		return nil, fmt.Errorf("get webhook: %w", err)
	}
	return e, nil
}

// Delete deletes the tenant's endpoint, cancelling its pending deliveries; ENotFound if absent.
func (w *WebhookService) Delete(ctx context.Context, tenantID, id string) error {
	if err := w.store.DeleteWebhook(ctx, tenantID, id); err != nil {
		return fmt.Errorf("delete webhook: %w", err)
	}
	return nil
}

// RotateSecret gives the endpoint a new secret, which the returned endpoint carries. The previous
// one keeps signing beside it for SecretOverlap, during which another rotation is refused
// (PreviousSecretValid): a receiver still on the previous secret keeps the whole overlap promised.
func (w *WebhookService) RotateSecret(ctx context.Context, tenantID, id string) (*WebhookEndpoint, error) {
	e, err := w.store.RotateWebhookSecret(ctx, tenantID, id, NewWebhookSecret(), w.now().UTC())
	if err != nil {
		return nil, fmt.Errorf("rotate webhook secret: %w", err)
	}
	return e, nil
}

// ListEvents returns a page of the tenant's events, newest first, and the next page's cursor.
func (w *WebhookService) ListEvents(ctx context.Context, tenantID string, f EventFilter) ([]*Event, string, error) {
	events, next, err := w.store.ListEvents(ctx, tenantID, f)
	if err != nil {
		return nil, "", fmt.Errorf("list events: %w", err)
	}
	return events, next, nil
}

// GetEvent returns the tenant's event and its deliveries with their attempts; ENotFound if absent.
func (w *WebhookService) GetEvent(ctx context.Context, tenantID, id string) (*Event, []*Delivery, error) {
	e, err := w.store.GetEvent(ctx, tenantID, id)
	if err != nil {
		return nil, nil, fmt.Errorf("get event: %w", err)
	}
	deliveries, err := w.store.ListDeliveries(ctx, tenantID, id)
	if err != nil {
		return nil, nil, fmt.Errorf("get event: %w", err)
	}
	return e, deliveries, nil
}

// Redeliver queues a new delivery of the tenant's event to every endpoint now subscribed to it,
// due now, and returns how many were queued; ENotFound if there is no such event.
func (w *WebhookService) Redeliver(ctx context.Context, tenantID, id string) (int, error) {
	e, err := w.store.GetEvent(ctx, tenantID, id)
	if err != nil {
		return 0, fmt.Errorf("redeliver event: %w", err)
	}
	var n int
	err = w.store.InTx(ctx, func(tx Tx) error {
		n, err = queueDeliveries(ctx, tx, e, w.now().UTC())
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("redeliver event: %w", err)
	}
	return n, nil
}

func invalidField(field, message string) *Error {
	return &Error{Code: EInvalid, Message: "The request is invalid.", Fields: []FieldError{{Field: field, Message: message}}}
}
