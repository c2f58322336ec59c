package country_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/kiraapi/kira/openapi"
	"github.com/kiraapi/kira/server/country"
)

// The spec's CountryCode enum, which the API validates country codes with before any handler
// runs, and the country list, which the domain, GET /v1/countries and the hosted page use, are
// the same list of codes.
func TestSpecCountryCodesAreTheList(t *testing.T) {
	t.Parallel()
	doc, err := openapi.Load()
	if err != nil {
		t.Fatal(err)
	}
	var spec []string
	for _, v := range doc.Components.Schemas["CountryCode"].Value.Enum {
		spec = append(spec, fmt.Sprint(v))
	}
	var list []string
	for _, c := range country.All() {
		list = append(list, c.Code)
	}
	if missing, extra := difference(list, spec), difference(spec, list); len(missing) > 0 || len(extra) > 0 {
		t.Errorf("the spec's CountryCode enum lacks %v and has %v that server/country does not list: make them the same list (make countries, or the enum)", missing, extra)
	}
}

// difference is the members of a that b lacks.
func difference(a, b []string) []string {
	var out []string
	for _, v := range a {
		if !slices.Contains(b, v) {
			out = append(out, v)
		}
	}
	return out
}

func TestTheList(t *testing.T) {
	t.Parallel()
	all := country.All()
	if len(all) != 249 {
		t.Errorf("%d countries, want ISO 3166-1's 249", len(all))
	}
	if !slices.IsSortedFunc(all, func(a, b country.Country) int { return strings.Compare(a.Code, b.Code) }) {
		t.Error("the countries are not in the order of their codes")
	}
	alpha2 := map[string]bool{}
	for _, c := range all {
		if len(c.Code) != 3 || len(c.Alpha2) != 2 || c.Name == "" || alpha2[c.Alpha2] {
			t.Errorf("%s: alpha-2 %q, name %q", c.Code, c.Alpha2, c.Name)
		}
		alpha2[c.Alpha2] = true
		if got := country.Lookup(c.Code); got == nil || got.Code != c.Code {
			t.Errorf("Lookup(%s) = %v", c.Code, got)
		}
		for _, ex := range c.PostalCodeExamples {
			if !c.ValidPostalCode(ex) {
				t.Errorf("%s: its own example postal code %q is refused", c.Code, ex)
			}
		}
		if len(c.PostalCodeExamples) == 0 && c.PostalCodeFormat != "" {
			t.Errorf("%s: a postal code format without examples", c.Code)
		}
	}
	if country.Lookup("US") != nil || country.Lookup("usa") != nil {
		t.Error("Lookup takes alpha-3 codes in upper case only")
	}
	var with []string
	for _, c := range all {
		if c.HasSubdivisions() {
			with = append(with, c.Code)
		}
	}
	if want := []string{"AUS", "BRA", "CAN", "ITA", "USA"}; !slices.Equal(with, want) {
		t.Errorf("countries with subdivisions: %v, want %v", with, want)
	}
	if len(country.Sources()) != 2 {
		t.Errorf("sources: %v", country.Sources())
	}
}

func TestUSA(t *testing.T) {
	t.Parallel()
	us := country.Lookup("USA")
	if us == nil || us.Alpha2 != "US" || us.Name != "United States" {
		t.Fatalf("USA: %+v", us)
	}
	// The 50 states, DC, the five inhabited territories, the three Armed Forces codes and the three
	// freely associated states USPS serves.
	if len(us.Subdivisions) != 62 {
		t.Errorf("%d subdivisions, want 62", len(us.Subdivisions))
	}
	for code, iso := range map[string]string{"CA": "US-CA", "DC": "US-DC", "PR": "US-PR", "AE": ""} {
		s := us.Subdivision(code)
		if s == nil || s.ISOCode != iso || s.Name == "" {
			t.Errorf("subdivision %s: %+v, want ISO code %q", code, s, iso)
		}
	}
	for _, bad := range []string{"California", "ca", "US-CA", "XX", ""} {
		if us.ValidState(bad) {
			t.Errorf("ValidState(%q) = true", bad)
		}
	}
	for zip, want := range map[string]bool{"94105": true, "94105-1234": true, "94105 1234": true, "9410": false, "941051": false, "ABCDE": false} {
		if got := us.ValidPostalCode(zip); got != want {
			t.Errorf("ValidPostalCode(%q) = %v, want %v", zip, got, want)
		}
	}
	if fra := country.Lookup("FRA"); !fra.ValidState("Île-de-France") || fra.ValidPostalCode("7500") {
		t.Error("FRA: address_state is free text and a postal code has five digits")
	}
	if are := country.Lookup("ARE"); are.PostalCodeFormat != "" || !are.ValidPostalCode("anything") {
		t.Error("ARE has no postal codes: none is refused")
	}
}
