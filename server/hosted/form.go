package hosted

import (
	"errors"
	"fmt"
	"mime/multipart"
	"net/url"
	"reflect"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/kiraapi/kira/openapi"
	"github.com/kiraapi/kira/server/country"
	"github.com/kiraapi/kira/server/kyc"
)

// field is an input of the hosted page. Name is the API field's name, so that what the end user
// types is validated by the same schema as an API request.
type field struct {
	Name         string
	Label        string
	Kind         string // text, email, tel, url, date, select, multiselect (a list of values)
	Enum         string // the spec schema whose enum lists a select's options
	Secret       bool
	Autocomplete string
	Hint         string
	spec         *kyc.FieldSpec // nil for an input that is no user field (a document's)
}

// formFields lists, per user type and in the table's order, the fields the page can ask for: the
// user fields that have a label (kyc.Fields).
var formFields = func() map[kyc.UserType][]field {
	out := map[kyc.UserType][]field{}
	for _, s := range kyc.UserFields() {
		if s.Label == "" {
			continue
		}
		for _, t := range s.Types {
			out[t] = append(out[t], field{Name: s.Name, Label: s.Label, Kind: s.Input, Enum: s.EnumFor(t), Secret: s.Sealed,
				Autocomplete: s.Autocomplete, Hint: s.Hint, spec: s})
		}
	}
	return out
}()

// listSeparator joins the values of a list field (a multiselect) in the form's values: enum
// values have no commas.
const listSeparator = ","

// option is one choice of a select.
type option struct {
	Value, Label string
}

// form is what the page shows: the fields to fill in, with the values to keep, the documents it
// takes (upload.go) and the errors.
// FormLevel is true when some error concerns no field on the form.
type form struct {
	Fields    []formInput
	Documents []formSection
	Errors    []formError
	FormLevel bool
}

// formSection is a group of document inputs: the user's own (no Legend), or an associated
// person's, shown as a fieldset.
type formSection struct {
	Legend, Hint string
	Inputs       []formInput
}

type formInput struct {
	field
	ID      string
	Value   string
	Options []option
	// Selected are a multiselect's chosen values.
	Selected map[string]bool
	// Suggestions are a text input's usual values (a datalist): the subdivisions of the address's
	// country for address_state.
	Suggestions []option
	Error       string
	Required    bool
	// Kept is true for a secret already on file: left blank, it is kept.
	Kept bool
}

// Wide reports whether the input takes the form's whole width.
func (in formInput) Wide() bool {
	return in.Name == "address_street" || in.Kind == "select" || in.Kind == "multiselect" || in.Kind == "file"
}

// formError is a line of the error summary: ID is the input it concerns ("" for the form as a
// whole), Label how it names the field ("" for none).
type formError struct {
	ID, Label, Message string
}

// formLevel is the key of problems that concern the form as a whole.
const formLevel = ""

// The messages of problems that name no value and no field the form has.
const (
	msgUnknownFields = "The form had fields it does not ask for. Please fill in the form below and submit it again."
	msgNotAccepted   = "Some of the details on file could not be accepted. Please check the form and submit it again."
)

// inputs are what the form asks of a user: fields of the table, then document sections.
type inputs struct {
	fields   []field
	sections []section
}

// all lists the fields, then the document inputs.
func (a inputs) all() []field {
	out := slices.Clone(a.fields)
	for _, in := range docInputs(a.sections) {
		out = append(out, in.field)
	}
	return out
}

// fieldsToAsk chooses the inputs for a user: what automatic verification still misses under the
// requirement set rules, or, when nothing is missing (a rejected user correcting their data),
// every field verification may check, the country included. The fields required only in the USA
// (SSN, EIN) are offered whenever the country can still be chosen, since a US address needs them,
// and the fields required in some cases only (kyc.ConditionalFields: the employer of an employed
// individual) always, since what the page sets may need them.
func fieldsToAsk(u *kyc.User, rules kyc.RequirementSet) []field {
	missing := kyc.MissingFields(rules, u.Type, &u.Fields)
	conditional := kyc.ConditionalFields(rules, u.Type)
	correcting := len(missing) == 0
	countryOpen := correcting || slices.Contains(missing, "address_country")
	var out []field
	for _, f := range formFields[u.Type] {
		req := f.spec.RequirementIn(rules)
		if slices.Contains(missing, f.Name) || correcting && req != kyc.Optional ||
			countryOpen && req == kyc.RequiredInUSA || slices.Contains(conditional, f.Name) {
			out = append(out, f)
		}
	}
	return out
}

// currentValues returns the user's text values that are not sealed, by API name, to prefill the
// form (a list's values joined by listSeparator).
func currentValues(u *kyc.User) map[string]string {
	out := map[string]string{}
	for _, s := range kyc.UserFields() {
		if s.Sealed {
			continue
		}
		switch v := s.Value(&u.Fields).(type) {
		case string:
			if v != "" {
				out[s.Name] = v
			}
		case []string:
			if len(v) > 0 {
				out[s.Name] = strings.Join(v, listSeparator)
			}
		}
	}
	return out
}

// buildForm renders the inputs for fields and the document sections with the given values and
// errors (problems by field or input name; a problem of a field not on the form is shown above it,
// by the field's label). Secrets are never prefilled.
func buildForm(spec *openapi3.T, u *kyc.User, rules kyc.RequirementSet, asked inputs, values map[string]string, problems map[string]string) form {
	missing := map[string]bool{}
	for _, m := range kyc.MissingFields(rules, u.Type, &u.Fields) {
		missing[m] = true
	}
	_, secrets := u.Fields.Split()
	var f form
	shown := map[string]bool{}
	for _, fd := range asked.fields {
		in := formInput{field: fd, ID: "f-" + fd.Name, Error: problems[fd.Name], Required: missing[fd.Name]}
		switch {
		case fd.Kind == "multiselect":
			in.Selected = map[string]bool{}
			for _, v := range strings.Split(values[fd.Name], listSeparator) {
				in.Selected[v] = v != ""
			}
		case !fd.Secret:
			in.Value = values[fd.Name]
		default:
			in.Kept = secretOnFile(secrets, fd.Name)
		}
		if fd.Enum != "" {
			in.Options = enumOptions(spec, fd.Enum)
		}
		if fd.Name == "address_state" {
			in.Suggestions = subdivisionOptions(values["address_country"])
		}
		f.Fields = append(f.Fields, in)
		shown[fd.Name] = true
		if in.Error != "" {
			f.Errors = append(f.Errors, formError{ID: in.ID, Label: fd.Label, Message: in.Error})
		}
	}
	f.Documents = documentForm(spec, asked.sections, values, problems)
	for _, s := range f.Documents {
		for _, in := range s.Inputs {
			shown[in.Name] = true
			if in.Error != "" {
				f.Errors = append(f.Errors, formError{ID: in.ID, Label: in.Label, Message: in.Error})
			}
		}
	}
	off := offForm(problems, shown)
	f.Errors = append(f.Errors, off...)
	f.FormLevel = len(off) > 0
	return f
}

// offForm lists the problems of fields that are not shown, in the table's order, by label; a
// problem of a field without one becomes msgNotAccepted, and the form's own problem comes last.
func offForm(problems map[string]string, shown map[string]bool) []formError {
	var out []formError
	for _, s := range kyc.UserFields() {
		if msg, ok := problems[s.Name]; ok && !shown[s.Name] && s.Label != "" {
			out = append(out, formError{Label: s.Label, Message: msg})
		}
	}
	for name := range problems {
		if s := kyc.UserField(name); name != formLevel && !shown[name] && (s == nil || s.Label == "") {
			out = append(out, formError{Message: msgNotAccepted})
			break
		}
	}
	if msg, ok := problems[formLevel]; ok {
		out = append(out, formError{Message: msg})
	}
	return out
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
	"true": "Yes", "false": "No",
}

// humanize is the label of an enum value that has none of its own: its words, the first
// capitalised ("self_employed" -> "Self employed").
func humanize(value string) string {
	words := strings.ReplaceAll(value, "_", " ")
	r, size := utf8.DecodeRuneInString(words)
	return string(unicode.ToUpper(r)) + words[size:]
}

// enumOptions lists a select's choices from the spec's enum, labelled for people; the countries
// (CountryCode) come from the country list, which a test keeps equal to that enum, by name.
func enumOptions(spec *openapi3.T, schema string) []option {
	if schema == "CountryCode" {
		all := country.All()
		opts := make([]option, len(all))
		for i, c := range all {
			opts[i] = option{Value: c.Code, Label: c.Name}
		}
		sort.Slice(opts, func(i, j int) bool { return opts[i].Label < opts[j].Label })
		return opts
	}
	ref := spec.Components.Schemas[schema]
	if ref == nil || ref.Value == nil {
		return nil
	}
	opts := make([]option, 0, len(ref.Value.Enum))
	for _, v := range ref.Value.Enum {
		s := fmt.Sprint(v)
		label := optionLabels[s]
		if label == "" {
			label = humanize(s)
		}
		opts = append(opts, option{Value: s, Label: label})
	}
	return opts
}

// subdivisionOptions suggests address_state's values for an address in the country of code: its
// subdivisions when its addresses name one by code; every such subdivision, by country, when the
// country is not chosen yet; none otherwise, where the field is free text.
func subdivisionOptions(code string) []option {
	var opts []option
	for _, c := range country.All() {
		if c.Code != code && code != "" {
			continue
		}
		for _, s := range c.Subdivisions {
			label := s.Name
			if code == "" {
				label += ", " + c.Name
			}
			opts = append(opts, option{Value: s.Code, Label: label})
		}
	}
	return opts
}

// submission is a form post: what was typed in the form's fields and text inputs, by name (text,
// each given once, or a multiselect's values joined by listSeparator; a file input whose file was
// accepted has no text), and, when it has no problems, the patch it makes.
type submission struct {
	patch kyc.Patch
	typed map[string]string
}

// parseSubmission reads a post of the form of fields and document sections (its files in mf, nil
// when the post is not multipart), refusing what the API would refuse: a field given twice, a
// field the form does not have, text that is not UTF-8 or has a NUL, a file that is no accepted
// document. It then validates what was typed against the spec's update schema and the field rules
// on the day today, as the API would, and checks that the user would be complete. problems maps
// field or input names (or formLevel) to messages; they never repeat what was typed.
func parseSubmission(spec *openapi3.T, u *kyc.User, rules kyc.RequirementSet, asked inputs, post url.Values, mf *multipart.Form, today time.Time) (*submission, map[string]string) {
	problems := map[string]string{}
	onForm := map[string]bool{}
	for _, f := range asked.all() {
		onForm[f.Name] = true // a file input left empty is posted as an empty value
	}
	fields, sections := asked.fields, asked.sections
	for name := range post {
		if s := kyc.UserField(name); !onForm[name] && s != nil && s.Label != "" && s.For(u.Type) {
			problems[name] = "cannot be changed on this page"
		} else if !onForm[name] {
			problems[formLevel] = msgUnknownFields
		}
	}
	sub := &submission{typed: map[string]string{}}
	body := map[string]any{}
	values := map[string][]string{}
	for _, f := range fields {
		given := post[f.Name]
		if len(given) > 1 && f.Kind != "multiselect" {
			problems[f.Name] = "was given more than once; please enter it once"
			continue
		}
		list, problem := typedValues(f, given)
		if problem != "" {
			problems[f.Name] = problem
			continue
		}
		if len(list) == 0 {
			continue
		}
		values[f.Name] = list
		sub.typed[f.Name] = strings.Join(list, listSeparator)
		if f.Kind == "multiselect" {
			items := make([]any, len(list))
			for i, v := range list {
				items[i] = v
			}
			body[f.Name] = items
		} else {
			body[f.Name] = list[0]
		}
	}
	add := func(name, msg string) {
		if _, seen := problems[name]; !seen {
			problems[name] = msg
		}
	}
	schema := spec.Components.Schemas["UserUpdateRequest"].Value
	opts := append(openapi.ValidationOptions(), openapi3.MultiErrors(), openapi3.VisitAsRequest())
	if err := schema.VisitJSON(body, opts...); err != nil {
		for _, se := range schemaErrors(err) {
			for _, p := range openapi.DescribeSchemaError(se) {
				add(p.Field, p.Message)
			}
		}
	}
	for name, list := range values {
		var v any = list[0]
		if s := kyc.UserField(name); s != nil && s.Type() == reflect.TypeFor[[]string]() {
			v = list
		}
		if err := sub.patch.Set(name, v); err != nil {
			add(name, "could not be read")
		}
	}
	docs, docProblems := readDocuments(spec, sections, post, mf)
	for name, v := range docs.text {
		sub.typed[name] = v
	}
	for name := range docs.files {
		sub.typed[name] = ""
	}
	for name, msg := range docProblems {
		add(name, msg)
	}
	next := u.Fields
	sub.patch.Apply(&next)
	for name, msg := range applyDocuments(sub, &next, sections, docs) {
		add(name, msg)
	}
	next = u.Fields
	sub.patch.Apply(&next)
	var kerr *kyc.Error
	if err := next.ValidateUpdate(u.Type, today, &u.Fields); errors.As(err, &kerr) {
		for _, fe := range kerr.Fields {
			add(fe.Field, fe.Message)
		}
	}
	for _, m := range kyc.MissingFields(rules, u.Type, &next) {
		if onForm[m] {
			add(m, "is required")
		}
	}
	for _, name := range missingInputs(rules, u, &next, sections, docs) {
		add(name, "is required")
	}
	if len(problems) > 0 {
		return sub, problems
	}
	return sub, nil
}

// typedValues reads what was typed in field f: its values that are not blank, trimmed (an SSN or
// EIN without its spaces), or the problem of one that is not text.
func typedValues(f field, given []string) (list []string, problem string) {
	for _, g := range given {
		v := strings.TrimSpace(g)
		if f.spec != nil && f.spec.Issued == "ssn" || f.Name == "ein" {
			v = strings.ReplaceAll(v, " ", "")
		}
		switch {
		case v == "":
		case !utf8.ValidString(v):
			return nil, "must be valid UTF-8 text"
		case strings.IndexByte(v, 0) >= 0:
			return nil, "must not contain NUL characters"
		default:
			list = append(list, v)
		}
	}
	return list, ""
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
