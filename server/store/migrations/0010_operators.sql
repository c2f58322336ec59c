-- Operators: the compliance team, who review users of every tenant in the console
-- (/console). They are not tenants and never use the API's tenant credentials.
-- password_hash is an argon2id hash (PHC string); totp_secret, when the operator has a second
-- factor, is sealed under the keyring and bound to the operator's id; totp_last_step is the last
-- RFC 6238 time step accepted, so that a code is never accepted twice.
CREATE TABLE operators (
    id             TEXT PRIMARY KEY,
    email          TEXT NOT NULL UNIQUE,
    password_hash  TEXT NOT NULL,
    totp_secret    {{.Bytes}},
    totp_last_step BIGINT NOT NULL DEFAULT 0,
    created_at     {{.Time}} NOT NULL
);

-- Console sessions, by a keyed hash of their cookie's random token (the token itself is never
-- stored). A session ends at expires_at (absolute) or when unused for the idle timeout after
-- last_seen_at, whichever is first.
CREATE TABLE operator_sessions (
    token_hash   TEXT PRIMARY KEY,
    operator_id  TEXT NOT NULL REFERENCES operators (id),
    created_at   {{.Time}} NOT NULL,
    last_seen_at {{.Time}} NOT NULL,
    expires_at   {{.Time}} NOT NULL
);
CREATE INDEX operator_sessions_expires ON operator_sessions (expires_at);

-- Operator API tokens, for deployments that review elsewhere: a keyed hash of the token and its
-- scopes, space-separated (review:decide).
CREATE TABLE operator_tokens (
    id          TEXT PRIMARY KEY,
    operator_id TEXT NOT NULL REFERENCES operators (id),
    token_hash  TEXT NOT NULL UNIQUE,
    scopes      TEXT NOT NULL,
    created_at  {{.Time}} NOT NULL
);

-- The audit trail: who (operator_id, NULL for a failed login of an unknown email) did what
-- (action: login, login_failed, logout, reveal, decision), to which user (tenant_id, user_id), when,
-- in which request. field names a revealed field (never its value); detail is a decision's
-- outcome. Append-only: the database refuses every UPDATE and DELETE.
CREATE TABLE audit_log (
    id          TEXT PRIMARY KEY,
    created_at  {{.Time}} NOT NULL,
    operator_id TEXT,
    action      TEXT NOT NULL,
    tenant_id   TEXT,
    user_id     TEXT,
    field       TEXT,
    detail      TEXT,
    request_id  TEXT NOT NULL
);
CREATE INDEX audit_log_created ON audit_log (created_at DESC, id DESC);
{{if .Postgres}}
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END
$fn$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
{{else}}
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
{{end}}
-- The review queue lists users in REVIEW across tenants, newest first.
CREATE INDEX users_status_created ON users (status, created_at DESC, id DESC);
