-- Hosted verification sessions. A completed session's completion time is its updated_at.
CREATE TABLE verification_sessions (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants (id),
    user_id      TEXT NOT NULL REFERENCES users (id),
    type         TEXT NOT NULL,
    status       TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    expires_at   {{.Time}} NOT NULL,
    created_at   {{.Time}} NOT NULL,
    updated_at   {{.Time}} NOT NULL
);
CREATE INDEX verification_sessions_user ON verification_sessions (tenant_id, user_id, created_at DESC, id DESC);
