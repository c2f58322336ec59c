-- An idempotency record is now written in the same transaction as its request's work, so a
-- record is never seen in flight: claims, their tokens and their locks go. Claims that were left
-- in flight can only have been left by a request that died; they are dropped.
DELETE FROM idempotency_keys WHERE state <> 'completed';
ALTER TABLE idempotency_keys DROP COLUMN token;
ALTER TABLE idempotency_keys DROP COLUMN state;
ALTER TABLE idempotency_keys DROP COLUMN locked_until;
-- The headers of the first response (Location, Content-Type), sealed like its body.
ALTER TABLE idempotency_keys ADD COLUMN header {{.Bytes}};

-- Facts about the database itself, such as the fingerprint of the encryption key it was first
-- opened with.
CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
