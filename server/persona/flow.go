package persona

import (
	"context"
	"crypto/subtle"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/kiraapi/kira/server/kyc"
)

// DefaultHostedURL is Persona's hosted flow (https://docs.withpersona.com/hosted-flow).
const DefaultHostedURL = "https://inquiry.withpersona.com/verify"

// FlowPattern is the route of Flow (an http.ServeMux pattern).
const FlowPattern = "GET /vendor/persona/flow/{sessionId}"

const flowPurpose = "persona-flow"

// FlowStore is what Flow reads (kyc.UserStore).
type FlowStore interface {
	GetSession(ctx context.Context, id string) (*kyc.Session, error)
	GetUser(ctx context.Context, tenantID, id string) (*kyc.User, error)
	VendorCheckFor(ctx context.Context, provider, tenantID, userID string, attempt int) (*kyc.VendorCheck, error)
}

// Flow sends the end user of a hosted verification session, once the session's form is submitted,
// on to Persona's hosted flow for the attempt's inquiry (hosted.Page.Continue): the inquiry id, a
// session token for an inquiry already started (ResumeInquiry, per
// https://docs.withpersona.com/resuming-inquiries), and the session's redirect_uri as redirect-uri
// (Persona sends the browser there when the end user is done). While the job has not created the
// inquiry yet, the page refreshes itself every 2 seconds; once the user is decided or the inquiry
// can no longer be continued, it sends the browser to redirect_uri. The link carries a token
// derived from the session id with the server's key (URL), and works while the session would
// have. It works without JavaScript: a page with a meta refresh and a link, not a redirect, so
// that the hosted form's form-action (this server and the integrator's site) allows it.
type Flow struct {
	Store  FlowStore
	Client *Client
	Hasher kyc.KeyHasher
	// HostedURL is Persona's hosted flow (DefaultHostedURL).
	HostedURL string
	// RedirectTo is where the browser goes in the end (hosted.RedirectTo).
	RedirectTo func(*kyc.Session, *kyc.User) string
	Logger     *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// URL is the path of the flow page of a session, with its token.
func (f *Flow) URL(se *kyc.Session) string {
	return "/vendor/persona/flow/" + url.PathEscape(se.ID) + "?token=" + f.Hasher.Hash(flowPurpose, se.ID)
}

var flowPage = template.Must(template.New("flow").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="{{.Wait}};url={{.Next}}"><title>{{.Title}}</title></head>
<body><main><h1>{{.Title}}</h1><p role="status">{{.Lead}}</p><p><a href="{{.Next}}">{{.Link}}</a></p></main></body></html>
`))

func (f *Flow) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := time.Now
	if f.Now != nil {
		now = f.Now
	}
	id := r.PathValue("sessionId")
	want := f.Hasher.Hash(flowPurpose, id)
	se, err := f.Store.GetSession(r.Context(), id)
	if err != nil || subtle.ConstantTimeCompare([]byte(want), []byte(r.URL.Query().Get("token"))) != 1 || !now().Before(se.ExpiresAt) {
		http.NotFound(w, r)
		return
	}
	u, err := f.Store.GetUser(r.Context(), se.TenantID, se.UserID)
	if err != nil {
		f.fail(w, r, err)
		return
	}
	done := map[string]any{"Wait": 0, "Next": f.RedirectTo(se, u), "Title": "Verification submitted",
		"Lead": "Your information was submitted.", "Link": "Continue"}
	if u.Status != kyc.StatusVerifying {
		f.render(w, done)
		return
	}
	c, err := f.Store.VendorCheckFor(r.Context(), Name, se.TenantID, se.UserID, u.Attempts)
	if kyc.ErrorCode(err) == kyc.ENotFound {
		f.render(w, map[string]any{"Wait": 2, "Next": f.URL(se), "Title": "Preparing your verification",
			"Lead": "Please wait a moment: your verification is being prepared.", "Link": "Check again"})
		return
	}
	if err != nil {
		f.fail(w, r, err)
		return
	}
	inq, err := f.Client.GetInquiry(r.Context(), c.ID)
	token := ""
	if err == nil && inq.Status == "pending" {
		inq, token, err = f.Client.ResumeInquiry(r.Context(), c.ID)
	}
	if err != nil {
		f.fail(w, r, err)
		return
	}
	if inq.Status != "created" && inq.Status != "pending" {
		f.render(w, done) // decided at Persona: the decision is on its way
		return
	}
	q := url.Values{"inquiry-id": {inq.ID}, "redirect-uri": {f.RedirectTo(se, u)}}
	if token != "" {
		q.Set("session-token", token)
	}
	f.render(w, map[string]any{"Wait": 0, "Next": f.HostedURL + "?" + q.Encode(), "Title": "Continue your verification",
		"Lead": "You are being sent to our verification partner, Persona, to finish verifying your identity.", "Link": "Continue to Persona"})
}

func (f *Flow) render(w http.ResponseWriter, data map[string]any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; form-action 'none'; base-uri 'none'; frame-ancestors 'self'")
	if err := flowPage.Execute(w, data); err != nil && f.Logger != nil {
		f.Logger.Error("render the persona flow page", "error", err)
	}
}

func (f *Flow) fail(w http.ResponseWriter, r *http.Request, err error) {
	if f.Logger != nil {
		f.Logger.ErrorContext(r.Context(), "persona flow", "error", err.Error())
	}
	w.Header().Set("Retry-After", kyc.OutageRetryAfter)
	http.Error(w, "The verification cannot be continued right now; please try again in a moment.", http.StatusServiceUnavailable)
}
