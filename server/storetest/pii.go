package storetest

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"testing"
	"time"

	"github.com/kiraapi/kira/server/kyc"
)

// testNoPlaintextPersonalData writes users and an idempotent response full of distinctive
// personal data, then reads everything the database holds and finds none of it: neither the
// secrets nor the other fields.
func testNoPlaintextPersonalData(t *testing.T, st kyc.Store) {
	in := inspector(t, st)
	ctx := t.Context()
	tn := newTenant(t, st)

	person := individual(tn.ID)
	person.Fields.SSN, person.Fields.BirthDate, person.Fields.DocumentNumber = "731-94-2865", "1957-08-19", "QX7319428"
	company := business(tn.ID)
	company.Fields.EIN, company.Fields.RepresentativeSSN, company.Fields.RepresentativeBirthDate = "84-7291635", "642-18-7359", "1963-02-27"
	company.Fields.AssociatedPersons[0].SSN, company.Fields.AssociatedPersons[0].BirthDate = "519-63-8427", "1948-11-05"
	// Identity documents: a number, a URL reference, and an upload's bytes, which are stored apart.
	docBytes := []byte("%PDF-1.7 DOCUMENT-BYTES-4c91e7")
	person.Fields.IdentifyingInformation = []kyc.IdentifyingInformation{{Type: "passport", Number: "PX6482913", Documents: []kyc.Document{
		{ID: "0193b3a4-6c1e-7c52-9d3e-2f5b8a7c6d10", Type: "front", Source: kyc.SourceUpload, ContentType: kyc.ContentPDF, Content: docBytes},
		{ID: "0193b3a4-6c1e-7c52-9d3e-2f5b8a7c6d11", Type: "back", Source: kyc.SourceURL, URL: "https://files.example/back-93kd81.jpg"},
	}}}
	company.Fields.AssociatedPersons[0].IdentifyingInformation = []kyc.IdentifyingInformation{{Type: "ssn", Number: "PN5519273"}}
	secrets := []string{
		"731-94-2865", "731942865", "1957-08-19", "QX7319428", "84-7291635", "847291635",
		"642-18-7359", "1963-02-27", "519-63-8427", "1948-11-05",
		"PX6482913", "PN5519273", "DOCUMENT-BYTES-4c91e7", "back-93kd81",
	}
	for _, u := range []*kyc.User{person, company} {
		insertUser(t, st, u)
	}
	// An update writes the data again.
	err := st.InTx(ctx, func(tx kyc.Tx) error {
		u, err := tx.GetUserForUpdate(ctx, tn.ID, person.ID)
		if err != nil {
			return err
		}
		u.Status = kyc.StatusVerifying
		return tx.UpdateUser(ctx, u)
	})
	if err != nil {
		t.Fatal(err)
	}
	// So does caching a response that holds it.
	rec := record(tn.ID, "pii", time.Hour)
	body, err := json.Marshal(person.Fields)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := claimOnce(t, st, rec, response(rec, 201, string(body)), nil); err != nil {
		t.Fatal(err)
	}
	if got := mustGetUser(t, st, tn.ID, company.ID); got.Fields.EIN != "84-7291635" {
		t.Fatal("the store does not give the personal data back")
	}
	if doc, err := st.GetDocument(ctx, person.ID, "0193b3a4-6c1e-7c52-9d3e-2f5b8a7c6d10"); err != nil || !bytes.Equal(doc.Content, docBytes) {
		t.Fatalf("the store does not give the document back: %v", err)
	}

	raw, err := in.RawContents(ctx)
	if err != nil {
		t.Fatalf("RawContents: %v", err)
	}
	if !bytes.Contains(raw, []byte(company.ID)) {
		t.Fatal("RawContents does not show the users: the check would prove nothing")
	}
	// No field is stored in the clear, the public ones included.
	secrets = append(secrets, company.Fields.BusinessLegalName, person.Fields.Email, person.Fields.LastName)
	for _, s := range secrets {
		// PostgreSQL shows bytea as hex: plaintext in a bytea column would appear so.
		if bytes.Contains(raw, []byte(s)) || bytes.Contains(raw, []byte(hex.EncodeToString([]byte(s)))) {
			t.Errorf("the database holds %q in the clear", s)
		}
	}
}
