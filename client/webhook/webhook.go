// Package webhook verifies and decodes the webhook deliveries of the Kira API, for receivers, and
// signs them, for tools that forward events (the scheme is openapi/signature's, which the server
// signs with).
//
// A delivery is signed twice. The Standard Webhooks headers carry webhook-id (the event id, the
// same on every retry: deduplicate on it), webhook-timestamp and webhook-signature ("v1,<base64
// HMAC-SHA256 of id.timestamp.body>", several space-separated while a secret rotates).
// x-signature-sha256 carries the hex HMAC-SHA256 of the raw body keyed with the secret exactly as
// shown (whsec_ prefix included), which is what receivers written for Kira check.
//
// While a secret rotates (24 hours after POST /v1/webhooks/{id}/rotate-secret), both headers
// carry one signature per secret, space-separated, the new secret's first: a receiver still on the
// previous secret keeps verifying, and one that has moved to the new secret verifies at once. A
// receiver on x-signature-sha256 rotates like this: rotate, deploy the new secret (VerifySHA256
// compares every signature in the header, so deploying at any point of the overlap works), and
// finish before the overlap ends.
package webhook

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/kiraapi/kira/gen/apitypes"
	"github.com/kiraapi/kira/openapi/signature"
)

// The delivery headers.
const (
	HeaderID        = signature.HeaderID
	HeaderTimestamp = signature.HeaderTimestamp
	HeaderSignature = signature.HeaderSignature
	HeaderSHA256    = signature.HeaderSHA256
)

// The signing scheme, shared with the server (openapi/signature).
var (
	// Sign returns the webhook-signature value for one secret: "v1,<base64>".
	Sign = signature.Sign
	// SignatureSHA256 returns the x-signature-sha256 value for one secret.
	SignatureSHA256 = signature.SHA256
	// SignaturesSHA256 returns the x-signature-sha256 value for several secrets, the current first.
	SignaturesSHA256 = signature.SHA256s
	// VerifySHA256 reports whether an x-signature-sha256 value holds a signature made with secret.
	VerifySHA256 = signature.VerifySHA256
)

// DefaultTolerance is how far a delivery's timestamp may be from the receiver's clock.
const DefaultTolerance = 5 * time.Minute

// Errors returned by Verify.
var (
	ErrSignature = errors.New("webhook: no valid signature")
	ErrTimestamp = errors.New("webhook: timestamp outside the tolerance")
	ErrHeaders   = errors.New("webhook: missing or malformed webhook headers")
)

// Verifier checks deliveries against one or more secrets (several while a secret rotates).
type Verifier struct {
	Secrets []string
	// Tolerance bounds the timestamp's distance from Now; zero means DefaultTolerance.
	Tolerance time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Verify checks a delivery with the endpoint's secret and the default tolerance, then decodes it.
func Verify(secret string, header http.Header, body []byte) (apitypes.Event, error) {
	return Verifier{Secrets: []string{secret}}.Verify(header, body)
}

// Verify checks that body was signed with one of the secrets within the tolerance, then decodes
// it into the generated event union (switch on its Discriminator or ValueByDiscriminator).
func (v Verifier) Verify(header http.Header, body []byte) (apitypes.Event, error) {
	var ev apitypes.Event
	ts, err := strconv.ParseInt(header.Get(HeaderTimestamp), 10, 64)
	if err != nil || header.Get(HeaderID) == "" {
		return ev, ErrHeaders
	}
	now, tolerance := time.Now, v.Tolerance
	if v.Now != nil {
		now = v.Now
	}
	if tolerance == 0 {
		tolerance = DefaultTolerance
	}
	if d := now().Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return ev, ErrTimestamp
	}
	verified := false
	for _, secret := range v.Secrets {
		wh, err := standardwebhooks.NewWebhook(secret)
		if err != nil {
			continue
		}
		if wh.VerifyIgnoringTimestamp(body, header) == nil {
			verified = true
			break
		}
	}
	if !verified {
		return ev, ErrSignature
	}
	if err := json.Unmarshal(body, &ev); err != nil {
		return ev, fmt.Errorf("webhook: decode event: %w", err)
	}
	return ev, nil
}
