package kyc

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kiraapi/kira/server/country"
)

// Validate checks what the schema cannot: that a user of type t carries no field of the other
// type, and that its values can be true (CheckValues). Its errors name the fields, never their
// values.
func (f *Fields) Validate(t UserType, today time.Time) error {
	return invalid(f.problems(t, today, true, nil))
}

// ValidateUpdate checks f, a user's fields after an update of before, as Validate does, except
// that the address is checked (checkAddress) only when the update changes address_country,
// address_state or address_zip_code, and an associated person's address (checkPersonAddresses)
// only when the update changes it: an address stored before the country list checked it does not
// refuse an unrelated change.
func (f *Fields) ValidateUpdate(t UserType, today time.Time, before *Fields) error {
	return invalid(f.updateProblems(t, today, before))
}

func (f *Fields) updateProblems(t UserType, today time.Time, before *Fields) []FieldError {
	moved := f.AddressCountry != before.AddressCountry || f.AddressState != before.AddressState || f.AddressZipCode != before.AddressZipCode
	return f.problems(t, today, moved, before)
}

// problems are what Validate finds, the user's address checked or not, and the associated
// persons' addresses that differ from before's (every one when before is nil).
func (f *Fields) problems(t UserType, today time.Time, address bool, before *Fields) []FieldError {
	var fields []FieldError
	v := reflect.ValueOf(f).Elem()
	for _, s := range userFields {
		if !s.For(t) && !s.value(v).IsZero() {
			fields = append(fields, s.wrongType())
		}
	}
	fields = append(fields, f.valueErrors(today)...)
	if address {
		fields = append(fields, f.checkAddress()...)
	}
	return append(fields, f.checkPersonAddresses(before)...)
}

// enumErrors refuses the text values of f that are not on the list of their field's enum for
// users of type t (FieldSpec.EnumFor), as values returns it: source_of_funds and account_purpose
// have a list per type. A nil values checks nothing.
func (f *Fields) enumErrors(t UserType, values EnumValues) []FieldError {
	if values == nil {
		return nil
	}
	var out []FieldError
	v := reflect.ValueOf(f).Elem()
	for _, s := range userFields {
		allowed := values(s.EnumFor(t))
		if allowed == nil {
			continue
		}
		var given []string
		switch fv := s.value(v).Interface().(type) {
		case string:
			given = []string{fv}
		case []string:
			given = fv
		}
		for _, g := range given {
			if g != "" && !slices.Contains(allowed, g) {
				out = append(out, FieldError{Field: s.Name, Message: "is not one of the values for " + string(t) + " users"})
				break
			}
		}
	}
	return out
}

// CheckValues checks, whatever the user's type, that f's values can be true on the day today:
// dates (checkDates), numbers their issuer issues (checkNumbers), associated persons
// (checkPersons), the address (checkAddress) and the persons' addresses (checkPersonAddresses).
// An update's values are checked so before the stored user is read.
func (f *Fields) CheckValues(today time.Time) error {
	return invalid(slices.Concat(f.valueErrors(today), f.checkAddress(), f.checkPersonAddresses(nil)))
}

func (f *Fields) valueErrors(today time.Time) []FieldError {
	return slices.Concat(f.checkDates(today), f.checkNumbers(), f.checkPersons(), f.checkDocuments())
}

// checkAddress checks the user's address against its country (address_country) in the API's
// country list (server/country): address_state must be one of the country's subdivision codes
// when it has subdivisions, and address_zip_code must have the country's postal code format when
// it has one. Nothing is checked without a country, or of a value not given.
func (f *Fields) checkAddress() []FieldError {
	return addressErrors(f.AddressCountry, f.AddressState, f.AddressZipCode, "address_state", "address_zip_code")
}

// checkPersonAddresses checks each associated person's residential_address as checkAddress does
// the user's: its subdivision and postal_code against its country. With before (the stored fields
// an update changes), an address the update leaves as the same person had it (the person with the
// same email, in any case, as checkPersons matches them) is not checked again.
func (f *Fields) checkPersonAddresses(before *Fields) []FieldError {
	var stored map[string]Address
	if before != nil && len(f.AssociatedPersons) > 0 {
		stored = make(map[string]Address, len(before.AssociatedPersons))
		for _, p := range before.AssociatedPersons {
			stored[strings.ToLower(p.Email)] = p.ResidentialAddress
		}
	}
	var out []FieldError
	for i, p := range f.AssociatedPersons {
		a := p.ResidentialAddress
		if old, ok := stored[strings.ToLower(p.Email)]; ok && old == a {
			continue
		}
		at := "associated_persons/" + strconv.Itoa(i) + "/residential_address/"
		out = append(out, addressErrors(a.Country, a.Subdivision, a.PostalCode, at+"subdivision", at+"postal_code")...)
	}
	return out
}

// addressErrors checks a subdivision and a postal code against an ISO 3166-1 alpha-3 country code
// (see checkAddress), naming the offending ones stateField and zipField, never their values. It is
// the one address rule, for users' addresses and for any other address (an associated person's).
func addressErrors(countryCode, state, zip, stateField, zipField string) []FieldError {
	c := country.Lookup(countryCode)
	if c == nil {
		return nil
	}
	var out []FieldError
	if state != "" && !c.ValidState(state) {
		out = append(out, FieldError{Field: stateField, Message: "must be the code of a subdivision of the address's country, as GET /v1/countries lists them (for the USA, a two-letter state code)"})
	}
	if zip != "" && !c.ValidPostalCode(zip) {
		out = append(out, FieldError{Field: zipField, Message: "is not a postal code of the address's country (GET /v1/countries gives each country's format)"})
	}
	return out
}

// invalid is the EInvalid error naming fields, or nil when there are none.
func invalid(fields []FieldError) error {
	if len(fields) == 0 {
		return nil
	}
	return &Error{Code: EInvalid, Message: "The request is invalid.", Fields: fields}
}

// The earliest dates that can be true: nobody alive was born before earliestBirth, and no
// business still operating was formed before earliestFormation. Every date of the contract is of
// a past event, so none is after today (UTC). The spec's Date schema states the same rule.
var earliestDates = map[string]time.Time{
	"birth":     time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC),
	"formation": time.Date(1800, 1, 1, 0, 0, 0, 0, time.UTC),
}

// checkDates refuses the dates of f that cannot be true on the day today: a birth or formation
// date (a field tagged date:"birth" or date:"formation") in the future or before the earliest
// date of its kind.
func (f *Fields) checkDates(today time.Time) []FieldError {
	y, m, d := today.UTC().Date()
	last := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	var out []FieldError
	check := func(specs []*FieldSpec, v reflect.Value, prefix string) {
		for _, s := range specs {
			earliest, ok := earliestDates[s.Date]
			value := s.value(v).String()
			if !ok || value == "" {
				continue
			}
			field := prefix + s.Name
			switch t, err := time.Parse(time.DateOnly, value); {
			case err != nil:
				out = append(out, FieldError{Field: field, Message: "must be a date in the form YYYY-MM-DD"})
			case t.After(last):
				out = append(out, FieldError{Field: field, Message: "must not be in the future"})
			case t.Before(earliest):
				out = append(out, FieldError{Field: field, Message: fmt.Sprintf("must not be before %s", earliest.Format(time.DateOnly))})
			}
		}
	}
	check(userFields, reflect.ValueOf(f).Elem(), "")
	for i := range f.AssociatedPersons {
		check(personFields, reflect.ValueOf(&f.AssociatedPersons[i]).Elem(), "associated_persons/"+strconv.Itoa(i)+"/")
	}
	return out
}

// checkNumbers refuses identifiers their issuer never issues: an SSN whose area is 000, 666 or
// 900-999, whose group is 00 or whose serial is 0000 (Social Security Administration, "Social
// Security Number Randomization", 2011).
func (f *Fields) checkNumbers() []FieldError {
	var out []FieldError
	check := func(specs []*FieldSpec, v reflect.Value, prefix string) {
		for _, s := range specs {
			if value := s.value(v).String(); s.Issued == "ssn" && value != "" && !issuableSSN(Digits(value)) {
				out = append(out, FieldError{Field: prefix + s.Name, Message: "is not a number the Social Security Administration issues"})
			}
		}
	}
	check(userFields, reflect.ValueOf(f).Elem(), "")
	for i := range f.AssociatedPersons {
		check(personFields, reflect.ValueOf(&f.AssociatedPersons[i]).Elem(), "associated_persons/"+strconv.Itoa(i)+"/")
	}
	return out
}

func issuableSSN(d string) bool {
	if len(d) != 9 {
		return false
	}
	area, group, serial := d[:3], d[3:5], d[5:]
	return area != "000" && area != "666" && area[0] != '9' && group != "00" && serial != "0000"
}

// checkPersons refuses associated persons that cannot all be true: the same person twice (by
// email, as Kira merges them) or owners holding more than 100% between them.
func (f *Fields) checkPersons() []FieldError {
	var out []FieldError
	seen := map[string]bool{}
	total := 0.0
	for i, p := range f.AssociatedPersons {
		email := strings.ToLower(p.Email)
		if seen[email] {
			out = append(out, FieldError{Field: "associated_persons/" + strconv.Itoa(i) + "/email", Message: "is another person's too: list each person once"})
		}
		seen[email] = true
		if p.OwnershipPercentage != nil {
			total += *p.OwnershipPercentage
		}
	}
	if total > 100 {
		out = append(out, FieldError{Field: "associated_persons", Message: "own more than 100% of the business between them"})
	}
	return out
}
