package httpapi

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/kiraapi/kira/server/kyc"
	"github.com/kiraapi/kira/server/throttle"
)

// RateLimit is the per-API-key request budget: PerSecond on average, in bursts of up to Burst.
// A zero PerSecond disables the limit.
type RateLimit struct {
	PerSecond float64
	Burst     int
}

// rateLimited spends one token of the caller's API key (on the review routes, of its operator
// token) per request, sets the RateLimit-* headers, and answers 429 with Retry-After when the
// bucket is empty. Requests without a key (health probes) are not limited.
func rateLimited(cfg RateLimit, now func() time.Time) echo.MiddlewareFunc {
	l := throttle.NewBuckets(cfg.PerSecond, cfg.Burst, now)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			key := c.Request().Header.Get(apiKeyHeader)
			if token, ok := bearer(c.Request()); ok && key == "" && strings.HasPrefix(c.Request().URL.Path, reviewPrefix) {
				key = "operator\x00" + token // the operators' routes take no API key: their token's budget
			}
			if cfg.PerSecond <= 0 || key == "" {
				return next(c)
			}
			lim := l.Get(key)
			at := now()
			allowed := lim.AllowN(at, 1)
			remaining := int(math.Max(0, math.Floor(lim.TokensAt(at))))
			h := c.Response().Header()
			h.Set("RateLimit-Limit", strconv.Itoa(cfg.Burst))
			h.Set("RateLimit-Remaining", strconv.Itoa(remaining))
			// Seconds until the bucket is full again.
			reset := math.Ceil(float64(cfg.Burst-remaining) / cfg.PerSecond)
			h.Set("RateLimit-Reset", strconv.Itoa(int(reset)))
			if !allowed {
				wait := math.Ceil((1 - lim.TokensAt(at)) / cfg.PerSecond)
				h.Set("Retry-After", strconv.Itoa(int(math.Max(1, wait))))
				return &kyc.Error{Code: codeRateLimited, Message: "Too many requests; retry after the time in Retry-After."}
			}
			return next(c)
		}
	}
}
