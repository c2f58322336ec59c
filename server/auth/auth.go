// Package auth issues and checks tenant credentials and access tokens.
//
// A tenant has three credentials: an API key, a client id and a password. POST /auth exchanges
// all three for a short-lived access token (a JWT signed with HS256); every /v1 call then sends
// the token as "Authorization: Bearer <token>" together with the API key, and both must belong
// to the same tenant.
//
// Nothing secret is stored in plaintext: the API key is kept as its SHA-256 (it is a high-entropy
// random string, so a fast hash is enough and lets the tenant be looked up by it), the password as
// a bcrypt hash of its SHA-256. Every failure is a *kyc.Error with code kyc.EUnauthorized whose
// message never says which of the credentials was right.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	"golang.org/x/crypto/bcrypt"

	"github.com/kiraapi/kira/server/kyc"
	"github.com/kiraapi/kira/server/secret"
)

// Token claims and defaults.
const (
	// Issuer is the "iss" claim of every access token.
	Issuer = "kira"
	// Audience is the single "aud" claim of every access token.
	Audience = "kira-api"
	// DefaultTokenTTL is how long an access token is valid unless WithTokenTTL says otherwise.
	DefaultTokenTTL = time.Hour
	// APIKeyPrefix starts every API key made by CreateTenant.
	APIKeyPrefix = "kira_sk_"
	// DevAPIKeyPrefix starts the API key of DevCredentials.
	DevAPIKeyPrefix = "kira_sk_dev_"
)

// Messages of the kyc.EUnauthorized errors. They help the caller without telling which
// credential was right.
const (
	msgInvalidCredentials = "Invalid credentials."
	msgMissingCredentials = "An access token and an API key are both required."
	msgTokenExpired       = "The access token has expired."
	msgTokenInvalid       = "The access token is invalid."
	msgMismatch           = "Invalid access token or API key."
)

// signingMethod is the only algorithm tokens are signed and accepted with (RFC 8725 §3.1).
var signingMethod = jwt.SigningMethodHS256

// Credentials are what a tenant authenticates with. They are shown once, when made, and stored
// only hashed.
type Credentials struct {
	APIKey   string
	ClientID string
	Password string
}

// Service creates tenants, exchanges credentials for access tokens and checks them. It is safe for
// concurrent use.
type Service struct {
	store      kyc.TenantStore
	keyring    *secret.Keyring
	now        func() time.Time
	ttl        time.Duration
	bcryptCost int
	parser     *jwt.Parser

	dummyOnce sync.Once
	dummyHash []byte // compared against when the tenant is unknown, so Login takes as long

	keys   keyCache
	tokens tokenCache
}

// maxCachedTokens bounds the token cache; when it is full it starts again empty.
const maxCachedTokens = 10000

// tokenCache remembers the access tokens already verified, until they expire, so that a client's
// token is parsed and its signature checked once rather than on every call.
type tokenCache struct {
	mu sync.Mutex
	m  map[string]verifiedToken
}

type verifiedToken struct {
	subject string
	expires time.Time
}

// subject returns the verified token's subject, if the token is known and unexpired at now.
func (c *tokenCache) subject(token string, now time.Time) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[token]
	if !ok || !now.Before(v.expires) {
		return "", false
	}
	return v.subject, true
}

func (c *tokenCache) put(token, subject string, expires time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxCachedTokens {
		c.m = make(map[string]verifiedToken)
	}
	c.m[token] = verifiedToken{subject: subject, expires: expires}
}

// keyCacheTTL is how long a known API key's tenant is remembered, sparing the database a lookup
// on every call. A key replaced on another replica stops working there within this time.
const keyCacheTTL = 30 * time.Second

// keyCache remembers the tenants of recently seen API keys (by hash; only keys that exist).
type keyCache struct {
	mu sync.Mutex
	m  map[string]cachedTenant
}

type cachedTenant struct {
	tenant *kyc.Tenant
	until  time.Time
}

func (c *keyCache) get(hash []byte, now time.Time) *kyc.Tenant {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[string(hash)]; ok && now.Before(e.until) {
		return e.tenant
	}
	return nil
}

func (c *keyCache) put(hash []byte, t *kyc.Tenant, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]cachedTenant{}
	}
	for k, e := range c.m { // drop what has expired, so the cache holds live tenants only
		if !now.Before(e.until) {
			delete(c.m, k)
		}
	}
	c.m[string(hash)] = cachedTenant{tenant: t, until: now.Add(keyCacheTTL)}
}

// forget drops everything, after credentials change.
func (c *keyCache) forget() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m = nil
}

// Option configures a Service.
type Option func(*Service)

// WithClock sets the clock used to issue and verify tokens (time.Now by default).
func WithClock(now func() time.Time) Option {
	return func(s *Service) { s.now = now }
}

// WithTokenTTL sets how long access tokens are valid (DefaultTokenTTL by default). It is rounded
// down to whole seconds, the precision of JWT times; values under a second are ignored.
func WithTokenTTL(ttl time.Duration) Option {
	return func(s *Service) {
		if ttl >= time.Second {
			s.ttl = ttl.Truncate(time.Second)
		}
	}
}

// WithBcryptCost sets the bcrypt cost of new password hashes (bcrypt.DefaultCost by default).
// Tests use bcrypt.MinCost. Values outside bcrypt's range are ignored.
func WithBcryptCost(cost int) Option {
	return func(s *Service) {
		if cost >= bcrypt.MinCost && cost <= bcrypt.MaxCost {
			s.bcryptCost = cost
		}
	}
}

// New returns a Service that keeps tenants in store and signs tokens with keyring's signing key.
func New(store kyc.TenantStore, keyring *secret.Keyring, opts ...Option) *Service {
	s := &Service{store: store, keyring: keyring, now: time.Now, ttl: DefaultTokenTTL, bcryptCost: bcrypt.DefaultCost}
	for _, opt := range opts {
		opt(s)
	}
	s.parser = jwt.NewParser(
		jwt.WithValidMethods([]string{signingMethod.Alg()}),
		jwt.WithIssuer(Issuer),
		jwt.WithAudience(Audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(s.now),
		jwt.WithStrictDecoding(),
	)
	return s
}

// HashAPIKey returns the SHA-256 of an API key: what is stored and looked up.
func HashAPIKey(apiKey string) []byte {
	h := sha256.Sum256([]byte(apiKey))
	return h[:]
}

// CreateTenant creates a tenant with new random credentials and returns them. They are not stored
// in plaintext: this is the only time the API key and password can be read.
func (s *Service) CreateTenant(ctx context.Context, name string) (*kyc.Tenant, Credentials, error) {
	c := Credentials{
		APIKey:   APIKeyPrefix + randomString(32),
		ClientID: uuid.NewString(),
		Password: randomString(24),
	}
	t, err := s.newTenant(name, c)
	if err != nil {
		return nil, Credentials{}, fmt.Errorf("auth: create tenant: %w", err)
	}
	if err := s.store.CreateTenant(ctx, t); err != nil {
		return nil, Credentials{}, fmt.Errorf("auth: create tenant: %w", err)
	}
	return t, c, nil
}

// Provision makes sure a tenant with credentials c exists: it creates one named name or, when a
// tenant already has c.ClientID, gives that tenant c's API key and password (its name is kept).
// Calling it again with the same credentials changes nothing, so it can run on every start.
func (s *Service) Provision(ctx context.Context, name string, c Credentials) (*kyc.Tenant, error) {
	if c.APIKey == "" || c.ClientID == "" || c.Password == "" {
		return nil, kyc.Errorf(kyc.EInvalid, "The API key, client id and password are all required.")
	}
	t, err := s.store.TenantByClientID(ctx, c.ClientID)
	switch {
	case err == nil:
		return s.updateCredentials(ctx, t, c)
	case kyc.ErrorCode(err) != kyc.ENotFound:
		return nil, fmt.Errorf("auth: provision tenant: look up client id: %w", err)
	}
	t, err = s.newTenant(name, c)
	if err != nil {
		return nil, fmt.Errorf("auth: provision tenant: %w", err)
	}
	err = s.store.CreateTenant(ctx, t)
	if kyc.ErrorCode(err) == kyc.EConflict {
		// Another instance may have created the tenant since the lookup: update it instead.
		if existing, lookupErr := s.store.TenantByClientID(ctx, c.ClientID); lookupErr == nil {
			return s.updateCredentials(ctx, existing, c)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("auth: provision tenant: %w", err)
	}
	return t, nil
}

// updateCredentials gives t the API key and password of c, unless it has them already.
func (s *Service) updateCredentials(ctx context.Context, t *kyc.Tenant, c Credentials) (*kyc.Tenant, error) {
	keyHash := HashAPIKey(c.APIKey)
	if subtle.ConstantTimeCompare(t.APIKeyHash, keyHash) == 1 &&
		bcrypt.CompareHashAndPassword(t.PasswordHash, prehash(c.Password)) == nil {
		return t, nil
	}
	pw, err := s.hashPassword(c.Password)
	if err != nil {
		return nil, fmt.Errorf("auth: provision tenant: %w", err)
	}
	u := *t
	u.APIKeyHash = keyHash
	u.PasswordHash = pw
	u.UpdatedAt = s.now().UTC()
	if err := s.store.UpdateTenant(ctx, &u); err != nil {
		return nil, fmt.Errorf("auth: provision tenant: update credentials: %w", err)
	}
	s.keys.forget()
	return &u, nil
}

// DevCredentials returns the sandbox tenant's credentials. They are derived from the keyring, so
// they are the same on every start with the same master key and need not be stored.
func (s *Service) DevCredentials() Credentials {
	derive := func(purpose string) []byte {
		b, err := hex.DecodeString(s.keyring.Hash("auth: dev credentials: "+purpose, ""))
		if err != nil {
			panic("auth: keyring hash is not hex: " + err.Error())
		}
		return b
	}
	var id uuid.UUID
	copy(id[:], derive("client id"))
	id[6] = id[6]&0x0f | 0x80 // version 8: vendor-specific (RFC 9562 §5.8)
	id[8] = id[8]&0x3f | 0x80 // variant 10
	return Credentials{
		APIKey:   DevAPIKeyPrefix + base64.RawURLEncoding.EncodeToString(derive("api key")),
		ClientID: id.String(),
		Password: base64.RawURLEncoding.EncodeToString(derive("password")[:24]),
	}
}

// Login exchanges a tenant's API key, client id and password for an access token, valid for
// expiresIn seconds. Any wrong or missing credential is kyc.EUnauthorized "Invalid credentials.".
func (s *Service) Login(ctx context.Context, apiKey, clientID, password string) (token string, expiresIn int, err error) {
	var t *kyc.Tenant
	if apiKey != "" {
		t, err = s.store.TenantByAPIKeyHash(ctx, HashAPIKey(apiKey))
		if err != nil && kyc.ErrorCode(err) != kyc.ENotFound {
			return "", 0, fmt.Errorf("auth: login: look up API key: %w", err)
		}
	}
	// Do the same work whether or not the tenant exists: one bcrypt comparison and one
	// fixed-length constant-time comparison of the client id.
	hash := s.dummy()
	storedID := ""
	if t != nil {
		hash, storedID = t.PasswordHash, t.ClientID
	}
	passwordOK := bcrypt.CompareHashAndPassword(hash, prehash(password)) == nil
	a, b := sha256.Sum256([]byte(storedID)), sha256.Sum256([]byte(clientID))
	clientIDOK := subtle.ConstantTimeCompare(a[:], b[:]) == 1
	if t == nil || !passwordOK || !clientIDOK || clientID == "" {
		return "", 0, unauthorized(msgInvalidCredentials)
	}

	now := s.now()
	claims := jwt.RegisteredClaims{
		Issuer:    Issuer,
		Subject:   t.ID,
		Audience:  jwt.ClaimStrings{Audience},
		IssuedAt:  jwt.NewNumericDate(now),
		NotBefore: jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(s.ttl)),
		ID:        uuid.NewString(),
	}
	token, err = jwt.NewWithClaims(signingMethod, claims).SignedString(s.keyring.SigningKey())
	if err != nil {
		return "", 0, fmt.Errorf("auth: login: sign token: %w", err)
	}
	return token, int(s.ttl / time.Second), nil
}

// Authenticate returns the tenant that both apiKey and bearerToken belong to. A missing, malformed,
// expired or foreign token, a token without iat or whose lifetime (exp - iat) is beyond the
// configured one (WithTokenTTL), an unknown API key, or a token and key of different tenants are
// all kyc.EUnauthorized.
func (s *Service) Authenticate(ctx context.Context, apiKey, bearerToken string) (*kyc.Tenant, error) {
	if apiKey == "" || bearerToken == "" {
		return nil, unauthorized(msgMissingCredentials)
	}
	// The token is checked first: it costs no database round trip.
	subject, ok := s.tokens.subject(bearerToken, s.now())
	if !ok {
		var claims jwt.RegisteredClaims
		_, err := s.parser.ParseWithClaims(bearerToken, &claims, s.verificationKey)
		switch {
		case errors.Is(err, jwt.ErrTokenExpired) && !errors.Is(err, jwt.ErrTokenSignatureInvalid):
			return nil, unauthorized(msgTokenExpired)
		case err != nil, claims.Subject == "":
			return nil, unauthorized(msgTokenInvalid)
		case claims.IssuedAt == nil || claims.ExpiresAt.Sub(claims.IssuedAt.Time) > s.ttl:
			// No token this service issues lives longer than its configured lifetime: one that
			// does was not made by Login (or was made under a longer, since shortened, lifetime).
			return nil, unauthorized(msgTokenInvalid)
		}
		subject = claims.Subject
		s.tokens.put(bearerToken, subject, claims.ExpiresAt.Time)
	}

	hash := HashAPIKey(apiKey)
	t := s.keys.get(hash, s.now())
	if t == nil {
		var err error
		t, err = s.store.TenantByAPIKeyHash(ctx, hash)
		switch {
		case kyc.ErrorCode(err) == kyc.ENotFound:
			return nil, unauthorized(msgMismatch)
		case err != nil:
			return nil, fmt.Errorf("auth: authenticate: look up API key: %w", err)
		}
		s.keys.put(hash, t, s.now())
	}
	if subtle.ConstantTimeCompare([]byte(t.ID), []byte(subject)) != 1 {
		return nil, unauthorized(msgMismatch)
	}
	return t, nil
}

// verificationKey is the jwt.Keyfunc: the signing key, for HS256 only. The parser already
// rejects other algorithms; this is a second guard against algorithm confusion.
func (s *Service) verificationKey(t *jwt.Token) (any, error) {
	if t.Method != signingMethod {
		return nil, fmt.Errorf("unexpected signing method %q", t.Method.Alg())
	}
	return s.keyring.SigningKey(), nil
}

// newTenant returns a tenant named name with the hashes of c, not yet stored.
func (s *Service) newTenant(name string, c Credentials) (*kyc.Tenant, error) {
	if strings.TrimSpace(name) == "" {
		return nil, kyc.Errorf(kyc.EInvalid, "The tenant name is required.")
	}
	pw, err := s.hashPassword(c.Password)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	return &kyc.Tenant{
		ID:           uuid.NewString(),
		Name:         name,
		ClientID:     c.ClientID,
		APIKeyHash:   HashAPIKey(c.APIKey),
		PasswordHash: pw,
		CreatedAt:    now,
		UpdatedAt:    now,
	}, nil
}

func (s *Service) hashPassword(password string) ([]byte, error) {
	h, err := bcrypt.GenerateFromPassword(prehash(password), s.bcryptCost)
	if err != nil {
		return nil, fmt.Errorf("hash password: %w", err)
	}
	return h, nil
}

// dummy returns a bcrypt hash of a random password, made once with the service's cost.
func (s *Service) dummy() []byte {
	s.dummyOnce.Do(func() {
		h, err := bcrypt.GenerateFromPassword(prehash(randomString(24)), s.bcryptCost)
		if err != nil {
			panic("auth: hash dummy password: " + err.Error())
		}
		s.dummyHash = h
	})
	return s.dummyHash
}

// prehash makes a password of any length fit bcrypt's 72-byte limit: the base64 of its SHA-256
// is 44 bytes and has no NUL byte.
func prehash(password string) []byte {
	h := sha256.Sum256([]byte(password))
	out := make([]byte, base64.StdEncoding.EncodedLen(len(h)))
	base64.StdEncoding.Encode(out, h[:])
	return out
}

// randomString returns n random bytes in unpadded base64url.
func randomString(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("auth: no randomness: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func unauthorized(msg string) error {
	return &kyc.Error{Code: kyc.EUnauthorized, Message: msg}
}
