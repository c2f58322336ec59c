package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/kiraapi/kira/gen/apitypes"
)

// Retry defaults: two retries, waits of 0.5 s then 1 s (plus or minus jitter), at most 5 s.
const (
	DefaultRetries     = 2
	DefaultBackoffBase = 500 * time.Millisecond
	DefaultBackoffMax  = 5 * time.Second
	// MaxRetryAfter is the longest Retry-After the client waits for; an answer that asks for
	// longer is returned to the caller instead.
	MaxRetryAfter = time.Minute
)

const idempotencyHeader = "Idempotency-Key"

// retryPolicy decides whether and when a failed attempt is tried again.
type retryPolicy struct {
	retries   int
	base, max time.Duration
	now       func() time.Time
	sleep     func(ctx context.Context, d time.Duration) error
}

// sleepContext waits for d or until ctx is done.
func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// retryTransport sends a request again after a network error, a 429 or a 5xx, when doing so cannot
// apply it twice, with exponential backoff and jitter, honouring Retry-After. The body is buffered
// once and every attempt carries the same headers, the Idempotency-Key included.
type retryTransport struct {
	next   http.RoundTripper
	policy retryPolicy
	// keyPOSTs gives every POST without an Idempotency-Key a new UUID v4 one.
	keyPOSTs bool
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	body, err := drainBody(req)
	if err != nil {
		return nil, err
	}
	header := req.Header.Clone()
	if t.keyPOSTs && req.Method == http.MethodPost && header.Get(idempotencyHeader) == "" {
		header.Set(idempotencyHeader, uuid.NewString())
	}
	for attempt := 0; ; attempt++ {
		r := req.Clone(req.Context())
		r.Header = header
		if body != nil {
			r.Body = io.NopCloser(bytes.NewReader(body))
			r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
			r.ContentLength = int64(len(body))
		}
		resp, err := t.next.RoundTrip(r)
		wait, again := t.policy.next(r, attempt, resp, err)
		if !again {
			return resp, err
		}
		if resp != nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
			resp.Body.Close()
		}
		if err := t.policy.sleep(req.Context(), wait); err != nil {
			return nil, fmt.Errorf("waiting to retry: %w", err)
		}
	}
}

// drainBody reads and closes the request's body; nil means there is none.
func drainBody(req *http.Request) ([]byte, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return nil, nil
	}
	defer req.Body.Close()
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, fmt.Errorf("read request body: %w", err)
	}
	return body, nil
}

// next tells whether attempt (0 for the first) is followed by another one, and after how long.
func (p retryPolicy) next(req *http.Request, attempt int, resp *http.Response, err error) (time.Duration, bool) {
	if attempt >= p.retries || req.Context().Err() != nil {
		return 0, false
	}
	switch {
	case errors.As(err, new(*tokenError)):
		return 0, false
	case err != nil:
		// A request that never left is always safe to send again; one that may have been
		// processed only when the server cannot apply it twice.
		return p.backoff(attempt), replaySafe(req) || notSent(err)
	case resp.StatusCode == http.StatusTooManyRequests:
		// The rate limiter answers before anything is processed.
		return p.retryAfter(resp, attempt)
	case resp.StatusCode == http.StatusConflict:
		// An earlier attempt with the same key is still being processed: its answer will be
		// replayed once it is done.
		return p.backoff(attempt), replaySafe(req) && errorCode(resp) == apitypes.ErrorCodeIdempotencyKeyInUse
	case resp.StatusCode >= 500 && resp.StatusCode != http.StatusNotImplemented && resp.StatusCode != http.StatusHTTPVersionNotSupported:
		if !replaySafe(req) {
			return 0, false
		}
		return p.retryAfter(resp, attempt)
	}
	return 0, false
}

// errorCode reads the code of an answer in the error shape, leaving its body to be read again.
func errorCode(resp *http.Response) apitypes.ErrorCode {
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(body), resp.Body), resp.Body}
	if err != nil {
		return ""
	}
	var e struct {
		Code apitypes.ErrorCode `json:"code"`
	}
	_ = json.Unmarshal(body, &e)
	return e.Code
}

// backoff is the wait before retry attempt+1: base doubled per attempt, capped at max, of which
// the second half is random (so that clients that failed together do not retry together).
func (p retryPolicy) backoff(attempt int) time.Duration {
	d := p.base
	for i := 0; i < attempt && d < p.max; i++ {
		d *= 2
	}
	d = min(d, p.max)
	if d <= 0 {
		return 0
	}
	return d/2 + rand.N(d/2+1)
}

// retryAfter is the wait the server asked for, or the backoff when it did not say. A wait longer
// than MaxRetryAfter is not retried.
func (p retryPolicy) retryAfter(resp *http.Response, attempt int) (time.Duration, bool) {
	v := strings.TrimSpace(resp.Header.Get("Retry-After"))
	if v == "" {
		return p.backoff(attempt), true
	}
	var d time.Duration
	if secs, err := strconv.Atoi(v); err == nil {
		d = time.Duration(secs) * time.Second
	} else if at, err := http.ParseTime(v); err == nil {
		d = at.Sub(p.now())
	} else {
		return p.backoff(attempt), true
	}
	if d > MaxRetryAfter {
		return 0, false
	}
	return max(d, 0), true
}

// replaySafe reports whether the request can be applied twice without effect: the methods that are
// idempotent by definition, the token exchange, and the POSTs whose Idempotency-Key the server
// honours (the operations that declare the IdempotencyKey parameter: createUser,
// createVerification and redactUser), which replay the first response instead of acting again.
func replaySafe(req *http.Request) bool {
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete:
		return true
	case http.MethodPost:
		p := req.URL.Path
		if strings.HasSuffix(p, "/auth") {
			return true
		}
		if req.Header.Get(idempotencyHeader) == "" {
			return false
		}
		if strings.HasSuffix(p, "/v1/users") {
			return true
		}
		i := strings.LastIndex(p, "/v1/users/")
		return i >= 0 && strings.Count(p[i+len("/v1/users/"):], "/") == 1 && (strings.HasSuffix(p, "/verifications") || strings.HasSuffix(p, "/redact"))
	}
	return false
}

// notSent reports a network error that happened before the request was written: the connection
// could not be made.
func notSent(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}
