package main

import (
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestPacedRunsOpenLoop checks that a paced run starts its requests on schedule whatever the
// answers: every request of the run is in flight at once while the server holds them all, which
// a closed loop, waiting for each answer before the next request, would never do.
func TestPacedRunsOpenLoop(t *testing.T) {
	const due = 20 // requests in the run: 1,000 a second for 20 ms
	var arrived atomic.Int64
	all, release := make(chan struct{}), make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if arrived.Add(1) == due {
			close(all)
		}
		<-release
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	sc := scenario{name: "held", request: func(base string, _ int64) (*http.Request, error) {
		return http.NewRequest("GET", base+"/", nil)
	}}
	done := make(chan measured, 1)
	go func() {
		m, err := paced(&server{base: srv.URL}, sc, 1000, due*time.Millisecond, http.StatusNoContent)
		if err != nil {
			t.Error(err)
		}
		done <- m
	}()
	select {
	case <-all:
	case <-time.After(30 * time.Second):
		t.Fatalf("%d of %d requests in flight at once", arrived.Load(), due)
	}
	close(release)
	if m := <-done; math.Round(m.rps*due/1000) != due || m.p50 <= 0 || m.p99 < m.p50 {
		t.Errorf("measured %+v, want %d requests and ordered percentiles", m, due)
	}
}

// TestPendingJobs: the jobs due or running, summed over kinds, from kirad's metrics.
func TestPendingJobs(t *testing.T) {
	const exposition = `# HELP kira_jobs Jobs in the queue, by kind and state (available, scheduled, retryable, running).
# TYPE kira_jobs gauge
kira_jobs{kind="deliver_webhook",state="available"} 3
kira_jobs{kind="deliver_webhook",state="retryable"} 7
kira_jobs{kind="deliver_webhook",state="running"} 2
kira_jobs{kind="deliver_webhook",state="scheduled"} 5
kira_jobs{kind="verify_user",state="available"} 1
kira_job_oldest_age_seconds{kind="verify_user"} 4
`
	got, err := pendingJobs(strings.NewReader(exposition))
	if err != nil || got != 6 {
		t.Errorf("pendingJobs = %d, %v; want 6", got, err)
	}
	if _, err := pendingJobs(strings.NewReader(`kira_jobs{kind="x",state="running"} many` + "\n")); err == nil {
		t.Error("a sample that is not a number was read")
	}
}
