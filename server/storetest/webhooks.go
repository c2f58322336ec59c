package storetest

import (
	"bytes"
	"encoding/hex"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/kiraapi/kira/server/kyc"
)

// newEndpoint creates an enabled endpoint of the tenant for the given types (none: every type).
func newEndpoint(t *testing.T, st kyc.WebhookStore, tenantID string, created time.Time, types ...kyc.EventType) *kyc.WebhookEndpoint {
	t.Helper()
	e := &kyc.WebhookEndpoint{
		ID: uuid.NewString(), TenantID: tenantID, URL: "https://hooks.test/" + uuid.NewString()[:8], Description: "receiver",
		Events: types, Status: kyc.EndpointEnabled, Secret: kyc.NewWebhookSecret(), CreatedAt: created, UpdatedAt: created,
	}
	if err := st.CreateWebhook(t.Context(), e); err != nil {
		t.Fatalf("CreateWebhook: %v", err)
	}
	return e
}

// appendEvent publishes an event of type typ about userID, created at, in its own transaction:
// appended, and queued to the subscribed endpoints (kyc.PublishEvent).
func appendEvent(t *testing.T, st kyc.Store, tenantID string, typ kyc.EventType, userID string, at time.Time) *kyc.Event {
	t.Helper()
	e, err := kyc.NewEvent(uuid.NewString(), tenantID, typ, userID, at, map[string]any{"user_id": userID})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.InTx(t.Context(), func(tx kyc.Tx) error { return kyc.PublishEvent(t.Context(), tx, e) }); err != nil {
		t.Fatalf("PublishEvent: %v", err)
	}
	return e
}

func sameEndpoint(t *testing.T, got, want *kyc.WebhookEndpoint) {
	t.Helper()
	g, w := *got, *want
	if !g.CreatedAt.Equal(w.CreatedAt) || !g.UpdatedAt.Equal(w.UpdatedAt) || !g.PreviousSecretExpiresAt.Equal(w.PreviousSecretExpiresAt) {
		t.Fatalf("endpoint times = %+v, want %+v", got, want)
	}
	g.CreatedAt, g.UpdatedAt, g.PreviousSecretExpiresAt = w.CreatedAt, w.UpdatedAt, w.PreviousSecretExpiresAt
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("endpoint = %+v, want %+v", got, want)
	}
}

func testWebhookEndpoints(t *testing.T, st kyc.Store) {
	ctx := t.Context()
	tn, other := newTenant(t, st), newTenant(t, st)
	older := newEndpoint(t, st, tn.ID, base, kyc.EventUserCreated, kyc.EventStatusChanged)
	newer := newEndpoint(t, st, tn.ID, base.Add(time.Minute))
	newEndpoint(t, st, other.ID, base)

	got, err := st.GetWebhook(ctx, tn.ID, older.ID)
	if err != nil {
		t.Fatalf("GetWebhook: %v", err)
	}
	sameEndpoint(t, got, older)
	list, err := st.ListWebhooks(ctx, tn.ID)
	if err != nil || len(list) != 2 || list[0].ID != newer.ID || list[1].ID != older.ID || list[0].Events != nil {
		t.Fatalf("ListWebhooks = %+v, %v; want newest first", list, err)
	}
	wantCode(t, st.CreateWebhook(ctx, older), kyc.EConflict)

	// Another tenant sees nothing and changes nothing.
	_, err = st.GetWebhook(ctx, other.ID, older.ID)
	wantCode(t, err, kyc.ENotFound)
	_, err = st.RotateWebhookSecret(ctx, other.ID, older.ID, kyc.NewWebhookSecret(), base)
	wantCode(t, err, kyc.ENotFound)
	if got, err := st.GetWebhook(ctx, tn.ID, older.ID); err != nil || got.Secret != older.Secret {
		t.Fatalf("another tenant's rotation changed the endpoint: %v", err)
	}
	wantCode(t, st.DeleteWebhook(ctx, other.ID, older.ID), kyc.ENotFound)

	// Rotation keeps the replaced secret until it expires.
	secret, expires := kyc.NewWebhookSecret(), base.Add(kyc.SecretOverlap)
	rotated, err := st.RotateWebhookSecret(ctx, tn.ID, older.ID, secret, base)
	if err != nil {
		t.Fatalf("RotateWebhookSecret: %v", err)
	}
	if rotated.Secret != secret || rotated.PreviousSecret != older.Secret || !rotated.PreviousSecretExpiresAt.Equal(expires) {
		t.Fatalf("rotated = %+v", rotated)
	}
	got, err = st.GetWebhook(ctx, tn.ID, older.ID)
	if err != nil {
		t.Fatal(err)
	}
	sameEndpoint(t, got, rotated)
	if s := got.SigningSecrets(expires.Add(-time.Second)); !slices.Equal(s, []string{secret, older.Secret}) {
		t.Fatalf("signing secrets before the expiry = %d", len(s))
	}

	if err := st.DeleteWebhook(ctx, tn.ID, older.ID); err != nil {
		t.Fatalf("DeleteWebhook: %v", err)
	}
	_, err = st.GetWebhook(ctx, tn.ID, older.ID)
	wantCode(t, err, kyc.ENotFound)
	wantCode(t, st.DeleteWebhook(ctx, tn.ID, older.ID), kyc.ENotFound)
	_, err = st.RotateWebhookSecret(ctx, tn.ID, uuid.NewString(), secret, base)
	wantCode(t, err, kyc.ENotFound)
}

// testRotateWhilePreviousSecretValid: a rotation while the secret the last one replaced still
// signs is refused, saying until when, and changes nothing; from that time on it succeeds. Of
// concurrent rotations of a fresh endpoint exactly one succeeds.
func testRotateWhilePreviousSecretValid(t *testing.T, st kyc.Store) {
	ctx := t.Context()
	tn := newTenant(t, st)
	e := newEndpoint(t, st, tn.ID, base)
	first, err := st.RotateWebhookSecret(ctx, tn.ID, e.ID, kyc.NewWebhookSecret(), base)
	if err != nil {
		t.Fatalf("RotateWebhookSecret: %v", err)
	}
	until := base.Add(kyc.SecretOverlap)
	for _, at := range []time.Time{base, base.Add(time.Hour), until.Add(-time.Microsecond)} {
		_, err := st.RotateWebhookSecret(ctx, tn.ID, e.ID, kyc.NewWebhookSecret(), at)
		if kerr := wantCode(t, err, kyc.EConflict); !strings.Contains(kerr.Message, until.Format(time.RFC3339)) {
			t.Fatalf("rotation at %v: %q does not say until when", at, kerr.Message)
		}
	}
	got, err := st.GetWebhook(ctx, tn.ID, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	sameEndpoint(t, got, first)
	if s := got.SigningSecrets(until.Add(-time.Second)); !slices.Equal(s, []string{first.Secret, e.Secret}) {
		t.Fatal("a refused rotation dropped the original secret before its expiry")
	}
	second, err := st.RotateWebhookSecret(ctx, tn.ID, e.ID, kyc.NewWebhookSecret(), until)
	if err != nil || second.PreviousSecret != first.Secret || !second.PreviousSecretExpiresAt.Equal(until.Add(kyc.SecretOverlap)) {
		t.Fatalf("rotation once the previous secret expired = %+v, %v", second, err)
	}

	fresh := newEndpoint(t, st, tn.ID, base)
	errs := make(chan error, 4)
	for range cap(errs) {
		go func() {
			_, err := st.RotateWebhookSecret(ctx, tn.ID, fresh.ID, kyc.NewWebhookSecret(), base)
			errs <- err
		}()
	}
	var ok int
	for range cap(errs) {
		if err := <-errs; err == nil {
			ok++
		} else {
			wantCode(t, err, kyc.EConflict)
		}
	}
	if ok != 1 {
		t.Fatalf("%d of %d concurrent rotations succeeded, want 1", ok, cap(errs))
	}
}

// testWebhookCap: a tenant has at most kyc.MaxWebhooks endpoints, even when creating them
// concurrently, and lists them all; other tenants are not counted, and deleting one frees a place.
func testWebhookCap(t *testing.T, st kyc.Store) {
	ctx := t.Context()
	tn, other := newTenant(t, st), newTenant(t, st)
	newEndpoint(t, st, other.ID, base)
	errs := make(chan error, kyc.MaxWebhooks+10)
	for i := range cap(errs) {
		go func() {
			errs <- st.CreateWebhook(ctx, &kyc.WebhookEndpoint{
				ID: uuid.NewString(), TenantID: tn.ID, URL: "https://hooks.test/cap", Status: kyc.EndpointEnabled,
				Secret: kyc.NewWebhookSecret(), CreatedAt: base.Add(time.Duration(i) * time.Second), UpdatedAt: base,
			})
		}()
	}
	var created int
	for range cap(errs) {
		if err := <-errs; err == nil {
			created++
		} else if kerr := wantCode(t, err, kyc.EConflict); !strings.Contains(kerr.Message, "100") {
			t.Fatalf("refusal %q does not name the limit", kerr.Message)
		}
	}
	list, err := st.ListWebhooks(ctx, tn.ID)
	if err != nil || created != kyc.MaxWebhooks || len(list) != kyc.MaxWebhooks {
		t.Fatalf("created %d, listed %d (%v); want %d", created, len(list), err, kyc.MaxWebhooks)
	}
	wantCode(t, st.CreateWebhook(ctx, &kyc.WebhookEndpoint{ID: uuid.NewString(), TenantID: tn.ID, URL: "https://hooks.test/x",
		Status: kyc.EndpointEnabled, Secret: kyc.NewWebhookSecret()}), kyc.EConflict)
	if err := st.DeleteWebhook(ctx, tn.ID, list[0].ID); err != nil {
		t.Fatal(err)
	}
	newEndpoint(t, st, tn.ID, base)
}

func deliveryEndpoints(deliveries []*kyc.Delivery) []string {
	out := make([]string, len(deliveries))
	for i, d := range deliveries {
		out[i] = d.EndpointID
	}
	slices.Sort(out)
	return out
}

func testDeliveriesFanOut(t *testing.T, st kyc.Store) {
	ctx := t.Context()
	in := inspector(t, st)
	tn, other := newTenant(t, st), newTenant(t, st)
	all := newEndpoint(t, st, tn.ID, base)
	created := newEndpoint(t, st, tn.ID, base, kyc.EventUserCreated)
	newEndpoint(t, st, tn.ID, base, kyc.EventVerificationAccepted)
	disabled := &kyc.WebhookEndpoint{ID: uuid.NewString(), TenantID: tn.ID, URL: "https://hooks.test/off", Status: kyc.EndpointDisabled, Secret: kyc.NewWebhookSecret()}
	if err := st.CreateWebhook(ctx, disabled); err != nil {
		t.Fatal(err)
	}
	newEndpoint(t, st, other.ID, base)

	e := appendEvent(t, st, tn.ID, kyc.EventUserCreated, uuid.NewString(), base)
	deliveries, err := st.ListDeliveries(ctx, tn.ID, e.ID)
	if err != nil {
		t.Fatalf("ListDeliveries: %v", err)
	}
	want := []string{all.ID, created.ID}
	slices.Sort(want)
	if got := deliveryEndpoints(deliveries); !slices.Equal(got, want) {
		t.Fatalf("deliveries to %v, want the enabled subscribed endpoints %v", got, want)
	}
	for _, d := range deliveries {
		if d.Status != kyc.DeliveryPending || d.TenantID != tn.ID || d.EventID != e.ID || len(d.Attempts) != 0 || d.NextAttemptAt.IsZero() {
			t.Fatalf("new delivery = %+v", d)
		}
	}
	queued, err := in.QueuedDeliveries(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range deliveries {
		if !slices.Contains(queued, d.ID) {
			t.Fatalf("delivery %s has no job", d.ID)
		}
	}
	if others, err := st.ListDeliveries(ctx, other.ID, e.ID); err != nil || len(others) != 0 {
		t.Fatalf("another tenant's view of the deliveries = %d, %v", len(others), err)
	}

	// An event rolled back queues nothing.
	boom := errors.New("boom")
	rolled, err := kyc.NewEvent(uuid.NewString(), tn.ID, kyc.EventUserCreated, uuid.NewString(), base, map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	err = st.InTx(ctx, func(tx kyc.Tx) error {
		if err := kyc.PublishEvent(ctx, tx, rolled); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx = %v", err)
	}
	if after, err := in.QueuedDeliveries(ctx); err != nil || len(after) != len(queued) {
		t.Fatalf("jobs after a rollback = %d, %v; want %d", len(after), err, len(queued))
	}

	// A redelivery queues one more delivery per subscribed endpoint.
	webhooks := kyc.NewWebhookService(st)
	n, err := webhooks.Redeliver(ctx, tn.ID, e.ID)
	if err != nil || n != 2 {
		t.Fatalf("Redeliver = %d, %v; want 2", n, err)
	}
	if deliveries, err = st.ListDeliveries(ctx, tn.ID, e.ID); err != nil || len(deliveries) != 4 {
		t.Fatalf("deliveries after a redelivery = %d, %v", len(deliveries), err)
	}
	_, err = webhooks.Redeliver(ctx, other.ID, e.ID)
	wantCode(t, err, kyc.ENotFound)
}

func testDeliveryAttempts(t *testing.T, st kyc.Store) {
	ctx := t.Context()
	tn := newTenant(t, st)
	endpoint := newEndpoint(t, st, tn.ID, base, kyc.EventUserCreated)
	first := appendEvent(t, st, tn.ID, kyc.EventUserCreated, uuid.NewString(), base)
	second := appendEvent(t, st, tn.ID, kyc.EventUserCreated, uuid.NewString(), base.Add(time.Second))
	deliveryOf := func(e *kyc.Event) *kyc.Delivery {
		t.Helper()
		deliveries, err := st.ListDeliveries(ctx, tn.ID, e.ID)
		if err != nil || len(deliveries) != 1 {
			t.Fatalf("ListDeliveries = %d, %v", len(deliveries), err)
		}
		return deliveries[0]
	}

	d, gotEndpoint, gotEvent, err := st.LoadDelivery(ctx, deliveryOf(first).ID)
	if err != nil {
		t.Fatalf("LoadDelivery: %v", err)
	}
	sameEndpoint(t, gotEndpoint, endpoint)
	if gotEvent.ID != first.ID || string(gotEvent.Payload) != string(first.Payload) {
		t.Fatalf("event = %+v, want the payload's bytes %s", gotEvent, first.Payload)
	}

	failed := kyc.DeliveryAttempt{Attempt: 1, At: base.Add(time.Minute), StatusCode: 500, Latency: 120 * time.Millisecond,
		Error: "receiver answered 500", ResponseExcerpt: "oops: ünïcode"}
	d.NextAttemptAt = base.Add(2 * time.Minute)
	if err := st.RecordDeliveryAttempt(ctx, d, failed, false); err != nil {
		t.Fatalf("RecordDeliveryAttempt: %v", err)
	}
	wantCode(t, st.RecordDeliveryAttempt(ctx, d, failed, false), kyc.EConflict)
	ok := kyc.DeliveryAttempt{Attempt: 2, At: base.Add(3 * time.Minute), StatusCode: 204, Latency: 7 * time.Millisecond}
	d.Status, d.NextAttemptAt = kyc.DeliverySucceeded, time.Time{}
	if err := st.RecordDeliveryAttempt(ctx, d, ok, false); err != nil {
		t.Fatalf("RecordDeliveryAttempt: %v", err)
	}
	got := deliveryOf(first)
	if got.Status != kyc.DeliverySucceeded || !got.NextAttemptAt.IsZero() || len(got.Attempts) != 2 {
		t.Fatalf("delivery = %+v", got)
	}
	for i, want := range []kyc.DeliveryAttempt{failed, ok} {
		if a := got.Attempts[i]; !a.At.Equal(want.At) || a.Attempt != want.Attempt || a.StatusCode != want.StatusCode ||
			a.Latency != want.Latency || a.Error != want.Error || a.ResponseExcerpt != want.ResponseExcerpt {
			t.Fatalf("attempt %d = %+v, want %+v", i+1, a, want)
		}
	}
	// A settled delivery is neither cancelled nor changed by a late record.
	if err := st.CancelDelivery(ctx, got.ID); err != nil || deliveryOf(first).Status != kyc.DeliverySucceeded {
		t.Fatalf("CancelDelivery of a succeeded delivery: %v, %s", err, deliveryOf(first).Status)
	}

	// 410 Gone: the endpoint is disabled and its other pending deliveries cancelled.
	redelivered := appendEvent(t, st, tn.ID, kyc.EventUserCreated, uuid.NewString(), base.Add(2*time.Second))
	gone := deliveryOf(second)
	gone.Status = kyc.DeliveryCanceled
	if err := st.RecordDeliveryAttempt(ctx, gone, kyc.DeliveryAttempt{Attempt: 1, At: base, StatusCode: 410, Error: "receiver answered 410"}, true); err != nil {
		t.Fatalf("RecordDeliveryAttempt(disable): %v", err)
	}
	if e, err := st.GetWebhook(ctx, tn.ID, endpoint.ID); err != nil || e.Status != kyc.EndpointDisabled {
		t.Fatalf("endpoint after 410 = %+v, %v", e, err)
	}
	if s := deliveryOf(second).Status; s != kyc.DeliveryCanceled {
		t.Fatalf("the 410 delivery is %s", s)
	}
	if s := deliveryOf(redelivered).Status; s != kyc.DeliveryCanceled {
		t.Fatalf("another pending delivery of the disabled endpoint is %s", s)
	}
	if n, err := kyc.NewWebhookService(st).Redeliver(ctx, tn.ID, first.ID); err != nil || n != 0 {
		t.Fatalf("Redeliver to a disabled endpoint = %d, %v", n, err)
	}
}

func testDeleteWebhookCancelsDeliveries(t *testing.T, st kyc.Store) {
	ctx := t.Context()
	tn := newTenant(t, st)
	endpoint := newEndpoint(t, st, tn.ID, base)
	e := appendEvent(t, st, tn.ID, kyc.EventStatusChanged, uuid.NewString(), base)
	if err := st.DeleteWebhook(ctx, tn.ID, endpoint.ID); err != nil {
		t.Fatal(err)
	}
	deliveries, err := st.ListDeliveries(ctx, tn.ID, e.ID)
	if err != nil || len(deliveries) != 1 || deliveries[0].Status != kyc.DeliveryCanceled || deliveries[0].EndpointID != endpoint.ID {
		t.Fatalf("deliveries after the delete = %+v, %v", deliveries, err)
	}
	d, gotEndpoint, _, err := st.LoadDelivery(ctx, deliveries[0].ID)
	if err != nil || gotEndpoint != nil || d.Status != kyc.DeliveryCanceled {
		t.Fatalf("LoadDelivery = %+v, %+v, %v; want no endpoint", d, gotEndpoint, err)
	}
	_, _, _, err = st.LoadDelivery(ctx, uuid.NewString())
	wantCode(t, err, kyc.ENotFound)
}

func eventIDs(events []*kyc.Event) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = e.ID
	}
	return out
}

func testListEvents(t *testing.T, st kyc.Store) {
	ctx := t.Context()
	tn, other := newTenant(t, st), newTenant(t, st)
	alice, bob := uuid.NewString(), uuid.NewString()
	var events []*kyc.Event
	for i, typ := range []kyc.EventType{kyc.EventUserCreated, kyc.EventStatusChanged, kyc.EventUserCreated, kyc.EventStatusChanged, kyc.EventVerificationAccepted} {
		user := alice
		if i%2 == 1 {
			user = bob
		}
		at := base.Add(time.Duration(min(i, 3)) * time.Minute) // the last two tie
		events = append(events, appendEvent(t, st, tn.ID, typ, user, at))
	}
	slices.SortFunc(events, func(a, b *kyc.Event) int { // newest first
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	appendEvent(t, st, other.ID, kyc.EventUserCreated, alice, base)

	filtered := func(keep func(*kyc.Event) bool) []string {
		var out []string
		for _, e := range events {
			if keep(e) {
				out = append(out, e.ID)
			}
		}
		return out
	}
	tests := []struct {
		name   string
		filter kyc.EventFilter
		want   []string
	}{
		{"all, one per page", kyc.EventFilter{Limit: 1}, eventIDs(events)},
		{"all, two per page", kyc.EventFilter{Limit: 2}, eventIDs(events)},
		{"type", kyc.EventFilter{Type: kyc.EventUserCreated}, filtered(func(e *kyc.Event) bool { return e.Type == kyc.EventUserCreated })},
		{"user", kyc.EventFilter{UserID: bob, Limit: 1}, filtered(func(e *kyc.Event) bool { return e.UserID == bob })},
		{"type and user", kyc.EventFilter{Type: kyc.EventStatusChanged, UserID: alice}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			f := tc.filter
			for pages := 0; ; pages++ {
				page, next, err := st.ListEvents(ctx, tn.ID, f)
				if err != nil {
					t.Fatal(err)
				}
				if (f.Limit > 0 && len(page) > f.Limit) || pages > 10 {
					t.Fatalf("page of %d", len(page))
				}
				got = append(got, eventIDs(page)...)
				if next == "" {
					break
				}
				f.Cursor = next
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
	got, err := st.GetEvent(ctx, tn.ID, events[0].ID)
	if err != nil || got.ID != events[0].ID || got.Type != events[0].Type || got.UserID != events[0].UserID ||
		!got.CreatedAt.Equal(events[0].CreatedAt) || !bytes.Equal(got.Payload, events[0].Payload) {
		t.Fatalf("GetEvent = %+v, %v", got, err)
	}
	_, err = st.GetEvent(ctx, other.ID, events[0].ID)
	wantCode(t, err, kyc.ENotFound)
	_, _, err = st.ListEvents(ctx, tn.ID, kyc.EventFilter{Cursor: "not a cursor!"})
	if e := wantCode(t, err, kyc.EInvalid); len(e.Fields) != 1 || e.Fields[0].Field != "cursor" {
		t.Fatalf("invalid cursor: %+v", e)
	}
}

func testPruneEvents(t *testing.T, st kyc.Store) {
	ctx := t.Context()
	tn := newTenant(t, st)
	newEndpoint(t, st, tn.ID, base)
	old := appendEvent(t, st, tn.ID, kyc.EventUserCreated, uuid.NewString(), base.Add(-31*24*time.Hour))
	recent := appendEvent(t, st, tn.ID, kyc.EventUserCreated, uuid.NewString(), base.Add(-29*24*time.Hour))
	deliveries, err := st.ListDeliveries(ctx, tn.ID, old.ID)
	if err != nil || len(deliveries) != 1 {
		t.Fatalf("deliveries = %d, %v", len(deliveries), err)
	}
	d := deliveries[0]
	d.Status = kyc.DeliveryExhausted
	if err := st.RecordDeliveryAttempt(ctx, d, kyc.DeliveryAttempt{Attempt: 1, At: old.CreatedAt, Error: "connection refused"}, false); err != nil {
		t.Fatal(err)
	}

	n, err := st.PruneEvents(ctx, base.Add(-30*24*time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("PruneEvents = %d, %v; want 1", n, err)
	}
	_, err = st.GetEvent(ctx, tn.ID, old.ID)
	wantCode(t, err, kyc.ENotFound)
	_, _, _, err = st.LoadDelivery(ctx, d.ID)
	wantCode(t, err, kyc.ENotFound)
	if _, err := st.GetEvent(ctx, tn.ID, recent.ID); err != nil {
		t.Fatalf("a recent event was pruned: %v", err)
	}
	if n, err := st.PruneEvents(ctx, base.Add(-30*24*time.Hour)); err != nil || n != 0 {
		t.Fatalf("PruneEvents again = %d, %v", n, err)
	}
}

// testNoPlaintextWebhookSecrets creates and rotates an endpoint, then finds neither secret in
// anything the database holds.
func testNoPlaintextWebhookSecrets(t *testing.T, st kyc.Store) {
	in := inspector(t, st)
	tn := newTenant(t, st)
	endpoint := newEndpoint(t, st, tn.ID, base)
	rotated, err := st.RotateWebhookSecret(t.Context(), tn.ID, endpoint.ID, kyc.NewWebhookSecret(), base)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := in.RawContents(t.Context())
	if err != nil {
		t.Fatalf("RawContents: %v", err)
	}
	if !bytes.Contains(raw, []byte(endpoint.URL)) {
		t.Fatal("RawContents does not show the endpoint's URL: the check would prove nothing")
	}
	for _, secret := range []string{endpoint.Secret, rotated.Secret} {
		key := strings.TrimPrefix(secret, "whsec_")
		for _, s := range []string{secret, key, hex.EncodeToString([]byte(secret)), hex.EncodeToString([]byte(key))} {
			if bytes.Contains(raw, []byte(s)) {
				t.Errorf("the database holds a webhook secret in the clear (%.12s...)", s)
			}
		}
	}
}
