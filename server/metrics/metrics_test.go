package metrics_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/kiraapi/kira/server/metrics"
	"github.com/kiraapi/kira/server/store"
)

// brokenQueue has pools but cannot read the job queue.
type brokenQueue struct{}

func (brokenQueue) QueueStats(context.Context) ([]store.QueueStat, error) {
	return nil, errors.New("database is down")
}

func (brokenQueue) PoolStats() []store.PoolStat {
	return []store.PoolStat{{Pool: "postgres", InUse: 2, Idle: 3, Max: 10, Waits: 7}}
}

func scrape(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	return string(body)
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	var logs strings.Builder
	m := metrics.New(metrics.Options{Database: brokenQueue{}, JobKinds: []string{"verify_user"}, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	for _, status := range []int{200, 201, 404, 503, 0} {
		m.ObserveRequest("createUser", "POST", status, time.Millisecond)
	}
	m.IdempotencyOutcome(metrics.IdempotentReplay)
	text := scrape(t, m)
	for _, want := range []string{
		`kira_http_request_duration_seconds_count{method="POST",operation="createUser",status_class="2xx"} 2`,
		`kira_http_request_duration_seconds_count{method="POST",operation="createUser",status_class="4xx"} 1`,
		`kira_http_request_duration_seconds_count{method="POST",operation="createUser",status_class="5xx"} 1`,
		`kira_http_request_duration_seconds_count{method="POST",operation="createUser",status_class="other"} 1`,
		`kira_idempotency_total{outcome="replay"} 1`,
		`kira_db_connections{pool="postgres",state="in_use"} 2`,
		`kira_db_max_connections{pool="postgres"} 10`,
		`kira_db_acquire_waits_total{pool="postgres"} 7`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	// The queue could not be read: its series are left out, and the failure is logged.
	if strings.Contains(text, "kira_jobs{") || !strings.Contains(logs.String(), "database is down") {
		t.Errorf("queue series %v, logs %q", strings.Contains(text, "kira_jobs{"), logs.String())
	}
}

func TestNilMetricsRecordNothing(t *testing.T) {
	t.Parallel()
	var m *metrics.Metrics
	m.ObserveRequest("createUser", "POST", 200, time.Millisecond)
	m.ObserveDecision("VERIFIED", time.Second)
	m.ObserveAttempt("success", time.Millisecond)
	m.ObserveDelivery("succeeded", 1)
	m.IdempotencyOutcome(metrics.IdempotencyConflict)
}
