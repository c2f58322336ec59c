package httpapi_test

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
)

// TestPersonalDataNeverLeaves creates users whose personal data is distinctive, through the API
// and its idempotent replay cache, sends invalid requests full of it, downloads a document, and
// then looks for it in the raw database and in the logs: neither the secrets (document numbers
// and files included) nor the emails (in the users and in their user.created events) are there in
// the clear, nor a download link's signature in the logs.
func TestPersonalDataNeverLeaves(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, env *testEnv) {
		a := env.tenant(t, "acme")
		individual := strings.NewReplacer("123-45-6789", "532-71-9046", "AB1234567", "QZ7384512", "1990-01-15", "1961-07-29").Replace(seedUser)
		business := `{"type":"business","email":"finance@acme.example","business_legal_name":"Acme","business_type":"corporation",
			"formation_date":"2015-06-01","ein":"47-9281736","representative_first_name":"Jane","representative_last_name":"Roe",
			"representative_birth_date":"1958-02-17","representative_ssn":"618-40-2957",
			"associated_persons":[{"first_name":"Al","last_name":"Bo","email":"al@acme.example","ssn":"704-18-3365","birth_date":"1949-11-23"}]}`
		fileBytes := []byte("%PDF-1.7 FILE-BYTES-8d2e41")
		withDocuments := `{"type":"individual","email":"docs@example.com","identifying_information":[{"type":"passport","number":"QZ5528193",
			"documents":[{"type":"front","file":"` + dataURI("application/pdf", fileBytes) + `"}]}]}`
		var ids []string
		for i, body := range []string{individual, business, withDocuments} {
			resp, raw := env.srv.Do(t, "POST", "/v1/users", a.headers("Idempotency-Key", "pii-"+string(rune('a'+i))), body)
			if resp.StatusCode != http.StatusCreated {
				t.Fatalf("create: %d %s", resp.StatusCode, raw)
			}
			ids = append(ids, decode[user](t, raw).ID)
		}
		// Invalid requests that carry personal data: their errors and logs must not repeat it.
		env.srv.Do(t, "POST", "/v1/users", a.headers("Idempotency-Key", "pii-bad"),
			`{"type":"individual","email":"x@example.com","ssn":"532-71-90461","birth_date":"1961-13-29","document_number":"QZ7384512!"}`)
		env.srv.Do(t, "GET", "/v1/users?email=not-an-email-532-71-9046", a.headers(), nil)
		env.srv.Do(t, "POST", "/v1/users", a.headers("Idempotency-Key", "pii-bad-document"),
			`{"type":"individual","email":"x@example.com","identifying_information":[{"type":"passport","number":"QZ5528193!",
			"documents":[{"type":"front","file":"`+dataURI("image/gif", append([]byte("GIF89a"), fileBytes...))+`"}]}]}`)
		// A download: its signed link is a credential, which the access log must not keep either.
		_, got := env.srv.Do(t, "GET", "/v1/users/"+ids[2], a.headers(), nil)
		link := decode[docUser](t, got).IdentifyingInformation[0].Documents[0].DownloadURL
		if resp, _ := env.download(t, link); resp.StatusCode != http.StatusOK {
			t.Fatalf("download: %d", resp.StatusCode)
		}
		signature := link[strings.LastIndex(link, "=")+1:]

		secrets := []string{
			"532-71-9046", "532719046", "QZ7384512", "1961-07-29", "47-9281736", "479281736",
			"1958-02-17", "618-40-2957", "618402957", "704-18-3365", "704183365", "1949-11-23",
			"QZ5528193", "FILE-BYTES-8d2e41", base64.StdEncoding.EncodeToString(fileBytes), signature,
		}
		env.stopWorkers()
		logs := env.logs.String()
		raw, err := env.inspect.RawContents(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if len(raw) < 1000 || !bytes.Contains(raw, []byte(ids[1])) {
			t.Fatalf("raw contents look empty (%d bytes): the test would prove nothing", len(raw))
		}
		// Every field is sealed, the contact data of the users and of their events included.
		secrets = append(secrets, "finance@acme.example", "al@acme.example")
		for _, s := range secrets {
			if bytes.Contains(raw, []byte(s)) {
				t.Errorf("the database holds %q in plaintext", s)
			}
			if strings.Contains(logs, s) {
				t.Errorf("the logs hold %q", s)
			}
		}
		if !strings.Contains(logs, `"route":"/v1/users"`) {
			t.Errorf("no access log lines were captured: %.300s", logs)
		}
	})
}
