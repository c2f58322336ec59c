package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kiraapi/kira/server/app"
	"github.com/kiraapi/kira/server/store"
	"github.com/kiraapi/kira/server/storetest"
)

// BenchmarkDeliveryLatency measures, on each backend, the highest rate of complete creates (each
// starting a verification) that one process sustains with its webhook deliveries keeping up, and
// the delivery latency at that rate. The API's peak is what 16 closed-loop clients reach in 3 s
// over loopback, background work running. From there, each step creates users at a set rate for
// 10 s on a fresh database and measures how long each user.created event takes to reach a
// webhook receiver subscribed to every event (four deliveries per user), from the create's
// request; the first rate whose deliveries keep up (p50 < 1 s, p99 < 5 s) is a candidate, and
// each step tries 0.7 times the last. Then a run holds the candidate for 60 s on a fresh database,
// reading the job queue each second. The queue stayed flat when every user.created arrived, the
// latency stayed within the same bounds, no due job waited 5 s, and the jobs due or running
// (verifications and deliveries) were, in the mean of the samples of its last 10 s, at most 1.5
// times those of its first 10 s plus 50. The rate held flat is the sustained one; when the queue
// grew, the next hold tries 0.9 times the rate, three holds at most. Each run stops its service
// before the next starts, leaving its queue as it is. It reports the peak and sustained rates
// (creates/s), and at the sustained rate the latency (p50 and p99, ms) and the mean queue in the
// first and last 10 s (jobs); it fails when no hold stayed flat. Run it with `make bench`.
func BenchmarkDeliveryLatency(b *testing.B) {
	const clients, peakFor, stepFor, steps, holdFor, holds = 16, 3 * time.Second, 10 * time.Second, 8, 60 * time.Second, 3
	for _, be := range storetest.Backends() {
		b.Run(be.Name, func(b *testing.B) {
			for range b.N {
				rig := newLatencyRig(b, be)
				peak := rig.peakRate(clients, peakFor)
				rig.close()
				rate := peak
				for step := range steps {
					rig := newLatencyRig(b, be)
					p50, p99, kept := rig.latencyAt(rate, stepFor)
					rig.close()
					b.Logf("%.0f creates/s: p50 %.0f ms, p99 %.0f ms, keeping up: %v", rate, p50, p99, kept)
					if keptUp(p50, p99, kept) {
						break
					}
					if step == steps-1 {
						b.Fatalf("deliveries keep up at no rate tried, down to %.0f creates/s", rate)
					}
					rate *= 0.7
				}
				var p50, p99 float64
				var first, last queueSample
				for try := range holds {
					hold := newLatencyRig(b, be)
					var kept bool
					p50, p99, kept = hold.latencyAt(rate, holdFor)
					hold.close()
					first, last = hold.queueBetween(0, 10*time.Second), hold.queueBetween(holdFor-10*time.Second, holdFor)
					oldest := hold.queueBetween(0, holdFor).oldest
					flat := keptUp(p50, p99, kept) && last.jobs <= 1.5*first.jobs+50 && oldest < 5*time.Second
					b.Logf("held %.0f creates/s for %v: p50 %.0f ms, p99 %.0f ms, every user.created arrived: %v; jobs due or running "+
						"%.0f in the first 10 s, %.0f in the last; a due job waited %v at most; flat: %v",
						rate, holdFor, p50, p99, kept, first.jobs, last.jobs, oldest, flat)
					if flat {
						break
					}
					if try == holds-1 {
						b.Fatalf("the queue stayed flat at no rate held, down to %.0f creates/s", rate)
					}
					rate *= 0.9
				}
				b.ReportMetric(peak, "peak-creates/s")
				b.ReportMetric(rate, "sustained-creates/s")
				b.ReportMetric(p50, "p50-ms")
				b.ReportMetric(p99, "p99-ms")
				b.ReportMetric(first.jobs, "jobs-first-10s")
				b.ReportMetric(last.jobs, "jobs-last-10s")
				b.ReportMetric(0, "ns/op")
			}
		})
	}
}

// keptUp reports whether deliveries kept up with the creates of a run: every user.created arrived
// (kept), at a p50 under 1 s and a p99 under 5 s (ms).
func keptUp(p50, p99 float64, kept bool) bool { return kept && p50 < 1000 && p99 < 5000 }

// latencyRig is the whole service on a fresh database with one tenant and a webhook receiver that
// notes when each user's user.created arrives.
type latencyRig struct {
	b      *testing.B
	api    *httptest.Server
	store  *store.Store
	header http.Header
	n      atomic.Int64
	// close stops the service, its jobs as they are, and the two servers.
	close func()

	mu       sync.Mutex
	sent     map[string]time.Time // user id -> when its create was sent
	received map[string]time.Time // user id -> when its user.created arrived
	queue    []queueSample        // the job queue, read each second while users are created
}

// queueSample is the job queue at a time into a run: the jobs due or running, and how long the
// due job that has waited longest has waited.
type queueSample struct {
	at     time.Duration
	jobs   float64
	oldest time.Duration
}

func newLatencyRig(b *testing.B, be storetest.Backend) *latencyRig {
	r := &latencyRig{b: b, sent: map[string]time.Time{}, received: map[string]time.Time{}}
	svc, header := benchService(b, be, func(o *app.Options) {
		o.Sandbox = true
		o.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
		r.store = o.Store
	})
	r.header = header
	if err := svc.Start(b.Context()); err != nil {
		b.Fatal(err)
	}
	r.api = httptest.NewServer(svc.Handler)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		at := time.Now()
		raw, _ := io.ReadAll(req.Body)
		var e struct {
			Event string
			Data  struct {
				UserID string `json:"user_id"`
			}
		}
		if json.Unmarshal(raw, &e) == nil && e.Event == "user.created" {
			r.mu.Lock()
			r.received[e.Data.UserID] = at
			r.mu.Unlock()
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	r.close = sync.OnceFunc(func() {
		if err := svc.Stop(context.Background()); err != nil {
			b.Error(err)
		}
		r.api.Close()
		receiver.Close()
	})
	b.Cleanup(r.close)

	if status, raw := r.post("/v1/webhooks", `{"url":"`+receiver.URL+`/hook"}`); status != http.StatusCreated {
		b.Fatalf("register the receiver: %d %s", status, raw)
	}
	return r
}

func (r *latencyRig) post(path, body string, kv ...string) (int, []byte) {
	req, _ := http.NewRequest("POST", r.api.URL+path, strings.NewReader(body))
	req.Header = r.header.Clone()
	for i := 0; i < len(kv); i += 2 {
		req.Header.Set(kv[i], kv[i+1])
	}
	resp, err := r.api.Client().Do(req)
	if err != nil {
		r.b.Error(err)
		return 0, nil
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, raw
}

// create creates a complete user and notes when it was sent.
func (r *latencyRig) create() {
	i := r.n.Add(1)
	body := strings.Replace(seedUser, "john.doe@example.com", fmt.Sprintf("u%d@example.com", i), 1)
	start := time.Now()
	status, raw := r.post("/v1/users", body, "Idempotency-Key", fmt.Sprint("latency-", i))
	if status != http.StatusCreated {
		r.b.Errorf("create: %d %s", status, raw)
		return
	}
	var u struct{ ID string }
	_ = json.Unmarshal(raw, &u)
	r.mu.Lock()
	r.sent[u.ID] = start
	r.mu.Unlock()
}

// peakRate is the creates per second that clients closed-loop clients reach in d.
func (r *latencyRig) peakRate(clients int, d time.Duration) float64 {
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				r.create()
			}
		})
	}
	wg.Wait()
	return float64(r.n.Load()) / d.Seconds()
}

// latencyAt creates users at rate per second for d and waits for their user.created deliveries.
// It returns the latency's p50 and p99 in ms, and whether every delivery arrived within
// drainFor of the last create (when not, the latencies are of those that did).
func (r *latencyRig) latencyAt(rate float64, d time.Duration) (p50, p99 float64, kept bool) {
	const drainFor = 15 * time.Second
	tick, sample := time.NewTicker(time.Duration(float64(time.Second)/rate)), time.NewTicker(time.Second)
	start, stop := time.Now(), time.After(d)
	var wg sync.WaitGroup
pace:
	for {
		select {
		case <-stop:
			break pace
		case <-tick.C:
			wg.Go(r.create)
		case <-sample.C:
			wg.Go(func() { r.sampleQueue(time.Since(start)) })
		}
	}
	tick.Stop()
	sample.Stop()
	wg.Wait()
	var latencies []time.Duration
	for deadline := time.Now().Add(drainFor); ; time.Sleep(100 * time.Millisecond) {
		r.mu.Lock()
		latencies = latencies[:0]
		for id, start := range r.sent {
			if at, ok := r.received[id]; ok {
				latencies = append(latencies, at.Sub(start))
			}
		}
		kept = len(latencies) == len(r.sent)
		r.mu.Unlock()
		if kept || time.Now().After(deadline) {
			break
		}
	}
	if len(latencies) == 0 {
		return 0, 0, false
	}
	slices.Sort(latencies)
	pct := func(p float64) float64 {
		return float64(latencies[int(p*float64(len(latencies)-1))].Microseconds()) / 1000
	}
	return pct(0.50), pct(0.99), kept
}

// sampleQueue reads the job queue, at into the run.
func (r *latencyRig) sampleQueue(at time.Duration) {
	stats, err := r.store.QueueStats(r.b.Context())
	if err != nil {
		r.b.Error(err)
		return
	}
	q := queueSample{at: at}
	for _, s := range stats {
		switch s.State {
		case store.JobAvailable:
			q.jobs += float64(s.Jobs)
			q.oldest = max(q.oldest, s.OldestAge)
		case store.JobRunning:
			q.jobs += float64(s.Jobs)
		}
	}
	r.mu.Lock()
	r.queue = append(r.queue, q)
	r.mu.Unlock()
}

// queueBetween sums up the samples of the queue taken between from (included) and to into the
// run: the mean of their jobs due or running, and the longest a due job had waited.
func (r *latencyRig) queueBetween(from, to time.Duration) queueSample {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out queueSample
	n := 0
	for _, q := range r.queue {
		if q.at >= from && q.at < to {
			out.jobs += q.jobs
			out.oldest = max(out.oldest, q.oldest)
			n++
		}
	}
	if n > 0 {
		out.jobs /= float64(n)
	}
	return out
}
