package httpapi_test

import (
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/kiraapi/kira/server/app"
	"github.com/kiraapi/kira/server/kyc"
)

// kiraIndividual is the individual of Kira's create-a-user example (docs.kirafin.ai), with its
// identity documents (small files of the accepted kinds, as data URIs): a Mexican tax identifier
// with a proof of address, and a passport with its front. Kira's own rules still miss its gender
// and pep_status.
const kiraIndividual = `{
  "type": "individual", "verification_mode": "automatic",
  "first_name": "Maria", "middle_name": "Elena", "last_name": "Gonzalez", "birth_date": "1990-05-15",
  "email": "maria.gonzalez@example.com", "phone": "+525512345678", "nationality": "MEX",
  "address_street": "Av. Reforma 123", "address_city": "Ciudad de Mexico", "address_state": "CDMX",
  "address_zip_code": "06600", "address_country": "MEX",
  "document_type": "passport", "document_number": "G12345678", "document_country": "MEX",
  "immigration_status": "Non-Resident of U.S.", "employment_status": "employed", "current_employer": "Self",
  "occupation": "Software Engineer", "account_purpose": "receive_payments", "source_of_funds": "salary",
  "additional_info": {"has_us_bank_account": "no", "has_denied_bank_account": "no"},
  "external_id": "crm-maria", "metadata": {"crm_id": "7"},
  "identifying_information": [
    {"type": "tax_id", "issuing_country": "MEX", "number": "GOGM900515AB1", "documents": [
      {"type": "file_proof_of_address", "file": "data:application/pdf;base64,JVBERi0xLjcKcHJvb2Ygb2YgYWRkcmVzcw=="}]},
    {"type": "passport", "issuing_country": "MEX", "number": "G12345678", "expiration": "2031-05-20", "documents": [
      {"type": "front", "file": "data:image/jpeg;base64,/9j/4HBhc3Nwb3J0IGZyb250"}]}
  ]
}`

// kiraBusiness is a US business with every field of Kira's fuller KYB list, its documents (a proof
// of address and a formation document, with its EIN as a tax identifier) and its person's
// driver's license, front and back.
const kiraBusiness = `{
  "type": "business", "email": "finance@acme.example", "phone": "+14155550123",
  "business_legal_name": "Acme Widgets LLC", "doing_business_as": "Acme", "business_type": "limited_liability_company",
  "business_industry": ["data_processing_hosting_related_services", "computer_electronic_product_manufacturing"],
  "business_description": "Makes and sells widgets.", "business_website": "https://acme.example",
  "formation_date": "2015-06-01", "formation_state": "DE", "formation_country": "USA", "ein": "12-3456789",
  "address_street": "500 Market St", "address_city": "San Francisco", "address_state": "CA",
  "address_zip_code": "94105", "address_country": "USA",
  "representative_first_name": "Jane", "representative_last_name": "Roe", "representative_title": "President",
  "representative_birth_date": "1980-03-02", "representative_ssn": "123-45-6789",
  "source_of_funds": "sales_of_goods_and_services", "account_purpose": "receive_payments_for_goods_and_services",
  "pep_status": "false", "additional_info": {"has_us_bank_account": "yes", "has_denied_bank_account": "no"},
  "external_id": "crm-acme",
  "associated_persons": [{
    "first_name": "Jane", "last_name": "Roe", "email": "jane.roe@acme.example", "birth_date": "1980-03-02",
    "ssn": "123-45-6789", "nationality": "USA", "gender": "female", "occupation": "Chief Executive",
    "phone_number": "+14155550124", "document_number": "X1234567", "document_country": "USA",
    "residential_address": {"street_line_1": "1 Main St", "street_line_2": "Apt 2", "city": "San Francisco",
      "subdivision": "CA", "postal_code": "94105", "country": "USA"},
    "ownership_percentage": 60, "is_signer": true, "has_ownership": true,
    "identifying_information": [{"type": "drivers_license", "issuing_country": "USA", "number": "X1234567", "documents": [
      {"type": "front", "file": "data:image/png;base64,iVBORw0KGgpsaWNlbnNlIGZyb250"},
      {"type": "back", "file": "data:image/png;base64,iVBORw0KGgpsaWNlbnNlIGJhY2s="}]}]
  }],
  "identifying_information": [
    {"type": "tax_id", "issuing_country": "USA", "number": "12-3456789", "documents": [
      {"type": "file_proof_of_address", "file": "data:application/pdf;base64,JVBERi0xLjcKcHJvb2Ygb2YgYWRkcmVzcw=="},
      {"type": "file_business_formation", "file": "data:application/pdf;base64,JVBERi0xLjcKYXJ0aWNsZXMgb2Ygb3JnYW5pemF0aW9u"}]}
  ]
}`

func kiraRules(o *app.Options) { o.Requirements = kyc.KiraRequirements }

// without returns the JSON object body without the named members.
func without(t *testing.T, body string, names ...string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		delete(m, n)
	}
	return m
}

// TestKiraExamplesUnderKiraRules: with KIRA_REQUIREMENTS=kira, Kira's example payloads, with their
// identity documents, create users that read back with every field sent (secrets and numbers as
// their last four, files as their metadata), and verification starts only once the user is
// complete under Kira's lists: the individual example misses gender and pep_status; without its
// documents an individual stays CREATED, the documents' tokens in missing_fields, until a PUT
// gives them; the business starts at once, and neither without its industry nor without its
// documents.
func TestKiraExamplesUnderKiraRules(t *testing.T) {
	t.Parallel()
	_, returned := loadSpec(t)
	forEachBackend(t, func(t *testing.T, env *testEnv) {
		a := env.tenant(t, "acme")
		readBack := func(name, id string, sent map[string]any) {
			t.Helper()
			_, raw := env.srv.Do(t, "GET", "/v1/users/"+id, a.headers(), nil)
			delete(sent, "type")
			for _, problem := range kept(returned, name+".", sent, decode[map[string]any](t, raw)) {
				t.Error(problem)
			}
		}

		resp, raw := env.srv.Do(t, "POST", "/v1/users", a.headers("Idempotency-Key", "kira-individual"), kiraIndividual)
		u := decode[user](t, raw)
		if resp.StatusCode != http.StatusCreated || u.Status != "CREATED" || u.VerificationTriggered ||
			!slices.Equal(u.MissingFields, []string{"gender", "pep_status"}) {
			t.Fatalf("individual: %d %s", resp.StatusCode, raw)
		}
		readBack("individual", u.ID, without(t, kiraIndividual))
		resp, raw = env.srv.Do(t, "POST", "/v1/users", a.headers("Idempotency-Key", "kira-individual-no-phone"), without(t, kiraIndividual, "phone", "email"))
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("without an email: %d %s", resp.StatusCode, raw)
		}
		documents := []string{kyc.TokenTaxIdentifier, kyc.TokenGovernmentIDFront, kyc.TokenProofOfAddress}
		bare := without(t, kiraIndividual, "phone", "identifying_information")
		bare["email"] = "maria.two@example.com"
		_, raw = env.srv.Do(t, "POST", "/v1/users", a.headers("Idempotency-Key", "kira-individual-no-phone"), bare)
		id := decode[user](t, raw).ID
		// Identity data that leaves the user incomplete starts nothing, nor does the phone,
		// contact data; the documents complete the user and start verification.
		resp, raw = env.srv.Do(t, "PUT", "/v1/users/"+id, a.headers(), map[string]string{"gender": "female", "pep_status": "false"})
		if u := decode[user](t, raw); resp.StatusCode != http.StatusOK || u.VerificationTriggered || !slices.Equal(u.MissingFields, append([]string{"phone"}, documents...)) {
			t.Fatalf("individual without a phone and documents: %d %s", resp.StatusCode, raw)
		}
		resp, raw = env.srv.Do(t, "PUT", "/v1/users/"+id, a.headers(), map[string]string{"phone": "+525512345678"})
		if u := decode[user](t, raw); resp.StatusCode != http.StatusOK || u.VerificationTriggered || u.Status != "CREATED" || !slices.Equal(u.MissingFields, documents) {
			t.Fatalf("individual without documents: %d %s", resp.StatusCode, raw)
		}
		resp, raw = env.srv.Do(t, "PUT", "/v1/users/"+id, a.headers(), map[string]any{"identifying_information": without(t, kiraIndividual)["identifying_information"]})
		if u := decode[user](t, raw); resp.StatusCode != http.StatusOK || !u.VerificationTriggered || u.Status != "VERIFYING" || len(u.MissingFields) != 0 {
			t.Fatalf("individual completed: %d %s", resp.StatusCode, raw)
		}
		env.awaitJobs(t, 1)

		resp, raw = env.srv.Do(t, "POST", "/v1/users", a.headers("Idempotency-Key", "kira-business-no-industry"), without(t, kiraBusiness, "business_industry"))
		if u := decode[user](t, raw); resp.StatusCode != http.StatusCreated || u.VerificationTriggered || !slices.Equal(u.MissingFields, []string{"business_industry"}) {
			t.Fatalf("business without an industry: %d %s", resp.StatusCode, raw)
		}
		bare = without(t, kiraBusiness, "identifying_information")
		delete(bare["associated_persons"].([]any)[0].(map[string]any), "identifying_information")
		resp, raw = env.srv.Do(t, "POST", "/v1/users", a.headers("Idempotency-Key", "kira-business-no-documents"), bare)
		if u := decode[user](t, raw); resp.StatusCode != http.StatusCreated || u.VerificationTriggered || u.Status != "CREATED" ||
			!slices.Equal(u.MissingFields, []string{kyc.TokenProofOfAddress, kyc.TokenBusinessFormation, kyc.TokenPersonsIDFront}) {
			t.Fatalf("business without documents: %d %s", resp.StatusCode, raw)
		}
		b := env.createAndSettle(t, a, "kira-business", kiraBusiness)
		if b.Status != "VERIFIED" || b.VerificationAttempts != 1 {
			t.Errorf("business: %+v", b)
		}
		readBack("business", b.ID, without(t, kiraBusiness))
	}, kiraRules)
}

// TestKiraFieldsValidated: each value outside its documented enum or format is a 400 naming the
// field, all in one answer, never repeating the value; a value of the other user type's list is
// refused too.
func TestKiraFieldsValidated(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, env *testEnv) {
		a := env.tenant(t, "acme")
		tests := []struct {
			name string
			body map[string]any
			want []string
		}{
			{"individual enums and formats", map[string]any{
				"type": "individual", "email": "bad@example.com", "gender": "unknown", "nationality": "MX",
				"immigration_status": "citizen", "employment_status": "busy", "source_of_funds": "lottery_winnings",
				"account_purpose": "hoarding", "pep_status": true, "metadata": map[string]any{"vip": true},
				"external_id": "", "verification_mode": "manual",
				"additional_info": map[string]any{"has_us_bank_account": "maybe", "has_denied_bank_account": "No"},
			}, []string{"account_purpose", "additional_info/has_denied_bank_account", "additional_info/has_us_bank_account",
				"employment_status", "external_id", "gender", "immigration_status", "metadata/vip", "nationality", "pep_status",
				"source_of_funds", "verification_mode"}},
			{"business enums and formats", map[string]any{
				"type": "business", "email": "bad@example.com", "business_industry": "technology", "formation_country": "US",
				"associated_persons": []any{map[string]any{"first_name": "A", "last_name": "B", "email": "a@example.com",
					"gender": "x", "phone_number": "5550100", "residential_address": map[string]any{"country": "Mexico", "city": ""}}},
			}, []string{"associated_persons/0/gender", "associated_persons/0/phone_number", "associated_persons/0/residential_address/city",
				"associated_persons/0/residential_address/country", "business_industry", "formation_country"}},
			{"an unknown industry", map[string]any{"type": "business", "email": "bad@example.com", "business_industry": []string{"technology"}},
				[]string{"business_industry/0"}},
			{"an individual's values of the business lists", map[string]any{
				"type": "individual", "email": "bad@example.com", "source_of_funds": "company_funds", "account_purpose": "internal_treasury",
			}, []string{"account_purpose", "source_of_funds"}},
			{"a business's value of the individual list", map[string]any{
				"type": "business", "email": "bad@example.com", "account_purpose": "manage_personal_funds",
			}, []string{"account_purpose"}},
			{"the other type's fields", map[string]any{
				"type": "individual", "email": "bad@example.com", "business_industry": []string{"crop_production"}, "formation_state": "DE",
			}, []string{"business_industry", "formation_state"}},
		}
		for i, tt := range tests {
			resp, raw := env.srv.Do(t, "POST", "/v1/users", a.headers("Idempotency-Key", "bad-"+string(rune('a'+i))), tt.body)
			var got []string
			for _, f := range decode[errorBody](t, raw).Errors {
				got = append(got, f.Field)
			}
			slices.Sort(got)
			got = slices.Compact(got) // a value can break two rules of its schema
			if resp.StatusCode != http.StatusBadRequest || !slices.Equal(got, tt.want) {
				t.Errorf("%s: %d, fields %v, want %v", tt.name, resp.StatusCode, got, tt.want)
			}
			for _, leak := range []string{"lottery", "hoarding", "technology", "Mexico", "5550100", "internal_treasury"} {
				if strings.Contains(string(raw), leak) {
					t.Errorf("%s: the answer repeats %q", tt.name, leak)
				}
			}
		}
	})
}

// TestCreateWithAVerificationLink: in verification_link mode a create, even of a complete user,
// starts no verification and returns the hosted link, whose session is the user's (listed, with
// the redirect_uri given); a replay returns the same link. The mode's minimum is required,
// redirect_uri belongs to it, and without one the page thanks the end user itself. external_id
// and verification_mode are set by the create only.
func TestCreateWithAVerificationLink(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, env *testEnv) {
		a := env.tenant(t, "acme")
		body := strings.Replace(seedUser, `"type": "individual",`, `"type": "individual", "verification_mode": "verification_link", "redirect_uri": "https://yourapp.example/done",`, 1)
		resp, raw := env.srv.Do(t, "POST", "/v1/users", a.headers("Idempotency-Key", "link-user"), body)
		var created struct {
			user
			VerificationMode string `json:"verification_mode"`
			VerificationLink string `json:"verification_link"`
		}
		if err := json.Unmarshal(raw, &created); err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusCreated || created.Status != "CREATED" || created.VerificationTriggered ||
			created.VerificationMode != "verification_link" || !strings.HasPrefix(created.VerificationLink, env.srv.URL+"/verify/") {
			t.Fatalf("create: %d %s", resp.StatusCode, raw)
		}
		if _, again := env.srv.Do(t, "POST", "/v1/users", a.headers("Idempotency-Key", "link-user"), body); !strings.Contains(string(again), created.VerificationLink) {
			t.Errorf("replay: %s", again)
		}
		_, raw = env.srv.Do(t, "GET", "/v1/users/"+created.ID+"/verifications", a.headers(), nil)
		list := decode[struct{ Data []session }](t, raw).Data
		if len(list) != 1 || list[0].ProviderLink != created.VerificationLink || list[0].RedirectURI != "https://yourapp.example/done" || list[0].Status != "pending" {
			t.Errorf("sessions: %s", raw)
		}
		if resp, body := page(t, http.MethodGet, created.VerificationLink, nil); resp.StatusCode != http.StatusOK || !strings.Contains(body, `<form method="post"`) {
			t.Errorf("link: %d", resp.StatusCode)
		}
		_, raw = env.srv.Do(t, "GET", "/v1/users/"+created.ID, a.headers(), nil)
		if got := decode[map[string]any](t, raw); got["status"] != "CREATED" || got["verification_mode"] != "verification_link" || got["verification_link"] != nil {
			t.Errorf("read back: %s", raw)
		}

		resp, raw = env.srv.Do(t, "POST", "/v1/users", a.headers("Idempotency-Key", "link-default"),
			map[string]any{"type": "business", "email": "b@example.com", "business_legal_name": "Acme", "verification_mode": "verification_link"})
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("create without redirect_uri: %d %s", resp.StatusCode, raw)
		}
		_, raw = env.srv.Do(t, "GET", "/v1/users/"+decode[user](t, raw).ID+"/verifications", a.headers(), nil)
		completed := decode[struct{ Data []session }](t, raw).Data[0].RedirectURI
		if resp, body := page(t, http.MethodGet, completed+"?user_id=x&session_id=y&status=VERIFYING", nil); completed != env.srv.URL+"/verify/completed" ||
			resp.StatusCode != http.StatusOK || !strings.Contains(body, "Thank you") {
			t.Errorf("default redirect %s: %d", completed, resp.StatusCode)
		}

		for i, tt := range []struct {
			name string
			body map[string]any
			want []string
		}{
			{"an individual without a name", map[string]any{"type": "individual", "email": "i@example.com", "verification_mode": "verification_link"},
				[]string{"first_name", "last_name"}},
			{"a business without a name", map[string]any{"type": "business", "email": "b@example.com", "verification_mode": "verification_link"},
				[]string{"business_legal_name"}},
			{"redirect_uri in automatic mode", map[string]any{"type": "individual", "email": "i@example.com", "redirect_uri": "https://yourapp.example/done"},
				[]string{"redirect_uri"}},
		} {
			resp, raw := env.srv.Do(t, "POST", "/v1/users", a.headers("Idempotency-Key", "link-refused-"+string(rune('a'+i))), tt.body)
			var got []string
			for _, f := range decode[errorBody](t, raw).Errors {
				got = append(got, f.Field)
			}
			if resp.StatusCode != http.StatusBadRequest || !slices.Equal(got, tt.want) {
				t.Errorf("%s: %d %s", tt.name, resp.StatusCode, raw)
			}
		}

		for _, field := range []string{"external_id", "verification_mode"} {
			resp, raw := env.srv.Do(t, "PUT", "/v1/users/"+created.ID, a.headers(), map[string]any{field: "verification_link", "phone": "+14155550100"})
			e := decode[errorBody](t, raw)
			if resp.StatusCode != http.StatusBadRequest || len(e.Errors) != 1 || e.Errors[0].Field != field || e.Errors[0].Message != kyc.MsgCreateOnly {
				t.Errorf("PUT %s: %d %s", field, resp.StatusCode, raw)
			}
		}
	})
}

// TestHostedPageAsksForKiraFields: under Kira's rules the hosted page of a user created in
// verification_link mode asks for what Kira's lists add (a business's industries as a multiple
// choice) and the identity documents the user lacks, and a multipart post of them, the page alone,
// completes an individual, a business without associated persons (the page adds one) and a
// business whose person has no ID: verification starts with every value and document stored.
func TestHostedPageAsksForKiraFields(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, env *testEnv) {
		a := env.tenant(t, "acme")
		link := func(key string, body map[string]any) (string, string) {
			t.Helper()
			body["verification_mode"] = "verification_link"
			resp, raw := env.srv.Do(t, "POST", "/v1/users", a.headers("Idempotency-Key", key), body)
			var created struct {
				user
				VerificationLink string `json:"verification_link"`
			}
			if err := json.Unmarshal(raw, &created); err != nil || resp.StatusCode != http.StatusCreated {
				t.Fatalf("create %s: %d %s", key, resp.StatusCode, raw)
			}
			return created.ID, created.VerificationLink
		}
		asks := func(who, body string, names ...string) {
			t.Helper()
			for _, name := range names {
				if !strings.Contains(body, `name="`+name+`"`) {
					t.Errorf("the %s's page does not ask for %s", who, name)
				}
			}
		}
		read := func(id string) (map[string]any, docUser) {
			t.Helper()
			env.awaitJobs(t, 1)
			_, raw := env.srv.Do(t, "GET", "/v1/users/"+id, a.headers(), nil)
			return decode[map[string]any](t, raw), decode[docUser](t, raw)
		}

		// An individual: the fields, the ID photos, a proof of address and, for an address in
		// Mexico, a tax identification number.
		id, individual := link("kira-link-individual", map[string]any{"type": "individual", "email": "i@example.com", "first_name": "Ada", "last_name": "Lovelace"})
		_, body := page(t, http.MethodGet, individual, nil)
		asks("individual", body, "phone", "nationality", "gender", "employment_status", "current_employer", "occupation", "source_of_funds",
			"account_purpose", "pep_status", "id_front", "id_back", "tax_id", "proof_of_address")
		if !strings.Contains(body, `<option value="receive_salary">Receive salary</option>`) || strings.Contains(body, `value="internal_treasury"`) {
			t.Error("the individual's page does not offer the individual list of account purposes")
		}
		action := formTarget(t, individual)
		form := url.Values{"phone": {"+525512345678"}, "nationality": {"MEX"}, "gender": {"female"},
			"employment_status": {"employed"}, "current_employer": {"Self"}, "occupation": {"Engineer"}, "source_of_funds": {"salary"},
			"account_purpose": {"receive_salary"}, "pep_status": {"false"}, "birth_date": {"1990-05-15"}, "document_type": {"passport"},
			"document_number": {"G12345678"}, "document_country": {"MEX"}, "address_street": {"Av. Reforma 123"},
			"address_city": {"Ciudad de Mexico"}, "address_state": {"CMX"}, "address_zip_code": {"06600"}, "address_country": {"MEX"}}
		resp, body := postUploads(t, action, form, nil)
		text := html.UnescapeString(body)
		for _, want := range []string{`id="f-id_front-error">Photo of your ID, front is required`, `id="f-tax_id-error">Tax identification number is required`,
			`id="f-proof_of_address-error">Proof of address is required`} {
			if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(text, want) {
				t.Errorf("a post without documents: %d, the page does not say %q", resp.StatusCode, want)
			}
		}
		form.Set("tax_id", "GOGM900515AB1")
		resp, body = postUploads(t, action, form, map[string][]byte{"id_front": jpegFile, "proof_of_address": pdfFile})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("individual's post: %d %s", resp.StatusCode, body)
		}
		got, docs := read(id)
		if got["status"] != "VERIFIED" || len(got["missing_fields"].([]any)) != 0 || len(docs.IdentifyingInformation) != 2 ||
			docs.IdentifyingInformation[0].Type != "passport" || docs.IdentifyingInformation[0].Documents[0].Type != "front" ||
			docs.IdentifyingInformation[1].Type != "tax_id" || docs.IdentifyingInformation[1].NumberLast4 != "5AB1" ||
			docs.IdentifyingInformation[1].Documents[0].Type != "file_proof_of_address" {
			t.Errorf("the individual after the post: %v", got)
		}

		// A business without associated persons: its documents, and one person with their ID.
		business := without(t, kiraBusiness, "business_industry", "phone", "pep_status", "account_purpose", "identifying_information", "associated_persons")
		id, link1 := link("kira-link-business", business)
		_, body = page(t, http.MethodGet, link1, nil)
		if !strings.Contains(body, `name="business_industry" multiple`) || !strings.Contains(html.UnescapeString(body), "Purpose of the account") {
			t.Errorf("the business's page does not ask for its industries and account purpose")
		}
		asks("business", body, "proof_of_address", "business_formation", "associated_persons/0/first_name", "associated_persons/0/last_name",
			"associated_persons/0/email", "associated_persons/0/birth_date", "associated_persons/0/id_type", "associated_persons/0/id_front")
		if strings.Contains(body, `name="id_front"`) || strings.Contains(body, `name="tax_id"`) {
			t.Error("the business's page asks for an individual's documents")
		}
		action = formTarget(t, link1)
		form = url.Values{"phone": {"+14155550123"}, "pep_status": {"false"}, "account_purpose": {"internal_treasury"},
			"business_industry": {"crop_production", "animal_production"}, "associated_persons/0/first_name": {"Jane"},
			"associated_persons/0/last_name": {"Roe"}, "associated_persons/0/email": {"jane@acme.example"},
			"associated_persons/0/birth_date": {"1980-03-02"}, "associated_persons/0/id_type": {"passport"}}
		resp, body = postUploads(t, action, form, map[string][]byte{"proof_of_address": pdfFile})
		if text := html.UnescapeString(body); resp.StatusCode != http.StatusUnprocessableEntity ||
			!strings.Contains(text, `id="f-associated_persons-0-id_front-error">Photo of the person's ID, front is required`) ||
			!strings.Contains(text, `id="f-business_formation-error">Business formation document is required`) ||
			!strings.Contains(text, `id="f-proof_of_address-error">Proof of the business's address must be chosen again`) ||
			!strings.Contains(text, `value="jane@acme.example"`) || strings.Contains(text, "1980-03-02") {
			t.Errorf("a post without the person's ID: %d", resp.StatusCode)
		}
		resp, body = postUploads(t, action, form, map[string][]byte{"proof_of_address": pdfFile, "business_formation": pdfFile,
			"associated_persons/0/id_front": pngFile})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("business's post: %d %s", resp.StatusCode, body)
		}
		got, docs = read(id)
		persons, _ := got["associated_persons"].([]any)
		if got["status"] != "VERIFIED" || !slices.Equal(jsonStrings(got["business_industry"]), []string{"crop_production", "animal_production"}) ||
			got["account_purpose"] != "internal_treasury" || len(persons) != 1 || persons[0].(map[string]any)["email"] != "jane@acme.example" ||
			len(docs.IdentifyingInformation) != 1 || len(docs.IdentifyingInformation[0].Documents) != 2 ||
			docs.AssociatedPersons[0].IdentifyingInformation[0].Type != "passport" {
			t.Errorf("the business after the post: %v", got)
		}

		// A business whose person has no ID: that person's ID type and photos.
		business = without(t, kiraBusiness, "identifying_information")
		delete(business["associated_persons"].([]any)[0].(map[string]any), "identifying_information")
		business["email"] = "finance2@acme.example"
		id, link2 := link("kira-link-business-person", business)
		_, body = page(t, http.MethodGet, link2, nil)
		asks("business with a person", body, "proof_of_address", "business_formation", "associated_persons/0/id_type",
			"associated_persons/0/id_front", "associated_persons/0/id_back")
		if strings.Contains(body, `name="associated_persons/0/first_name"`) || !strings.Contains(body, "<legend>ID of Jane Roe</legend>") {
			t.Error("the page asks for a person the business has already")
		}
		action = formTarget(t, link2)
		resp, body = postUploads(t, action, url.Values{"associated_persons/0/id_type": {"drivers_license"}},
			map[string][]byte{"proof_of_address": pdfFile, "business_formation": pdfFile, "associated_persons/0/id_front": jpegFile,
				"associated_persons/0/id_back": pngFile})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("post of the person's ID: %d %s", resp.StatusCode, body)
		}
		got, docs = read(id)
		if p := docs.AssociatedPersons[0].IdentifyingInformation; got["status"] != "VERIFIED" || len(p) != 1 || p[0].Type != "drivers_license" ||
			p[0].NumberLast4 != "4567" || len(p[0].Documents) != 2 {
			t.Errorf("the business with a person after the post: %v", got)
		}
	}, kiraRules)
}

// jsonStrings is a decoded JSON list of strings.
func jsonStrings(v any) []string {
	list, _ := v.([]any)
	out := make([]string, len(list))
	for i, s := range list {
		out[i], _ = s.(string)
	}
	return out
}
