package httpapi

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/oapi-codegen/runtime/types"

	"github.com/kiraapi/kira/gen/apitypes"
	"github.com/kiraapi/kira/openapi/timestamp"
	"github.com/kiraapi/kira/server/kyc"
)

// This file is the one place where generated API types and domain types meet.

// fieldsFromRequest turns a validated create or update body into domain fields. The API's field
// names are the domain's JSON names, so the body converts through JSON.
func fieldsFromRequest(body any) (kyc.Fields, error) {
	var f kyc.Fields
	raw, err := json.Marshal(body)
	if err != nil {
		return f, fmt.Errorf("encode request: %w", err)
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		return f, fmt.Errorf("decode request: %w", err)
	}
	return f, nil
}

// patchFromRequest returns the names of the fields an update sets and the function that sets them.
// Lists and maps sent in an update replace the stored ones.
func patchFromRequest(body *apitypes.UserUpdateRequest) ([]string, func(*kyc.Fields) error, error) {
	raw, err := json.Marshal(body)
	if err != nil {
		return nil, nil, fmt.Errorf("encode request: %w", err)
	}
	var present map[string]json.RawMessage
	if err := json.Unmarshal(raw, &present); err != nil {
		return nil, nil, fmt.Errorf("decode request: %w", err)
	}
	changed := make([]string, 0, len(present))
	for name := range present {
		changed = append(changed, name)
	}
	apply := func(f *kyc.Fields) error {
		if _, ok := present["associated_persons"]; ok {
			f.AssociatedPersons = nil
		}
		if _, ok := present["metadata"]; ok {
			f.Metadata = nil
		}
		if err := json.Unmarshal(raw, f); err != nil {
			return fmt.Errorf("apply update: %w", err)
		}
		return nil
	}
	return changed, apply, nil
}

// opt returns a pointer to v, or nil for the zero value, for optional response fields.
func opt[T comparable](v T) *T {
	var zero T
	if v == zero {
		return nil
	}
	return &v
}

func optDate(s string) *types.Date {
	if s == "" {
		return nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return nil
	}
	return &types.Date{Time: t}
}

// toAPIUser renders a user. Secret identifiers appear as their last four characters only.
func toAPIUser(u *kyc.User, triggered bool) apitypes.User {
	f := &u.Fields
	out := apitypes.User{
		Id:                      opt(uuid.MustParse(u.ID)),
		Type:                    apitypes.UserType(u.Type),
		Status:                  opt(apitypes.UserStatus(u.Status)),
		Email:                   types.Email(f.Email),
		Phone:                   opt(f.Phone),
		Metadata:                apitypes.Metadata(f.Metadata),
		FirstName:               opt(f.FirstName),
		LastName:                opt(f.LastName),
		BirthDate:               optDate(f.BirthDate),
		SsnLast4:                opt(kyc.Last4(f.SSN)),
		DocumentType:            opt(apitypes.DocumentType(f.DocumentType)),
		DocumentNumberLast4:     opt(kyc.Last4(f.DocumentNumber)),
		DocumentCountry:         opt(apitypes.CountryCode(f.DocumentCountry)),
		AddressStreet:           opt(f.AddressStreet),
		AddressCity:             opt(f.AddressCity),
		AddressState:            opt(f.AddressState),
		AddressZipCode:          opt(f.AddressZipCode),
		AddressCountry:          opt(apitypes.CountryCode(f.AddressCountry)),
		BusinessLegalName:       opt(f.BusinessLegalName),
		DoingBusinessAs:         opt(f.DoingBusinessAs),
		BusinessType:            opt(apitypes.BusinessType(f.BusinessType)),
		BusinessWebsite:         opt(f.BusinessWebsite),
		BusinessDescription:     opt(f.BusinessDescription),
		FormationDate:           optDate(f.FormationDate),
		EinLast4:                opt(kyc.Last4(f.EIN)),
		RepresentativeFirstName: opt(f.RepresentativeFirstName),
		RepresentativeLastName:  opt(f.RepresentativeLastName),
		RepresentativeTitle:     opt(f.RepresentativeTitle),
		RepresentativeBirthDate: optDate(f.RepresentativeBirthDate),
		RepresentativeSsnLast4:  opt(kyc.Last4(f.RepresentativeSSN)),
		VerificationTriggered:   triggered || u.Attempts > 0,
		VerificationAttempts:    int32(u.Attempts),
		MissingFields:           kyc.MissingFields(u.Type, f),
		CreatedAt:               timestamp.Of(u.CreatedAt),
		UpdatedAt:               timestamp.Of(u.UpdatedAt),
	}
	if out.Metadata == nil {
		out.Metadata = apitypes.Metadata{}
	}
	if len(f.AssociatedPersons) > 0 {
		persons := make([]apitypes.AssociatedPerson, len(f.AssociatedPersons))
		for i, p := range f.AssociatedPersons {
			persons[i] = apitypes.AssociatedPerson{
				FirstName: p.FirstName, LastName: p.LastName, Email: types.Email(p.Email),
				BirthDate: optDate(p.BirthDate), SsnLast4: opt(kyc.Last4(p.SSN)), Title: opt(p.Title),
				OwnershipPercentage: p.OwnershipPercentage, IsSigner: p.IsSigner, HasOwnership: p.HasOwnership,
			}
		}
		out.AssociatedPersons = &persons
	}
	if u.Status == kyc.StatusRejected && len(u.Reasons) > 0 {
		reasons := make([]apitypes.VerificationReason, len(u.Reasons))
		for i, r := range u.Reasons {
			reasons[i] = apitypes.VerificationReason{Reason: r.Reason, DeveloperReason: opt(r.DeveloperReason), CreatedAt: r.CreatedAt}
		}
		out.Reasons = &reasons
	}
	return out
}

// apiEventTypes lists the types an endpoint receives: every type when it subscribed to all.
func apiEventTypes(e *kyc.WebhookEndpoint) []apitypes.EventType {
	list := e.Events
	if len(list) == 0 {
		list = kyc.EventTypes
	}
	out := make([]apitypes.EventType, len(list))
	for i, t := range list {
		out[i] = apitypes.EventType(t)
	}
	return out
}

// toAPIWebhook renders an endpoint without its secrets.
func toAPIWebhook(e *kyc.WebhookEndpoint) apitypes.WebhookEndpoint {
	return apitypes.WebhookEndpoint{
		Id: opt(uuid.MustParse(e.ID)), Url: e.URL, Events: apiEventTypes(e), Description: opt(e.Description),
		Status: apitypes.WebhookEndpointStatus(e.Status), CreatedAt: timestamp.Of(e.CreatedAt), UpdatedAt: timestamp.Of(e.UpdatedAt),
	}
}

// toAPIWebhookWithSecret renders an endpoint with its current secret, for the responses to a
// create and a rotation only. The previous secret is never shown, only when it stops signing.
func toAPIWebhookWithSecret(e *kyc.WebhookEndpoint) apitypes.WebhookEndpointWithSecret {
	out := apitypes.WebhookEndpointWithSecret{
		Id: opt(uuid.MustParse(e.ID)), Url: e.URL, Events: apiEventTypes(e), Description: opt(e.Description),
		Status: apitypes.WebhookEndpointStatus(e.Status), Secret: &e.Secret, CreatedAt: timestamp.Of(e.CreatedAt), UpdatedAt: timestamp.Of(e.UpdatedAt),
	}
	if e.PreviousSecret != "" {
		out.PreviousSecretExpiresAt = opt(timestamp.Of(e.PreviousSecretExpiresAt))
	}
	return out
}

// toAPIEvent renders an event; its payload, the bytes delivered, decodes into the event union.
func toAPIEvent(e *kyc.Event) (apitypes.EventRecord, error) {
	out := apitypes.EventRecord{Id: uuid.MustParse(e.ID), Type: apitypes.EventType(e.Type), CreatedAt: timestamp.Of(e.CreatedAt)}
	if e.UserID != "" {
		out.UserId = opt(uuid.MustParse(e.UserID))
	}
	if err := json.Unmarshal(e.Payload, &out.Payload); err != nil {
		return out, fmt.Errorf("decode event payload: %w", err)
	}
	return out, nil
}

// toAPIDelivery renders a delivery with its attempts.
func toAPIDelivery(d *kyc.Delivery) apitypes.Delivery {
	out := apitypes.Delivery{
		Id: uuid.MustParse(d.ID), EndpointId: uuid.MustParse(d.EndpointID), Status: apitypes.DeliveryStatus(d.Status),
		Attempts: make([]apitypes.DeliveryAttempt, len(d.Attempts)),
	}
	if !d.NextAttemptAt.IsZero() {
		out.NextAttemptAt = opt(timestamp.Of(d.NextAttemptAt))
	}
	for i, a := range d.Attempts {
		out.Attempts[i] = apitypes.DeliveryAttempt{
			Attempt: int32(a.Attempt), AttemptedAt: timestamp.Of(a.At), LatencyMs: a.Latency.Milliseconds(),
			StatusCode: opt(int32(a.StatusCode)), Error: opt(a.Error), ResponseExcerpt: opt(a.ResponseExcerpt),
		}
	}
	return out
}
