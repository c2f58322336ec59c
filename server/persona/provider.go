package persona

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/kiraapi/kira/openapi/timestamp"
	"github.com/kiraapi/kira/server/country"
	"github.com/kiraapi/kira/server/kyc"
)

// Name is the provider's name in vendor checks.
const Name = "persona"

// Checks is what Provider needs of the user use cases (kyc.UserService).
type Checks interface {
	VendorCheckFor(ctx context.Context, provider, tenantID, userID string, attempt int) (*kyc.VendorCheck, error)
	RecordVendorCheck(ctx context.Context, c *kyc.VendorCheck) error
}

// Provider is kyc.Provider over Persona. The first time it is asked about an attempt it creates an
// inquiry (reference-id: our user id; the template by the user's type; fields prefilled from the
// user) and records the inquiry's id for the attempt, and answers kyc.Pending: the end user goes
// through Persona's flow, and the decision comes by webhook (Webhooks). Asked again about the same
// attempt (the job polls when no webhook has come), it reads the inquiry and decides by its
// status (Decide).
//
// Persona's answers: a 429 is a *kyc.RetryAfterError with its wait; a 5xx, a timeout or a refused
// connection an error the job retries with backoff; a 401 or 403 (our key is wrong or lacks a
// permission) an error too, retried until the key is fixed, since no user should be decided by
// our misconfiguration; any other 4xx (the template is unknown, Persona refuses a prefilled value,
// the inquiry is gone) sends the user to REVIEW with the status in the developer reason: a person
// decides, nothing is retried forever.
type Provider struct {
	Client *Client
	Checks Checks
	// TemplateKYC and TemplateKYB are the inquiry templates (itmpl_...) of individuals and
	// businesses.
	TemplateKYC, TemplateKYB string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

var _ kyc.Provider = (*Provider)(nil)

// Decide implements kyc.Provider.
func (p *Provider) Decide(ctx context.Context, u *kyc.User) (kyc.Decision, error) {
	c, err := p.Checks.VendorCheckFor(ctx, Name, u.TenantID, u.ID, u.Attempts)
	switch {
	case kyc.ErrorCode(err) == kyc.ENotFound:
		return p.create(ctx, u)
	case err != nil:
		return kyc.Decision{}, err
	}
	inq, err := p.Client.GetInquiry(ctx, c.ID)
	if err != nil {
		return p.failed(err)
	}
	return Decision(inq.Status, u, p.now()), nil
}

func (p *Provider) create(ctx context.Context, u *kyc.User) (kyc.Decision, error) {
	template := p.TemplateKYC
	if u.Type == kyc.Business {
		template = p.TemplateKYB
	}
	fields, _ := Prefill(u)
	inq, err := p.Client.CreateInquiry(ctx, NewInquiry{
		TemplateID: template, ReferenceID: u.ID, Fields: fields,
		IdempotencyKey: "kira-" + u.ID + "-" + strconv.Itoa(u.Attempts),
	})
	if err != nil {
		return p.failed(err)
	}
	err = p.Checks.RecordVendorCheck(ctx, &kyc.VendorCheck{Provider: Name, ID: inq.ID, TenantID: u.TenantID, UserID: u.ID, Attempt: u.Attempts})
	if err != nil && kyc.ErrorCode(err) != kyc.EConflict { // a conflict: a concurrent run recorded it
		return kyc.Decision{}, err
	}
	return kyc.Pending, nil
}

// failed turns an error of Persona into the job's answer (see Provider).
func (p *Provider) failed(err error) (kyc.Decision, error) {
	var apiErr *APIError
	switch {
	case !errors.As(err, &apiErr), apiErr.Status >= 500, apiErr.Status == http.StatusUnauthorized, apiErr.Status == http.StatusForbidden:
		return kyc.Decision{}, err
	case apiErr.Status == http.StatusTooManyRequests:
		return kyc.Decision{}, &kyc.RetryAfterError{After: apiErr.RetryAfter, Err: err}
	}
	return kyc.Decision{Status: kyc.StatusReview, Reasons: []kyc.Reason{{
		Reason:          "Your information is being reviewed",
		DeveloperReason: fmt.Sprintf("Persona refused the verification request (HTTP %d); it needs a manual review.", apiErr.Status),
		CreatedAt:       timestamp.Of(p.now()),
	}}}, nil
}

func (p *Provider) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

// Decision maps an inquiry's status to ours (https://docs.withpersona.com/docs/models-lifecycle):
// approved and completed (every required check passed) are VERIFIED, with the identity fields the
// inquiry was prefilled with; declined and failed are REJECTED; needs_review is REVIEW; expired (the
// end user did not finish in time, 24 hours by default) sends the user back to CREATED with a
// reason, to start again. created and pending, or a status this adapter does not know, are
// kyc.Pending. Reasons are stamped at.
func Decision(status string, u *kyc.User, at time.Time) kyc.Decision {
	if status == "approved" || status == "completed" {
		_, verified := Prefill(u)
		return kyc.Decision{Status: kyc.StatusVerified, VerifiedFields: verified}
	}
	o, ok := outcomes[status]
	if !ok {
		return kyc.Pending
	}
	return kyc.Decision{Status: o.status, Reasons: []kyc.Reason{{Reason: o.reason, DeveloperReason: o.developer, CreatedAt: timestamp.Of(at)}}}
}

// outcomes are the statuses that decide with a reason: ours, and what the end user and the
// integrator are told.
var outcomes = map[string]struct {
	status            kyc.Status
	reason, developer string
}{
	"declined":     {kyc.StatusRejected, "Your information could not be verified", "Persona declined the inquiry."},
	"failed":       {kyc.StatusRejected, "Your information could not be verified", "Persona: a required check of the inquiry failed."},
	"needs_review": {kyc.StatusReview, "Your information is being reviewed", "Persona marked the inquiry for review."},
	"expired": {kyc.StatusCreated, "The verification was not finished in time; please start it again",
		"Persona: the inquiry expired before the end user completed it."},
}

// Prefill returns the inquiry fields prefilled from u, by Persona's field names
// (https://docs.withpersona.com/inquiry-fields: name-first, name-last, birthdate,
// address-street-1, address-city, address-subdivision, address-postal-code, address-country-code
// as ISO 3166 alpha-2, email-address, phone-number), and the names of our identity fields among
// them, which an approved inquiry verified. A business is prefilled with its representative.
// Nothing else is sent: no SSN, EIN or document number.
func Prefill(u *kyc.User) (fields map[string]string, identity []string) {
	f := &u.Fields
	first, last, birth := f.FirstName, f.LastName, f.BirthDate
	names := [3]string{"first_name", "last_name", "birth_date"}
	if u.Type == kyc.Business {
		first, last, birth = f.RepresentativeFirstName, f.RepresentativeLastName, f.RepresentativeBirthDate
		names = [3]string{"representative_first_name", "representative_last_name", "representative_birth_date"}
	}
	alpha2 := ""
	if c := country.Lookup(f.AddressCountry); c != nil {
		alpha2 = c.Alpha2
	}
	fields = map[string]string{}
	for _, m := range []struct{ ours, theirs, value string }{
		{names[0], "name-first", first},
		{names[1], "name-last", last},
		{names[2], "birthdate", birth},
		{"address_street", "address-street-1", f.AddressStreet},
		{"address_city", "address-city", f.AddressCity},
		{"address_state", "address-subdivision", f.AddressState},
		{"address_zip_code", "address-postal-code", f.AddressZipCode},
		{"address_country", "address-country-code", alpha2},
		{"", "email-address", f.Email},
		{"", "phone-number", f.Phone},
	} {
		if m.value == "" {
			continue
		}
		fields[m.theirs] = m.value
		if m.ours != "" {
			identity = append(identity, m.ours)
		}
	}
	return fields, identity
}
