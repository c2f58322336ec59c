package hosted

import (
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

// formFields lists, per user type and in the table's order, the fields the page can ask for: the
// user fields that have a label (kyc.Fields).
var formFields = func() map[kyc.UserType][]field {
	out := map[kyc.UserType][]field{}
	for _, s := range kyc.UserFields() {
		if s.Label == "" {
			continue
		}
		f := field{Name: s.Name, Label: s.Label, Kind: s.Input, Enum: s.Enum, Secret: s.Sealed, Autocomplete: s.Autocomplete, Hint: s.Hint}
		for _, t := range s.Types {
			out[t] = append(out[t], f)
		}
	}
	return out
}()

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

// currentValues returns the user's text values that are not sealed, by API name, to prefill the
// form.
func currentValues(u *kyc.User) map[string]string {
	out := map[string]string{}
	for _, s := range kyc.UserFields() {
		if v, ok := s.Value(&u.Fields).(string); ok && v != "" && !s.Sealed {
			out[s.Name] = v
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

func secretOnFile(s kyc.Secrets, name string) bool { return s.Values[name] != "" }

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

// submission is a validated form post: the patch it makes and the values typed.
type submission struct {
	patch  kyc.Patch
	values map[string]string
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
	var patch kyc.Patch
	for name, v := range values {
		if err := patch.Set(name, v); err != nil {
			problems[name] = "could not be read"
		}
	}
	next := u.Fields
	patch.Apply(&next)
	for _, m := range kyc.MissingFields(u.Type, &next) {
		if _, seen := problems[m]; !seen && slices.ContainsFunc(fields, func(f field) bool { return f.Name == m }) {
			problems[m] = "is required"
		}
	}
	if len(problems) > 0 {
		return nil, problems
	}
	return &submission{patch: patch, values: values}, nil
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
