package httpapi_test

import (
	"bytes"
	"fmt"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kiraapi/kira/server/app"
	"github.com/kiraapi/kira/server/kyc"
)

// sessionLink opens a hosted verification session for the user and returns its link.
func (env *testEnv) sessionLink(t *testing.T, a *testTenant, uid, key string) string {
	t.Helper()
	resp, raw := env.srv.Do(t, "POST", "/v1/users/"+uid+"/verifications", a.headers("Idempotency-Key", key),
		map[string]string{"type": "embedded-link", "redirect_uri": "https://yourapp.example/done"})
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("session: %d %s", resp.StatusCode, raw)
	}
	return decode[session](t, raw).ProviderLink
}

// completeForm is a valid post of the form a CREATED minimalUser is shown.
func completeForm() url.Values {
	return url.Values{
		"birth_date": {"1990-01-15"}, "document_type": {"passport"}, "document_number": {"AB1234567"},
		"document_country": {"USA"}, "address_street": {"123 Main St"}, "address_city": {"San Francisco"},
		"address_state": {"CA"}, "address_zip_code": {"94105"}, "address_country": {"USA"}, "ssn": {"123-45-6789"},
	}
}

// TestHostedPageRefusesWhatTheAPIRefuses: a field given twice, a field the form does not have and
// text that is not UTF-8 are errors on the re-drawn form (422), naming the field by its label or
// the form as a whole, never repeating the value; what was typed is kept or has an error next to
// it; nothing is stored.
func TestHostedPageRefusesWhatTheAPIRefuses(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, env *testEnv) {
		f := newFixture(t, env)
		action := formTarget(t, f.link)
		tests := []struct {
			name    string
			change  func(url.Values)
			want    []string // in the page
			notWant []string // nowhere in the page
		}{
			{"a field twice", func(v url.Values) { v["birth_date"] = []string{"1991-02-03", "1992-03-04"} },
				[]string{`id="f-birth_date-error"`, "Date of birth was given more than once"}, []string{"1991-02-03", "1992-03-04"}},
			{"a field twice, the second empty", func(v url.Values) { v["address_city"] = []string{"Oakland", ""} },
				[]string{`id="f-address_city-error"`, "City was given more than once"}, []string{"Oakland"}},
			{"a field that is not the user's", func(v url.Values) { v.Set("status", "VERIFIED") },
				[]string{"Please check the form", "The form had fields it does not ask for"}, []string{"VERIFIED", "status="}},
			{"a field of the other user type", func(v url.Values) { v.Set("ein", "12-3456789") },
				[]string{"The form had fields it does not ask for"}, []string{"3456789"}},
			{"a user field not on this form", func(v url.Values) { v.Set("first_name", "Mallory") },
				[]string{"First name: cannot be changed on this page"}, []string{"Mallory"}},
			{"invalid UTF-8", func(v url.Values) { v.Set("address_street", "\xff\xfe") },
				[]string{`id="f-address_street-error"`, "Street address must be valid UTF-8 text"}, []string{"NUL", "\ufffd"}},
			{"a NUL character", func(v url.Values) { v.Set("address_street", "12\x003 Main St") },
				[]string{"Street address must not contain NUL characters"}, []string{"3 Main St"}},
			{"a state the country's addresses do not name", func(v url.Values) { v.Set("address_state", "Calif") },
				[]string{`id="f-address_state-error"`, "State, province or region must be the code of a subdivision",
					`list="f-address_state-list"`, `<option value="CA">California</option>`}, nil},
			{"a postal code of another country", func(v url.Values) { v.Set("address_zip_code", "H3Z 2Y7") },
				[]string{`id="f-address_zip_code-error"`, "ZIP or postal code is not a postal code of the address's country"}, nil},
		}
		for _, tt := range tests {
			form := completeForm()
			tt.change(form)
			resp, body := page(t, "POST", action, form)
			if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `<form method="post"`) {
				t.Errorf("%s: %d, want 422 and the form", tt.name, resp.StatusCode)
				continue
			}
			text := html.UnescapeString(body)
			for _, w := range tt.want {
				if !strings.Contains(text, w) {
					t.Errorf("%s: the page does not say %q", tt.name, w)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(text, w) {
					t.Errorf("%s: the page shows %q", tt.name, w)
				}
			}
		}
		// Every value typed is shown again or has an error next to it; a secret is never shown
		// again, so one typed without a mistake says to enter it again.
		kept := []struct {
			name       string
			change     map[string]string
			wantErrors map[string]string
		}{
			{"a bad birth date beside a bad SSN", map[string]string{"birth_date": "2099-12-31", "ssn": "12"},
				map[string]string{"birth_date": "must not be in the future", "document_number": "must be entered again", "ssn": "Social Security Number"}},
			{"a good birth date beside a bad SSN", map[string]string{"ssn": "12"},
				map[string]string{"birth_date": "must be entered again", "document_number": "must be entered again", "ssn": "Social Security Number"}},
			{"an impossible date beside a missing street", map[string]string{"birth_date": "1990-02-30", "address_street": ""},
				map[string]string{"birth_date": "must be a date", "address_street": "is required", "ssn": "must be entered again"}},
		}
		for _, tt := range kept {
			form := completeForm()
			for k, v := range tt.change {
				form.Set(k, v)
			}
			resp, body := page(t, "POST", action, form)
			if resp.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("%s: %d, want 422", tt.name, resp.StatusCode)
				continue
			}
			text := html.UnescapeString(body)
			for name, want := range tt.wantErrors {
				id := `id="f-` + name + `-error">`
				i := strings.Index(text, id)
				if i < 0 || !strings.Contains(text[i:min(len(text), i+len(id)+120)], want) {
					t.Errorf("%s: no error %q next to %s", tt.name, want, name)
				}
			}
			for name, v := range form {
				if v[0] == "" {
					continue
				}
				if !strings.Contains(text, `value="`+v[0]+`"`) && !strings.Contains(text, `id="f-`+name+`-error"`) {
					t.Errorf("%s: %s vanished without an error", tt.name, name)
				}
			}
			// (The SSN's hint shows 123-45-6789 as an example.)
			for _, secret := range []string{"2099-12-31", "1990-01-15", "1990-02-30", "AB1234567", `value="123-45-6789"`} {
				if strings.Contains(text, secret) {
					t.Errorf("%s: the page shows a typed secret again", tt.name)
				}
			}
		}
		base, _, _ := strings.Cut(action, "?")
		for _, target := range []string{base, base + "?token=x", base + "?token="} {
			if resp, _ := page(t, "POST", target, completeForm()); resp.StatusCode != http.StatusNotFound {
				t.Errorf("post to %s: %d, want 404", strings.TrimPrefix(target, base), resp.StatusCode)
			}
		}
		if u := env.getUser(t, f.tenant, f.params["userId"]); u.Status != "CREATED" || u.BirthDate != "" || u.SSNLast4 != "" {
			t.Errorf("user after refused posts: %+v", u)
		}
		// The form still works.
		if resp, _ := page(t, "POST", action, completeForm()); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("valid post: %d", resp.StatusCode)
		}
		env.awaitJobs(t, 1)
	})
}

// TestHostedPageShowsNoFormItWouldRefuse: a link opened after the user moved on (completed through
// the API, or out of attempts) shows why there is nothing to submit (409, no form), and a post to
// it is answered the same.
func TestHostedPageShowsNoFormItWouldRefuse(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, env *testEnv) {
		a := env.tenant(t, "acme")
		closed := func(name, link, want string) {
			t.Helper()
			action := formTarget(t, link)
			for _, method := range []string{"GET", "POST"} {
				resp, body := page(t, method, link, nil)
				if method == "POST" {
					resp, body = page(t, method, action, completeForm())
				}
				if resp.StatusCode != http.StatusConflict || strings.Contains(body, "<form") || !strings.Contains(html.UnescapeString(body), want) {
					t.Errorf("%s, %s: %d; want 409 saying %q and no form", name, method, resp.StatusCode, want)
				}
			}
		}
		complete := func(uid, ssn string) {
			t.Helper()
			body := strings.Replace(strings.Replace(seedUser, `"type": "individual",`, "", 1), "123-45-6789", ssn, 1)
			if resp, raw := env.srv.Do(t, "PUT", "/v1/users/"+uid, a.headers(), body); resp.StatusCode != http.StatusOK {
				t.Fatalf("complete: %d %s", resp.StatusCode, raw)
			}
			env.awaitJobs(t, 1)
		}
		for i, tt := range []struct{ ssn, status, want string }{
			{"222-22-2222", "REVIEW", "being verified"},
			{"123-45-6789", "VERIFIED", "have been verified"},
		} {
			_, raw := env.srv.Do(t, "POST", "/v1/users", a.headers("Idempotency-Key", fmt.Sprint("u", i)), minimalUser)
			uid := decode[user](t, raw).ID
			link := env.sessionLink(t, a, uid, fmt.Sprint("s", i))
			complete(uid, tt.ssn)
			if got := env.getUser(t, a, uid); got.Status != tt.status {
				t.Fatalf("after the PUT: %s, want %s", got.Status, tt.status)
			}
			closed(tt.status, link, tt.want)
		}

		// Rejected twice with a link made after the first: no attempts left (the app allows 2).
		u := env.createAndSettle(t, a, "bad", withSSN("111-11-1111"))
		link := env.sessionLink(t, a, u.ID, "s-bad")
		if resp, body := page(t, "GET", link, nil); resp.StatusCode != http.StatusOK || !strings.Contains(body, "<form") {
			t.Fatalf("with an attempt left: %d", resp.StatusCode)
		}
		if resp, raw := env.srv.Do(t, "PUT", "/v1/users/"+u.ID, a.headers(), `{"birth_date":"1990-01-16"}`); resp.StatusCode != http.StatusOK {
			t.Fatalf("second attempt: %d %s", resp.StatusCode, raw)
		}
		env.awaitJobs(t, 1)
		if got := env.getUser(t, a, u.ID); got.Status != "REJECTED" || got.VerificationAttempts != 2 {
			t.Fatalf("after the second attempt: %+v", got)
		}
		closed("attempts used", link, "no attempts are left")
	}, func(o *app.Options) { o.MaxAttempts = 2 })
}

// TestHostedCorrectionFormOffersTheCountry: a rejected user can correct every field verification
// checks, the country too, and the fields a US address then needs.
func TestHostedCorrectionFormOffersTheCountry(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, env *testEnv) {
		a := env.tenant(t, "acme")
		// The sandbox rejects this SSN, whatever the country.
		foreign := strings.Replace(withSSN("111-11-1111"), `"address_country": "USA"`, `"address_country": "FRA"`, 1)
		uid := env.createAndSettle(t, a, "u", foreign).ID
		if got := env.getUser(t, a, uid); got.Status != "REJECTED" {
			t.Fatalf("user: %+v", got)
		}
		link := env.sessionLink(t, a, uid, "s")
		resp, body := page(t, "GET", link, nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("page: %d", resp.StatusCode)
		}
		for _, name := range []string{"email", "first_name", "last_name", "birth_date", "document_type", "document_number", "document_country",
			"address_street", "address_city", "address_state", "address_zip_code", "address_country", "ssn"} {
			if !strings.Contains(body, `name="`+name+`"`) {
				t.Errorf("the correction form does not offer %s", name)
			}
		}
		if !strings.Contains(body, `<option value="FRA" selected>`) {
			t.Error("the country on file is not chosen")
		}
		action := formTarget(t, link)
		resp, body = page(t, "POST", action, url.Values{"address_country": {"USA"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("correction of the country: %d %s", resp.StatusCode, body)
		}
		env.awaitJobs(t, 1)
		if got := env.getUser(t, a, uid); got.Status != "REJECTED" || got.VerificationAttempts != 2 {
			t.Errorf("after the correction: %+v", got)
		}
	})
}

// postUploads posts the hosted form as a browser does with files chosen: multipart, the files
// by input name.
func postUploads(t *testing.T, link string, form url.Values, files map[string][]byte) (*http.Response, string) {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for name, values := range form {
		for _, v := range values {
			if err := w.WriteField(name, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	for name, content := range files {
		part, err := w.CreateFormFile(name, name+".bin")
		if err != nil {
			t.Fatal(err)
		}
		_, _ = part.Write(content)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	resp, err := browser.Post(link, w.FormDataContentType(), &body)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(raw)
}

// TestHostedPageTakesIDPhotos: an individual adds photos of their ID, front and back, on the
// hosted page (a plain multipart form), and, under the seed's rules, no other document: a file
// the API would refuse is an error next to its input (and one accepted beside it is to be chosen
// again), a post with more files than the form's a 413; accepted ones become the ID's documents,
// which the API then links to.
func TestHostedPageTakesIDPhotos(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, env *testEnv) {
		a := env.tenant(t, "acme")
		_, raw := env.srv.Do(t, "POST", "/v1/users", a.headers("Idempotency-Key", "u"), minimalUser)
		uid := decode[user](t, raw).ID
		link := env.sessionLink(t, a, uid, "s")
		resp, body := page(t, "GET", link, nil)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, `enctype="multipart/form-data"`) ||
			!strings.Contains(body, `name="id_front" type="file"`) || !strings.Contains(body, `name="id_back" type="file"`) {
			t.Fatalf("page: %d, file inputs missing", resp.StatusCode)
		}
		for _, name := range []string{"proof_of_address", "tax_id", "business_formation", "associated_persons/"} {
			if strings.Contains(body, `name="`+name) {
				t.Errorf("the seed's page asks for %s", name)
			}
		}
		action := formTarget(t, link)
		full := append(jpegFile, make([]byte, kyc.MaxDocumentBytes-len(jpegFile))...)
		resp, body = postUploads(t, action, completeForm(), map[string][]byte{"id_front": full, "id_back": full, "extra": full})
		if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(body, "too large") {
			t.Fatalf("three files of the largest size: %d", resp.StatusCode)
		}
		resp, body = postUploads(t, action, completeForm(), map[string][]byte{"id_front": jpegFile, "id_back": []byte("GIF89a-not-accepted")})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="f-id_back-error"`) || strings.Contains(body, "not-accepted") ||
			!strings.Contains(body, "Photo of your ID, front must be chosen again") {
			t.Fatalf("a GIF: %d %s", resp.StatusCode, body)
		}
		if got := env.getUser(t, a, uid); got.Status != "CREATED" {
			t.Fatalf("the refused post changed the user: %+v", got)
		}
		resp, body = postUploads(t, action, completeForm(), map[string][]byte{"id_front": jpegFile, "id_back": pngFile})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("photos: %d %s", resp.StatusCode, body)
		}
		env.awaitJobs(t, 1)
		_, raw = env.srv.Do(t, "GET", "/v1/users/"+uid, a.headers(), nil)
		ids := decode[docUser](t, raw).IdentifyingInformation
		if len(ids) != 1 || ids[0].Type != "passport" || ids[0].NumberLast4 != "4567" || len(ids[0].Documents) != 2 {
			t.Fatalf("identifying_information = %s", raw)
		}
		for i, want := range [][]byte{jpegFile, pngFile} {
			if resp, got := env.download(t, ids[0].Documents[i].DownloadURL); resp.StatusCode != http.StatusOK || !bytes.Equal(got, want) {
				t.Errorf("document %d: %d", i, resp.StatusCode)
			}
		}
	})
}
