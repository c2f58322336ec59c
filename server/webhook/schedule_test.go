package webhook

import (
	"net/http"
	"testing"
	"time"
)

func TestScheduleNext(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		attempt    int
		retryAfter time.Duration
		r          float64
		want       time.Duration
		wantRetry  bool
	}{
		{"after the first attempt", 1, 0, 0.5, 5 * time.Second, true},
		{"jitter down by 10%", 1, 0, 0, 4500 * time.Millisecond, true},
		{"jitter up by 5%", 2, 0, 0.75, 315 * time.Second, true},
		{"the last retry", 7, 0, 0.5, 10 * time.Hour, true},
		{"after the last attempt", 8, 0, 0.5, 0, false},
		{"no attempt 0", 0, 0, 0.5, 0, false},
		{"a longer Retry-After wins", 1, time.Minute, 0.5, time.Minute, true},
		{"a shorter Retry-After does not", 3, time.Minute, 0.5, 30 * time.Minute, true},
		{"Retry-After is capped at a day", 1, 48 * time.Hour, 0.5, 24 * time.Hour, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, retry := DefaultSchedule.next(tt.attempt, tt.retryAfter, tt.r)
			if got != tt.want || retry != tt.wantRetry {
				t.Errorf("next(%d, %s, %v) = %s, %v; want %s, %v", tt.attempt, tt.retryAfter, tt.r, got, retry, tt.want, tt.wantRetry)
			}
		})
	}
}

func TestScheduleJitterStaysWithinTenPercent(t *testing.T) {
	t.Parallel()
	s := Schedule{time.Hour}
	seen := map[time.Duration]bool{}
	for range 1000 {
		got, ok := s.Next(1, 0)
		if !ok || got < 54*time.Minute || got > 66*time.Minute {
			t.Fatalf("Next = %s, %v; want within 10%% of 1h", got, ok)
		}
		seen[got] = true
	}
	if len(seen) < 100 {
		t.Errorf("only %d distinct waits in 1000: no jitter", len(seen))
	}
	if got := len(DefaultSchedule) + 1; got != 8 {
		t.Errorf("the default schedule makes %d attempts, want 8", got)
	}
}

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 25, 20, 0, 0, 0, time.UTC)
	tests := []struct {
		value string
		want  time.Duration
	}{
		{"", 0},
		{"120", 2 * time.Minute},
		{" 3 ", 3 * time.Second},
		{"0", 0},
		{"-5", 0},
		{"soon", 0},
		{"99999999999999", 24 * time.Hour},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
	}
	for _, tt := range tests {
		if got := parseRetryAfter(tt.value, now); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %s, want %s", tt.value, got, tt.want)
		}
	}
}
