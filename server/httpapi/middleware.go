package httpapi

import (
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/otel/trace"

	"github.com/kiraapi/kira/server/kyc"
	"github.com/kiraapi/kira/server/metrics"
)

// A client may choose its own request id, if it is short and plain; otherwise one is made up.
var clientRequestID = regexp.MustCompile(`^[A-Za-z0-9._-]{8,128}$`)

// securityHeaders go on every API response: they carry personal data, which no cache may keep
// and no browser may sniff into something else. Names are canonical (http.CanonicalHeaderKey).
var securityHeaders = []struct{ name, value string }{
	{"Cache-Control", "no-store"},
	{"X-Content-Type-Options", "nosniff"},
}

// setSecurityHeaders sets securityHeaders in h.
func setSecurityHeaders(h http.Header) {
	for _, sh := range securityHeaders {
		h[sh.name] = []string{sh.value}
	}
}

// withRequestID gives every request an id, returned in X-Request-Id and in error bodies, and sets
// the security headers. The id replaces the request's own X-Request-Id too, where requestID reads
// it: the response's headers are not the same map throughout (the idempotency middleware holds a
// handler's response back in one of its own).
func withRequestID(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		id := []string{newRequestID(req)}
		req.Header[echo.HeaderXRequestID] = id
		h := c.Response().Header()
		h[echo.HeaderXRequestID] = id
		setSecurityHeaders(h)
		return next(c)
	}
}

// newRequestID is the request's id: the client's X-Request-Id when it is sane, else a new UUIDv7.
func newRequestID(r *http.Request) string {
	if id := r.Header.Get(echo.HeaderXRequestID); clientRequestID.MatchString(id) {
		return id
	}
	return uuid.Must(uuid.NewV7()).String()
}

// requestID is the request's id, which withRequestID set.
func requestID(c echo.Context) string {
	return c.Request().Header.Get(echo.HeaderXRequestID)
}

// Observer records each answered request (metrics.Metrics): operation is the spec's operationId
// of the route. IdempotencyOutcome counts idempotent requests answered from the stored response
// (metrics.IdempotentReplay), refused for reusing a key with another request
// (metrics.IdempotencyConflict) or while the first is running (metrics.IdempotencyInProgress).
type Observer interface {
	ObserveRequest(operation, method string, status int, elapsed time.Duration)
	IdempotencyOutcome(outcome string)
}

// unmatchedOperation names the requests of no route in the spec.
const unmatchedOperation = "unmatched"

// accessLog logs one line per request: the request id, the trace id when the request is traced,
// the route pattern (never the raw path or query, which can carry an email address), the status
// and the latency; and reports the request to observer, labelled with its operation id
// (operationOf).
func accessLog(logger *slog.Logger, now func() time.Time, observer Observer, ops operations) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := now()
			err := next(c)
			if err != nil {
				c.Error(err)
			}
			res := c.Response()
			elapsed := now().Sub(start)
			method := c.Request().Method
			attrs := make([]slog.Attr, 0, 7)
			attrs = append(attrs, slog.String("request_id", requestID(c)))
			if sc := trace.SpanContextFromContext(c.Request().Context()); sc.HasTraceID() {
				attrs = append(attrs, slog.String("trace_id", sc.TraceID().String()))
			}
			logger.LogAttrs(c.Request().Context(), slog.LevelInfo, "request", append(attrs,
				slog.String("method", method),
				slog.String("route", c.Path()),
				slog.Int("status", res.Status),
				slog.Int64("bytes", res.Size),
				slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000),
			)...)
			if observer != nil {
				observer.ObserveRequest(operationOf(ops, c), method, res.Status, elapsed)
				if outcome := idempotencyOutcome(res, err); outcome != "" {
					observer.IdempotencyOutcome(outcome)
				}
			}
			return nil
		}
	}
}

// operationOf names the request's route: the spec's operationId, the document's name for the
// routes that serve the spec, or unmatchedOperation.
func operationOf(ops operations, c echo.Context) string {
	switch op, ok := ops.of(c); {
	case ok:
		return op.id
	case isDocumentRoute(c):
		return strings.TrimPrefix(c.Path(), "/")
	}
	return unmatchedOperation
}

// idempotencyOutcome tells from an answered request, and the error its handler returned, whether
// the idempotency middleware replayed it or refused its key; "" when neither.
func idempotencyOutcome(res *echo.Response, err error) string {
	switch {
	case res.Header().Get(replayedHeader) == "true":
		return metrics.IdempotentReplay
	case kyc.ErrorCode(err) == kyc.EIdempotencyReused:
		return metrics.IdempotencyConflict
	case kyc.ErrorCode(err) == kyc.EIdempotencyInUse:
		return metrics.IdempotencyInProgress
	}
	return ""
}
