-- Tenants are the API's customers. Their credentials are stored hashed.
CREATE TABLE tenants (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    client_id     TEXT NOT NULL UNIQUE,
    api_key_hash  {{.Bytes}} NOT NULL UNIQUE,
    password_hash {{.Bytes}} NOT NULL,
    created_at    {{.Time}} NOT NULL,
    updated_at    {{.Time}} NOT NULL
);

-- Users: public holds the fields without personal data as JSON; secrets holds the personal data,
-- sealed (AES-GCM, bound to tenant_id/id).
CREATE TABLE users (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    type        TEXT NOT NULL,
    status      TEXT NOT NULL,
    email_lower TEXT NOT NULL,
    attempts    INTEGER NOT NULL,
    public      {{.JSON}} NOT NULL,
    secrets     {{.Bytes}} NOT NULL,
    reasons     {{.JSON}} NOT NULL,
    created_at  {{.Time}} NOT NULL,
    updated_at  {{.Time}} NOT NULL
);
CREATE INDEX users_tenant_created ON users (tenant_id, created_at DESC, id DESC);
CREATE INDEX users_tenant_email ON users (tenant_id, email_lower);

-- Events are each tenant's log; payload is the webhook body.
CREATE TABLE events (
    id         TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    type       TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    created_at {{.Time}} NOT NULL,
    payload    {{.JSON}} NOT NULL
);
CREATE INDEX events_tenant_created ON events (tenant_id, created_at DESC, id DESC);

-- Idempotency keys, by a keyed hash of the client's key. body is the first response, sealed
-- (bound to tenant_id/key_hash).
CREATE TABLE idempotency_keys (
    tenant_id    TEXT NOT NULL REFERENCES tenants (id),
    key_hash     TEXT NOT NULL,
    fingerprint  TEXT NOT NULL,
    token        TEXT NOT NULL,
    state        TEXT NOT NULL,
    status       INTEGER NOT NULL,
    body         {{.Bytes}},
    created_at   {{.Time}} NOT NULL,
    expires_at   {{.Time}} NOT NULL,
    locked_until {{.Time}} NOT NULL,
    PRIMARY KEY (tenant_id, key_hash)
);
