//go:build tools

// Package tools pins the versions of the code generators that `go generate` runs, so that
// regenerating the bindings is byte-for-byte stable.
package tools

import (
	_ "github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen"
)
