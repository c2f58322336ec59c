package httpapi

import (
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
func traced(tracer trace.Tracer, ops map[string]string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			ctx := tracing.Propagator.Extract(req.Context(), propagation.HeaderCarrier(req.Header))
			ctx, span := tracer.Start(ctx, req.Method+" "+c.Path(), trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(
				semconv.HTTPRequestMethodKey.String(req.Method),
				semconv.HTTPRoute(c.Path()),
				attribute.String("kira.operation_id", operationOf(ops, c)),
				attribute.String("kira.request_id", requestID(c)),
			))
			defer span.End()
			c.SetRequest(req.WithContext(ctx))
			err := next(c)
			status := c.Response().Status
			span.SetAttributes(semconv.HTTPResponseStatusCode(status))
			if status >= 500 {
				span.SetStatus(codes.Error, "")
			}
			return err
		}
	}
}
