package webhook

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Schedule is how long a failed delivery waits before each retry: Schedule[i] follows the
// failure of attempt i+1. A delivery gets len(Schedule)+1 attempts, the first at once.
type Schedule []time.Duration

// DefaultSchedule is Standard Webhooks' schedule: attempts at once, then after about 5 s, 5 min,
// 30 min, 2 h, 5 h, 10 h and 10 h (8 attempts over about 28 hours).
var DefaultSchedule = Schedule{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour}

// jitter is the fraction by which a wait is lengthened or shortened at random, so that the
// retries of many deliveries that failed together do not arrive together.
const jitter = 0.1

// maxRetryAfter caps the wait a receiver may ask for with Retry-After.
const maxRetryAfter = 24 * time.Hour

// Next returns how long to wait after the failure of attempt n (from 1) before the next one, and
// false when n was the last. The wait is the schedule's give or take 10% at random, or what the
// receiver asked for with Retry-After when that is longer (up to a day).
func (s Schedule) Next(n int, retryAfter time.Duration) (time.Duration, bool) {
	return s.next(n, retryAfter, rand.Float64())
}

// next is Next with the random number r, in [0, 1), that sets the jitter.
func (s Schedule) next(n int, retryAfter time.Duration, r float64) (time.Duration, bool) {
	if n < 1 || n > len(s) {
		return 0, false
	}
	wait := time.Duration(float64(s[n-1]) * (1 - jitter + 2*jitter*r))
	return max(wait, min(retryAfter, maxRetryAfter)), true
}

// parseRetryAfter reads a Retry-After header, in seconds or as an HTTP date, as a wait from now;
// 0 when it is absent, malformed or in the past.
func parseRetryAfter(value string, now time.Time) time.Duration {
	value = strings.TrimSpace(value)
	if value == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(value, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		return time.Duration(min(secs, int64(maxRetryAfter/time.Second))) * time.Second
	}
	if at, err := http.ParseTime(value); err == nil && at.After(now) {
		return at.Sub(now)
	}
	return 0
}
