package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/oapi-codegen/runtime/types"

	"github.com/kiraapi/kira/gen/apitypes"
	"github.com/kiraapi/kira/openapi/timestamp"
	"github.com/kiraapi/kira/server/country"
	"github.com/kiraapi/kira/server/kyc"
)

// This file is the one place where generated API types and domain types meet.

// User fields cross the edge by name, as the user field table (kyc.UserFields) lists them: a
// field is the generated type's member whose JSON name is the field's API name (or, returned, its
// masked name, NAME_last4), converted value by value (see convert). checkFieldTable, run when the
// server is built, makes sure that the table and the generated types list the same fields.

// computedUserFields are the members of the User response that are not user fields.
var computedUserFields = []string{"id", "type", "status", "verification_triggered", "verification_attempts",
	"missing_fields", "reasons", "updated_fields", "requires_reverification", "created_at", "updated_at", "redacted_at",
	"verification_link"}

// createOptions are the members of the create request that are not user fields: how the user is
// created.
var createOptions = []string{"type", "redirect_uri"}

// checkFieldTable reports every user field that the API and the domain's field table do not
// both know: a property of a request the table lacks would be accepted and dropped, and a table
// field the response lacks would never be returned.
func checkFieldTable() error {
	var errs []error
	tableName := func(api string) (*kyc.FieldSpec, bool) {
		if s := kyc.UserField(api); s != nil {
			return s, !s.Masked
		}
		s := kyc.UserField(strings.TrimSuffix(api, "_last4"))
		return s, s != nil && s.Masked
	}
	for _, req := range []reflect.Type{reflect.TypeFor[apitypes.UserCreateRequest](), reflect.TypeFor[apitypes.UserUpdateRequest]()} {
		for name := range jsonMembers(req) {
			if !slices.Contains(createOptions, name) && kyc.UserField(name) == nil {
				errs = append(errs, fmt.Errorf("%s.%s is accepted but not in the user field table (server/kyc Fields): it would be dropped", req.Name(), name))
			}
		}
	}
	update := jsonMembers(reflect.TypeFor[apitypes.UserUpdateRequest]())
	user := jsonMembers(reflect.TypeFor[apitypes.User]())
	for name := range user {
		if _, ok := tableName(name); !ok && !slices.Contains(computedUserFields, name) {
			errs = append(errs, fmt.Errorf("User.%s is returned but not in the user field table (server/kyc Fields)", name))
		}
	}
	create := jsonMembers(reflect.TypeFor[apitypes.UserCreateRequest]())
	for _, s := range kyc.UserFields() {
		if _, ok := create[s.Name]; !ok {
			errs = append(errs, fmt.Errorf("user field %s is not accepted by UserCreateRequest", s.Name))
		}
		if _, ok := user[returnedName(s)]; !ok {
			errs = append(errs, fmt.Errorf("user field %s is not returned in User (as %s)", s.Name, returnedName(s)))
		}
		switch _, ok := update[s.Name]; {
		case ok && s.CreateOnly:
			errs = append(errs, fmt.Errorf("user field %s is create-only but UserUpdateRequest accepts it", s.Name))
		case !ok && !s.CreateOnly:
			errs = append(errs, fmt.Errorf("user field %s is not accepted by UserUpdateRequest (tag it create_only if only a create sets it)", s.Name))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("the API and the user field table disagree:\n%w", err)
	}
	return nil
}

// returnedName is the name under which a field is returned.
func returnedName(s *kyc.FieldSpec) string {
	if s.Masked {
		return s.MaskedName()
	}
	return s.Name
}

// fieldsFromRequest turns a validated create body into domain fields.
func fieldsFromRequest(body *apitypes.UserCreateRequest) (kyc.Fields, error) {
	var f kyc.Fields
	err := convertStruct(reflect.ValueOf(&f).Elem(), reflect.ValueOf(body).Elem(), kyc.UserFields(), inbound)
	return f, err
}

// patchFromRequest turns a validated update body into a patch of the fields it sends.
func patchFromRequest(body *apitypes.UserUpdateRequest) (kyc.Patch, error) {
	var p kyc.Patch
	src := reflect.ValueOf(body).Elem()
	members := jsonMembers(src.Type())
	for _, s := range kyc.UserFields() {
		i, ok := members[s.Name]
		if !ok || src.Field(i).IsNil() {
			continue
		}
		v := reflect.New(s.Type()).Elem()
		if err := convert(v, src.Field(i), inbound); err != nil {
			return p, fmt.Errorf("convert %s: %w", s.Name, err)
		}
		if err := p.Set(s.Name, v.Interface()); err != nil {
			return p, err
		}
	}
	return p, nil
}

// toAPIUser renders a user, with what automatic verification still needs under the service's
// rules and signed download links to its documents (linkDocuments). Masked fields appear as their last four characters only. A redacted user is its
// tombstone: no fields but the placeholder email, nothing missing, and redacted_at.
func (h *handler) toAPIUser(u *kyc.User, triggered bool) apitypes.User {
	if u.Redacted() {
		return apitypes.User{
			Id: opt(uuid.MustParse(u.ID)), Type: apitypes.UserType(u.Type), Status: opt(apitypes.UserStatus(u.Status)),
			Email: kyc.RedactedEmail, Metadata: apitypes.Metadata{}, MissingFields: []string{},
			VerificationTriggered: u.Attempts > 0, VerificationAttempts: int32(u.Attempts),
			CreatedAt: timestamp.Of(u.CreatedAt), UpdatedAt: timestamp.Of(u.UpdatedAt), RedactedAt: opt(timestamp.Of(u.RedactedAt)),
		}
	}
	out := apitypes.User{
		Id:                    opt(uuid.MustParse(u.ID)),
		Type:                  apitypes.UserType(u.Type),
		Status:                opt(apitypes.UserStatus(u.Status)),
		VerificationTriggered: triggered || u.Attempts > 0,
		VerificationAttempts:  int32(u.Attempts),
		MissingFields:         h.users.MissingFields(u),
		CreatedAt:             timestamp.Of(u.CreatedAt),
		UpdatedAt:             timestamp.Of(u.UpdatedAt),
	}
	// checkFieldTable made sure that every field has its member, and the values are the
	// domain's, which convert.
	_ = convertStruct(reflect.ValueOf(&out).Elem(), reflect.ValueOf(&u.Fields).Elem(), kyc.UserFields(), outbound)
	if out.Metadata == nil {
		out.Metadata = apitypes.Metadata{}
	}
	if (u.Status == kyc.StatusRejected || u.Status == kyc.StatusCreated) && len(u.Reasons) > 0 {
		reasons := make([]apitypes.VerificationReason, len(u.Reasons))
		for i, r := range u.Reasons {
			reasons[i] = apitypes.VerificationReason{Reason: r.Reason, DeveloperReason: opt(r.DeveloperReason), CreatedAt: timestamp.Of(r.CreatedAt.Time)}
		}
		out.Reasons = &reasons
	}
	h.linkDocuments(&out, u)
	return out
}

// toAPICreatedUser renders a user after a create, with its hosted link when it was created in
// verification_link mode.
func (h *handler) toAPICreatedUser(res *kyc.Result) apitypes.User {
	out := h.toAPIUser(res.User, res.Triggered)
	if res.Session != nil {
		out.VerificationLink = opt(h.linkFor(res.Session.ID))
	}
	return out
}

// toAPIUpdatedUser renders a user after an update, with what the update changed.
func (h *handler) toAPIUpdatedUser(res *kyc.Result) apitypes.User {
	out := h.toAPIUser(res.User, res.Triggered)
	out.VerificationTriggered = res.Triggered // on PUT: whether this request started it
	updated := res.Updated
	if updated == nil {
		updated = []string{}
	}
	out.UpdatedFields, out.RequiresReverification = &updated, &res.Reverify
	return out
}

// direction is which way a value crosses the edge: masking applies to outbound values only.
type direction bool

const (
	inbound  direction = false
	outbound direction = true
)

// convertStruct converts the members of struct src that the fields specs name into dst's (src and
// dst are a domain and a generated struct, either way round). Outbound, a masked field goes to
// its masked member, as its last four characters.
func convertStruct(dst, src reflect.Value, specs []*kyc.FieldSpec, dir direction) error {
	steps, err := planOf(dst.Type(), src.Type(), specs, dir)
	if err != nil {
		return err
	}
	for _, st := range steps {
		v := src.Field(st.src)
		if dir == outbound && st.spec.Masked {
			v = reflect.ValueOf(kyc.Last4(v.String()))
		}
		if err := convert(dst.Field(st.dst), v, dir); err != nil {
			return fmt.Errorf("convert %s: %w", st.spec.Name, err)
		}
	}
	return nil
}

// step converts one member: the indexes of the field's member in src and in dst.
type step struct {
	src, dst int
	spec     *kyc.FieldSpec
}

type planKey struct {
	dst, src reflect.Type
	dir      direction
}

var plans sync.Map // planKey -> []step

// planOf returns, computed once per pair of types and direction, the steps that convert specs'
// members of a src to a dst.
func planOf(dst, src reflect.Type, specs []*kyc.FieldSpec, dir direction) ([]step, error) {
	key := planKey{dst, src, dir}
	if p, ok := plans.Load(key); ok {
		return p.([]step), nil
	}
	steps := make([]step, 0, len(specs))
	for _, s := range specs {
		dstName := s.Name
		if dir == outbound {
			dstName = returnedName(s)
		}
		di, ok := jsonMembers(dst)[dstName]
		if !ok {
			return nil, fmt.Errorf("%s has no member %s", dst, dstName)
		}
		si, ok := jsonMembers(src)[s.Name]
		if !ok {
			return nil, fmt.Errorf("%s has no member %s", src, s.Name)
		}
		steps = append(steps, step{src: si, dst: di, spec: s})
	}
	plans.Store(key, steps)
	return steps, nil
}

// convert sets dst from src, values of one field on either side of the edge: text (strings,
// enums, emails; dates as YYYY-MM-DD), numbers, booleans, maps of text, identifying information
// (documents.go), structs of the field table (additional_info, an associated person, its address:
// converted member by member by their tables, kyc.TableOf) and lists of any of these. A nil
// pointer or a zero value
// that no pointer holds leaves dst as it is, so that an absent optional member stays absent; a
// pointer to a zero value (is_signer: false) is a value.
func convert(dst, src reflect.Value, dir direction) error {
	held := src.Kind() == reflect.Pointer
	for src.Kind() == reflect.Pointer {
		if src.IsNil() {
			return nil
		}
		src = src.Elem()
	}
	if !held && src.IsZero() {
		return nil
	}
	if dst.Kind() == reflect.Pointer {
		v := reflect.New(dst.Type().Elem())
		if err := convert(v.Elem(), src, dir); err != nil {
			return err
		}
		dst.Set(v)
		return nil
	}
	switch {
	case src.Type() == dateType && dst.Kind() == reflect.String:
		dst.SetString(src.Interface().(types.Date).Format(time.DateOnly))
	case dst.Type() == dateType && src.Kind() == reflect.String:
		t, err := time.Parse(time.DateOnly, src.String())
		if err != nil {
			return fmt.Errorf("not a date: %w", err)
		}
		dst.Set(reflect.ValueOf(types.Date{Time: t}))
	case src.Kind() == reflect.String && dst.Kind() == reflect.String:
		dst.SetString(src.String())
	case src.CanFloat() && dst.CanFloat():
		dst.SetFloat(src.Float())
	case src.Kind() == reflect.Bool && dst.Kind() == reflect.Bool:
		dst.SetBool(src.Bool())
	case src.Kind() == reflect.Map && src.Type().ConvertibleTo(dst.Type()):
		dst.Set(src.Convert(dst.Type()))
	case src.Type() == reflect.TypeFor[[]apitypes.IdentifyingInformationInput]():
		dst.Set(reflect.ValueOf(identifyingFromAPI(src.Interface().([]apitypes.IdentifyingInformationInput))))
	case src.Type() == reflect.TypeFor[[]kyc.IdentifyingInformation]() && dir == outbound:
		dst.Set(reflect.ValueOf(identifyingToAPI(src.Interface().([]kyc.IdentifyingInformation))))
	case src.Kind() == reflect.Struct && dst.Kind() == reflect.Struct:
		domain := dst.Type()
		if dir == outbound {
			domain = src.Type()
		}
		specs := kyc.TableOf(domain)
		if specs == nil {
			return fmt.Errorf("%s is not a struct of the field table", domain)
		}
		return convertStruct(dst, src, specs, dir)
	case src.Kind() == reflect.Slice && dst.Kind() == reflect.Slice:
		out := reflect.MakeSlice(dst.Type(), src.Len(), src.Len())
		for i := range src.Len() {
			if err := convert(out.Index(i), src.Index(i), dir); err != nil {
				return fmt.Errorf("%d: %w", i, err)
			}
		}
		dst.Set(out)
	default:
		return fmt.Errorf("cannot convert a %s to a %s", src.Type(), dst.Type())
	}
	return nil
}

var dateType = reflect.TypeFor[types.Date]()

// jsonMembers maps the JSON names of struct type t's members to their indexes, computed once
// per type.
func jsonMembers(t reflect.Type) map[string]int {
	if m, ok := membersByType.Load(t); ok {
		return m.(map[string]int)
	}
	m := make(map[string]int, t.NumField())
	for i := range t.NumField() {
		if name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); name != "" && name != "-" {
			m[name] = i
		}
	}
	membersByType.Store(t, m)
	return m
}

var membersByType sync.Map // reflect.Type -> map[string]int

// opt returns a pointer to v, or nil for the zero value, for optional response fields.
func opt[T comparable](v T) *T {
	var zero T
	if v == zero {
		return nil
	}
	return &v
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

// toAPICountry renders a country of the list.
func toAPICountry(c *country.Country) apitypes.Country {
	out := apitypes.Country{
		Code: apitypes.CountryCode(c.Code), Alpha2: c.Alpha2, Name: c.Name,
		Subdivisions: make([]apitypes.Subdivision, len(c.Subdivisions)), PostalCodeFormat: opt(c.PostalCodeFormat),
	}
	for i, s := range c.Subdivisions {
		out.Subdivisions[i] = apitypes.Subdivision{Code: s.Code, Name: s.Name, IsoCode: opt(s.ISOCode)}
	}
	return out
}
