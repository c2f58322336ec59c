package persona

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/kiraapi/kira/server/kyc"
)

// WebhookPattern is where Persona's webhooks are received (an http.ServeMux pattern). It is a
// vendor callback beside the API, not part of the integrators' contract: Persona is configured to
// send its inquiry events there.
const WebhookPattern = "POST /vendor/persona/webhooks"

// Decisions is what Webhooks needs of the user use cases (kyc.UserService).
type Decisions interface {
	ApplyVendorDecision(ctx context.Context, provider, eventID, checkID string, decide func(*kyc.User) kyc.Decision) (kyc.VendorOutcome, error)
}

// Webhooks receives Persona's inquiry events
// (https://docs.withpersona.com/v2022-09-01/docs/webhooks). Each request must carry a valid
// Persona-Signature under one of Secrets, signed within Tolerance of now (Verify): otherwise 401,
// and nothing is read. An event about an inquiry's status (inquiry.approved, inquiry.declined,
// inquiry.marked-for-review, inquiry.expired, inquiry.completed, inquiry.failed, ...; the inquiry is
// the event's payload.data) is applied with UserService.ApplyVendorDecision, which records the
// event id and the decision in one transaction before the 200: a redelivered event changes
// nothing, and an event about an attempt the user has left is recorded and ignored. Events about
// inquiries this server did not create are answered 404 (Persona retries them, which covers an
// event that overtook the recording of its inquiry); a database that does not answer, 503; a
// malformed event, 400. Other events are acknowledged and ignored. Logs carry ids, never a field.
type Webhooks struct {
	Users   Decisions
	Secrets []string
	// Tolerance bounds the age of a signature (0: DefaultTolerance).
	Tolerance time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger receives a line per event; nil logs nothing.
	Logger *slog.Logger
	// Ready checks the database (store.Store.Ping): a failure while it fails is an outage, 503.
	Ready func(context.Context) error
}

// event is Persona's webhook body: a JSON:API "event" whose payload is the resource it is about.
type event struct {
	Data struct {
		Type       string `json:"type"`
		ID         string `json:"id"`
		Attributes struct {
			Name    string `json:"name"`
			Payload struct {
				Data struct {
					Type       string `json:"type"`
					ID         string `json:"id"`
					Attributes struct {
						Status string `json:"status"`
					} `json:"attributes"`
				} `json:"data"`
			} `json:"payload"`
		} `json:"attributes"`
	} `json:"data"`
}

// eventStatus is the inquiry status each decision event reports, for a payload that lacks it.
var eventStatus = map[string]string{
	"inquiry.approved":          "approved",
	"inquiry.declined":          "declined",
	"inquiry.marked-for-review": "needs_review",
	"inquiry.expired":           "expired",
	"inquiry.completed":         "completed",
	"inquiry.failed":            "failed",
}

func (h *Webhooks) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := time.Now
	if h.Now != nil {
		now = h.Now
	}
	tolerance := h.Tolerance
	if tolerance == 0 {
		tolerance = DefaultTolerance
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		http.Error(w, "The body could not be read.", http.StatusRequestEntityTooLarge)
		return
	}
	if err := Verify(r.Header.Get(SignatureHeader), body, h.Secrets, now(), tolerance); err != nil {
		h.log(r.Context(), slog.LevelWarn, "persona webhook refused", "error", err.Error())
		http.Error(w, "The Persona-Signature is missing, stale or wrong.", http.StatusUnauthorized)
		return
	}
	var e event
	if err := json.Unmarshal(body, &e); err != nil || e.Data.Type != "event" || e.Data.ID == "" {
		http.Error(w, "The body is not a Persona event.", http.StatusBadRequest)
		return
	}
	name, inquiry := e.Data.Attributes.Name, e.Data.Attributes.Payload.Data
	if !strings.HasPrefix(name, "inquiry.") || inquiry.Type != "inquiry" || inquiry.ID == "" {
		h.log(r.Context(), slog.LevelInfo, "persona webhook ignored", "event_id", e.Data.ID, "event", name)
		w.WriteHeader(http.StatusOK)
		return
	}
	status := inquiry.Attributes.Status
	if s, ok := eventStatus[name]; ok {
		status = s // the event says what happened; the payload's status may be later or earlier
	}
	at := now()
	outcome, err := h.Users.ApplyVendorDecision(r.Context(), Name, e.Data.ID, inquiry.ID, func(u *kyc.User) kyc.Decision {
		return Decision(status, u, at)
	})
	switch {
	case kyc.ErrorCode(err) == kyc.ENotFound:
		h.log(r.Context(), slog.LevelWarn, "persona webhook about an unknown inquiry", "event_id", e.Data.ID, "event", name, "inquiry_id", inquiry.ID)
		http.Error(w, "No such inquiry.", http.StatusNotFound)
		return
	case err != nil && kyc.InOutage(r.Context(), h.Ready):
		w.Header().Set("Retry-After", kyc.OutageRetryAfter)
		http.Error(w, "The service is unavailable.", http.StatusServiceUnavailable)
		return
	case err != nil:
		h.log(r.Context(), slog.LevelError, "persona webhook failed", "event_id", e.Data.ID, "event", name, "error", err.Error())
		http.Error(w, "The event could not be recorded.", http.StatusInternalServerError)
		return
	}
	h.log(r.Context(), slog.LevelInfo, "persona webhook", "event_id", e.Data.ID, "event", name, "inquiry_id", inquiry.ID,
		"outcome", [...]string{"applied", "duplicate", "stale"}[outcome])
	w.WriteHeader(http.StatusOK)
}

func (h *Webhooks) log(ctx context.Context, level slog.Level, msg string, args ...any) {
	if h.Logger != nil {
		h.Logger.Log(ctx, level, msg, args...)
	}
}
