// Package hosted serves the hosted verification pages of embedded links: the page where an end
// user completes what automatic verification still needs (the form, derived from the user field
// table, and its country list, with the identity documents the requirement set names), and the
// signed links to it.
package hosted

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/kiraapi/kira/server/kyc"
	"github.com/kiraapi/kira/server/webpage"
)

// pagePrefix is where hosted verification pages are served: /verify/{sessionId}.
const pagePrefix = "/verify/"

//go:embed templates/*.html
var templateFS embed.FS

var (
	formPage    = template.Must(template.ParseFS(templateFS, "templates/page.html", "templates/form.html"))
	messagePage = template.Must(template.ParseFS(templateFS, "templates/page.html", "templates/message.html"))
)

// maxFormBytes bounds a form post.
const maxFormBytes = 64 << 10

// tokenField is the query parameter that carries a page link's token (Links.URL), in the link
// and in the form's action.
const tokenField = "token"

// Sessions is what the page needs of the user use cases: kyc.UserService, or a fake in tests.
type Sessions interface {
	OpenSession(ctx context.Context, id string) (*kyc.Session, *kyc.User, error)
	SubmitSession(ctx context.Context, id string, p kyc.Patch) (*kyc.Session, *kyc.User, error)
	// AttemptsLeft is how many verification attempts the user may still start.
	AttemptsLeft(u *kyc.User) int
	// Rules is the requirement set that decides what automatic verification needs.
	Rules() kyc.RequirementSet
}

// Page serves the hosted verification pages. It works without JavaScript: the form posts back to
// the page, which shows errors next to their fields or sends the browser on to the session's
// redirect_uri with user_id, session_id and status in the query.
type Page struct {
	Users  Sessions
	Links  Links
	Spec   *openapi3.T
	Logger *slog.Logger
	// FrameAncestors are the origins (scheme://host[:port]) besides the page's own that may show
	// it in a frame (KIRA_FRAME_ANCESTORS); none by default.
	FrameAncestors []string
	// Ready is the readiness check (the database's ping): an internal error while it fails is an
	// outage, answered 503 with Retry-After rather than 500. nil: never an outage.
	Ready func(context.Context) error
	// Now is the clock that dates are checked against; nil means time.Now.
	Now func() time.Time
	// Continue, when set, is where the browser goes after a submission instead of the session's
	// redirect_uri: a KYC vendor's flow (persona.Flow), which sends it on to redirect_uri in the
	// end. A path of this server, so that the form's form-action allows it.
	Continue func(se *kyc.Session) string
}

// Pattern is the route the page handles, for an http.ServeMux.
const Pattern = pagePrefix + "{sessionId}"

// CompletedPattern is the route of the page that thanks the end user of a session that has no
// redirect_uri of the integrator's (a user created in verification_link mode without one): the
// form sends them there (Links.CompletedURL), and ServeCompleted answers.
const CompletedPattern = "GET " + pagePrefix + "completed"

// ServeCompleted tells the end user that their details were submitted, whatever the query says.
func (p *Page) ServeCompleted(w http.ResponseWriter, _ *http.Request) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	p.message(w, http.StatusOK, "Thank you", "Your details were submitted for verification. You can close this page.")
}

// ServeHTTP implements http.Handler.
func (p *Page) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	if len(p.FrameAncestors) == 0 {
		h.Set("X-Frame-Options", "SAMEORIGIN") // for browsers without CSP frame-ancestors
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodPost:
	default:
		h.Set("Allow", "GET, HEAD, POST")
		p.message(w, http.StatusMethodNotAllowed, "Something went wrong", "This page only takes the verification form.")
		return
	}
	// The link's token travels in the URL, the form's action included, so a post is read only
	// once its token and its session are checked: nothing is read for a stranger, and the user's
	// form decides how many files a post may carry.
	id, token := r.PathValue("sessionId"), r.URL.Query().Get(tokenField)
	if !p.Links.Valid(id, token) {
		p.message(w, http.StatusNotFound, "Link not recognised", "This verification link is not valid. Please ask for a new one.")
		return
	}
	se, u, err := p.Users.OpenSession(r.Context(), id)
	if err != nil {
		p.failure(w, r, err)
		return
	}
	if p.closed(w, u) {
		return
	}
	rules := p.Users.Rules()
	asked := inputs{fieldsToAsk(u, rules), documentSections(u, rules)}
	if r.Method != http.MethodPost {
		p.form(w, http.StatusOK, se, u, token, asked, currentValues(u), nil)
		return
	}
	if err := parsePost(w, r, uploadLimit(asked.sections)); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			p.message(w, http.StatusRequestEntityTooLarge, "These files are too large", fmt.Sprintf("Each photo may be at most %d MiB. Please go back and choose smaller files.", kyc.MaxDocumentBytes>>20))
			return
		}
		p.message(w, http.StatusBadRequest, "Something went wrong", "The form could not be read. Please open your verification link again.")
		return
	}
	sub, problems := parseSubmission(p.Spec, u, rules, asked, r.PostForm, r.MultipartForm, p.now())
	if problems != nil {
		p.redraw(w, se, u, token, asked, sub.typed, problems)
		return
	}
	done, user, err := p.Users.SubmitSession(r.Context(), id, sub.patch)
	if err != nil {
		var kerr *kyc.Error
		switch {
		case !errors.As(err, &kerr):
			p.failure(w, r, err)
		case kerr.Code == kyc.EInvalidTransition || kerr.Code == kyc.EAttemptsExhausted:
			// The user changed since the page was opened (another request, another tab).
			p.closedMessage(w, u.Status, kerr.Code == kyc.EAttemptsExhausted)
		case kerr.Code == kyc.EInvalid && len(kerr.Fields) > 0:
			problems := map[string]string{}
			for _, f := range kerr.Fields {
				problems[f.Field] = f.Message
			}
			p.redraw(w, se, u, token, asked, sub.typed, problems)
		case kerr.Code == kyc.EInvalid:
			p.message(w, http.StatusConflict, "We could not submit this", kerr.Message)
		default:
			p.failure(w, r, err)
		}
		return
	}
	target := RedirectTo(done, user)
	if p.Continue != nil {
		target = p.Continue(done)
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// closed shows, instead of the form, why a user cannot submit it (see closedMessage), and reports
// whether it did: only a CREATED or REJECTED user with attempts left can.
func (p *Page) closed(w http.ResponseWriter, u *kyc.User) bool {
	exhausted := p.Users.AttemptsLeft(u) == 0
	if (u.Status == kyc.StatusCreated || u.Status == kyc.StatusRejected) && !exhausted {
		return false
	}
	p.closedMessage(w, u.Status, exhausted)
	return true
}

// closedMessage answers 409 with a page that says why there is nothing to submit: the user's
// details are being verified, are verified, or may not be verified again (exhausted).
func (p *Page) closedMessage(w http.ResponseWriter, status kyc.Status, exhausted bool) {
	switch {
	case status == kyc.StatusVerified:
		p.message(w, http.StatusConflict, "Verification complete", "These details have been verified. There is nothing more to do.")
	case status == kyc.StatusVerifying || status == kyc.StatusReview:
		p.message(w, http.StatusConflict, "Verification in progress", "These details have been submitted and are being verified. They cannot be changed until that is done; there is nothing more to do here.")
	case exhausted:
		p.message(w, http.StatusConflict, "Verification cannot continue here", "These details could not be verified, and no attempts are left. Please contact the service that sent you this link.")
	default:
		p.message(w, http.StatusConflict, "We could not submit this", "This verification can no longer be changed here. Please ask for a new link.")
	}
}

// redraw shows the form again after a refused post (422), with what was typed (secrets aside) and
// problems by field or input name. A secret typed, or a file chosen, without a problem of its own
// is not shown back either: the page says to give it again, so that it does not vanish unnoticed.
func (p *Page) redraw(w http.ResponseWriter, se *kyc.Session, u *kyc.User, token string, asked inputs, typed, problems map[string]string) {
	values := currentValues(u)
	for _, f := range asked.all() {
		v, ok := typed[f.Name]
		switch {
		case !ok:
		case !f.Secret:
			values[f.Name] = v
		case problems[f.Name] == "" && f.Kind == "file":
			problems[f.Name] = "must be chosen again: files are not kept when the form has errors"
		case problems[f.Name] == "":
			problems[f.Name] = "must be entered again: for your security, it is not shown back"
		}
	}
	p.form(w, http.StatusUnprocessableEntity, se, u, token, asked, values, problems)
}

// parsePost reads a form post of at most limit bytes into r.PostForm, and its files into
// r.MultipartForm when it is multipart (the form with its uploads, kept in memory). Other posts
// are at most maxFormBytes.
func parsePost(w http.ResponseWriter, r *http.Request, limit int64) error {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		if err := r.ParseForm(); err != nil {
			return fmt.Errorf("parse form: %w", err)
		}
		return nil
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	if err := r.ParseMultipartForm(limit); err != nil {
		return fmt.Errorf("parse multipart form: %w", err)
	}
	return nil
}

func (p *Page) now() time.Time {
	if p.Now == nil {
		return time.Now()
	}
	return p.Now()
}

// RedirectTo is the session's redirect_uri exactly as the integrator gave it, with user_id,
// session_id and status appended to its query (before any fragment): nothing of the original is
// dropped, decoded again or reordered.
func RedirectTo(se *kyc.Session, u *kyc.User) string {
	uri, fragment, hasFragment := strings.Cut(se.RedirectURI, "#")
	sep := "?"
	if i := strings.IndexByte(uri, '?'); i >= 0 {
		sep = "&"
		if i == len(uri)-1 || strings.HasSuffix(uri, "&") {
			sep = ""
		}
	}
	out := uri + sep + "user_id=" + url.QueryEscape(u.ID) + "&session_id=" + url.QueryEscape(se.ID) + "&status=" + url.QueryEscape(string(u.Status))
	if hasFragment {
		out += "#" + fragment
	}
	return out
}

func (p *Page) form(w http.ResponseWriter, status int, se *kyc.Session, u *kyc.User, token string, asked inputs, values, problems map[string]string) {
	lead := "To finish verifying your identity, please fill in the details below."
	title := "Verify your identity"
	if u.Type == kyc.Business {
		title, lead = "Verify your business", "To finish verifying your business, please fill in the details below."
	}
	if u.Status == kyc.StatusRejected {
		lead = "We could not verify the details we have. Please check and correct them below."
	}
	// The form posts here and is then redirected to the integrator's site.
	origin := ""
	if target, err := url.Parse(se.RedirectURI); err == nil {
		origin = " " + target.Scheme + "://" + target.Host
	}
	p.setCSP(w, "form-action 'self'"+origin)
	p.render(w, formPage, status, map[string]any{
		"Title":  title,
		"Lead":   lead,
		"Action": pagePrefix + url.PathEscape(se.ID) + "?" + url.Values{tokenField: {token}}.Encode(),
		"Form":   buildForm(p.Spec, u, p.Users.Rules(), asked, values, problems),
	})
}

func (p *Page) failure(w http.ResponseWriter, r *http.Request, err error) {
	switch kyc.ErrorCode(err) {
	case kyc.ESessionExpired:
		p.message(w, http.StatusGone, "This link has expired", "Verification links last 24 hours. Please ask for a new one.")
	case kyc.ESessionUsed:
		p.message(w, http.StatusGone, "This link has already been used", "Your information was submitted and is being verified. There is nothing more to do.")
	case kyc.ENotFound:
		p.message(w, http.StatusNotFound, "Link not recognised", "This verification link is not valid. Please ask for a new one.")
	default:
		p.Logger.ErrorContext(r.Context(), "hosted verification page", "error", err)
		if kyc.InOutage(r.Context(), p.Ready) {
			w.Header().Set("Retry-After", kyc.OutageRetryAfter)
			p.message(w, http.StatusServiceUnavailable, "Temporarily unavailable", "The service is briefly unavailable. Please try again in a few seconds.")
			return
		}
		p.message(w, http.StatusInternalServerError, "Something went wrong", "Please try again in a few minutes.")
	}
}

func (p *Page) message(w http.ResponseWriter, status int, title, lead string) {
	p.setCSP(w, "form-action 'none'")
	p.render(w, messagePage, status, map[string]any{"Title": title, "Lead": lead})
}

// setCSP sets the page's Content-Security-Policy with the given form-action directive: nothing
// loads from elsewhere, and only the page's own origin and FrameAncestors may frame it.
func (p *Page) setCSP(w http.ResponseWriter, formAction string) {
	ancestors := strings.Join(append([]string{"'self'"}, p.FrameAncestors...), " ")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; "+formAction+"; base-uri 'none'; frame-ancestors "+ancestors)
}

func (p *Page) render(w http.ResponseWriter, t *template.Template, status int, data any) {
	if err := webpage.Render(w, t, status, data); err != nil {
		p.Logger.Error("render hosted page", "error", err)
	}
}
