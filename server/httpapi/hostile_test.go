package httpapi_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestHostileBodies: text storage cannot hold or a decoder would change, members given twice,
// dates that cannot be true and bodies built to blow up the error list are 400s naming the field,
// on every backend, and nothing of them is stored.
func TestHostileBodies(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, env *testEnv) {
		f := newFixture(t, env)
		uid := f.params["userId"]
		idem := func(k string) http.Header { return f.tenant.headers("Idempotency-Key", k) }
		userBody := func(extra string) string {
			return `{"type":"individual","email":"jo@example.com","first_name":"Jo","last_name":"Doe"` + extra + `}`
		}
		emptyPersons := `{"type":"business","email":"b@example.com","associated_persons":[{}` + strings.Repeat(`,{}`, 99999) + `]}`
		longName := strings.Repeat("n", 5000)
		tests := []struct {
			name, method, path string
			header             http.Header
			body               string
			wantField          string
		}{
			{"NUL in a name", "POST", "/v1/users", idem("h1"), `{"type":"individual","email":"jo@example.com","first_name":"Jo\u0000hn"}`, "first_name"},
			{"NUL in a metadata key", "POST", "/v1/users", idem("h2"), userBody(`,"metadata":{"k\u0000":"v"}`), "metadata/k\x00"},
			{"NUL in a metadata value", "POST", "/v1/users", idem("h3"), userBody(`,"metadata":{"k":"v\u0000"}`), "metadata/k"},
			{"NUL in an update", "PUT", "/v1/users/" + uid, f.tenant.headers(), `{"last_name":"D\u0000e"}`, "last_name"},
			{"NUL in a webhook description", "POST", "/v1/webhooks", f.tenant.headers(), `{"url":"http://127.0.0.1:9/x","description":"a\u0000b"}`, "description"},
			{"NUL in a review reason", "POST", "/v1/sandbox/users/" + uid + "/review", f.tenant.headers(), `{"decision":"reject","reason":"no\u0000pe"}`, "reason"},
			{"NUL in a password", "POST", "/auth", http.Header{"X-Api-Key": {f.tenant.creds.APIKey}}, `{"client_id":"` + f.tenant.creds.ClientID + `","password":"x\u0000"}`, "password"},
			{"invalid UTF-8", "POST", "/v1/users", idem("h4"), userBody(",\"address_city\":\"S\xffo Paulo\""), "address_city"},
			{"lone high surrogate", "POST", "/v1/users", idem("h5"), userBody(`,"address_city":"\ud800"`), "address_city"},
			{"lone low surrogate", "PUT", "/v1/users/" + uid, f.tenant.headers(), `{"first_name":"\udc00x"}`, "first_name"},
			{"reversed surrogates", "POST", "/v1/webhooks", f.tenant.headers(), `{"url":"http://127.0.0.1:9/x","description":"\udc00\ud800"}`, "description"},
			{"duplicate member", "POST", "/v1/users", idem("h6"), `{"type":"individual","email":"jo@example.com","type":"business"}`, "type"},
			{"duplicate nested member", "POST", "/v1/users", idem("h7"), userBody(`,"metadata":{"a":"1","a":"2"}`), "metadata/a"},
			{"duplicate member in an update", "PUT", "/v1/users/" + uid, f.tenant.headers(), `{"first_name":"A","first_name":"B"}`, "first_name"},
			{"birth date in the future", "POST", "/v1/users", idem("h8"), userBody(`,"birth_date":"2099-12-31"`), "birth_date"},
			{"birth date in year zero", "POST", "/v1/users", idem("h9"), userBody(`,"birth_date":"0000-01-01"`), "birth_date"},
			{"birth date before 1900", "PUT", "/v1/users/" + uid, f.tenant.headers(), `{"birth_date":"1899-12-31"}`, "birth_date"},
			{"no such day", "PUT", "/v1/users/" + uid, f.tenant.headers(), `{"birth_date":"2023-02-29"}`, "birth_date"},
			{"formation in the future", "POST", "/v1/users", idem("h10"), `{"type":"business","email":"b@example.com","formation_date":"2027-01-01"}`, "formation_date"},
			{"representative born in the future", "POST", "/v1/users", idem("h11"), `{"type":"business","email":"b@example.com","representative_birth_date":"2026-11-26"}`, "representative_birth_date"},
			{"associated person born in 1066", "POST", "/v1/users", idem("h12"), `{"type":"business","email":"b@example.com","associated_persons":[{"first_name":"A","last_name":"B","email":"a@example.com","birth_date":"1066-10-14"}]}`, "associated_persons/0/birth_date"},
			{"100,000 empty persons", "POST", "/v1/users", idem("h13"), emptyPersons, "associated_persons"},
			{"11 empty persons", "POST", "/v1/users", idem("h14"), `{"type":"business","email":"b@example.com","associated_persons":[{}` + strings.Repeat(`,{}`, 10) + `]}`, "associated_persons"},
			{"a very long field name", "POST", "/v1/users", idem("h15"), userBody(`,"` + longName + `":1`), longName[:200]},
			{"many unknown members", "POST", "/v1/users", idem("h16"), userBody(manyMembers(5000)), ""},
		}
		for _, tt := range tests {
			resp, raw := env.srv.Do(t, tt.method, tt.path, tt.header, tt.body)
			got := decode[errorBody](t, raw)
			if resp.StatusCode != http.StatusBadRequest || got.Code != "validation_error" {
				t.Errorf("%s: %d %.300s", tt.name, resp.StatusCode, raw)
				continue
			}
			if len(got.Errors) > 100 || len(raw) > 32<<10 {
				t.Errorf("%s: %d errors in %d bytes", tt.name, len(got.Errors), len(raw))
			}
			found := tt.wantField == ""
			for _, e := range got.Errors {
				if len(e.Field) > 200 {
					t.Errorf("%s: a field name of %d bytes", tt.name, len(e.Field))
				}
				found = found || e.Field == tt.wantField
			}
			if !found {
				t.Errorf("%s: no error for %q in %.500s", tt.name, tt.wantField, raw)
			}
		}
		// None of it was stored: the tenant still has its one user, unchanged.
		_, raw := env.srv.Do(t, "GET", "/v1/users", f.tenant.headers(), nil)
		list := decode[struct{ Data []user }](t, raw)
		if len(list.Data) != 1 || list.Data[0].ID != uid {
			t.Errorf("users after hostile requests: %s", raw)
		}
	})
}

func manyMembers(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString(`,"m`)
		b.WriteString(strings.Repeat("z", i%13))
		b.WriteByte(byte('a' + i%26))
		b.WriteString(strings.Repeat("q", i/26))
		b.WriteString(`":1`)
	}
	return b.String()
}

// TestHostedPageRefusesImpossibleValues: the hosted page applies the API's rules to what is typed.
func TestHostedPageRefusesImpossibleValues(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, env *testEnv) {
		f := newFixture(t, env)
		action := formTarget(t, f.link)
		valid := url.Values{
			"birth_date": {"1990-01-15"}, "document_type": {"passport"}, "document_number": {"AB1234567"},
			"document_country": {"USA"}, "address_street": {"123 Main St"}, "address_city": {"San Francisco"},
			"address_state": {"CA"}, "address_zip_code": {"94105"}, "address_country": {"USA"}, "ssn": {"123-45-6789"},
		}
		tests := []struct {
			name, field, value, wantMessage string
		}{
			{"birth date in the future", "birth_date", "2099-12-31", "must not be in the future"},
			{"birth date in year zero", "birth_date", "0000-01-01", "must not be before 1900-01-01"},
			{"no such day", "birth_date", "1990-02-30", "must be a date"},
			{"NUL in a street", "address_street", "12\x003 Main St", "must not contain NUL characters"},
			{"invalid UTF-8 in a city", "address_city", "S\xffo Paulo", "must be valid UTF-8 text"},
		}
		for _, tt := range tests {
			form := url.Values{}
			for k, v := range valid {
				form[k] = v
			}
			form.Set(tt.field, tt.value)
			resp, html := page(t, "POST", action, form)
			if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(html, tt.wantMessage) {
				t.Errorf("%s: %d; the page does not say %q", tt.name, resp.StatusCode, tt.wantMessage)
			}
		}
		_, raw := env.srv.Do(t, "GET", "/v1/users/"+f.params["userId"], f.tenant.headers(), nil)
		if u := decode[user](t, raw); u.Status != "CREATED" || u.BirthDate != "" {
			t.Errorf("user after refused submissions: %s", raw)
		}
	})
}
