// Package signature is the signing scheme of webhook deliveries that the contract describes, in
// one place for the server that signs them and the SDK that verifies them.
//
// A delivery is signed twice. The Standard Webhooks headers carry webhook-id (the event id, the
// same on every retry), webhook-timestamp and webhook-signature ("v1,<base64 HMAC-SHA256 of
// id.timestamp.body>", several space-separated while a secret rotates). x-signature-sha256 carries
// the hex HMAC-SHA256 of the raw body keyed with the secret exactly as shown (whsec_ prefix
// included), several space-separated while a secret rotates.
package signature

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// The delivery headers.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
	HeaderSHA256    = "x-signature-sha256"
)

// Sign returns the webhook-signature value for one secret: "v1,<base64>".
func Sign(secret, id string, at time.Time, body []byte) (string, error) {
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		return "", fmt.Errorf("webhook: secret: %w", err)
	}
	return wh.Sign(id, at, body)
}

// SHA256 returns the x-signature-sha256 value for one secret: the hex HMAC-SHA256 of body keyed
// with the secret string exactly as shown to the integrator.
func SHA256(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// SHA256s returns the x-signature-sha256 value for a delivery signed with each of secrets (the
// current one first): their signatures, space-separated.
func SHA256s(secrets []string, body []byte) string {
	sigs := make([]string, len(secrets))
	for i, secret := range secrets {
		sigs[i] = SHA256(secret, body)
	}
	return strings.Join(sigs, " ")
}

// VerifySHA256 checks an x-signature-sha256 value, one signature or several space-separated
// (while a secret rotates), in constant time: it reports whether any was made with secret.
func VerifySHA256(secret string, body []byte, header string) bool {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	mac := m.Sum(nil)
	ok := false
	for _, sig := range strings.Fields(header) {
		want, err := hex.DecodeString(sig)
		if err == nil && hmac.Equal(mac, want) {
			ok = true
		}
	}
	return ok
}
