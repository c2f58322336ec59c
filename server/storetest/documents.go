package storetest

import (
	"bytes"
	"testing"
	"time"

	"github.com/google/uuid"

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

// testDocumentsAnUpdateKeeps: after any sequence of writes in a transaction, the stored uploads
// are those the user's last write lists, whether or not the transaction read the user first.
func testDocumentsAnUpdateKeeps(t *testing.T, st kyc.Store) {
	ctx := t.Context()
	tn := newTenant(t, st)
	// withUploads is an individual with a front and a back upload, of new ids.
	withUploads := func() *kyc.User {
		u := individual(tn.ID)
		u.Fields.IdentifyingInformation = []kyc.IdentifyingInformation{{Type: "passport", Documents: []kyc.Document{
			{ID: uuid.NewString(), Type: "front", Source: kyc.SourceUpload, ContentType: kyc.ContentJPEG, Content: []byte("front")},
			{ID: uuid.NewString(), Type: "back", Source: kyc.SourceUpload, ContentType: kyc.ContentPNG, Content: []byte("back")},
		}}}
		return u
	}
	dropBack := func(u *kyc.User) {
		u.Fields.IdentifyingInformation[0].Documents = u.Fields.IdentifyingInformation[0].Documents[:1]
	}
	readAndUpdate := func(tx kyc.Tx, u *kyc.User, change func(*kyc.User)) error {
		got, err := tx.GetUserForUpdate(ctx, u.TenantID, u.ID)
		if err != nil {
			return err
		}
		change(got)
		return tx.UpdateUser(ctx, got)
	}
	for _, tt := range []struct {
		name     string
		inserted bool // the user is stored before the transaction
		write    func(tx kyc.Tx, u *kyc.User) error
		backKept bool
	}{
		{"read, the phone changed", true, func(tx kyc.Tx, u *kyc.User) error {
			return readAndUpdate(tx, u, func(u *kyc.User) { u.Fields.Phone = "+14155550199" })
		}, true},
		{"read, the back dropped", true, func(tx kyc.Tx, u *kyc.User) error { return readAndUpdate(tx, u, dropBack) }, false},
		{"read, the back dropped, written again", true, func(tx kyc.Tx, u *kyc.User) error {
			if err := readAndUpdate(tx, u, dropBack); err != nil {
				return err
			}
			return readAndUpdate(tx, u, func(u *kyc.User) { u.Fields.Phone = "+14155550199" })
		}, false},
		{"not read, the back dropped", true, func(tx kyc.Tx, u *kyc.User) error {
			dropBack(u)
			u.Fields.IdentifyingInformation[0].Documents[0].Content = nil
			return tx.UpdateUser(ctx, u)
		}, false},
		{"inserted, then the back dropped", false, func(tx kyc.Tx, u *kyc.User) error {
			if err := tx.InsertUser(ctx, u); err != nil {
				return err
			}
			dropBack(u)
			return tx.UpdateUser(ctx, u)
		}, false},
		{"inserted, then the phone changed", false, func(tx kyc.Tx, u *kyc.User) error {
			if err := tx.InsertUser(ctx, u); err != nil {
				return err
			}
			u.Fields.Phone = "+14155550199"
			return tx.UpdateUser(ctx, u)
		}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			u := withUploads()
			front, back := u.Fields.IdentifyingInformation[0].Documents[0].ID, u.Fields.IdentifyingInformation[0].Documents[1].ID
			if tt.inserted {
				insertUser(t, st, u)
			}
			if err := st.InTx(ctx, func(tx kyc.Tx) error { return tt.write(tx, u) }); err != nil {
				t.Fatal(err)
			}
			if doc, err := st.GetDocument(ctx, u.ID, front); err != nil || string(doc.Content) != "front" {
				t.Errorf("the front, which every write lists: %+v, %v", doc, err)
			}
			doc, err := st.GetDocument(ctx, u.ID, back)
			if kept := err == nil && string(doc.Content) == "back"; kept != tt.backKept || err != nil && kyc.ErrorCode(err) != kyc.ENotFound {
				t.Errorf("the back: %+v, %v; want kept %t", doc, err, tt.backKept)
			}
		})
	}
}
