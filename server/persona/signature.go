package persona

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// DefaultTolerance is how far a webhook's signed time may be from ours (replays older than this
// are refused), as Stripe-style schemes do.
const DefaultTolerance = 5 * time.Minute

// SignatureHeader is the header that signs Persona's webhooks.
const SignatureHeader = "Persona-Signature"

// The reasons Verify refuses a webhook.
var (
	ErrNoSignature = errors.New("persona webhook: no valid Persona-Signature header")
	ErrStale       = errors.New("persona webhook: signed too long ago (or in the future)")
	ErrMismatch    = errors.New("persona webhook: signature does not match")
)

// Sign returns the Persona-Signature value for body sent at t with secret: "t=<unix>,v1=<hex of
// HMAC-SHA256(secret, "<unix>.<body>")>" (https://docs.withpersona.com/v2022-09-01/docs/best-practices).
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret, ts string, body []byte) []byte {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(ts))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// Verify checks a Persona-Signature header against body with any of secrets (more than one while
// a secret is rotated). The header holds one "t=<unix>,v1=<hex>" pair per signing secret,
// space-separated while Persona rotates a secret; a pair may carry several v1 values. It is
// accepted when a pair's t is within tolerance of now and one of its v1 values is the HMAC of
// "t.body" under one of secrets (compared in constant time). Errors: ErrNoSignature, ErrStale,
// ErrMismatch.
func Verify(header string, body []byte, secrets []string, now time.Time, tolerance time.Duration) error {
	err := ErrNoSignature
	for pair := range strings.FieldsSeq(header) {
		var ts string
		var sigs [][]byte
		for kv := range strings.SplitSeq(pair, ",") {
			k, v, _ := strings.Cut(strings.TrimSpace(kv), "=")
			switch k {
			case "t":
				ts = v
			case "v1":
				if sig, derr := hex.DecodeString(v); derr == nil && len(sig) == sha256.Size {
					sigs = append(sigs, sig)
				}
			}
		}
		unix, perr := strconv.ParseInt(ts, 10, 64)
		if perr != nil || len(sigs) == 0 {
			continue
		}
		if d := now.Sub(time.Unix(unix, 0)); d > tolerance || d < -tolerance {
			err = ErrStale
			continue
		}
		for _, secret := range secrets {
			want := mac(secret, ts, body)
			for _, sig := range sigs {
				if hmac.Equal(sig, want) {
					return nil
				}
			}
		}
		err = ErrMismatch
	}
	return err
}
