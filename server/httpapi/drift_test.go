package httpapi_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/kiraapi/kira/openapi"
)

// The drift tests read the spec and check that the server keeps what it says: every property a
// request may send is stored and returned (or its declared masked form, NAME_last4), and every
// property of every webhook event is emitted. A property added to the spec and not to the server
// fails them by name.

// exampleValue is a valid value of schema: its example, its first enum value, or one made from its
// type and format (objects with every property, arrays with one item). It fails the test for a
// constrained string with no example, which it cannot make up.
func exampleValue(t *testing.T, name string, ref *openapi3.SchemaRef) any {
	t.Helper()
	s := ref.Value
	if len(s.AllOf) == 1 && s.Example == nil {
		return exampleValue(t, name, s.AllOf[0])
	}
	switch {
	case s.Example != nil:
		return s.Example
	case len(s.Enum) > 0:
		return s.Enum[0]
	}
	switch {
	case s.Type.Is(openapi3.TypeObject):
		out := map[string]any{}
		for _, p := range slices.Sorted(maps.Keys(s.Properties)) {
			if !s.Properties[p].Value.ReadOnly {
				out[p] = exampleValue(t, name+"/"+p, s.Properties[p])
			}
		}
		if len(s.Properties) == 0 && s.AdditionalProperties.Schema != nil {
			out["key"] = exampleValue(t, name+"/key", s.AdditionalProperties.Schema)
		}
		return out
	case s.Type.Is(openapi3.TypeArray):
		return []any{exampleValue(t, name+"/0", s.Items)}
	case s.Type.Is(openapi3.TypeBoolean):
		return true
	case s.Type.Is(openapi3.TypeInteger), s.Type.Is(openapi3.TypeNumber):
		if s.Min != nil {
			return *s.Min
		}
		return 1
	case s.Format == "date":
		return "1990-01-15"
	case s.Format == "email":
		return "drift@example.com"
	case s.Pattern == "" && s.Format == "":
		return "Drift"
	}
	t.Errorf("%s: the spec gives no example of this %s with format %q and pattern %q", name, s.Type.Slice(), s.Format, s.Pattern)
	return nil
}

// requestProperties are the properties a client may send in the schema named name, with an
// example value each.
func requestProperties(t *testing.T, spec *openapi3.T, name string) map[string]any {
	t.Helper()
	out := map[string]any{}
	for p, ref := range spec.Components.Schemas[name].Value.Properties {
		if p != "type" && !ref.Value.ReadOnly {
			out[p] = exampleValue(t, name+"."+p, ref)
		}
	}
	return out
}

// kept checks that got, a returned object, holds every property of sent, or its masked form
// (NAME_last4, when the returned schema declares it) with the value's last four characters. It
// returns a problem for each property that is missing or different.
func kept(returned *openapi3.Schema, path string, sent, got map[string]any) []string {
	var problems []string
	for p, v := range sent {
		if returned.Properties[p+"_last4"] != nil && returned.Properties[p] == nil {
			digits := strings.Map(func(r rune) rune {
				if r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' {
					return r
				}
				return -1
			}, fmt.Sprint(v))
			if got[p+"_last4"] != digits[len(digits)-4:] {
				problems = append(problems, fmt.Sprintf("%s%s: sent, but %s_last4 is %v", path, p, p, got[p+"_last4"]))
			}
			continue
		}
		g, ok := got[p]
		switch {
		case p == "file" && returned.Properties["source"] != nil:
			// A document's file is returned as its metadata: where it came from, and more.
			if got["source"] == nil || got["id"] == nil {
				problems = append(problems, fmt.Sprintf("%s%s: sent, but the document has no source or id", path, p))
			}
		case !ok:
			problems = append(problems, fmt.Sprintf("%s%s: accepted but not stored or not returned", path, p))
		case returned.Properties[p] != nil && returned.Properties[p].Value.Items != nil && returned.Properties[p].Value.Items.Value.Type.Is(openapi3.TypeObject):
			sentItems, _ := v.([]any)
			gotItems, _ := g.([]any)
			if len(gotItems) != len(sentItems) {
				problems = append(problems, fmt.Sprintf("%s%s: sent %d items, got %d", path, p, len(sentItems), len(gotItems)))
				continue
			}
			for i := range sentItems {
				si, _ := sentItems[i].(map[string]any)
				gi, _ := gotItems[i].(map[string]any)
				problems = append(problems, kept(returned.Properties[p].Value.Items.Value, fmt.Sprintf("%s%s/%d/", path, p, i), si, gi)...)
			}
		case !reflect.DeepEqual(jsonValue(v), g):
			problems = append(problems, fmt.Sprintf("%s%s: sent %v, got %v", path, p, v, g))
		}
	}
	return problems
}

// loadSpec returns the spec and its User schema, what the API returns of a user.
func loadSpec(t *testing.T) (*openapi3.T, *openapi3.Schema) {
	t.Helper()
	spec, err := openapi.Load()
	if err != nil {
		t.Fatal(err)
	}
	return spec, spec.Components.Schemas["User"].Value
}

// jsonValue is v as encoding/json decodes it (numbers as float64).
func jsonValue(v any) any {
	raw, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(raw, &out)
	return out
}

// TestEveryRequestPropertyIsStoredAndReturned sends each property of the create and update
// request schemas, with a valid value, in a request of its own, then reads the user back.
func TestEveryRequestPropertyIsStoredAndReturned(t *testing.T) {
	t.Parallel()
	spec, returned := loadSpec(t)
	forEachBackend(t, func(t *testing.T, env *testEnv) {
		a := env.tenant(t, "acme")
		n := 0
		// send makes a user of the first type that takes the property, with it on create or with
		// it set by an update, and returns the user read back.
		send := func(prop string, value any, update bool) (map[string]any, []byte) {
			var last []byte
			for _, typ := range []string{"individual", "business"} {
				n++
				body := map[string]any{"type": typ, "email": fmt.Sprintf("drift%d@example.com", n)}
				if !update {
					body[prop] = value
				}
				resp, raw := env.srv.Do(t, "POST", "/v1/users", a.headers("Idempotency-Key", fmt.Sprint("drift-", n)), body)
				last = raw
				if resp.StatusCode != http.StatusCreated {
					continue
				}
				id := decode[user](t, raw).ID
				if update {
					if resp, raw := env.srv.Do(t, "PUT", "/v1/users/"+id, a.headers(), map[string]any{prop: value}); resp.StatusCode != http.StatusOK {
						last = raw
						continue
					}
				}
				_, raw = env.srv.Do(t, "GET", "/v1/users/"+id, a.headers(), nil)
				return decode[map[string]any](t, raw), nil
			}
			return nil, last
		}
		for _, tc := range []struct {
			schema string
			update bool
		}{{"UserCreateRequest", false}, {"UserUpdateRequest", true}} {
			props := requestProperties(t, spec, tc.schema)
			for _, p := range slices.Sorted(maps.Keys(props)) {
				if p == "email" && !tc.update {
					continue // every create sends it, and it is checked on update
				}
				if p == "redirect_uri" {
					continue // not user data but where a hosted link sends the end user: TestCreateWithAVerificationLink
				}
				got, refused := send(p, props[p], tc.update)
				if got == nil {
					t.Errorf("%s.%s: no user type takes the spec's example value: %s", tc.schema, p, refused)
					continue
				}
				for _, problem := range kept(returned, tc.schema+".", map[string]any{p: props[p]}, got) {
					t.Error(problem)
				}
			}
		}
	})
}

// TestEveryEventPropertyIsEmitted makes every kind of event happen (a user created with a phone,
// verified, rejected, sent to review, and erased) and checks that each property of each event's data
// schema appears in at least one emitted payload of that type.
func TestEveryEventPropertyIsEmitted(t *testing.T) {
	t.Parallel()
	spec, err := openapi.Load()
	if err != nil {
		t.Fatal(err)
	}
	forEachBackend(t, func(t *testing.T, env *testEnv) {
		a := env.tenant(t, "acme")
		emitted := map[string]map[string]bool{} // event type -> data properties seen
		see := func(userID string) {
			types, data := env.events(t, a, userID)
			for i, typ := range types {
				if emitted[typ] == nil {
					emitted[typ] = map[string]bool{}
				}
				for p := range data[i] {
					emitted[typ][p] = true
				}
			}
		}
		var last string
		for key, ssn := range map[string]string{"ok": "123-45-6789", "bad": "111-11-1111", "review": "222-22-2222"} {
			body := strings.Replace(withSSN(ssn), `"email": "john.doe@example.com",`, `"email": "john.doe@example.com", "phone": "+14155550123",`, 1)
			last = env.createAndSettle(t, a, key, body).ID
			see(last)
		}
		// Then one of them is erased (its events lose their personal fields: they were seen before).
		if resp, raw := env.srv.Do(t, "POST", "/v1/users/"+last+"/redact", a.headers("Idempotency-Key", "drift-redact"), nil); resp.StatusCode != http.StatusOK {
			t.Fatalf("redact: %d %s", resp.StatusCode, raw)
		}
		see(last)
		for _, one := range spec.Components.Schemas["Event"].Value.OneOf {
			event := one.Value
			typ := fmt.Sprint(event.Properties["event"].Value.Enum[0])
			for p := range event.Properties["data"].Value.Properties {
				if !emitted[typ][p] {
					t.Errorf("%s: the spec declares data.%s, never emitted", typ, p)
				}
			}
		}
	})
}
