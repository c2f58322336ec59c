package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/kiraapi/kira/server/kyc"
)

// claimIdempotency inserts a key's record, or takes over one that has expired, in one statement.
// It returns a row when the key is now this transaction's and none when a live record holds it.
// On PostgreSQL a record that another transaction has written but not yet committed makes this
// statement wait for that transaction's end, then decide on what it left.
const claimIdempotency = `INSERT INTO idempotency_keys
    (tenant_id, key_hash, fingerprint, status, body, header, created_at, expires_at)
VALUES (?, ?, ?, 0, NULL, NULL, ?, ?)
ON CONFLICT (tenant_id, key_hash) DO UPDATE SET
    fingerprint = excluded.fingerprint, status = 0, body = NULL, header = NULL,
    created_at = excluded.created_at, expires_at = excluded.expires_at
WHERE idempotency_keys.expires_at <= ?
RETURNING key_hash`

// ClaimIdempotencyKey reserves rec's key in the transaction (see kyc.Tx). On PostgreSQL the wait
// for a concurrent request holding the same key is bounded by the dialect's claim timeout, after
// which it is EIdempotencyInUse; on SQLite the transaction already holds the database's write
// lock, so no other claim is in progress. It sets rec's times to the stored values (UTC, to the
// microsecond; CreatedAt now where it was zero). The existing record's body and headers are
// opened.
func (t *tx) ClaimIdempotencyKey(ctx context.Context, rec *kyc.IdempotencyRecord) (*kyc.IdempotencyRecord, error) {
	rec.CreatedAt, rec.ExpiresAt = t.s.timestamp(rec.CreatedAt), t.s.timestamp(rec.ExpiresAt)
	if limit := t.s.db.dialect().claimTimeout; limit != "" {
		if _, err := t.q.exec(ctx, limit); err != nil {
			return nil, dbError("claim idempotency key", err)
		}
	}
	var keyHash string
	err := t.q.queryRow(ctx, claimIdempotency, rec.TenantID, rec.KeyHash, rec.Fingerprint, rec.CreatedAt, rec.ExpiresAt,
		t.s.timestamp(t.s.now())).Scan(&keyHash)
	switch {
	case err == nil:
		return nil, nil
	case isLockTimeout(err):
		return nil, &kyc.Error{Code: kyc.EIdempotencyInUse, Message: "A request with this Idempotency-Key is still being processed; retry shortly."}
	case !isNoRows(err):
		return nil, dbError("claim idempotency key", err)
	}
	return t.s.idempotencyRecord(ctx, t.q, rec.TenantID, rec.KeyHash)
}

// CompleteIdempotencyKey stores rec's response (status, headers and body, sealed) and the user it
// is about on the key this transaction claimed.
func (t *tx) CompleteIdempotencyKey(ctx context.Context, rec *kyc.IdempotencyRecord) error {
	header, err := json.Marshal(rec.Header)
	if err != nil {
		return fmt.Errorf("encode idempotent response headers: %w", err)
	}
	aad := idempotencyAAD(rec.TenantID, rec.KeyHash)
	var userID any // NULL when the response is about no user
	if rec.UserID != "" {
		userID = rec.UserID
	}
	n, err := t.q.exec(ctx, "UPDATE idempotency_keys SET status = ?, body = ?, header = ?, user_id = ? WHERE tenant_id = ? AND key_hash = ?",
		rec.Status, t.s.keyring.Seal(rec.Body, aad), t.s.keyring.Seal(header, headerAAD(aad)), userID, rec.TenantID, rec.KeyHash)
	if err != nil {
		return dbError("complete idempotency key", err)
	}
	if n == 0 {
		return errors.New("complete idempotency key: the transaction holds no claim of the key")
	}
	return nil
}

// idempotencyRecord reads a key's record through q, its body and headers opened; ENotFound if
// there is none.
func (s *Store) idempotencyRecord(ctx context.Context, q querier, tenantID, keyHash string) (*kyc.IdempotencyRecord, error) {
	rec := kyc.IdempotencyRecord{TenantID: tenantID, KeyHash: keyHash}
	var body, header []byte
	err := q.queryRow(ctx, `SELECT fingerprint, status, body, header, created_at, expires_at
		FROM idempotency_keys WHERE tenant_id = ? AND key_hash = ?`, tenantID, keyHash).
		Scan(&rec.Fingerprint, &rec.Status, &body, &header, scanTime(&rec.CreatedAt), scanTime(&rec.ExpiresAt))
	if isNoRows(err) {
		return nil, notFound("Idempotency key")
	}
	if err != nil {
		return nil, dbError("read idempotency key", err)
	}
	aad := idempotencyAAD(tenantID, keyHash)
	if body != nil {
		if rec.Body, err = s.keyring.Open(body, aad); err != nil {
			return nil, fmt.Errorf("open idempotent response: %w", err)
		}
	}
	if header != nil { // records kept before headers were stored have none
		plain, err := s.keyring.Open(header, headerAAD(aad))
		if err != nil {
			return nil, fmt.Errorf("open idempotent response headers: %w", err)
		}
		if err := json.Unmarshal(plain, &rec.Header); err != nil {
			return nil, fmt.Errorf("decode idempotent response headers: %w", err)
		}
	}
	return &rec, nil
}

// idempotencyAAD binds a sealed response to its key; headerAAD binds its headers to it apart.
func idempotencyAAD(tenantID, keyHash string) []byte { return []byte(tenantID + "/" + keyHash) }
func headerAAD(aad []byte) []byte                    { return append([]byte("header/"), aad...) }

// idempotencyClaimWait bounds how long a claim waits on PostgreSQL for a concurrent request that
// holds the same key.
const idempotencyClaimWait = 5 * time.Second
