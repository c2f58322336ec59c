package client_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/kiraapi/kira/client"
	"github.com/kiraapi/kira/gen/apitypes"
	"github.com/kiraapi/kira/server/clocktest"
	"github.com/kiraapi/kira/server/httpapi"
)

// sleeps records the waits between attempts instead of sleeping.
type sleeps struct {
	mu    sync.Mutex
	waits []time.Duration
	// also, if set, is called with each wait (to move a fake clock).
	also func(time.Duration)
}

func (s *sleeps) sleep(_ context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.waits = append(s.waits, d)
	if s.also != nil {
		s.also(d)
	}
	return nil
}

func (s *sleeps) recorded() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waits...)
}

// countAuth counts the calls to /auth.
func countAuth(n *atomic.Int32) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/auth" {
				n.Add(1)
			}
			h.ServeHTTP(w, r)
		})
	}
}

func newClient(t *testing.T, sb *sandbox, opts ...client.Option) *client.Client {
	t.Helper()
	c, err := client.New(sb.URL, sb.Creds, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func minimalUser(email string) apitypes.UserCreateRequest {
	return apitypes.UserCreateRequest{Type: apitypes.Individual, Email: apitypes.Email(email)}
}

func TestClientAuthenticatesAndRefreshes(t *testing.T) {
	t.Parallel()
	serverClock := clocktest.New(time.Now())
	logins := &atomic.Int32{}
	sb := newSandbox(t, sandboxOptions{now: serverClock.Now, wrap: countAuth(logins)})
	c := newClient(t, sb)
	created, err := c.Users.Create(t.Context(), minimalUser("j@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Users.Get(t.Context(), created.Id.String())
	if err != nil || got.Email != "j@example.com" {
		t.Fatalf("get: %v %v", got, err)
	}
	if n := logins.Load(); n != 1 {
		t.Errorf("%d logins for two calls, want 1 (the token is cached)", n)
	}
	// The server's clock moves past the token's expiry; the client's does not know it: the 401 makes
	// it log in again and retry once.
	serverClock.Advance(2 * time.Hour)
	if _, err := c.Users.Get(t.Context(), created.Id.String()); err != nil {
		t.Fatalf("get after expiry: %v", err)
	}
	if n := logins.Load(); n != 2 {
		t.Errorf("%d logins, want 2", n)
	}
}

func TestClientRefreshesBeforeExpiry(t *testing.T) {
	t.Parallel()
	logins := &atomic.Int32{}
	sb := newSandbox(t, sandboxOptions{wrap: countAuth(logins)})
	clientClock := clocktest.New(time.Now())
	c := newClient(t, sb, client.WithClock(clientClock.Now))
	if _, err := c.Token(t.Context()); err != nil {
		t.Fatal(err)
	}
	clientClock.Advance(50 * time.Minute)
	if _, err := c.Token(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := logins.Load(); n != 1 {
		t.Errorf("%d logins at 50 minutes, want 1", n)
	}
	clientClock.Advance(6 * time.Minute) // within five minutes of expiry
	if _, err := c.Token(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := logins.Load(); n != 2 {
		t.Errorf("%d logins at 56 minutes, want 2", n)
	}
}

func TestClientBadCredentials(t *testing.T) {
	t.Parallel()
	logins := &atomic.Int32{}
	sb := newSandbox(t, sandboxOptions{wrap: countAuth(logins)})
	sb.Creds.Password = "wrong"
	c := newClient(t, sb, client.WithSleep((&sleeps{}).sleep))
	_, err := c.Users.Get(t.Context(), "e9610a11-d514-4587-85dc-e18e2b461e55")
	var apiErr *client.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusUnauthorized || apiErr.Code != "unauthorized" {
		t.Fatalf("err = %v, want a 401 APIError", err)
	}
	if n := logins.Load(); n != 1 {
		t.Errorf("%d logins, want 1: a refused login is not retried", n)
	}
}

// dropper stands between the client and the server like a flaky network: it delivers the first
// request that matches, lets the server handle it, then loses the response.
type dropper struct {
	next  http.RoundTripper
	match func(*http.Request) bool

	mu       sync.Mutex
	dropped  bool
	keys     []string
	replayed []string
}

func (d *dropper) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := d.next.RoundTrip(req)
	if err != nil || !d.match(req) {
		return resp, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.keys = append(d.keys, req.Header.Get("Idempotency-Key"))
	d.replayed = append(d.replayed, resp.Header.Get("Idempotent-Replayed"))
	if d.dropped {
		return resp, nil
	}
	d.dropped = true
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return nil, &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
}

func isPost(path string) func(*http.Request) bool {
	return func(r *http.Request) bool { return r.Method == http.MethodPost && r.URL.Path == path }
}

func TestRetriedCreateAfterDroppedConnectionCreatesOneUser(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t, sandboxOptions{})
	d := &dropper{next: http.DefaultTransport, match: isPost("/v1/users")}
	waits := &sleeps{}
	c := newClient(t, sb, client.WithHTTPClient(&http.Client{Transport: d}), client.WithSleep(waits.sleep))

	u, err := c.Users.Create(t.Context(), minimalUser("once@example.com"))
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if len(d.keys) != 2 || d.keys[0] == "" || d.keys[0] != d.keys[1] {
		t.Fatalf("Idempotency-Keys sent: %q, want the same key twice", d.keys)
	}
	if d.replayed[1] != "true" {
		t.Errorf("the retry was not a replay (Idempotent-Replayed %q)", d.replayed[1])
	}
	if len(waits.recorded()) != 1 {
		t.Errorf("waits %v, want one", waits.recorded())
	}
	var ids []string
	for got, err := range c.Users.List(t.Context(), client.UserListParams{Email: "once@example.com"}) {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, got.Id.String())
	}
	if len(ids) != 1 || ids[0] != u.Id.String() {
		t.Errorf("users with the email: %v, want only %s", ids, u.Id)
	}
}

// TestRedactIsRetriedAfterADroppedConnection redacts a user through a connection that drops the
// first answer: the SDK retries with the same Idempotency-Key and gets the tombstone replayed.
func TestRedactIsRetriedAfterADroppedConnection(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t, sandboxOptions{})
	u, err := newClient(t, sb).Users.Create(t.Context(), minimalUser("erase@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	d := &dropper{next: http.DefaultTransport, match: isPost("/v1/users/" + u.Id.String() + "/redact")}
	c := newClient(t, sb, client.WithHTTPClient(&http.Client{Transport: d}), client.WithSleep((&sleeps{}).sleep))
	got, err := c.Users.Redact(t.Context(), u.Id.String())
	if err != nil {
		t.Fatalf("redact: %v", err)
	}
	if got.RedactedAt == nil || got.Email != "redacted@redacted.invalid" || got.FirstName != nil {
		t.Errorf("tombstone: %+v", got)
	}
	if len(d.keys) != 2 || d.keys[0] == "" || d.keys[0] != d.keys[1] || d.replayed[1] != "true" {
		t.Errorf("Idempotency-Keys %q, replayed %q: want the same key twice, the second replayed", d.keys, d.replayed)
	}
}

func TestDroppedPOSTTheServerCannotReplayIsNotRetried(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t, sandboxOptions{})
	d := &dropper{next: http.DefaultTransport, match: isPost("/v1/webhooks")}
	c := newClient(t, sb, client.WithHTTPClient(&http.Client{Transport: d}), client.WithSleep((&sleeps{}).sleep))
	_, err := c.Webhooks.Create(t.Context(), apitypes.WebhookEndpointCreateRequest{Url: "http://127.0.0.1:9/hook"})
	if err == nil || !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("err = %v, want the connection reset", err)
	}
	if len(d.keys) != 1 {
		t.Errorf("%d attempts, want 1: creating a webhook twice would register two endpoints", len(d.keys))
	}
}

// failFirst answers the first n requests that match with status, Retry-After and the error shape.
func failFirst(n int, match func(*http.Request) bool, status int, code, retryAfter string) func(http.Handler) http.Handler {
	var seen atomic.Int32
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if match(r) && int(seen.Add(1)) <= n {
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("X-Request-Id", "req-failed")
				if retryAfter != "" {
					w.Header().Set("Retry-After", retryAfter)
				}
				w.WriteHeader(status)
				fmt.Fprintf(w, `{"code":%q,"message":"Try again later.","request_id":"req-failed"}`, code)
				return
			}
			h.ServeHTTP(w, r)
		})
	}
}

func isGetUser(r *http.Request) bool {
	return r.Method == http.MethodGet && len(r.URL.Path) > len("/v1/users/")
}

func TestRetriesOn503HonouringRetryAfter(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t, sandboxOptions{wrap: failFirst(2, isGetUser, http.StatusServiceUnavailable, "unavailable", "3")})
	waits := &sleeps{}
	c := newClient(t, sb, client.WithSleep(waits.sleep))
	u, err := c.Users.Create(t.Context(), minimalUser("busy@example.com"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Users.Get(t.Context(), u.Id.String())
	if err != nil || got.Id.String() != u.Id.String() {
		t.Fatalf("get after two 503s: %v %v", got, err)
	}
	if w := waits.recorded(); len(w) != 2 || w[0] != 3*time.Second || w[1] != 3*time.Second {
		t.Errorf("waits %v, want 3s twice (Retry-After)", w)
	}
}

func TestRetriesGiveUpWithTheLastError(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t, sandboxOptions{wrap: failFirst(10, isGetUser, http.StatusBadGateway, "bad_gateway", "")})
	waits := &sleeps{}
	c := newClient(t, sb, client.WithSleep(waits.sleep), client.WithRetries(3), client.WithBackoff(100*time.Millisecond, 300*time.Millisecond))
	_, err := c.Users.Get(t.Context(), "e9610a11-d514-4587-85dc-e18e2b461e55")
	var apiErr *client.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusBadGateway || apiErr.RequestID != "req-failed" {
		t.Fatalf("err = %v, want the last 502", err)
	}
	w := waits.recorded()
	if len(w) != 3 {
		t.Fatalf("waits %v, want 3", w)
	}
	// Exponential, capped, half of each wait random: [50ms,100ms], [100ms,200ms], [150ms,300ms].
	for i, want := range []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 300 * time.Millisecond} {
		if w[i] < want/2 || w[i] > want {
			t.Errorf("wait %d = %v, want within [%v, %v]", i, w[i], want/2, want)
		}
	}
}

func TestRetriesWhileTheFirstAttemptIsInProgress(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t, sandboxOptions{wrap: failFirst(1, isPost("/v1/users"), http.StatusConflict, "idempotency_key_in_use", "")})
	waits := &sleeps{}
	c := newClient(t, sb, client.WithSleep(waits.sleep))
	if _, err := c.Users.Create(t.Context(), minimalUser("busy@example.com")); err != nil {
		t.Fatal(err)
	}
	if len(waits.recorded()) != 1 {
		t.Errorf("waits %v, want one", waits.recorded())
	}
}

func TestOtherConflictsAreNotRetried(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t, sandboxOptions{wrap: failFirst(1, isGetUser, http.StatusConflict, "invalid_transition", "")})
	waits := &sleeps{}
	c := newClient(t, sb, client.WithSleep(waits.sleep))
	_, err := c.Users.Get(t.Context(), "e9610a11-d514-4587-85dc-e18e2b461e55")
	var apiErr *client.APIError
	if !errors.As(err, &apiErr) || apiErr.Code != "invalid_transition" || len(waits.recorded()) != 0 {
		t.Errorf("err %v after waits %v, want the 409 at once", err, waits.recorded())
	}
}

func TestRetriesOn429FromTheRateLimiter(t *testing.T) {
	t.Parallel()
	serverClock := clocktest.New(time.Now())
	// One request per second, in bursts of two: the login and one call pass, the next call waits.
	sb := newSandbox(t, sandboxOptions{now: serverClock.Now, rateLimit: httpapi.RateLimit{PerSecond: 1, Burst: 2}})
	waits := &sleeps{also: serverClock.Advance}
	c := newClient(t, sb, client.WithSleep(waits.sleep))
	for i := range 2 {
		if _, err := c.Users.Create(t.Context(), minimalUser(fmt.Sprintf("r%d@example.com", i))); err != nil {
			t.Fatalf("create %d: %v", i, err)
		}
	}
	if w := waits.recorded(); len(w) != 1 || w[0] != time.Second {
		t.Errorf("waits %v, want one of 1s (Retry-After)", w)
	}
}

func TestAPIErrorCarriesFieldErrors(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t, sandboxOptions{})
	c := newClient(t, sb)
	_, err := c.Users.Create(t.Context(), apitypes.UserCreateRequest{
		Type: apitypes.Individual, Email: "j@example.com", Ssn: client.Ptr("123-45-678X"), Phone: client.Ptr("+0123456789"),
	})
	var apiErr *client.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("err = %v, want an APIError", err)
	}
	if apiErr.StatusCode != http.StatusBadRequest || apiErr.Code != "validation_error" || apiErr.RequestID == "" {
		t.Errorf("APIError %+v", apiErr)
	}
	if len(apiErr.Fields) != 2 || apiErr.Fields[0].Field != "phone" || apiErr.Fields[1].Field != "ssn" || apiErr.Fields[1].Message == "" {
		t.Errorf("fields %+v, want phone and ssn", apiErr.Fields)
	}
	if strings.Contains(err.Error(), "678X") || strings.Contains(err.Error(), "0123456789") {
		t.Errorf("the error repeats the submitted value: %v", err)
	}
}

func TestInvalidIDIsRefusedLocally(t *testing.T) {
	t.Parallel()
	c, err := client.New("http://127.0.0.1:1", client.Credentials{})
	if err != nil {
		t.Fatal(err)
	}
	// The message reads as one chain, each part once: a caller adds its own prefix.
	if _, err := c.Users.Get(t.Context(), "not-a-uuid"); !errors.Is(err, client.ErrInvalidID) || err.Error() != "get user: invalid id: the user id must be a UUID" {
		t.Errorf("err = %v, want ErrInvalidID", err)
	}
}

func TestUsersListFollowsCursors(t *testing.T) {
	t.Parallel()
	var pages atomic.Int32
	sb := newSandbox(t, sandboxOptions{wrap: func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodGet && r.URL.Path == "/v1/users" {
				pages.Add(1)
			}
			h.ServeHTTP(w, r)
		})
	}})
	c := newClient(t, sb)
	want := map[string]bool{}
	for i := range 5 {
		u, err := c.Users.Create(t.Context(), minimalUser(fmt.Sprintf("page%d@example.com", i)))
		if err != nil {
			t.Fatal(err)
		}
		want[u.Id.String()] = true
	}
	seen := map[string]bool{}
	for u, err := range c.Users.List(t.Context(), client.UserListParams{Type: apitypes.Individual, PageSize: 2}) {
		if err != nil {
			t.Fatal(err)
		}
		if seen[u.Id.String()] {
			t.Errorf("user %s listed twice", u.Id)
		}
		seen[u.Id.String()] = true
	}
	if len(seen) != len(want) {
		t.Errorf("listed %d users, want %d", len(seen), len(want))
	}
	if n := pages.Load(); n != 3 {
		t.Errorf("%d pages fetched, want 3 (2+2+1)", n)
	}
	// Stopping early fetches no more pages than needed.
	pages.Store(0)
	for range c.Users.List(t.Context(), client.UserListParams{PageSize: 2}) {
		break
	}
	if n := pages.Load(); n != 1 {
		t.Errorf("%d pages fetched for one user, want 1", n)
	}
}

func TestCountries(t *testing.T) {
	t.Parallel()
	c := newClient(t, newSandbox(t, sandboxOptions{}))
	all, err := c.Countries.List(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 249 || all[0].Code != apitypes.ABW {
		t.Errorf("%d countries, the first %s", len(all), all[0].Code)
	}
	us, err := c.Countries.Get(t.Context(), apitypes.USA)
	if err != nil {
		t.Fatal(err)
	}
	if us.Alpha2 != "US" || len(us.Subdivisions) != 62 || us.PostalCodeFormat == nil {
		t.Errorf("USA: %+v", us)
	}
	var apiErr *client.APIError
	if _, err := c.Countries.Get(t.Context(), "US"); !errors.As(err, &apiErr) || apiErr.Code != "validation_error" {
		t.Errorf("alpha-2 code: %v", err)
	}
}
