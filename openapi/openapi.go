// Package openapi embeds the hand-written OpenAPI document, openapi.yaml, which is the single source
// of truth for the Kira Users & Verification API. The Go bindings in gen/ are generated from it.
package openapi

import (
	_ "embed"
	"fmt"

	"github.com/getkin/kin-openapi/openapi3"
)

//go:embed openapi.yaml
var document []byte

// YAML returns the document exactly as written.
func YAML() []byte { return document }

// Load parses and validates the document.
func Load() (*openapi3.T, error) {
	doc, err := openapi3.NewLoader().LoadFromData(document)
	if err != nil {
		return nil, fmt.Errorf("load openapi document: %w", err)
	}
	if err := doc.Validate(openapi3.NewLoader().Context); err != nil {
		return nil, fmt.Errorf("validate openapi document: %w", err)
	}
	return doc, nil
}

// EnumValues returns a lookup of the string values that the enum of each component schema of
// doc allows, by schema name: nil for a schema that is not a string enum (or none at all).
// Computed once; the lookup is safe for concurrent use.
func EnumValues(doc *openapi3.T) func(schema string) []string {
	enums := map[string][]string{}
	for name, ref := range doc.Components.Schemas {
		if ref.Value == nil || len(ref.Value.Enum) == 0 {
			continue
		}
		values := make([]string, 0, len(ref.Value.Enum))
		for _, v := range ref.Value.Enum {
			if s, ok := v.(string); ok {
				values = append(values, s)
			}
		}
		enums[name] = values
	}
	return func(schema string) []string { return enums[schema] }
}
