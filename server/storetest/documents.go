package storetest

import (
	"bytes"
	"testing"
	"time"

	"github.com/kiraapi/kira/server/kyc"
)

// testDocuments: an upload's bytes are stored with the user and given back with its tenant; a
// document sent again (no Content) is kept, one the user no longer lists is deleted, and erasure
// deletes the rest.
func testDocuments(t *testing.T, st kyc.Store) {
	ctx := t.Context()
	tn := newTenant(t, st)
	front, back := []byte("\xFF\xD8\xFF front"), []byte("\x89PNG\r\n\x1a\n back")
	u := individual(tn.ID)
	u.Fields.IdentifyingInformation = []kyc.IdentifyingInformation{{Type: "passport", Documents: []kyc.Document{
		{ID: "0193b3a4-0000-7000-8000-000000000001", Type: "front", Source: kyc.SourceUpload, ContentType: kyc.ContentJPEG, Content: front},
		{ID: "0193b3a4-0000-7000-8000-000000000002", Type: "back", Source: kyc.SourceUpload, ContentType: kyc.ContentPNG, Content: back},
	}}}
	insertUser(t, st, u)
	open := func(id string) (*kyc.DocumentFile, error) { return st.GetDocument(ctx, u.ID, id) }
	doc, err := open("0193b3a4-0000-7000-8000-000000000002")
	if err != nil || !bytes.Equal(doc.Content, back) || doc.ContentType != kyc.ContentPNG || doc.TenantID != tn.ID {
		t.Fatalf("GetDocument = %+v, %v", doc, err)
	}
	if _, err := st.GetDocument(ctx, "another-user", "0193b3a4-0000-7000-8000-000000000002"); kyc.ErrorCode(err) != kyc.ENotFound {
		t.Errorf("another user's id: %v", err)
	}

	// The user as read back (no Content), without its back.
	err = st.InTx(ctx, func(tx kyc.Tx) error {
		got, err := tx.GetUserForUpdate(ctx, tn.ID, u.ID)
		if err != nil {
			return err
		}
		if d := got.Fields.IdentifyingInformation[0].Documents; len(d) != 2 || d[0].Content != nil || d[0].ContentType != kyc.ContentJPEG {
			t.Errorf("documents read back: %+v", d)
		}
		got.Fields.IdentifyingInformation[0].Documents = got.Fields.IdentifyingInformation[0].Documents[:1]
		return tx.UpdateUser(ctx, got)
	})
	if err != nil {
		t.Fatal(err)
	}
	if doc, err := open("0193b3a4-0000-7000-8000-000000000001"); err != nil || !bytes.Equal(doc.Content, front) {
		t.Errorf("the document kept: %v", err)
	}
	if _, err := open("0193b3a4-0000-7000-8000-000000000002"); kyc.ErrorCode(err) != kyc.ENotFound {
		t.Errorf("the document the user no longer lists: %v", err)
	}

	err = st.InTx(ctx, func(tx kyc.Tx) error {
		got, err := tx.GetUserForUpdate(ctx, tn.ID, u.ID)
		if err != nil {
			return err
		}
		got.Fields, got.RedactedAt, got.UpdatedAt = kyc.Fields{}, time.Now(), time.Now()
		return tx.RedactUser(ctx, got)
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := open("0193b3a4-0000-7000-8000-000000000001"); kyc.ErrorCode(err) != kyc.ENotFound {
		t.Errorf("a document of an erased user: %v", err)
	}
}
