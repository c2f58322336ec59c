package httpapi_test

import (
	"html"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/kiraapi/kira/server/app"
	"github.com/kiraapi/kira/server/jobs"
	"github.com/kiraapi/kira/server/persona"
	"github.com/kiraapi/kira/server/persona/personatest"
	verifyjob "github.com/kiraapi/kira/server/verify"
)

// personaEnv is the API with Persona deciding verifications, against a fake of Persona.
type personaEnv struct {
	*testEnv
	fake    *personatest.Fake
	snoozed <-chan *river.Event
	hook    string
}

const (
	personaKey       = "sk_test_persona_key"
	personaSecret    = "wbhsec_current"
	personaOldSecret = "wbhsec_previous"
)

// forEachPersonaBackend runs fn on every backend with KIRA_PROVIDER=persona against a fake Persona
// of its own, polling pending inquiries on poll's schedule.
func forEachPersonaBackend(t *testing.T, poll verifyjob.Poll, fn func(t *testing.T, env *personaEnv)) {
	t.Helper()
	var fakes sync.Map // base URL -> fake, for the backends' parallel runs
	forEachBackend(t, func(t *testing.T, env *testEnv) {
		fake, _ := fakes.Load(env.options.Persona.Client.BaseURL)
		snoozed, cancel := env.app.Subscribe(river.EventKindJobSnoozed)
		t.Cleanup(cancel)
		fn(t, &personaEnv{testEnv: env, fake: fake.(*personatest.Fake), snoozed: snoozed, hook: env.srv.URL + "/vendor/persona/webhooks"})
	}, func(o *app.Options) {
		fake := personatest.New(t, personaKey)
		fakes.Store(fake.URL, fake)
		o.Persona = &app.Persona{Client: &persona.Client{BaseURL: fake.URL, APIKey: personaKey}, TemplateKYC: "itmpl_kyc", TemplateKYB: "itmpl_kyb",
			WebhookSecrets: []string{personaSecret, personaOldSecret}}
		o.Poll = poll
	})
}

// noPoll leaves decisions to webhooks for the length of a test.
var noPoll = verifyjob.Poll{First: time.Hour, Max: time.Hour, For: 72 * time.Hour}

// createPending creates a complete user and waits until its inquiry is created and recorded,
// returning the user's id and the inquiry.
func (env *personaEnv) createPending(t *testing.T, a *testTenant, email string) (string, personatest.Inquiry) {
	t.Helper()
	body := strings.Replace(seedUser, "john.doe@example.com", email, 1)
	resp, raw := env.srv.Do(t, "POST", "/v1/users", a.headers("Idempotency-Key", email), body)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s", resp.StatusCode, raw)
	}
	id := decode[user](t, raw).ID
	return id, env.awaitInquiry(t, a, id)
}

// awaitInquiry waits until the user's first attempt has its inquiry, created and recorded (the job
// is then snoozed, pending).
func (env *personaEnv) awaitInquiry(t *testing.T, a *testTenant, userID string) personatest.Inquiry {
	t.Helper()
	timeout := time.After(20 * time.Second)
	var inq personatest.Inquiry
	select {
	case inq = <-env.fake.Created():
	case <-timeout:
		t.Fatal("no inquiry was created")
	}
	for {
		select {
		case e := <-env.snoozed: // also a snooze that waits out a 429, before the inquiry
			if _, err := env.app.Users.VendorCheckFor(t.Context(), persona.Name, a.id, userID, 1); e.Job.Kind == jobs.KindVerifyUser && err == nil {
				if inq.ReferenceID != userID {
					t.Fatalf("inquiry %+v is not about user %s", inq, userID)
				}
				return inq
			}
		case <-timeout:
			t.Fatal("the verification job did not wait for Persona")
		}
	}
}

// deliver sends Persona's webhook for event name about inq, signed now with secret.
func (env *personaEnv) deliver(t *testing.T, eventID, name string, inq personatest.Inquiry, secret string) int {
	t.Helper()
	return personatest.Deliver(t, env.hook, personatest.Event(eventID, name, inq, env.clock.Now()), env.clock.Now(), secret)
}

// expectEvents checks how many of the user's events are of each type.
func (env *personaEnv) expectEvents(t *testing.T, a *testTenant, userID string, want map[string]int) {
	t.Helper()
	types, _ := env.events(t, a, userID)
	for typ, n := range want {
		count := 0
		for _, ty := range types {
			if ty == typ {
				count++
			}
		}
		if count != n {
			t.Errorf("events %v: %d %s, want %d", types, count, typ, n)
		}
	}
}

// TestPersonaDecides: each decision Persona sends by webhook becomes the user's status, with its
// events and reasons.
func TestPersonaDecides(t *testing.T) {
	t.Parallel()
	forEachPersonaBackend(t, noPoll, func(t *testing.T, env *personaEnv) {
		a := env.tenant(t, "acme")
		tests := []struct {
			event, status, lastEvent string
			reasons                  bool
		}{
			{"inquiry.approved", "VERIFIED", "user.verification.accepted", false},
			{"inquiry.completed", "VERIFIED", "user.verification.accepted", false},
			{"inquiry.declined", "REJECTED", "user.verification.failed", true},
			{"inquiry.failed", "REJECTED", "user.verification.failed", true},
			{"inquiry.marked-for-review", "REVIEW", "user.status_changed", false},
			{"inquiry.expired", "CREATED", "user.status_changed", true},
		}
		for i, tt := range tests {
			id, inq := env.createPending(t, a, strings.ReplaceAll(tt.event, ".", "-")+"@example.com")
			if u := env.getUser(t, a, id); u.Status != "VERIFYING" {
				t.Fatalf("%s: before the webhook the user is %s", tt.event, u.Status)
			}
			if code := env.deliver(t, "evt_decides_"+string(rune('a'+i)), tt.event, inq, personaSecret); code != http.StatusOK {
				t.Fatalf("%s: webhook answered %d", tt.event, code)
			}
			u := env.getUser(t, a, id)
			if u.Status != tt.status || (len(u.Reasons) > 0) != tt.reasons {
				t.Errorf("%s: user %s with reasons %+v", tt.event, u.Status, u.Reasons)
			}
			types, data := env.events(t, a, id)
			if types[len(types)-1] != tt.lastEvent {
				t.Errorf("%s: events %v", tt.event, types)
			}
			if tt.status == "VERIFIED" && !strings.Contains(strings.Join(toStrings(data[len(data)-1]["verified_fields"]), ","), "birth_date") {
				t.Errorf("%s: accepted event %v", tt.event, data[len(data)-1])
			}
		}
		// A user in REVIEW is decided by Persona's reviewers: the inquiry's approval resolves it.
		id, inq := env.createPending(t, a, "reviewed@example.com")
		env.deliver(t, "evt_review_1", "inquiry.marked-for-review", inq, personaSecret)
		if code := env.deliver(t, "evt_review_2", "inquiry.approved", inq, personaSecret); code != http.StatusOK {
			t.Fatalf("approval after review: %d", code)
		}
		if u := env.getUser(t, a, id); u.Status != "VERIFIED" {
			t.Errorf("reviewed and approved: %s", u.Status)
		}
		if strings.Contains(env.logs.String(), "John") || strings.Contains(env.logs.String(), "1990-01-15") {
			t.Error("the log shows personal data")
		}
	})
}

func toStrings(v any) []string {
	var out []string
	list, _ := v.([]any)
	for _, x := range list {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

// TestPersonaWebhookOnce: a redelivered event is applied once (one customer event), and a later
// event about the decided attempt changes nothing.
func TestPersonaWebhookOnce(t *testing.T) {
	t.Parallel()
	forEachPersonaBackend(t, noPoll, func(t *testing.T, env *personaEnv) {
		a := env.tenant(t, "acme")
		id, inq := env.createPending(t, a, "twice@example.com")
		for range 3 {
			if code := env.deliver(t, "evt_same", "inquiry.approved", inq, personaSecret); code != http.StatusOK {
				t.Fatalf("webhook answered %d", code)
			}
		}
		if code := env.deliver(t, "evt_later", "inquiry.declined", inq, personaSecret); code != http.StatusOK {
			t.Fatalf("later webhook answered %d", code)
		}
		if u := env.getUser(t, a, id); u.Status != "VERIFIED" {
			t.Errorf("user is %s", u.Status)
		}
		env.expectEvents(t, a, id, map[string]int{"user.verification.accepted": 1, "user.verification.failed": 0})
	})
}

// TestPersonaWebhookRefused: a webhook without a valid, fresh signature is refused and changes
// nothing; either secret of a rotation is accepted; an unknown inquiry is a 404 Persona retries.
func TestPersonaWebhookRefused(t *testing.T) {
	t.Parallel()
	forEachPersonaBackend(t, noPoll, func(t *testing.T, env *personaEnv) {
		a := env.tenant(t, "acme")
		id, inq := env.createPending(t, a, "refused@example.com")
		inq.Status = "approved"
		body := personatest.Event("evt_forged", "inquiry.approved", inq, env.clock.Now())
		now := env.clock.Now()
		for name, sig := range map[string]string{
			"wrong secret":      persona.Sign("wbhsec_attacker", now, body),
			"stale":             persona.Sign(personaSecret, now.Add(-6*time.Minute), body),
			"from the future":   persona.Sign(personaSecret, now.Add(6*time.Minute), body),
			"no signature":      "",
			"another body":      persona.Sign(personaSecret, now, []byte(`{}`)),
			"malformed":         "t=abc,v1=xyz",
			"signature as body": "v1=" + strings.Repeat("0", 64),
		} {
			if code := personatest.DeliverSigned(t, env.hook, body, sig); code != http.StatusUnauthorized {
				t.Errorf("%s: %d, want 401", name, code)
			}
		}
		if u := env.getUser(t, a, id); u.Status != "VERIFYING" {
			t.Fatalf("a refused webhook changed the user: %s", u.Status)
		}
		if code := personatest.Deliver(t, env.hook, personatest.Event("evt_unknown", "inquiry.approved", personatest.Inquiry{ID: "inq_unknown", Status: "approved"}, now), now, personaSecret); code != http.StatusNotFound {
			t.Errorf("unknown inquiry: %d, want 404", code)
		}
		if code := personatest.Deliver(t, env.hook, []byte(`{"data":"nope"}`), now, personaSecret); code != http.StatusBadRequest {
			t.Errorf("malformed event: %d, want 400", code)
		}
		if code := personatest.Deliver(t, env.hook, personatest.Event("evt_started", "inquiry.started", inq, now), now, personaSecret); code != http.StatusOK {
			t.Errorf("inquiry.started: %d, want 200", code)
		}
		// Signed with the previous secret (ours rotating) and 4 minutes ago: accepted.
		if code := personatest.Deliver(t, env.hook, body, now.Add(-4*time.Minute), personaOldSecret); code != http.StatusOK {
			t.Fatalf("old secret: %d", code)
		}
		if u := env.getUser(t, a, id); u.Status != "VERIFIED" {
			t.Errorf("user is %s", u.Status)
		}
	})
}

// TestPersonaLateWebhook: with no webhook, the job polls the inquiry and decides by its status; the
// webhook that comes later changes nothing.
func TestPersonaLateWebhook(t *testing.T) {
	t.Parallel()
	forEachPersonaBackend(t, verifyjob.Poll{First: 10 * time.Millisecond, Max: 20 * time.Millisecond, For: 72 * time.Hour}, func(t *testing.T, env *personaEnv) {
		a := env.tenant(t, "acme")
		id, inq := env.createPending(t, a, "late@example.com")
		env.fake.SetStatus(inq.ID, "declined")
		env.awaitJobs(t, 1)
		u := env.getUser(t, a, id)
		if u.Status != "REJECTED" || len(u.Reasons) != 1 {
			t.Fatalf("after polling: %s %+v", u.Status, u.Reasons)
		}
		inq.Status = "declined"
		if code := env.deliver(t, "evt_late", "inquiry.declined", inq, personaSecret); code != http.StatusOK {
			t.Fatalf("late webhook: %d", code)
		}
		env.expectEvents(t, a, id, map[string]int{"user.verification.failed": 1, "user.verification.accepted": 0})
	})
}

// TestPersonaUnavailable: a 429 is waited out (Retry-After) and a 5xx retried with backoff; the
// user stays VERIFYING meanwhile, and one inquiry is created in the end.
func TestPersonaUnavailable(t *testing.T) {
	t.Parallel()
	forEachPersonaBackend(t, noPoll, func(t *testing.T, env *personaEnv) {
		a := env.tenant(t, "acme")
		env.fake.FailNext(http.StatusTooManyRequests, http.StatusBadGateway)
		id, inq := env.createPending(t, a, "throttled@example.com")
		if n := env.fake.Requests(); n != 3 {
			t.Errorf("%d requests to Persona, want 3 (429, 502, then the create)", n)
		}
		if len(env.fake.Inquiries()) != 1 {
			t.Errorf("%d inquiries", len(env.fake.Inquiries()))
		}
		if u := env.getUser(t, a, id); u.Status != "VERIFYING" || u.VerificationAttempts != 1 {
			t.Errorf("user %s, attempts %d", u.Status, u.VerificationAttempts)
		}
		if code := env.deliver(t, "evt_after_outage", "inquiry.approved", inq, personaSecret); code != http.StatusOK {
			t.Fatalf("webhook: %d", code)
		}
		if u := env.getUser(t, a, id); u.Status != "VERIFIED" {
			t.Errorf("user is %s", u.Status)
		}
	})
}

// TestPersonaHostedFlow: a hosted verification session's form, once submitted, sends the browser
// to a page of ours that waits for the attempt's inquiry, then sends it on to Persona's hosted flow
// (with a session token once the inquiry is started), and to redirect_uri once decided.
func TestPersonaHostedFlow(t *testing.T) {
	t.Parallel()
	forEachPersonaBackend(t, noPoll, func(t *testing.T, env *personaEnv) {
		a := env.tenant(t, "acme")
		_, raw := env.srv.Do(t, "POST", "/v1/users", a.headers("Idempotency-Key", "minimal"), minimalUser)
		uid := decode[user](t, raw).ID
		action := formTarget(t, env.sessionLink(t, a, uid, "session"))
		browser := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		env.fake.FailNext(http.StatusTooManyRequests) // the inquiry comes a few seconds later
		resp, err := browser.PostForm(action, completeForm())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		flow := resp.Header.Get("Location")
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(flow, "/vendor/persona/flow/") {
			t.Fatalf("after the form: %d to %q", resp.StatusCode, flow)
		}
		get := func(path string) (int, string) {
			t.Helper()
			resp, err := browser.Get(env.srv.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, html.UnescapeString(string(body))
		}
		if code, page := get(flow); code != http.StatusOK || !strings.Contains(page, "Preparing your verification") || !strings.Contains(page, `content="2;url=`+flow+`"`) {
			t.Errorf("before the inquiry: %d %s", code, page)
		}
		inq := env.awaitInquiry(t, a, uid)
		done := "redirect-uri=" + url.QueryEscape("https://yourapp.example/done?user_id="+uid)
		if code, page := get(flow); code != http.StatusOK || !strings.Contains(page, persona.DefaultHostedURL+"?inquiry-id="+inq.ID) ||
			!strings.Contains(page, done) || strings.Contains(page, "session-token") {
			t.Errorf("a created inquiry: %d %s", code, page)
		}
		env.fake.SetStatus(inq.ID, "pending")
		if code, page := get(flow); code != http.StatusOK || !strings.Contains(page, "session-token="+personatest.SessionToken(inq.ID)) {
			t.Errorf("a started inquiry: %d %s", code, page)
		}
		if code, _ := get(strings.Replace(flow, "token=", "token=x", 1)); code != http.StatusNotFound {
			t.Errorf("a forged token: %d", code)
		}
		inq.Status = "approved"
		env.deliver(t, "evt_flow", "inquiry.approved", inq, personaSecret)
		if code, page := get(flow); code != http.StatusOK || !strings.Contains(page, "https://yourapp.example/done?user_id="+uid) || !strings.Contains(page, "status=VERIFIED") {
			t.Errorf("once decided: %d %s", code, page)
		}
	})
}
