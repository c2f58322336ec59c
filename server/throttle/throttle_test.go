package throttle

import (
	"strconv"
	"testing"
	"time"

	"github.com/kiraapi/kira/server/clocktest"
)

// TestMadeUpKeysShareOneBucket: a flood of made-up API keys grows the buckets to MaxBuckets and no
// further; the keys past it share one budget, and a key that had a bucket keeps its own.
func TestMadeUpKeysShareOneBucket(t *testing.T) {
	t.Parallel()
	l := NewBuckets(1, 1, time.Now)
	known := l.Get("known")
	for i := range MaxBuckets + 500 {
		l.Get("made-up-" + strconv.Itoa(i))
	}
	if len(l.buckets) != MaxBuckets {
		t.Fatalf("%d buckets, want at most %d", len(l.buckets), MaxBuckets)
	}
	if a, b := l.Get("another"), l.Get("yet another"); a != b || a != l.overflow {
		t.Error("keys past the cap do not share one bucket")
	}
	if l.Get("known") != known {
		t.Error("a key with a bucket lost it")
	}
}

// TestFailures: failures are spent under every key of an attempt, a forgiven attempt spends
// nothing, and one spent key refuses the attempt without spending the others.
func TestFailures(t *testing.T) {
	t.Parallel()
	clk := clocktest.New(time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC))
	f := NewFailures(2, 1.0/60, 2, clk.Now)
	for range 5 {
		a, wait := f.Begin("ip", "alice")
		if a == nil || wait != 0 {
			t.Fatal("a forgiven attempt spent a failure")
		}
		a.Forgive()
	}
	for range 2 {
		if a, _ := f.Begin("ip", "alice"); a == nil {
			t.Fatal("refused within the burst")
		}
	}
	if a, wait := f.Begin("other ip", "alice"); a != nil || wait <= 0 {
		t.Fatal("alice's failures are spent, from any address")
	}
	if a, _ := f.Begin("other ip", "bob"); a == nil {
		t.Fatal("a refused attempt spent the other address's failures")
	}
	clk.Advance(time.Minute)
	if a, _ := f.Begin("ip", "alice"); a == nil {
		t.Fatal("a failure did not come back after a minute")
	}
}
