package store

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/kiraapi/kira/server/kyc"
)

// deleteCounter is a querier that counts the deletes of stored uploads it runs.
type deleteCounter struct {
	querier
	deletes int
}

func (c *deleteCounter) exec(ctx context.Context, query string, args ...any) (int64, error) {
	if strings.HasPrefix(query, "DELETE FROM user_documents") {
		c.deletes++
	}
	return c.querier.exec(ctx, query, args...)
}

// TestWriteDeletesUploadsOnlyWhenOneMayBeDropped: after any writes in a transaction, the stored
// uploads are those the user's last write lists. It counts the deletes of stored uploads each
// transaction runs: none where the transaction knows every stored upload is still listed (the
// user created or read in it); one where the user drops one, or was not read in it, or was written
// from another copy that lists fewer.
func TestWriteDeletesUploadsOnlyWhenOneMayBeDropped(t *testing.T) {
	st, _ := openSQLiteStore(t)
	ctx := t.Context()
	now := time.Now().UTC()
	createTenantT1(t, st, now)
	newUser := func() *kyc.User {
		return &kyc.User{ID: uuid.NewString(), TenantID: "t1", Type: kyc.Individual, Status: kyc.StatusCreated, CreatedAt: now, UpdatedAt: now,
			Fields: kyc.Fields{Email: "ada@example.com", IdentifyingInformation: []kyc.IdentifyingInformation{{Type: "passport", Documents: []kyc.Document{
				{ID: uuid.NewString(), Type: "front", Source: kyc.SourceUpload, ContentType: kyc.ContentJPEG, Content: []byte("front")},
			}}}}}
	}
	dropUploads := func(u *kyc.User) { u.Fields.IdentifyingInformation = nil }
	readAndWrite := func(tx *tx, u *kyc.User, change func(*kyc.User)) error {
		got, err := tx.GetUserForUpdate(ctx, u.TenantID, u.ID)
		if err != nil {
			return err
		}
		change(got)
		return tx.UpdateUser(ctx, got)
	}
	for _, tt := range []struct {
		name    string
		stored  bool // the user is stored before the transaction
		write   func(tx *tx, u *kyc.User) error
		deletes int
		gone    bool // the upload is no longer stored
	}{
		{"created", false, func(tx *tx, u *kyc.User) error { return tx.InsertUser(ctx, u) }, 0, false},
		{"created, then the upload dropped", false, func(tx *tx, u *kyc.User) error {
			if err := tx.InsertUser(ctx, u); err != nil {
				return err
			}
			dropUploads(u)
			return tx.UpdateUser(ctx, u)
		}, 1, true},
		{"read, the phone changed", true, func(tx *tx, u *kyc.User) error {
			return readAndWrite(tx, u, func(u *kyc.User) { u.Fields.Phone = "+14155550199" })
		}, 0, false},
		{"read, the upload dropped", true, func(tx *tx, u *kyc.User) error { return readAndWrite(tx, u, dropUploads) }, 1, true},
		{"read, the upload dropped, written again", true, func(tx *tx, u *kyc.User) error {
			if err := readAndWrite(tx, u, dropUploads); err != nil {
				return err
			}
			return readAndWrite(tx, u, func(u *kyc.User) { u.Fields.Phone = "+14155550199" })
		}, 1, true},
		{"not read", true, func(tx *tx, u *kyc.User) error {
			u.Fields.IdentifyingInformation[0].Documents[0].Content = nil
			return tx.UpdateUser(ctx, u)
		}, 1, false},
		{"read, written from another copy without the upload", true, func(tx *tx, u *kyc.User) error {
			if _, err := tx.GetUserForUpdate(ctx, u.TenantID, u.ID); err != nil {
				return err
			}
			dropUploads(u)
			return tx.UpdateUser(ctx, u)
		}, 1, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			u := newUser()
			upload := u.Fields.IdentifyingInformation[0].Documents[0].ID
			if tt.stored {
				if err := st.InTx(ctx, func(tx kyc.Tx) error { return tx.InsertUser(ctx, u) }); err != nil {
					t.Fatal(err)
				}
			}
			var counter *deleteCounter
			err := st.db.inTx(ctx, func(q querier, enqueue enqueueFunc) error {
				counter = &deleteCounter{querier: q}
				return tt.write(&tx{s: st, q: counter, enqueue: enqueue}, u)
			})
			if err != nil {
				t.Fatal(err)
			}
			if counter.deletes != tt.deletes {
				t.Errorf("deletes of stored uploads = %d, want %d", counter.deletes, tt.deletes)
			}
			doc, err := st.GetDocument(ctx, u.ID, upload)
			switch gone := kyc.ErrorCode(err) == kyc.ENotFound; {
			case gone != tt.gone:
				t.Errorf("the upload gone: %t, want %t", gone, tt.gone)
			case !gone && (err != nil || string(doc.Content) != "front"):
				t.Errorf("the upload kept: %+v, %v", doc, err)
			}
		})
	}
}
