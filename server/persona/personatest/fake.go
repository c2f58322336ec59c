// Package personatest is a fake of Persona's Inquiries API for tests, written from Persona's public
// documentation (see package persona): POST /api/v1/inquiries and GET /api/v1/inquiries/{id} with
// JSON:API bodies and a bearer API key, Idempotency-Key honoured, and failures on demand (429 with
// Retry-After, 5xx); and Persona's webhook events, built and signed as documented.
package personatest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/kiraapi/kira/server/persona"
)

// Inquiry is the fake's record of an inquiry.
type Inquiry struct {
	ID          string
	Status      string
	ReferenceID string
	TemplateID  string
	Fields      map[string]string
	// IdempotencyKey is the create request's Idempotency-Key.
	IdempotencyKey string
}

// Fake is a running fake of Persona's API, on 127.0.0.1:0 for the duration of the test.
type Fake struct {
	URL    string
	APIKey string

	mu        sync.Mutex
	inquiries map[string]*Inquiry
	byKey     map[string]string
	fail      []int
	requests  int
	created   chan Inquiry
}

// New starts a fake that accepts apiKey.
func New(tb testing.TB, apiKey string) *Fake {
	tb.Helper()
	f := &Fake{APIKey: apiKey, inquiries: map[string]*Inquiry{}, byKey: map[string]string{}, created: make(chan Inquiry, 100)}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/inquiries", f.create)
	mux.HandleFunc("GET /api/v1/inquiries/{id}", f.get)
	mux.HandleFunc("POST /api/v1/inquiries/{id}/resume", f.resume)
	srv := httptest.NewServer(f.guard(mux))
	tb.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

// FailNext makes the next API requests, one each, answer these statuses: a 429 with Retry-After:
// 1, anything else with Persona's error body.
func (f *Fake) FailNext(statuses ...int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = append(f.fail, statuses...)
}

// Requests is how many API requests the fake has received, failed ones included.
func (f *Fake) Requests() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests
}

// Created receives each inquiry the fake creates (not the replays of an Idempotency-Key).
func (f *Fake) Created() <-chan Inquiry { return f.created }

// Inquiries returns the inquiries created so far.
func (f *Fake) Inquiries() []Inquiry {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Inquiry
	for _, inq := range f.inquiries {
		out = append(out, *inq)
	}
	return out
}

// SetStatus changes an inquiry's status, as the end user's progress, Persona's workflows or its
// reviewers would.
func (f *Fake) SetStatus(id, status string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.inquiries[id].Status = status
}

func (f *Fake) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.requests++
		var status int
		if len(f.fail) > 0 {
			status, f.fail = f.fail[0], f.fail[1:]
		}
		f.mu.Unlock()
		switch {
		case r.Header.Get("Authorization") != "Bearer "+f.APIKey:
			writeErrors(w, http.StatusUnauthorized, "Must be authenticated to access this endpoint")
		case status == http.StatusTooManyRequests:
			w.Header().Set("Retry-After", "1")
			w.Header().Set("RateLimit-Limit", "300")
			w.Header().Set("RateLimit-Remaining", "0")
			writeErrors(w, status, "Too many requests")
		case status != 0:
			writeErrors(w, status, http.StatusText(status))
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// create answers POST /api/v1/inquiries: {"data": {"attributes": {"inquiry-template-id",
// "reference-id", "fields": {...}}}}; the template id is required (422 otherwise).
func (f *Fake) create(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Data struct {
			Attributes struct {
				TemplateID  string            `json:"inquiry-template-id"`
				ReferenceID string            `json:"reference-id"`
				Fields      map[string]string `json:"fields"`
			} `json:"attributes"`
		} `json:"data"`
	}
	if r.Header.Get("Content-Type") != "application/json" || json.NewDecoder(r.Body).Decode(&body) != nil {
		writeErrors(w, http.StatusBadRequest, "Invalid JSON body")
		return
	}
	a := body.Data.Attributes
	if a.TemplateID == "" {
		writeErrors(w, http.StatusUnprocessableEntity, "inquiry-template-id is required")
		return
	}
	key := r.Header.Get("Idempotency-Key")
	f.mu.Lock()
	id, replay := f.byKey[key]
	if !replay || key == "" {
		id = fmt.Sprintf("inq_fake%08d", len(f.inquiries)+1)
		f.inquiries[id] = &Inquiry{ID: id, Status: "created", ReferenceID: a.ReferenceID, TemplateID: a.TemplateID, Fields: a.Fields, IdempotencyKey: key}
		if key != "" {
			f.byKey[key] = id
		}
	}
	inq := *f.inquiries[id]
	f.mu.Unlock()
	if !replay {
		f.created <- inq
	}
	writeJSON(w, http.StatusCreated, Resource(inq))
}

// lookup returns a copy of the inquiry the request's path names.
func (f *Fake) lookup(r *http.Request) (Inquiry, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	inq, ok := f.inquiries[r.PathValue("id")]
	if !ok {
		return Inquiry{}, false
	}
	return *inq, true
}

func (f *Fake) get(w http.ResponseWriter, r *http.Request) {
	out, ok := f.lookup(r)
	if !ok {
		writeErrors(w, http.StatusNotFound, "Record not found")
		return
	}
	writeJSON(w, http.StatusOK, Resource(out))
}

// resume answers POST /api/v1/inquiries/{id}/resume: a pending or expired inquiry with a new
// session token in meta; any other status is a 422, as Persona refuses to resume it.
func (f *Fake) resume(w http.ResponseWriter, r *http.Request) {
	out, ok := f.lookup(r)
	switch {
	case !ok:
		writeErrors(w, http.StatusNotFound, "Record not found")
	case out.Status != "pending" && out.Status != "expired":
		writeErrors(w, http.StatusUnprocessableEntity, "Inquiry cannot be resumed")
	default:
		doc := Resource(out)
		doc["meta"] = map[string]any{"session-token": SessionToken(out.ID)}
		writeJSON(w, http.StatusOK, doc)
	}
}

// SessionToken is the session token the fake gives when it resumes an inquiry.
func SessionToken(inquiryID string) string { return "fake_session_" + inquiryID }

// Resource is an inquiry as Persona's API and its webhook payloads show it.
func Resource(inq Inquiry) map[string]any {
	return map[string]any{"data": map[string]any{
		"type": "inquiry",
		"id":   inq.ID,
		"attributes": map[string]any{
			"status": inq.Status, "reference-id": inq.ReferenceID, "created-at": "2026-11-25T20:00:00.000Z",
		},
		"relationships": map[string]any{
			"inquiry-template": map[string]any{"data": map[string]any{"type": "inquiry-template", "id": inq.TemplateID}},
			"verifications":    map[string]any{"data": []any{}},
		},
	}}
}

// Event is the body of Persona's webhook for an event named name (inquiry.approved,
// inquiry.declined, inquiry.marked-for-review, inquiry.expired...) about inq: {"data": {"type":
// "event", "id", "attributes": {"name", "created-at", "payload": {"data": <the inquiry>}}}}.
func Event(id, name string, inq Inquiry, at time.Time) []byte {
	raw, err := json.Marshal(map[string]any{"data": map[string]any{
		"type": "event",
		"id":   id,
		"attributes": map[string]any{
			"name": name, "created-at": at.UTC().Format(time.RFC3339Nano), "payload": Resource(inq),
		},
	}})
	if err != nil {
		panic(err)
	}
	return raw
}

// Deliver posts a webhook body to url as Persona does, with Persona-Signature signed at at by every
// one of secrets (one t=,v1= pair each, space-separated, as during a rotation), and returns the
// answer's status.
func Deliver(tb testing.TB, url string, body []byte, at time.Time, secrets ...string) int {
	tb.Helper()
	sig := ""
	for i, s := range secrets {
		if i > 0 {
			sig += " "
		}
		sig += persona.Sign(s, at, body)
	}
	return DeliverSigned(tb, url, body, sig)
}

// DeliverSigned posts a webhook body with the given Persona-Signature header.
func DeliverSigned(tb testing.TB, url string, body []byte, signature string) int {
	tb.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Persona-Webhook-Attempts-Made", "1")
	if signature != "" {
		req.Header.Set(persona.SignatureHeader, signature)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func writeErrors(w http.ResponseWriter, status int, title string) {
	writeJSON(w, status, map[string]any{"errors": []map[string]string{{"title": title, "status": strconv.Itoa(status)}}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
