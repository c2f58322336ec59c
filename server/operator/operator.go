// Package operator authenticates the compliance team's operators: their accounts (argon2id
// password hashes, an optional RFC 6238 TOTP second factor), their console sessions (opaque random
// tokens, stored as keyed hashes, with idle and absolute expiry) and their API tokens (scoped, for
// deployments that review elsewhere). Operators are not tenants: they see the users of every
// tenant, and only through the review console or the review API.
package operator

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/kiraapi/kira/server/kyc"
)

// The session lifetimes: a console session ends after IdleTimeout without use, and after
// AbsoluteTimeout in any case.
const (
	DefaultIdleTimeout     = 30 * time.Minute
	DefaultAbsoluteTimeout = 12 * time.Hour
)

// MinPasswordLength is the shortest password an operator may have (NIST SP 800-63B asks for at
// least 8; an account that sees every tenant's users asks for more).
const MinPasswordLength = 12

// TokenPrefix starts every operator API token, so that one is recognised in a leak scan.
const TokenPrefix = "kira_op_"

// totpIssuer names the service in authenticator apps.
const totpIssuer = "Kira review console"

// touchEvery is how stale a session's LastSeenAt may get before a request refreshes it: a write
// per request would be wasted.
const touchEvery = time.Minute

// Service carries out operator authentication over a kyc.OperatorStore.
type Service struct {
	store    kyc.OperatorStore
	hasher   kyc.KeyHasher
	now      func() time.Time
	params   Argon2Params
	idle     time.Duration
	absolute time.Duration

	dummyOnce sync.Once
	dummyHash string
}

// Option configures a Service.
type Option func(*Service)

// WithClock sets the clock (time.Now by default).
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithArgon2Params sets the cost of new password hashes (DefaultArgon2 by default; tests use
// cheaper ones). Hashes keep their own parameters, so changing them never locks anyone out.
func WithArgon2Params(p Argon2Params) Option { return func(s *Service) { s.params = p } }

// WithSessionTimeouts sets the idle and absolute lifetimes of console sessions (zero: the
// default).
func WithSessionTimeouts(idle, absolute time.Duration) Option {
	return func(s *Service) {
		if idle > 0 {
			s.idle = idle
		}
		if absolute > 0 {
			s.absolute = absolute
		}
	}
}

// New returns the operator service. hasher keys the hashes of session and API tokens.
func New(store kyc.OperatorStore, hasher kyc.KeyHasher, opts ...Option) *Service {
	s := &Service{store: store, hasher: hasher, now: time.Now, params: DefaultArgon2, idle: DefaultIdleTimeout, absolute: DefaultAbsoluteTimeout}
	for _, o := range opts {
		o(s)
	}
	return s
}

// IdleTimeout is how long a console session may go unused.
func (s *Service) IdleTimeout() time.Duration { return s.idle }

// Create creates an operator with email and password; with withTOTP it also gets a TOTP secret,
// and otpauthURI is the otpauth:// URI to enrol it in an authenticator app, shown only now.
// EInvalid for a malformed email or a password shorter than MinPasswordLength, EConflict if the
// email is taken.
func (s *Service) Create(ctx context.Context, email, password string, withTOTP bool) (o *kyc.Operator, otpauthURI string, err error) {
	addr, perr := mail.ParseAddress(email)
	var problems []kyc.FieldError
	if perr != nil || addr.Address != email {
		problems = append(problems, kyc.FieldError{Field: "email", Message: "must be a valid email address"})
	}
	if len([]rune(password)) < MinPasswordLength {
		problems = append(problems, kyc.FieldError{Field: "password", Message: fmt.Sprintf("must be at least %d characters long", MinPasswordLength)})
	}
	if problems != nil {
		return nil, "", &kyc.Error{Code: kyc.EInvalid, Message: "The operator is invalid.", Fields: problems}
	}
	o = &kyc.Operator{ID: uuid.Must(uuid.NewV7()).String(), Email: strings.ToLower(email), PasswordHash: s.params.hash(password), CreatedAt: s.now()}
	if withTOTP {
		key, err := totp.Generate(totp.GenerateOpts{Issuer: totpIssuer, AccountName: o.Email})
		if err != nil {
			return nil, "", fmt.Errorf("operator: make TOTP secret: %w", err)
		}
		o.TOTPSecret, otpauthURI = key.Secret(), key.URL()
	}
	if err := s.store.CreateOperator(ctx, o); err != nil {
		return nil, "", fmt.Errorf("operator: create: %w", err)
	}
	return o, otpauthURI, nil
}

// ErrBadCredentials is every failed login, whichever part was wrong.
var ErrBadCredentials = &kyc.Error{Code: kyc.EUnauthorized, Message: "The email, password or code is not right."}

// Login checks an operator's email, password and, if the operator has TOTP, code (RFC 6238, 30 s
// steps, one step of clock drift either way, each code accepted once). It returns the operator,
// or ErrBadCredentials with the operator it was for (nil if the email is unknown), for the audit
// trail. The work is the same whether or not the email is known.
func (s *Service) Login(ctx context.Context, email, password, code string) (*kyc.Operator, error) {
	o, err := s.store.OperatorByEmail(ctx, email)
	if err != nil && kyc.ErrorCode(err) != kyc.ENotFound {
		return nil, fmt.Errorf("operator: login: %w", err)
	}
	hash := s.dummy()
	if o != nil {
		hash = o.PasswordHash
	}
	ok, err := checkPassword(hash, password)
	if err != nil {
		return nil, fmt.Errorf("operator: login: %w", err)
	}
	if o == nil {
		return nil, ErrBadCredentials
	}
	if !ok {
		return o, ErrBadCredentials
	}
	if o.TOTPSecret != "" {
		step, valid := s.totpStep(o.TOTPSecret, code)
		if !valid {
			return o, ErrBadCredentials
		}
		fresh, err := s.store.AcceptTOTPStep(ctx, o.ID, step)
		if err != nil {
			return nil, fmt.Errorf("operator: login: %w", err)
		}
		if !fresh {
			return o, ErrBadCredentials
		}
	}
	return o, nil
}

// totpStep finds the time step, of now and one either side, whose code is code.
func (s *Service) totpStep(secret, code string) (int64, bool) {
	now := s.now()
	for _, drift := range []time.Duration{0, -30 * time.Second, 30 * time.Second} {
		at := now.Add(drift)
		ok, err := totp.ValidateCustom(strings.TrimSpace(code), secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err == nil && ok {
			return at.Unix() / 30, true
		}
	}
	return 0, false
}

// dummy is a hash of a random password with the service's parameters, which a login of an
// unknown email is checked against, so that it costs the same as one of a known email.
func (s *Service) dummy() string {
	s.dummyOnce.Do(func() { s.dummyHash = s.params.hash(NewToken()) })
	return s.dummyHash
}

// StartSession opens a console session for o and returns its token, for the cookie. Only a keyed
// hash of the token is stored.
func (s *Service) StartSession(ctx context.Context, o *kyc.Operator) (string, error) {
	token := NewToken()
	now := s.now()
	err := s.store.CreateOperatorSession(ctx, &kyc.OperatorSession{
		TokenHash: s.sessionHash(token), OperatorID: o.ID, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(s.absolute),
	})
	if err != nil {
		return "", fmt.Errorf("operator: start session: %w", err)
	}
	return token, nil
}

// ErrNoSession is a console request without a live session: none, unknown, idle too long or past
// its absolute lifetime.
var ErrNoSession = &kyc.Error{Code: kyc.EUnauthorized, Message: "Please sign in."}

// Session returns the operator of a live console session, refreshing its idle timer; ErrNoSession
// if the token names none.
func (s *Service) Session(ctx context.Context, token string) (*kyc.Operator, error) {
	if token == "" {
		return nil, ErrNoSession
	}
	hash := s.sessionHash(token)
	se, err := s.store.OperatorSession(ctx, hash)
	if kyc.ErrorCode(err) == kyc.ENotFound {
		return nil, ErrNoSession
	}
	if err != nil {
		return nil, fmt.Errorf("operator: session: %w", err)
	}
	now := s.now()
	if !now.Before(se.ExpiresAt) || !now.Before(se.LastSeenAt.Add(s.idle)) {
		return nil, ErrNoSession
	}
	if now.Sub(se.LastSeenAt) >= touchEvery {
		if err := s.store.TouchOperatorSession(ctx, hash, now); err != nil {
			return nil, fmt.Errorf("operator: session: %w", err)
		}
	}
	o, err := s.store.OperatorByID(ctx, se.OperatorID)
	if err != nil {
		return nil, fmt.Errorf("operator: session: %w", err)
	}
	return o, nil
}

// EndSession ends the session of token (signing out), and drops the sessions past their absolute
// expiry.
func (s *Service) EndSession(ctx context.Context, token string) error {
	if err := s.store.DeleteOperatorSession(ctx, s.sessionHash(token), s.now()); err != nil {
		return fmt.Errorf("operator: end session: %w", err)
	}
	return nil
}

// CSRFToken is the synchronizer token of the session of token: a keyed hash of the session's
// token, so that it is tied to the session and needs no storage. Forms carry it; CheckCSRF
// compares.
func (s *Service) CSRFToken(sessionToken string) string {
	return s.hasher.Hash("console csrf", sessionToken)
}

// CheckCSRF reports whether got is the CSRF token of the session of sessionToken.
func (s *Service) CheckCSRF(sessionToken, got string) bool {
	want := s.CSRFToken(sessionToken)
	return sessionToken != "" && subtle.ConstantTimeCompare([]byte(want), []byte(got)) == 1
}

func (s *Service) sessionHash(token string) string { return s.hasher.Hash("operator session", token) }
func (s *Service) tokenHash(token string) string   { return s.hasher.Hash("operator token", token) }

// CreateToken issues an API token for the operator with email, granting scopes (each must be
// known: kyc.ScopeReviewDecide). The token is shown only now; a keyed hash is stored. EInvalid for
// an unknown scope, ENotFound for an unknown email.
func (s *Service) CreateToken(ctx context.Context, email string, scopes []string) (string, error) {
	for _, sc := range scopes {
		if sc != kyc.ScopeReviewDecide {
			return "", &kyc.Error{Code: kyc.EInvalid, Message: "The token is invalid.", Fields: []kyc.FieldError{{Field: "scope", Message: "must be " + kyc.ScopeReviewDecide}}}
		}
	}
	o, err := s.store.OperatorByEmail(ctx, email)
	if err != nil {
		return "", fmt.Errorf("operator: create token: %w", err)
	}
	token := TokenPrefix + NewToken()
	err = s.store.CreateOperatorToken(ctx, &kyc.OperatorToken{
		ID: uuid.Must(uuid.NewV7()).String(), OperatorID: o.ID, TokenHash: s.tokenHash(token), Scopes: slices.Compact(slices.Sorted(slices.Values(scopes))), CreatedAt: s.now(),
	})
	if err != nil {
		return "", fmt.Errorf("operator: create token: %w", err)
	}
	return token, nil
}

// ErrBadToken is an unknown or malformed operator token.
var ErrBadToken = &kyc.Error{Code: kyc.EUnauthorized, Message: "Send Authorization: Bearer <operator token>."}

// ErrScope is an operator token without the scope the route needs.
var ErrScope = &kyc.Error{Code: kyc.EForbidden, Message: "This operator token does not have the scope this route needs."}

// Authorize returns the operator of an API token that grants scope: ErrBadToken for an unknown
// token, ErrScope (kyc.EForbidden) for a token without the scope.
func (s *Service) Authorize(ctx context.Context, token, scope string) (*kyc.Operator, error) {
	if !strings.HasPrefix(token, TokenPrefix) {
		return nil, ErrBadToken
	}
	t, err := s.store.OperatorTokenByHash(ctx, s.tokenHash(token))
	if kyc.ErrorCode(err) == kyc.ENotFound {
		return nil, ErrBadToken
	}
	if err != nil {
		return nil, fmt.Errorf("operator: authorize: %w", err)
	}
	if !slices.Contains(t.Scopes, scope) {
		return nil, ErrScope
	}
	o, err := s.store.OperatorByID(ctx, t.OperatorID)
	if err != nil {
		return nil, fmt.Errorf("operator: authorize: %w", err)
	}
	return o, nil
}

// NewToken returns an opaque random token: 32 random bytes (256 bits) in unpadded base64url.
func NewToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("operator: no randomness: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
