package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/kiraapi/kira/server/app"
)

// TestTraceOfACreate creates a user whom the sandbox verifies, in a trace the caller started
// (traceparent), with a webhook endpoint for its events, and reads the spans an in-memory exporter
// received: the request, the verification job it queued, the delivery jobs and their sends, all
// in the caller's trace, each under the span that caused it, with ids and no personal data. The
// request's access log line names the trace.
func TestTraceOfACreate(t *testing.T) {
	t.Parallel()
	var exporters sync.Map // the options' PublicURL (one per backend's server): its exporter
	forEachBackend(t, func(t *testing.T, env *testEnv) {
		e, _ := exporters.Load(env.options.PublicURL)
		spans := e.(*tracetest.InMemoryExporter)
		a := env.tenant(t, "acme")
		r := newReceiver(t)
		env.createWebhook(t, a, map[string]any{"url": r.url, "events": []string{"user.created", "user.verification.accepted"}})
		settled := env.deliveryJobs(t, nil)
		const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
		resp, raw := env.srv.Do(t, "POST", "/v1/users", a.headers("Idempotency-Key", uuid.NewString(),
			"traceparent", "00-"+traceID+"-00f067aa0ba902b7-01"), seedUser)
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("create user: %d %s", resp.StatusCode, raw)
		}
		userID := decode[user](t, raw).ID
		requestID := resp.Header.Get("X-Request-Id")
		r.next(t)
		r.next(t)
		awaitSettled(t, settled, 2)

		byName := map[string][]tracetest.SpanStub{}
		byID := map[string]tracetest.SpanStub{}
		for _, s := range spans.GetSpans() {
			if s.SpanContext.TraceID().String() != traceID {
				continue
			}
			byName[s.Name] = append(byName[s.Name], s)
			byID[s.SpanContext.SpanID().String()] = s
			for _, kv := range s.Attributes {
				if v := kv.Value.Emit(); strings.Contains(v, "john.doe") || strings.Contains(v, "123-45-6789") || strings.Contains(v, userID) || strings.Contains(v, "127.0.0.1") {
					t.Errorf("span %s has %s=%s", s.Name, kv.Key, v)
				}
			}
		}
		for name, n := range map[string]int{"POST /v1/users": 1, "job verify_user": 1, "job deliver_webhook": 2, "webhook send": 2} {
			if len(byName[name]) != n {
				t.Errorf("%d %q spans in the trace, want %d (spans: %v)", len(byName[name]), name, n, names(byName))
			}
		}
		if t.Failed() {
			return
		}
		parent := func(s tracetest.SpanStub) string { return byID[s.Parent.SpanID().String()].Name }
		request := byName["POST /v1/users"][0]
		if request.Parent.SpanID().String() != "00f067aa0ba902b7" {
			t.Errorf("the request's span does not continue the caller's: parent %s", request.Parent.SpanID())
		}
		if got := parent(byName["job verify_user"][0]); got != "POST /v1/users" {
			t.Errorf("verify_user's parent is %q", got)
		}
		parents := map[string]int{}
		for _, s := range byName["job deliver_webhook"] {
			parents[parent(s)]++
		}
		if parents["POST /v1/users"] != 1 || parents["job verify_user"] != 1 {
			t.Errorf("deliver_webhook's parents: %v (user.created from the request, the decision's event from the verification)", parents)
		}
		for _, s := range byName["webhook send"] {
			if got := parent(s); got != "job deliver_webhook" {
				t.Errorf("webhook send's parent is %q", got)
			}
		}

		var logged bool
		for _, line := range strings.Split(env.logs.String(), "\n") {
			var l struct {
				Msg       string `json:"msg"`
				RequestID string `json:"request_id"`
				TraceID   string `json:"trace_id"`
			}
			if json.Unmarshal([]byte(line), &l) == nil && l.Msg == "request" && l.RequestID == requestID {
				logged = l.TraceID == traceID
			}
		}
		if !logged {
			t.Errorf("no access log line for request %s with trace_id %s", requestID, traceID)
		}
	}, func(o *app.Options) {
		e := tracetest.NewInMemoryExporter()
		exporters.Store(o.PublicURL, e)
		o.TracerProvider = sdktrace.NewTracerProvider(sdktrace.WithSyncer(e))
	})
}

func names(byName map[string][]tracetest.SpanStub) map[string]int {
	out := map[string]int{}
	for n, s := range byName {
		out[n] = len(s)
	}
	return out
}
