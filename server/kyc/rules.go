package kyc

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Validate checks what the schema cannot: that a user of type t carries no field of the other
// type, and that its values can be true (CheckValues). Its errors name the fields, never their
// values.
func (f *Fields) Validate(t UserType, today time.Time) error {
	return invalid(f.validationErrors(t, today))
}

// validationErrors are the errors Validate reports.
func (f *Fields) validationErrors(t UserType, today time.Time) []FieldError {
	var fields []FieldError
	v := reflect.ValueOf(f).Elem()
	for _, s := range userFields {
		if !s.For(t) && !s.value(v).IsZero() {
			fields = append(fields, s.wrongType())
		}
	}
	return append(fields, f.valueErrors(today)...)
}

// CheckValues checks, whatever the user's type, that f's values can be true on the day today:
// dates (checkDates), numbers their issuer issues (checkNumbers) and associated persons
// (checkPersons). An update's values are checked so before the stored user is read.
func (f *Fields) CheckValues(today time.Time) error { return invalid(f.valueErrors(today)) }

func (f *Fields) valueErrors(today time.Time) []FieldError {
	return slices.Concat(f.checkDates(today), f.checkNumbers(), f.checkPersons(), f.checkDocuments())
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
