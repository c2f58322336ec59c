// Package persona is the KYC vendor adapter for Persona's Inquiries API behind kyc.Provider: the
// verification job creates an inquiry for each attempt (Provider), Persona's webhooks bring its
// decision (Webhooks, at POST /vendor/persona/webhooks), and the job polls the inquiry when no
// webhook has come.
//
// Persona's documentation, which the shapes here follow (JSON:API bodies, kebab-case attributes):
//   - creating an inquiry: https://docs.withpersona.com/api-reference/inquiries/create-an-inquiry
//     and https://docs.withpersona.com/creating-inquiries
//   - prefilled fields: https://docs.withpersona.com/inquiry-fields
//   - statuses and their events: https://docs.withpersona.com/docs/models-lifecycle
//   - webhooks, their signature and duplicates: https://docs.withpersona.com/v2022-09-01/docs/webhooks
//     and https://docs.withpersona.com/v2022-09-01/docs/best-practices
//   - rate limits (429, RateLimit-Reset): https://docs.withpersona.com/rate-limiting
package persona

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/kiraapi/kira/server/jobs"
)

// DefaultBaseURL is Persona's API.
const DefaultBaseURL = "https://api.withpersona.com"

// DefaultRetryAfter is how long to wait after a 429 that names no delay.
const DefaultRetryAfter = 30 * time.Second

// Client calls Persona's Inquiries API with a server API key (Authorization: Bearer).
type Client struct {
	// BaseURL is Persona's API (DefaultBaseURL), without a trailing slash.
	BaseURL string
	// APIKey is the server API key (sk_live_... or sk_test_...).
	APIKey string
	// HTTP sends the requests; nil means defaultHTTP.
	HTTP *http.Client
}

// defaultHTTP sends a Client's requests when it has no HTTP: a 15 s timeout, and as many idle
// connections kept to Persona's API as the verifications a process runs at once
// (jobs.DefaultWorkers), where http.DefaultTransport keeps 2 and would open (and handshake) a
// connection for most requests of a busy process.
var defaultHTTP = func() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = jobs.DefaultWorkers
	return &http.Client{Timeout: 15 * time.Second, Transport: t}
}()

// Inquiry is what the adapter reads of Persona's inquiry resource (data.type "inquiry").
type Inquiry struct {
	ID string `json:"id"`
	// Status is created, pending, completed, failed, expired, needs_review, approved or declined.
	Status      string `json:"status"`
	ReferenceID string `json:"reference-id"`
}

// NewInquiry is a create request: the template, our reference id (our user id) and the fields
// prefilled from our user, by Persona's field names (name-first, birthdate, address-street-1...).
type NewInquiry struct {
	TemplateID  string
	ReferenceID string
	Fields      map[string]string
	// IdempotencyKey makes a retried create return the inquiry the first one made (Persona's
	// Idempotency-Key header).
	IdempotencyKey string
}

// APIError is an answer of Persona other than a 2xx. Its body is not kept: it may repeat what was
// sent, personal data included.
type APIError struct {
	Status int
	// RetryAfter is the wait a 429 asks for (Retry-After, else RateLimit-Reset, else
	// DefaultRetryAfter); zero otherwise.
	RetryAfter time.Duration
}

func (e *APIError) Error() string {
	return fmt.Sprintf("persona answered %d %s", e.Status, http.StatusText(e.Status))
}

// Temporary reports whether asking again later may succeed: a 429 or a 5xx.
func (e *APIError) Temporary() bool {
	return e.Status == http.StatusTooManyRequests || e.Status >= 500
}

// resource is a JSON:API document with one resource.
type resource[A any] struct {
	Data struct {
		Type       string `json:"type"`
		ID         string `json:"id,omitempty"`
		Attributes A      `json:"attributes"`
	} `json:"data"`
	Meta struct {
		SessionToken string `json:"session-token,omitempty"`
	} `json:"meta,omitzero"`
}

// CreateInquiry creates an inquiry (POST /api/v1/inquiries) and returns it, status created.
// Errors: *APIError for an answer other than 2xx; a transport error (timeout, refused connection)
// otherwise.
func (c *Client) CreateInquiry(ctx context.Context, in NewInquiry) (*Inquiry, error) {
	var body resource[struct {
		TemplateID  string            `json:"inquiry-template-id"`
		ReferenceID string            `json:"reference-id"`
		Fields      map[string]string `json:"fields,omitempty"`
	}]
	body.Data.Type = "inquiry"
	body.Data.Attributes.TemplateID = in.TemplateID
	body.Data.Attributes.ReferenceID = in.ReferenceID
	body.Data.Attributes.Fields = in.Fields
	raw, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("persona create inquiry: %w", err)
	}
	header := http.Header{"Content-Type": {"application/json"}}
	if in.IdempotencyKey != "" {
		header.Set("Idempotency-Key", in.IdempotencyKey)
	}
	return c.do(ctx, "persona create inquiry", http.MethodPost, "/api/v1/inquiries", header, raw, nil)
}

// GetInquiry retrieves an inquiry (GET /api/v1/inquiries/{id}). Errors as CreateInquiry's.
func (c *Client) GetInquiry(ctx context.Context, id string) (*Inquiry, error) {
	return c.do(ctx, "persona get inquiry", http.MethodGet, "/api/v1/inquiries/"+url.PathEscape(id), http.Header{}, nil, nil)
}

// ResumeInquiry creates a session token for a pending (or expired) inquiry (POST
// /api/v1/inquiries/{id}/resume, https://docs.withpersona.com/resuming-inquiries): the end user
// continues it in Persona's hosted flow with it. Errors as CreateInquiry's.
func (c *Client) ResumeInquiry(ctx context.Context, id string) (*Inquiry, string, error) {
	var token string
	inq, err := c.do(ctx, "persona resume inquiry", http.MethodPost, "/api/v1/inquiries/"+url.PathEscape(id)+"/resume",
		http.Header{"Content-Type": {"application/json"}}, []byte(`{}`), &token)
	return inq, token, err
}

// do sends a request and reads the inquiry it answers, and its meta session-token into token
// when token is not nil.
func (c *Client) do(ctx context.Context, op, method, path string, header http.Header, body []byte, token *string) (*Inquiry, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.BaseURL+path, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	req.Header = header
	req.Header.Set("Authorization", "Bearer "+c.APIKey)
	req.Header.Set("Accept", "application/json")
	resp, err := cmp.Or(c.HTTP, defaultHTTP).Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := &APIError{Status: resp.StatusCode}
		if e.Status == http.StatusTooManyRequests {
			e.RetryAfter = retryAfter(resp.Header)
		}
		return nil, fmt.Errorf("%s: %w", op, e)
	}
	var doc resource[Inquiry]
	if err := json.Unmarshal(raw, &doc); err != nil || doc.Data.Type != "inquiry" || doc.Data.ID == "" {
		return nil, fmt.Errorf("%s: the answer is not an inquiry", op)
	}
	inq := doc.Data.Attributes
	inq.ID = doc.Data.ID
	if token != nil {
		*token = doc.Meta.SessionToken
	}
	return &inq, nil
}

// retryAfter reads a 429's wait: Retry-After (seconds or an HTTP date), else Persona's
// RateLimit-Reset (seconds until the limit resets), else DefaultRetryAfter.
func retryAfter(h http.Header) time.Duration {
	if v := h.Get("Retry-After"); v != "" {
		if s, err := strconv.Atoi(v); err == nil && s >= 0 {
			return time.Duration(s) * time.Second
		}
		if t, err := http.ParseTime(v); err == nil {
			return max(0, time.Until(t))
		}
	}
	if s, err := strconv.Atoi(h.Get("RateLimit-Reset")); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	return DefaultRetryAfter
}
