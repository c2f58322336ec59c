package kyc

import (
	"context"
	"time"
)

// Tenant is an API customer. Its credentials are stored hashed: APIKeyHash is the SHA-256 of the
// API key (a high-entropy random string), PasswordHash a bcrypt hash.
type Tenant struct {
	ID           string
	Name         string
	ClientID     string
	APIKeyHash   []byte
	PasswordHash []byte
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// KeyHasher hashes lookup values with a secret key (secret.Keyring), so that what clients send
// as keys (idempotency keys) or what links carry is never stored or derivable as sent.
type KeyHasher interface {
	// Hash returns a keyed hash of value for purpose.
	Hash(purpose, value string) string
}

// UserFilter narrows a user listing. Cursor is the opaque NextCursor of the previous page.
type UserFilter struct {
	Status Status
	Type   UserType
	Email  string
	Limit  int
	Cursor string
}

// UserRef names a user.
type UserRef struct {
	TenantID string
	ID       string
}

// VerificationJob asks the verification engine to decide one attempt for a user, not before
// RunAt (zero: at once).
type VerificationJob struct {
	TenantID string
	UserID   string
	Attempt  int
	RunAt    time.Time
}

// IdempotencyRecord is what is kept for an Idempotency-Key: the request's fingerprint and the
// first response (status, the headers the handler set, body). KeyHash is a keyed hash of the
// client's key, never the key itself. A record exists only once its request's work has committed:
// it is written in the same transaction as that work.
type IdempotencyRecord struct {
	TenantID    string
	KeyHash     string
	Fingerprint string
	Status      int
	Header      map[string][]string // stored sealed with Body
	Body        []byte              // stored sealed: it may hold personal data
	// UserID is the user the response is about ("" if none): erasing that user deletes the record.
	UserID    string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// The storage is split by consumer: each use case, and each edge, takes the part it needs.
// Every user lookup is scoped to a tenant; a user of another tenant is ENotFound, exactly like an
// unknown id.

// Transactor runs work in one transaction. The idempotency middleware needs no more.
type Transactor interface {
	// InTx runs fn in one transaction, committed when fn returns nil. When ctx carries a
	// transaction (ContextWithTx), fn runs in that one instead, and commits or rolls back with it.
	InTx(ctx context.Context, fn func(Tx) error) error
}

// TenantStore keeps tenants and their credential hashes, for authentication.
type TenantStore interface {
	// CreateTenant returns EConflict if the client id is taken.
	CreateTenant(ctx context.Context, t *Tenant) error
	// UpdateTenant replaces the tenant's name and credential hashes (by ID).
	UpdateTenant(ctx context.Context, t *Tenant) error
	// TenantByAPIKeyHash and TenantByClientID return ENotFound when no tenant matches.
	TenantByAPIKeyHash(ctx context.Context, hash []byte) (*Tenant, error)
	TenantByClientID(ctx context.Context, clientID string) (*Tenant, error)
}

// UserStore keeps users and their verification sessions, for the user use cases (UserService).
type UserStore interface {
	Transactor
	// GetUser returns ENotFound if the tenant has no such user.
	GetUser(ctx context.Context, tenantID, id string) (*User, error)
	// ListUsers returns a page of users, newest first, and the cursor of the next page ("" on the last).
	ListUsers(ctx context.Context, tenantID string, f UserFilter) ([]*User, string, error)
	// RetentionDue returns up to limit users, of any tenant, who are in status, not redacted, and
	// unchanged since before, least recently changed first.
	RetentionDue(ctx context.Context, status Status, before time.Time, limit int) ([]UserRef, error)
	// VendorCheckFor returns the provider's check of a user's attempt; ENotFound if there is none.
	VendorCheckFor(ctx context.Context, provider, tenantID, userID string, attempt int) (*VendorCheck, error)
	// ListSessions returns a user's verification sessions, newest first (at most 100).
	ListSessions(ctx context.Context, tenantID, userID string) ([]*Session, error)
	// GetSession returns a session by id, whatever its tenant (the hosted page knows no tenant);
	// ENotFound if there is none.
	GetSession(ctx context.Context, id string) (*Session, error)
	DocumentReader
}

// Store is the whole storage: every part above, the webhook and delivery stores, and a health
// check. A backend implements all of it, and storetest.Run checks all of it.
type Store interface {
	TenantStore
	UserStore
	WebhookStore
	DeliveryStore
	OperatorStore
	// Ping reports whether the database answers.
	Ping(ctx context.Context) error
}

// Tx is a transaction. What it writes, events and queued jobs included, commits or rolls back as one.
type Tx interface {
	// GetUserForUpdate reads a user and locks it until the transaction ends; ENotFound if absent.
	GetUserForUpdate(ctx context.Context, tenantID, id string) (*User, error)
	// InsertUser and UpdateUser also store the content of the user's new uploads (documents with
	// Content), and UpdateUser deletes the stored documents the user no longer lists.
	InsertUser(ctx context.Context, u *User) error
	UpdateUser(ctx context.Context, u *User) error
	// AppendEvent adds e to its tenant's event log (EConflict if its id is taken). Its deliveries
	// are queued apart (PublishEvent does both).
	AppendEvent(ctx context.Context, e *Event) error
	// SubscribedEndpoints returns the ids of the tenant's enabled webhook endpoints that take
	// events of type t, oldest first.
	SubscribedEndpoints(ctx context.Context, tenantID string, t EventType) ([]string, error)
	// QueueDelivery stores a pending delivery and queues the job that makes its attempts.
	QueueDelivery(ctx context.Context, d *Delivery) error
	// EnqueueVerification queues the job that decides a verification attempt.
	EnqueueVerification(ctx context.Context, job VerificationJob) error
	// RedactUser stores u, a tombstone (no fields, RedactedAt set), and erases the rest of the
	// user's personal data: it deletes the user's data key, so that no copy of its sealed data
	// opens again; removes the personal fields from the payloads of its events (RedactPayload) and
	// the receivers' response excerpts from their deliveries; and deletes the idempotency records
	// of responses about it; and deletes its stored documents. ENotFound if the tenant has no
	// such user.
	RedactUser(ctx context.Context, u *User) error

	// GetSessionForUpdate reads a session and locks it until the transaction ends; ENotFound if absent.
	GetSessionForUpdate(ctx context.Context, id string) (*Session, error)
	InsertSession(ctx context.Context, s *Session) error
	// UpdateSession stores a session's status and completion time.
	UpdateSession(ctx context.Context, s *Session) error
	// ExpirePendingSessions marks the user's pending sessions expired as of at.
	ExpirePendingSessions(ctx context.Context, tenantID, userID string, at time.Time) error

	// ClaimIdempotencyKey reserves rec's key for this transaction. It returns nil when the key is
	// new or its record has expired: the caller goes on, and the key is its own until the
	// transaction ends (a concurrent claim of the same key waits for that end, or fails with
	// EIdempotencyInUse after a bounded wait). Otherwise it returns the live record, whose work
	// has committed, and the caller must write nothing.
	ClaimIdempotencyKey(ctx context.Context, rec *IdempotencyRecord) (existing *IdempotencyRecord, err error)
	// CompleteIdempotencyKey stores the response of the key this transaction claimed; it commits
	// with the work that produced it.
	CompleteIdempotencyKey(ctx context.Context, rec *IdempotencyRecord) error

	// InsertVendorCheck records a vendor's check of an attempt (EConflict if its id, or its
	// provider's check of that attempt, is recorded already).
	InsertVendorCheck(ctx context.Context, c *VendorCheck) error
	// VendorCheckByID returns the provider's check by the vendor's id, whatever its tenant (the
	// vendor's callbacks know no tenant); ENotFound if there is none.
	VendorCheckByID(ctx context.Context, provider, id string) (*VendorCheck, error)
	// ClaimVendorEvent records that the provider's event id was received at at; false if it was
	// already (a duplicate delivery). The claim commits with the transaction.
	ClaimVendorEvent(ctx context.Context, provider, eventID string, at time.Time) (bool, error)
	// AppendAudit adds an entry to the audit trail (EConflict if its id is taken).
	AppendAudit(ctx context.Context, e *AuditEntry) error
}

type txKey struct{}

// ContextWithTx returns a context that carries tx: Store.InTx, called with it, runs in tx rather
// than in a transaction of its own. A request made under an idempotency key runs in one
// transaction this way: the key's claim, the use case's writes, events and jobs, and the stored
// response commit together or not at all.
func ContextWithTx(ctx context.Context, tx Tx) context.Context {
	return context.WithValue(ctx, txKey{}, tx)
}

// TxFromContext returns the transaction ctx carries (ContextWithTx), if any.
func TxFromContext(ctx context.Context) (Tx, bool) {
	tx, ok := ctx.Value(txKey{}).(Tx)
	return tx, ok
}
