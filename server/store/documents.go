package store

import (
	"context"
	"slices"
	"strings"

	"github.com/kiraapi/kira/server/kyc"
	"github.com/kiraapi/kira/server/secret"
)

// documentAAD binds a sealed document to its user and id: it does not open in another row.
func documentAAD(tenantID, userID, id string) []byte {
	return []byte("document/" + tenantID + "/" + userID + "/" + id)
}

// writeDocuments stores, through t, the new uploads of u (the documents whose Content is set),
// sealed by sealer (the user's data key), and deletes the stored documents u no longer lists:
// none when the transaction knows that u lists every upload stored for it (it read or wrote u).
func (t *tx) writeDocuments(ctx context.Context, u *kyc.User, sealer *secret.Sealer) error {
	docs := u.Fields.Documents()
	for _, d := range docs {
		if d.Source != kyc.SourceUpload || d.Content == nil {
			continue
		}
		_, err := t.q.exec(ctx, "INSERT INTO user_documents (id, tenant_id, user_id, content_type, content, created_at) VALUES (?, ?, ?, ?, ?, ?)",
			d.ID, u.TenantID, u.ID, d.ContentType, sealer.Seal(d.Content, documentAAD(u.TenantID, u.ID, d.ID)), t.s.timestamp(d.UploadedAt))
		if err != nil {
			return writeError("store document", "A document with this id already exists.", err)
		}
		d.Content = nil // stored
	}
	keep := uploadIDs(docs)
	k := t.known(u.TenantID, u.ID)
	dropped := slices.ContainsFunc(k.uploads, func(id string) bool { return !slices.Contains(keep, id) })
	if k.uploadsKnown && !dropped {
		k.uploads = keep
		return nil
	}
	query := "DELETE FROM user_documents WHERE tenant_id = ? AND user_id = ?"
	args := []any{u.TenantID, u.ID}
	if len(keep) > 0 {
		query += " AND id NOT IN (?" + strings.Repeat(", ?", len(keep)-1) + ")"
		for _, id := range keep {
			args = append(args, id)
		}
	}
	if _, err := t.q.exec(ctx, query, args...); err != nil {
		return dbError("delete replaced documents", err)
	}
	k.uploads, k.uploadsKnown = keep, true
	return nil
}

// uploadIDs are the ids of the uploaded documents among docs, whose content the store keeps.
func uploadIDs(docs []*kyc.Document) []string {
	var ids []string
	for _, d := range docs {
		if d.Source == kyc.SourceUpload {
			ids = append(ids, d.ID)
		}
	}
	return ids
}

// GetDocument returns the content of a user's stored document, opened with the user's data key,
// whatever the tenant (the caller checks the tenant, see kyc.OpenDocument); ENotFound if there is
// none, or if the user was erased.
func (s *Store) GetDocument(ctx context.Context, userID, docID string) (*kyc.DocumentFile, error) {
	d := kyc.DocumentFile{UserID: userID, ID: docID}
	var sealed, dataKey []byte
	err := s.db.reader().queryRow(ctx, `SELECT d.tenant_id, d.content_type, d.content, k.data_key FROM user_documents d
		JOIN user_keys k ON k.user_id = d.user_id AND k.tenant_id = d.tenant_id WHERE d.user_id = ? AND d.id = ?`,
		userID, docID).Scan(&d.TenantID, &d.ContentType, &sealed, &dataKey)
	if isNoRows(err) {
		return nil, notFound("Document")
	}
	if err != nil {
		return nil, dbError("get document", err)
	}
	sealer, err := s.userSealer(d.TenantID, userID, dataKey)
	if err != nil {
		return nil, err
	}
	if d.Content, err = sealer.Open(sealed, documentAAD(d.TenantID, userID, docID)); err != nil {
		return nil, dbError("open document", err)
	}
	return &d, nil
}
