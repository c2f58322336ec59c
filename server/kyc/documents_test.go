package kyc_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kiraapi/kira/server/kyc"
)

// The smallest files of each accepted kind, by their magic numbers.
var (
	jpegFile = append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, []byte("jpeg body")...)
	pngFile  = append([]byte("\x89PNG\r\n\x1a\n"), []byte("png body")...)
	pdfFile  = []byte("%PDF-1.7\nbody")
)

func dataURI(mediaType string, b []byte) string {
	return "data:" + mediaType + ";base64," + base64.StdEncoding.EncodeToString(b)
}

// hasher is a KeyHasher for tests: HMAC-SHA-256 under a fixed key.
type hasher struct{}

func (hasher) Hash(purpose, value string) string {
	m := hmac.New(sha256.New, []byte("test key"))
	m.Write([]byte(purpose + "\x00" + value))
	return hex.EncodeToString(m.Sum(nil))
}

func withDocuments(f kyc.Fields, files ...string) kyc.Fields {
	item := kyc.IdentifyingInformation{Type: "passport", IssuingCountry: "USA", Number: "X1234567"}
	for i, file := range files {
		item.Documents = append(item.Documents, kyc.Document{Type: []string{"front", "back", "file_proof_of_address"}[i%3], File: file})
	}
	f.IdentifyingInformation = []kyc.IdentifyingInformation{item}
	return f
}

// TestDocumentFiles: which files a create accepts, what it keeps of them, and that each refusal
// names the file's field path without its value.
func TestDocumentFiles(t *testing.T) {
	t.Parallel()
	big := make([]byte, kyc.MaxDocumentBytes+1)
	copy(big, pdfFile)
	cases := []struct {
		name, file, contentType, source, refusal string
	}{
		{"jpeg", dataURI("image/jpeg", jpegFile), kyc.ContentJPEG, kyc.SourceUpload, ""},
		{"png declared as jpeg", dataURI("image/jpeg", pngFile), kyc.ContentPNG, kyc.SourceUpload, ""},
		{"pdf", dataURI("application/pdf", pdfFile), kyc.ContentPDF, kyc.SourceUpload, ""},
		{"https url", "https://files.example/id.jpg", "", kyc.SourceURL, ""},
		{"gif", dataURI("image/jpeg", []byte("GIF89a....")), "", "", "must be a JPEG, PNG or PDF file (checked by its content)"},
		{"bad base64", "data:image/jpeg;base64,@@@@", "", "", "must be valid base64 after the comma"},
		{"not base64 encoded", "data:image/jpeg,abc", "", "", "must be a base64 data URI (data:<type>;base64,...)"},
		{"empty", "data:image/jpeg;base64,", "", "", "must not be empty"},
		{"too large", dataURI("application/pdf", big), "", "", "must be at most 3145728 bytes once decoded"},
		{"http url", "http://files.example/id.jpg", "", "", "must be a data URI (data:<type>;base64,...) or an https URL"},
		{"url with credentials", "https://user:pw@files.example/id.jpg", "", "", "must not carry user information in the URL"},
		{"url too long", "https://files.example/" + strings.Repeat("a", kyc.MaxDocumentURLLength), "", "", "must be at most 2048 characters as a URL"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			svc := kyc.NewUserService(newMemStore(), kyc.WithClock(func() time.Time { return time.Date(2026, 11, 25, 20, 0, 0, 0, time.UTC) }))
			res, err := svc.CreateUser(t.Context(), "t1", kyc.Individual, withDocuments(kyc.Fields{Email: "a@example.com"}, c.file), "")
			if c.refusal != "" {
				var e *kyc.Error
				if !errors.As(err, &e) || len(e.Fields) != 1 || e.Fields[0].Field != "identifying_information/0/documents/0/file" || e.Fields[0].Message != c.refusal {
					t.Fatalf("create = %v (%+v), want the refusal %q of the file", err, e, c.refusal)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			d := res.User.Fields.IdentifyingInformation[0].Documents[0]
			if d.ID == "" || d.ContentType != c.contentType || d.Source != c.source || d.File != "" || d.Digest == "" || d.UploadedAt.IsZero() {
				t.Errorf("document = %+v", d)
			}
			if (d.Source == kyc.SourceUpload) != (d.Content != nil) || (d.Source == kyc.SourceURL) != (d.URL == c.file) {
				t.Errorf("document keeps content %t and URL %t", d.Content != nil, d.URL != "")
			}
		})
	}
}

// TestDocumentChanges: a document sent again unchanged is no change and keeps its id; another
// file, or another number, is an identity change.
func TestDocumentChanges(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	svc := kyc.NewUserService(newMemStore())
	res, err := svc.CreateUser(ctx, "t1", kyc.Individual, withDocuments(kyc.Fields{Email: "a@example.com"}, dataURI("image/jpeg", jpegFile)), "")
	if err != nil {
		t.Fatal(err)
	}
	id := res.User.ID
	stored := res.User.Fields.IdentifyingInformation[0].Documents[0].ID
	update := func(f kyc.Fields) *kyc.Result {
		t.Helper()
		var p kyc.Patch
		if err := p.Set("identifying_information", f.IdentifyingInformation); err != nil {
			t.Fatal(err)
		}
		res, err := svc.UpdateUser(ctx, "t1", id, p)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	if res := update(withDocuments(kyc.Fields{}, dataURI("image/png", jpegFile))); len(res.Updated) != 0 {
		t.Errorf("the same file sent again changed %v", res.Updated)
	}
	res = update(withDocuments(kyc.Fields{}, dataURI("image/jpeg", jpegFile), dataURI("image/png", pngFile)))
	docs := res.User.Fields.IdentifyingInformation[0].Documents
	if !slices.Equal(res.Updated, []string{"identifying_information"}) || docs[0].ID != stored || docs[0].Content != nil || docs[1].Content == nil {
		t.Errorf("adding a back: updated %v, documents %+v", res.Updated, docs)
	}
	f := withDocuments(kyc.Fields{}, dataURI("image/jpeg", jpegFile), dataURI("image/png", pngFile))
	f.IdentifyingInformation[0].Number = "x1234-568"
	if res := update(f); !slices.Equal(res.Updated, []string{"identifying_information"}) {
		t.Errorf("a new number changed %v", res.Updated)
	}
	f.IdentifyingInformation[0].Number = "X1234568"
	if res := update(f); len(res.Updated) != 0 {
		t.Errorf("the same number written otherwise changed %v", res.Updated)
	}
}

// TestDocumentLinks: a link opens its document until it expires, and no other; a forged or
// altered link, and one signed for another tenant, open nothing.
func TestDocumentLinks(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	now := time.Date(2026, 11, 25, 20, 0, 0, 0, time.UTC)
	st := newMemStore()
	svc := kyc.NewUserService(st, kyc.WithLinkKey(hasher{}), kyc.WithClock(func() time.Time { return now }))
	res, err := svc.CreateUser(ctx, "t1", kyc.Individual, withDocuments(kyc.Fields{Email: "a@example.com"}, dataURI("application/pdf", pdfFile)), "")
	if err != nil {
		t.Fatal(err)
	}
	u, doc := res.User, res.User.Fields.IdentifyingInformation[0].Documents[0].ID
	expires, sig, ok := svc.DocumentLink("t1", u.ID, doc)
	if !ok || expires != now.Add(kyc.DocumentLinkTTL).Unix() {
		t.Fatalf("link expires %d, ok %t", expires, ok)
	}
	got, err := svc.OpenDocument(ctx, u.ID, doc, expires, sig)
	if err != nil || string(got.Content) != string(pdfFile) || got.ContentType != kyc.ContentPDF {
		t.Fatalf("open = %+v, %v", got, err)
	}
	_, otherTenant, _ := svc.DocumentLink("t2", u.ID, doc)
	for name, open := range map[string]func() error{
		"altered expiry": func() error { _, err := svc.OpenDocument(ctx, u.ID, doc, expires+60, sig); return err },
		"forged":         func() error { _, err := svc.OpenDocument(ctx, u.ID, doc, expires, strings.Repeat("0", 64)); return err },
		"other tenant":   func() error { _, err := svc.OpenDocument(ctx, u.ID, doc, expires, otherTenant); return err },
		"other document": func() error { _, err := svc.OpenDocument(ctx, u.ID, "nope", expires, sig); return err },
		"expired": func() error {
			late := kyc.NewUserService(st, kyc.WithLinkKey(hasher{}), kyc.WithClock(func() time.Time { return now.Add(kyc.DocumentLinkTTL) }))
			_, err := late.OpenDocument(ctx, u.ID, doc, expires, sig)
			return err
		},
		"no key": func() error { _, err := kyc.NewUserService(st).OpenDocument(ctx, u.ID, doc, expires, sig); return err },
	} {
		if err := open(); kyc.ErrorCode(err) != kyc.ENotFound {
			t.Errorf("%s: %v, want not_found", name, err)
		}
	}
}

// TestMissingDocumentsUnderKiraRules: Kira's document requirements, as its missing_fields tokens
// after the fields, of users complete otherwise. A document counts whatever its source; the ssn
// field meets the tax identifier's rule as an ssn item does.
func TestMissingDocumentsUnderKiraRules(t *testing.T) {
	t.Parallel()
	front := []kyc.Document{{Type: kyc.DocFront}}
	proof := kyc.IdentifyingInformation{Type: "tax_id", Documents: []kyc.Document{{Type: kyc.DocProofOfAddress}}}
	individual := func(ssn string, items ...kyc.IdentifyingInformation) kyc.Fields {
		f := kiraIndividual()
		f.Gender, f.PEPStatus, f.SSN, f.IdentifyingInformation = "female", "false", ssn, items
		return f
	}
	business := func(persons []kyc.Person, items ...kyc.IdentifyingInformation) kyc.Fields {
		f := seedBusiness()
		f.Phone, f.DoingBusinessAs, f.BusinessIndustry, f.BusinessWebsite = "+14155550123", "Acme", []string{"crop_production"}, "https://acme.example"
		f.BusinessDescription, f.FormationState, f.SourceOfFunds, f.AccountPurpose = "Widgets.", "DE", "company_funds", "internal_treasury"
		f.PEPStatus, f.RepresentativeTitle, f.RepresentativeSSN = "false", "President", "123-45-6789"
		f.IdentifyingInformation, f.AssociatedPersons = items, persons
		return f
	}
	withID := func(idType string, docs []kyc.Document) kyc.Person {
		return kyc.Person{FirstName: "Jane", LastName: "Roe", Email: "jane@example.com",
			IdentifyingInformation: []kyc.IdentifyingInformation{{Type: idType, Documents: docs}}}
	}
	cases := []struct {
		name string
		typ  kyc.UserType
		f    kyc.Fields
		want []string
	}{
		{"individual without documents", kyc.Individual, individual(""),
			[]string{kyc.TokenTaxIdentifier, kyc.TokenGovernmentIDFront, kyc.TokenProofOfAddress}},
		{"individual complete", kyc.Individual, individual("", kyc.IdentifyingInformation{Type: "ssn", Number: "123456789"},
			kyc.IdentifyingInformation{Type: "drivers_license", Documents: []kyc.Document{{Type: kyc.DocFront, Source: kyc.SourceURL}}}, proof), []string{}},
		{"ssn without number, back only", kyc.Individual, individual("", kyc.IdentifyingInformation{Type: "ssn"},
			kyc.IdentifyingInformation{Type: "passport", Documents: []kyc.Document{{Type: kyc.DocBack}}}, proof),
			[]string{kyc.TokenTaxIdentifier, kyc.TokenGovernmentIDFront}},
		{"a front of an identifier that is no photo ID", kyc.Individual, individual("", kyc.IdentifyingInformation{Type: "tax_id", Number: "X1234", Documents: front}, proof),
			[]string{kyc.TokenGovernmentIDFront}},
		{"the ssn field for an ssn item", kyc.Individual, individual("123-45-6789", kyc.IdentifyingInformation{Type: "passport", Documents: front}, proof), []string{}},
		{"business without persons", kyc.Business, business(nil, proof),
			[]string{kyc.TokenBusinessFormation, kyc.TokenPersonsIDFront}},
		{"business with a person without a front", kyc.Business, business([]kyc.Person{withID("passport", front), withID("visa", []kyc.Document{{Type: kyc.DocBack}})},
			kyc.IdentifyingInformation{Type: "tax_id", Documents: []kyc.Document{{Type: kyc.DocProofOfAddress}, {Type: kyc.DocBusinessFormation}}}),
			[]string{kyc.TokenPersonsIDFront}},
		{"business complete", kyc.Business, business([]kyc.Person{withID("passport", front)},
			kyc.IdentifyingInformation{Type: "tax_id", Documents: []kyc.Document{{Type: kyc.DocProofOfAddress}, {Type: kyc.DocBusinessFormation}}}), []string{}},
	}
	for _, c := range cases {
		if got := kyc.MissingFields(kyc.KiraRequirements, c.typ, &c.f); !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
		if got := kyc.MissingFields(kyc.SeedRequirements, c.typ, &c.f); len(got) != 0 {
			t.Errorf("%s: the seed's rules miss %v", c.name, got)
		}
	}
}
