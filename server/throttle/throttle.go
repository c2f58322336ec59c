// Package throttle keeps token buckets by key, in bounded memory: the API's per-key request
// budget, and the budgets of failed logins (the API's POST /auth and the review console's
// sign-in), spent under several keys at once.
package throttle

import (
	"crypto/sha256"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Buckets hands out one token bucket per key. Buckets idle for a while are dropped, and there
// are at most MaxBuckets: past that, keys without a bucket of their own (made-up keys, in a flood)
// share one, so that they can grow neither the map nor their budget.
type Buckets struct {
	perSecond float64
	burst     int
	now       func() time.Time
	mu        sync.Mutex
	buckets   map[[32]byte]*bucket
	overflow  *rate.Limiter
	swept     time.Time
}

// MaxBuckets bounds the buckets kept: far more keys than a deployment has tenants or operators.
const MaxBuckets = 10000

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

const idleBucket = 10 * time.Minute

// NewBuckets returns buckets that fill at perSecond tokens a second up to burst, on clock now.
func NewBuckets(perSecond float64, burst int, now func() time.Time) *Buckets {
	return &Buckets{perSecond: perSecond, burst: burst, now: now, buckets: map[[32]byte]*bucket{}}
}

// Get returns key's bucket. Keys are kept as their SHA-256, never as given.
func (l *Buckets) Get(key string) *rate.Limiter {
	id := sha256.Sum256([]byte(key))
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
	if !ok && len(l.buckets) >= MaxBuckets {
		if l.overflow == nil {
			l.overflow = rate.NewLimiter(rate.Limit(l.perSecond), l.burst)
		}
		return l.overflow
	}
	if !ok {
		b = &bucket{lim: rate.NewLimiter(rate.Limit(l.perSecond), l.burst)}
		l.buckets[id] = b
	}
	b.seen = now
	return b.lim
}

// Failures budgets failed attempts (logins) under several kinds of key at once: an attempt
// spends one failure of each of its keys, and is refused while any of them is spent.
type Failures struct {
	now   func() time.Time
	kinds []*Buckets
}

// NewFailures returns a failure budget of kinds kinds of key, each allowing burst failures in a
// row and then perSecond a second.
func NewFailures(kinds int, perSecond float64, burst int, now func() time.Time) *Failures {
	f := &Failures{now: now}
	for range kinds {
		f.kinds = append(f.kinds, NewBuckets(perSecond, burst, now))
	}
	return f
}

// Attempt is an attempt under way: it has spent one failure of each of its keys, which Forgive
// gives back.
type Attempt struct {
	at           time.Time
	reservations []*rate.Reservation
}

// Begin starts an attempt under keys, one per kind (in NewFailures' order). When a key's failures
// are spent it spends nothing and returns how long to wait; otherwise it returns the attempt,
// which the caller forgives unless the attempt fails.
func (f *Failures) Begin(keys ...string) (*Attempt, time.Duration) {
	a := &Attempt{at: f.now()}
	var wait time.Duration
	for i, k := range keys {
		r := f.kinds[i].Get(k).ReserveN(a.at, 1)
		a.reservations = append(a.reservations, r)
		wait = max(wait, r.DelayFrom(a.at))
	}
	if wait > 0 {
		a.Forgive()
		return nil, wait
	}
	return a, 0
}

// Forgive gives back the failures the attempt spent: it did not fail.
func (a *Attempt) Forgive() {
	for _, r := range a.reservations {
		r.CancelAt(a.at)
	}
}
