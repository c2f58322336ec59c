-- Identity documents (identifying_information[].documents[]) sent as data URIs: their bytes, each
-- sealed under its user's data key (bound to tenant_id/user_id/id), apart from the users row so
-- that reading a user stays as fast as before. Their metadata is with the user's sealed fields.
-- Erasing the user deletes these rows (and its data key, which already makes them unreadable).
CREATE TABLE user_documents (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants (id),
    user_id      TEXT NOT NULL,
    content_type TEXT NOT NULL,
    content      {{.Bytes}} NOT NULL,
    created_at   {{.Time}} NOT NULL
);
CREATE INDEX user_documents_user ON user_documents (tenant_id, user_id);
