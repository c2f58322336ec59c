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
		for _, f := range fieldsToAsk(&tt.user) {
			got = append(got, f.Name)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
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
