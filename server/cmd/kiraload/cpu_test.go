package main

import (
	"os"
	"runtime"
	"testing"
	"time"
)

func TestStatCPUTime(t *testing.T) {
	for _, tt := range []struct {
		stat string
		want time.Duration
		ok   bool
	}{
		{"42 (kirad) S 1 42 42 0 -1 4194560 100 0 0 0 250 37 0 0 20 0 12 0 5 0\n", 2870 * time.Millisecond, true},
		{"42 (a) b (c) S 1 42 42 0 -1 4194560 100 0 0 0 3 4 0 0 20 0 12 0 5 0\n", 70 * time.Millisecond, true},
		{"42 (kirad) S 1 42", 0, false},
		{"42 (kirad) S 1 42 42 0 -1 4194560 100 0 0 0 x 4 0 0", 0, false},
		{"no name", 0, false},
	} {
		got, err := statCPUTime(tt.stat)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("statCPUTime(%q) = %v, %v; want %v, ok %t", tt.stat, got, err, tt.want, tt.ok)
		}
	}
}

// TestCPUTime: the process's CPU time grows as it computes.
func TestCPUTime(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("CPU times are read from Linux's /proc")
	}
	before, err := cpuTime(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		now, err := cpuTime(os.Getpid())
		if err != nil {
			t.Fatal(err)
		}
		if now-before >= 50*time.Millisecond {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("CPU time grew by %v in 10 s of computing", now-before)
		}
	}
}
