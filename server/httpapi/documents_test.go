package httpapi_test

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/uuid"

	"github.com/kiraapi/kira/openapi"
	"github.com/kiraapi/kira/server/httpapi"
	"github.com/kiraapi/kira/server/kyc"
)

// Files of each accepted kind, by their magic numbers, each with a distinctive body.
var (
	jpegFile = append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, []byte("JPEG-BODY-5e1d7c")...)
	pngFile  = append([]byte("\x89PNG\r\n\x1a\n"), []byte("PNG-BODY-a93f02")...)
	pdfFile  = []byte("%PDF-1.7\nPDF-BODY-7b24c8")
)

func dataURI(mediaType string, b []byte) string {
	return "data:" + mediaType + ";base64," + base64.StdEncoding.EncodeToString(b)
}

// docUser is the part of a user response about identity documents.
type docUser struct {
	ID                     string       `json:"id"`
	UpdatedFields          []string     `json:"updated_fields"`
	IdentifyingInformation []identifier `json:"identifying_information"`
	AssociatedPersons      []struct {
		IdentifyingInformation []identifier `json:"identifying_information"`
	} `json:"associated_persons"`
}

type identifier struct {
	Type        string `json:"type"`
	NumberLast4 string `json:"number_last4"`
	Expiration  string `json:"expiration"`
	Documents   []struct {
		ID          string    `json:"id"`
		Type        string    `json:"type"`
		Source      string    `json:"source"`
		ContentType string    `json:"content_type"`
		FileName    string    `json:"file_name"`
		SizeBytes   int       `json:"size_bytes"`
		DownloadURL string    `json:"download_url"`
		ExpiresAt   time.Time `json:"expires_at"`
	} `json:"documents"`
}

// individualWithDocuments is an incomplete individual with a passport (front and back), a proof
// of address and an SSN whose document is a URL.
func individualWithDocuments() map[string]any {
	return map[string]any{
		"type": "individual", "email": "doc@example.com", "first_name": "Ada",
		"identifying_information": []any{
			map[string]any{"type": "passport", "issuing_country": "USA", "number": "QZ7384512", "expiration": "2031-05-20",
				"documents": []any{
					map[string]any{"type": "front", "file": dataURI("image/jpeg", jpegFile)},
					map[string]any{"type": "back", "file": dataURI("image/jpeg", pngFile)}, // declared wrong: sniffed
				}},
			map[string]any{"type": "tax_id", "documents": []any{map[string]any{"type": "file_proof_of_address", "file": dataURI("application/pdf", pdfFile)}}},
			map[string]any{"type": "ssn", "number": "532-71-9046", "documents": []any{map[string]any{"type": "front", "file": "https://files.example/ssn-card.jpg?token=s3cr3t"}}},
		},
	}
}

// download fetches a document link without credentials.
func (env *testEnv) download(t *testing.T, link string) (*http.Response, []byte) {
	t.Helper()
	path, ok := strings.CutPrefix(link, env.srv.URL)
	if !ok {
		t.Fatalf("the link is not on the server's public URL")
	}
	return env.srv.Do(t, "GET", path, nil, nil)
}

// TestDocuments: a user's identity documents are stored, returned as metadata with working signed
// links (never inline, never the URL given), and a link opens its document alone, for 10
// minutes, for no other tenant, and not after the user's erasure.
func TestDocuments(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, env *testEnv) {
		a, b := env.tenant(t, "acme"), env.tenant(t, "globex")
		resp, raw := env.srv.Do(t, "POST", "/v1/users", a.headers("Idempotency-Key", uuid.NewString()), individualWithDocuments())
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("create: %d %s", resp.StatusCode, raw)
		}
		for _, leak := range []string{"data:", "files.example", "s3cr3t", "QZ7384512", "532-71-9046", base64.StdEncoding.EncodeToString(jpegFile)} {
			if bytes.Contains(raw, []byte(leak)) {
				t.Errorf("the response holds %q", leak)
			}
		}
		u := decode[docUser](t, raw)
		ids := u.IdentifyingInformation
		if len(ids) != 3 || ids[0].NumberLast4 != "4512" || ids[0].Expiration != "2031-05-20" || ids[2].NumberLast4 != "9046" || ids[1].NumberLast4 != "" {
			t.Fatalf("identifying_information = %+v", ids)
		}
		want := []struct {
			doc         int
			id          int
			contentType string
			content     []byte
		}{{0, 0, "image/jpeg", jpegFile}, {0, 1, "image/png", pngFile}, {1, 0, "application/pdf", pdfFile}}
		expires := env.clock.Now().Add(kyc.DocumentLinkTTL).Truncate(time.Second)
		for _, w := range want {
			d := ids[w.doc].Documents[w.id]
			if d.Source != "upload" || d.ContentType != w.contentType || d.SizeBytes != len(w.content) || !d.ExpiresAt.Equal(expires) || d.FileName == "" {
				t.Errorf("document %d/%d = %+v", w.doc, w.id, d)
			}
			resp, got := env.download(t, d.DownloadURL)
			if resp.StatusCode != http.StatusOK || !bytes.Equal(got, w.content) || resp.Header.Get("Content-Type") != w.contentType ||
				resp.Header.Get("Cache-Control") != "private, no-store" || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") {
				t.Errorf("download %d/%d: %d %s %v", w.doc, w.id, resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header)
			}
		}
		if ref := ids[2].Documents[0]; ref.Source != "url" || ref.DownloadURL != "" || ref.ID == "" {
			t.Errorf("the URL document = %+v", ref)
		}

		// Reading the user again: the same documents, fresh links.
		env.clock.Advance(time.Minute)
		_, raw = env.srv.Do(t, "GET", "/v1/users/"+u.ID, a.headers(), nil)
		again := decode[docUser](t, raw)
		if d := again.IdentifyingInformation[0].Documents[0]; d.ID != ids[0].Documents[0].ID || d.DownloadURL == ids[0].Documents[0].DownloadURL {
			t.Errorf("read again: %+v", d)
		}

		// Links that do not open: altered, of another document, of another tenant, expired.
		front := ids[0].Documents[0].DownloadURL
		link, err := url.Parse(front)
		if err != nil {
			t.Fatal(err)
		}
		q := link.Query()
		_, bRaw := env.srv.Do(t, "POST", "/v1/users", b.headers("Idempotency-Key", uuid.NewString()), individualWithDocuments())
		bLink, _ := url.Parse(decode[docUser](t, bRaw).IdentifyingInformation[0].Documents[0].DownloadURL)
		refused := map[string]string{
			"forged signature": strings.Replace(front, q.Get("signature"), strings.Repeat("0", 64), 1),
			"later expiry":     strings.Replace(front, "expires="+q.Get("expires"), fmt.Sprintf("expires=%d", expires.Unix()+3600), 1),
			"another document": strings.Replace(front, ids[0].Documents[0].ID, ids[0].Documents[1].ID, 1),
			"another tenant's signature": strings.Replace(strings.Replace(front, q.Get("signature"), bLink.Query().Get("signature"), 1),
				"expires="+q.Get("expires"), "expires="+bLink.Query().Get("expires"), 1),
		}
		for name, l := range refused {
			if resp, raw := env.download(t, l); resp.StatusCode != http.StatusNotFound {
				t.Errorf("%s: %d %s", name, resp.StatusCode, raw)
			}
		}
		if resp, _ := env.srv.Do(t, "GET", "/v1/users/"+u.ID, b.headers(), nil); resp.StatusCode != http.StatusNotFound {
			t.Errorf("another tenant reads the user: %d", resp.StatusCode)
		}
		env.clock.Advance(kyc.DocumentLinkTTL - time.Minute) // the first links expire now
		if resp, _ := env.download(t, again.IdentifyingInformation[0].Documents[0].DownloadURL); resp.StatusCode != http.StatusOK {
			t.Errorf("a link before its expiry: %d", resp.StatusCode)
		}
		if resp, _ := env.download(t, front); resp.StatusCode != http.StatusNotFound {
			t.Errorf("an expired link: %d", resp.StatusCode)
		}

		// PUT: the same documents are no change; a new back replaces the old one, whose link dies.
		body := individualWithDocuments()
		delete(body, "type")
		resp, raw = env.srv.Do(t, "PUT", "/v1/users/"+u.ID, a.headers(), body)
		if resp.StatusCode != http.StatusOK || len(decode[docUser](t, raw).UpdatedFields) != 0 {
			t.Fatalf("PUT the same documents: %d %s", resp.StatusCode, raw)
		}
		passport := body["identifying_information"].([]any)[0].(map[string]any)
		passport["documents"].([]any)[1] = map[string]any{"type": "back", "file": dataURI("application/pdf", pdfFile)}
		_, raw = env.srv.Do(t, "GET", "/v1/users/"+u.ID, a.headers(), nil)
		oldBack := decode[docUser](t, raw).IdentifyingInformation[0].Documents[1].DownloadURL
		resp, raw = env.srv.Do(t, "PUT", "/v1/users/"+u.ID, a.headers(), body)
		updated := decode[docUser](t, raw)
		if resp.StatusCode != http.StatusOK || !slices.Equal(updated.UpdatedFields, []string{"identifying_information"}) ||
			updated.IdentifyingInformation[0].Documents[0].ID != ids[0].Documents[0].ID || updated.IdentifyingInformation[0].Documents[1].ContentType != "application/pdf" {
			t.Fatalf("PUT a new back: %d %s", resp.StatusCode, raw)
		}
		if resp, _ := env.download(t, oldBack); resp.StatusCode != http.StatusNotFound {
			t.Errorf("the replaced document's link: %d", resp.StatusCode)
		}
		newFront := updated.IdentifyingInformation[0].Documents[0].DownloadURL

		// Erasure deletes the documents: their links die and their rows go.
		if resp, raw := env.srv.Do(t, "POST", "/v1/users/"+u.ID+"/redact", a.headers("Idempotency-Key", uuid.NewString()), nil); resp.StatusCode != http.StatusOK {
			t.Fatalf("redact: %d %s", resp.StatusCode, raw)
		}
		if resp, _ := env.download(t, newFront); resp.StatusCode != http.StatusNotFound {
			t.Errorf("a link after the erasure: %d", resp.StatusCode)
		}
		dump, err := env.inspect.Dump(t.Context(), func(table string) bool { return table == "user_documents" })
		if err != nil {
			t.Fatal(err)
		}
		for _, row := range dump.Rows("user_documents") {
			if row["user_id"] == u.ID {
				t.Errorf("a document of the erased user is left: %v", row["id"])
			}
		}
		if len(dump.Rows("user_documents")) != 3 {
			t.Errorf("%d documents left, want the other tenant's 3", len(dump.Rows("user_documents")))
		}
	})
}

// TestDocumentsRefused: a document that is not what the contract takes is a 400 naming its field
// path without repeating it; too many is the schema's 400; a body over the documents' limit a 413.
func TestDocumentsRefused(t *testing.T) {
	t.Parallel()
	big := make([]byte, kyc.MaxDocumentBytes+1)
	copy(big, pdfFile)
	withFiles := func(files ...string) map[string]any {
		docs := []any{}
		for _, f := range files {
			docs = append(docs, map[string]any{"type": "front", "file": f})
		}
		return map[string]any{"type": "individual", "email": "a@example.com",
			"identifying_information": []any{map[string]any{"type": "passport", "documents": docs}}}
	}
	tooMany := withFiles()
	for range kyc.MaxIdentifyingInformation + 1 {
		tooMany["identifying_information"] = append(tooMany["identifying_information"].([]any), map[string]any{"type": "ssn"})
	}
	business := map[string]any{"type": "business", "email": "b@example.com", "associated_persons": []any{map[string]any{
		"first_name": "A", "last_name": "B", "email": "ab@example.com",
		"identifying_information": []any{map[string]any{"type": "passport", "documents": []any{map[string]any{"type": "front", "file": "data:image/png;base64,R0lGODlh"}}}}}}}
	cases := []struct {
		name   string
		body   any
		status int
		fields []string
	}{
		{"gif", withFiles(dataURI("image/jpeg", []byte("GIF89a-secret-gif"))), 400, []string{"identifying_information/0/documents/0/file"}},
		{"bad base64 and http", withFiles(dataURI("image/png", pngFile), "data:image/png;base64,%%%%", "http://files.example/secret.png"), 400,
			[]string{"identifying_information/0/documents/1/file", "identifying_information/0/documents/2/file"}},
		{"too large", withFiles(dataURI("application/pdf", big)), 400, []string{"identifying_information/0/documents/0/file"}},
		{"too many documents", withFiles(slices.Repeat([]string{dataURI("image/png", pngFile)}, kyc.MaxDocumentsPerItem+1)...), 400, []string{"identifying_information/0/documents"}},
		{"too many items", tooMany, 400, []string{"identifying_information"}},
		{"an associated person's", business, 400, []string{"associated_persons/0/identifying_information/0/documents/0/file"}},
		{"body over 16 MiB", withFiles(slices.Repeat([]string{dataURI("application/pdf", big[:kyc.MaxDocumentBytes])}, 4)...), 413, nil},
	}
	forEachBackend(t, func(t *testing.T, env *testEnv) {
		a := env.tenant(t, "acme")
		for _, c := range cases {
			resp, raw := env.srv.Do(t, "POST", "/v1/users", a.headers("Idempotency-Key", uuid.NewString()), c.body)
			e := decode[struct {
				Code    string `json:"code"`
				Message string `json:"message"`
				Errors  []struct {
					Field string `json:"field"`
				} `json:"errors"`
			}](t, raw)
			var fields []string
			for _, f := range e.Errors {
				fields = append(fields, f.Field)
			}
			if resp.StatusCode != c.status || !slices.Equal(fields, c.fields) {
				t.Errorf("%s: %d %v, want %d %v", c.name, resp.StatusCode, fields, c.status, c.fields)
			}
			if c.status == 413 && e.Message != fmt.Sprintf("The request body must not exceed %d MiB.", httpapi.MaxDocumentBodyBytes>>20) {
				t.Errorf("%s: %s", c.name, e.Message)
			}
			for _, leak := range []string{"secret", "R0lGOD", "%%%%", "files.example"} {
				if bytes.Contains(raw, []byte(leak)) {
					t.Errorf("%s: the error repeats %q: %s", c.name, leak, raw)
				}
			}
		}
	})
}

// TestDocumentLimitsAreTheSpecs: the limits the domain enforces are the ones the spec states.
func TestDocumentLimitsAreTheSpecs(t *testing.T) {
	t.Parallel()
	spec, err := openapi.Load()
	if err != nil {
		t.Fatal(err)
	}
	schema := func(name string) *openapi3.Schema { return spec.Components.Schemas[name].Value }
	download := spec.Paths.Value("/v1/users/{userId}/documents/{documentId}").Get.Responses.Status(200).Value.Content
	checks := []struct {
		what      string
		spec, got uint64
	}{
		{"identifying_information maxItems", *schema("IdentifyingInformationInputList").MaxItems, kyc.MaxIdentifyingInformation},
		{"identifying_information returned maxItems", *schema("IdentifyingInformationList").MaxItems, kyc.MaxIdentifyingInformation},
		{"documents maxItems", *schema("IdentifyingInformationInput").Properties["documents"].Value.MaxItems, kyc.MaxDocumentsPerItem},
		{"file maxLength", *schema("IdentityDocumentInput").Properties["file"].Value.MaxLength, kyc.MaxDocumentFileLength},
		{"size_bytes maximum", uint64(*schema("IdentityDocument").Properties["size_bytes"].Value.Max), kyc.MaxDocumentBytes},
		{"download maxLength", *download.Get("application/pdf").Schema.Value.MaxLength, kyc.MaxDocumentBytes},
	}
	for _, c := range checks {
		if c.spec != c.got {
			t.Errorf("%s: the spec says %d, the server %d", c.what, c.spec, c.got)
		}
	}
	if !strings.Contains(*spec.Components.Responses["DocumentsTooLarge"].Value.Description, fmt.Sprintf("%d MiB", httpapi.MaxDocumentBodyBytes>>20)) {
		t.Errorf("DocumentsTooLarge does not state the body limit of %d MiB", httpapi.MaxDocumentBodyBytes>>20)
	}
}
