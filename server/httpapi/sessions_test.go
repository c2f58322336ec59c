package httpapi_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

type session struct {
	ID           string `json:"id"`
	UserID       string `json:"user_id"`
	Type         string `json:"type"`
	Status       string `json:"status"`
	ProviderLink string `json:"provider_link"`
	RedirectURI  string `json:"redirect_uri"`
	ExpiresAt    string `json:"expires_at"`
	CreatedAt    string `json:"created_at"`
	CompletedAt  string `json:"completed_at"`
}

// browser is a plain client for the hosted page: it does not follow the redirect to the
// integrator's site, so the test can check where it points.
var browser = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func page(t *testing.T, method, link string, form url.Values) (*http.Response, string) {
	t.Helper()
	var resp *http.Response
	var err error
	switch method {
	case http.MethodGet:
		resp, err = browser.Get(link)
	case http.MethodHead:
		resp, err = browser.Head(link)
	default:
		resp, err = browser.PostForm(link, form)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(body)
}

// formTarget returns where a page's form posts: its link, whose token the form's action carries.
func formTarget(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil || u.Query().Get("token") == "" {
		t.Fatalf("link %q: no token (%v)", link, err)
	}
	return link
}

func TestHostedVerification(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, env *testEnv) {
		a := env.tenant(t, "acme")
		_, raw := env.srv.Do(t, "POST", "/v1/users", a.headers("Idempotency-Key", "u"), minimalUser)
		uid := decode[user](t, raw).ID
		req := map[string]string{"type": "embedded-link", "redirect_uri": "https://yourapp.example/done?ref=42"}
		resp, raw := env.srv.Do(t, "POST", "/v1/users/"+uid+"/verifications", a.headers("Idempotency-Key", "v"), req)
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("create session: %d %s", resp.StatusCode, raw)
		}
		se := decode[session](t, raw)
		if se.Status != "pending" || se.UserID != uid || se.Type != "embedded-link" || !strings.HasPrefix(se.ProviderLink, env.srv.URL+"/verify/"+se.ID+"?token=") {
			t.Fatalf("session: %s", raw)
		}
		if exp, _ := time.Parse(time.RFC3339, se.ExpiresAt); !exp.Equal(env.clock.Now().Add(24 * time.Hour)) {
			t.Errorf("expires_at = %s", se.ExpiresAt)
		}
		if again, raw2 := env.srv.Do(t, "POST", "/v1/users/"+uid+"/verifications", a.headers("Idempotency-Key", "v"), req); again.Header.Get("Idempotent-Replayed") != "true" || string(raw2) != string(raw) {
			t.Errorf("replay: %d %s", again.StatusCode, raw2)
		}

		resp, html := page(t, "GET", se.ProviderLink, nil)
		if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Type"), "text/html") {
			t.Fatalf("page: %d", resp.StatusCode)
		}
		for _, name := range []string{"birth_date", "document_type", "document_number", "document_country", "address_street", "address_zip_code", "address_country", "ssn"} {
			if !strings.Contains(html, `name="`+name+`"`) || !strings.Contains(html, `<label for="f-`+name+`"`) {
				t.Errorf("the page does not ask for %s", name)
			}
		}
		if strings.Contains(html, `name="first_name"`) {
			t.Error("the page asks for a field the user already has")
		}

		action := formTarget(t, se.ProviderLink)
		form := url.Values{
			"birth_date": {"1990-13-45"}, "document_type": {"passport"}, "document_number": {"AB1234567"},
			"document_country": {"USA"}, "address_street": {"123 Main St"}, "address_city": {"San Francisco"},
			"address_state": {"CA"}, "address_zip_code": {"94105"}, "address_country": {"USA"},
		}
		resp, html = page(t, "POST", action, form)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(html, `id="f-birth_date-error"`) || !strings.Contains(html, `id="f-ssn-error"`) || !strings.Contains(html, `aria-invalid="true"`) {
			t.Fatalf("invalid post: %d %s", resp.StatusCode, html)
		}
		if strings.Contains(html, "1990-13-45") || strings.Contains(html, "AB1234567") {
			t.Error("the page shows a submitted secret again")
		}
		if !strings.Contains(html, `value="123 Main St"`) {
			t.Error("the page lost what the user typed")
		}

		form.Set("birth_date", "1990-01-15")
		form.Set("ssn", "123-45-6789")
		resp, html = page(t, "POST", action, form)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("valid post: %d %s", resp.StatusCode, html)
		}
		loc, err := url.Parse(resp.Header.Get("Location"))
		if err != nil || loc.Host != "yourapp.example" || loc.Query().Get("ref") != "42" || loc.Query().Get("user_id") != uid ||
			loc.Query().Get("session_id") != se.ID || loc.Query().Get("status") != "VERIFYING" {
			t.Errorf("redirect to %q", resp.Header.Get("Location"))
		}
		env.awaitJobs(t, 1)
		if got := env.getUser(t, a, uid); got.Status != "VERIFIED" || got.SSNLast4 != "6789" {
			t.Errorf("after the page: %+v", got)
		}

		resp, html = page(t, "GET", se.ProviderLink, nil)
		if resp.StatusCode != http.StatusGone || !strings.Contains(html, "already been used") {
			t.Errorf("reused link: %d", resp.StatusCode)
		}
		resp, _ = page(t, "GET", strings.Replace(se.ProviderLink, "token=", "token=x", 1), nil)
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("wrong token: %d", resp.StatusCode)
		}
		_, raw = env.srv.Do(t, "GET", "/v1/users/"+uid+"/verifications", a.headers(), nil)
		list := decode[struct{ Data []session }](t, raw)
		if len(list.Data) != 1 || list.Data[0].Status != "completed" || list.Data[0].CompletedAt == "" {
			t.Errorf("list: %s", raw)
		}
		resp, raw = env.srv.Do(t, "POST", "/v1/users/"+uid+"/verifications", a.headers("Idempotency-Key", "v2"), req)
		if resp.StatusCode != http.StatusConflict {
			t.Errorf("session for a VERIFIED user: %d %s", resp.StatusCode, raw)
		}
	})
}

func TestHostedVerificationLinkRules(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, env *testEnv) {
		a := env.tenant(t, "acme")
		b := env.tenant(t, "globex")
		_, raw := env.srv.Do(t, "POST", "/v1/users", a.headers("Idempotency-Key", "u"), minimalUser)
		uid := decode[user](t, raw).ID
		req := map[string]string{"type": "embedded-link", "redirect_uri": "https://yourapp.example/done"}
		if resp, _ := env.srv.Do(t, "POST", "/v1/users/"+uid+"/verifications", b.headers("Idempotency-Key", "v"), req); resp.StatusCode != 404 {
			t.Errorf("another tenant's user: %d", resp.StatusCode)
		}
		if resp, _ := env.srv.Do(t, "GET", "/v1/users/"+uid+"/verifications", b.headers(), nil); resp.StatusCode != 404 {
			t.Errorf("another tenant's list: %d", resp.StatusCode)
		}
		_, raw = env.srv.Do(t, "POST", "/v1/users/"+uid+"/verifications", a.headers("Idempotency-Key", "v1"), req)
		first := decode[session](t, raw)
		env.clock.Advance(time.Minute)
		_, raw = env.srv.Do(t, "POST", "/v1/users/"+uid+"/verifications", a.headers("Idempotency-Key", "v2"), req)
		second := decode[session](t, raw)
		if resp, html := page(t, "GET", first.ProviderLink, nil); resp.StatusCode != http.StatusGone || !strings.Contains(html, "expired") {
			t.Errorf("a superseded link: %d", resp.StatusCode)
		}
		_, raw = env.srv.Do(t, "GET", "/v1/users/"+uid+"/verifications", a.headers(), nil)
		list := decode[struct{ Data []session }](t, raw)
		if len(list.Data) != 2 || list.Data[0].ID != second.ID || list.Data[0].Status != "pending" || list.Data[1].Status != "expired" {
			t.Errorf("list: %s", raw)
		}
		env.clock.Advance(24 * time.Hour)
		if resp, html := page(t, "GET", second.ProviderLink, nil); resp.StatusCode != http.StatusGone || !strings.Contains(html, "expired") {
			t.Errorf("an expired link: %d", resp.StatusCode)
		}
	})
}

func TestHostedVerificationAfterRejection(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, env *testEnv) {
		a := env.tenant(t, "acme")
		u := env.createAndSettle(t, a, "bad", withSSN("111-11-1111"))
		_, raw := env.srv.Do(t, "POST", "/v1/users/"+u.ID+"/verifications", a.headers("Idempotency-Key", "v"),
			map[string]string{"type": "embedded-link", "redirect_uri": "https://yourapp.example/done"})
		se := decode[session](t, raw)
		resp, html := page(t, "GET", se.ProviderLink, nil)
		if resp.StatusCode != 200 || !strings.Contains(html, "could not verify") || !strings.Contains(html, "On file") || strings.Contains(html, "111-11-1111") {
			t.Fatalf("re-issued page: %d", resp.StatusCode)
		}
		action := formTarget(t, se.ProviderLink)
		resp, html = page(t, "POST", action, url.Values{"ssn": {"123-45-6789"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("correction: %d %s", resp.StatusCode, html)
		}
		env.awaitJobs(t, 1)
		if got := env.getUser(t, a, u.ID); got.Status != "VERIFIED" || got.VerificationAttempts != 2 {
			t.Errorf("after correction: %+v", got)
		}
	})
}

// TestHostedPageRedirectKeepsTheURI: the browser goes to the redirect_uri exactly as given, with
// user_id, session_id and status appended.
func TestHostedPageRedirectKeepsTheURI(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, env *testEnv) {
		a := env.tenant(t, "acme")
		tests := []struct{ uri, wantPrefix, wantSuffix string }{
			{"https://app.example/done?ref=a;b", "https://app.example/done?ref=a;b&", ""},
			{"https://app.example/done?promo=50%off", "https://app.example/done?promo=50%off&", ""},
			{"https://app.example/done?b=2&a=1&b=0", "https://app.example/done?b=2&a=1&b=0&", ""},
			{"https://app.example/done", "https://app.example/done?", ""},
			{"https://app.example/done?", "https://app.example/done?", ""},
			{"https://app.example/done?x=1&", "https://app.example/done?x=1&", ""},
			{"https://app.example/done?x=%2F+y#step-2?a=b", "https://app.example/done?x=%2F+y&", "#step-2?a=b"},
			{"http://localhost:3000/cb#", "http://localhost:3000/cb?", "#"},
		}
		for i, tt := range tests {
			_, raw := env.srv.Do(t, "POST", "/v1/users", a.headers("Idempotency-Key", fmt.Sprintf("u%d", i)), minimalUser)
			uid := decode[user](t, raw).ID
			resp, raw := env.srv.Do(t, "POST", "/v1/users/"+uid+"/verifications", a.headers("Idempotency-Key", fmt.Sprintf("v%d", i)),
				map[string]string{"type": "embedded-link", "redirect_uri": tt.uri})
			if resp.StatusCode != http.StatusCreated {
				t.Fatalf("%s: session: %d %s", tt.uri, resp.StatusCode, raw)
			}
			se := decode[session](t, raw)
			if se.RedirectURI != tt.uri {
				t.Errorf("redirect_uri stored as %q, want %q", se.RedirectURI, tt.uri)
			}
			action := formTarget(t, se.ProviderLink)
			resp, html := page(t, "POST", action, url.Values{
				"birth_date": {"1990-01-15"}, "document_type": {"passport"}, "document_number": {"AB1234567"},
				"document_country": {"USA"}, "address_street": {"123 Main St"}, "address_city": {"San Francisco"},
				"address_state": {"CA"}, "address_zip_code": {"94105"}, "address_country": {"USA"}, "ssn": {"123-45-6789"},
			})
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("%s: post: %d %s", tt.uri, resp.StatusCode, html)
			}
			want := tt.wantPrefix + "user_id=" + uid + "&session_id=" + se.ID + "&status=VERIFYING" + tt.wantSuffix
			if got := resp.Header.Get("Location"); got != want {
				t.Errorf("redirect to\n %s\nwant\n %s", got, want)
			}
		}
		env.awaitJobs(t, len(tests))
	})
}
