package httpapi

import (
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/kiraapi/kira/openapi"
)

// TestErrorCodesAreTheSpecs: the codes the server can answer with, the domain's and the HTTP
// layer's, all in statusByCode, are exactly the spec's ErrorCode enum; a code added on one side
// only fails here by name.
func TestErrorCodesAreTheSpecs(t *testing.T) {
	t.Parallel()
	spec, err := openapi.Load()
	if err != nil {
		t.Fatal(err)
	}
	var inSpec []string
	for _, v := range spec.Components.Schemas["ErrorCode"].Value.Enum {
		inSpec = append(inSpec, fmt.Sprint(v))
	}
	for _, code := range inSpec {
		if _, ok := statusByCode[code]; !ok {
			t.Errorf("the spec's error code %s has no status in statusByCode: the server never answers it", code)
		}
	}
	for _, code := range slices.Sorted(maps.Keys(statusByCode)) {
		if !slices.Contains(inSpec, code) {
			t.Errorf("the server answers with the error code %s, which the spec's ErrorCode enum lacks", code)
		}
	}
}
