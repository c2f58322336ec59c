package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// seedUser is the seed's automatic-verification example, run as written (with a valid email).
const seedUser = `{
"type": "individual",
"email": "john.doe@example.com",
"first_name": "John",
"last_name": "Doe",
"birth_date": "1990-01-15",
"ssn": "123-45-6789",
"document_type": "passport",
"document_number": "AB1234567",
"document_country": "USA",
"address_street": "123 Main St",
"address_city": "San Francisco",
"address_state": "CA",
"address_zip_code": "94105",
"address_country": "USA"
}`

// minimalUser is the seed's legacy example.
const minimalUser = `{
"type": "individual",
"email": "john.doe@example.com",
"phone": "+1234567890",
"first_name": "John",
"last_name": "Doe"
}`

type user struct {
	ID                    string            `json:"id"`
	Type                  string            `json:"type"`
	Status                string            `json:"status"`
	Email                 string            `json:"email"`
	Phone                 string            `json:"phone"`
	BirthDate             string            `json:"birth_date"`
	SSNLast4              string            `json:"ssn_last4"`
	DocumentNumberLast4   string            `json:"document_number_last4"`
	VerificationTriggered bool              `json:"verification_triggered"`
	VerificationAttempts  int               `json:"verification_attempts"`
	MissingFields         []string          `json:"missing_fields"`
	Metadata              map[string]string `json:"metadata"`
	UpdatedAt             string            `json:"updated_at"`
	// In the response to PUT only.
	UpdatedFields          []string `json:"updated_fields"`
	RequiresReverification bool     `json:"requires_reverification"`
}

func decode[T any](t *testing.T, raw []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	return v
}

func TestSeedExamples(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, env *testEnv) {
		a := env.tenant(t, "acme")
		resp, raw := env.srv.Do(t, "POST", "/v1/users", a.headers("Idempotency-Key", "user-123"), seedUser)
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("create: %d %s", resp.StatusCode, raw)
		}
		u := decode[user](t, raw)
		if !u.VerificationTriggered || u.Status != "VERIFYING" || len(u.MissingFields) != 0 || u.VerificationAttempts != 1 {
			t.Errorf("complete user: %s", raw)
		}
		if u.SSNLast4 != "6789" || u.DocumentNumberLast4 != "4567" || u.BirthDate != "1990-01-15" {
			t.Errorf("secrets: %s", raw)
		}
		for _, secret := range []string{"123-45-6789", "123456789", "AB1234567"} {
			if strings.Contains(string(raw), secret) {
				t.Errorf("response holds %q", secret)
			}
		}
		if loc := resp.Header.Get("Location"); loc != "/v1/users/"+u.ID {
			t.Errorf("Location = %q", loc)
		}
		resp, raw = env.srv.Do(t, "GET", "/v1/users/"+u.ID, a.headers(), nil)
		if got := decode[user](t, raw); resp.StatusCode != 200 || got.ID != u.ID || (got.Status != "VERIFYING" && got.Status != "VERIFIED") {
			t.Errorf("get: %d %s", resp.StatusCode, raw)
		}

		resp, raw = env.srv.Do(t, "POST", "/v1/users", a.headers("Idempotency-Key", "user-124"), minimalUser)
		m := decode[user](t, raw)
		want := "birth_date,document_type,document_number,document_country,address_street,address_city,address_state,address_zip_code,address_country"
		if resp.StatusCode != 201 || m.VerificationTriggered || m.Status != "CREATED" || strings.Join(m.MissingFields, ",") != want {
			t.Errorf("minimal user: %d %s", resp.StatusCode, raw)
		}
	})
}

func TestUpdateCompletesAndTriggers(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, env *testEnv) {
		a := env.tenant(t, "acme")
		// No verification job runs: the user stays VERIFYING once complete (the sandbox decides at
		// once, and a VERIFIED user's changed identity would start a new attempt, not a 409).
		env.stopWorkers()
		_, raw := env.srv.Do(t, "POST", "/v1/users", a.headers("Idempotency-Key", "k1"), minimalUser)
		id := decode[user](t, raw).ID
		resp, raw := env.srv.Do(t, "PUT", "/v1/users/"+id, a.headers(), map[string]any{"metadata": map[string]string{"crm": "7"}, "birth_date": "1990-01-15"})
		u := decode[user](t, raw)
		if resp.StatusCode != 200 || u.Status != "CREATED" || u.VerificationTriggered || u.Metadata["crm"] != "7" || u.BirthDate != "1990-01-15" {
			t.Fatalf("partial update: %d %s", resp.StatusCode, raw)
		}
		rest := map[string]any{
			"ssn": "123-45-6789", "document_type": "passport", "document_number": "AB1234567", "document_country": "USA",
			"address_street": "123 Main St", "address_city": "San Francisco", "address_state": "CA", "address_zip_code": "94105", "address_country": "USA",
		}
		resp, raw = env.srv.Do(t, "PUT", "/v1/users/"+id, a.headers(), rest)
		u = decode[user](t, raw)
		if resp.StatusCode != 200 || u.Status != "VERIFYING" || !u.VerificationTriggered || len(u.MissingFields) != 0 || u.Metadata["crm"] != "7" {
			t.Fatalf("completing update: %d %s", resp.StatusCode, raw)
		}
		resp, raw = env.srv.Do(t, "PUT", "/v1/users/"+id, a.headers(), map[string]any{"first_name": "Johnny"})
		if resp.StatusCode != http.StatusConflict || decode[errorBody](t, raw).Code != "invalid_transition" {
			t.Errorf("update while VERIFYING: %d %s", resp.StatusCode, raw)
		}
		resp, raw = env.srv.Do(t, "PUT", "/v1/users/"+id, a.headers(), map[string]any{"status": "VERIFIED"})
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("setting status: %d %s", resp.StatusCode, raw)
		}
		resp, raw = env.srv.Do(t, "PUT", "/v1/users/"+id, a.headers(), map[string]any{"ein": "12-3456789"})
		if e := decode[errorBody](t, raw); resp.StatusCode != http.StatusConflict && (resp.StatusCode != 400 || e.Errors[0].Field != "ein") {
			t.Errorf("business field on an individual: %d %s", resp.StatusCode, raw)
		}
	})
}

func TestBusinessFieldsOnIndividualAre400(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, env *testEnv) {
		a := env.tenant(t, "acme")
		resp, raw := env.srv.Do(t, "POST", "/v1/users", a.headers("Idempotency-Key", "k1"),
			map[string]any{"type": "individual", "email": "a@example.com", "ein": "12-3456789"})
		e := decode[errorBody](t, raw)
		if resp.StatusCode != 400 || len(e.Errors) != 1 || e.Errors[0].Field != "ein" || strings.Contains(string(raw), "3456789") {
			t.Errorf("%d %s", resp.StatusCode, raw)
		}
		// Rejected by validation: the key stores nothing and can be reused once fixed.
		resp, raw = env.srv.Do(t, "POST", "/v1/users", a.headers("Idempotency-Key", "k1"), map[string]any{"type": "individual", "email": "a@example.com"})
		if resp.StatusCode != 201 {
			t.Errorf("retry with the same key after a 400: %d %s", resp.StatusCode, raw)
		}
	})
}

func TestListUsers(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, env *testEnv) {
		a := env.tenant(t, "acme")
		var ids []string
		for i := range 5 {
			body := fmt.Sprintf(`{"type":"individual","email":"user%d@example.com"}`, i)
			if i == 4 {
				body = seedUser
			}
			_, raw := env.srv.Do(t, "POST", "/v1/users", a.headers("Idempotency-Key", fmt.Sprint("k", i)), body)
			ids = append(ids, decode[user](t, raw).ID)
			env.clock.Advance(time.Millisecond)
		}
		type page struct {
			Data       []user `json:"data"`
			Pagination struct {
				HasMore    bool   `json:"has_more"`
				NextCursor string `json:"next_cursor"`
			} `json:"pagination"`
		}
		var got []string
		cursor := ""
		for range 5 {
			path := "/v1/users?limit=2"
			if cursor != "" {
				path += "&cursor=" + cursor
			}
			_, raw := env.srv.Do(t, "GET", path, a.headers(), nil)
			p := decode[page](t, raw)
			for _, u := range p.Data {
				got = append(got, u.ID)
			}
			if !p.Pagination.HasMore {
				break
			}
			cursor = p.Pagination.NextCursor
		}
		want := []string{ids[4], ids[3], ids[2], ids[1], ids[0]}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("pages = %v, want newest first %v", got, want)
		}
		env.awaitJobs(t, 1)
		_, raw := env.srv.Do(t, "GET", "/v1/users?status=VERIFIED", a.headers(), nil)
		if p := decode[page](t, raw); len(p.Data) != 1 || p.Data[0].ID != ids[4] {
			t.Errorf("status filter: %s", raw)
		}
		_, raw = env.srv.Do(t, "GET", "/v1/users?email=USER2@example.com&type=individual", a.headers(), nil)
		if p := decode[page](t, raw); len(p.Data) != 1 || p.Data[0].ID != ids[2] {
			t.Errorf("email filter: %s", raw)
		}
		resp, raw := env.srv.Do(t, "GET", "/v1/users?cursor=bogus", a.headers(), nil)
		if resp.StatusCode != 400 {
			t.Errorf("bad cursor: %d %s", resp.StatusCode, raw)
		}
	})
}

func TestIdempotency(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, env *testEnv) {
		a := env.tenant(t, "acme")
		b := env.tenant(t, "globex")
		first, raw1 := env.srv.Do(t, "POST", "/v1/users", a.headers("Idempotency-Key", "same"), seedUser)
		again, raw2 := env.srv.Do(t, "POST", "/v1/users", a.headers("Idempotency-Key", "same"), seedUser)
		if first.StatusCode != 201 || again.StatusCode != 201 || string(raw1) != string(raw2) || again.Header.Get("Idempotent-Replayed") != "true" || first.Header.Get("Idempotent-Replayed") != "" {
			t.Errorf("replay: %d %d %q\n%s\n%s", first.StatusCode, again.StatusCode, again.Header.Get("Idempotent-Replayed"), raw1, raw2)
		}
		// A replay carries the original's headers too.
		for _, name := range []string{"Location", "Content-Type"} {
			if got, want := again.Header.Get(name), first.Header.Get(name); got != want || want == "" {
				t.Errorf("replayed %s = %q, want %q", name, got, want)
			}
		}
		// Same JSON, re-encoded: still the same request.
		compact := strings.NewReplacer("\n", "", ": ", ":").Replace(seedUser)
		if resp, _ := env.srv.Do(t, "POST", "/v1/users", a.headers("Idempotency-Key", "same"), compact); resp.StatusCode != 201 || resp.Header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("re-encoded body: %d", resp.StatusCode)
		}
		resp, raw := env.srv.Do(t, "POST", "/v1/users", a.headers("Idempotency-Key", "same"), minimalUser)
		if resp.StatusCode != http.StatusUnprocessableEntity || decode[errorBody](t, raw).Code != "idempotency_key_reused" {
			t.Errorf("different body: %d %s", resp.StatusCode, raw)
		}
		// Keys are per tenant: tenant B's "same" is a new request.
		resp, raw = env.srv.Do(t, "POST", "/v1/users", b.headers("Idempotency-Key", "same"), minimalUser)
		if resp.StatusCode != 201 || resp.Header.Get("Idempotent-Replayed") != "" {
			t.Errorf("other tenant: %d %s", resp.StatusCode, raw)
		}
	})
}

func TestConcurrentIdenticalRequestsCreateOneUser(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, env *testEnv) {
		a := env.tenant(t, "acme")
		const n = 50
		var wg sync.WaitGroup
		statuses := make([]int, n)
		ids := make([]string, n)
		for i := range n {
			wg.Go(func() {
				resp, raw := env.srv.Do(t, "POST", "/v1/users", a.headers("Idempotency-Key", "burst"), seedUser)
				statuses[i] = resp.StatusCode
				if resp.StatusCode == 201 {
					ids[i] = decode[user](t, raw).ID
				}
			})
		}
		wg.Wait()
		created := map[string]bool{}
		for i, s := range statuses {
			// Duplicates wait for the first and replay its response.
			if s != 201 {
				t.Errorf("request %d: status %d", i, s)
			}
			created[ids[i]] = true
		}
		if len(created) != 1 {
			t.Errorf("%d distinct users from one key, statuses %v", len(created), statuses)
		}
		_, raw := env.srv.Do(t, "GET", "/v1/users?limit=100", a.headers(), nil)
		var page struct{ Data []user }
		if err := json.Unmarshal(raw, &page); err != nil || len(page.Data) != 1 {
			t.Errorf("users stored: %d (%v)", len(page.Data), err)
		}
	})
}

func TestTenantIsolation(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, env *testEnv) {
		a := env.tenant(t, "acme")
		b := env.tenant(t, "globex")
		_, raw := env.srv.Do(t, "POST", "/v1/users", a.headers("Idempotency-Key", "k"), minimalUser)
		id := decode[user](t, raw).ID
		for _, tc := range []struct {
			method, path string
			body         any
			header       http.Header
		}{
			{"GET", "/v1/users/" + id, nil, b.headers()},
			{"PUT", "/v1/users/" + id, map[string]any{"first_name": "Mallory"}, b.headers()},
			{"GET", "/v1/users/00000000-0000-4000-8000-000000000000", nil, a.headers()},
		} {
			resp, raw := env.srv.Do(t, tc.method, tc.path, tc.header, tc.body)
			if resp.StatusCode != 404 || decode[errorBody](t, raw).Code != "not_found" {
				t.Errorf("%s %s: %d %s", tc.method, tc.path, resp.StatusCode, raw)
			}
		}
		_, raw = env.srv.Do(t, "GET", "/v1/users", b.headers(), nil)
		if strings.Contains(string(raw), id) {
			t.Error("tenant B lists tenant A's user")
		}
	})
}

func TestAuthentication(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, env *testEnv) {
		a := env.tenant(t, "acme")
		b := env.tenant(t, "globex")
		tests := []struct {
			name   string
			header http.Header
		}{
			{"no credentials", http.Header{}},
			{"token only", http.Header{"Authorization": {"Bearer " + a.token}}},
			{"key only", http.Header{"X-Api-Key": {a.creds.APIKey}}},
			{"wrong key", http.Header{"Authorization": {"Bearer " + a.token}, "X-Api-Key": {"kira_sk_nope"}}},
			{"garbage token", http.Header{"Authorization": {"Bearer not.a.jwt"}, "X-Api-Key": {a.creds.APIKey}}},
			{"mismatched tenants", http.Header{"Authorization": {"Bearer " + a.token}, "X-Api-Key": {b.creds.APIKey}}},
			{"basic scheme", http.Header{"Authorization": {"Basic " + a.token}, "X-Api-Key": {a.creds.APIKey}}},
		}
		for _, tt := range tests {
			resp, raw := env.srv.Do(t, "GET", "/v1/users", tt.header, nil)
			if resp.StatusCode != 401 || decode[errorBody](t, raw).Code != "unauthorized" {
				t.Errorf("%s: %d %s", tt.name, resp.StatusCode, raw)
			}
		}
		for _, tt := range []struct {
			name, key, clientID, password string
		}{
			{"wrong password", a.creds.APIKey, a.creds.ClientID, "nope"},
			{"wrong client", a.creds.APIKey, b.creds.ClientID, b.creds.Password},
			{"no key", "", a.creds.ClientID, a.creds.Password},
		} {
			h := http.Header{}
			if tt.key != "" {
				h.Set("x-api-key", tt.key)
			}
			resp, raw := env.srv.Do(t, "POST", "/auth", h, map[string]string{"client_id": tt.clientID, "password": tt.password})
			if resp.StatusCode != 401 {
				t.Errorf("login %s: %d %s", tt.name, resp.StatusCode, raw)
			}
		}
		// An expired token is refused.
		env.clock.Advance(2 * 3600e9)
		resp, raw := env.srv.Do(t, "GET", "/v1/users", a.headers(), nil)
		if resp.StatusCode != 401 {
			t.Errorf("expired token: %d %s", resp.StatusCode, raw)
		}
	})
}
