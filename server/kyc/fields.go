package kyc

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
)

// Class says whether a field is verified identity data or contact data.
type Class string

// The classes. Changing identity data re-runs verification; changing contact data never does.
const (
	Identity Class = "identity"
	Contact  Class = "contact"
)

// Requirement says when a requirement set needs a field.
type Requirement string

// The requirements.
const (
	Optional      Requirement = ""
	Required      Requirement = "required"
	RequiredInUSA Requirement = "required_in_usa" // when address_country is USA
)

// RequirementSet names a list of what a user must carry: the fields (and other tokens) that
// automatic verification needs, in missing_fields, or the minimum of a create in
// verification_link mode.
type RequirementSet string

// The requirement sets. Seed and Kira are the rules of automatic verification (KIRA_REQUIREMENTS);
// Link is what a create in verification_link mode needs at least.
const (
	// SeedRequirements are the seed's lists (users-and-verification), the default.
	SeedRequirements RequirementSet = "seed"
	// KiraRequirements are Kira's fuller lists: "Required Fields for Automatic Verification",
	// https://kira-financial-ai.readme.io/reference/createuser (individuals and businesses, USA),
	// with the identifying_information documents they name (extraRules).
	KiraRequirements RequirementSet = "kira"
	// LinkRequirements are the minimum of a create in verification_link mode: individuals
	// first_name, last_name and email, businesses business_legal_name and email (Kira changelog
	// 2026-04-14, "Users verification link mode").
	LinkRequirements RequirementSet = "link"
)

// VerificationRules are the requirement sets that can decide when automatic verification starts.
var VerificationRules = []RequirementSet{SeedRequirements, KiraRequirements}

// ParseVerificationRules returns the requirement set named name, one of VerificationRules.
func ParseVerificationRules(name string) (RequirementSet, error) {
	if set := RequirementSet(name); slices.Contains(VerificationRules, set) {
		return set, nil
	}
	return "", fmt.Errorf("requirement set %q is none of %v", name, VerificationRules)
}

// rule is a requirement that is not one field of the table: the token it adds to missing_fields
// for users of type Type, while Missing says it is not met. Each is one line of extraRules.
type rule struct {
	Token   string
	Type    UserType
	Missing func(*Fields) bool
}

// extraRules are, per requirement set, the requirements that the table's require tags cannot
// state. They follow the table's fields in missing_fields.
var extraRules = map[RequirementSet][]rule{
	KiraRequirements: {
		// Kira asks for the employer of an employed individual only (create-a-user, current_employer).
		{Token: "current_employer", Type: Individual, Missing: func(f *Fields) bool { return f.EmploymentStatus == "employed" && f.CurrentEmployer == "" }},
		// Kira's identity documents (create-a-user, "Required for automatic KYC" and "Required for
		// automatic KYB"); a document counts whether uploaded or given as a URL. An individual's tax
		// identifier is an identifying_information item of type ssn, or tax_id outside the USA, with
		// a number; the ssn field states the same fact as an ssn item, so it meets the rule too.
		{Token: TokenTaxIdentifier, Type: Individual, Missing: func(f *Fields) bool { return !hasTaxIdentifier(f) }},
		{Token: TokenGovernmentIDFront, Type: Individual, Missing: func(f *Fields) bool { return !HasGovernmentIDFront(f.IdentifyingInformation) }},
		{Token: TokenProofOfAddress, Type: Individual, Missing: func(f *Fields) bool { return !hasDocument(f.IdentifyingInformation, DocProofOfAddress) }},
		{Token: TokenProofOfAddress, Type: Business, Missing: func(f *Fields) bool { return !hasDocument(f.IdentifyingInformation, DocProofOfAddress) }},
		{Token: TokenBusinessFormation, Type: Business, Missing: func(f *Fields) bool { return !hasDocument(f.IdentifyingInformation, DocBusinessFormation) }},
		{Token: TokenPersonsIDFront, Type: Business, Missing: func(f *Fields) bool { return !personsIdentified(f) }},
	},
}

// FieldSpec is one row of the user field table, read from the tags of Fields (or Person).
type FieldSpec struct {
	// Name is the field's API name.
	Name string
	// Types are the user types that carry the field (a person's fields: both).
	Types  []UserType
	Class  Class
	Sealed bool
	Masked bool
	// CreateOnly fields are set when the user is created and never change (a PUT with one is a 400).
	CreateOnly bool
	// Requirements say which requirement sets need the field, and when.
	Requirements map[RequirementSet]Requirement
	// Date is the kind of a date field ("birth" or "formation"), whose earliest value is bounded.
	Date string
	// Issued names the issuer whose numbering rules the field's value follows ("ssn").
	Issued string
	// Label, Input, Autocomplete and Hint are the hosted page's; no Label: not asked there.
	Label, Input, Autocomplete, Hint string
	// Enums name the spec schema whose enum lists the field's values, by user type: a field whose
	// values depend on the user's type (source_of_funds) has one per type.
	Enums map[UserType]string

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

// RequirementIn is when the requirement set needs the field.
func (s *FieldSpec) RequirementIn(set RequirementSet) Requirement { return s.Requirements[set] }

// EnumFor names the spec schema that lists the field's values for users of type t ("": free).
func (s *FieldSpec) EnumFor(t UserType) string { return s.Enums[t] }

// appliesTo reports whether the requirement set needs the field for a user of type t with f.
func (s *FieldSpec) appliesTo(set RequirementSet, t UserType, f *Fields) bool {
	switch r := s.Requirements[set]; {
	case !s.For(t) || r == Optional:
		return false
	case r == RequiredInUSA:
		return f.AddressCountry == "USA"
	}
	return true
}

// value is the field of v, a Fields or a Person.
func (s *FieldSpec) value(v reflect.Value) reflect.Value { return v.Field(s.index) }

// Value returns the field's value in f: a string, a []string, a map[string]string, a struct of
// text (AdditionalInfo) or a []Person.
func (s *FieldSpec) Value(f *Fields) any { return s.value(reflect.ValueOf(f).Elem()).Interface() }

// IsSet reports whether the field has a value in f.
func (s *FieldSpec) IsSet(f *Fields) bool { return !s.value(reflect.ValueOf(f).Elem()).IsZero() }

// Type is the Go type of the field's value.
func (s *FieldSpec) Type() reflect.Type { return s.typ }

var (
	tables       sync.Map // reflect.Type -> []*FieldSpec, every struct type of the table
	userFields   = describe(reflect.TypeFor[Fields](), []UserType{Individual, Business})
	personFields = describeOnce(reflect.TypeFor[Person](), []UserType{Individual, Business})
	userFieldsBy = byName(userFields)
)

// UserFields returns the user field table, in its order. The caller must not change it.
func UserFields() []*FieldSpec { return userFields }

// PersonFields returns the field table of an associated person. The caller must not change it.
func PersonFields() []*FieldSpec { return personFields }

// TableOf returns the field table of a struct type that user fields hold (Person,
// AdditionalInfo, Address), or nil for another type. The caller must not change it.
func TableOf(t reflect.Type) []*FieldSpec {
	if specs, ok := tables.Load(t); ok {
		return specs.([]*FieldSpec)
	}
	return nil
}

// UserField returns the user field named name (its API name), or nil.
func UserField(name string) *FieldSpec { return userFieldsBy[name] }

// describe reads the field table from the tags of struct type t, and the tables of the struct
// types its fields hold (directly, through a pointer or in a list).
func describe(t reflect.Type, all []UserType) []*FieldSpec {
	specs := make([]*FieldSpec, t.NumField())
	for i := range t.NumField() {
		sf := t.Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		s := &FieldSpec{
			Name: name, Types: all, Class: Identity, index: i, typ: sf.Type,
			Label: sf.Tag.Get("label"), Input: sf.Tag.Get("input"),
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
				case "create_only":
					s.CreateOnly = true
				default:
					panic(fmt.Sprintf("kyc: field %s: unknown attribute %q", name, attr))
				}
			}
		}
		s.Requirements = parseRequire(name, sf.Tag.Get("require"))
		s.Enums = parseEnum(name, sf.Tag.Get("enum"), s.Types)
		if (s.Sealed || s.Masked) && sf.Type.Kind() != reflect.String {
			panic(fmt.Sprintf("kyc: field %s: only text can be sealed or masked", name))
		}
		if inner := structOf(sf.Type); inner != nil {
			describeOnce(inner, all)
		}
		specs[i] = s
	}
	tables.Store(t, specs)
	return specs
}

// describeOnce is the table of struct type t, described the first time only.
func describeOnce(t reflect.Type, all []UserType) []*FieldSpec {
	if specs := TableOf(t); specs != nil {
		return specs
	}
	return describe(t, all)
}

// structOf is the struct type that a field of type t holds (itself, through a pointer or in a
// list), or nil.
func structOf(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	if t.Kind() == reflect.Struct {
		return t
	}
	return nil
}

// parseRequire reads a require tag: the requirement sets that need the field, comma separated,
// each alone (required) or as SET:usa (required when address_country is USA).
func parseRequire(name, tag string) map[RequirementSet]Requirement {
	if tag == "" {
		return nil
	}
	out := map[RequirementSet]Requirement{}
	for _, item := range strings.Split(tag, ",") {
		set, when, conditional := strings.Cut(item, ":")
		switch {
		case !slices.Contains(append(VerificationRules, LinkRequirements), RequirementSet(set)):
			panic(fmt.Sprintf("kyc: field %s: unknown requirement set %q", name, set))
		case conditional && when != "usa":
			panic(fmt.Sprintf("kyc: field %s: unknown condition %q", name, when))
		case conditional:
			out[RequirementSet(set)] = RequiredInUSA
		default:
			out[RequirementSet(set)] = Required
		}
	}
	return out
}

// parseEnum reads an enum tag: one spec schema for every type that carries the field, or
// TYPE:SCHEMA pairs, comma separated, one per type.
func parseEnum(name, tag string, types []UserType) map[UserType]string {
	if tag == "" {
		return nil
	}
	out := map[UserType]string{}
	for _, item := range strings.Split(tag, ",") {
		t, schema, perType := strings.Cut(item, ":")
		if !perType {
			for _, t := range types {
				out[t] = item
			}
			continue
		}
		if !slices.Contains(types, UserType(t)) {
			panic(fmt.Sprintf("kyc: field %s: enum for %q, a type that does not carry it", name, t))
		}
		out[UserType(t)] = schema
	}
	return out
}

func byName(specs []*FieldSpec) map[string]*FieldSpec {
	m := make(map[string]*FieldSpec, len(specs))
	for _, s := range specs {
		m[s.Name] = s
	}
	return m
}

// MissingFields lists what the requirement set still needs of a user of type t: the fields, in
// table order, then the set's other requirements (extraRules). An empty list means the user is
// complete.
func MissingFields(set RequirementSet, t UserType, f *Fields) []string {
	missing := []string{}
	for _, s := range userFields {
		if s.appliesTo(set, t, f) && !s.IsSet(f) {
			missing = append(missing, s.Name)
		}
	}
	for _, r := range extraRules[set] {
		if r.Type == t && r.Missing(f) {
			missing = append(missing, r.Token)
		}
	}
	return missing
}

// ConditionalFields names the user fields that the requirement set needs of a user of type t in
// some cases only (its extraRules' tokens that name a field, such as current_employer): a form
// that asks for their conditions (employment_status) offers them too.
func ConditionalFields(set RequirementSet, t UserType) []string {
	var out []string
	for _, r := range extraRules[set] {
		if r.Type == t && userFieldsBy[r.Token] != nil {
			out = append(out, r.Token)
		}
	}
	return out
}

// CheckedFields names the identity fields a verification checks for a user of type t: the present
// ones that a set of verification rules requires.
func CheckedFields(t UserType, f *Fields) []string {
	var checked []string
	for _, s := range userFields {
		if s.Class != Identity || !s.IsSet(f) {
			continue
		}
		for _, set := range VerificationRules {
			if s.appliesTo(set, t, f) {
				checked = append(checked, s.Name)
				break
			}
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

// MsgCreateOnly is the error of a create-only field sent in an update.
const MsgCreateOnly = "can only be set when the user is created"

// checkTypes refuses a patch that sends a field users of type t do not carry, even empty, or a
// create-only field: what a request may send does not depend on what else it sends.
func (p Patch) checkTypes(t UserType) error {
	var fields []FieldError
	for _, s := range userFields {
		switch _, ok := p.values[s]; {
		case ok && s.CreateOnly:
			fields = append(fields, FieldError{Field: s.Name, Message: MsgCreateOnly})
		case ok && !s.For(t):
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
