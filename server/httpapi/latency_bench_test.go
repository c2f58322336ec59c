package httpapi_test

import (
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
	"github.com/kiraapi/kira/server/storetest"
)

// BenchmarkDeliveryLatency measures, on each backend, the highest rate of complete creates (each
// starting a verification) that one process sustains with its webhook deliveries keeping up, and
// the delivery latency at that rate. The API's peak is what 16 closed-loop clients reach in 3 s
// over loopback, background work running. From there, each step creates users at a set rate for
// 10 s on a fresh database and measures how long each user.created event takes to reach a
// webhook receiver subscribed to every event (four deliveries per user), from the create's
// request; the first rate whose deliveries keep up (p50 < 1 s, p99 < 5 s) is the sustained one,
// and each step tries 0.7 times the last. It reports both rates (creates/s) and the sustained
// rate's latency (p50 and p99, ms). Run it with `make bench`.
func BenchmarkDeliveryLatency(b *testing.B) {
	const clients, peakFor, stepFor, steps = 16, 3 * time.Second, 10 * time.Second, 8
	for _, be := range storetest.Backends() {
		b.Run(be.Name, func(b *testing.B) {
			for range b.N {
				peak := newLatencyRig(b, be).peakRate(clients, peakFor)
				rate := peak
				var p50, p99 float64
				for step := range steps {
					var kept bool
					p50, p99, kept = newLatencyRig(b, be).latencyAt(rate, stepFor)
					b.Logf("%.0f creates/s: p50 %.0f ms, p99 %.0f ms, keeping up: %v", rate, p50, p99, kept)
					if kept && p50 < 1000 && p99 < 5000 {
						break
					}
					if step == steps-1 {
						b.Fatalf("deliveries keep up at no rate tried, down to %.0f creates/s", rate)
					}
					rate *= 0.7
				}
				b.ReportMetric(peak, "peak-creates/s")
				b.ReportMetric(rate, "sustained-creates/s")
				b.ReportMetric(p50, "p50-ms")
				b.ReportMetric(p99, "p99-ms")
				b.ReportMetric(0, "ns/op")
			}
		})
	}
}

// latencyRig is the whole service on a fresh database with one tenant and a webhook receiver that
// notes when each user's user.created arrives.
type latencyRig struct {
	b      *testing.B
	api    *httptest.Server
	header http.Header
	n      atomic.Int64

	mu       sync.Mutex
	sent     map[string]time.Time // user id -> when its create was sent
	received map[string]time.Time // user id -> when its user.created arrived
}

func newLatencyRig(b *testing.B, be storetest.Backend) *latencyRig {
	r := &latencyRig{b: b, sent: map[string]time.Time{}, received: map[string]time.Time{}}
	svc, header := benchService(b, be, func(o *app.Options) {
		o.Sandbox = true
		o.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	})
	r.header = header
	if err := svc.Start(b.Context()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = svc.Stop(b.Context()) })
	r.api = httptest.NewServer(svc.Handler)
	b.Cleanup(r.api.Close)
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
	b.Cleanup(receiver.Close)

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
	tick := time.NewTicker(time.Duration(float64(time.Second) / rate))
	stop := time.After(d)
	var wg sync.WaitGroup
pace:
	for {
		select {
		case <-stop:
			break pace
		case <-tick.C:
			wg.Go(r.create)
		}
	}
	tick.Stop()
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
