package persona_test

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/kiraapi/kira/server/kyc"
	"github.com/kiraapi/kira/server/persona"
	"github.com/kiraapi/kira/server/persona/personatest"
)

// checks is persona.Checks in memory.
type checks struct {
	mu sync.Mutex
	m  map[[3]any]*kyc.VendorCheck
}

func (c *checks) VendorCheckFor(_ context.Context, provider, tenantID, userID string, attempt int) (*kyc.VendorCheck, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.m[[3]any{tenantID, userID, attempt}]; ok && v.Provider == provider {
		return v, nil
	}
	return nil, kyc.Errorf(kyc.ENotFound, "Vendor check not found.")
}

func (c *checks) RecordVendorCheck(_ context.Context, v *kyc.VendorCheck) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[[3]any]*kyc.VendorCheck{}
	}
	c.m[[3]any{v.TenantID, v.UserID, v.Attempt}] = v
	return nil
}

var now = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

func seed() *kyc.User {
	return &kyc.User{ID: "0193a0b2-0000-7000-8000-000000000001", TenantID: "t1", Type: kyc.Individual, Status: kyc.StatusVerifying, Attempts: 1, Fields: kyc.Fields{
		Email: "john.doe@example.com", Phone: "+14155550123", FirstName: "John", LastName: "Doe", BirthDate: "1990-01-15",
		SSN: "123-45-6789", DocumentType: "passport", DocumentNumber: "AB1234567", DocumentCountry: "USA",
		AddressStreet: "123 Main St", AddressCity: "San Francisco", AddressState: "CA", AddressZipCode: "94105", AddressCountry: "USA",
	}}
}

func newProvider(t *testing.T) (*persona.Provider, *personatest.Fake) {
	fake := personatest.New(t, "sk_test_key")
	return &persona.Provider{
		Client: &persona.Client{BaseURL: fake.URL, APIKey: "sk_test_key"}, Checks: &checks{},
		TemplateKYC: "itmpl_kyc", TemplateKYB: "itmpl_kyb", Now: func() time.Time { return now },
	}, fake
}

// TestProviderCreatesThenPolls: the first Decide of an attempt creates one inquiry as Persona's
// docs shape it (template, reference id, prefilled fields, no identifier numbers) and is Pending;
// the next reads the inquiry and decides by its status.
func TestProviderCreatesThenPolls(t *testing.T) {
	t.Parallel()
	p, fake := newProvider(t)
	u := seed()
	for range 2 {
		if d, err := p.Decide(t.Context(), u); err != nil || d.Status != kyc.StatusVerifying {
			t.Fatalf("Decide = %+v, %v; want Pending", d, err)
		}
	}
	inqs := fake.Inquiries()
	if len(inqs) != 1 {
		t.Fatalf("%d inquiries, want 1", len(inqs))
	}
	inq := inqs[0]
	want := map[string]string{
		"name-first": "John", "name-last": "Doe", "birthdate": "1990-01-15", "address-street-1": "123 Main St",
		"address-city": "San Francisco", "address-subdivision": "CA", "address-postal-code": "94105",
		"address-country-code": "US", "email-address": "john.doe@example.com", "phone-number": "+14155550123",
	}
	if inq.TemplateID != "itmpl_kyc" || inq.ReferenceID != u.ID || !maps.Equal(inq.Fields, want) || inq.IdempotencyKey != "kira-"+u.ID+"-1" {
		t.Errorf("inquiry %+v", inq)
	}
	fake.SetStatus(inq.ID, "approved")
	d, err := p.Decide(t.Context(), u)
	if err != nil || d.Status != kyc.StatusVerified ||
		!slices.Equal(d.VerifiedFields, []string{"first_name", "last_name", "birth_date", "address_street", "address_city", "address_state", "address_zip_code", "address_country"}) {
		t.Errorf("Decide = %+v, %v", d, err)
	}
	b := &kyc.User{ID: "b1", TenantID: "t1", Type: kyc.Business, Attempts: 1, Fields: kyc.Fields{RepresentativeFirstName: "Ann", EIN: "12-3456789"}}
	if _, err := p.Decide(t.Context(), b); err != nil {
		t.Fatal(err)
	}
	for _, inq := range fake.Inquiries() {
		if inq.ReferenceID == "b1" && (inq.TemplateID != "itmpl_kyb" || !maps.Equal(inq.Fields, map[string]string{"name-first": "Ann"})) {
			t.Errorf("business inquiry %+v", inq)
		}
	}
}

// TestProviderVendorErrors: what each answer of Persona makes of the attempt.
func TestProviderVendorErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status    int
		retryable bool
		after     time.Duration
		review    bool
	}{
		{http.StatusTooManyRequests, true, time.Second, false},
		{http.StatusInternalServerError, true, 0, false},
		{http.StatusBadGateway, true, 0, false},
		{http.StatusUnauthorized, true, 0, false},
		{http.StatusForbidden, true, 0, false},
		{http.StatusUnprocessableEntity, false, 0, true},
		{http.StatusNotFound, false, 0, true},
	}
	for _, tt := range tests {
		t.Run(http.StatusText(tt.status), func(t *testing.T) {
			t.Parallel()
			p, fake := newProvider(t)
			fake.FailNext(tt.status)
			d, err := p.Decide(t.Context(), seed())
			var later *kyc.RetryAfterError
			switch {
			case tt.after > 0:
				if !errors.As(err, &later) || later.After != tt.after {
					t.Errorf("err = %v, want a retry after %s", err, tt.after)
				}
			case tt.retryable:
				if err == nil || errors.As(err, &later) {
					t.Errorf("err = %v, want an error retried with backoff", err)
				}
			case tt.review:
				if err != nil || d.Status != kyc.StatusReview || len(d.Reasons) != 1 || d.Reasons[0].DeveloperReason == "" {
					t.Errorf("Decide = %+v, %v; want REVIEW with a reason", d, err)
				}
			}
			if len(fake.Inquiries()) != 0 {
				t.Errorf("a refused create made an inquiry")
			}
			if tt.retryable { // the retry creates the inquiry once
				if d, err := p.Decide(t.Context(), seed()); err != nil || d.Status != kyc.StatusVerifying || len(fake.Inquiries()) != 1 {
					t.Errorf("retry: %+v, %v, %d inquiries", d, err, len(fake.Inquiries()))
				}
			}
		})
	}
}

func TestDecision(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status string
		want   kyc.Status
		reason bool
	}{
		{"approved", kyc.StatusVerified, false},
		{"completed", kyc.StatusVerified, false},
		{"declined", kyc.StatusRejected, true},
		{"failed", kyc.StatusRejected, true},
		{"needs_review", kyc.StatusReview, true},
		{"expired", kyc.StatusCreated, true},
		{"created", kyc.StatusVerifying, false},
		{"pending", kyc.StatusVerifying, false},
		{"something new", kyc.StatusVerifying, false},
	}
	for _, tt := range tests {
		d := persona.Decision(tt.status, seed(), now)
		if d.Status != tt.want || (len(d.Reasons) == 1) != tt.reason {
			t.Errorf("Decision(%s) = %+v, want %s", tt.status, d, tt.want)
		}
		for _, r := range d.Reasons {
			if r.Reason == "" || r.DeveloperReason == "" || !r.CreatedAt.Equal(now) {
				t.Errorf("Decision(%s) reason %+v", tt.status, r)
			}
		}
	}
}
