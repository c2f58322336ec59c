// Package client is the Go SDK of the Kira Users & Verification API.
//
// New returns a Client for one tenant. It fetches an access token with the tenant's credentials
// when first needed, caches it, refreshes it before it expires and once more when a call answers
// 401. Every POST carries an Idempotency-Key (a UUID v4 unless the caller chose one with
// WithIdempotencyKey). Network errors, 429 and 5xx answers are retried with exponential backoff
// and jitter, honouring Retry-After and reusing the same Idempotency-Key, whenever the server
// cannot apply the request twice (see WithRetries).
//
// The calls are grouped by resource over the generated models of gen/apitypes: c.Users,
// c.Verifications, c.Webhooks, c.Events, c.Countries and c.Sandbox. Paginated lists are
// iterators over every page.
// A non-2xx answer comes back as an *APIError (find it with errors.As). c.API is the generated
// client itself, with the same authentication and retries, for anything the groups do not cover.
package client

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/kiraapi/kira/gen/apiclient"
	"github.com/kiraapi/kira/gen/apitypes"
)

// Credentials are a tenant's three credentials.
type Credentials struct {
	APIKey   string
	ClientID string
	Password string
}

// Client calls the API as one tenant. It is safe for concurrent use.
type Client struct {
	// Users creates, reads, updates and lists users.
	Users *UsersService
	// Verifications creates and lists hosted verification sessions.
	Verifications *VerificationsService
	// Webhooks manages the endpoints that receive event deliveries.
	Webhooks *WebhooksService
	// Events reads the event log and redelivers events.
	Events *EventsService
	// Countries reads the country list that addresses are checked against.
	Countries *CountriesService
	// Sandbox holds the helpers of sandbox mode.
	Sandbox *SandboxService
	// API is the generated client; every call it makes is authenticated and retried like the
	// grouped calls, but non-2xx answers are returned as responses (see CheckResponse).
	API *apiclient.ClientWithResponses

	creds Credentials
	auth  *apiclient.ClientWithResponses
	now   func() time.Time

	mu      sync.Mutex
	token   string
	expires time.Time
}

// Option configures a Client.
type Option func(*options)

type options struct {
	httpClient *http.Client
	policy     retryPolicy
}

// WithHTTPClient sets the HTTP client used for every call. Its Timeout bounds a call with all its
// retries; its Transport sends each attempt.
func WithHTTPClient(c *http.Client) Option { return func(o *options) { o.httpClient = c } }

// WithClock sets the clock used to decide when the token needs refreshing and to read Retry-After
// dates.
func WithClock(now func() time.Time) Option { return func(o *options) { o.policy.now = now } }

// WithRetries sets how many times a failed call is tried again (DefaultRetries; 0 disables
// retries). A call is retried after a 429; and after a 5xx other than 501 and 505, a network
// error, or a 409 idempotency_key_in_use, when the server cannot apply it twice: GET, PUT and
// DELETE calls, and the POSTs whose Idempotency-Key the server honours (creating users and
// verification sessions, redacting users). Other POSTs are retried after a 429, or when the connection could not
// be made.
func WithRetries(n int) Option { return func(o *options) { o.policy.retries = max(n, 0) } }

// WithBackoff sets the wait before the first retry (doubled for each further one, half of it
// random) and the longest wait (DefaultBackoffBase, DefaultBackoffMax). A Retry-After answer
// sets the wait instead, up to MaxRetryAfter.
func WithBackoff(base, maxWait time.Duration) Option {
	return func(o *options) { o.policy.base, o.policy.max = base, maxWait }
}

// WithSleep replaces how the client waits between attempts; sleep must return early with an
// error when ctx is done. Tests use it to record the waits instead of sleeping.
func WithSleep(sleep func(ctx context.Context, d time.Duration) error) Option {
	return func(o *options) { o.policy.sleep = sleep }
}

// CallOption configures one call.
type CallOption func(*callOptions)

type callOptions struct {
	idempotencyKey string
}

// WithIdempotencyKey sets the Idempotency-Key of a POST (a UUID v4 is ideal; never put personal
// data in it). Without it every call gets a new key, reused by its own retries only; set one to
// make a call safe to repeat across processes, for instance after a crash.
func WithIdempotencyKey(key string) CallOption {
	return func(o *callOptions) { o.idempotencyKey = key }
}

// editors turns call options into request editors of the generated client.
func editors(opts []CallOption) []apiclient.RequestEditorFn {
	var o callOptions
	for _, opt := range opts {
		opt(&o)
	}
	if o.idempotencyKey == "" {
		return nil
	}
	return []apiclient.RequestEditorFn{func(_ context.Context, req *http.Request) error {
		req.Header.Set(idempotencyHeader, o.idempotencyKey)
		return nil
	}}
}

// Ptr returns a pointer to v, for the optional fields of the generated models:
// apitypes.UserUpdateRequest{FirstName: client.Ptr("Jane")}.
func Ptr[T any](v T) *T { return &v }

// refreshBefore is how long before its expiry a token is replaced.
const refreshBefore = 5 * time.Minute

// New returns a client for the API at baseURL (for example http://127.0.0.1:8080).
func New(baseURL string, creds Credentials, opts ...Option) (*Client, error) {
	o := options{
		httpClient: &http.Client{Timeout: 30 * time.Second},
		policy:     retryPolicy{retries: DefaultRetries, base: DefaultBackoffBase, max: DefaultBackoffMax, now: time.Now, sleep: sleepContext},
	}
	for _, opt := range opts {
		opt(&o)
	}
	c := &Client{creds: creds, now: o.policy.now}
	c.Users = &UsersService{c: c}
	c.Verifications = &VerificationsService{c: c}
	c.Webhooks = &WebhooksService{c: c}
	c.Events = &EventsService{c: c}
	c.Countries = &CountriesService{c: c}
	c.Sandbox = &SandboxService{c: c}

	base := o.httpClient.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	authHTTP := *o.httpClient
	authHTTP.Transport = &retryTransport{next: base, policy: o.policy}
	var err error
	c.auth, err = apiclient.NewClientWithResponses(baseURL, apiclient.WithHTTPClient(&authHTTP))
	if err != nil {
		return nil, fmt.Errorf("new client: %w", err)
	}
	apiHTTP := *o.httpClient
	apiHTTP.Transport = &retryTransport{next: &authTransport{c: c, next: base}, policy: o.policy, keyPOSTs: true}
	c.API, err = apiclient.NewClientWithResponses(baseURL, apiclient.WithHTTPClient(&apiHTTP))
	if err != nil {
		return nil, fmt.Errorf("new client: %w", err)
	}
	return c, nil
}

// Token returns a valid access token, fetching a new one when none is cached or it expires soon.
func (c *Client) Token(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token != "" && c.now().Add(refreshBefore).Before(c.expires) {
		return c.token, nil
	}
	resp, err := c.auth.AuthenticateWithResponse(ctx, apitypes.AuthRequest{ClientId: c.creds.ClientID, Password: &c.creds.Password},
		func(_ context.Context, req *http.Request) error {
			req.Header.Set("x-api-key", c.creds.APIKey)
			return nil
		})
	if err != nil {
		return "", fmt.Errorf("authenticate: %w", err)
	}
	tok, err := result(resp.HTTPResponse, resp.Body, resp.JSON200)
	if err != nil {
		return "", fmt.Errorf("authenticate: %w", err)
	}
	c.token = tok.Data.AccessToken
	c.expires = c.now().Add(time.Duration(tok.Data.ExpiresIn) * time.Second)
	return c.token, nil
}

func (c *Client) forget(token string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token == token {
		c.token = ""
	}
}

// tokenError is a failure to get an access token. The token exchange has its own retries, so the
// call that needed the token is not retried on top.
type tokenError struct{ err error }

func (e *tokenError) Error() string { return e.err.Error() }
func (e *tokenError) Unwrap() error { return e.err }

// authTransport authenticates each request and sends it once more with a new token on a 401.
type authTransport struct {
	c    *Client
	next http.RoundTripper
}

func (t *authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	send := func(first bool) (*http.Response, string, error) {
		token, err := t.c.Token(req.Context())
		if err != nil {
			return nil, "", &tokenError{err}
		}
		r := req.Clone(req.Context())
		r.Header.Set("Authorization", "Bearer "+token)
		r.Header.Set("x-api-key", t.c.creds.APIKey)
		if !first && req.GetBody != nil {
			if r.Body, err = req.GetBody(); err != nil {
				return nil, "", fmt.Errorf("rewind request body: %w", err)
			}
		}
		resp, err := t.next.RoundTrip(r)
		return resp, token, err
	}
	resp, token, err := send(true)
	if err != nil || resp.StatusCode != http.StatusUnauthorized || (req.Body != nil && req.Body != http.NoBody && req.GetBody == nil) {
		return resp, err
	}
	resp.Body.Close()
	t.c.forget(token)
	resp, _, err = send(false)
	return resp, err
}
