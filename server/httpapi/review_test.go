package httpapi_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kiraapi/kira/server/kyc"
	"github.com/kiraapi/kira/server/operator"
)

// subscribe registers a webhook receiver of the tenant for the decision events.
func (env *testEnv) subscribe(t *testing.T, a *testTenant) *receiver {
	t.Helper()
	r := newReceiver(t)
	resp, raw := env.srv.Do(t, "POST", "/v1/webhooks", a.headers(), map[string]any{
		"url": r.url, "events": []string{"user.verification.failed", "user.verification.accepted"},
	})
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("register webhook: %d %s", resp.StatusCode, raw)
	}
	return r
}

// operatorToken is the API token, scoped review:decide, of a new operator.
func (env *testEnv) operatorToken(t *testing.T) string {
	t.Helper()
	o := env.operator(t, "token-holder@compliance.example", false)
	token, err := env.app.Operators.CreateToken(t.Context(), o.Email, []string{kyc.ScopeReviewDecide})
	if err != nil {
		t.Fatal(err)
	}
	return token
}

// decisionEvent waits for the receiver's next delivery and decodes it.
func decisionEvent(t *testing.T, r *receiver) (event string, data map[string]any) {
	t.Helper()
	var body struct {
		Event string         `json:"event"`
		Data  map[string]any `json:"data"`
	}
	if err := json.Unmarshal(r.next(t).body, &body); err != nil {
		t.Fatal(err)
	}
	return body.Event, body.Data
}

// TestConsoleReview: the queue lists the users in REVIEW of every tenant and no other; a user's
// page masks its secrets (last four, birth year); revealing one shows it, is audited by name, and
// its value reaches no log; a decision needs the session's CSRF token, then rejects the user with
// both reasons (user.verification.failed to the tenant's receiver) or approves it
// (user.verification.accepted), with an audit entry each; the audit trail shows it all.
func TestConsoleReview(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, env *testEnv) {
		a, b := env.tenant(t, "acme"), env.tenant(t, "globex")
		verified := env.createAndSettle(t, a, "verified", withSSN("123-45-6789")).ID
		hooksA, hooksB := env.subscribe(t, a), env.subscribe(t, b)
		inReviewA, inReviewB := env.reviewUser(t, a), env.reviewUser(t, b)
		o := env.operator(t, "ada@compliance.example", false)
		c := env.console(t)
		c.mustLogIn(o, "")

		queue := c.get("/console/")
		for _, want := range []string{"/console/users/" + a.id + "/" + inReviewA, "/console/users/" + b.id + "/" + inReviewB} {
			if !strings.Contains(queue.body, want) {
				t.Errorf("the queue has no link %s", want)
			}
		}
		if strings.Contains(queue.body, verified) {
			t.Error("the queue lists a VERIFIED user")
		}

		userPage := "/console/users/" + a.id + "/" + inReviewA
		detail := c.get(userPage)
		for _, want := range []string{"•••• 2222", "1990-••-••", "•••• 4567", "John Doe"} {
			if !strings.Contains(detail.body, want) {
				t.Errorf("the user's page has no %q", want)
			}
		}
		for _, secret := range []string{"222-22-2222", "1990-01-15", "AB1234567"} {
			if strings.Contains(detail.body, secret) {
				t.Errorf("the user's page shows %q unmasked", secret)
			}
		}
		if p := c.get("/console/users/" + b.id + "/" + inReviewA); p.status != http.StatusNotFound {
			t.Errorf("a user under another tenant's id: %d", p.status)
		}

		revealed := c.post(userPage+"/reveal", url.Values{"csrf": {detail.csrf(t)}, "field": {"ssn"}})
		if revealed.status != http.StatusOK || !strings.Contains(revealed.body, "222-22-2222") || strings.Contains(revealed.body, "1990-01-15") {
			t.Errorf("reveal ssn: %d", revealed.status)
		}
		if p := c.post(userPage+"/reveal", url.Values{"csrf": {detail.csrf(t)}, "field": {"first_name"}}); p.status != http.StatusBadRequest {
			t.Errorf("reveal a field that is not masked: %d", p.status)
		}

		for name, token := range map[string][]string{"missing": nil, "wrong": {"x" + detail.csrf(t)}} {
			p := c.post(userPage+"/decision", url.Values{"csrf": token, "decision": {"approve"}})
			if p.status != http.StatusForbidden {
				t.Errorf("decide with a %s CSRF token: %d", name, p.status)
			}
		}
		if u := env.getUser(t, a, inReviewA); u.Status != "REVIEW" {
			t.Fatalf("a refused decision changed the user: %s", u.Status)
		}

		p := c.post(userPage+"/decision", url.Values{"csrf": {detail.csrf(t)}, "decision": {"reject"},
			"reason": {"We could not confirm your identity."}, "developer_reason": {"Document photo does not match."}})
		if p.status != http.StatusSeeOther {
			t.Fatalf("reject: %d %s", p.status, p.body)
		}
		event, data := decisionEvent(t, hooksA)
		reasons, _ := json.Marshal(data["reasons"])
		if event != "user.verification.failed" || data["user_id"] != inReviewA ||
			!strings.Contains(string(reasons), "We could not confirm your identity.") || !strings.Contains(string(reasons), "Document photo does not match.") {
			t.Errorf("receiver got %s %v", event, data)
		}
		if u := env.getUser(t, a, inReviewA); u.Status != "REJECTED" || len(u.Reasons) != 1 || u.Reasons[0].DeveloperReason != "Document photo does not match." {
			t.Errorf("after the rejection: %+v", u)
		}
		if p := c.post(userPage+"/decision", url.Values{"csrf": {detail.csrf(t)}, "decision": {"approve"}}); p.status != http.StatusConflict {
			t.Errorf("decide a user no longer in review: %d", p.status)
		}

		p = c.post("/console/users/"+b.id+"/"+inReviewB+"/decision", url.Values{"csrf": {detail.csrf(t)}, "decision": {"approve"}})
		if p.status != http.StatusSeeOther {
			t.Fatalf("approve: %d %s", p.status, p.body)
		}
		if event, data := decisionEvent(t, hooksB); event != "user.verification.accepted" || data["user_id"] != inReviewB {
			t.Errorf("receiver got %s %v", event, data)
		}

		var got []string
		for _, e := range env.audit(t) {
			got = append(got, strings.Join([]string{string(e.Action), e.OperatorID, e.TenantID, e.UserID, e.Field, e.Detail}, "|"))
		}
		want := []string{
			strings.Join([]string{"decision", o.ID, b.id, inReviewB, "", "approve"}, "|"),
			strings.Join([]string{"decision", o.ID, a.id, inReviewA, "", "reject"}, "|"),
			strings.Join([]string{"reveal", o.ID, a.id, inReviewA, "ssn", ""}, "|"),
			strings.Join([]string{"login", o.ID, "", "", "", ""}, "|"),
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("audit trail:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		trail := c.get("/console/audit")
		if trail.status != http.StatusOK || strings.Count(trail.body, `class="audit-`) != len(want) {
			t.Errorf("audit page: %d, %d rows", trail.status, strings.Count(trail.body, `class="audit-`))
		}
		for _, secret := range []string{"222-22-2222", "222222222", "1990-01-15", "AB1234567"} {
			if strings.Contains(env.logs.String(), secret) {
				t.Errorf("the logs hold %q", secret)
			}
		}
	}, cheapOperators)
}

// TestConsoleSessionExpiry: a session ends after 30 minutes unused, and after 12 hours however
// much it is used.
func TestConsoleSessionExpiry(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, env *testEnv) {
		o := env.operator(t, "ada@compliance.example", false)
		idle := env.console(t)
		idle.mustLogIn(o, "")
		env.clock.Advance(operator.DefaultIdleTimeout - time.Minute)
		if p := idle.get("/console/"); p.status != http.StatusOK {
			t.Fatalf("within the idle timeout: %d", p.status)
		}
		env.clock.Advance(operator.DefaultIdleTimeout)
		if p := idle.get("/console/"); p.status != http.StatusSeeOther {
			t.Errorf("idle past the timeout: %d", p.status)
		}
		busy := env.console(t)
		busy.mustLogIn(o, "")
		env.keepBusy(t, busy)
		if p := busy.get("/console/"); p.status != http.StatusSeeOther {
			t.Errorf("past the absolute timeout: %d", p.status)
		}
	}, cheapOperators)
}

// keepBusy keeps c's session busy (a request every 20 minutes) until the absolute timeout has
// passed, failing if the session ends before.
func (env *testEnv) keepBusy(t *testing.T, c *consoleClient) {
	t.Helper()
	start := env.clock.Now()
	for env.clock.Now().Sub(start) < operator.DefaultAbsoluteTimeout-40*time.Minute {
		env.clock.Advance(20 * time.Minute)
		if p := c.get("/console/"); p.status != http.StatusOK {
			t.Fatalf("a busy session ended after %s", env.clock.Now().Sub(start))
		}
	}
	env.clock.Advance(40 * time.Minute)
}

// TestAuditTrailIsAppendOnly: the database itself refuses to change or remove an audit entry.
func TestAuditTrailIsAppendOnly(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, env *testEnv) {
		o := env.operator(t, "ada@compliance.example", false)
		env.console(t).mustLogIn(o, "")
		for _, stmt := range []string{
			"UPDATE audit_log SET action = 'nothing'",
			"DELETE FROM audit_log",
		} {
			err := env.inspect.Exec(t.Context(), stmt)
			if err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Errorf("%s: %v", stmt, err)
			}
		}
		if n := len(env.audit(t)); n != 1 {
			t.Errorf("%d audit entries, want 1", n)
		}
	}, cheapOperators)
}

// TestReviewAPI: POST /v1/review/tenants/{tenantId}/users/{userId}/decision takes an operator
// token with the scope review:decide (401 without one, or with tenant credentials; 403 without
// the scope), addresses the user by its tenant (another tenant's id is a 404), sends the same
// webhook as the console and audits the decision with the request's id.
func TestReviewAPI(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, env *testEnv) {
		a, b := env.tenant(t, "acme"), env.tenant(t, "globex")
		hooks := env.subscribe(t, a)
		userID := env.reviewUser(t, a)
		o := env.operator(t, "ada@compliance.example", false)
		ctx := t.Context()
		scoped, err := env.app.Operators.CreateToken(ctx, o.Email, []string{kyc.ScopeReviewDecide})
		if err != nil {
			t.Fatal(err)
		}
		unscoped, err := env.app.Operators.CreateToken(ctx, o.Email, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := env.app.Operators.CreateToken(ctx, o.Email, []string{"users:write"}); kyc.ErrorCode(err) != kyc.EInvalid {
			t.Errorf("a token with an unknown scope: %v", err)
		}
		path := func(tenantID string) string {
			return "/v1/review/tenants/" + tenantID + "/users/" + userID + "/decision"
		}
		bearer := func(token string) http.Header { return http.Header{"Authorization": {"Bearer " + token}} }
		reject := map[string]string{"decision": "reject", "reason": "We could not confirm your identity.", "developer_reason": "Sanctions list match."}
		for _, tt := range []struct {
			name   string
			path   string
			header http.Header
			status int
			code   string
		}{
			{"no credentials", path(a.id), nil, 401, "unauthorized"},
			{"tenant credentials", path(a.id), a.headers(), 401, "unauthorized"},
			{"an unknown token", path(a.id), bearer(operator.TokenPrefix + "nope"), 401, "unauthorized"},
			{"a token without the scope", path(a.id), bearer(unscoped), 403, "forbidden"},
			{"another tenant's id", path(b.id), bearer(scoped), 404, "not_found"},
			{"a malformed tenant id", path("acme"), bearer(scoped), 400, "validation_error"},
		} {
			resp, raw := env.srv.Do(t, "POST", tt.path, tt.header, reject)
			if resp.StatusCode != tt.status || decode[errorBody](t, raw).Code != tt.code {
				t.Errorf("%s: %d %s", tt.name, resp.StatusCode, raw)
			}
		}
		resp, raw := env.srv.Do(t, "POST", path(a.id), bearer(scoped), reject)
		if got := decode[userWithReasons](t, raw); resp.StatusCode != http.StatusOK || got.Status != "REJECTED" || got.Reasons[0].DeveloperReason != "Sanctions list match." {
			t.Fatalf("decide: %d %s", resp.StatusCode, raw)
		}
		if event, data := decisionEvent(t, hooks); event != "user.verification.failed" || data["user_id"] != userID {
			t.Errorf("receiver got %s %v", event, data)
		}
		entries := env.audit(t)
		if len(entries) != 1 || entries[0].Action != kyc.AuditDecision || entries[0].OperatorID != o.ID || entries[0].TenantID != a.id ||
			entries[0].RequestID != resp.Header.Get("X-Request-Id") {
			t.Errorf("audit trail %+v", entries)
		}
		if resp, raw := env.srv.Do(t, "POST", path(a.id), bearer(scoped), reject); resp.StatusCode != http.StatusConflict {
			t.Errorf("decide again: %d %s", resp.StatusCode, raw)
		}
	}, cheapOperators)
}
