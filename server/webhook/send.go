package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kiraapi/kira/openapi/signature"
	"github.com/kiraapi/kira/server/kyc"
)

// UserAgent identifies deliveries to receivers.
const UserAgent = "Kira-Webhooks/1.0"

// maxErrorText bounds the error text kept with an attempt.
const maxErrorText = 500

// drainLimit is how much of a response body beyond the excerpt is read, so that the connection
// can be reused; a longer body is left unread.
const drainLimit = 64 << 10

// post makes attempt n of delivering event to endpoint at now: it POSTs the payload's bytes,
// signed with every current secret of the endpoint. It returns the attempt, with Error set unless
// the receiver answered 2xx, and the wait the receiver asked for with Retry-After.
func post(ctx context.Context, client *http.Client, endpoint *kyc.WebhookEndpoint, event *kyc.Event, n int, now time.Time) (kyc.DeliveryAttempt, time.Duration) {
	a := kyc.DeliveryAttempt{Attempt: n, At: now}
	req, err := newRequest(ctx, endpoint, event, now)
	if err != nil {
		a.Error = err.Error()
		return a, 0
	}
	start := time.Now()
	resp, err := client.Do(req)
	a.Latency = time.Since(start)
	if err != nil {
		a.Error = describe(err)
		return a, 0
	}
	defer resp.Body.Close()
	a.StatusCode = resp.StatusCode
	a.ResponseExcerpt = excerpt(resp.Body)
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return a, 0
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		a.Error = fmt.Sprintf("receiver answered %d; redirects are not followed", resp.StatusCode)
	default:
		a.Error = fmt.Sprintf("receiver answered %d", resp.StatusCode)
	}
	return a, parseRetryAfter(resp.Header.Get("Retry-After"), now)
}

// newRequest builds a delivery: the event's payload exactly as stored, with the Standard Webhooks
// headers and x-signature-sha256 (keyed with the secret string as the integrator has it), each
// with one signature per current secret, so that a receiver still on the previous secret keeps
// verifying during a rotation.
func newRequest(ctx context.Context, endpoint *kyc.WebhookEndpoint, event *kyc.Event, now time.Time) (*http.Request, error) {
	body := []byte(event.Payload)
	secrets := endpoint.SigningSecrets(now)
	signatures := make([]string, len(secrets))
	for i, secret := range secrets {
		sig, err := signature.Sign(secret, event.ID, now, body)
		if err != nil {
			return nil, fmt.Errorf("sign the delivery: %w", err)
		}
		signatures[i] = sig
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint.URL, bytes.NewReader(body))
	if err != nil {
		return nil, errors.New("the endpoint's URL is invalid") // the parse error would repeat the URL
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", UserAgent)
	req.Header.Set(signature.HeaderID, event.ID)
	req.Header.Set(signature.HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
	req.Header.Set(signature.HeaderSignature, strings.Join(signatures, " "))
	req.Header.Set(signature.HeaderSHA256, signature.SHA256s(secrets, body))
	return req, nil
}

// describe says why a request got no response, without the URL (which may carry tokens).
func describe(err error) string {
	var netErr net.Error
	switch {
	case errors.Is(err, ErrForbiddenAddress):
		return ErrForbiddenAddress.Error()
	case errors.As(err, &netErr) && netErr.Timeout():
		return fmt.Sprintf("no response within %s", DeliveryTimeout)
	}
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		err = urlErr.Err
	}
	return truncate(err.Error(), maxErrorText)
}

// excerpt reads the start of a response body, at most kyc.MaxResponseExcerpt bytes of valid UTF-8
// without NULs (PostgreSQL text cannot hold them), and drains a little more for reuse.
func excerpt(body io.Reader) string {
	head, _ := io.ReadAll(io.LimitReader(body, kyc.MaxResponseExcerpt))
	_, _ = io.Copy(io.Discard, io.LimitReader(body, drainLimit))
	return strings.ReplaceAll(strings.ToValidUTF8(string(head), ""), "\x00", "")
}

// truncate cuts s to at most n bytes of valid UTF-8.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}
