package kyc

import (
	"github.com/kiraapi/kira/openapi/timestamp"

	"regexp"
	"time"
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
}

// Reason explains a rejection: Reason for the end user, DeveloperReason for the integrator.
type Reason struct {
	Reason          string         `json:"reason"`
	DeveloperReason string         `json:"developer_reason,omitempty"`
	CreatedAt       timestamp.Time `json:"created_at"`
}

// Fields are the data a client sends about a user. The JSON names are the API's. Fields tagged
// `secret` are personal data: they are encrypted at rest and only their last four characters are
// ever returned.
type Fields struct {
	Email    string            `json:"email,omitempty"`
	Phone    string            `json:"phone,omitempty"`
	Metadata map[string]string `json:"metadata,omitempty"`

	FirstName       string `json:"first_name,omitempty"`
	LastName        string `json:"last_name,omitempty"`
	BirthDate       string `json:"birth_date,omitempty" secret:"true"`
	SSN             string `json:"ssn,omitempty" secret:"true"`
	DocumentType    string `json:"document_type,omitempty"`
	DocumentNumber  string `json:"document_number,omitempty" secret:"true"`
	DocumentCountry string `json:"document_country,omitempty"`

	AddressStreet  string `json:"address_street,omitempty"`
	AddressCity    string `json:"address_city,omitempty"`
	AddressState   string `json:"address_state,omitempty"`
	AddressZipCode string `json:"address_zip_code,omitempty"`
	AddressCountry string `json:"address_country,omitempty"`

	BusinessLegalName       string   `json:"business_legal_name,omitempty"`
	DoingBusinessAs         string   `json:"doing_business_as,omitempty"`
	BusinessType            string   `json:"business_type,omitempty"`
	BusinessWebsite         string   `json:"business_website,omitempty"`
	BusinessDescription     string   `json:"business_description,omitempty"`
	FormationDate           string   `json:"formation_date,omitempty"`
	EIN                     string   `json:"ein,omitempty" secret:"true"`
	RepresentativeFirstName string   `json:"representative_first_name,omitempty"`
	RepresentativeLastName  string   `json:"representative_last_name,omitempty"`
	RepresentativeTitle     string   `json:"representative_title,omitempty"`
	RepresentativeBirthDate string   `json:"representative_birth_date,omitempty" secret:"true"`
	RepresentativeSSN       string   `json:"representative_ssn,omitempty" secret:"true"`
	AssociatedPersons       []Person `json:"associated_persons,omitempty"`
}

// Person is a business's beneficial owner or signer.
type Person struct {
	FirstName           string   `json:"first_name"`
	LastName            string   `json:"last_name"`
	Email               string   `json:"email"`
	BirthDate           string   `json:"birth_date,omitempty" secret:"true"`
	SSN                 string   `json:"ssn,omitempty" secret:"true"`
	Title               string   `json:"title,omitempty"`
	OwnershipPercentage *float64 `json:"ownership_percentage,omitempty"`
	IsSigner            *bool    `json:"is_signer,omitempty"`
	HasOwnership        *bool    `json:"has_ownership,omitempty"`
}

// Secrets are the personal data among a user's fields, kept apart so that storage can encrypt
// them as one sealed value.
type Secrets struct {
	BirthDate               string          `json:"birth_date,omitempty"`
	SSN                     string          `json:"ssn,omitempty"`
	DocumentNumber          string          `json:"document_number,omitempty"`
	EIN                     string          `json:"ein,omitempty"`
	RepresentativeBirthDate string          `json:"representative_birth_date,omitempty"`
	RepresentativeSSN       string          `json:"representative_ssn,omitempty"`
	Persons                 []PersonSecrets `json:"persons,omitempty"`
}

// PersonSecrets are an associated person's personal data.
type PersonSecrets struct {
	BirthDate string `json:"birth_date,omitempty"`
	SSN       string `json:"ssn,omitempty"`
}

// Split separates the personal data from the rest: public holds every field but the secrets.
func (f Fields) Split() (public Fields, secrets Secrets) {
	public = f
	secrets = Secrets{
		BirthDate: f.BirthDate, SSN: f.SSN, DocumentNumber: f.DocumentNumber, EIN: f.EIN,
		RepresentativeBirthDate: f.RepresentativeBirthDate, RepresentativeSSN: f.RepresentativeSSN,
	}
	public.BirthDate, public.SSN, public.DocumentNumber, public.EIN = "", "", "", ""
	public.RepresentativeBirthDate, public.RepresentativeSSN = "", ""
	if len(f.AssociatedPersons) > 0 {
		public.AssociatedPersons = make([]Person, len(f.AssociatedPersons))
		secrets.Persons = make([]PersonSecrets, len(f.AssociatedPersons))
		for i, p := range f.AssociatedPersons {
			secrets.Persons[i] = PersonSecrets{BirthDate: p.BirthDate, SSN: p.SSN}
			p.BirthDate, p.SSN = "", ""
			public.AssociatedPersons[i] = p
		}
	}
	return public, secrets
}

// Join is the inverse of Split.
func Join(public Fields, secrets Secrets) Fields {
	f := public
	f.BirthDate, f.SSN, f.DocumentNumber, f.EIN = secrets.BirthDate, secrets.SSN, secrets.DocumentNumber, secrets.EIN
	f.RepresentativeBirthDate, f.RepresentativeSSN = secrets.RepresentativeBirthDate, secrets.RepresentativeSSN
	if len(public.AssociatedPersons) > 0 {
		f.AssociatedPersons = make([]Person, len(public.AssociatedPersons))
		copy(f.AssociatedPersons, public.AssociatedPersons)
		for i := range f.AssociatedPersons {
			if i < len(secrets.Persons) {
				f.AssociatedPersons[i].BirthDate = secrets.Persons[i].BirthDate
				f.AssociatedPersons[i].SSN = secrets.Persons[i].SSN
			}
		}
	}
	return f
}

var nonAlnum = regexp.MustCompile(`[^A-Za-z0-9]`)

// Last4 returns the last four letters or digits of a secret identifier, "" when it has fewer.
func Last4(s string) string {
	s = nonAlnum.ReplaceAllString(s, "")
	if len(s) < 4 {
		return ""
	}
	return s[len(s)-4:]
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
