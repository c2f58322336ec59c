package kyc_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kiraapi/kira/server/kyc"
)

// namedFields is the fields err names, nil when err is nil; it fails t when err is not a
// *kyc.Error or a message repeats one of values (of three characters or more).
func namedFields(t *testing.T, err error, values ...string) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var e *kyc.Error
	if !errors.As(err, &e) {
		t.Fatal(err)
	}
	var got []string
	for _, fe := range e.Fields {
		got = append(got, fe.Field)
		for _, v := range values {
			if len(v) >= 3 && strings.Contains(fe.Message, v) {
				t.Errorf("%s's message %q repeats the value %q", fe.Field, fe.Message, v)
			}
		}
	}
	return got
}

func TestValidateChecksTheAddressAgainstItsCountry(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                string
		country, state, zip string
		want                []string // fields named, nil for valid
	}{
		{"a US state and ZIP", "USA", "CA", "94105", nil},
		{"a ZIP+4", "USA", "NY", "10001-1234", nil},
		{"a US territory", "USA", "PR", "00901", nil},
		{"an Armed Forces code", "USA", "AE", "09001", nil},
		{"a state by name", "USA", "California", "94105", []string{"address_state"}},
		{"a state in lower case", "USA", "ca", "94105", []string{"address_state"}},
		{"another country's subdivision", "USA", "QC", "94105", []string{"address_state"}},
		{"a short ZIP", "USA", "CA", "9410", []string{"address_zip_code"}},
		{"letters for a ZIP", "USA", "CA", "ABCDE", []string{"address_zip_code"}},
		{"both wrong", "USA", "XX", "1", []string{"address_state", "address_zip_code"}},
		{"a Canadian province and postal code", "CAN", "QC", "H3Z 2Y7", nil},
		{"a Canadian postal code in lower case", "CAN", "ON", "k1a0b1", nil},
		{"a US state in Canada", "CAN", "CA", "H3Z 2Y7", []string{"address_state"}},
		{"an Australian state", "AUS", "NSW", "2000", nil},
		{"a Brazilian state and CEP", "BRA", "SP", "01310-100", nil},
		{"an Italian province", "ITA", "MI", "20121", nil},
		{"free text where addresses name no subdivision by code", "FRA", "Île-de-France", "75001", nil},
		{"a Japanese prefecture in words", "JPN", "Tokyo", "100-0001", nil},
		{"a French postal code too long", "FRA", "IDF", "750011", []string{"address_zip_code"}},
		{"a UK postcode", "GBR", "London", "SW1A 1AA", nil},
		{"no postal codes in the country", "ARE", "Dubai", "00000", nil},
		{"no country: nothing to check", "", "XX", "1", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := seedIndividual()
			f.AddressCountry, f.AddressState, f.AddressZipCode = tt.country, tt.state, tt.zip
			if tt.country != "USA" {
				f.SSN = ""
			}
			got := namedFields(t, f.Validate(kyc.Individual, time.Now()), tt.state, tt.zip)
			if !slices.Equal(got, tt.want) {
				t.Errorf("Validate named %v, want %v", got, tt.want)
			}
			p := kyc.Fields{AddressCountry: tt.country, AddressState: tt.state, AddressZipCode: tt.zip}
			if got := namedFields(t, p.CheckValues(time.Now())); !slices.Equal(got, tt.want) {
				t.Errorf("CheckValues named %v, want %v", got, tt.want)
			}
			// The same rule holds for an associated person's residential_address.
			var wantPerson []string
			for _, name := range tt.want {
				wantPerson = append(wantPerson, personAddressMember[name])
			}
			b := seedBusiness()
			b.AssociatedPersons = []kyc.Person{personAt(tt.country, tt.state, tt.zip)}
			if got := namedFields(t, b.Validate(kyc.Business, time.Now()), tt.state, tt.zip); !slices.Equal(got, wantPerson) {
				t.Errorf("Validate of a person's address named %v, want %v", got, wantPerson)
			}
			b = kyc.Fields{AssociatedPersons: b.AssociatedPersons}
			if got := namedFields(t, b.CheckValues(time.Now())); !slices.Equal(got, wantPerson) {
				t.Errorf("CheckValues of a person's address named %v, want %v", got, wantPerson)
			}
		})
	}
}

// personAddressMember names a person's address member as the user's address field checked the
// same way.
var personAddressMember = map[string]string{
	"address_state":    "associated_persons/0/residential_address/subdivision",
	"address_zip_code": "associated_persons/0/residential_address/postal_code",
}

// personAt is an associated person living at an address in country.
func personAt(country, subdivision, postalCode string) kyc.Person {
	return kyc.Person{FirstName: "Ada", LastName: "Roe", Email: "ada@acme.example",
		ResidentialAddress: kyc.Address{StreetLine1: "1 Main St", City: "Springfield", Country: country, Subdivision: subdivision, PostalCode: postalCode}}
}

// An address stored before the country list checked addresses (the user's, or an associated
// person's) does not refuse an update that leaves it alone; an update that changes any part of an
// address has that address checked whole.
func TestValidateUpdateChecksAddressesWhenTheyChange(t *testing.T) {
	t.Parallel()
	individual := seedIndividual()
	individual.AddressState = "California"
	business := seedBusiness()
	business.AssociatedPersons = []kyc.Person{personAt("USA", "California", "94105")}
	tests := []struct {
		name   string
		typ    kyc.UserType
		stored kyc.Fields
		change func(*kyc.Fields)
		want   []string
	}{
		{"another field", kyc.Individual, individual, func(f *kyc.Fields) { f.Phone = "+14155550123" }, nil},
		{"the ZIP", kyc.Individual, individual, func(f *kyc.Fields) { f.AddressZipCode = "94110" }, []string{"address_state"}},
		{"the state, right", kyc.Individual, individual, func(f *kyc.Fields) { f.AddressState = "CA" }, nil},
		{"the country, to one whose state is free text", kyc.Individual, individual, func(f *kyc.Fields) { f.AddressCountry, f.SSN = "DEU", "" }, nil},
		{"the country, whose postal codes differ", kyc.Individual, individual, func(f *kyc.Fields) { f.AddressCountry, f.AddressState = "CAN", "QC" }, []string{"address_zip_code"}},
		{"a business's other field", kyc.Business, business, func(f *kyc.Fields) { f.Phone = "+14155550123" }, nil},
		{"another person, the stored address kept", kyc.Business, business, func(f *kyc.Fields) {
			f.AssociatedPersons = []kyc.Person{business.AssociatedPersons[0], personAt("USA", "NY", "10001")}
			f.AssociatedPersons[1].Email = "bo@acme.example"
		}, nil},
		{"the person resent, its email in capitals and a document number", kyc.Business, business, func(f *kyc.Fields) {
			p := business.AssociatedPersons[0]
			p.Email, p.DocumentNumber = "ADA@acme.example", "AB-123456"
			f.AssociatedPersons = []kyc.Person{p}
		}, nil},
		{"another person at a wrong address", kyc.Business, business, func(f *kyc.Fields) {
			f.AssociatedPersons = []kyc.Person{business.AssociatedPersons[0], personAt("USA", "NY", "1")}
			f.AssociatedPersons[1].Email = "bo@acme.example"
		}, []string{"associated_persons/1/residential_address/postal_code"}},
		{"the person moved, the state still in words", kyc.Business, business, func(f *kyc.Fields) {
			f.AssociatedPersons = []kyc.Person{personAt("USA", "California", "94110")}
		}, []string{personAddressMember["address_state"]}},
		{"the person's address put right", kyc.Business, business, func(f *kyc.Fields) { f.AssociatedPersons = []kyc.Person{personAt("USA", "CA", "94105")} }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			next := tt.stored
			tt.change(&next)
			got := namedFields(t, next.ValidateUpdate(tt.typ, time.Now(), &tt.stored))
			if !slices.Equal(got, tt.want) {
				t.Errorf("ValidateUpdate named %v, want %v", got, tt.want)
			}
		})
	}
}
