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
//   - contact: contact data or metadata, never verified, so changing it never starts a
//     verification (otherwise it is verified identity data);
//   - sealed: a secret identifier or birth date, kept apart (Split) and never shown back in the
//     clear, not even prefilled on the hosted page (storage encrypts every field at rest, sealed
//     or not); masked: also returned as its last four characters only, under NAME_last4;
//   - required, or required_in_usa (when address_country is USA): automatic verification needs it.
//
// A `date` tag bounds a date field's earliest value by its kind (birth or formation); an `issued`
// tag says which issuer's rules a number must follow (ssn: the Social Security Administration's).
//
// The hosted page asks for a field that has a `label`, with the `input` kind (text, email, tel,
// date or select), the spec schema whose enum lists a select's options (`enum`), and the
// `autocomplete` and `hint` it shows. Fields appear in the order below everywhere: in
// missing_fields, in errors and on the page.
type Fields struct {
	Email    string            `json:"email,omitempty" field:"contact,required" label:"Email" input:"email" autocomplete:"email"`
	Phone    string            `json:"phone,omitempty" field:"contact" label:"Phone" input:"tel" autocomplete:"tel" hint:"International format, for example +14155550123."`
	Metadata map[string]string `json:"metadata,omitempty" field:"contact"`

	FirstName       string `json:"first_name,omitempty" field:"individual,required" label:"First name" input:"text" autocomplete:"given-name"`
	LastName        string `json:"last_name,omitempty" field:"individual,required" label:"Last name" input:"text" autocomplete:"family-name"`
	BirthDate       string `json:"birth_date,omitempty" field:"individual,sealed,required" date:"birth" label:"Date of birth" input:"date" autocomplete:"bday"`
	DocumentType    string `json:"document_type,omitempty" field:"individual,required" label:"ID document" input:"select" enum:"DocumentType"`
	DocumentNumber  string `json:"document_number,omitempty" field:"individual,sealed,masked,required" label:"Document number" input:"text" autocomplete:"off"`
	DocumentCountry string `json:"document_country,omitempty" field:"individual,required" label:"Issuing country" input:"select" enum:"CountryCode"`

	BusinessLegalName   string `json:"business_legal_name,omitempty" field:"business,required" label:"Legal name of the business" input:"text" autocomplete:"organization"`
	DoingBusinessAs     string `json:"doing_business_as,omitempty" field:"business"`
	BusinessType        string `json:"business_type,omitempty" field:"business,required" label:"Type of business" input:"select" enum:"BusinessType"`
	BusinessWebsite     string `json:"business_website,omitempty" field:"business"`
	BusinessDescription string `json:"business_description,omitempty" field:"business"`
	FormationDate       string `json:"formation_date,omitempty" field:"business,required" date:"formation" label:"Date of formation" input:"date"`

	AddressStreet  string `json:"address_street,omitempty" field:"required" label:"Street address" input:"text" autocomplete:"street-address"`
	AddressCity    string `json:"address_city,omitempty" field:"required" label:"City" input:"text" autocomplete:"address-level2"`
	AddressState   string `json:"address_state,omitempty" field:"required" label:"State, province or region" input:"text" autocomplete:"address-level1" hint:"Where addresses use one, its code: CA for California, QC for Quebec."`
	AddressZipCode string `json:"address_zip_code,omitempty" field:"required" label:"ZIP or postal code" input:"text" autocomplete:"postal-code"`
	AddressCountry string `json:"address_country,omitempty" field:"required" label:"Country" input:"select" enum:"CountryCode" autocomplete:"country"`

	SSN string `json:"ssn,omitempty" field:"individual,sealed,masked,required_in_usa" issued:"ssn" label:"Social Security Number" input:"text" autocomplete:"off" hint:"Required for US addresses. Nine digits, for example 123-45-6789."`

	RepresentativeFirstName string   `json:"representative_first_name,omitempty" field:"business,required" label:"Representative's first name" input:"text"`
	RepresentativeLastName  string   `json:"representative_last_name,omitempty" field:"business,required" label:"Representative's last name" input:"text"`
	RepresentativeTitle     string   `json:"representative_title,omitempty" field:"business"`
	RepresentativeBirthDate string   `json:"representative_birth_date,omitempty" field:"business,sealed,required" date:"birth" label:"Representative's date of birth" input:"date"`
	RepresentativeSSN       string   `json:"representative_ssn,omitempty" field:"business,sealed,masked" issued:"ssn"`
	EIN                     string   `json:"ein,omitempty" field:"business,sealed,masked,required_in_usa" label:"Employer Identification Number (EIN)" input:"text" autocomplete:"off" hint:"Required for US businesses. Nine digits, for example 12-3456789."`
	AssociatedPersons       []Person `json:"associated_persons,omitempty" field:"business"`

	// IdentifyingInformation are the user's identifiers and identity documents (documents.go).
	IdentifyingInformation []IdentifyingInformation `json:"identifying_information,omitempty"`
}

// Person is a business's beneficial owner or signer. Its tags mean what they mean on Fields.
type Person struct {
	FirstName           string   `json:"first_name"`
	LastName            string   `json:"last_name"`
	Email               string   `json:"email"`
	BirthDate           string   `json:"birth_date,omitempty" field:"sealed" date:"birth"`
	SSN                 string   `json:"ssn,omitempty" field:"sealed,masked" issued:"ssn"`
	Title               string   `json:"title,omitempty"`
	OwnershipPercentage *float64 `json:"ownership_percentage,omitempty"`
	IsSigner            *bool    `json:"is_signer,omitempty"`
	HasOwnership        *bool    `json:"has_ownership,omitempty"`

	IdentifyingInformation []IdentifyingInformation `json:"identifying_information,omitempty"`
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
