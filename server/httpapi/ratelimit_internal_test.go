package httpapi

import (
	"strconv"
	"testing"
	"time"
)

// TestMadeUpKeysShareOneBucket: a flood of made-up API keys grows the buckets to maxBuckets and no
// further; the keys past it share one budget, and a key that had a bucket keeps its own.
func TestMadeUpKeysShareOneBucket(t *testing.T) {
	t.Parallel()
	l := &limiters{cfg: RateLimit{PerSecond: 1, Burst: 1}, now: time.Now, buckets: map[[32]byte]*bucket{}}
	known := l.get("known")
	for i := range maxBuckets + 500 {
		l.get("made-up-" + strconv.Itoa(i))
	}
	if len(l.buckets) != maxBuckets {
		t.Fatalf("%d buckets, want at most %d", len(l.buckets), maxBuckets)
	}
	if a, b := l.get("another"), l.get("yet another"); a != b || a != l.overflow {
		t.Error("keys past the cap do not share one bucket")
	}
	if l.get("known") != known {
		t.Error("a key with a bucket lost it")
	}
}
