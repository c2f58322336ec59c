package hosted

import (
	"slices"
	"testing"

	"github.com/kiraapi/kira/server/kyc"
)

// TestFieldsToAsk: a user missing data is asked for what is missing (and the fields a US address
// needs while the country is open); a complete user correcting their data is offered every field
// verification may check, the country included.
func TestFieldsToAsk(t *testing.T) {
	t.Parallel()
	complete := kyc.Fields{
		Email: "a@example.com", BusinessLegalName: "Acme", BusinessType: "corporation", FormationDate: "2001-02-03",
		AddressStreet: "1 Rue", AddressCity: "Paris", AddressState: "IDF", AddressZipCode: "75001", AddressCountry: "FRA",
		RepresentativeFirstName: "Ada", RepresentativeLastName: "L", RepresentativeBirthDate: "1980-01-01",
	}
	tests := []struct {
		name string
		user kyc.User
		want []string
	}{
		{"individual without a country", kyc.User{Type: kyc.Individual, Status: kyc.StatusCreated, Fields: kyc.Fields{
			Email: "a@example.com", FirstName: "A", LastName: "B", BirthDate: "1990-01-15", DocumentType: "passport",
			DocumentNumber: "X1", DocumentCountry: "FRA", AddressStreet: "1 Rue", AddressCity: "Paris", AddressState: "IDF", AddressZipCode: "75001",
		}}, []string{"address_country", "ssn"}},
		{"business with only a name", kyc.User{Type: kyc.Business, Status: kyc.StatusCreated, Fields: kyc.Fields{Email: "a@example.com", BusinessLegalName: "Acme"}},
			[]string{"business_type", "formation_date", "address_street", "address_city", "address_state", "address_zip_code", "address_country",
				"representative_first_name", "representative_last_name", "representative_birth_date", "ein"}},
		{"rejected business outside the USA", kyc.User{Type: kyc.Business, Status: kyc.StatusRejected, Fields: complete},
			[]string{"email", "business_legal_name", "business_type", "formation_date", "address_street", "address_city", "address_state",
				"address_zip_code", "address_country", "representative_first_name", "representative_last_name", "representative_birth_date", "ein"}},
	}
	for _, tt := range tests {
		var got []string
		for _, f := range fieldsToAsk(&tt.user, kyc.SeedRequirements) {
			got = append(got, f.Name)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestFieldsToAskUnderKiraRules: Kira's rules ask for more, and offer the employer of an
// individual whose employment status the page may set.
func TestFieldsToAskUnderKiraRules(t *testing.T) {
	t.Parallel()
	u := kyc.User{Type: kyc.Individual, Status: kyc.StatusCreated, Fields: kyc.Fields{
		Email: "a@example.com", FirstName: "A", LastName: "B", BirthDate: "1990-01-15", DocumentType: "passport",
		DocumentNumber: "X1", DocumentCountry: "FRA", AddressStreet: "1 Rue", AddressCity: "Paris", AddressState: "IDF",
		AddressZipCode: "75001", AddressCountry: "FRA",
	}}
	var got []string
	for _, f := range fieldsToAsk(&u, kyc.KiraRequirements) {
		got = append(got, f.Name)
	}
	want := []string{"phone", "nationality", "gender", "employment_status", "current_employer", "occupation", "source_of_funds", "account_purpose", "pep_status"}
	if !slices.Equal(got, want) {
		t.Errorf("%v, want %v", got, want)
	}
}

// The page suggests address_state's values from the country list: the subdivisions of the
// address's country, all of them by country while none is chosen, none where it is free text.
func TestSubdivisionOptions(t *testing.T) {
	t.Parallel()
	us := subdivisionOptions("USA")
	if len(us) != 62 || !slices.Contains(us, option{Value: "CA", Label: "California"}) {
		t.Errorf("USA: %d options, %v...", len(us), us[:3])
	}
	if got := subdivisionOptions("FRA"); len(got) != 0 {
		t.Errorf("FRA: %v, want none", got)
	}
	all := subdivisionOptions("")
	if !slices.Contains(all, option{Value: "QC", Label: "Quebec, Canada"}) || !slices.Contains(all, option{Value: "CA", Label: "California, United States"}) {
		t.Errorf("no country yet: %d options without Quebec or California", len(all))
	}
}

// TestDocumentSections: the page asks for the documents the rules miss, and no more: under the
// seed's rules an individual's ID photos only, as ever, and a business nothing; under Kira's, an
// individual's proof of address and, outside the USA, tax identification number; a business's
// documents, and the ID of each person without one, or one person when it has none.
func TestDocumentSections(t *testing.T) {
	t.Parallel()
	individual := func(country, ssn string, items ...kyc.IdentifyingInformation) *kyc.User {
		return &kyc.User{Type: kyc.Individual, Status: kyc.StatusCreated, Fields: kyc.Fields{Email: "a@example.com", AddressCountry: country, SSN: ssn, IdentifyingInformation: items}}
	}
	business := func(persons ...kyc.Person) *kyc.User {
		return &kyc.User{Type: kyc.Business, Status: kyc.StatusCreated, Fields: kyc.Fields{Email: "a@example.com", AssociatedPersons: persons,
			IdentifyingInformation: []kyc.IdentifyingInformation{{Type: "tax_id", Documents: []kyc.Document{{Type: kyc.DocProofOfAddress}}}}}}
	}
	withID := kyc.Person{FirstName: "Jane", LastName: "Roe", Email: "j@example.com",
		IdentifyingInformation: []kyc.IdentifyingInformation{{Type: "passport", Documents: []kyc.Document{{Type: kyc.DocFront}}}}}
	backOnly := kyc.Person{FirstName: "John", LastName: "Roe", Email: "r@example.com",
		IdentifyingInformation: []kyc.IdentifyingInformation{{Type: "visa", Documents: []kyc.Document{{Type: kyc.DocBack}}}}}
	noID := kyc.Person{FirstName: "Ann", LastName: "Lee", Email: "l@example.com"}
	complete := individual("FRA", "", kyc.IdentifyingInformation{Type: "tax_id", Number: "X1234", Documents: []kyc.Document{{Type: kyc.DocProofOfAddress}}},
		kyc.IdentifyingInformation{Type: "passport", Documents: []kyc.Document{{Type: kyc.DocFront}}})
	tests := []struct {
		name  string
		rules kyc.RequirementSet
		user  *kyc.User
		want  [][]string // by section, the inputs
	}{
		{"seed individual", kyc.SeedRequirements, individual("", ""), [][]string{{"id_front", "id_back"}}},
		{"seed business", kyc.SeedRequirements, business(), nil},
		{"individual without a country", kyc.KiraRequirements, individual("", ""), [][]string{{"id_front", "id_back", "tax_id", "proof_of_address"}}},
		{"individual in the USA", kyc.KiraRequirements, individual("USA", ""), [][]string{{"id_front", "id_back", "proof_of_address"}}},
		{"individual with an SSN", kyc.KiraRequirements, individual("", "123-45-6789"), [][]string{{"id_front", "id_back", "proof_of_address"}}},
		{"individual with documents", kyc.KiraRequirements, complete, [][]string{{"id_front", "id_back"}}},
		{"business without persons", kyc.KiraRequirements, business(), [][]string{{"business_formation"}, {"associated_persons/0/first_name",
			"associated_persons/0/last_name", "associated_persons/0/email", "associated_persons/0/birth_date", "associated_persons/0/id_type",
			"associated_persons/0/id_front"}}},
		{"business with persons", kyc.KiraRequirements, business(withID, backOnly, noID), [][]string{{"business_formation"},
			{"associated_persons/1/id_front", "associated_persons/1/id_back"},
			{"associated_persons/2/id_type", "associated_persons/2/id_front", "associated_persons/2/id_back"}}},
	}
	for _, tt := range tests {
		var got [][]string
		for _, s := range documentSections(tt.user, tt.rules) {
			var names []string
			for _, in := range s.inputs {
				names = append(names, in.Name)
			}
			got = append(got, names)
		}
		if !slices.EqualFunc(got, tt.want, slices.Equal) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestPostLimit: a post may carry the files of its form, each of the largest size.
func TestPostLimit(t *testing.T) {
	t.Parallel()
	persons := make([]kyc.Person, 10) // the spec's maxItems
	for i := range persons {
		persons[i] = kyc.Person{FirstName: "P", LastName: "Q", Email: "p@example.com"}
	}
	seed := &kyc.User{Type: kyc.Individual, Fields: kyc.Fields{Email: "a@example.com"}}
	crowded := &kyc.User{Type: kyc.Business, Fields: kyc.Fields{Email: "a@example.com", AssociatedPersons: persons}}
	tests := []struct {
		name  string
		user  *kyc.User
		rules kyc.RequirementSet
		files int64
	}{
		{"seed individual", seed, kyc.SeedRequirements, 2},
		{"kira individual", seed, kyc.KiraRequirements, 3},
		{"kira business with every person without an ID", crowded, kyc.KiraRequirements, 2 + 2*10},
	}
	for _, tt := range tests {
		if got, want := uploadLimit(documentSections(tt.user, tt.rules)), tt.files*kyc.MaxDocumentBytes+maxFormBytes; got != want {
			t.Errorf("%s: %d, want %d", tt.name, got, want)
		}
	}
}
