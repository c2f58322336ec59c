// Package console serves the review console, /console: where the compliance team's operators
// sign in (email, password, and a TOTP code when they have one), see the users in REVIEW of every
// tenant, look at what a user submitted (masked: last four characters of secret numbers, the year
// of birth dates; an operator may reveal one field at a time, which is audited), approve or reject
// the user with a reason for the user and one for the integrator's developers, and read the audit
// trail. It is server-rendered (html/template) and needs no JavaScript.
//
// Security: the session cookie is HttpOnly, SameSite=Strict and, outside sandbox mode, Secure
// (with the __Host- prefix); it holds an opaque random token whose keyed hash is stored, with idle
// and absolute expiry (operator.Service). Every form carries a synchronizer CSRF token derived
// from the session's token (the sign-in form from a pre-session cookie's); a POST without the
// right one gets 403. Failed sign-ins are throttled per email and per client address.
package console

import (
	"context"
	"embed"
	"html/template"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kiraapi/kira/server/kyc"
	"github.com/kiraapi/kira/server/operator"
	"github.com/kiraapi/kira/server/throttle"
	"github.com/kiraapi/kira/server/webpage"
)

// Prefix is where the console is served; Patterns are its routes, for an http.ServeMux.
const Prefix = "/console"

// Patterns are what the server mounts the console on.
var Patterns = []string{Prefix, Prefix + "/"}

// pageSize is how many rows the queue and the audit trail show a page.
const pageSize = 25

// maxFormBytes bounds a form post.
const maxFormBytes = 16 << 10

// The sign-in throttle: 10 failures in a row per email and per client address, then one a minute
// (the budget of the API's POST /auth).
const (
	loginFailuresPerSecond = 1.0 / 60
	loginFailuresBurst     = 10
)

// csrfField is the hidden form field that carries the CSRF token.
const csrfField = "csrf"

//go:embed templates/*.html
var templateFS embed.FS

var pages = map[string]*template.Template{}

func init() {
	funcs := template.FuncMap{"short": func(id string) string { return id[:min(8, len(id))] }}
	for _, name := range []string{"login", "queue", "user", "audit", "message"} {
		pages[name] = template.Must(template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html"))
	}
}

// Operators is what the console needs of operator authentication (operator.Service).
type Operators interface {
	Login(ctx context.Context, email, password, code string) (*kyc.Operator, error)
	StartSession(ctx context.Context, o *kyc.Operator) (string, error)
	Session(ctx context.Context, token string) (*kyc.Operator, error)
	EndSession(ctx context.Context, token string) error
	CSRFToken(sessionToken string) string
	CheckCSRF(sessionToken, got string) bool
}

// Reviews decides users in REVIEW (kyc.UserService).
type Reviews interface {
	Review(ctx context.Context, tenantID, userID string, d kyc.ReviewDecision) (*kyc.User, error)
}

// Console serves the review console.
type Console struct {
	Operators Operators
	Reviews   Reviews
	// Store lists the review queue and the audit trail, reads users and appends audit entries.
	Store kyc.OperatorStore
	// Sandbox drops the Secure attribute (and the __Host- prefix) from the cookies, for plain
	// http on a developer's machine.
	Sandbox bool
	Logger  *slog.Logger
	// Ready is the readiness check: an internal error while it fails is an outage (503).
	Ready func(context.Context) error
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	mux      *http.ServeMux
	failures *throttle.Failures
}

// New returns the console with its routes.
func New(c Console) *Console {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	c.failures = throttle.NewFailures(2, loginFailuresPerSecond, loginFailuresBurst, c.Now)
	m := http.NewServeMux()
	m.HandleFunc("GET "+Prefix+"/login", c.loginForm)
	m.HandleFunc("POST "+Prefix+"/login", c.login)
	m.HandleFunc("POST "+Prefix+"/logout", c.signedIn(c.logout))
	m.HandleFunc("GET "+Prefix+"/{$}", c.signedIn(c.queue))
	m.HandleFunc("GET "+Prefix, c.signedIn(c.queue))
	m.HandleFunc("GET "+Prefix+"/users/{tenantId}/{userId}", c.signedIn(c.user))
	m.HandleFunc("POST "+Prefix+"/users/{tenantId}/{userId}/reveal", c.signedIn(c.reveal))
	m.HandleFunc("POST "+Prefix+"/users/{tenantId}/{userId}/decision", c.signedIn(c.decide))
	m.HandleFunc("GET "+Prefix+"/audit", c.signedIn(c.audit))
	c.mux = m
	return &c
}

// ServeHTTP implements http.Handler.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	if r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		if err := r.ParseForm(); err != nil {
			c.message(w, http.StatusBadRequest, "Something went wrong", "The form could not be read.")
			return
		}
	}
	c.mux.ServeHTTP(w, r)
}

// session is a signed-in request: the operator, the session's token, and the CSRF token its
// forms carry.
type session struct {
	Op        *kyc.Operator
	CSRF      string
	token     string
	requestID string
}

// signedIn serves next to a request with a live session; others go to the sign-in page. A POST
// must carry the session's CSRF token (403 otherwise).
func (c *Console) signedIn(next func(http.ResponseWriter, *http.Request, *session)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var token string
		if ck, err := r.Cookie(c.cookieName(sessionCookie)); err == nil {
			token = ck.Value
		}
		op, err := c.Operators.Session(r.Context(), token)
		if kyc.ErrorCode(err) == kyc.EUnauthorized {
			http.Redirect(w, r, Prefix+"/login", http.StatusSeeOther)
			return
		}
		if err != nil {
			c.failure(w, r, err)
			return
		}
		if r.Method == http.MethodPost && !c.Operators.CheckCSRF(token, r.PostForm.Get(csrfField)) {
			c.message(w, http.StatusForbidden, "This form has expired", "Please go back, reload the page and try again.")
			return
		}
		next(w, r, &session{Op: op, token: token, CSRF: c.Operators.CSRFToken(token), requestID: w.Header().Get("X-Request-Id")})
	}
}

// The cookies: the session's, and the sign-in form's pre-session nonce (its CSRF token's key).
const (
	sessionCookie = "kira_console"
	loginCookie   = "kira_console_login"
)

// cookieName is name with the __Host- prefix outside sandbox mode: the browser then keeps the
// cookie only if it is Secure, for this host alone, on path /.
func (c *Console) cookieName(name string) string {
	if c.Sandbox {
		return name
	}
	return "__Host-" + name
}

func (c *Console) setCookie(w http.ResponseWriter, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: c.cookieName(name), Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: !c.Sandbox, SameSite: http.SameSiteStrictMode})
}

func (c *Console) loginForm(w http.ResponseWriter, r *http.Request) {
	c.renderLogin(w, http.StatusOK, "", "")
}

// renderLogin shows the sign-in form with a fresh pre-session nonce, and problem if any.
func (c *Console) renderLogin(w http.ResponseWriter, status int, email, problem string) {
	nonce := operator.NewToken()
	c.setCookie(w, loginCookie, nonce, int((15 * time.Minute).Seconds()))
	c.render(w, "login", status, map[string]any{"Title": "Sign in", "CSRF": c.Operators.CSRFToken(nonce), "Email": email, "Problem": problem})
}

func (c *Console) login(w http.ResponseWriter, r *http.Request) {
	var nonce string
	if ck, err := r.Cookie(c.cookieName(loginCookie)); err == nil {
		nonce = ck.Value
	}
	if !c.Operators.CheckCSRF(nonce, r.PostForm.Get(csrfField)) {
		c.message(w, http.StatusForbidden, "This form has expired", "Please reload the sign-in page and try again.")
		return
	}
	email := strings.ToLower(strings.TrimSpace(r.PostForm.Get("email")))
	attempt, wait := c.failures.Begin(clientAddress(r), email)
	if attempt == nil {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		c.message(w, http.StatusTooManyRequests, "Too many failed sign-ins", "Please wait a few minutes before trying again.")
		return
	}
	requestID := w.Header().Get("X-Request-Id")
	op, err := c.Operators.Login(r.Context(), email, r.PostForm.Get("password"), r.PostForm.Get("code"))
	if kyc.ErrorCode(err) == kyc.EUnauthorized {
		entry := &kyc.AuditEntry{Action: kyc.AuditLoginFailed, RequestID: requestID}
		if op != nil {
			entry.OperatorID = op.ID
		}
		if err := c.appendAudit(r.Context(), entry); err != nil {
			c.failure(w, r, err)
			return
		}
		c.renderLogin(w, http.StatusUnauthorized, email, "The email, password or code is not right.")
		return
	}
	attempt.Forgive()
	if err != nil {
		c.failure(w, r, err)
		return
	}
	token, err := c.Operators.StartSession(r.Context(), op)
	if err == nil {
		err = c.appendAudit(r.Context(), &kyc.AuditEntry{OperatorID: op.ID, Action: kyc.AuditLogin, RequestID: requestID})
	}
	if err != nil {
		c.failure(w, r, err)
		return
	}
	c.setCookie(w, loginCookie, "", -1)
	c.setCookie(w, sessionCookie, token, 0)
	http.Redirect(w, r, Prefix+"/", http.StatusSeeOther)
}

func (c *Console) logout(w http.ResponseWriter, r *http.Request, s *session) {
	if err := c.Operators.EndSession(r.Context(), s.token); err != nil {
		c.failure(w, r, err)
		return
	}
	if err := c.appendAudit(r.Context(), &kyc.AuditEntry{OperatorID: s.Op.ID, Action: kyc.AuditLogout, RequestID: s.requestID}); err != nil {
		c.failure(w, r, err)
		return
	}
	c.setCookie(w, sessionCookie, "", -1)
	http.Redirect(w, r, Prefix+"/login", http.StatusSeeOther)
}

func (c *Console) queue(w http.ResponseWriter, r *http.Request, s *session) {
	users, next, err := c.Store.ReviewQueue(r.Context(), r.URL.Query().Get("cursor"), pageSize)
	if kyc.ErrorCode(err) == kyc.EInvalid {
		c.message(w, http.StatusBadRequest, "Page not found", "This page of the queue does not exist; start from the first.")
		return
	}
	if err != nil {
		c.failure(w, r, err)
		return
	}
	rows := make([]queueRow, len(users))
	for i, u := range users {
		rows[i] = toQueueRow(u)
	}
	c.render(w, "queue", http.StatusOK, map[string]any{"Title": "Review queue", "Session": s, "Users": rows,
		"Next": pageLink(Prefix+"/", next), "Decided": r.URL.Query().Get("decided")})
}

func (c *Console) user(w http.ResponseWriter, r *http.Request, s *session) {
	c.showUser(w, r, s, "")
}

// showUser shows a user's detail page, with the field named revealed in the clear.
func (c *Console) showUser(w http.ResponseWriter, r *http.Request, s *session, revealed string) {
	u, ok := c.getUser(w, r)
	if !ok {
		return
	}
	c.render(w, "user", http.StatusOK, map[string]any{"Title": "Review user", "Session": s, "User": toUserView(u, revealed)})
}

// getUser reads the user the path names, answering 404 itself when there is none.
func (c *Console) getUser(w http.ResponseWriter, r *http.Request) (*kyc.User, bool) {
	u, err := c.Store.GetUser(r.Context(), r.PathValue("tenantId"), r.PathValue("userId"))
	if kyc.ErrorCode(err) == kyc.ENotFound {
		c.message(w, http.StatusNotFound, "User not found", "There is no such user; it may have been erased.")
		return nil, false
	}
	if err != nil {
		c.failure(w, r, err)
		return nil, false
	}
	return u, true
}

// reveal shows one masked field of a user in the clear, once the reveal is in the audit trail
// (the field's name, never its value).
func (c *Console) reveal(w http.ResponseWriter, r *http.Request, s *session) {
	field := r.PostForm.Get("field")
	spec := kyc.UserField(field)
	if spec == nil || !spec.Sealed {
		c.message(w, http.StatusBadRequest, "Nothing to reveal", "Only a masked field can be revealed.")
		return
	}
	u, ok := c.getUser(w, r)
	if !ok {
		return
	}
	err := c.appendAudit(r.Context(), &kyc.AuditEntry{OperatorID: s.Op.ID, Action: kyc.AuditReveal, TenantID: u.TenantID, UserID: u.ID,
		Field: spec.Name, RequestID: s.requestID})
	if err != nil {
		c.failure(w, r, err)
		return
	}
	c.render(w, "user", http.StatusOK, map[string]any{"Title": "Review user", "Session": s, "User": toUserView(u, spec.Name)})
}

// maxReasonLength bounds the reasons typed in the console, as the review API does.
const maxReasonLength = 500

func (c *Console) decide(w http.ResponseWriter, r *http.Request, s *session) {
	f := r.PostForm
	decision := f.Get("decision")
	reason, devReason := strings.TrimSpace(f.Get("reason")), strings.TrimSpace(f.Get("developer_reason"))
	if (decision != "approve" && decision != "reject") || len(reason) > maxReasonLength || len(devReason) > maxReasonLength {
		c.message(w, http.StatusBadRequest, "The decision could not be read", "Choose approve or reject; each reason may have up to 500 characters.")
		return
	}
	u, err := c.Reviews.Review(r.Context(), r.PathValue("tenantId"), r.PathValue("userId"), kyc.ReviewDecision{
		Approve: decision == "approve", Reason: reason, DeveloperReason: devReason,
		By: &kyc.Reviewer{OperatorID: s.Op.ID, RequestID: s.requestID},
	})
	switch kyc.ErrorCode(err) {
	case "":
	case kyc.ENotFound:
		c.message(w, http.StatusNotFound, "User not found", "There is no such user; it may have been erased.")
		return
	case kyc.EInvalidTransition, kyc.EInvalid:
		c.message(w, http.StatusConflict, "This user cannot be decided", "The user is no longer in review: another operator may have decided it.")
		return
	default:
		c.failure(w, r, err)
		return
	}
	http.Redirect(w, r, Prefix+"/?decided="+url.QueryEscape(u.ID), http.StatusSeeOther)
}

func (c *Console) audit(w http.ResponseWriter, r *http.Request, s *session) {
	entries, next, err := c.Store.ListAudit(r.Context(), r.URL.Query().Get("cursor"), pageSize)
	if kyc.ErrorCode(err) == kyc.EInvalid {
		c.message(w, http.StatusBadRequest, "Page not found", "This page of the audit trail does not exist; start from the first.")
		return
	}
	if err != nil {
		c.failure(w, r, err)
		return
	}
	c.render(w, "audit", http.StatusOK, map[string]any{"Title": "Audit trail", "Session": s, "Entries": entries, "Next": pageLink(Prefix+"/audit", next)})
}

// appendAudit adds an entry to the audit trail, with a new id and the time.
func (c *Console) appendAudit(ctx context.Context, e *kyc.AuditEntry) error {
	e.ID, e.CreatedAt = kyc.NewID(), c.Now()
	return c.Store.AppendAudit(ctx, e)
}

// pageLink is the link to the page after cursor ("" when there is none).
func pageLink(path, cursor string) string {
	if cursor == "" {
		return ""
	}
	return path + "?cursor=" + url.QueryEscape(cursor)
}

// clientAddress is the address the request came from, for the sign-in throttle.
func clientAddress(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (c *Console) failure(w http.ResponseWriter, r *http.Request, err error) {
	c.Logger.ErrorContext(r.Context(), "review console", "request_id", w.Header().Get("X-Request-Id"), "error", err)
	if kyc.InOutage(r.Context(), c.Ready) {
		w.Header().Set("Retry-After", kyc.OutageRetryAfter)
		c.message(w, http.StatusServiceUnavailable, "Temporarily unavailable", "The service is briefly unavailable. Please try again in a few seconds.")
		return
	}
	c.message(w, http.StatusInternalServerError, "Something went wrong", "Please try again in a few minutes.")
}

func (c *Console) message(w http.ResponseWriter, status int, title, lead string) {
	c.render(w, "message", status, map[string]any{"Title": title, "Lead": lead})
}

func (c *Console) render(w http.ResponseWriter, page string, status int, data map[string]any) {
	if err := webpage.Render(w, pages[page], status, data); err != nil {
		c.Logger.Error("render review console", "page", page, "error", err)
	}
}

var _ Operators = (*operator.Service)(nil)
