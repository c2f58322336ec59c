package httpapi_test

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
)

type countryBody struct {
	Code             string `json:"code"`
	Alpha2           string `json:"alpha2"`
	Name             string `json:"name"`
	PostalCodeFormat string `json:"postal_code_format"`
	Subdivisions     []struct {
		Code    string `json:"code"`
		Name    string `json:"name"`
		ISOCode string `json:"iso_code"`
	} `json:"subdivisions"`
}

// GET /v1/countries and /v1/countries/{code}: the list, authenticated like every /v1 operation,
// cacheable (Cache-Control, a strong ETag, 304 to a matching If-None-Match) and answered to HEAD.
// Every answer, the 304s included, is checked against the spec by the harness.
func TestCountries(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, env *testEnv) {
		a := env.tenant(t, "acme")
		resp, raw := env.srv.Do(t, "GET", "/v1/countries", a.headers(), nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("list: %d %s", resp.StatusCode, raw)
		}
		list := decode[struct {
			Count int           `json:"count"`
			Data  []countryBody `json:"data"`
		}](t, raw)
		if list.Count != 249 || len(list.Data) != list.Count {
			t.Errorf("count %d, %d countries", list.Count, len(list.Data))
		}
		listBytes := len(raw)
		etag := resp.Header.Get("ETag")
		if !strings.HasPrefix(etag, `"`) || !strings.HasSuffix(etag, `"`) || len(etag) < 10 {
			t.Errorf("ETag %q is not a strong entity tag", etag)
		}
		if cc := resp.Header.Get("Cache-Control"); cc != "public, max-age=86400" {
			t.Errorf("Cache-Control %q", cc)
		}
		if n, _ := strconv.Atoi(resp.Header.Get("Content-Length")); n != len(raw) {
			t.Errorf("Content-Length %q for %d bytes", resp.Header.Get("Content-Length"), len(raw))
		}
		i := slices.IndexFunc(list.Data, func(c countryBody) bool { return c.Code == "USA" })
		if i < 0 || list.Data[i].Alpha2 != "US" || len(list.Data[i].Subdivisions) != 62 || list.Data[i].PostalCodeFormat == "" {
			t.Errorf("USA: %+v", list.Data[i])
		}

		for _, inm := range []string{etag, "W/" + etag, `"other", ` + etag, "*"} {
			resp, raw = env.srv.Do(t, "GET", "/v1/countries", a.headers("If-None-Match", inm), nil)
			if resp.StatusCode != http.StatusNotModified || len(raw) != 0 || resp.Header.Get("ETag") != etag || resp.Header.Get("Cache-Control") == "no-store" {
				t.Errorf("If-None-Match %s: %d %q, ETag %q", inm, resp.StatusCode, raw, resp.Header.Get("ETag"))
			}
		}
		for _, inm := range []string{`"stale"`, "not a tag"} {
			if resp, _ = env.srv.Do(t, "GET", "/v1/countries", a.headers("If-None-Match", inm), nil); resp.StatusCode != http.StatusOK {
				t.Errorf("If-None-Match %s: %d, want 200", inm, resp.StatusCode)
			}
		}
		resp, head := env.srv.Do(t, "HEAD", "/v1/countries", a.headers(), nil)
		if resp.StatusCode != http.StatusOK || len(head) != 0 || resp.Header.Get("ETag") != etag || resp.Header.Get("Content-Length") != strconv.Itoa(listBytes) {
			t.Errorf("HEAD: %d, %d bytes, ETag %q, Content-Length %q", resp.StatusCode, len(head), resp.Header.Get("ETag"), resp.Header.Get("Content-Length"))
		}

		resp, raw = env.srv.Do(t, "GET", "/v1/countries/CAN", a.headers(), nil)
		can := decode[countryBody](t, raw)
		if resp.StatusCode != http.StatusOK || can.Code != "CAN" || can.Name != "Canada" || len(can.Subdivisions) != 13 {
			t.Errorf("CAN: %d %s", resp.StatusCode, raw)
		}
		one := resp.Header.Get("ETag")
		if one == etag || one == "" {
			t.Errorf("CAN's ETag %q, the list's %q", one, etag)
		}
		if resp, _ = env.srv.Do(t, "GET", "/v1/countries/CAN", a.headers("If-None-Match", one), nil); resp.StatusCode != http.StatusNotModified {
			t.Errorf("CAN with its ETag: %d", resp.StatusCode)
		}
		for _, code := range []string{"CA", "can", "XXX"} {
			resp, raw = env.srv.Do(t, "GET", "/v1/countries/"+code, a.headers(), nil)
			if e := decode[errorBody](t, raw); resp.StatusCode != http.StatusBadRequest || len(e.Errors) != 1 || e.Errors[0].Field != "countryCode" {
				t.Errorf("%s: %d %s", code, resp.StatusCode, raw)
			}
		}
		if resp, _ = env.srv.Do(t, "GET", "/v1/countries", nil, nil); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("without credentials: %d", resp.StatusCode)
		}
	})
}

// address_country, address_state and address_zip_code are checked against the country list on
// create and update; each 400 names every offending field and repeats no value.
func TestAddressIsCheckedAgainstTheCountryList(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, env *testEnv) {
		a := env.tenant(t, "acme")
		env.stopWorkers()
		create := func(change map[string]any) map[string]any {
			body := decode[map[string]any](t, []byte(seedUser))
			for k, v := range change {
				if v == nil {
					delete(body, k)
				} else {
					body[k] = v
				}
			}
			return body
		}
		tests := []struct {
			name   string
			body   map[string]any
			fields []string // nil: created
		}{
			{"a US address", create(nil), nil},
			{"a ZIP+4 in Puerto Rico", create(map[string]any{"address_state": "PR", "address_zip_code": "00901-1234"}), nil},
			{"a Canadian address", create(map[string]any{"address_country": "CAN", "address_state": "QC", "address_zip_code": "h3z 2y7", "ssn": nil}), nil},
			{"a French address, its region in words", create(map[string]any{"address_country": "FRA", "address_state": "Île-de-France", "address_zip_code": "75001", "ssn": nil}), nil},
			{"a state by name", create(map[string]any{"address_state": "California"}), []string{"address_state"}},
			{"a ZIP of four digits", create(map[string]any{"address_zip_code": "9410"}), []string{"address_zip_code"}},
			{"a US ZIP in Canada", create(map[string]any{"address_country": "CAN", "address_state": "QC", "ssn": nil}), []string{"address_zip_code"}},
			{"an alpha-2 country", create(map[string]any{"address_country": "US"}), []string{"address_country"}},
			{"with a field the schema refuses", create(map[string]any{"email": "not-an-email", "address_state": "XX", "address_zip_code": "ABCDE"}),
				[]string{"address_state", "address_zip_code", "email"}},
		}
		for i, tt := range tests {
			resp, raw := env.srv.Do(t, "POST", "/v1/users", a.headers("Idempotency-Key", "addr-"+strconv.Itoa(i)), tt.body)
			if tt.fields == nil {
				if resp.StatusCode != http.StatusCreated {
					t.Errorf("%s: %d %s", tt.name, resp.StatusCode, raw)
				}
				continue
			}
			checkNamed(t, tt.name, resp, raw, tt.fields, tt.body)
		}

		_, raw := env.srv.Do(t, "POST", "/v1/users", a.headers("Idempotency-Key", "addr-min"), minimalUser)
		id := decode[user](t, raw).ID
		updates := []struct {
			name   string
			body   map[string]any
			fields []string
		}{
			{"a wrong state and ZIP", map[string]any{"address_country": "USA", "address_state": "XX", "address_zip_code": "1234"}, []string{"address_state", "address_zip_code"}},
			{"a state without a country yet", map[string]any{"address_state": "NY"}, nil},
			{"then the country and a ZIP", map[string]any{"address_country": "USA", "address_zip_code": "10001"}, nil},
			{"then another country alone", map[string]any{"address_country": "CAN"}, []string{"address_state", "address_zip_code"}},
			{"then another ZIP alone", map[string]any{"address_zip_code": "ABCDE"}, []string{"address_zip_code"}},
			{"then an alpha-2 country", map[string]any{"address_country": "CA"}, []string{"address_country"}},
			{"then a whole Canadian address", map[string]any{"address_country": "CAN", "address_state": "ON", "address_zip_code": "K1A 0B1"}, nil},
		}
		for _, tt := range updates {
			resp, raw := env.srv.Do(t, "PUT", "/v1/users/"+id, a.headers(), tt.body)
			if tt.fields == nil {
				if resp.StatusCode != http.StatusOK {
					t.Errorf("update, %s: %d %s", tt.name, resp.StatusCode, raw)
				}
				continue
			}
			checkNamed(t, "update, "+tt.name, resp, raw, tt.fields, tt.body)
		}
	})
}

// checkNamed checks that a 400 names exactly fields (in any order) and repeats none of the
// address values of body.
func checkNamed(t *testing.T, name string, resp *http.Response, raw []byte, fields []string, body map[string]any) {
	t.Helper()
	e := decode[errorBody](t, raw)
	var got []string
	for _, fe := range e.Errors {
		got = append(got, fe.Field)
	}
	slices.Sort(got)
	if resp.StatusCode != http.StatusBadRequest || e.Code != "validation_error" || !slices.Equal(got, fields) {
		t.Errorf("%s: %d %s, want 400 naming %v", name, resp.StatusCode, raw, fields)
	}
	for _, k := range []string{"address_state", "address_zip_code"} {
		if v, _ := body[k].(string); len(v) >= 4 && strings.Contains(string(raw), v) {
			t.Errorf("%s: the error repeats %s", name, k)
		}
	}
}
