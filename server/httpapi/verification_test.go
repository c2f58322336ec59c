package httpapi_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
)

type userWithReasons struct {
	user
	Reasons []struct {
		Reason          string `json:"reason"`
		DeveloperReason string `json:"developer_reason"`
		CreatedAt       string `json:"created_at"`
	} `json:"reasons"`
}

func withSSN(ssn string) string { return strings.Replace(seedUser, "123-45-6789", ssn, 1) }

// createAndSettle creates a user and waits until its verification is decided.
func (env *testEnv) createAndSettle(t *testing.T, a *testTenant, key, body string) userWithReasons {
	t.Helper()
	resp, raw := env.srv.Do(t, "POST", "/v1/users", a.headers("Idempotency-Key", key), body)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s", resp.StatusCode, raw)
	}
	// Jobs of earlier steps (another user's verification, a delivery) may complete first.
	id := decode[user](t, raw).ID
	for {
		env.awaitJobs(t, 1)
		if u := env.getUser(t, a, id); u.Status != "VERIFYING" {
			return u
		}
	}
}

func (env *testEnv) getUser(t *testing.T, a *testTenant, id string) userWithReasons {
	t.Helper()
	resp, raw := env.srv.Do(t, "GET", "/v1/users/"+id, a.headers(), nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("get: %d %s", resp.StatusCode, raw)
	}
	return decode[userWithReasons](t, raw)
}

// eventTypes lists the tenant's events about a user, oldest first, with their payloads.
func (env *testEnv) events(t *testing.T, a *testTenant, userID string) ([]string, []map[string]any) {
	t.Helper()
	evs, err := env.inspect.Events(t.Context(), a.id)
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	var data []map[string]any
	for _, e := range evs {
		if e.UserID != userID {
			continue
		}
		var p struct {
			Event string         `json:"event"`
			Data  map[string]any `json:"data"`
		}
		if err := json.Unmarshal(e.Payload, &p); err != nil {
			t.Fatal(err)
		}
		if p.Event != string(e.Type) || p.Data["event_id"] != e.ID || p.Data["user_id"] != userID {
			t.Errorf("event %s: payload %s", e.ID, e.Payload)
		}
		types = append(types, p.Event)
		data = append(data, p.Data)
	}
	return types, data
}

func TestAutomaticVerification(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, env *testEnv) {
		a := env.tenant(t, "acme")
		u := env.createAndSettle(t, a, "seed", seedUser)
		if u.Status != "VERIFIED" || len(u.Reasons) != 0 {
			t.Fatalf("seed user: %+v", u)
		}
		types, data := env.events(t, a, u.ID)
		want := []string{"user.created", "user.status_changed", "user.status_changed", "user.verification.accepted"}
		if !slices.Equal(types, want) {
			t.Fatalf("events = %v, want %v", types, want)
		}
		if data[0]["status"] != "CREATED" || data[0]["verification_triggered"] != true || data[0]["email"] != "john.doe@example.com" {
			t.Errorf("user.created data: %v", data[0])
		}
		if data[1]["previous_status"] != "CREATED" || data[1]["new_status"] != "VERIFYING" || data[2]["new_status"] != "VERIFIED" {
			t.Errorf("status changes: %v, %v", data[1], data[2])
		}
		fields, _ := data[3]["verified_fields"].([]any)
		if data[3]["status"] != "VERIFIED" || !slices.Contains(fields, any("document_number")) || slices.Contains(fields, any("ssn_value")) {
			t.Errorf("accepted data: %v", data[3])
		}
	})
}

func TestRejectionShowsReasonsAndRetry(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, env *testEnv) {
		a := env.tenant(t, "acme")
		u := env.createAndSettle(t, a, "bad", withSSN("111-11-1111"))
		if u.Status != "REJECTED" || len(u.Reasons) != 1 || u.Reasons[0].Reason != "Your information could not be verified" || u.Reasons[0].DeveloperReason == "" || u.Reasons[0].CreatedAt == "" {
			t.Fatalf("rejected user: %+v", u)
		}
		types, data := env.events(t, a, u.ID)
		if types[len(types)-1] != "user.verification.failed" || data[len(data)-1]["status"] != "REJECTED" {
			t.Errorf("events: %v", types)
		}
		// Review & retry: corrected data starts the second attempt, which verifies.
		resp, raw := env.srv.Do(t, "PUT", "/v1/users/"+u.ID, a.headers(), map[string]any{"ssn": "123-45-6789"})
		if got := decode[user](t, raw); resp.StatusCode != 200 || got.Status != "VERIFYING" || !got.VerificationTriggered || got.VerificationAttempts != 2 {
			t.Fatalf("correcting PUT: %d %s", resp.StatusCode, raw)
		}
		env.awaitJobs(t, 1)
		if got := env.getUser(t, a, u.ID); got.Status != "VERIFIED" || len(got.Reasons) != 0 {
			t.Errorf("after the second attempt: %+v", got)
		}
		// A verified user's changed identity is verified again.
		resp, raw = env.srv.Do(t, "PUT", "/v1/users/"+u.ID, a.headers(), map[string]any{"last_name": "Roe", "first_name": "John"})
		if got := decode[user](t, raw); resp.StatusCode != http.StatusOK || got.Status != "VERIFYING" || !got.RequiresReverification ||
			strings.Join(got.UpdatedFields, ",") != "last_name" || got.VerificationAttempts != 3 {
			t.Errorf("identity change after VERIFIED: %d %s", resp.StatusCode, raw)
		}
		env.awaitJobs(t, 1)
		resp, raw = env.srv.Do(t, "PUT", "/v1/users/"+u.ID, a.headers(), map[string]any{"phone": "+14155550123"})
		if got := decode[user](t, raw); resp.StatusCode != http.StatusOK || got.Status != "VERIFIED" || got.RequiresReverification {
			t.Errorf("contact change after VERIFIED: %d %s", resp.StatusCode, raw)
		}
	})
}

func TestAttemptsAreLimited(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, env *testEnv) {
		a := env.tenant(t, "acme")
		u := env.createAndSettle(t, a, "bad", withSSN("111-11-1111"))
		// Each attempt changes identity data (a value sent again unchanged is no change); the
		// sandbox rejects the SSN each time.
		for attempt, street := range []string{2: "1 First St", 3: "2 Second St"} {
			if street == "" {
				continue
			}
			resp, raw := env.srv.Do(t, "PUT", "/v1/users/"+u.ID, a.headers(), map[string]any{"address_street": street})
			if resp.StatusCode != 200 || decode[user](t, raw).VerificationAttempts != attempt {
				t.Fatalf("attempt %d: %d %s", attempt, resp.StatusCode, raw)
			}
			env.awaitJobs(t, 1)
		}
		resp, raw := env.srv.Do(t, "PUT", "/v1/users/"+u.ID, a.headers(), map[string]any{"ssn": "123-45-6789"})
		if resp.StatusCode != http.StatusConflict || decode[errorBody](t, raw).Code != "verification_attempts_exhausted" {
			t.Errorf("fourth attempt: %d %s", resp.StatusCode, raw)
		}
		if got := env.getUser(t, a, u.ID); got.Status != "REJECTED" || got.SSNLast4 != "1111" {
			t.Errorf("a refused attempt changed the user: %+v", got)
		}
	})
}

func TestManualReview(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, env *testEnv) {
		a := env.tenant(t, "acme")
		u := env.createAndSettle(t, a, "review", withSSN("222-22-2222"))
		if u.Status != "REVIEW" {
			t.Fatalf("review user: %+v", u)
		}
		resp, raw := env.srv.Do(t, "PUT", "/v1/users/"+u.ID, a.headers(), map[string]any{"first_name": "Jo"})
		if resp.StatusCode != http.StatusConflict {
			t.Errorf("update in REVIEW: %d %s", resp.StatusCode, raw)
		}
		resp, raw = env.srv.Do(t, "POST", "/v1/sandbox/users/"+u.ID+"/review", a.headers(), map[string]any{"decision": "approve"})
		if resp.StatusCode != 200 || decode[user](t, raw).Status != "VERIFIED" {
			t.Fatalf("approve: %d %s", resp.StatusCode, raw)
		}
		types, _ := env.events(t, a, u.ID)
		if types[len(types)-1] != "user.verification.accepted" {
			t.Errorf("events: %v", types)
		}
		resp, raw = env.srv.Do(t, "POST", "/v1/sandbox/users/"+u.ID+"/review", a.headers(), map[string]any{"decision": "reject"})
		if resp.StatusCode != http.StatusConflict || decode[errorBody](t, raw).Code != "invalid_transition" {
			t.Errorf("review of a VERIFIED user: %d %s", resp.StatusCode, raw)
		}

		r := env.createAndSettle(t, a, "review-2", strings.Replace(withSSN("222222222"), "john.doe", "jane.doe", 1))
		resp, raw = env.srv.Do(t, "POST", "/v1/sandbox/users/"+r.ID+"/review", a.headers(), map[string]any{"decision": "reject", "reason": "Document expired"})
		got := decode[userWithReasons](t, raw)
		if resp.StatusCode != 200 || got.Status != "REJECTED" || len(got.Reasons) != 1 || got.Reasons[0].Reason != "Document expired" {
			t.Errorf("reject: %d %s", resp.StatusCode, raw)
		}
		b := env.tenant(t, "globex")
		if resp, _ := env.srv.Do(t, "POST", "/v1/sandbox/users/"+r.ID+"/review", b.headers(), map[string]any{"decision": "approve"}); resp.StatusCode != 404 {
			t.Errorf("another tenant's review: %d", resp.StatusCode)
		}
	})
}

func TestBusinessVerification(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, env *testEnv) {
		a := env.tenant(t, "acme")
		business := func(ein string) string {
			return `{"type":"business","email":"finance@acme.example","business_legal_name":"Acme Widgets LLC","business_type":"limited_liability_company",
			"formation_date":"2015-06-01","ein":"` + ein + `","address_street":"500 Market St","address_city":"San Francisco","address_state":"CA",
			"address_zip_code":"94105","address_country":"USA","representative_first_name":"Jane","representative_last_name":"Roe","representative_birth_date":"1980-03-02"}`
		}
		for _, tc := range []struct{ ein, want string }{{"12-3456789", "VERIFIED"}, {"11-1111111", "REJECTED"}, {"22-2222222", "REVIEW"}} {
			if u := env.createAndSettle(t, a, "biz-"+tc.ein, business(tc.ein)); u.Status != tc.want {
				t.Errorf("EIN %s: %s, want %s", tc.ein, u.Status, tc.want)
			}
		}
	})
}
