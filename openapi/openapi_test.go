package openapi_test

import (
	"maps"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/kiraapi/kira/openapi"
)

func TestDocumentIsValid(t *testing.T) {
	t.Parallel()
	doc, err := openapi.Load()
	if err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.0.3" {
		t.Errorf("openapi version = %q, want 3.0.3", doc.OpenAPI)
	}
}

// TestExamplesMatchSchemas checks every request and response example against its schema, so the
// examples that integrators and the mock server rely on never drift from the contract.
func TestExamplesMatchSchemas(t *testing.T) {
	t.Parallel()
	doc, err := openapi.Load()
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	check := func(where string, mt *openapi3.MediaType, readOnlyAllowed bool) {
		t.Helper()
		if mt == nil || mt.Schema == nil {
			return
		}
		opts := []openapi3.SchemaValidationOption{openapi3.MultiErrors()}
		if readOnlyAllowed {
			opts = append(opts, openapi3.VisitAsResponse())
		} else {
			opts = append(opts, openapi3.VisitAsRequest())
		}
		values := map[string]any{}
		if mt.Example != nil {
			values["example"] = mt.Example
		}
		for name, ex := range mt.Examples {
			values[name] = ex.Value.Value
		}
		if len(values) == 0 {
			t.Errorf("%s: no example", where)
		}
		for name, v := range values {
			checked++
			if err := mt.Schema.Value.VisitJSON(v, opts...); err != nil {
				t.Errorf("%s example %q: %v", where, name, err)
			}
		}
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			where := method + " " + path
			if op.RequestBody != nil {
				for ct, mt := range op.RequestBody.Value.Content {
					check(where+" request "+ct, mt, false)
				}
			}
			for status, resp := range op.Responses.Map() {
				for ct, mt := range resp.Value.Content {
					check(where+" response "+status+" "+ct, mt, true)
				}
			}
		}
	}
	if checked < 40 {
		t.Errorf("checked only %d examples", checked)
	}
}

// TestEverySecuredOperationNeedsBothCredentials pins the security model: every /v1 operation needs a
// bearer token and an API key together, but the operators' review routes (/v1/review/), which take
// an operator token alone.
//
// The operations of publicOperations need no credentials: a document download link is signed
// instead, for one document, for 10 minutes.
func TestEverySecuredOperationNeedsBothCredentials(t *testing.T) {
	t.Parallel()
	doc, err := openapi.Load()
	if err != nil {
		t.Fatal(err)
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			sec := doc.Security
			if op.Security != nil {
				sec = *op.Security
			}
			if len(path) < 4 || path[:4] != "/v1/" || publicOperations[op.OperationID] {
				continue
			}
			if strings.HasPrefix(path, "/v1/review/") {
				if len(sec) != 1 || len(sec[0]) != 1 || sec[0]["operatorToken"] == nil {
					t.Errorf("%s %s: security = %v, want operatorToken alone", method, path, sec)
				}
				continue
			}
			if len(sec) != 1 || sec[0]["bearerAuth"] == nil || sec[0]["apiKey"] == nil {
				t.Errorf("%s %s: security = %v, want bearerAuth AND apiKey", method, path, sec)
			}
		}
	}
}

// TestUnionEnumsAreTheirTypesLists: a field whose values depend on the user's type accepts, in the
// schema, exactly the values of either type's list (the server refuses the other type's).
func TestUnionEnumsAreTheirTypesLists(t *testing.T) {
	t.Parallel()
	doc, err := openapi.Load()
	if err != nil {
		t.Fatal(err)
	}
	values := openapi.EnumValues(doc)
	for _, name := range []string{"SourceOfFunds", "AccountPurpose"} {
		want := map[string]bool{}
		for _, v := range append(values("Individual"+name), values("Business"+name)...) {
			want[v] = true
		}
		union := values(name)
		got := map[string]bool{}
		for _, v := range union {
			got[v] = true
		}
		if len(want) == 0 || len(union) != len(got) || !maps.Equal(got, want) {
			t.Errorf("%s lists %v, want the values of Individual%s and Business%s", name, union, name, name)
		}
	}
}

// publicOperations are the /v1 operations that take no credentials (security: []), by operationId.
var publicOperations = map[string]bool{"getUserDocument": true}
