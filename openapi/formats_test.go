package openapi_test

import (
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/kiraapi/kira/openapi"
)

// TestFormats: what the document's string formats accept, for the server and the tests alike.
func TestFormats(t *testing.T) {
	t.Parallel()
	tests := []struct {
		format, value string
		valid         bool
	}{
		{"email", "john.doe@example.com", true},
		{"email", "a@sub.example-host.co", true},
		{"email", "a@-example.com", false},
		{"email", "a@example-.com", false},
		{"email", "a@exa_mple.com", false},
		{"email", "a@example", false},
		{"email", "a@.example.com", false},
		{"email", "John <john@example.com>", false},
		{"uri", "https://app.example/done?ref=a;b&promo=50%25off#x", true},
		{"uri", "http://127.0.0.1:3000/hook", true},
		{"uri", "https://app.example/x y", false},
		{"uri", "https://app.example/<script>", false},
		{"uri", `https://app.example/{a}|"b"\`, false},
		{"uri", "https://app.example/é", false},
		{"uri", "https://app.example/done?promo=50%off", true},
		{"uri", "ftp://app.example/", false},
		{"uri", "/relative", false},
		{"date", "2024-02-29", true},
		{"date", "2023-02-29", false},
	}
	for _, tt := range tests {
		schema := openapi3.NewStringSchema()
		schema.Format = tt.format
		err := schema.VisitJSON(tt.value, openapi.ValidationOptions()...)
		if (err == nil) != tt.valid {
			t.Errorf("%s %q: error %v, want valid %v", tt.format, tt.value, err, tt.valid)
		}
	}
}
