package hosted

import (
	"crypto/subtle"
	"net/url"

	"github.com/kiraapi/kira/server/kyc"
)

// Links makes and checks the links of hosted verification pages. A link carries the session id and
// a token derived from it with the server's key: it cannot be guessed, needs no storage, and a
// listing can show it again. Single use and expiry are the session's.
type Links struct {
	// BaseURL is the server's public URL (KIRA_PUBLIC_URL).
	BaseURL string
	Hasher  kyc.KeyHasher
}

const linkPurpose = "verification-link"

// URL returns the absolute link of a session's page.
func (l Links) URL(sessionID string) string {
	return l.BaseURL + pagePrefix + url.PathEscape(sessionID) + "?token=" + l.Hasher.Hash(linkPurpose, sessionID)
}

// CompletedURL returns the absolute link of the page that thanks an end user whose session has
// no redirect_uri of its own (CompletedPattern).
func (l Links) CompletedURL() string { return l.BaseURL + pagePrefix + "completed" }

// Valid reports whether token is the session's, in constant time.
func (l Links) Valid(sessionID, token string) bool {
	want := l.Hasher.Hash(linkPurpose, sessionID)
	return subtle.ConstantTimeCompare([]byte(want), []byte(token)) == 1
}
