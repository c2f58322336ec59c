package httpapi

import (
	"crypto/sha256"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/time/rate"

	"github.com/kiraapi/kira/server/kyc"
)

// RateLimit is the per-API-key request budget: PerSecond on average, in bursts of up to Burst.
// A zero PerSecond disables the limit.
type RateLimit struct {
	PerSecond float64
	Burst     int
}

// limiters hands out one token bucket per API key. Buckets idle for a while are dropped, and there
// are at most maxBuckets: past that, keys without a bucket of their own (made-up keys, in a flood)
// share one, so that they can grow neither the map nor their budget.
type limiters struct {
	cfg      RateLimit
	now      func() time.Time
	mu       sync.Mutex
	buckets  map[[32]byte]*bucket
	overflow *rate.Limiter
	swept    time.Time
}

// maxBuckets bounds the buckets kept: far more API keys than a deployment has tenants.
const maxBuckets = 10000

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

const idleBucket = 10 * time.Minute

func (l *limiters) get(apiKey string) *rate.Limiter {
	id := sha256.Sum256([]byte(apiKey))
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > idleBucket {
		for k, b := range l.buckets {
			if now.Sub(b.seen) > idleBucket {
				delete(l.buckets, k)
			}
		}
		l.swept = now
	}
	b, ok := l.buckets[id]
	if !ok && len(l.buckets) >= maxBuckets {
		if l.overflow == nil {
			l.overflow = rate.NewLimiter(rate.Limit(l.cfg.PerSecond), l.cfg.Burst)
		}
		return l.overflow
	}
	if !ok {
		b = &bucket{lim: rate.NewLimiter(rate.Limit(l.cfg.PerSecond), l.cfg.Burst)}
		l.buckets[id] = b
	}
	b.seen = now
	return b.lim
}

// rateLimited spends one token of the caller's API key per request, sets the RateLimit-* headers,
// and answers 429 with Retry-After when the bucket is empty. Requests without a key (health
// probes) are not limited.
func rateLimited(cfg RateLimit, now func() time.Time) echo.MiddlewareFunc {
	l := &limiters{cfg: cfg, now: now, buckets: map[[32]byte]*bucket{}}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			key := c.Request().Header.Get(apiKeyHeader)
			if cfg.PerSecond <= 0 || key == "" {
				return next(c)
			}
			lim := l.get(key)
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
