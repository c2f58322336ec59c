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
