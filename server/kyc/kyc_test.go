package kyc_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kiraapi/kira/server/kyc"
)

// seedIndividual is the seed's automatic-verification example.
func seedIndividual() kyc.Fields {
	return kyc.Fields{
		Email: "john.doe@example.com", FirstName: "John", LastName: "Doe", BirthDate: "1990-01-15",
		SSN: "123-45-6789", DocumentType: "passport", DocumentNumber: "AB1234567", DocumentCountry: "USA",
		AddressStreet: "123 Main St", AddressCity: "San Francisco", AddressState: "CA", AddressZipCode: "94105", AddressCountry: "USA",
	}
}

// seedFor is the seed's complete user of type t.
func seedFor(t kyc.UserType) kyc.Fields {
	if t == kyc.Business {
		return seedBusiness()
	}
	return seedIndividual()
}

func seedBusiness() kyc.Fields {
	return kyc.Fields{
		Email: "finance@acme.example", BusinessLegalName: "Acme Widgets LLC", BusinessType: "limited_liability_company",
		FormationDate: "2015-06-01", EIN: "12-3456789",
		AddressStreet: "500 Market St", AddressCity: "San Francisco", AddressState: "CA", AddressZipCode: "94105", AddressCountry: "USA",
		RepresentativeFirstName: "Jane", RepresentativeLastName: "Roe", RepresentativeBirthDate: "1980-03-02",
	}
}

func TestMissingFields(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		typ    kyc.UserType
		fields func() kyc.Fields
		want   []string
	}{
		{"complete individual", kyc.Individual, seedIndividual, []string{}},
		{"complete business", kyc.Business, seedBusiness, []string{}},
		{"minimal individual", kyc.Individual, func() kyc.Fields {
			return kyc.Fields{Email: "j@example.com", Phone: "+1234567890", FirstName: "John", LastName: "Doe"}
		}, []string{"birth_date", "document_type", "document_number", "document_country", "address_street", "address_city", "address_state", "address_zip_code", "address_country"}},
		{"US individual without SSN", kyc.Individual, func() kyc.Fields { f := seedIndividual(); f.SSN = ""; return f }, []string{"ssn"}},
		{"non-US individual needs no SSN", kyc.Individual, func() kyc.Fields {
			f := seedIndividual()
			f.SSN, f.AddressCountry = "", "MEX"
			return f
		}, []string{}},
		{"US business without EIN", kyc.Business, func() kyc.Fields { f := seedBusiness(); f.EIN = ""; return f }, []string{"ein"}},
		{"non-US business needs no EIN", kyc.Business, func() kyc.Fields {
			f := seedBusiness()
			f.EIN, f.AddressCountry = "", "DEU"
			return f
		}, []string{}},
		{"business missing its representative", kyc.Business, func() kyc.Fields {
			f := seedBusiness()
			f.RepresentativeBirthDate, f.RepresentativeLastName = "", ""
			return f
		}, []string{"representative_last_name", "representative_birth_date"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := tt.fields()
			if got := kyc.MissingFields(kyc.SeedRequirements, tt.typ, &f); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("MissingFields = %v, want %v", got, tt.want)
			}
		})
	}
}

// kiraIndividual is the individual of Kira's create-a-user example, with its identity documents: a
// Mexican tax identifier, a passport with its front and a proof of address.
func kiraIndividual() kyc.Fields {
	return kyc.Fields{
		Email: "maria@example.com", Phone: "+525512345678", FirstName: "Maria", LastName: "Gonzalez", BirthDate: "1990-05-15",
		Nationality: "MEX", AddressStreet: "Av. Reforma 123", AddressCity: "Ciudad de Mexico", AddressState: "CDMX",
		AddressZipCode: "06600", AddressCountry: "MEX", DocumentType: "passport", DocumentNumber: "G12345678", DocumentCountry: "MEX",
		EmploymentStatus: "employed", CurrentEmployer: "Self", Occupation: "Software Engineer",
		AccountPurpose: "receive_payments", SourceOfFunds: "salary",
		IdentifyingInformation: []kyc.IdentifyingInformation{
			{Type: "tax_id", IssuingCountry: "MEX", Number: "GOGM900515AB1"},
			{Type: "passport", IssuingCountry: "MEX", Number: "G12345678", Documents: []kyc.Document{{Type: kyc.DocFront}}},
			{Type: "tax_id", Documents: []kyc.Document{{Type: kyc.DocProofOfAddress}}},
		},
	}
}

// TestMissingFieldsByRules: Kira's rules ask for more than the seed's, the employer of an employed
// individual only, a US business's representative's SSN and identity documents (the seed's SSN
// meets the tax identifier's rule); the seed's rules are unchanged.
func TestMissingFieldsByRules(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		rules  kyc.RequirementSet
		typ    kyc.UserType
		fields func() kyc.Fields
		want   []string
	}{
		{"Kira's example, seed rules", kyc.SeedRequirements, kyc.Individual, kiraIndividual, []string{}},
		{"Kira's example, Kira's rules", kyc.KiraRequirements, kyc.Individual, kiraIndividual, []string{"gender", "pep_status"}},
		{"employed without an employer", kyc.KiraRequirements, kyc.Individual, func() kyc.Fields {
			f := kiraIndividual()
			f.Gender, f.PEPStatus, f.CurrentEmployer = "female", "false", ""
			return f
		}, []string{"current_employer"}},
		{"retired without an employer", kyc.KiraRequirements, kyc.Individual, func() kyc.Fields {
			f := kiraIndividual()
			f.Gender, f.PEPStatus, f.CurrentEmployer, f.EmploymentStatus = "female", "false", "", "retired"
			return f
		}, []string{}},
		{"the seed's individual, Kira's rules", kyc.KiraRequirements, kyc.Individual, seedIndividual, []string{
			"phone", "nationality", "gender", "employment_status", "occupation", "source_of_funds", "account_purpose", "pep_status",
			kyc.TokenGovernmentIDFront, kyc.TokenProofOfAddress}},
		{"the seed's business, Kira's rules", kyc.KiraRequirements, kyc.Business, seedBusiness, []string{
			"phone", "doing_business_as", "business_industry", "business_website", "business_description", "formation_state",
			"source_of_funds", "account_purpose", "pep_status", "representative_title", "representative_ssn",
			kyc.TokenProofOfAddress, kyc.TokenBusinessFormation, kyc.TokenPersonsIDFront}},
		{"the link mode's minimum", kyc.LinkRequirements, kyc.Business, func() kyc.Fields { return kyc.Fields{} }, []string{"email", "business_legal_name"}},
	}
	for _, tt := range tests {
		f := tt.fields()
		if got := kyc.MissingFields(tt.rules, tt.typ, &f); !slices.Equal(got, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
	if _, err := kyc.ParseVerificationRules("link"); err == nil {
		t.Error("the link mode's minimum decides verification")
	}
}

func TestValidateRefusesTheOtherTypesFields(t *testing.T) {
	t.Parallel()
	ind := seedIndividual()
	ind.EIN = "12-3456789"
	ind.BusinessLegalName = "Acme"
	err := ind.Validate(kyc.Individual, today)
	var fields []string
	if e, ok := err.(*kyc.Error); ok {
		for _, f := range e.Fields {
			fields = append(fields, f.Field)
			if strings.Contains(f.Message, "12-3456789") {
				t.Errorf("message repeats the value: %q", f.Message)
			}
		}
	}
	if kyc.ErrorCode(err) != kyc.EInvalid || !slices.Equal(fields, []string{"business_legal_name", "ein"}) {
		t.Errorf("Validate = %v (fields %v)", err, fields)
	}
	biz := seedBusiness()
	biz.SSN = "123-45-6789"
	if kyc.ErrorCode(biz.Validate(kyc.Business, today)) != kyc.EInvalid {
		t.Error("a business with an SSN passed")
	}
	ok := seedBusiness()
	if err := ok.Validate(kyc.Business, today); err != nil {
		t.Errorf("a valid business failed: %v", err)
	}
}

var today = time.Date(2026, 11, 25, 20, 0, 0, 0, time.UTC)

// TestValidateRefusesImpossibleDates: every date of the contract is of a past event.
func TestValidateRefusesImpossibleDates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		change    func(*kyc.Fields)
		typ       kyc.UserType
		wantField string
	}{
		{"birth date in the future", func(f *kyc.Fields) { f.BirthDate = "2099-12-31" }, kyc.Individual, "birth_date"},
		{"birth date tomorrow", func(f *kyc.Fields) { f.BirthDate = "2026-11-26" }, kyc.Individual, "birth_date"},
		{"birth date today", func(f *kyc.Fields) { f.BirthDate = "2026-11-25" }, kyc.Individual, ""},
		{"birth date in year zero", func(f *kyc.Fields) { f.BirthDate = "0000-01-01" }, kyc.Individual, "birth_date"},
		{"birth date before 1900", func(f *kyc.Fields) { f.BirthDate = "1899-12-31" }, kyc.Individual, "birth_date"},
		{"birth date on 1900-01-01", func(f *kyc.Fields) { f.BirthDate = "1900-01-01" }, kyc.Individual, ""},
		{"no such day", func(f *kyc.Fields) { f.BirthDate = "1990-02-30" }, kyc.Individual, "birth_date"},
		{"formation in the future", func(f *kyc.Fields) { f.FormationDate = "2030-01-01" }, kyc.Business, "formation_date"},
		{"formation in 1850", func(f *kyc.Fields) { f.FormationDate = "1850-06-01" }, kyc.Business, ""},
		{"formation before 1800", func(f *kyc.Fields) { f.FormationDate = "1799-12-31" }, kyc.Business, "formation_date"},
		{"representative born in the future", func(f *kyc.Fields) { f.RepresentativeBirthDate = "2027-01-01" }, kyc.Business, "representative_birth_date"},
		{"associated person born before 1900", func(f *kyc.Fields) {
			f.AssociatedPersons = []kyc.Person{{FirstName: "A", LastName: "B", Email: "a@example.com", BirthDate: "1066-10-14"}}
		}, kyc.Business, "associated_persons/0/birth_date"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := seedFor(tt.typ)
			tt.change(&f)
			err := f.Validate(tt.typ, today)
			if tt.wantField == "" {
				if err != nil {
					t.Fatalf("Validate = %v", err)
				}
				return
			}
			e, ok := err.(*kyc.Error)
			if !ok || e.Code != kyc.EInvalid || len(e.Fields) != 1 || e.Fields[0].Field != tt.wantField {
				t.Fatalf("Validate = %+v, want an error on %s", err, tt.wantField)
			}
		})
	}
}

func TestTransitions(t *testing.T) {
	t.Parallel()
	all := []kyc.Status{kyc.StatusCreated, kyc.StatusVerifying, kyc.StatusReview, kyc.StatusVerified, kyc.StatusRejected}
	allowed := map[[2]kyc.Status]bool{
		{kyc.StatusCreated, kyc.StatusVerifying}:  true,
		{kyc.StatusVerifying, kyc.StatusVerified}: true,
		{kyc.StatusVerifying, kyc.StatusRejected}: true,
		{kyc.StatusVerifying, kyc.StatusReview}:   true,
		{kyc.StatusVerifying, kyc.StatusCreated}:  true,
		{kyc.StatusReview, kyc.StatusVerified}:    true,
		{kyc.StatusReview, kyc.StatusRejected}:    true,
		{kyc.StatusRejected, kyc.StatusVerifying}: true,
		{kyc.StatusVerified, kyc.StatusVerifying}: true,
	}
	for _, from := range all {
		for _, to := range all {
			if got := kyc.CanTransition(from, to); got != allowed[[2]kyc.Status{from, to}] {
				t.Errorf("CanTransition(%s, %s) = %v", from, to, got)
			}
		}
	}
}

func TestSplitJoin(t *testing.T) {
	t.Parallel()
	f := seedBusiness()
	f.RepresentativeSSN = "987-65-4321"
	pct := 60.0
	f.AssociatedPersons = []kyc.Person{{FirstName: "A", LastName: "B", Email: "a@example.com", SSN: "111-22-3333", BirthDate: "1970-01-01", OwnershipPercentage: &pct}}
	public, secrets := f.Split()
	raw, _ := json.Marshal(public)
	for _, v := range []string{"12-3456789", "987-65-4321", "111-22-3333", "1970-01-01", "1980-03-02"} {
		if strings.Contains(string(raw), v) {
			t.Errorf("public part holds %q", v)
		}
	}
	if f.AssociatedPersons[0].SSN == "" {
		t.Error("Split changed its receiver")
	}
	if got := kyc.Join(public, secrets); !reflect.DeepEqual(got, f) {
		t.Errorf("Join(Split(f)) = %+v, want %+v", got, f)
	}
}

func TestLast4AndDigits(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"123-45-6789": "6789", "AB1234567": "4567", "12-3456789": "6789", "12": "", "": "", "X-ab-1-2": "ab12", "é1234": "1234"} {
		if got := kyc.Last4(in); got != want {
			t.Errorf("Last4(%q) = %q, want %q", in, got, want)
		}
	}
	if got := kyc.Digits("111-11-1111"); got != "111111111" {
		t.Errorf("Digits = %q", got)
	}
}

func TestNewEventPayload(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 25, 20, 1, 34, 249e6, time.UTC)
	e, err := kyc.NewEvent("ev-1", "t-1", kyc.EventStatusChanged, "u-1", at, map[string]any{"user_id": "u-1", "previous_status": kyc.StatusCreated, "new_status": kyc.StatusVerifying})
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Event string         `json:"event"`
		Data  map[string]any `json:"data"`
	}
	if err := json.Unmarshal(e.Payload, &got); err != nil {
		t.Fatal(err)
	}
	if got.Event != "user.status_changed" || got.Data["event_id"] != "ev-1" || got.Data["new_status"] != "VERIFYING" {
		t.Errorf("payload = %s", e.Payload)
	}
}

// TestValidateRefusesValuesThatCannotBeTrue: numbers their issuer never issues, the same person
// twice, and owners of more than the whole business.
func TestValidateRefusesValuesThatCannotBeTrue(t *testing.T) {
	t.Parallel()
	pct := func(v float64) *float64 { return &v }
	tests := []struct {
		name   string
		typ    kyc.UserType
		change func(*kyc.Fields)
		want   []string // fields named, nil for valid
	}{
		{"a valid SSN", kyc.Individual, func(f *kyc.Fields) { f.SSN = "532-71-9046" }, nil},
		{"SSN area 000", kyc.Individual, func(f *kyc.Fields) { f.SSN = "000-12-3456" }, []string{"ssn"}},
		{"SSN area 666", kyc.Individual, func(f *kyc.Fields) { f.SSN = "666123456" }, []string{"ssn"}},
		{"SSN area 9xx", kyc.Individual, func(f *kyc.Fields) { f.SSN = "912-34-5678" }, []string{"ssn"}},
		{"SSN group 00", kyc.Individual, func(f *kyc.Fields) { f.SSN = "123-00-4567" }, []string{"ssn"}},
		{"SSN serial 0000", kyc.Individual, func(f *kyc.Fields) { f.SSN = "123-45-0000" }, []string{"ssn"}},
		{"representative SSN", kyc.Business, func(f *kyc.Fields) { f.RepresentativeSSN = "000-00-0000" }, []string{"representative_ssn"}},
		{"persons owning 100%", kyc.Business, func(f *kyc.Fields) {
			f.AssociatedPersons = []kyc.Person{{Email: "a@x.example", OwnershipPercentage: pct(60)}, {Email: "b@x.example", OwnershipPercentage: pct(40)}}
		}, nil},
		{"persons owning 120%", kyc.Business, func(f *kyc.Fields) {
			f.AssociatedPersons = []kyc.Person{{Email: "a@x.example", OwnershipPercentage: pct(60)}, {Email: "b@x.example", OwnershipPercentage: pct(60)}}
		}, []string{"associated_persons"}},
		{"the same person twice", kyc.Business, func(f *kyc.Fields) {
			f.AssociatedPersons = []kyc.Person{{Email: "a@x.example"}, {Email: "A@X.example", SSN: "123-45-0000"}}
		}, []string{"associated_persons/1/ssn", "associated_persons/1/email"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := seedFor(tt.typ)
			tt.change(&f)
			var got []string
			if err := f.Validate(tt.typ, time.Now()); err != nil {
				var e *kyc.Error
				if !errors.As(err, &e) {
					t.Fatal(err)
				}
				for _, fe := range e.Fields {
					got = append(got, fe.Field)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("fields named = %v, want %v", got, tt.want)
			}
		})
	}
}
