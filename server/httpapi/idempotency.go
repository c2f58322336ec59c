package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/kiraapi/kira/server/kyc"
)

const (
	idempotencyHeader = "Idempotency-Key"
	replayedHeader    = "Idempotent-Replayed"
	// IdempotencyTTL is how long a key and its first response are kept.
	IdempotencyTTL = 24 * time.Hour
	// idempotencyLock is how long a claim holds before a retry may take over a request that died.
	idempotencyLock = time.Minute
)

// KeyHasher hashes lookup values with a secret key, so that what clients send as keys is never
// stored as sent.
type KeyHasher interface {
	Hash(purpose, value string) string
}

// idempotent makes the routes that take an Idempotency-Key safe to retry. The key is scoped to the
// tenant; the request is fingerprinted (method, path and canonical body). The first 2xx response
// is kept for IdempotencyTTL and replayed for the same key and body; the same key with another body
// is a 422, and a duplicate that arrives while the first is running is a 409. Requests that fail
// are not kept, so they can be fixed and retried with the same key. Requests rejected by validation
// never reach this middleware.
func idempotent(store kyc.Store, hasher KeyHasher, now func() time.Time, logger *slog.Logger, routes map[string]bool) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			key := req.Header.Get(idempotencyHeader)
			tenant := tenantFrom(req.Context())
			if req.Method != http.MethodPost || !routes[c.Path()] || key == "" || tenant == nil {
				return next(c)
			}
			fingerprint, err := fingerprint(req)
			if err != nil {
				return err
			}
			at := now().UTC()
			rec := &kyc.IdempotencyRecord{
				TenantID: tenant.ID, KeyHash: hasher.Hash("idempotency-key", key), Fingerprint: fingerprint,
				Token: uuid.NewString(), State: kyc.IdempotencyInFlight,
				CreatedAt: at, ExpiresAt: at.Add(IdempotencyTTL), LockedUntil: at.Add(idempotencyLock),
			}
			existing, claimed, err := store.ClaimIdempotencyKey(req.Context(), rec)
			if err != nil {
				return err
			}
			if !claimed {
				return replay(c, existing, fingerprint)
			}

			rw := &recorder{ResponseWriter: c.Response().Writer}
			c.Response().Writer = rw
			err = next(c)
			c.Response().Writer = rw.ResponseWriter
			// Finish the bookkeeping even if the client has gone away.
			ctx := context.WithoutCancel(req.Context())
			status := c.Response().Status
			if err == nil && status >= 200 && status < 300 {
				if cerr := store.CompleteIdempotencyKey(ctx, rec.TenantID, rec.KeyHash, rec.Token, status, rw.body.Bytes()); cerr != nil {
					logger.ErrorContext(ctx, "store idempotent response", "request_id", requestID(c), "error", cerr)
				}
				return nil
			}
			if rerr := store.ReleaseIdempotencyKey(ctx, rec.TenantID, rec.KeyHash, rec.Token); rerr != nil {
				logger.ErrorContext(ctx, "release idempotency key", "request_id", requestID(c), "error", rerr)
			}
			return err
		}
	}
}

func replay(c echo.Context, existing *kyc.IdempotencyRecord, fingerprint string) error {
	switch {
	case existing.Fingerprint != fingerprint:
		return &kyc.Error{Code: kyc.EIdempotencyReused, Message: "This Idempotency-Key was used with a different request.",
			Fields: []kyc.FieldError{{Field: idempotencyHeader, Message: "was used with a different request body"}}}
	case existing.State != kyc.IdempotencyCompleted:
		return &kyc.Error{Code: kyc.EIdempotencyInUse, Message: "A request with this Idempotency-Key is still being processed; retry shortly."}
	}
	c.Response().Header().Set(replayedHeader, "true")
	return c.Blob(existing.Status, echo.MIMEApplicationJSON, existing.Body)
}

// fingerprint identifies a request by its method, path and body. The body is canonicalised (keys
// sorted, no insignificant space), so that a retry that re-encodes the same JSON still matches.
func fingerprint(req *http.Request) (string, error) {
	raw, err := io.ReadAll(req.Body)
	if err != nil {
		return "", err
	}
	req.Body = io.NopCloser(bytes.NewReader(raw))
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", &kyc.Error{Code: kyc.EInvalidJSON, Message: "The request body is not valid JSON."}
	}
	canonical, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	h.Write([]byte(req.Method + " " + req.URL.Path + "\n"))
	h.Write(canonical)
	return hex.EncodeToString(h.Sum(nil)), nil
}

// recorder keeps a copy of the response body as it is written.
type recorder struct {
	http.ResponseWriter
	body bytes.Buffer
}

func (r *recorder) Write(b []byte) (int, error) {
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}
