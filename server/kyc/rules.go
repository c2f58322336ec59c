package kyc

import (
	"fmt"
	"reflect"
	"strconv"
	"time"
)

// Validate checks what the schema cannot: that a user of type t carries no field of the other
// type, and that its dates can be true on the day today (see checkDates). Its errors name the
// fields, never their values.
func (f *Fields) Validate(t UserType, today time.Time) error {
	var fields []FieldError
	v := reflect.ValueOf(f).Elem()
	for _, s := range userFields {
		if !s.For(t) && !s.value(v).IsZero() {
			fields = append(fields, s.wrongType())
		}
	}
	fields = append(fields, f.checkDates(today)...)
	if len(fields) > 0 {
		return &Error{Code: EInvalid, Message: "The request is invalid.", Fields: fields}
	}
	return nil
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
