package kyc

import (
	"github.com/kiraapi/kira/openapi/timestamp"

	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// DefaultMaxAttempts is how many verification attempts a user gets unless configured otherwise.
const DefaultMaxAttempts = 3

// UserService carries out the user use cases over a UserStore: it applies the requirement rules
// and the state machine, and writes each change with its events and jobs in one transaction.
type UserService struct {
	config
	store UserStore
}

// config is what the services' Options set.
type config struct {
	now         func() time.Time
	newID       func() string
	maxAttempts int
	delay       time.Duration
	checkURL    URLChecker
	rules       RequirementSet
	enums       EnumValues
	linkKey     KeyHasher
}

// EnumValues returns the values the spec schema named schema allows (nil: unknown schema).
type EnumValues func(schema string) []string

// Option configures a service (NewUserService, NewWebhookService); each takes the options that
// concern it and ignores the others.
type Option func(*config)

func newConfig(opts []Option) config {
	c := config{now: time.Now, newID: NewID, maxAttempts: DefaultMaxAttempts, rules: SeedRequirements}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// NewID returns a new id, a UUIDv7: ids sort by creation, so events written in one transaction keep their
// order even when their timestamps are equal.
func NewID() string { return uuid.Must(uuid.NewV7()).String() }

// WithClock sets a service's clock (default time.Now).
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// WithMaxAttempts sets how many verification attempts a user gets (default DefaultMaxAttempts).
func WithMaxAttempts(n int) Option { return func(c *config) { c.maxAttempts = n } }

// WithVerificationDelay makes each verification wait d before it is decided (the sandbox waits,
// so that VERIFYING can be observed).
func WithVerificationDelay(d time.Duration) Option { return func(c *config) { c.delay = d } }

// WithURLCheck sets what vets webhook endpoint URLs (default: any URL is accepted).
func WithURLCheck(check URLChecker) Option { return func(c *config) { c.checkURL = check } }

// WithRules sets the requirement set that decides when automatic verification starts (default
// SeedRequirements; see VerificationRules).
func WithRules(set RequirementSet) Option { return func(c *config) { c.rules = set } }

// WithEnums sets where the values of the fields whose values depend on the user's type
// (FieldSpec.Enums) are looked up, so that a value of the other type's list is refused. Unset, the
// schema's check of the union is all.
func WithEnums(values EnumValues) Option { return func(c *config) { c.enums = values } }

// NewUserService returns the user use cases over store.
func NewUserService(store UserStore, opts ...Option) *UserService {
	return &UserService{config: newConfig(opts), store: store}
}

// Result is a user after a create or an update, and whether that request started verification.
// For an update, Updated names the fields it changed, in table order, and Reverify is true when it
// changed verified identity data of a VERIFIED user, which verification then checks again.
// A create in verification_link mode also returns its hosted verification Session.
type Result struct {
	User      *User
	Triggered bool
	Updated   []string
	Reverify  bool
	Session   *Session
}

// The verification modes (Fields.VerificationMode).
const (
	VerifyAutomatically = "automatic"
	VerifyThroughLink   = "verification_link"
)

// CreateUser creates a user. In automatic mode (the default), a complete user (under the
// service's rules, WithRules) starts verification at once: it is created, moves to VERIFYING and
// its verification job is queued, all in one transaction with the events user.created and
// user.status_changed. In verification_link mode the user carries at least the LinkRequirements,
// no verification starts, and the same transaction opens the hosted verification session that
// sends the end user to redirectURI (see CreateSession), returned in Result.Session. redirectURI
// belongs to verification_link mode only: with automatic mode it is refused. Identity documents'
// files are decoded and checked with the rest (receiveDocuments).
func (s *UserService) CreateUser(ctx context.Context, tenantID string, t UserType, f Fields, redirectURI string) (*Result, error) {
	if f.VerificationMode == "" {
		f.VerificationMode = VerifyAutomatically
	}
	now := s.now().UTC()
	// The documents' files are decoded first: one error names every offending field.
	docProblems := f.receiveDocuments(now, s.newID)
	if err := s.validateCreate(t, &f, redirectURI, docProblems); err != nil {
		return nil, err
	}
	u := &User{ID: s.newID(), TenantID: tenantID, Type: t, Status: StatusCreated, Fields: f, CreatedAt: now, UpdatedAt: now}
	link := f.VerificationMode == VerifyThroughLink
	triggered := !link && len(MissingFields(s.rules, t, &f)) == 0
	res := &Result{User: u, Triggered: triggered}
	err := s.store.InTx(ctx, func(tx Tx) error {
		if err := tx.InsertUser(ctx, u); err != nil {
			return err
		}
		data := map[string]any{
			"user_id": u.ID, "type": u.Type, "email": f.Email, "status": StatusCreated,
			"created_at": timestamp.Of(now), "verification_triggered": triggered,
		}
		if f.Phone != "" {
			data["phone"] = f.Phone
		}
		if err := s.appendEvent(ctx, tx, u, EventUserCreated, data); err != nil {
			return err
		}
		switch {
		case link:
			var err error
			res.Session, err = s.openSession(ctx, tx, u, redirectURI)
			return err
		case triggered:
			if err := s.startVerification(ctx, tx, u); err != nil {
				return err
			}
			return tx.UpdateUser(ctx, u)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("create user: %w", err)
	}
	return res, nil
}

// validateCreate checks a new user's fields (validate) and its verification mode, adding to the
// problems already found (the documents'): in verification_link mode the LinkRequirements are
// present; in automatic mode no redirectURI is.
func (s *UserService) validateCreate(t UserType, f *Fields, redirectURI string, problems []FieldError) error {
	problems = append(problems, s.problems(t, f)...)
	switch f.VerificationMode {
	case VerifyThroughLink:
		for _, m := range MissingFields(LinkRequirements, t, f) {
			problems = append(problems, FieldError{Field: m, Message: "is required when verification_mode is verification_link"})
		}
	default:
		if redirectURI != "" {
			problems = append(problems, FieldError{Field: "redirect_uri", Message: "applies only when verification_mode is verification_link"})
		}
	}
	return invalid(problems)
}

// problems are what Validate finds in f, for a user of type t, and the values that are not on
// their type's list (WithEnums).
func (s *UserService) problems(t UserType, f *Fields) []FieldError {
	return append(f.problems(t, s.now(), true, nil), f.enumErrors(t, s.enums)...)
}

// MissingFields lists what automatic verification still needs of u under the service's rules.
func (s *UserService) MissingFields(u *User) []string {
	return MissingFields(s.rules, u.Type, &u.Fields)
}

// Rules is the requirement set that decides when automatic verification starts (WithRules).
func (s *UserService) Rules() RequirementSet { return s.rules }

// UpdateUser applies a partial update (see update) in one transaction.
func (s *UserService) UpdateUser(ctx context.Context, tenantID, id string, p Patch) (*Result, error) {
	var res *Result
	err := s.store.InTx(ctx, func(tx Tx) error {
		u, err := tx.GetUserForUpdate(ctx, tenantID, id)
		if err != nil {
			return err
		}
		res, err = s.update(ctx, tx, u, p)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("update user: %w", err)
	}
	return res, nil
}

// update applies p to u within tx. Only the fields whose value differs from the stored one
// change; an update that changes nothing writes nothing (updated_at stays). A user in VERIFYING
// or REVIEW cannot change until the decision, and a redacted user never changes (EInvalidTransition naming every changed field).
// Identity documents are identity data: a changed number or document (by content) is a change.
// A change to identity data starts an attempt when the user is then complete and is CREATED,
// REJECTED, or VERIFIED: a verified user's changed identity is verified again (Reverify). Contact
// data and metadata start one only when they complete a user who is not VERIFIED (Kira's rules
// need a phone); otherwise they never do.
func (s *UserService) update(ctx context.Context, tx Tx, u *User, p Patch) (*Result, error) {
	if u.Redacted() {
		return nil, errRedacted()
	}
	if err := p.checkTypes(u.Type); err != nil {
		return nil, err
	}
	if err := invalid(p.receiveDocuments(s.now().UTC(), s.newID)); err != nil {
		return nil, err
	}
	changes := p.Changes(&u.Fields)
	res := &Result{User: u, Updated: make([]string, len(changes))}
	identity := false
	for i, c := range changes {
		res.Updated[i] = c.Name
		identity = identity || c.Class == Identity
	}
	if len(changes) == 0 {
		return res, nil
	}
	if u.Status == StatusVerifying || u.Status == StatusReview {
		e := &Error{Code: EInvalidTransition, Message: fmt.Sprintf("A user who is %s cannot be changed until the decision.", u.Status)}
		for _, name := range res.Updated {
			e.Fields = append(e.Fields, FieldError{Field: name, Message: "cannot change until the verification is decided"})
		}
		return nil, e
	}
	wasIncomplete := len(s.MissingFields(u)) > 0 && u.Status != StatusVerified
	before := u.Fields
	p.Apply(&u.Fields)
	u.Fields.keepStored(&before)
	if err := invalid(append(u.Fields.updateProblems(u.Type, s.now(), &before), u.Fields.enumErrors(u.Type, s.enums)...)); err != nil {
		return nil, err
	}
	u.UpdatedAt = s.now().UTC()
	if (identity || wasIncomplete) && len(s.MissingFields(u)) == 0 {
		res.Reverify = u.Status == StatusVerified
		if err := s.startVerification(ctx, tx, u); err != nil {
			return nil, err
		}
		res.Triggered = true
	}
	return res, tx.UpdateUser(ctx, u)
}

// GetUser returns the tenant's user, or ENotFound.
func (s *UserService) GetUser(ctx context.Context, tenantID, id string) (*User, error) {
	u, err := s.store.GetUser(ctx, tenantID, id)
	if err != nil {
		return nil, fmt.Errorf("get user: %w", err)
	}
	return u, nil
}

// ListUsers returns a page of the tenant's users, newest first, and the next page's cursor.
func (s *UserService) ListUsers(ctx context.Context, tenantID string, f UserFilter) ([]*User, string, error) {
	users, next, err := s.store.ListUsers(ctx, tenantID, f)
	if err != nil {
		return nil, "", fmt.Errorf("list users: %w", err)
	}
	return users, next, nil
}

// AttemptsLeft is how many verification attempts u may still start (a VERIFIED user whose identity
// changes may always be verified again; see startVerification).
func (s *UserService) AttemptsLeft(u *User) int { return max(0, s.maxAttempts-u.Attempts) }

// startVerification moves u to VERIFYING as a new attempt, records the change and queues the job.
// Attempts are limited, except that a VERIFIED user whose identity data changed may always be
// verified again (that attempt counts too).
func (s *UserService) startVerification(ctx context.Context, tx Tx, u *User) error {
	if u.Redacted() {
		return errRedacted()
	}
	if s.AttemptsLeft(u) == 0 && u.Status != StatusVerified {
		return Errorf(EAttemptsExhausted, "This user has used all %d verification attempts.", s.maxAttempts)
	}
	if err := s.changeStatus(ctx, tx, u, StatusVerifying); err != nil {
		return err
	}
	u.Attempts++
	u.Reasons = nil
	job := VerificationJob{TenantID: u.TenantID, UserID: u.ID, Attempt: u.Attempts}
	if s.delay > 0 {
		job.RunAt = s.now().Add(s.delay)
	}
	return tx.EnqueueVerification(ctx, job)
}

// changeStatus moves u to status if the state machine allows it, recording user.status_changed.
func (s *UserService) changeStatus(ctx context.Context, tx Tx, u *User, to Status) error {
	if !CanTransition(u.Status, to) {
		return Errorf(EInvalidTransition, "A user who is %s cannot become %s.", u.Status, to)
	}
	from := u.Status
	u.Status = to
	u.UpdatedAt = s.now().UTC()
	return s.appendEvent(ctx, tx, u, EventStatusChanged, map[string]any{
		"user_id": u.ID, "previous_status": from, "new_status": to,
	})
}

func (s *UserService) appendEvent(ctx context.Context, tx Tx, u *User, typ EventType, data map[string]any) error {
	e, err := NewEvent(s.newID(), u.TenantID, typ, u.ID, s.now().UTC(), data)
	if err != nil {
		return err
	}
	return PublishEvent(ctx, tx, e)
}
