package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/kiraapi/kira/server/tracing"
)

// traced runs each request in a server span named by its method and route pattern (never the raw
// path), continuing the caller's trace when the request carries a traceparent header. The span
// carries the request id (kira.request_id) and the spec's operation id; the access log line
// carries the span's trace id.
func traced(tracer trace.Tracer, ops operations) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			ctx, span := startSpan(tracer, req, c.Path(), operationOf(ops, c), requestID(c))
			defer span.End()
			c.SetRequest(req.WithContext(ctx))
			err := next(c)
			endSpan(span, c.Response().Status)
			return err
		}
	}
}

// startSpan starts the server span of req, served by route (a pattern) for operation, continuing
// the caller's trace. The span's attributes (the method, route, operation id and, unless empty,
// the request id) are set only when it records: a span that is sampled out, or any span when
// tracing is off, costs the request no attributes. Samplers see the span's name and kind.
func startSpan(tracer trace.Tracer, req *http.Request, route, operation, requestID string) (context.Context, trace.Span) {
	ctx := tracing.Propagator.Extract(req.Context(), propagation.HeaderCarrier(req.Header))
	ctx, span := tracer.Start(ctx, req.Method+" "+route, trace.WithSpanKind(trace.SpanKindServer))
	if span.IsRecording() {
		span.SetAttributes(
			semconv.HTTPRequestMethodKey.String(req.Method),
			semconv.HTTPRoute(route),
			attribute.String("kira.operation_id", operation),
		)
		if requestID != "" {
			span.SetAttributes(attribute.String("kira.request_id", requestID))
		}
	}
	return ctx, span
}

// endSpan records the response's status on span: an error status from 500 on.
func endSpan(span trace.Span, status int) {
	if !span.IsRecording() {
		return
	}
	span.SetAttributes(semconv.HTTPResponseStatusCode(status))
	if status >= 500 {
		span.SetStatus(codes.Error, "")
	}
}

// Instrument serves a handler outside the API, such as the hosted verification page, with the
// API's span per request (named by route, a pattern) and request metrics (under operation).
// observer and tracer may be nil.
func Instrument(h http.Handler, route, operation string, observer Observer, tracer trace.Tracer) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		if tracer != nil {
			ctx, span := startSpan(tracer, r, route, operation, "")
			defer func() { endSpan(span, rec.status); span.End() }()
			r = r.WithContext(ctx)
		}
		h.ServeHTTP(rec, r)
		if observer != nil {
			observer.ObserveRequest(operation, r.Method, rec.status, time.Since(start))
		}
	})
}

// statusRecorder remembers the status a handler answered.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
