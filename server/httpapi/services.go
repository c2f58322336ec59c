package httpapi

import (
	"context"

	"github.com/kiraapi/kira/server/kyc"
)

// UserService is what the API needs of the user use cases: kyc.UserService, or a fake in tests.
type UserService interface {
	CreateUser(ctx context.Context, tenantID string, t kyc.UserType, f kyc.Fields, redirectURI string) (*kyc.Result, error)
	GetUser(ctx context.Context, tenantID, id string) (*kyc.User, error)
	UpdateUser(ctx context.Context, tenantID, id string, p kyc.Patch) (*kyc.Result, error)
	ListUsers(ctx context.Context, tenantID string, f kyc.UserFilter) ([]*kyc.User, string, error)
	RedactUser(ctx context.Context, tenantID, id string, reason kyc.RedactionReason) (*kyc.User, error)
	Review(ctx context.Context, tenantID, userID string, d kyc.ReviewDecision) (*kyc.User, error)
	CreateSession(ctx context.Context, tenantID, userID, redirectURI string) (*kyc.Session, error)
	ListSessions(ctx context.Context, tenantID, userID string) ([]*kyc.Session, error)
	// MissingFields lists what automatic verification still needs of u.
	MissingFields(u *kyc.User) []string
	DocumentLink(tenantID, userID, docID string) (expires int64, signature string, ok bool)
	OpenDocument(ctx context.Context, userID, docID string, expires int64, signature string) (*kyc.DocumentFile, error)
}

// WebhookService is what the API needs of the webhook and event use cases: kyc.WebhookService, or a
// fake in tests.
type WebhookService interface {
	Create(ctx context.Context, tenantID string, in kyc.WebhookInput) (*kyc.WebhookEndpoint, error)
	List(ctx context.Context, tenantID string) ([]*kyc.WebhookEndpoint, error)
	Get(ctx context.Context, tenantID, id string) (*kyc.WebhookEndpoint, error)
	Delete(ctx context.Context, tenantID, id string) error
	RotateSecret(ctx context.Context, tenantID, id string) (*kyc.WebhookEndpoint, error)
	ListEvents(ctx context.Context, tenantID string, f kyc.EventFilter) ([]*kyc.Event, string, error)
	GetEvent(ctx context.Context, tenantID, id string) (*kyc.Event, []*kyc.Delivery, error)
	Redeliver(ctx context.Context, tenantID, id string) (int, error)
}

var (
	_ UserService    = (*kyc.UserService)(nil)
	_ WebhookService = (*kyc.WebhookService)(nil)
)
