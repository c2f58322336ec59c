package openapi

import (
	"errors"
	"net/mail"
	"net/url"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/uuid"
)

// ValidationOptions returns the schema validation options that give the document's string formats
// (email, uuid, uri, date) their meaning. The server's request validator and the tests' response
// validator both use them, so the two agree on what a valid value is.
func ValidationOptions() []openapi3.SchemaValidationOption {
	return []openapi3.SchemaValidationOption{openapi3.WithStringFormatValidators(map[string]openapi3.StringFormatValidator{
		"email": openapi3.NewCallbackValidator(validEmail),
		"uuid":  openapi3.NewCallbackValidator(validUUID),
		"uri":   openapi3.NewCallbackValidator(validURI),
		"date":  openapi3.NewCallbackValidator(validDate),
	})}
}

var (
	errEmail = errors.New("not an email address")
	errUUID  = errors.New("not a UUID")
	errURI   = errors.New("not an absolute http(s) URL")
	errDate  = errors.New("not a calendar date")
)

// validDate accepts a date that exists: 2024-02-29, but not 2023-02-29 or 1990-13-45.
func validDate(s string) error {
	if _, err := time.Parse(time.DateOnly, s); err != nil {
		return errDate
	}
	return nil
}

func validEmail(s string) error {
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Address != s || addr.Name != "" {
		return errEmail
	}
	domain := s[strings.LastIndexByte(s, '@')+1:]
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return errEmail
	}
	for _, l := range labels {
		if !hostLabel(l) {
			return errEmail
		}
	}
	return nil
}

// hostLabel reports whether l is a DNS host name label (RFC 1123): 1 to 63 letters, digits and
// hyphens, neither first nor last a hyphen.
func hostLabel(l string) bool {
	if len(l) == 0 || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
		return false
	}
	for i := 0; i < len(l); i++ {
		if c := l[i]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

func validUUID(s string) error {
	if len(s) != 36 {
		return errUUID
	}
	if _, err := uuid.Parse(s); err != nil {
		return errUUID
	}
	return nil
}

// validURI accepts an absolute http(s) URL written with the characters RFC 3986 allows (a space,
// <, >, ", {, }, |, \, ^, a backtick or a non-ASCII letter must be percent-encoded), so that it
// can be used exactly as given. A % that starts no escape (?promo=50%off) is kept as sent.
func validURI(s string) error {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', strings.IndexByte("-._~:/?#[]@!$&'()*+,;=%", c) >= 0:
		default:
			return errURI
		}
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errURI
	}
	return nil
}
