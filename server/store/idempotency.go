package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kiraapi/kira/server/kyc"
)

// claimIdempotency inserts a claim, or takes over an existing key that has expired or whose
// in-flight claim has run out, in one statement: atomic on both databases however many requests
// race. It returns the token now holding the key, and no row when the key stays with another.
const claimIdempotency = `INSERT INTO idempotency_keys
    (tenant_id, key_hash, fingerprint, token, state, status, body, created_at, expires_at, locked_until)
VALUES (?, ?, ?, ?, ?, 0, NULL, ?, ?, ?)
ON CONFLICT (tenant_id, key_hash) DO UPDATE SET
    fingerprint = excluded.fingerprint, token = excluded.token, state = excluded.state,
    status = 0, body = NULL, created_at = excluded.created_at,
    expires_at = excluded.expires_at, locked_until = excluded.locked_until
WHERE idempotency_keys.expires_at <= ?
    OR (idempotency_keys.state = ? AND idempotency_keys.locked_until <= ?)
RETURNING token`

// claimAttempts bounds how often a claim is retried when the key it lost to is released before
// it could be read.
const claimAttempts = 3

// ClaimIdempotencyKey claims rec's key for rec.Token: it succeeds when the key is new, expired
// or held by an in-flight request whose lock has run out; otherwise it returns the existing
// record, its body opened. It sets rec's State to in-flight and its times to the stored values
// (UTC, to the microsecond; CreatedAt now where it was zero).
func (s *Store) ClaimIdempotencyKey(ctx context.Context, rec *kyc.IdempotencyRecord) (*kyc.IdempotencyRecord, bool, error) {
	rec.State = kyc.IdempotencyInFlight
	rec.CreatedAt = s.timestamp(rec.CreatedAt)
	rec.ExpiresAt, rec.LockedUntil = rec.ExpiresAt.UTC().Truncate(time.Microsecond), rec.LockedUntil.UTC().Truncate(time.Microsecond)
	for range claimAttempts {
		now := s.timestamp(s.now())
		var token string
		err := s.db.writer().queryRow(ctx, claimIdempotency,
			rec.TenantID, rec.KeyHash, rec.Fingerprint, rec.Token, kyc.IdempotencyInFlight, rec.CreatedAt, rec.ExpiresAt, rec.LockedUntil,
			now, kyc.IdempotencyInFlight, now).Scan(&token)
		if err == nil {
			return nil, token == rec.Token, nil
		}
		if !isNoRows(err) {
			return nil, false, dbError("claim idempotency key", err)
		}
		existing, err := s.idempotencyRecord(ctx, rec.TenantID, rec.KeyHash)
		if kyc.ErrorCode(err) == kyc.ENotFound {
			continue // released in between: claim again
		}
		if err != nil {
			return nil, false, err
		}
		return existing, false, nil
	}
	return nil, false, errors.New("claim idempotency key: the key keeps changing hands")
}

// CompleteIdempotencyKey stores the first response for the claim held by token, sealed. It is an
// EConflict error when token no longer holds the claim (it ran out and another request took
// over): the response is then not kept.
func (s *Store) CompleteIdempotencyKey(ctx context.Context, tenantID, keyHash, token string, status int, body []byte) error {
	sealed := s.keyring.Seal(body, idempotencyAAD(tenantID, keyHash))
	n, err := s.db.writer().exec(ctx, `UPDATE idempotency_keys SET state = ?, status = ?, body = ?
		WHERE tenant_id = ? AND key_hash = ? AND token = ? AND state = ?`,
		kyc.IdempotencyCompleted, status, sealed, tenantID, keyHash, token, kyc.IdempotencyInFlight)
	if err != nil {
		return dbError("complete idempotency key", err)
	}
	if n == 0 {
		return &kyc.Error{Code: kyc.EConflict, Message: "The idempotency key is no longer held by this request."}
	}
	return nil
}

// ReleaseIdempotencyKey drops the in-flight claim held by token, so that the request can be
// retried with the same key. It does nothing when token does not hold the claim.
func (s *Store) ReleaseIdempotencyKey(ctx context.Context, tenantID, keyHash, token string) error {
	_, err := s.db.writer().exec(ctx, "DELETE FROM idempotency_keys WHERE tenant_id = ? AND key_hash = ? AND token = ? AND state = ?",
		tenantID, keyHash, token, kyc.IdempotencyInFlight)
	if err != nil {
		return dbError("release idempotency key", err)
	}
	return nil
}

// idempotencyRecord reads a key's record, its body opened; ENotFound if there is none.
func (s *Store) idempotencyRecord(ctx context.Context, tenantID, keyHash string) (*kyc.IdempotencyRecord, error) {
	rec := kyc.IdempotencyRecord{TenantID: tenantID, KeyHash: keyHash}
	var body []byte
	err := s.db.reader().queryRow(ctx, `SELECT fingerprint, token, state, status, body, created_at, expires_at, locked_until
		FROM idempotency_keys WHERE tenant_id = ? AND key_hash = ?`, tenantID, keyHash).
		Scan(&rec.Fingerprint, &rec.Token, &rec.State, &rec.Status, &body,
			scanTime(&rec.CreatedAt), scanTime(&rec.ExpiresAt), scanTime(&rec.LockedUntil))
	if isNoRows(err) {
		return nil, notFound("Idempotency key")
	}
	if err != nil {
		return nil, dbError("read idempotency key", err)
	}
	if body != nil {
		if rec.Body, err = s.keyring.Open(body, idempotencyAAD(tenantID, keyHash)); err != nil {
			return nil, fmt.Errorf("open idempotent response: %w", err)
		}
	}
	return &rec, nil
}

// idempotencyAAD binds a sealed response to its key.
func idempotencyAAD(tenantID, keyHash string) []byte { return []byte(tenantID + "/" + keyHash) }
