package httpapi_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/kiraapi/kira/server/app"
	"github.com/kiraapi/kira/server/kyc"
	"github.com/kiraapi/kira/server/operator"
)

// cheapOperators makes operator password hashes cheap, for tests.
func cheapOperators(o *app.Options) {
	o.OperatorOptions = append(o.OperatorOptions, operator.WithArgon2Params(operator.Argon2Params{Time: 1, Memory: 1024, Threads: 1}))
}

// testOperator is an operator of the review console, with its password (and TOTP secret).
type testOperator struct {
	*kyc.Operator
	password string
}

const operatorPassword = "correct horse battery staple"

func (env *testEnv) operator(t *testing.T, email string, withTOTP bool) testOperator {
	t.Helper()
	o, _, err := env.app.Operators.Create(t.Context(), email, operatorPassword, withTOTP)
	if err != nil {
		t.Fatal(err)
	}
	return testOperator{Operator: o, password: operatorPassword}
}

// consoleClient is a client of the review console: it keeps cookies, and does not follow redirects (tests look at them).
type consoleClient struct {
	t      *testing.T
	base   string
	client *http.Client
}

func (env *testEnv) console(t *testing.T) *consoleClient {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &consoleClient{t: t, base: env.srv.URL, client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// consolePage is a console response.
type consolePage struct {
	status int
	header http.Header
	body   string
}

func (b *consoleClient) do(method, path string, form url.Values) consolePage {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(b.t.Context(), method, b.base+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return consolePage{status: resp.StatusCode, header: resp.Header, body: string(raw)}
}

func (b *consoleClient) get(path string) consolePage { b.t.Helper(); return b.do("GET", path, nil) }

func (b *consoleClient) post(path string, form url.Values) consolePage {
	b.t.Helper()
	return b.do("POST", path, form)
}

var csrfInput = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf is the CSRF token of the consolePage's forms.
func (p consolePage) csrf(t *testing.T) string {
	t.Helper()
	m := csrfInput.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no CSRF token on the consolePage: %d %s", p.status, p.body)
	}
	return m[1]
}

// logIn signs in at the console (code: the TOTP code, if any) and returns the sign-in's answer.
func (b *consoleClient) logIn(email, password, code string) consolePage {
	b.t.Helper()
	form := b.get("/console/login")
	return b.post("/console/login", url.Values{"csrf": {form.csrf(b.t)}, "email": {email}, "password": {password}, "code": {code}})
}

// mustLogIn signs in and fails the test unless it succeeds.
func (b *consoleClient) mustLogIn(o testOperator, code string) {
	b.t.Helper()
	if p := b.logIn(o.Email, o.password, code); p.status != http.StatusSeeOther || p.header.Get("Location") != "/console/" {
		b.t.Fatalf("sign in: %d %s", p.status, p.body)
	}
}

// reviewUser creates a user whom the sandbox sends to REVIEW, and returns its id.
func (env *testEnv) reviewUser(t *testing.T, a *testTenant) string {
	t.Helper()
	u := env.createAndSettle(t, a, "review-"+fmt.Sprint(time.Now().UnixNano()), withSSN("222-22-2222"))
	if u.Status != "REVIEW" {
		t.Fatalf("user is %s, want REVIEW", u.Status)
	}
	return u.ID
}

// audit returns the audit trail, newest first.
func (env *testEnv) audit(t *testing.T) []*kyc.AuditEntry {
	t.Helper()
	entries, _, err := env.options.Store.ListAudit(t.Context(), "", 100)
	if err != nil {
		t.Fatal(err)
	}
	return entries
}

// TestConsoleSignIn: a right password signs in (303 to the queue, a session cookie HttpOnly and
// SameSite=Strict), a wrong one does not (401), both audited; the sign-in form needs its CSRF
// token; signing out ends the session.
func TestConsoleSignIn(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, env *testEnv) {
		o := env.operator(t, "ada@compliance.example", false)
		b := env.console(t)
		if p := b.get("/console/"); p.status != http.StatusSeeOther || p.header.Get("Location") != "/console/login" {
			t.Fatalf("queue without a session: %d %s", p.status, p.header.Get("Location"))
		}
		if p := b.logIn(o.Email, "wrong password!", ""); p.status != http.StatusUnauthorized || !strings.Contains(p.body, "not right") {
			t.Errorf("wrong password: %d", p.status)
		}
		form := b.get("/console/login")
		for name, token := range map[string][]string{"missing": nil, "wrong": {"x" + form.csrf(t)}} {
			p := b.post("/console/login", url.Values{"csrf": token, "email": {o.Email}, "password": {o.password}})
			if p.status != http.StatusForbidden {
				t.Errorf("sign in with a %s CSRF token: %d", name, p.status)
			}
		}
		p := b.logIn(o.Email, o.password, "")
		if p.status != http.StatusSeeOther {
			t.Fatalf("sign in: %d %s", p.status, p.body)
		}
		cookie := sessionCookie(t, p.header)
		if !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode || cookie.Secure || cookie.Path != "/" {
			t.Errorf("sandbox session cookie: %+v", cookie)
		}
		queue := b.get("/console/")
		if queue.status != http.StatusOK || !strings.Contains(queue.body, "Review queue") {
			t.Fatalf("queue: %d %s", queue.status, queue.body)
		}
		if csp := queue.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("CSP %q", csp)
		}
		if p := b.post("/console/logout", url.Values{"csrf": {queue.csrf(t)}}); p.status != http.StatusSeeOther {
			t.Errorf("sign out: %d", p.status)
		}
		if p := b.get("/console/"); p.status != http.StatusSeeOther {
			t.Errorf("queue after signing out: %d", p.status)
		}
		var actions []string
		for _, e := range env.audit(t) {
			actions = append(actions, string(e.Action)+":"+e.OperatorID)
			if e.RequestID == "" {
				t.Errorf("audit entry without a request id: %+v", e)
			}
		}
		want := []string{"logout:" + o.ID, "login:" + o.ID, "login_failed:" + o.ID}
		if strings.Join(actions, ",") != strings.Join(want, ",") {
			t.Errorf("audit trail %v, want %v", actions, want)
		}
	}, cheapOperators)
}

// sessionCookie is the console's session cookie among the Set-Cookie headers.
func sessionCookie(t *testing.T, h http.Header) *http.Cookie {
	t.Helper()
	for _, c := range (&http.Response{Header: h}).Cookies() {
		if strings.HasSuffix(c.Name, "kira_console") {
			return c
		}
	}
	t.Fatalf("no session cookie in %v", h.Values("Set-Cookie"))
	return nil
}

// TestConsoleCookieOutsideSandbox: outside sandbox mode the session cookie is Secure, with the
// __Host- prefix.
func TestConsoleCookieOutsideSandbox(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, env *testEnv) {
		o := env.operator(t, "ada@compliance.example", false)
		b := env.console(t)
		form := b.get("/console/login")
		// The consoleClient keeps no Secure cookie over http: hand the pre-session cookie on by hand.
		var nonce string
		for _, c := range (&http.Response{Header: form.header}).Cookies() {
			if c.Name == "__Host-kira_console_login" && c.Secure && c.HttpOnly && c.SameSite == http.SameSiteStrictMode {
				nonce = c.Value
			}
		}
		if nonce == "" {
			t.Fatalf("sign-in cookie: %v", form.header.Values("Set-Cookie"))
		}
		req, _ := http.NewRequestWithContext(t.Context(), "POST", env.srv.URL+"/console/login",
			strings.NewReader(url.Values{"csrf": {form.csrf(t)}, "email": {o.Email}, "password": {o.password}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(&http.Cookie{Name: "__Host-kira_console_login", Value: nonce})
		resp, err := b.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		c := sessionCookie(t, resp.Header)
		if resp.StatusCode != http.StatusSeeOther || c.Name != "__Host-kira_console" || !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode {
			t.Errorf("production session cookie: %d %+v", resp.StatusCode, c)
		}
	}, cheapOperators, func(o *app.Options) { o.Sandbox = false })
}

// TestConsoleTOTP: an operator with TOTP needs the current code, which works once.
func TestConsoleTOTP(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, env *testEnv) {
		o, uri, err := env.app.Operators.Create(t.Context(), "grace@compliance.example", operatorPassword, true)
		if err != nil {
			t.Fatal(err)
		}
		u, err := url.Parse(uri)
		if err != nil || u.Scheme != "otpauth" || u.Query().Get("secret") != o.TOTPSecret {
			t.Fatalf("otpauth URI %q", uri)
		}
		op := testOperator{Operator: o, password: operatorPassword}
		code, err := totp.GenerateCode(o.TOTPSecret, env.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		b := env.console(t)
		if p := b.logIn(o.Email, op.password, ""); p.status != http.StatusUnauthorized {
			t.Errorf("without the code: %d", p.status)
		}
		wrong := "000000"
		if code == wrong {
			wrong = "111111"
		}
		if p := b.logIn(o.Email, op.password, wrong); p.status != http.StatusUnauthorized {
			t.Errorf("with a wrong code: %d", p.status)
		}
		b.mustLogIn(op, code)
		if p := env.console(t).logIn(o.Email, op.password, code); p.status != http.StatusUnauthorized {
			t.Errorf("the same code again: %d", p.status)
		}
		env.clock.Advance(30 * time.Second)
		next, _ := totp.GenerateCode(o.TOTPSecret, env.clock.Now())
		env.console(t).mustLogIn(op, next)
	}, cheapOperators)
}

// TestConsoleSignInThrottle: after 10 failures for an email from an address, the next sign-in is
// refused (429 with Retry-After) even with the right password, and so is another email's from the
// same address; a failure comes back each minute.
func TestConsoleSignInThrottle(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, env *testEnv) {
		o := env.operator(t, "ada@compliance.example", false)
		other := env.operator(t, "grace@compliance.example", false)
		b := env.console(t)
		for i := range 10 {
			if p := b.logIn(o.Email, "wrong password!", ""); p.status != http.StatusUnauthorized {
				t.Fatalf("failure %d: %d", i+1, p.status)
			}
		}
		p := b.logIn(o.Email, o.password, "")
		if p.status != http.StatusTooManyRequests || p.header.Get("Retry-After") == "" {
			t.Errorf("after 10 failures: %d, Retry-After %q", p.status, p.header.Get("Retry-After"))
		}
		if p := env.console(t).logIn(other.Email, other.password, ""); p.status != http.StatusTooManyRequests {
			t.Errorf("another email from the same address: %d, want 429", p.status)
		}
		env.clock.Advance(time.Minute)
		b.mustLogIn(o, "")
	}, cheapOperators)
}
