package kyc

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// Class says whether a field is verified identity data or contact data.
type Class string

// The classes. Changing identity data re-runs verification; changing contact data never does.
const (
	Identity Class = "identity"
	Contact  Class = "contact"
)

// Requirement says when automatic verification needs a field.
type Requirement string

// The requirements.
const (
	Optional      Requirement = ""
	Required      Requirement = "required"
	RequiredInUSA Requirement = "required_in_usa" // when address_country is USA
)

// FieldSpec is one row of the user field table, read from the tags of Fields (or Person).
type FieldSpec struct {
	// Name is the field's API name.
	Name string
	// Types are the user types that carry the field (a person's fields: both).
	Types       []UserType
	Class       Class
	Sealed      bool
	Masked      bool
	Requirement Requirement
	// Date is the kind of a date field ("birth" or "formation"), whose earliest value is bounded.
	Date string
	// Issued names the issuer whose numbering rules the field's value follows ("ssn").
	Issued string
	// Label, Input, Enum, Autocomplete and Hint are the hosted page's; no Label: not asked there.
	Label, Input, Enum, Autocomplete, Hint string

	index int
	typ   reflect.Type
}

// MaskedName is the name under which a masked field's last four characters are returned.
func (s *FieldSpec) MaskedName() string { return s.Name + "_last4" }

// wrongType is the error of the field sent for a user of a type that does not carry it.
func (s *FieldSpec) wrongType() FieldError {
	return FieldError{Field: s.Name, Message: "applies to " + string(s.Types[0]) + " users only"}
}

// For reports whether users of type t carry the field.
func (s *FieldSpec) For(t UserType) bool { return slices.Contains(s.Types, t) }

// appliesTo reports whether automatic verification needs the field for a user of type t with f.
func (s *FieldSpec) appliesTo(t UserType, f *Fields) bool {
	switch {
	case !s.For(t) || s.Requirement == Optional:
		return false
	case s.Requirement == RequiredInUSA:
		return f.AddressCountry == "USA"
	}
	return true
}

// value is the field of v, a Fields or a Person.
func (s *FieldSpec) value(v reflect.Value) reflect.Value { return v.Field(s.index) }

// Value returns the field's value in f: a string, a map[string]string or a []Person.
func (s *FieldSpec) Value(f *Fields) any { return s.value(reflect.ValueOf(f).Elem()).Interface() }

// IsSet reports whether the field has a value in f.
func (s *FieldSpec) IsSet(f *Fields) bool { return !s.value(reflect.ValueOf(f).Elem()).IsZero() }

// Type is the Go type of the field's value.
func (s *FieldSpec) Type() reflect.Type { return s.typ }

var (
	userFields   = describe(reflect.TypeFor[Fields](), []UserType{Individual, Business})
	personFields = describe(reflect.TypeFor[Person](), []UserType{Individual, Business})
	userFieldsBy = byName(userFields)
)

// UserFields returns the user field table, in its order. The caller must not change it.
func UserFields() []*FieldSpec { return userFields }

// PersonFields returns the field table of an associated person. The caller must not change it.
func PersonFields() []*FieldSpec { return personFields }

// UserField returns the user field named name (its API name), or nil.
func UserField(name string) *FieldSpec { return userFieldsBy[name] }

// describe reads the field table from the tags of struct type t.
func describe(t reflect.Type, all []UserType) []*FieldSpec {
	specs := make([]*FieldSpec, t.NumField())
	for i := range t.NumField() {
		sf := t.Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		s := &FieldSpec{
			Name: name, Types: all, Class: Identity, index: i, typ: sf.Type,
			Label: sf.Tag.Get("label"), Input: sf.Tag.Get("input"), Enum: sf.Tag.Get("enum"),
			Autocomplete: sf.Tag.Get("autocomplete"), Hint: sf.Tag.Get("hint"), Date: sf.Tag.Get("date"), Issued: sf.Tag.Get("issued"),
		}
		if tag := sf.Tag.Get("field"); tag != "" {
			for _, attr := range strings.Split(tag, ",") {
				switch attr {
				case string(Individual), string(Business):
					s.Types = []UserType{UserType(attr)}
				case string(Contact):
					s.Class = Contact
				case "sealed":
					s.Sealed = true
				case "masked":
					s.Masked = true
				case string(Required), string(RequiredInUSA):
					s.Requirement = Requirement(attr)
				default:
					panic(fmt.Sprintf("kyc: field %s: unknown attribute %q", name, attr))
				}
			}
		}
		if (s.Sealed || s.Masked) && sf.Type.Kind() != reflect.String {
			panic(fmt.Sprintf("kyc: field %s: only text can be sealed or masked", name))
		}
		specs[i] = s
	}
	return specs
}

func byName(specs []*FieldSpec) map[string]*FieldSpec {
	m := make(map[string]*FieldSpec, len(specs))
	for _, s := range specs {
		m[s.Name] = s
	}
	return m
}

// MissingFields lists, in table order, the fields automatic verification still needs for a user
// of type t. An empty list means the user is complete.
func MissingFields(t UserType, f *Fields) []string {
	missing := []string{}
	for _, s := range userFields {
		if s.appliesTo(t, f) && !s.IsSet(f) {
			missing = append(missing, s.Name)
		}
	}
	return missing
}

// CheckedFields names the identity fields a verification checks for a user of type t: the
// required ones that apply and are present.
func CheckedFields(t UserType, f *Fields) []string {
	var checked []string
	for _, s := range userFields {
		if s.Class == Identity && s.appliesTo(t, f) && s.IsSet(f) {
			checked = append(checked, s.Name)
		}
	}
	return checked
}

// Secrets are the sealed fields of a user, kept apart so that storage can encrypt them as one
// value: Values by field name, and Persons, each associated person's by field name. Its JSON is
// one object, {"ssn": ..., "persons": [{...}]}.
type Secrets struct {
	Values  map[string]string
	Persons []map[string]string
}

// Split separates the sealed fields from the rest: public holds every field but them.
func (f Fields) Split() (public Fields, secrets Secrets) {
	public = f
	secrets.Values = takeSealed(userFields, reflect.ValueOf(&public).Elem())
	if len(f.AssociatedPersons) > 0 {
		public.AssociatedPersons = slices.Clone(f.AssociatedPersons)
		secrets.Persons = make([]map[string]string, len(public.AssociatedPersons))
		for i := range public.AssociatedPersons {
			secrets.Persons[i] = takeSealed(personFields, reflect.ValueOf(&public.AssociatedPersons[i]).Elem())
		}
	}
	return public, secrets
}

// Join is the inverse of Split.
func Join(public Fields, secrets Secrets) Fields {
	f := public
	putSealed(userFields, reflect.ValueOf(&f).Elem(), secrets.Values)
	if len(public.AssociatedPersons) > 0 {
		f.AssociatedPersons = slices.Clone(public.AssociatedPersons)
		for i := range f.AssociatedPersons {
			if i < len(secrets.Persons) {
				putSealed(personFields, reflect.ValueOf(&f.AssociatedPersons[i]).Elem(), secrets.Persons[i])
			}
		}
	}
	return f
}

// takeSealed moves the sealed fields of v (a Fields or a Person) into a map.
func takeSealed(specs []*FieldSpec, v reflect.Value) map[string]string {
	var out map[string]string
	for _, s := range specs {
		if fv := s.value(v); s.Sealed && fv.String() != "" {
			if out == nil {
				out = map[string]string{}
			}
			out[s.Name] = fv.String()
			fv.SetString("")
		}
	}
	return out
}

func putSealed(specs []*FieldSpec, v reflect.Value, values map[string]string) {
	for _, s := range specs {
		if s.Sealed {
			s.value(v).SetString(values[s.Name])
		}
	}
}

// MarshalJSON writes the secrets as one object.
func (s Secrets) MarshalJSON() ([]byte, error) {
	m := make(map[string]any, len(s.Values)+1)
	for k, v := range s.Values {
		m[k] = v
	}
	if len(s.Persons) > 0 {
		m["persons"] = s.Persons
	}
	return json.Marshal(m)
}

// UnmarshalJSON reads what MarshalJSON writes.
func (s *Secrets) UnmarshalJSON(b []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	*s = Secrets{}
	if raw, ok := m["persons"]; ok {
		if err := json.Unmarshal(raw, &s.Persons); err != nil {
			return err
		}
		delete(m, "persons")
	}
	for k, raw := range m {
		var v string
		if err := json.Unmarshal(raw, &v); err != nil {
			return err
		}
		if s.Values == nil {
			s.Values = map[string]string{}
		}
		s.Values[k] = v
	}
	return nil
}

// Patch is a partial update of a user's fields: the fields a request sets, each with its new
// value, of the field's own type (FieldSpec.Type). A list or a map replaces the stored one whole.
type Patch struct {
	values map[*FieldSpec]any
}

// Set sets field name to v in the patch. It is an error if there is no such field or if v is not
// of the field's type.
func (p *Patch) Set(name string, v any) error {
	s := userFieldsBy[name]
	if s == nil {
		return fmt.Errorf("patch: no user field %q", name)
	}
	if reflect.TypeOf(v) != s.typ {
		return fmt.Errorf("patch: field %s is a %s, not a %T", name, s.typ, v)
	}
	if p.values == nil {
		p.values = map[*FieldSpec]any{}
	}
	p.values[s] = v
	return nil
}

// Names lists the fields the patch sets, in table order.
func (p Patch) Names() []string {
	var names []string
	for _, s := range userFields {
		if _, ok := p.values[s]; ok {
			names = append(names, s.Name)
		}
	}
	return names
}

// Changes lists, in table order, the fields whose value in the patch differs from f's: a value
// equal to the stored one (a secret compared with its plain value) is not a change.
func (p Patch) Changes(f *Fields) []*FieldSpec {
	var out []*FieldSpec
	v := reflect.ValueOf(f).Elem()
	for _, s := range userFields {
		if nv, ok := p.values[s]; ok && !s.sameValue(s.value(v).Interface(), nv) {
			out = append(out, s)
		}
	}
	return out
}

// checkTypes refuses a patch that sends a field users of type t do not carry, even empty: what a
// request may send does not depend on what else it sends.
func (p Patch) checkTypes(t UserType) error {
	var fields []FieldError
	for _, s := range userFields {
		if _, ok := p.values[s]; ok && !s.For(t) {
			fields = append(fields, s.wrongType())
		}
	}
	if len(fields) > 0 {
		return &Error{Code: EInvalid, Message: "The request is invalid.", Fields: fields}
	}
	return nil
}

// Apply sets the patch's fields in f.
func (p Patch) Apply(f *Fields) {
	v := reflect.ValueOf(f).Elem()
	for s, nv := range p.values {
		s.value(v).Set(reflect.ValueOf(nv))
	}
}

// sameValue compares two values of the field: a masked identifier (an SSN, an EIN, a document
// number) by its letters and digits alone, whatever the case ("123-45-6789" is "123456789"); an
// empty list or map is the same as none.
func (s *FieldSpec) sameValue(a, b any) bool {
	if s.Masked {
		return strings.EqualFold(alphanumeric(a.(string)), alphanumeric(b.(string)))
	}
	switch x := a.(type) {
	case []IdentifyingInformation:
		return sameDocuments(x, b.([]IdentifyingInformation))
	case []Person:
		return samePersons(x, b.([]Person))
	}
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	if (va.Kind() == reflect.Map || va.Kind() == reflect.Slice) && va.Len() == 0 && vb.Len() == 0 {
		return true
	}
	return reflect.DeepEqual(a, b)
}

// alphanumeric is s with everything but its ASCII letters and digits removed.
func alphanumeric(s string) string {
	return strings.Map(func(r rune) rune {
		if isAlphanumeric(r) {
			return r
		}
		return -1
	}, s)
}
