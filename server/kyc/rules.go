package kyc

import (
	"fmt"
	"strconv"
	"time"
)

// requirement is one field that automatic verification needs, with when it applies.
type requirement struct {
	name  string
	value func(*Fields) string
	// only, when set, limits the requirement to users it returns true for.
	only func(*Fields) bool
}

func inUSA(f *Fields) bool { return f.AddressCountry == "USA" }

var addressRequirements = []requirement{
	{name: "address_street", value: func(f *Fields) string { return f.AddressStreet }},
	{name: "address_city", value: func(f *Fields) string { return f.AddressCity }},
	{name: "address_state", value: func(f *Fields) string { return f.AddressState }},
	{name: "address_zip_code", value: func(f *Fields) string { return f.AddressZipCode }},
	{name: "address_country", value: func(f *Fields) string { return f.AddressCountry }},
}

// requirements are the one place that says which fields make a user complete for automatic
// verification. MissingFields, the verification trigger and the hosted page all derive from it.
var requirements = map[UserType][]requirement{
	Individual: append([]requirement{
		{name: "email", value: func(f *Fields) string { return f.Email }},
		{name: "first_name", value: func(f *Fields) string { return f.FirstName }},
		{name: "last_name", value: func(f *Fields) string { return f.LastName }},
		{name: "birth_date", value: func(f *Fields) string { return f.BirthDate }},
		{name: "document_type", value: func(f *Fields) string { return f.DocumentType }},
		{name: "document_number", value: func(f *Fields) string { return f.DocumentNumber }},
		{name: "document_country", value: func(f *Fields) string { return f.DocumentCountry }},
	}, append(addressRequirements,
		requirement{name: "ssn", value: func(f *Fields) string { return f.SSN }, only: inUSA},
	)...),
	Business: append([]requirement{
		{name: "email", value: func(f *Fields) string { return f.Email }},
		{name: "business_legal_name", value: func(f *Fields) string { return f.BusinessLegalName }},
		{name: "business_type", value: func(f *Fields) string { return f.BusinessType }},
		{name: "formation_date", value: func(f *Fields) string { return f.FormationDate }},
	}, append(addressRequirements,
		requirement{name: "representative_first_name", value: func(f *Fields) string { return f.RepresentativeFirstName }},
		requirement{name: "representative_last_name", value: func(f *Fields) string { return f.RepresentativeLastName }},
		requirement{name: "representative_birth_date", value: func(f *Fields) string { return f.RepresentativeBirthDate }},
		requirement{name: "ein", value: func(f *Fields) string { return f.EIN }, only: inUSA},
	)...),
}

// MissingFields lists, in a stable order, the fields automatic verification still needs for a
// user of type t. An empty list means the user is complete.
func MissingFields(t UserType, f *Fields) []string {
	missing := []string{}
	for _, r := range requirements[t] {
		if r.only != nil && !r.only(f) {
			continue
		}
		if r.value(f) == "" {
			missing = append(missing, r.name)
		}
	}
	return missing
}

// CheckedFields names the fields a verification checks for a user of type t: the requirements
// that apply and are present.
func CheckedFields(t UserType, f *Fields) []string {
	var checked []string
	for _, r := range requirements[t] {
		if (r.only == nil || r.only(f)) && r.value(f) != "" && r.name != "email" {
			checked = append(checked, r.name)
		}
	}
	return checked
}

// typeOnly are the fields that belong to one user type; sending them for the other is an error.
var typeOnly = map[UserType][]requirement{
	Individual: {
		{name: "first_name", value: func(f *Fields) string { return f.FirstName }},
		{name: "last_name", value: func(f *Fields) string { return f.LastName }},
		{name: "birth_date", value: func(f *Fields) string { return f.BirthDate }},
		{name: "ssn", value: func(f *Fields) string { return f.SSN }},
		{name: "document_type", value: func(f *Fields) string { return f.DocumentType }},
		{name: "document_number", value: func(f *Fields) string { return f.DocumentNumber }},
		{name: "document_country", value: func(f *Fields) string { return f.DocumentCountry }},
	},
	Business: {
		{name: "business_legal_name", value: func(f *Fields) string { return f.BusinessLegalName }},
		{name: "doing_business_as", value: func(f *Fields) string { return f.DoingBusinessAs }},
		{name: "business_type", value: func(f *Fields) string { return f.BusinessType }},
		{name: "business_website", value: func(f *Fields) string { return f.BusinessWebsite }},
		{name: "business_description", value: func(f *Fields) string { return f.BusinessDescription }},
		{name: "formation_date", value: func(f *Fields) string { return f.FormationDate }},
		{name: "ein", value: func(f *Fields) string { return f.EIN }},
		{name: "representative_first_name", value: func(f *Fields) string { return f.RepresentativeFirstName }},
		{name: "representative_last_name", value: func(f *Fields) string { return f.RepresentativeLastName }},
		{name: "representative_title", value: func(f *Fields) string { return f.RepresentativeTitle }},
		{name: "representative_birth_date", value: func(f *Fields) string { return f.RepresentativeBirthDate }},
		{name: "representative_ssn", value: func(f *Fields) string { return f.RepresentativeSSN }},
		{name: "associated_persons", value: func(f *Fields) string {
			if len(f.AssociatedPersons) > 0 {
				return "set"
			}
			return ""
		}},
	},
}

// Validate checks what the schema cannot: that a user of type t carries no field of the other
// type, and that its dates can be true on the day today (see checkDates). Its errors name the
// fields, never their values.
func (f *Fields) Validate(t UserType, today time.Time) error {
	other := Business
	label := "business"
	if t == Business {
		other, label = Individual, "individual"
	}
	var fields []FieldError
	for _, r := range typeOnly[other] {
		if r.value(f) != "" {
			fields = append(fields, FieldError{Field: r.name, Message: "applies to " + label + " users only"})
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
var (
	earliestBirth     = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)
	earliestFormation = time.Date(1800, 1, 1, 0, 0, 0, 0, time.UTC)
)

// checkDates refuses the dates of f that cannot be true on the day today: a birth or formation
// date in the future or before the earliest date of its kind.
func (f *Fields) checkDates(today time.Time) []FieldError {
	type date struct {
		field, value string
		earliest     time.Time
	}
	dates := []date{
		{"birth_date", f.BirthDate, earliestBirth},
		{"representative_birth_date", f.RepresentativeBirthDate, earliestBirth},
		{"formation_date", f.FormationDate, earliestFormation},
	}
	for i, p := range f.AssociatedPersons {
		dates = append(dates, date{"associated_persons/" + strconv.Itoa(i) + "/birth_date", p.BirthDate, earliestBirth})
	}
	y, m, d := today.UTC().Date()
	last := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	var out []FieldError
	for _, dt := range dates {
		if dt.value == "" {
			continue
		}
		v, err := time.Parse(time.DateOnly, dt.value)
		switch {
		case err != nil:
			out = append(out, FieldError{Field: dt.field, Message: "must be a date in the form YYYY-MM-DD"})
		case v.After(last):
			out = append(out, FieldError{Field: dt.field, Message: "must not be in the future"})
		case v.Before(dt.earliest):
			out = append(out, FieldError{Field: dt.field, Message: fmt.Sprintf("must not be before %s", dt.earliest.Format(time.DateOnly))})
		}
	}
	return out
}
