package tracing_test

import (
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/kiraapi/kira/server/tracing"
)

func TestFromEnv(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  map[string]string
		on   bool
	}{
		{"off by default", nil, false},
		{"an endpoint", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}, true},
		{"a traces endpoint", map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:4318/v1/traces"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			getenv := func(k string) string { return tt.env[k] }
			tp, shutdown, err := tracing.FromEnv(t.Context(), getenv)
			if err != nil {
				t.Fatal(err)
			}
			_, sdk := tp.(*sdktrace.TracerProvider)
			_, off := tp.(noop.TracerProvider)
			if sdk != tt.on || off == tt.on || tracing.Enabled(getenv) != tt.on {
				t.Errorf("provider %T, want on=%v", tp, tt.on)
			}
			if err := shutdown(t.Context()); err != nil {
				t.Errorf("shutdown: %v", err)
			}
		})
	}
}
