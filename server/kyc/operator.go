package kyc

import (
	"context"
	"time"
)

// Operator is a member of the compliance team: someone who reviews users in REVIEW, of every
// tenant, in the review console or through an operator API token. Operators are not tenants and
// hold no tenant credentials.
type Operator struct {
	ID string
	// Email is the operator's sign-in name, in lower case; unique.
	Email string
	// PasswordHash is an argon2id hash in the PHC string format.
	PasswordHash string
	// TOTPSecret is the base32 RFC 6238 secret, "" when the operator has no second factor. The
	// store keeps it sealed.
	TOTPSecret string
	// TOTPLastStep is the last RFC 6238 time step whose code was accepted (0: none): a code is
	// accepted once.
	TOTPLastStep int64
	CreatedAt    time.Time
}

// OperatorSession is a signed-in console session. Only a keyed hash of its cookie's token is kept.
type OperatorSession struct {
	TokenHash  string
	OperatorID string
	CreatedAt  time.Time
	// LastSeenAt is when the session was last used; it ends once idle too long after it.
	LastSeenAt time.Time
	// ExpiresAt is when the session ends however much it is used.
	ExpiresAt time.Time
}

// ScopeReviewDecide lets an operator token decide users in REVIEW through the API.
const ScopeReviewDecide = "review:decide"

// OperatorToken is an operator's API credential, with the scopes it grants. Only a keyed hash of
// the token is kept.
type OperatorToken struct {
	ID         string
	OperatorID string
	TokenHash  string
	Scopes     []string
	CreatedAt  time.Time
}

// AuditAction is what an audit entry records.
type AuditAction string

// The audited actions.
const (
	AuditLogin       AuditAction = "login"
	AuditLoginFailed AuditAction = "login_failed"
	AuditLogout      AuditAction = "logout"
	// AuditReveal is an operator showing a masked field of a user in the clear; the entry names
	// the field, never its value.
	AuditReveal AuditAction = "reveal"
	// AuditDecision is an operator approving or rejecting a user in REVIEW (Detail: "approve" or
	// "reject").
	AuditDecision AuditAction = "decision"
)

// AuditEntry is one row of the audit trail, which is append-only: nothing updates or deletes it.
type AuditEntry struct {
	ID string
	// OperatorID is who acted ("" for a failed login of an unknown email).
	OperatorID string
	Action     AuditAction
	// TenantID and UserID name the user acted on ("" for logins).
	TenantID, UserID string
	// Field is the field a reveal showed (its name, never its value).
	Field string
	// Detail qualifies the action (a decision's outcome).
	Detail    string
	RequestID string
	CreatedAt time.Time
}

// Reviewer is who made a manual review decision, for the audit trail: an operator, in a request.
type Reviewer struct {
	OperatorID string
	RequestID  string
}

// OperatorStore keeps operators, their console sessions and API tokens, and the audit trail, and
// lists the review queue: what the review console and operator authentication need.
type OperatorStore interface {
	Transactor
	// CreateOperator stores a new operator; EConflict if its email is taken.
	CreateOperator(ctx context.Context, o *Operator) error
	// OperatorByEmail and OperatorByID return ENotFound when there is no such operator.
	OperatorByEmail(ctx context.Context, email string) (*Operator, error)
	OperatorByID(ctx context.Context, id string) (*Operator, error)
	// AcceptTOTPStep records step as the operator's last accepted TOTP step, and reports false
	// (recording nothing) when a step as late was accepted before: a code is accepted once.
	AcceptTOTPStep(ctx context.Context, operatorID string, step int64) (bool, error)

	// CreateOperatorSession stores a new console session.
	CreateOperatorSession(ctx context.Context, s *OperatorSession) error
	// OperatorSession returns the session with this token hash; ENotFound if none.
	OperatorSession(ctx context.Context, tokenHash string) (*OperatorSession, error)
	// TouchOperatorSession sets a session's LastSeenAt.
	TouchOperatorSession(ctx context.Context, tokenHash string, at time.Time) error
	// DeleteOperatorSession ends a session (none: nothing happens), and every session that
	// expired before now.
	DeleteOperatorSession(ctx context.Context, tokenHash string, now time.Time) error

	// CreateOperatorToken stores a new API token; EConflict if its hash is taken.
	CreateOperatorToken(ctx context.Context, t *OperatorToken) error
	// OperatorTokenByHash returns the token with this hash; ENotFound if none.
	OperatorTokenByHash(ctx context.Context, tokenHash string) (*OperatorToken, error)

	// AppendAudit adds an entry to the audit trail, in its own transaction (or ctx's, see
	// ContextWithTx).
	AppendAudit(ctx context.Context, e *AuditEntry) error
	// ListAudit returns a page of the audit trail, newest first, and the next page's cursor ("" on
	// the last); an invalid cursor is EInvalid on the field cursor.
	ListAudit(ctx context.Context, cursor string, limit int) ([]*AuditEntry, string, error)
	// ReviewQueue returns a page of the users in REVIEW of every tenant, newest first, and the
	// next page's cursor ("" on the last).
	ReviewQueue(ctx context.Context, cursor string, limit int) ([]*User, string, error)
	// GetUser returns the tenant's user; ENotFound if the tenant has no such user.
	GetUser(ctx context.Context, tenantID, id string) (*User, error)
}
