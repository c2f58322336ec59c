// Package tracing sets up OpenTelemetry tracing and carries trace context through the job queue.
//
// Tracing is on when the standard OTEL_EXPORTER_OTLP_ENDPOINT (or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set: spans are exported over OTLP/HTTP with the standard
// OTEL_EXPORTER_OTLP_* settings, as service OTEL_SERVICE_NAME (default kirad). Otherwise every
// span is a no-op.
//
// The service makes a span per API request (server kind, named "METHOD /route"), per job run
// ("job KIND") and per webhook delivery attempt ("webhook send"). A job's span is a child of the
// span that queued it (the request, or the job whose transaction queued it), so a user's creation,
// its verification and the webhook deliveries it causes form one trace. Spans carry ids only,
// never personal data or URLs.
package tracing

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// Name is the instrumentation scope of the service's tracers.
const Name = "github.com/kiraapi/kira/server"

// Propagator reads and writes trace context: W3C traceparent and tracestate.
var Propagator propagation.TextMapPropagator = propagation.TraceContext{}

// Enabled reports whether the environment (getenv: os.Getenv) names an OTLP endpoint.
func Enabled(getenv func(string) string) bool {
	return getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
}

// FromEnv returns the tracer provider the environment asks for (getenv: os.Getenv) and a function
// that flushes and stops it. Without an OTLP endpoint it is a no-op provider.
func FromEnv(ctx context.Context, getenv func(string) string) (trace.TracerProvider, func(context.Context) error, error) {
	if !Enabled(getenv) {
		return noop.NewTracerProvider(), func(context.Context) error { return nil }, nil
	}
	exporter, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("OTLP trace exporter: %w", err)
	}
	res, err := resource.Merge(
		resource.NewSchemaless(semconv.ServiceName("kirad")),
		resource.Environment(), // OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES
	)
	if err != nil {
		return nil, nil, fmt.Errorf("trace resource: %w", err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exporter), sdktrace.WithResource(res))
	return tp, tp.Shutdown, nil
}

// metadataKey holds the queuing span's trace context in a job's metadata.
const metadataKey = "trace_context"

// JobMiddleware is River middleware that records the trace context of the span queuing a job in
// the job's metadata, and runs each job in a span that continues it.
type JobMiddleware struct {
	river.MiddlewareDefaults
	tracer trace.Tracer
}

var (
	_ rivertype.JobInsertMiddleware = (*JobMiddleware)(nil)
	_ rivertype.WorkerMiddleware    = (*JobMiddleware)(nil)
)

// NewJobMiddleware returns the job middleware, making spans with tp.
func NewJobMiddleware(tp trace.TracerProvider) *JobMiddleware {
	return &JobMiddleware{tracer: tp.Tracer(Name)}
}

// InsertMany implements rivertype.JobInsertMiddleware.
func (m *JobMiddleware) InsertMany(ctx context.Context, many []*rivertype.JobInsertParams, doInner func(context.Context) ([]*rivertype.JobInsertResult, error)) ([]*rivertype.JobInsertResult, error) {
	carrier := propagation.MapCarrier{}
	Propagator.Inject(ctx, carrier)
	if len(carrier) > 0 {
		for _, p := range many {
			meta := map[string]any{}
			if len(p.Metadata) > 0 {
				if err := json.Unmarshal(p.Metadata, &meta); err != nil {
					return nil, fmt.Errorf("job metadata: %w", err)
				}
			}
			meta[metadataKey] = map[string]string(carrier)
			raw, err := json.Marshal(meta)
			if err != nil {
				return nil, fmt.Errorf("job metadata: %w", err)
			}
			p.Metadata = raw
		}
	}
	return doInner(ctx)
}

// Work implements rivertype.WorkerMiddleware.
func (m *JobMiddleware) Work(ctx context.Context, job *rivertype.JobRow, doInner func(context.Context) error) error {
	var meta struct {
		TraceContext map[string]string `json:"trace_context"`
	}
	if len(job.Metadata) > 0 && json.Unmarshal(job.Metadata, &meta) == nil && meta.TraceContext != nil {
		ctx = Propagator.Extract(ctx, propagation.MapCarrier(meta.TraceContext))
	}
	ctx, span := m.tracer.Start(ctx, "job "+job.Kind, trace.WithSpanKind(trace.SpanKindConsumer), trace.WithAttributes(
		attribute.String("messaging.system", "river"),
		attribute.String("kira.job.kind", job.Kind),
		attribute.Int64("kira.job.id", job.ID),
		attribute.Int("kira.job.attempt", job.Attempt),
	))
	defer span.End()
	err := doInner(ctx)
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, "job failed")
	}
	return err
}
