-- A KYC vendor's check of a verification attempt (a Persona inquiry): the vendor's id, which its
-- webhooks name, and the attempt it checks. The vendor's id holds no personal data.
CREATE TABLE vendor_checks (
    provider   TEXT NOT NULL,
    id         TEXT NOT NULL,
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    user_id    TEXT NOT NULL,
    attempt    INTEGER NOT NULL,
    created_at {{.Time}} NOT NULL,
    PRIMARY KEY (provider, id)
);
CREATE UNIQUE INDEX vendor_checks_attempt ON vendor_checks (tenant_id, user_id, attempt, provider);

-- The vendor's webhook events received, by the vendor's event id: a redelivered event is applied
-- once.
CREATE TABLE vendor_events (
    provider    TEXT NOT NULL,
    event_id    TEXT NOT NULL,
    received_at {{.Time}} NOT NULL,
    PRIMARY KEY (provider, event_id)
);
