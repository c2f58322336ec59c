// Package client is the Go SDK of the Kira Users & Verification API. It wraps the client generated
// from the spec (gen/apiclient) with what every integration needs: it fetches an access token with
// the tenant's credentials, caches it, refreshes it before it expires and once more when a call
// answers 401, and gives every POST an Idempotency-Key unless the caller set one.
package client

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

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
	// API is the generated client; every call it makes is authenticated.
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
	now        func() time.Time
}

// WithHTTPClient sets the HTTP client used for every call.
func WithHTTPClient(c *http.Client) Option { return func(o *options) { o.httpClient = c } }

// WithClock sets the clock used to decide when the token needs refreshing.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// refreshBefore is how long before its expiry a token is replaced.
const refreshBefore = 5 * time.Minute

// New returns a client for the API at baseURL (for example http://127.0.0.1:8080).
func New(baseURL string, creds Credentials, opts ...Option) (*Client, error) {
	o := options{httpClient: &http.Client{Timeout: 30 * time.Second}, now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	c := &Client{creds: creds, now: o.now}
	var err error
	c.auth, err = apiclient.NewClientWithResponses(baseURL, apiclient.WithHTTPClient(o.httpClient))
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	authed := *o.httpClient
	next := authed.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	authed.Transport = &transport{c: c, next: next}
	c.API, err = apiclient.NewClientWithResponses(baseURL, apiclient.WithHTTPClient(&authed))
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
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
	if resp.JSON200 == nil {
		return "", fmt.Errorf("authenticate: %s: %s", resp.Status(), strings.TrimSpace(string(resp.Body)))
	}
	c.token = resp.JSON200.Data.AccessToken
	c.expires = c.now().Add(time.Duration(resp.JSON200.Data.ExpiresIn) * time.Second)
	return c.token, nil
}

func (c *Client) forget(token string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token == token {
		c.token = ""
	}
}

// transport authenticates each request and retries it once with a new token on a 401.
type transport struct {
	c    *Client
	next http.RoundTripper
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		var err error
		body, err = io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
	}
	if req.Method == http.MethodPost && req.Header.Get("Idempotency-Key") == "" {
		req.Header.Set("Idempotency-Key", uuid.NewString())
	}
	send := func() (*http.Response, string, error) {
		token, err := t.c.Token(req.Context())
		if err != nil {
			return nil, "", err
		}
		r := req.Clone(req.Context())
		r.Header.Set("Authorization", "Bearer "+token)
		r.Header.Set("x-api-key", t.c.creds.APIKey)
		if body != nil {
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		resp, err := t.next.RoundTrip(r)
		return resp, token, err
	}
	resp, token, err := send()
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		return resp, err
	}
	resp.Body.Close()
	t.c.forget(token)
	resp, _, err = send()
	return resp, err
}
