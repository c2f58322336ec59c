package storetest

import (
	"time"

	"github.com/google/uuid"

	"github.com/kiraapi/kira/openapi/timestamp"
	"github.com/kiraapi/kira/server/kyc"
)

// base is when the fixtures' users are created (the store keeps what the domain sets).
var base = time.Date(2026, 3, 14, 15, 9, 26, 535897000, time.UTC)

func ptr[T any](v T) *T { return &v }

// individual is a user with every individual field set.
func individual(tenantID string) *kyc.User {
	return &kyc.User{
		ID: uuid.NewString(), TenantID: tenantID, Type: kyc.Individual, Status: kyc.StatusCreated,
		Fields: kyc.Fields{
			Email: "Ada.Lovelace@Example.com", Phone: "+14155550100",
			Metadata:  map[string]string{"crm_id": "A-17", "tier": "gold"},
			FirstName: "Ada", LastName: "Lovelace", BirthDate: "1985-12-10", SSN: "123-45-6789",
			DocumentType: "passport", DocumentNumber: "P1234567", DocumentCountry: "US",
			AddressStreet: "1 Analytical Way", AddressCity: "San Francisco", AddressState: "CA",
			AddressZipCode: "94105", AddressCountry: "US",
		},
		CreatedAt: base, UpdatedAt: base,
	}
}

// business is a user with every business field set, and two associated persons.
func business(tenantID string) *kyc.User {
	return &kyc.User{
		ID: uuid.NewString(), TenantID: tenantID, Type: kyc.Business, Status: kyc.StatusRejected, Attempts: 2,
		Fields: kyc.Fields{
			Email: "ops@acme.test", Phone: "+14155550101", Metadata: map[string]string{"segment": "smb"},
			AddressStreet: "500 Market St", AddressCity: "San Francisco", AddressState: "CA",
			AddressZipCode: "94105", AddressCountry: "US",
			BusinessLegalName: "Acme Widgets LLC", DoingBusinessAs: "Acme", BusinessType: "llc",
			BusinessWebsite: "https://acme.test", BusinessDescription: "Widgets", FormationDate: "2011-04-01",
			EIN: "12-3456789", RepresentativeFirstName: "Grace", RepresentativeLastName: "Hopper",
			RepresentativeTitle: "President", RepresentativeBirthDate: "1970-01-02", RepresentativeSSN: "987-65-4321",
			AssociatedPersons: []kyc.Person{
				{FirstName: "Alan", LastName: "Turing", Email: "alan@acme.test", BirthDate: "1972-06-23", SSN: "111-22-3333",
					Title: "Treasurer", OwnershipPercentage: ptr(40.5), IsSigner: ptr(true), HasOwnership: ptr(true)},
				{FirstName: "Joan", LastName: "Clarke", Email: "joan@acme.test", IsSigner: ptr(false)},
			},
		},
		Reasons: []kyc.Reason{
			{Reason: "We could not verify the business.", DeveloperReason: "EIN mismatch", CreatedAt: timestamp.Of(base.Add(time.Hour))},
		},
		CreatedAt: base, UpdatedAt: base.Add(2 * time.Hour),
	}
}
