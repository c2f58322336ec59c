package httpapi_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestUpdateChangesOnlyWhatDiffers: on each status, what a PUT changes, what it starts, and what
// it refuses (see the updateUser operation in the spec).
func TestUpdateChangesOnlyWhatDiffers(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, env *testEnv) {
		a := env.tenant(t, "acme")
		put := func(id string, body any) (int, user, []byte) {
			t.Helper()
			resp, raw := env.srv.Do(t, "PUT", "/v1/users/"+id, a.headers(), body)
			var u user
			if resp.StatusCode == http.StatusOK {
				u = decode[user](t, raw)
			}
			return resp.StatusCode, u, raw
		}

		verified := env.createAndSettle(t, a, "verified", seedUser)
		env.clock.Advance(time.Minute)
		// Values equal to the stored ones, a secret included and an identifier written another
		// way, are no change: nothing is written.
		status, got, raw := put(verified.ID, map[string]any{"first_name": "John", "ssn": "123456789", "document_number": "ab1234567", "metadata": map[string]string{}})
		if status != http.StatusOK || len(got.UpdatedFields) != 0 || got.UpdatedFields == nil || got.Status != "VERIFIED" ||
			got.RequiresReverification || got.UpdatedAt != verified.UpdatedAt {
			t.Errorf("an update that changes nothing: %d %s", status, raw)
		}
		// Contact data never starts a verification.
		status, got, raw = put(verified.ID, map[string]any{"phone": "+14155550123", "metadata": map[string]string{"crm": "1"}, "first_name": "John"})
		if status != http.StatusOK || strings.Join(got.UpdatedFields, ",") != "phone,metadata" || got.Status != "VERIFIED" ||
			got.VerificationAttempts != 1 || got.VerificationTriggered || got.UpdatedAt == verified.UpdatedAt {
			t.Errorf("a contact change of a verified user: %d %s", status, raw)
		}

		// What a request may send does not depend on what else it sends: an empty list of a
		// business's persons is refused for an individual as a full one is.
		for _, body := range []map[string]any{{"associated_persons": []any{}}, {"associated_persons": []any{}, "first_name": "Jo"}} {
			resp, raw := env.srv.Do(t, "PUT", "/v1/users/"+verified.ID, a.headers(), body)
			if e := decode[errorBody](t, raw); resp.StatusCode != http.StatusBadRequest || len(e.Errors) != 1 || e.Errors[0].Field != "associated_persons" {
				t.Errorf("a business field sent to an individual: %d %s", resp.StatusCode, raw)
			}
		}

		rejected := env.createAndSettle(t, a, "rejected", withSSN("111-11-1111"))
		for _, body := range []map[string]any{{"metadata": map[string]string{"crm": "2"}}, {"phone": "+14155550124"}, {"email": "new@example.com"}} {
			if status, got, raw := put(rejected.ID, body); status != http.StatusOK || got.Status != "REJECTED" || got.VerificationAttempts != 1 || got.VerificationTriggered {
				t.Errorf("a contact change of a rejected user started an attempt: %d %s", status, raw)
			}
		}
		if status, got, raw := put(rejected.ID, map[string]any{"address_street": "1 New St"}); status != http.StatusOK || got.Status != "VERIFYING" ||
			got.VerificationAttempts != 2 || !got.VerificationTriggered {
			t.Errorf("an identity change of a rejected user: %d %s", status, raw)
		}
		env.awaitJobs(t, 1) // its verification, which createAndSettle below must not take for its own

		// A user in review cannot change: every field that would change is named, in the table's
		// order, the same on every request.
		review := env.createAndSettle(t, a, "review", withSSN("222-22-2222"))
		if review.Status != "REVIEW" {
			t.Fatalf("review user: %+v", review)
		}
		body := map[string]any{"address_city": "Oakland", "phone": "+14155550125", "last_name": "Roe", "first_name": "John"}
		var first []string
		for range 5 {
			resp, raw := env.srv.Do(t, "PUT", "/v1/users/"+review.ID, a.headers(), body)
			e := decode[errorBody](t, raw)
			var fields []string
			for _, f := range e.Errors {
				fields = append(fields, f.Field)
			}
			if resp.StatusCode != http.StatusConflict || e.Code != "invalid_transition" {
				t.Fatalf("a change of a user in review: %d %s", resp.StatusCode, raw)
			}
			if first == nil {
				first = fields
			} else if !slices.Equal(fields, first) {
				t.Errorf("the fields named changed between identical requests: %v, then %v", first, fields)
			}
		}
		if strings.Join(first, ",") != "phone,last_name,address_city" {
			t.Errorf("fields named = %v, want phone, last_name, address_city (first_name is unchanged)", first)
		}
	})
}

// TestOneAnswerNamesEveryOffendingField: a create or an update the schema refuses also gets the
// domain's checks on what could be read, so that one 400 names every offending field, not one
// phase's at a time.
func TestOneAnswerNamesEveryOffendingField(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, env *testEnv) {
		a := env.tenant(t, "acme")
		_, raw := env.srv.Do(t, "POST", "/v1/users", a.headers("Idempotency-Key", "existing"), minimalUser)
		existing := "/v1/users/" + decode[user](t, raw).ID
		for _, tc := range []struct {
			method, path, body string
			want               []string
		}{
			{"POST", "/v1/users", `{"type":"individual","email":"bad","birth_date":"2099-01-01"}`, []string{"email", "birth_date"}},
			{"POST", "/v1/users", `{"type":"business","email":"bad","ssn":"123-45-6789"}`, []string{"email", "ssn"}},
			{"POST", "/v1/users", `{"type":"individual","email":"a","ssn":"000-12-3456","ein":"12-3456789"}`, []string{"email", "ein", "ssn"}},
			{"PUT", existing, `{"email":"bad","birth_date":"2099-01-01","ssn":"666-12-3456"}`, []string{"email", "birth_date", "ssn"}},
		} {
			resp, raw := env.srv.Do(t, tc.method, tc.path, a.headers("Idempotency-Key", tc.body), tc.body)
			var got []string
			for _, f := range decode[errorBody](t, raw).Errors {
				got = append(got, f.Field)
			}
			slices.Sort(got)
			got = slices.Compact(got)
			want := slices.Sorted(slices.Values(tc.want))
			if resp.StatusCode != http.StatusBadRequest || !slices.Equal(got, want) {
				t.Errorf("%s: %d, fields %v, want %v", tc.body, resp.StatusCode, got, want)
			}
		}
	})
}
