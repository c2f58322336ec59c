package auth_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	"golang.org/x/crypto/bcrypt"

	"github.com/kiraapi/kira/server/auth"
	"github.com/kiraapi/kira/server/clocktest"
	"github.com/kiraapi/kira/server/kyc"
	"github.com/kiraapi/kira/server/secret"
)

// fakeStore is a kyc.TenantStore that keeps tenants in memory.
type fakeStore struct {
	mu      sync.Mutex
	tenants map[string]kyc.Tenant // by ID
	err     error                 // when set, every call fails with it
}

func newFakeStore() *fakeStore { return &fakeStore{tenants: map[string]kyc.Tenant{}} }

func (f *fakeStore) CreateTenant(_ context.Context, t *kyc.Tenant) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	for _, o := range f.tenants {
		if o.ID == t.ID || o.ClientID == t.ClientID || bytes.Equal(o.APIKeyHash, t.APIKeyHash) {
			return kyc.Errorf(kyc.EConflict, "tenant exists")
		}
	}
	f.tenants[t.ID] = *t
	return nil
}

func (f *fakeStore) UpdateTenant(_ context.Context, t *kyc.Tenant) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	if _, ok := f.tenants[t.ID]; !ok {
		return kyc.Errorf(kyc.ENotFound, "no tenant")
	}
	f.tenants[t.ID] = *t
	return nil
}

func (f *fakeStore) find(match func(kyc.Tenant) bool) (*kyc.Tenant, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	for _, t := range f.tenants {
		if match(t) {
			return &t, nil
		}
	}
	return nil, kyc.Errorf(kyc.ENotFound, "no tenant")
}

func (f *fakeStore) TenantByAPIKeyHash(_ context.Context, hash []byte) (*kyc.Tenant, error) {
	return f.find(func(t kyc.Tenant) bool { return bytes.Equal(t.APIKeyHash, hash) })
}

func (f *fakeStore) TenantByClientID(_ context.Context, clientID string) (*kyc.Tenant, error) {
	return f.find(func(t kyc.Tenant) bool { return t.ClientID == clientID })
}

func (f *fakeStore) fail(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.err = err
}

var start = time.Date(2026, 11, 25, 20, 0, 0, 0, time.UTC)

func newKeyring(tb testing.TB, b byte) *secret.Keyring {
	tb.Helper()
	k, err := secret.NewKeyring(bytes.Repeat([]byte{b}, secret.KeySize))
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

// env is a Service over a fake store, with a settable clock.
type env struct {
	svc     *auth.Service
	store   *fakeStore
	clock   *clocktest.Clock
	keyring *secret.Keyring
}

func newEnv(tb testing.TB) *env {
	tb.Helper()
	e := &env{store: newFakeStore(), clock: clocktest.New(start), keyring: newKeyring(tb, 7)}
	e.svc = auth.New(e.store, e.keyring, auth.WithClock(e.clock.Now), auth.WithBcryptCost(bcrypt.MinCost))
	return e
}

// tenant creates a tenant and logs it in.
type tenant struct {
	t     *kyc.Tenant
	creds auth.Credentials
	token string
}

func (e *env) tenant(tb testing.TB, name string) tenant {
	tb.Helper()
	t, creds, err := e.svc.CreateTenant(tb.Context(), name)
	if err != nil {
		tb.Fatal(err)
	}
	token, _, err := e.svc.Login(tb.Context(), creds.APIKey, creds.ClientID, creds.Password)
	if err != nil {
		tb.Fatal(err)
	}
	return tenant{t: t, creds: creds, token: token}
}

// wantUnauthorized fails unless err is kyc.EUnauthorized with message msg.
func wantUnauthorized(t *testing.T, err error, msg string) {
	t.Helper()
	var e *kyc.Error
	if !errors.As(err, &e) || e.Code != kyc.EUnauthorized {
		t.Fatalf("err = %v, want %s", err, kyc.EUnauthorized)
	}
	if e.Message != msg {
		t.Errorf("message = %q, want %q", e.Message, msg)
	}
}

func TestCreateLoginAuthenticate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn, creds, err := e.svc.CreateTenant(t.Context(), "Acme")
	if err != nil {
		t.Fatal(err)
	}

	if rest, ok := strings.CutPrefix(creds.APIKey, "kira_sk_"); !ok || len(rest) != 43 || strings.ContainsAny(rest, "+/=") {
		t.Errorf("api key %q: want kira_sk_ + 43 base64url characters", creds.APIKey)
	}
	if id, err := uuid.Parse(creds.ClientID); err != nil || id.Version() != 4 {
		t.Errorf("client id %q: want a UUID v4 (%v)", creds.ClientID, err)
	}
	if len(creds.Password) != 32 || strings.ContainsAny(creds.Password, "+/=") {
		t.Errorf("password %q: want 32 base64url characters", creds.Password)
	}
	stored, err := e.store.TenantByClientID(t.Context(), creds.ClientID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.ID != tn.ID || stored.Name != "Acme" || !stored.CreatedAt.Equal(start) {
		t.Errorf("stored tenant = %+v", stored)
	}
	if !bytes.Equal(stored.APIKeyHash, auth.HashAPIKey(creds.APIKey)) {
		t.Error("APIKeyHash is not the SHA-256 of the API key")
	}
	if cost, err := bcrypt.Cost(stored.PasswordHash); err != nil || cost != bcrypt.MinCost {
		t.Errorf("PasswordHash: cost %d, %v", cost, err)
	}
	if bytes.Contains(stored.PasswordHash, []byte(creds.Password)) {
		t.Error("the password is stored in plaintext")
	}

	token, expiresIn, err := e.svc.Login(t.Context(), creds.APIKey, creds.ClientID, creds.Password)
	if err != nil {
		t.Fatal(err)
	}
	if expiresIn != 3600 {
		t.Errorf("expiresIn = %d, want 3600", expiresIn)
	}
	var claims jwt.RegisteredClaims
	parsed, _, err := jwt.NewParser().ParseUnverified(token, &claims)
	if err != nil {
		t.Fatal(err)
	}
	if parsed.Header["alg"] != "HS256" {
		t.Errorf("alg = %v", parsed.Header["alg"])
	}
	if claims.Issuer != "kira" || len(claims.Audience) != 1 || claims.Audience[0] != "kira-api" || claims.Subject != tn.ID {
		t.Errorf("claims = %+v", claims)
	}
	if !claims.IssuedAt.Equal(start) || !claims.NotBefore.Equal(start) || !claims.ExpiresAt.Equal(start.Add(time.Hour)) {
		t.Errorf("times: iat %v nbf %v exp %v", claims.IssuedAt, claims.NotBefore, claims.ExpiresAt)
	}
	if _, err := uuid.Parse(claims.ID); err != nil {
		t.Errorf("jti %q: %v", claims.ID, err)
	}

	got, err := e.svc.Authenticate(t.Context(), creds.APIKey, token)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != tn.ID {
		t.Errorf("Authenticate = tenant %s, want %s", got.ID, tn.ID)
	}

	// Two logins give two distinct tokens.
	token2, _, err := e.svc.Login(t.Context(), creds.APIKey, creds.ClientID, creds.Password)
	if err != nil || token2 == token {
		t.Errorf("second login: same token or %v", err)
	}
}

func TestLoginRejects(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a, b := e.tenant(t, "A"), e.tenant(t, "B")
	tests := []struct {
		name                       string
		apiKey, clientID, password string
	}{
		{"wrong password", a.creds.APIKey, a.creds.ClientID, b.creds.Password},
		{"wrong client id", a.creds.APIKey, uuid.NewString(), a.creds.Password},
		{"client id of another tenant", a.creds.APIKey, b.creds.ClientID, a.creds.Password},
		{"api key of another tenant", b.creds.APIKey, a.creds.ClientID, a.creds.Password},
		{"unknown api key", "kira_sk_unknown", a.creds.ClientID, a.creds.Password},
		{"no api key", "", a.creds.ClientID, a.creds.Password},
		{"no client id", a.creds.APIKey, "", a.creds.Password},
		{"no password", a.creds.APIKey, a.creds.ClientID, ""},
		{"password prefix", a.creds.APIKey, a.creds.ClientID, a.creds.Password[:31]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			token, expiresIn, err := e.svc.Login(t.Context(), tt.apiKey, tt.clientID, tt.password)
			wantUnauthorized(t, err, "Invalid credentials.")
			if token != "" || expiresIn != 0 {
				t.Errorf("got a token with an error: %q %d", token, expiresIn)
			}
		})
	}
}

// rawToken builds a token by hand, signing header.payload with HMAC-SHA256 and key whatever the
// header says.
func rawToken(header, claims map[string]any, key []byte) string {
	enc := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			panic(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	input := enc(header) + "." + enc(claims)
	m := hmac.New(sha256.New, key)
	m.Write([]byte(input))
	return input + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func sign(t *testing.T, method jwt.SigningMethod, claims jwt.MapClaims, key any) string {
	t.Helper()
	s, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestAuthenticate(t *testing.T) {
	t.Parallel()
	const (
		expired  = "The access token has expired."
		invalid  = "The access token is invalid."
		mismatch = "Invalid access token or API key."
		missing  = "An access token and an API key are both required."
	)
	// claims are valid claims for tenant a at the start time.
	claims := func(a tenant) jwt.MapClaims {
		return jwt.MapClaims{
			"iss": "kira", "aud": []string{"kira-api"}, "sub": a.t.ID, "jti": uuid.NewString(),
			"iat": start.Unix(), "nbf": start.Unix(), "exp": start.Add(time.Hour).Unix(),
		}
	}
	with := func(c jwt.MapClaims, k string, v any) jwt.MapClaims {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	tests := []struct {
		name string
		// build returns the API key and token to authenticate with; a and b are logged in.
		build   func(t *testing.T, e *env, a, b tenant) (apiKey, token string)
		wantErr string // "" when tenant a must be authenticated
	}{
		{"valid", func(t *testing.T, e *env, a, b tenant) (string, string) { return a.creds.APIKey, a.token }, ""},
		{"valid hand-made claims", func(t *testing.T, e *env, a, b tenant) (string, string) {
			return a.creds.APIKey, sign(t, jwt.SigningMethodHS256, claims(a), e.keyring.SigningKey())
		}, ""},
		{"one second before expiry", func(t *testing.T, e *env, a, b tenant) (string, string) {
			e.clock.Advance(time.Hour - time.Second)
			return a.creds.APIKey, a.token
		}, ""},
		{"token of A, api key of B", func(t *testing.T, e *env, a, b tenant) (string, string) { return b.creds.APIKey, a.token }, mismatch},
		{"token of B, api key of A", func(t *testing.T, e *env, a, b tenant) (string, string) { return a.creds.APIKey, b.token }, mismatch},
		{"unknown api key", func(t *testing.T, e *env, a, b tenant) (string, string) { return "kira_sk_unknown", a.token }, mismatch},
		{"no api key", func(t *testing.T, e *env, a, b tenant) (string, string) { return "", a.token }, missing},
		{"no token", func(t *testing.T, e *env, a, b tenant) (string, string) { return a.creds.APIKey, "" }, missing},
		{"expired at exp", func(t *testing.T, e *env, a, b tenant) (string, string) {
			e.clock.Advance(time.Hour)
			return a.creds.APIKey, a.token
		}, expired},
		{"expired a day later", func(t *testing.T, e *env, a, b tenant) (string, string) {
			e.clock.Advance(24 * time.Hour)
			return a.creds.APIKey, a.token
		}, expired},
		{"expired token of another tenant", func(t *testing.T, e *env, a, b tenant) (string, string) {
			e.clock.Advance(2 * time.Hour)
			return b.creds.APIKey, a.token
		}, expired},
		{"not valid yet", func(t *testing.T, e *env, a, b tenant) (string, string) {
			e.clock.Advance(-time.Second)
			return a.creds.APIKey, a.token
		}, invalid},
		{"signed with another key", func(t *testing.T, e *env, a, b tenant) (string, string) {
			return a.creds.APIKey, sign(t, jwt.SigningMethodHS256, claims(a), newKeyring(t, 8).SigningKey())
		}, invalid},
		{"expired and signed with another key", func(t *testing.T, e *env, a, b tenant) (string, string) {
			e.clock.Advance(2 * time.Hour)
			return a.creds.APIKey, sign(t, jwt.SigningMethodHS256, claims(a), newKeyring(t, 8).SigningKey())
		}, invalid},
		{"alg none", func(t *testing.T, e *env, a, b tenant) (string, string) {
			return a.creds.APIKey, sign(t, jwt.SigningMethodNone, claims(a), jwt.UnsafeAllowNoneSignatureType)
		}, invalid},
		{"alg none, hand-made", func(t *testing.T, e *env, a, b tenant) (string, string) {
			tok := rawToken(map[string]any{"alg": "none", "typ": "JWT"}, claims(a), nil)
			return a.creds.APIKey, tok[:strings.LastIndexByte(tok, '.')+1]
		}, invalid},
		{"HS512 with the signing key", func(t *testing.T, e *env, a, b tenant) (string, string) {
			return a.creds.APIKey, sign(t, jwt.SigningMethodHS512, claims(a), e.keyring.SigningKey())
		}, invalid},
		{"RS256 header, HMAC signature (algorithm confusion)", func(t *testing.T, e *env, a, b tenant) (string, string) {
			return a.creds.APIKey, rawToken(map[string]any{"alg": "RS256", "typ": "JWT"}, claims(a), e.keyring.SigningKey())
		}, invalid},
		{"sub changed after signing", func(t *testing.T, e *env, a, b tenant) (string, string) {
			parts := strings.Split(a.token, ".")
			forged := strings.Split(rawToken(map[string]any{"alg": "HS256", "typ": "JWT"}, with(claims(a), "sub", b.t.ID), nil), ".")
			return b.creds.APIKey, parts[0] + "." + forged[1] + "." + parts[2]
		}, invalid},
		{"wrong issuer", func(t *testing.T, e *env, a, b tenant) (string, string) {
			return a.creds.APIKey, sign(t, jwt.SigningMethodHS256, with(claims(a), "iss", "evil"), e.keyring.SigningKey())
		}, invalid},
		{"wrong audience", func(t *testing.T, e *env, a, b tenant) (string, string) {
			return a.creds.APIKey, sign(t, jwt.SigningMethodHS256, with(claims(a), "aud", []string{"other"}), e.keyring.SigningKey())
		}, invalid},
		{"no exp", func(t *testing.T, e *env, a, b tenant) (string, string) {
			return a.creds.APIKey, sign(t, jwt.SigningMethodHS256, with(claims(a), "exp", nil), e.keyring.SigningKey())
		}, invalid},
		{"no sub", func(t *testing.T, e *env, a, b tenant) (string, string) {
			return a.creds.APIKey, sign(t, jwt.SigningMethodHS256, with(claims(a), "sub", nil), e.keyring.SigningKey())
		}, invalid},
		{"issued in the future", func(t *testing.T, e *env, a, b tenant) (string, string) {
			return a.creds.APIKey, sign(t, jwt.SigningMethodHS256, with(claims(a), "iat", start.Add(time.Minute).Unix()), e.keyring.SigningKey())
		}, invalid},
		{"lifetime of exactly the maximum", func(t *testing.T, e *env, a, b tenant) (string, string) {
			return a.creds.APIKey, sign(t, jwt.SigningMethodHS256, with(claims(a), "exp", start.Add(time.Hour).Unix()), e.keyring.SigningKey())
		}, ""},
		{"lifetime beyond the maximum", func(t *testing.T, e *env, a, b tenant) (string, string) {
			return a.creds.APIKey, sign(t, jwt.SigningMethodHS256, with(claims(a), "exp", start.Add(time.Hour+time.Second).Unix()), e.keyring.SigningKey())
		}, invalid},
		{"a ten-year token", func(t *testing.T, e *env, a, b tenant) (string, string) {
			return a.creds.APIKey, sign(t, jwt.SigningMethodHS256, with(claims(a), "exp", start.AddDate(10, 0, 0).Unix()), e.keyring.SigningKey())
		}, invalid},
		{"long-lived, backdated iat", func(t *testing.T, e *env, a, b tenant) (string, string) {
			c := with(claims(a), "iat", start.Add(-24*time.Hour).Unix())
			return a.creds.APIKey, sign(t, jwt.SigningMethodHS256, with(c, "exp", start.Add(time.Hour).Unix()), e.keyring.SigningKey())
		}, invalid},
		{"no iat", func(t *testing.T, e *env, a, b tenant) (string, string) {
			return a.creds.APIKey, sign(t, jwt.SigningMethodHS256, with(claims(a), "iat", nil), e.keyring.SigningKey())
		}, invalid},
		{"garbage", func(t *testing.T, e *env, a, b tenant) (string, string) { return a.creds.APIKey, "not-a-token" }, invalid},
		{"three garbage segments", func(t *testing.T, e *env, a, b tenant) (string, string) { return a.creds.APIKey, "a.b.c" }, invalid},
		{"api key as token", func(t *testing.T, e *env, a, b tenant) (string, string) { return a.creds.APIKey, a.creds.APIKey }, invalid},
		{"truncated signature", func(t *testing.T, e *env, a, b tenant) (string, string) {
			return a.creds.APIKey, a.token[:len(a.token)-2]
		}, invalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			a, b := e.tenant(t, "A"), e.tenant(t, "B")
			apiKey, token := tt.build(t, e, a, b)
			got, err := e.svc.Authenticate(t.Context(), apiKey, token)
			if tt.wantErr != "" {
				wantUnauthorized(t, err, tt.wantErr)
				if got != nil {
					t.Errorf("got tenant %s with an error", got.ID)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != a.t.ID {
				t.Errorf("tenant = %s, want %s", got.ID, a.t.ID)
			}
		})
	}
}

func TestProvision(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	first := auth.Credentials{APIKey: "kira_sk_first_key_0123456789", ClientID: uuid.NewString(), Password: "first-password"}
	created, err := e.svc.Provision(ctx, "default", first)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.svc.Login(ctx, first.APIKey, first.ClientID, first.Password); err != nil {
		t.Fatalf("login after create: %v", err)
	}

	// Again with the same credentials, as on a restart: nothing changes.
	again, err := e.svc.Provision(ctx, "default", first)
	if err != nil {
		t.Fatal(err)
	}
	stored, _ := e.store.TenantByClientID(ctx, first.ClientID)
	if again.ID != created.ID || !bytes.Equal(stored.PasswordHash, created.PasswordHash) || len(e.store.tenants) != 1 {
		t.Errorf("provisioning the same credentials rewrote the tenant")
	}

	// New API key and password for the same client id: the tenant is updated.
	e.clock.Advance(time.Minute)
	second := auth.Credentials{APIKey: "kira_sk_second_key_0123456789", ClientID: first.ClientID, Password: "second-password"}
	updated, err := e.svc.Provision(ctx, "renamed", second)
	if err != nil {
		t.Fatal(err)
	}
	if updated.ID != created.ID || updated.Name != "default" || !updated.UpdatedAt.Equal(start.Add(time.Minute)) {
		t.Errorf("updated tenant = %+v, want id %s, name kept", updated, created.ID)
	}
	if n := len(e.store.tenants); n != 1 {
		t.Errorf("%d tenants, want 1", n)
	}
	tests := []struct {
		name   string
		creds  auth.Credentials
		wantOK bool
	}{
		{"new credentials", second, true},
		{"old password", auth.Credentials{APIKey: second.APIKey, ClientID: first.ClientID, Password: first.Password}, false},
		{"old api key", auth.Credentials{APIKey: first.APIKey, ClientID: first.ClientID, Password: second.Password}, false},
		{"all old", first, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := e.svc.Login(t.Context(), tt.creds.APIKey, tt.creds.ClientID, tt.creds.Password)
			if tt.wantOK && err != nil {
				t.Errorf("login: %v", err)
			}
			if !tt.wantOK {
				wantUnauthorized(t, err, "Invalid credentials.")
			}
		})
	}
}

func TestProvisionInvalid(t *testing.T) {
	t.Parallel()
	ok := auth.Credentials{APIKey: "kira_sk_key", ClientID: uuid.NewString(), Password: "pw"}
	tests := []struct {
		name  string
		tname string
		creds auth.Credentials
	}{
		{"no api key", "x", auth.Credentials{ClientID: ok.ClientID, Password: ok.Password}},
		{"no client id", "x", auth.Credentials{APIKey: ok.APIKey, Password: ok.Password}},
		{"no password", "x", auth.Credentials{APIKey: ok.APIKey, ClientID: ok.ClientID}},
		{"no name", " ", ok},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			_, err := e.svc.Provision(t.Context(), tt.tname, tt.creds)
			if code := kyc.ErrorCode(err); code != kyc.EInvalid {
				t.Errorf("err = %v, want %s", err, kyc.EInvalid)
			}
			if len(e.store.tenants) != 0 {
				t.Error("a tenant was created")
			}
		})
	}
}

func TestDevCredentials(t *testing.T) {
	t.Parallel()
	store := newFakeStore()
	s1 := auth.New(store, newKeyring(t, 7), auth.WithBcryptCost(bcrypt.MinCost))
	s2 := auth.New(newFakeStore(), newKeyring(t, 7)) // same master key, separate keyring
	other := auth.New(store, newKeyring(t, 9))

	c1, c2, c3 := s1.DevCredentials(), s2.DevCredentials(), other.DevCredentials()
	if c1 != c2 {
		t.Errorf("same key, different credentials: %+v vs %+v", c1, c2)
	}
	if c1 != s1.DevCredentials() {
		t.Error("DevCredentials is not stable")
	}
	if c1.APIKey == c3.APIKey || c1.ClientID == c3.ClientID || c1.Password == c3.Password {
		t.Errorf("another key shares credentials: %+v vs %+v", c1, c3)
	}
	for _, c := range []auth.Credentials{c1, c3} {
		if !strings.HasPrefix(c.APIKey, "kira_sk_dev_") || len(c.APIKey) < len("kira_sk_dev_")+40 {
			t.Errorf("api key %q", c.APIKey)
		}
		if _, err := uuid.Parse(c.ClientID); err != nil {
			t.Errorf("client id %q: %v", c.ClientID, err)
		}
		if len(c.Password) < 32 {
			t.Errorf("password %q too short", c.Password)
		}
	}
	if c1.APIKey[len("kira_sk_dev_"):] == c1.Password {
		t.Error("api key and password derived alike")
	}

	// Provisioned on every start, they keep working and keep the same tenant.
	t1, err := s1.Provision(t.Context(), "sandbox", c1)
	if err != nil {
		t.Fatal(err)
	}
	t2, err := s1.Provision(t.Context(), "sandbox", s1.DevCredentials())
	if err != nil || t2.ID != t1.ID {
		t.Fatalf("second provision: %v, tenant %v want %s", err, t2, t1.ID)
	}
	token, _, err := s1.Login(t.Context(), c1.APIKey, c1.ClientID, c1.Password)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s1.Authenticate(t.Context(), c1.APIKey, token); err != nil {
		t.Fatal(err)
	}
}

func TestLongPassword(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	long := strings.Repeat("p", 199) + "1" // 200 bytes, past bcrypt's 72
	c := auth.Credentials{APIKey: "kira_sk_long_password_key", ClientID: uuid.NewString(), Password: long}
	if _, err := e.svc.Provision(t.Context(), "long", c); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		password string
		wantOK   bool
	}{
		{"exact", long, true},
		{"differs after byte 72", strings.Repeat("p", 199) + "2", false},
		{"first 72 bytes", long[:72], false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := e.svc.Login(t.Context(), c.APIKey, c.ClientID, tt.password)
			if tt.wantOK && err != nil {
				t.Errorf("login: %v", err)
			}
			if !tt.wantOK {
				wantUnauthorized(t, err, "Invalid credentials.")
			}
		})
	}
}

func TestTokenTTL(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	svc := auth.New(e.store, e.keyring, auth.WithClock(e.clock.Now), auth.WithBcryptCost(bcrypt.MinCost), auth.WithTokenTTL(5*time.Minute))
	_, creds, err := svc.CreateTenant(t.Context(), "short")
	if err != nil {
		t.Fatal(err)
	}
	token, expiresIn, err := svc.Login(t.Context(), creds.APIKey, creds.ClientID, creds.Password)
	if err != nil || expiresIn != 300 {
		t.Fatalf("login: %d, %v", expiresIn, err)
	}
	e.clock.Advance(5 * time.Minute)
	_, err = svc.Authenticate(t.Context(), creds.APIKey, token)
	wantUnauthorized(t, err, "The access token has expired.")
}

func TestStoreErrors(t *testing.T) {
	t.Parallel()
	boom := errors.New("database is down")
	tests := []struct {
		name string
		call func(e *env, a tenant) error
	}{
		{"login", func(e *env, a tenant) error {
			_, _, err := e.svc.Login(context.Background(), a.creds.APIKey, a.creds.ClientID, a.creds.Password)
			return err
		}},
		{"authenticate", func(e *env, a tenant) error {
			_, err := e.svc.Authenticate(context.Background(), a.creds.APIKey, a.token)
			return err
		}},
		{"provision", func(e *env, a tenant) error {
			_, err := e.svc.Provision(context.Background(), "x", a.creds)
			return err
		}},
		{"create tenant", func(e *env, a tenant) error {
			_, _, err := e.svc.CreateTenant(context.Background(), "x")
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			a := e.tenant(t, "A")
			e.store.fail(boom)
			err := tt.call(e, a)
			if !errors.Is(err, boom) || kyc.ErrorCode(err) != kyc.EInternal {
				t.Errorf("err = %v, want %v wrapped as internal", err, boom)
			}
			if !strings.HasPrefix(err.Error(), "auth: ") {
				t.Errorf("err = %q, want context", err)
			}
		})
	}
}

func BenchmarkAuthenticate(b *testing.B) {
	e := newEnv(b)
	a := e.tenant(b, "bench")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.svc.Authenticate(ctx, a.creds.APIKey, a.token); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLogin(b *testing.B) {
	e := newEnv(b)
	a := e.tenant(b, "bench")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := e.svc.Login(ctx, a.creds.APIKey, a.creds.ClientID, a.creds.Password); err != nil {
			b.Fatal(err)
		}
	}
}

// TestRememberedTokenStillExpires checks that a token verified once, and remembered, is refused
// from its expiry on, and that remembering it does not let it pass with another tenant's key.
func TestRememberedTokenStillExpires(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a, b := e.tenant(t, "A"), e.tenant(t, "B")
	if _, err := e.svc.Authenticate(t.Context(), a.creds.APIKey, a.token); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Authenticate(t.Context(), b.creds.APIKey, a.token); kyc.ErrorCode(err) != kyc.EUnauthorized {
		t.Errorf("a remembered token with another tenant's key: %v", err)
	}
	e.clock.Advance(time.Hour)
	if _, err := e.svc.Authenticate(t.Context(), a.creds.APIKey, a.token); kyc.ErrorCode(err) != kyc.EUnauthorized {
		t.Errorf("a remembered token at its expiry: %v", err)
	}
}
