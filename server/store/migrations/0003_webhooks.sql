-- Webhook endpoints. secret and previous_secret are sealed (AES-GCM, bound to tenant_id/id);
-- events is a JSON array of event types, empty for every type.
CREATE TABLE webhook_endpoints (
    id                         TEXT PRIMARY KEY,
    tenant_id                  TEXT NOT NULL REFERENCES tenants (id),
    url                        TEXT NOT NULL,
    description                TEXT NOT NULL,
    events                     {{.JSON}} NOT NULL,
    status                     TEXT NOT NULL,
    secret                     {{.Bytes}} NOT NULL,
    previous_secret            {{.Bytes}},
    previous_secret_expires_at {{.Time}},
    created_at                 {{.Time}} NOT NULL,
    updated_at                 {{.Time}} NOT NULL
);
CREATE INDEX webhook_endpoints_tenant ON webhook_endpoints (tenant_id, created_at DESC, id DESC);

-- Deliveries of an event to an endpoint, written with the event (or a redelivery). endpoint_id
-- outlives a deleted endpoint, for the history; pruning an event deletes its deliveries.
CREATE TABLE deliveries (
    id              TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL REFERENCES tenants (id),
    event_id        TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    endpoint_id     TEXT NOT NULL,
    status          TEXT NOT NULL,
    next_attempt_at {{.Time}},
    created_at      {{.Time}} NOT NULL,
    updated_at      {{.Time}} NOT NULL
);
CREATE INDEX deliveries_event ON deliveries (event_id, created_at, id);
CREATE INDEX deliveries_endpoint_status ON deliveries (endpoint_id, status);

-- One row per POST of a delivery. status_code is 0 when no response arrived; response_excerpt
-- holds at most the first 256 bytes of the response body.
CREATE TABLE delivery_attempts (
    delivery_id      TEXT NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
    attempt          INTEGER NOT NULL,
    attempted_at     {{.Time}} NOT NULL,
    status_code      INTEGER NOT NULL,
    latency_ms       BIGINT NOT NULL,
    error            TEXT NOT NULL,
    response_excerpt TEXT NOT NULL,
    PRIMARY KEY (delivery_id, attempt)
);

-- The events API filters by type and by user; pruning goes by age.
CREATE INDEX events_tenant_type_created ON events (tenant_id, type, created_at DESC, id DESC);
CREATE INDEX events_tenant_user_created ON events (tenant_id, user_id, created_at DESC, id DESC);
CREATE INDEX events_created ON events (created_at);
{{- if eq .JSON "JSONB"}}

-- Deliveries send a payload's bytes exactly as they were written, which JSONB would not keep (it
-- reorders keys and respaces).
ALTER TABLE events ALTER COLUMN payload TYPE TEXT;
{{- end}}
