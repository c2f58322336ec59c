-- Erasure. Each user's fields, all of them, are sealed in users.secrets under a data key of its
-- own, kept here sealed under the master key (bound to tenant_id/user_id); users.public is then
-- '{}' and users.email_lower a keyed hash of the email in lower case. Erasing a user deletes its
-- key, so that every copy of its fields, backups of the users table included, stops opening.
-- Users written before this migration have no key: their public fields stay in the clear and
-- their secrets sealed under the master key until their next write, which gives them one.
CREATE TABLE user_keys (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    user_id    TEXT PRIMARY KEY,
    data_key   {{.Bytes}} NOT NULL,
    created_at {{.Time}} NOT NULL
);

-- When the user's personal data was erased (NULL: never).
ALTER TABLE users ADD COLUMN redacted_at {{.Time}};
-- Retention erases CREATED and REJECTED users by how long they have been left untouched.
CREATE INDEX users_status_updated ON users (status, updated_at);

-- The user a cached response is about, so that erasing the user purges it (NULL: none, or
-- cached before this migration).
ALTER TABLE idempotency_keys ADD COLUMN user_id TEXT;
CREATE INDEX idempotency_keys_user ON idempotency_keys (tenant_id, user_id);

-- A payload that holds personal data (user.created's email and phone) is sealed under its user's
-- data key; payload then holds it redacted (kyc.RedactPayload), which is what stays once the user
-- is erased.
ALTER TABLE events ADD COLUMN sealed_payload {{.Bytes}};
