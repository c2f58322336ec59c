package verify

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/kiraapi/kira/openapi"
	"github.com/kiraapi/kira/server/kyc"
)

// field is an input of the hosted page. Name is the API field's name, so that what the end user
// types is validated by the same schema as an API request.
type field struct {
	Name         string
	Label        string
	Kind         string // text, email, tel, date, select
	Enum         string // the spec schema whose enum lists a select's options
	Secret       bool
	Autocomplete string
	Hint         string
}

var (
	firstName = field{Name: "first_name", Label: "First name", Kind: "text", Autocomplete: "given-name"}
	lastName  = field{Name: "last_name", Label: "Last name", Kind: "text", Autocomplete: "family-name"}
	email     = field{Name: "email", Label: "Email", Kind: "email", Autocomplete: "email"}
	phone     = field{Name: "phone", Label: "Phone", Kind: "tel", Autocomplete: "tel", Hint: "International format, for example +14155550123."}
	street    = field{Name: "address_street", Label: "Street address", Kind: "text", Autocomplete: "street-address"}
	city      = field{Name: "address_city", Label: "City", Kind: "text", Autocomplete: "address-level2"}
	state     = field{Name: "address_state", Label: "State, province or region", Kind: "text", Autocomplete: "address-level1"}
	zip       = field{Name: "address_zip_code", Label: "ZIP or postal code", Kind: "text", Autocomplete: "postal-code"}
	country   = field{Name: "address_country", Label: "Country", Kind: "select", Enum: "CountryCode", Autocomplete: "country"}
)

// formFields lists, in page order, every field the page can ask for, per user type.
var formFields = map[kyc.UserType][]field{
	kyc.Individual: {
		firstName, lastName,
		{Name: "birth_date", Label: "Date of birth", Kind: "date", Secret: true, Autocomplete: "bday"},
		email, phone,
		{Name: "document_type", Label: "ID document", Kind: "select", Enum: "DocumentType"},
		{Name: "document_number", Label: "Document number", Kind: "text", Secret: true, Autocomplete: "off"},
		{Name: "document_country", Label: "Issuing country", Kind: "select", Enum: "CountryCode"},
		street, city, state, zip, country,
		{Name: "ssn", Label: "Social Security Number", Kind: "text", Secret: true, Autocomplete: "off", Hint: "Required for US addresses. Nine digits, for example 123-45-6789."},
	},
	kyc.Business: {
		{Name: "business_legal_name", Label: "Legal name of the business", Kind: "text", Autocomplete: "organization"},
		{Name: "business_type", Label: "Type of business", Kind: "select", Enum: "BusinessType"},
		{Name: "formation_date", Label: "Date of formation", Kind: "date"},
		email, phone,
		street, city, state, zip, country,
		{Name: "ein", Label: "Employer Identification Number (EIN)", Kind: "text", Secret: true, Autocomplete: "off", Hint: "Required for US businesses. Nine digits, for example 12-3456789."},
		{Name: "representative_first_name", Label: "Representative's first name", Kind: "text"},
		{Name: "representative_last_name", Label: "Representative's last name", Kind: "text"},
		{Name: "representative_birth_date", Label: "Representative's date of birth", Kind: "date", Secret: true},
	},
}

// option is one choice of a select.
type option struct {
	Value, Label string
}

// form is what the page shows: the fields to fill in, with the values to keep and the errors.
type form struct {
	Fields []formInput
	Errors []formError
}

type formInput struct {
	field
	ID       string
	Value    string
	Options  []option
	Error    string
	Required bool
	// Kept is true for a secret already on file: left blank, it is kept.
	Kept bool
}

type formError struct {
	ID, Label, Message string
}

// fieldsToAsk chooses the inputs for a user: what automatic verification still misses, or, when
// nothing is missing (a rejected user correcting their data), every field verification checks.
// The SSN or EIN is offered whenever the country is still open, since a US address needs it.
func fieldsToAsk(u *kyc.User) []field {
	missing := kyc.MissingFields(u.Type, &u.Fields)
	ask := map[string]bool{}
	for _, m := range missing {
		ask[m] = true
	}
	if ask["address_country"] {
		ask["ssn"], ask["ein"] = u.Type == kyc.Individual, u.Type == kyc.Business
	}
	if len(missing) == 0 {
		for _, m := range kyc.MissingFields(u.Type, &kyc.Fields{AddressCountry: u.Fields.AddressCountry}) {
			ask[m] = true
		}
	}
	var out []field
	for _, f := range formFields[u.Type] {
		if ask[f.Name] {
			out = append(out, f)
		}
	}
	return out
}

// currentValues returns the user's non-secret values by API name, to prefill the form.
func currentValues(u *kyc.User) map[string]string {
	public, _ := u.Fields.Split()
	raw, _ := json.Marshal(public)
	var all map[string]any
	_ = json.Unmarshal(raw, &all)
	out := map[string]string{}
	for k, v := range all {
		if s, ok := v.(string); ok {
			out[k] = s
		}
	}
	return out
}

// buildForm renders the inputs for fields with the given values and errors. Secrets are never
// prefilled.
func buildForm(spec *openapi3.T, u *kyc.User, fields []field, values map[string]string, problems map[string]string) form {
	missing := map[string]bool{}
	for _, m := range kyc.MissingFields(u.Type, &u.Fields) {
		missing[m] = true
	}
	_, secrets := u.Fields.Split()
	var f form
	for _, fd := range fields {
		in := formInput{field: fd, ID: "f-" + fd.Name, Error: problems[fd.Name], Required: missing[fd.Name]}
		if !fd.Secret {
			in.Value = values[fd.Name]
		} else {
			in.Kept = secretOnFile(secrets, fd.Name)
		}
		if fd.Enum != "" {
			in.Options = enumOptions(spec, fd.Enum)
		}
		f.Fields = append(f.Fields, in)
		if in.Error != "" {
			f.Errors = append(f.Errors, formError{ID: in.ID, Label: fd.Label, Message: in.Error})
		}
	}
	return f
}

func secretOnFile(s kyc.Secrets, name string) bool {
	switch name {
	case "birth_date":
		return s.BirthDate != ""
	case "ssn":
		return s.SSN != ""
	case "document_number":
		return s.DocumentNumber != ""
	case "ein":
		return s.EIN != ""
	case "representative_birth_date":
		return s.RepresentativeBirthDate != ""
	}
	return false
}

var optionLabels = map[string]string{
	"passport": "Passport", "national_id": "National ID card", "drivers_license": "Driver's license",
	"permanent_residency_id": "Permanent residency card", "state_or_provincial_id": "State or provincial ID",
	"military_id": "Military ID", "matriculate_id": "Matrícula consular", "visa": "Visa",
	"limited_liability_company": "Limited liability company (LLC)", "corporation": "Corporation",
	"general_partnership": "General partnership", "limited_liability_partnership": "Limited liability partnership (LLP)",
	"sole_proprietor": "Sole proprietorship", "non_profit": "Non-profit", "trust": "Trust",
	"government_organization": "Government organization", "publicly_traded_company": "Publicly traded company",
}

// enumOptions lists a select's choices from the spec's enum, labelled for people.
func enumOptions(spec *openapi3.T, schema string) []option {
	ref := spec.Components.Schemas[schema]
	if ref == nil || ref.Value == nil {
		return nil
	}
	opts := make([]option, 0, len(ref.Value.Enum))
	for _, v := range ref.Value.Enum {
		s := fmt.Sprint(v)
		label := optionLabels[s]
		if schema == "CountryCode" {
			label = countryNames[s]
		}
		if label == "" {
			label = s
		}
		opts = append(opts, option{Value: s, Label: label})
	}
	if schema == "CountryCode" {
		sort.Slice(opts, func(i, j int) bool { return opts[i].Label < opts[j].Label })
	}
	return opts
}

// submission is a validated form post: the fields it sets and how to set them.
type submission struct {
	changed []string
	apply   func(*kyc.Fields) error
	values  map[string]string
}

// parseSubmission validates a post against the spec's update schema, as the API would, and then
// checks that the user would be complete. problems maps field names to messages; they never
// repeat what was typed.
func parseSubmission(spec *openapi3.T, u *kyc.User, fields []field, post url.Values) (*submission, map[string]string) {
	values := map[string]string{}
	body := map[string]any{}
	// Text a browser cannot have sent as typed, which storage would change or refuse.
	textProblems := map[string]string{}
	for _, f := range fields {
		v := strings.TrimSpace(post.Get(f.Name))
		if f.Name == "ssn" || f.Name == "ein" {
			v = strings.ReplaceAll(v, " ", "")
		}
		if v == "" {
			continue
		}
		if !utf8.ValidString(v) || strings.IndexByte(v, 0) >= 0 {
			textProblems[f.Name] = "must be text without NUL characters"
			continue
		}
		values[f.Name] = v
		body[f.Name] = v
	}
	problems := textProblems
	schema := spec.Components.Schemas["UserUpdateRequest"].Value
	opts := append(openapi.ValidationOptions(), openapi3.MultiErrors(), openapi3.VisitAsRequest())
	if err := schema.VisitJSON(body, opts...); err != nil {
		for _, se := range schemaErrors(err) {
			for _, p := range openapi.DescribeSchemaError(se) {
				if _, seen := problems[p.Field]; !seen {
					problems[p.Field] = p.Message
				}
			}
		}
	}
	raw, err := json.Marshal(body)
	if err != nil {
		problems["form"] = "could not be read"
	}
	apply := func(f *kyc.Fields) error { return json.Unmarshal(raw, f) }
	next := u.Fields
	if err := apply(&next); err != nil {
		problems["form"] = "could not be read"
	}
	for _, m := range kyc.MissingFields(u.Type, &next) {
		if _, seen := problems[m]; !seen && slices.ContainsFunc(fields, func(f field) bool { return f.Name == m }) {
			problems[m] = "is required"
		}
	}
	if len(problems) > 0 {
		return nil, problems
	}
	changed := make([]string, 0, len(body))
	for k := range body {
		changed = append(changed, k)
	}
	sort.Strings(changed)
	return &submission{changed: changed, apply: apply, values: values}, nil
}

func schemaErrors(err error) []*openapi3.SchemaError {
	var out []*openapi3.SchemaError
	switch e := err.(type) {
	case openapi3.MultiError:
		for _, inner := range e {
			out = append(out, schemaErrors(inner)...)
		}
	case *openapi3.SchemaError:
		out = append(out, e)
	}
	return out
}
