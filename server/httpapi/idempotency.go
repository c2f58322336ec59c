package httpapi

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/kiraapi/kira/server/kyc"
)

const (
	idempotencyHeader = "Idempotency-Key"
	replayedHeader    = "Idempotent-Replayed"
	// IdempotencyTTL is how long a key and its first response are kept.
	IdempotencyTTL = 24 * time.Hour
)

// errNotKept rolls back a request's transaction when its response is not a success: a request
// that fails leaves no trace, so that it can be fixed and retried with the same key.
var errNotKept = errors.New("the response is not a success: nothing is kept")

// idempotent makes the operations whose spec declares an Idempotency-Key header safe to retry,
// exactly once. The key is
// scoped to the tenant; the request is fingerprinted (method, path and canonical body). Each
// request runs in one transaction (kyc.ContextWithTx): the key's claim, the handler's writes,
// events and jobs, and its 2xx response (status, headers, body) commit together or not at all,
// and the response is sent only once they have. So a retry after any failure, a crash included,
// either replays the committed response or runs the request as if for the first time; it can
// never make a second resource. The same key with another body is a 422; a duplicate that arrives
// while the first is running waits for it and replays its response (on PostgreSQL, for at most a
// few seconds, then 409). Requests rejected by validation never reach this middleware. A kept
// response names the user it is about (responseUser), so that erasing that user deletes it.
func idempotent(store kyc.Transactor, hasher kyc.KeyHasher, now func() time.Time, ops operations) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			key := req.Header.Get(idempotencyHeader)
			tenant := tenantFrom(req.Context())
			if !ops.takes(req.Method, c.Path(), idempotencyHeader) || key == "" || tenant == nil {
				return next(c)
			}
			fingerprint, err := fingerprint(req)
			if err != nil {
				return err
			}
			at := now().UTC()
			rec := &kyc.IdempotencyRecord{
				TenantID: tenant.ID, KeyHash: hasher.Hash("idempotency-key", key), Fingerprint: fingerprint,
				CreatedAt: at, ExpiresAt: at.Add(IdempotencyTTL),
			}
			var existing *kyc.IdempotencyRecord
			res := c.Response()
			held := &heldResponse{header: http.Header{}}
			sent := res.Writer
			var handlerErr error
			err = store.InTx(req.Context(), func(tx kyc.Tx) error {
				var err error
				if existing, err = tx.ClaimIdempotencyKey(req.Context(), rec); err != nil || existing != nil {
					return err
				}
				c.SetRequest(req.WithContext(kyc.ContextWithTx(req.Context(), tx)))
				res.Writer = held
				func() {
					// Even if the handler panics, the recovery's answer must reach the client.
					defer func() { res.Writer = sent; c.SetRequest(req) }()
					handlerErr = next(c)
				}()
				if handlerErr != nil || res.Status < 200 || res.Status > 299 {
					return errNotKept
				}
				rec.Status, rec.Header, rec.Body = res.Status, held.header, held.body.Bytes()
				rec.UserID = responseUser(c, held.header)
				return tx.CompleteIdempotencyKey(req.Context(), rec)
			})
			switch {
			case existing != nil:
				return replay(c, existing, fingerprint)
			case errors.Is(err, errNotKept) && handlerErr != nil:
				return handlerErr
			case err != nil && !errors.Is(err, errNotKept):
				// The work did not commit, whatever the handler answered: forget that answer.
				res.Committed, res.Status, res.Size = false, 0, 0
				return err
			}
			return held.sendTo(sent)
		}
	}
}

// responseUser names the user a response is about, so that erasing the user purges it: the
// route's user, or the user a create made (its Location).
func responseUser(c echo.Context, header http.Header) string {
	if id := c.Param("userId"); id != "" {
		return id
	}
	id, _ := strings.CutPrefix(header.Get(echo.HeaderLocation), "/v1/users/")
	return id
}

// replay answers with the response kept for the key, or refuses a different request under it.
func replay(c echo.Context, existing *kyc.IdempotencyRecord, fingerprint string) error {
	if existing.Fingerprint != fingerprint {
		return &kyc.Error{Code: kyc.EIdempotencyReused, Message: "This Idempotency-Key was used with a different request.",
			Fields: []kyc.FieldError{{Field: idempotencyHeader, Message: "was used with a different request body"}}}
	}
	h := c.Response().Header()
	for name, values := range existing.Header {
		h[name] = values
	}
	h.Set(replayedHeader, "true")
	contentType := h.Get(echo.HeaderContentType)
	if contentType == "" {
		contentType = echo.MIMEApplicationJSON
	}
	return c.Blob(existing.Status, contentType, existing.Body)
}

// fingerprint identifies a request by its method, path and body. The body is canonicalised (keys
// sorted, no insignificant space), so that a retry that re-encodes the same JSON still matches; a
// route without a body has none.
func fingerprint(req *http.Request) (string, error) {
	raw, err := io.ReadAll(req.Body)
	if err != nil {
		return "", err
	}
	req.Body = io.NopCloser(bytes.NewReader(raw))
	h := sha256.New()
	h.Write([]byte(req.Method + " " + req.URL.Path + "\n"))
	if len(raw) == 0 {
		return hex.EncodeToString(h.Sum(nil)), nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", &kyc.Error{Code: codeInvalidJSON, Message: "The request body is not valid JSON."}
	}
	canonical, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	h.Write(canonical)
	return hex.EncodeToString(h.Sum(nil)), nil
}

// heldResponse is a response written by a handler and held back until its transaction commits.
// Its header holds only what the handler set.
type heldResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (h *heldResponse) Header() http.Header         { return h.header }
func (h *heldResponse) WriteHeader(status int)      { h.status = status }
func (h *heldResponse) Write(b []byte) (int, error) { return h.body.Write(b) }

// sendTo writes the held response to w, beside the headers w already has.
func (h *heldResponse) sendTo(w http.ResponseWriter) error {
	for name, values := range h.header {
		w.Header()[name] = values
	}
	if h.status == 0 {
		h.status = http.StatusOK
	}
	w.WriteHeader(h.status)
	_, err := w.Write(h.body.Bytes())
	return err
}
