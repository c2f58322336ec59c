package httpapi

import (
	"log/slog"
	"regexp"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
)

const requestIDKey = "kira.request_id"

// A client may choose its own request id, if it is short and plain; otherwise one is made up.
var clientRequestID = regexp.MustCompile(`^[A-Za-z0-9._-]{8,128}$`)

// securityHeaders go on every API response: they carry personal data, which no cache may keep
// and no browser may sniff into something else.
var securityHeaders = map[string]string{
	"Cache-Control":          "no-store",
	"X-Content-Type-Options": "nosniff",
}

// withRequestID gives every request an id, returned in X-Request-Id and in error bodies, and sets
// the security headers.
func withRequestID(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		id := c.Request().Header.Get(echo.HeaderXRequestID)
		if !clientRequestID.MatchString(id) {
			id = uuid.Must(uuid.NewV7()).String()
		}
		c.Set(requestIDKey, id)
		h := c.Response().Header()
		h.Set(echo.HeaderXRequestID, id)
		for k, v := range securityHeaders {
			h.Set(k, v)
		}
		return next(c)
	}
}

func requestID(c echo.Context) string {
	id, _ := c.Get(requestIDKey).(string)
	return id
}

// accessLog logs one line per request: the route pattern (never the raw path or query, which can
// carry an email address), the status and the latency.
func accessLog(logger *slog.Logger, now func() time.Time) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := now()
			if err := next(c); err != nil {
				c.Error(err)
			}
			res := c.Response()
			logger.InfoContext(c.Request().Context(), "request",
				"request_id", requestID(c),
				"method", c.Request().Method,
				"route", c.Path(),
				"status", res.Status,
				"bytes", res.Size,
				"duration_ms", float64(now().Sub(start).Microseconds())/1000,
			)
			return nil
		}
	}
}
