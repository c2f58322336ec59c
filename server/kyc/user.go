package kyc

import (
	"time"

	"github.com/kiraapi/kira/openapi/timestamp"
)

// UserType is individual (KYC) or business (KYB).
type UserType string

// The user types.
const (
	Individual UserType = "individual"
	Business   UserType = "business"
)

// Status is where a user is in verification.
type Status string

// The statuses.
const (
	StatusCreated   Status = "CREATED"
	StatusVerifying Status = "VERIFYING"
	StatusReview    Status = "REVIEW"
	StatusVerified  Status = "VERIFIED"
	StatusRejected  Status = "REJECTED"
)

// User is an individual or business whose identity is verified.
type User struct {
	ID       string
	TenantID string
	Type     UserType
	Status   Status
	Fields   Fields
	// Attempts counts the verification attempts started so far.
	Attempts int
	// Reasons explain the last rejection.
	Reasons   []Reason
	CreatedAt time.Time
	UpdatedAt time.Time
	// RedactedAt is when the user's personal data was erased (zero: never). A redacted user is a
	// tombstone: no fields, no reasons, and it never changes again (see Service.RedactUser).
	RedactedAt time.Time
}

// Redacted reports whether the user's personal data was erased.
func (u *User) Redacted() bool { return !u.RedactedAt.IsZero() }

// Reason explains a rejection: Reason for the end user, DeveloperReason for the integrator.
type Reason struct {
	Reason          string         `json:"reason"`
	DeveloperReason string         `json:"developer_reason,omitempty"`
	CreatedAt       timestamp.Time `json:"created_at"`
}

// Fields are the data a client sends about a user. Every field is personal data (or, for a
// business, data about the people behind it), and erasing a user erases them all. This struct is
// the one table of user fields:
// the requirement rules, sealing at rest, the HTTP conversion and the hosted page all derive from
// it (see FieldSpec). Each field's JSON name is its API name, and its `field` tag lists, comma
// separated:
//
//   - individual or business: the one user type that carries it (neither: both);
//   - contact: contact data, metadata or an integrator's own setting, never verified, so changing
//     it never starts a verification (otherwise it is verified identity data);
//   - sealed: a secret identifier or birth date, kept apart (Split) and never shown back in the
//     clear, not even prefilled on the hosted page (storage encrypts every field at rest, sealed
//     or not); masked: also returned as its last four characters only, under NAME_last4;
//   - create_only: set by the create only; an update that sends it is refused.
//
// A `require` tag lists the requirement sets (RequirementSet) that need the field, comma
// separated, each alone or as SET:usa (needed when address_country is USA). A `date` tag bounds a
// date field's earliest value by its kind (birth or formation); an `issued` tag says which
// issuer's rules a number must follow (ssn: the Social Security Administration's). An `enum` tag
// names the spec schema that lists the field's values, or, when they depend on the user's type,
// TYPE:SCHEMA pairs.
//
// The hosted page asks for a field that has a `label`, with the `input` kind (text, email, tel,
// date, select, or multiselect for a list of values), the options of its enum, and the
// `autocomplete` and `hint` it shows. Fields appear in the order below everywhere: in
// missing_fields, in errors and on the page. A struct field (AdditionalInfo) or a list of structs
// (Person) has a table of its own, read from its tags the same way.
type Fields struct {
	Email      string            `json:"email,omitempty" field:"contact" require:"seed,kira,link" label:"Email" input:"email" autocomplete:"email"`
	Phone      string            `json:"phone,omitempty" field:"contact" require:"kira" label:"Phone" input:"tel" autocomplete:"tel" hint:"International format, for example +14155550123."`
	Metadata   map[string]string `json:"metadata,omitempty" field:"contact"`
	ExternalID string            `json:"external_id,omitempty" field:"contact,create_only"`
	// VerificationMode is how the user is verified: automatic (the default, "") or through the
	// hosted link the create returns (verification_link).
	VerificationMode string `json:"verification_mode,omitempty" field:"contact,create_only" enum:"VerificationMode"`

	FirstName         string `json:"first_name,omitempty" field:"individual" require:"seed,kira,link" label:"First name" input:"text" autocomplete:"given-name"`
	MiddleName        string `json:"middle_name,omitempty" field:"individual"`
	LastName          string `json:"last_name,omitempty" field:"individual" require:"seed,kira,link" label:"Last name" input:"text" autocomplete:"family-name"`
	BirthDate         string `json:"birth_date,omitempty" field:"individual,sealed" require:"seed,kira" date:"birth" label:"Date of birth" input:"date" autocomplete:"bday"`
	Nationality       string `json:"nationality,omitempty" field:"individual" require:"kira" label:"Nationality" input:"select" enum:"CountryCode"`
	Gender            string `json:"gender,omitempty" field:"individual" require:"kira" label:"Gender" input:"select" enum:"Gender" autocomplete:"sex"`
	DocumentType      string `json:"document_type,omitempty" field:"individual" require:"seed,kira" label:"ID document" input:"select" enum:"DocumentType"`
	DocumentNumber    string `json:"document_number,omitempty" field:"individual,sealed,masked" require:"seed,kira" label:"Document number" input:"text" autocomplete:"off"`
	DocumentCountry   string `json:"document_country,omitempty" field:"individual" require:"seed,kira" label:"Issuing country" input:"select" enum:"CountryCode"`
	ImmigrationStatus string `json:"immigration_status,omitempty" field:"individual" enum:"ImmigrationStatus"`
	EmploymentStatus  string `json:"employment_status,omitempty" field:"individual" require:"kira" label:"Employment status" input:"select" enum:"EmploymentStatus"`
	// CurrentEmployer is the employer of an employed individual; Kira's rules ask for it then only
	// (extraRules), and it is kept as sent whatever the employment status.
	CurrentEmployer string `json:"current_employer,omitempty" field:"individual" label:"Current employer" input:"text" autocomplete:"organization"`
	Occupation      string `json:"occupation,omitempty" field:"individual" require:"kira" label:"Occupation" input:"text" autocomplete:"organization-title"`

	BusinessLegalName       string   `json:"business_legal_name,omitempty" field:"business" require:"seed,kira,link" label:"Legal name of the business" input:"text" autocomplete:"organization"`
	DoingBusinessAs         string   `json:"doing_business_as,omitempty" field:"business" require:"kira" label:"Trade name (doing business as)" input:"text"`
	BusinessType            string   `json:"business_type,omitempty" field:"business" require:"seed,kira" label:"Type of business" input:"select" enum:"BusinessType"`
	BusinessIndustry        []string `json:"business_industry,omitempty" field:"business" require:"kira" label:"Industry" input:"multiselect" enum:"BusinessIndustry"`
	BusinessWebsite         string   `json:"business_website,omitempty" field:"business" require:"kira" label:"Website" input:"url" autocomplete:"url"`
	BusinessDescription     string   `json:"business_description,omitempty" field:"business" require:"kira" label:"What the business does" input:"text"`
	FormationDate           string   `json:"formation_date,omitempty" field:"business" require:"seed,kira" date:"formation" label:"Date of formation" input:"date"`
	FormationState          string   `json:"formation_state,omitempty" field:"business" require:"kira" label:"State or province of formation" input:"text"`
	FormationCountry        string   `json:"formation_country,omitempty" field:"business" enum:"CountryCode"`
	InternationalEntityType string   `json:"international_entity_type,omitempty" field:"business"`

	AddressStreet  string `json:"address_street,omitempty" require:"seed,kira" label:"Street address" input:"text" autocomplete:"street-address"`
	AddressCity    string `json:"address_city,omitempty" require:"seed,kira" label:"City" input:"text" autocomplete:"address-level2"`
	AddressState   string `json:"address_state,omitempty" require:"seed,kira" label:"State, province or region" input:"text" autocomplete:"address-level1" hint:"Where addresses use one, its code: CA for California, QC for Quebec."`
	AddressZipCode string `json:"address_zip_code,omitempty" require:"seed,kira" label:"ZIP or postal code" input:"text" autocomplete:"postal-code"`
	AddressCountry string `json:"address_country,omitempty" require:"seed,kira" label:"Country" input:"select" enum:"CountryCode" autocomplete:"country"`

	SSN string `json:"ssn,omitempty" field:"individual,sealed,masked" require:"seed:usa,kira:usa" issued:"ssn" label:"Social Security Number" input:"text" autocomplete:"off" hint:"Required for US addresses. Nine digits, for example 123-45-6789."`

	SourceOfFunds  string         `json:"source_of_funds,omitempty" require:"kira" label:"Source of funds" input:"select" enum:"individual:IndividualSourceOfFunds,business:BusinessSourceOfFunds"`
	AccountPurpose string         `json:"account_purpose,omitempty" require:"kira" label:"Purpose of the account" input:"select" enum:"individual:IndividualAccountPurpose,business:BusinessAccountPurpose"`
	PEPStatus      string         `json:"pep_status,omitempty" require:"kira" label:"Politically exposed person" input:"select" enum:"PEPStatus"`
	AdditionalInfo AdditionalInfo `json:"additional_info,omitzero"`

	RepresentativeFirstName string   `json:"representative_first_name,omitempty" field:"business" require:"seed,kira" label:"Representative's first name" input:"text"`
	RepresentativeLastName  string   `json:"representative_last_name,omitempty" field:"business" require:"seed,kira" label:"Representative's last name" input:"text"`
	RepresentativeTitle     string   `json:"representative_title,omitempty" field:"business" require:"kira" label:"Representative's title" input:"text" autocomplete:"organization-title"`
	RepresentativeBirthDate string   `json:"representative_birth_date,omitempty" field:"business,sealed" require:"seed,kira" date:"birth" label:"Representative's date of birth" input:"date"`
	RepresentativeSSN       string   `json:"representative_ssn,omitempty" field:"business,sealed,masked" require:"kira:usa" issued:"ssn" label:"Representative's Social Security Number" input:"text" autocomplete:"off" hint:"Required for US businesses. Nine digits, for example 123-45-6789."`
	EIN                     string   `json:"ein,omitempty" field:"business,sealed,masked" require:"seed:usa,kira:usa" label:"Employer Identification Number (EIN)" input:"text" autocomplete:"off" hint:"Required for US businesses. Nine digits, for example 12-3456789."`
	AssociatedPersons       []Person `json:"associated_persons,omitempty" field:"business"`

	// IdentifyingInformation are the user's identifiers and identity documents (documents.go).
	IdentifyingInformation []IdentifyingInformation `json:"identifying_information,omitempty"`
}

// AdditionalInfo are Kira's yes-or-no questions about a user's banking history ("yes" or "no";
// Kira reads an omitted answer as "no").
type AdditionalInfo struct {
	HasUSBankAccount     string `json:"has_us_bank_account,omitempty" enum:"YesNo"`
	HasDeniedBankAccount string `json:"has_denied_bank_account,omitempty" enum:"YesNo"`
}

// Person is a business's beneficial owner or signer. Its tags mean what they mean on Fields.
type Person struct {
	FirstName              string                   `json:"first_name"`
	LastName               string                   `json:"last_name"`
	Email                  string                   `json:"email"`
	BirthDate              string                   `json:"birth_date,omitempty" field:"sealed" date:"birth"`
	SSN                    string                   `json:"ssn,omitempty" field:"sealed,masked" issued:"ssn"`
	Title                  string                   `json:"title,omitempty"`
	OwnershipPercentage    *float64                 `json:"ownership_percentage,omitempty"`
	IsSigner               *bool                    `json:"is_signer,omitempty"`
	HasOwnership           *bool                    `json:"has_ownership,omitempty"`
	Nationality            string                   `json:"nationality,omitempty" enum:"CountryCode"`
	Gender                 string                   `json:"gender,omitempty" enum:"Gender"`
	Occupation             string                   `json:"occupation,omitempty"`
	PhoneNumber            string                   `json:"phone_number,omitempty"`
	DocumentNumber         string                   `json:"document_number,omitempty" field:"sealed,masked"`
	DocumentCountry        string                   `json:"document_country,omitempty" enum:"CountryCode"`
	ResidentialAddress     Address                  `json:"residential_address,omitzero"`
	IdentifyingInformation []IdentifyingInformation `json:"identifying_information,omitempty"`
}

// Address is a postal address in Kira's nested form (a person's residential_address).
type Address struct {
	StreetLine1 string `json:"street_line_1,omitempty"`
	StreetLine2 string `json:"street_line_2,omitempty"`
	City        string `json:"city,omitempty"`
	Subdivision string `json:"subdivision,omitempty"`
	PostalCode  string `json:"postal_code,omitempty"`
	Country     string `json:"country,omitempty" enum:"CountryCode"`
}

// Last4 returns the last four ASCII letters or digits of a secret identifier, "" when it has
// fewer.
func Last4(s string) string {
	var last [4]byte
	n := 0
	for i := len(s) - 1; i >= 0 && n < 4; i-- {
		if c := s[i]; isAlphanumeric(rune(c)) {
			n++
			last[4-n] = c
		}
	}
	if n < 4 {
		return ""
	}
	return string(last[:])
}

// isAlphanumeric reports whether r is an ASCII letter or digit.
func isAlphanumeric(r rune) bool {
	return r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z'
}

// Digits returns s with everything but its digits removed ("123-45-6789" -> "123456789").
func Digits(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			b = append(b, s[i])
		}
	}
	return string(b)
}
