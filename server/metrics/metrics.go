// Package metrics defines the service's Prometheus metrics and serves them in the text exposition
// format. Every label takes a small, fixed set of values (operation ids, methods, status classes,
// outcomes, job kinds): never a user id, an email address or a URL.
//
// The series:
//
//	kira_http_request_duration_seconds{operation,method,status_class}  histogram; _count is requests
//	kira_verification_duration_seconds{outcome}                         histogram of the time a user spent VERIFYING before a decision
//	kira_webhook_attempt_duration_seconds{result}                       histogram of delivery attempts (success, failure, gone)
//	kira_webhook_delivery_attempts{outcome}                             histogram of attempts a finished delivery took (succeeded, exhausted, canceled)
//	kira_idempotency_total{outcome}                                     counter of replayed responses and refused keys (replay, conflict, in_progress)
//	kira_jobs{kind,state}                                               gauge of queued jobs (available, scheduled, retryable, running)
//	kira_job_oldest_age_seconds{kind}                                   gauge: how long the oldest due job has waited
//	kira_db_connections{pool,state}                                     gauge of database connections in use and idle
//	kira_db_max_connections{pool}                                       gauge of each pool's size
//	kira_db_acquire_waits_total{pool}                                   counter of waits for a free connection
//
// plus the Go runtime's and the process's standard series.
package metrics

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/kiraapi/kira/server/store"
)

// Idempotency outcomes.
const (
	// IdempotentReplay is a request answered with the stored response of its key.
	IdempotentReplay = "replay"
	// IdempotencyConflict is a key reused with another request (422).
	IdempotencyConflict = "conflict"
	// IdempotencyInProgress is a key reused while its first request is running (409).
	IdempotencyInProgress = "in_progress"
)

// Metrics records the service's metrics in a registry of its own. Its methods are safe for
// concurrent use; a nil *Metrics records nothing.
type Metrics struct {
	reg          *prometheus.Registry
	requests     *prometheus.HistogramVec
	verification *prometheus.HistogramVec
	attempts     *prometheus.HistogramVec
	deliveries   *prometheus.HistogramVec
	idempotency  *prometheus.CounterVec
}

// Database is what the metrics read from the database at each scrape: store.Store.
type Database interface {
	QueueStats(ctx context.Context) ([]store.QueueStat, error)
	PoolStats() []store.PoolStat
}

// Options configure New.
type Options struct {
	// Database is read at each scrape for the job queue and the connection pools; nil leaves
	// those series out.
	Database Database
	// JobKinds are the kinds of job the service runs: each has its queue series, 0 when none is
	// queued.
	JobKinds []string
	// Logger receives failures to read the database; nil discards them.
	Logger *slog.Logger
}

// New returns the service's metrics.
func New(opts Options) *Metrics {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "kira_http_request_duration_seconds",
			Help:    "Time to answer an API request, by operation id, method and status class (2xx, 4xx, 5xx).",
			Buckets: prometheus.DefBuckets,
		}, []string{"operation", "method", "status_class"}),
		verification: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "kira_verification_duration_seconds",
			Help:    "Time a user spent VERIFYING before the provider decided, by outcome (VERIFIED, REJECTED, REVIEW).",
			Buckets: []float64{0.1, 0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600},
		}, []string{"outcome"}),
		attempts: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "kira_webhook_attempt_duration_seconds",
			Help:    "Time of one webhook delivery attempt, by result (success, failure, gone).",
			Buckets: []float64{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15},
		}, []string{"result"}),
		deliveries: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "kira_webhook_delivery_attempts",
			Help:    "Attempts a finished webhook delivery took, by outcome (succeeded, exhausted, canceled).",
			Buckets: []float64{1, 2, 3, 4, 5, 6, 7, 8},
		}, []string{"outcome"}),
		idempotency: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kira_idempotency_total",
			Help: "Idempotent requests answered from a stored response (replay) or refused because the key was reused for another request (conflict) or while its first request ran (in_progress).",
		}, []string{"outcome"}),
	}
	m.reg.MustRegister(m.requests, m.verification, m.attempts, m.deliveries, m.idempotency,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if opts.Database != nil {
		m.reg.MustRegister(&databaseCollector{db: opts.Database, kinds: opts.JobKinds, logger: opts.Logger})
	}
	return m
}

// Handler serves the metrics in the Prometheus text format (GET /metrics).
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// ObserveRequest records an answered API request: operation is the spec's operationId (or another
// fixed name), status the HTTP status code.
func (m *Metrics) ObserveRequest(operation, method string, status int, elapsed time.Duration) {
	if m == nil {
		return
	}
	m.requests.WithLabelValues(operation, method, statusClass(status)).Observe(elapsed.Seconds())
}

// ObserveDecision records a verification decision (outcome: the user's new status) and how long
// the user was VERIFYING.
func (m *Metrics) ObserveDecision(outcome string, verifying time.Duration) {
	if m == nil {
		return
	}
	m.verification.WithLabelValues(outcome).Observe(verifying.Seconds())
}

// ObserveAttempt records one webhook delivery attempt: result is success, failure or gone.
func (m *Metrics) ObserveAttempt(result string, elapsed time.Duration) {
	if m == nil {
		return
	}
	m.attempts.WithLabelValues(result).Observe(elapsed.Seconds())
}

// ObserveDelivery records a finished webhook delivery: its outcome (succeeded, exhausted,
// canceled) and the attempts it took.
func (m *Metrics) ObserveDelivery(outcome string, attempts int) {
	if m == nil {
		return
	}
	m.deliveries.WithLabelValues(outcome).Observe(float64(attempts))
}

// IdempotencyOutcome counts an idempotent request answered from its stored response
// (IdempotentReplay) or refused for reusing a key (IdempotencyConflict, IdempotencyInProgress).
func (m *Metrics) IdempotencyOutcome(outcome string) {
	if m == nil {
		return
	}
	m.idempotency.WithLabelValues(outcome).Inc()
}

// statusClass is "2xx" for 200 to 299, and so on.
func statusClass(status int) string {
	if status < 100 || status > 599 {
		return "other"
	}
	return strconv.Itoa(status/100) + "xx"
}

// databaseCollector reads the job queue and the connection pools at each scrape.
type databaseCollector struct {
	db     Database
	kinds  []string
	logger *slog.Logger
}

// queueStates are the job states reported, 0 when no job is in one.
var queueStates = []string{store.JobAvailable, store.JobScheduled, store.JobRetryable, store.JobRunning}

var (
	jobsDesc = prometheus.NewDesc("kira_jobs", "Jobs in the queue, by kind and state (available, scheduled, retryable, running).",
		[]string{"kind", "state"}, nil)
	jobAgeDesc = prometheus.NewDesc("kira_job_oldest_age_seconds", "How long the oldest job that is due has waited to run, by kind.",
		[]string{"kind"}, nil)
	connsDesc = prometheus.NewDesc("kira_db_connections", "Database connections by pool and state (in_use, idle).",
		[]string{"pool", "state"}, nil)
	maxConnsDesc = prometheus.NewDesc("kira_db_max_connections", "The most connections each pool opens.",
		[]string{"pool"}, nil)
	waitsDesc = prometheus.NewDesc("kira_db_acquire_waits_total", "Times a query waited for a free connection, by pool.",
		[]string{"pool"}, nil)
)

// scrapeTimeout bounds the database queries of one scrape.
const scrapeTimeout = 2 * time.Second

func (c *databaseCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{jobsDesc, jobAgeDesc, connsDesc, maxConnsDesc, waitsDesc} {
		ch <- d
	}
}

func (c *databaseCollector) Collect(ch chan<- prometheus.Metric) {
	for _, p := range c.db.PoolStats() {
		ch <- prometheus.MustNewConstMetric(connsDesc, prometheus.GaugeValue, float64(p.InUse), p.Pool, "in_use")
		ch <- prometheus.MustNewConstMetric(connsDesc, prometheus.GaugeValue, float64(p.Idle), p.Pool, "idle")
		ch <- prometheus.MustNewConstMetric(maxConnsDesc, prometheus.GaugeValue, float64(p.Max), p.Pool)
		ch <- prometheus.MustNewConstMetric(waitsDesc, prometheus.CounterValue, float64(p.Waits), p.Pool)
	}
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	stats, err := c.db.QueueStats(ctx)
	if err != nil {
		c.logger.Warn("metrics: read the job queue", "error", err)
		return
	}
	type key struct{ kind, state string }
	found := map[key]store.QueueStat{}
	kinds := slices.Clone(c.kinds)
	for _, s := range stats {
		found[key{s.Kind, s.State}] = s
		if !slices.Contains(kinds, s.Kind) {
			kinds = append(kinds, s.Kind)
		}
	}
	for _, kind := range kinds {
		for _, state := range queueStates {
			ch <- prometheus.MustNewConstMetric(jobsDesc, prometheus.GaugeValue, float64(found[key{kind, state}].Jobs), kind, state)
		}
		ch <- prometheus.MustNewConstMetric(jobAgeDesc, prometheus.GaugeValue, found[key{kind, store.JobAvailable}].OldestAge.Seconds(), kind)
	}
}
