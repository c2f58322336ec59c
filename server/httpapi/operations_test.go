package httpapi_test

import (
	"cmp"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/uuid"

	"github.com/kiraapi/kira/gen/apitypes"
	"github.com/kiraapi/kira/openapi"
	"github.com/kiraapi/kira/server/apitest"
	"github.com/kiraapi/kira/server/httpapi"
)

// specOperation is one operation of the spec as a request a test can send: its path parameters
// filled with fresh UUIDs and its required query parameters with their examples, an example of
// its JSON request body (nil without a body), and whether
// it takes an Idempotency-Key.
type specOperation struct {
	name       string // "GET /v1/users/{userId}"
	method     string
	path       string
	body       any
	idempotent bool
}

var pathParam = regexp.MustCompile(`\{[^}]+\}`)

// specOperations lists every operation of the embedded spec, sorted by name: nothing here knows
// how many there are or which.
func specOperations(t *testing.T) []specOperation {
	t.Helper()
	doc, err := openapi.Load()
	if err != nil {
		t.Fatal(err)
	}
	var ops []specOperation
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			o := specOperation{
				name:   method + " " + path,
				method: method,
				path:   pathParam.ReplaceAllStringFunc(path, func(string) string { return uuid.NewString() }),
			}
			query := url.Values{}
			for _, p := range append(item.Parameters, op.Parameters...) {
				o.idempotent = o.idempotent || (p.Value.In == openapi3.ParameterInHeader && p.Value.Name == "Idempotency-Key")
				if p.Value.In == openapi3.ParameterInQuery && p.Value.Required {
					query.Set(p.Value.Name, queryValue(p.Value.Example))
				}
			}
			if len(query) > 0 {
				o.path += "?" + query.Encode()
			}
			if rb := op.RequestBody; rb != nil {
				o.body = example(t, o.name, rb.Value.Content.Get("application/json"))
			}
			ops = append(ops, o)
		}
	}
	if len(ops) == 0 {
		t.Fatal("the spec has no operations")
	}
	slices.SortFunc(ops, func(a, b specOperation) int { return cmp.Compare(a.name, b.name) })
	return ops
}

// example is the media type's example, or its first named example, or its schema's example.
func example(t *testing.T, op string, mt *openapi3.MediaType) any {
	t.Helper()
	switch {
	case mt == nil:
		t.Fatalf("%s: the request body is not application/json", op)
	case mt.Example != nil:
		return mt.Example
	case len(mt.Examples) > 0:
		names := make([]string, 0, len(mt.Examples))
		for name := range mt.Examples {
			names = append(names, name)
		}
		slices.Sort(names)
		return mt.Examples[names[0]].Value.Value
	case mt.Schema != nil && mt.Schema.Value.Example != nil:
		return mt.Schema.Value.Example
	}
	t.Fatalf("%s: the request body has no example", op)
	return nil
}

// TestUnimplementedOperationsAnswer501 shows what an operation added to the spec gets before its
// handler exists: every operation of a server that implements none answers 501 not_implemented,
// in the error schema (the harness checks every response against the spec).
func TestUnimplementedOperationsAnswer501(t *testing.T) {
	t.Parallel()
	srv := apitest.Serve(t, httpapi.ServeUnimplemented())
	for _, op := range specOperations(t) {
		h := http.Header{}
		if op.idempotent {
			h.Set("Idempotency-Key", uuid.NewString())
		}
		resp, raw := srv.Do(t, op.method, op.path, h, op.body)
		body := decode[apitypes.Error](t, raw)
		if resp.StatusCode != http.StatusNotImplemented || body.Code != "not_implemented" {
			t.Errorf("%s: %d %s, want 501 not_implemented", op.name, resp.StatusCode, raw)
		}
	}
}

// TestEveryOperationIsImplementedOrAnswers501 sends every operation of the spec to the real server
// with valid credentials: each answers a status its operation documents (the harness checks that),
// never a 5xx other than a 501 not_implemented for an operation still without a handler.
func TestEveryOperationIsImplementedOrAnswers501(t *testing.T) {
	forEachBackend(t, func(t *testing.T, env *testEnv) {
		tt := env.tenant(t, "acme")
		for _, op := range specOperations(t) {
			h := tt.headers()
			if op.idempotent {
				h.Set("Idempotency-Key", uuid.NewString())
			}
			resp, raw := env.srv.Do(t, op.method, op.path, h, op.body)
			switch {
			case resp.StatusCode == http.StatusNotImplemented:
				if code := decode[apitypes.Error](t, raw).Code; code != "not_implemented" {
					t.Errorf("%s: 501 %s, want the code not_implemented", op.name, code)
				}
				t.Logf("%s has no handler yet: 501 not_implemented", op.name)
			case resp.StatusCode >= 500:
				t.Errorf("%s: %d %s", op.name, resp.StatusCode, raw)
			}
		}
	})
}

// queryValue writes a parameter's example as a query string carries it.
func queryValue(example any) string {
	if s, ok := example.(string); ok {
		return s
	}
	raw, _ := json.Marshal(example) // a number: 1764534000, not 1.764534e+09
	return string(raw)
}
