package httpapi_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kiraapi/kira/server/app"
	"github.com/kiraapi/kira/server/kyc"
	"github.com/kiraapi/kira/server/storetest"
)

// erasedUser is the user the erasure tests erase: every value is distinctive, so that finding it
// anywhere means it was not erased. erasedValues are its values long enough to be found by chance
// in no random bytes.
const erasedUser = `{"type":"individual","email":"wilhelmina.quixotica@erasure.example","phone":"+14155559371",
	"first_name":"Wilhelmina","last_name":"Quixotica","birth_date":"1953-04-27","ssn":"538-27-1946",
	"document_type":"passport","document_number":"ZK4817263","document_country":"USA",
	"address_street":"77 Zanzibar Lane","address_city":"Quimperville","address_state":"OR",
	"address_zip_code":"97035","address_country":"USA","metadata":{"crm_ref":"QX-META-58213"}}`

var (
	erasedValues = []string{"wilhelmina.quixotica@erasure.example", "+14155559371", "Wilhelmina", "Quixotica", "1953-04-27", "538-27-1946", "538271946", "ZK4817263", "77 Zanzibar Lane", "Quimperville", "QX-META-58213"}
)

// keptUser is a user that stays, beside the erased one: it proves that the checks can see data.
const keptUser = `{"type":"individual","email":"kept.user@erasure.example","first_name":"Keptina","last_name":"Stays",
	"birth_date":"1971-09-03","ssn":"629-38-4175","document_type":"passport","document_number":"KP5928374","document_country":"USA",
	"address_street":"12 Remaining Road","address_city":"Portland","address_state":"OR","address_zip_code":"97201","address_country":"USA"}`

// newEchoReceiver is a webhook receiver that answers every delivery 200 with the delivery's own
// body, so that the response excerpt kept with the delivery holds personal data.
func newEchoReceiver(t *testing.T) *receiver {
	t.Helper()
	r := &receiver{got: make(chan received, 100)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		_, _ = w.Write(body)
		r.got <- received{header: req.Header.Clone(), body: body}
	}))
	t.Cleanup(srv.Close)
	r.url = srv.URL + "/hooks/echo"
	return r
}

// drain returns the bodies of the deliveries received so far.
func (r *receiver) drain() []byte {
	var out []byte
	for {
		select {
		case d := <-r.got:
			out = append(out, d.body...)
		default:
			return out
		}
	}
}

// TestErasureLeavesNothingReadable erases a verified user whose data went everywhere (the users
// table, its events, their deliveries and the receivers' echoed responses, a cached idempotent
// response) and proves, on each backend, that none of its values remains readable: not through
// the API (the user, the user list, the events and their deliveries), not in what a webhook
// receiver gets afterwards (the user.redacted event, a redelivery of its user.created event), not
// in the logs, not in the raw database (files and WAL on SQLite, every row on PostgreSQL), and
// not in a backup of the data taken before the erasure and restored after it with the keyring:
// the user's fields and its events' personal data no longer open, because its data key is gone,
// and none is in the clear (but in what a receiver echoed back, kept as its response excerpt). A user kept beside it stays whole
// everywhere, so each check can see data.
func TestErasureLeavesNothingReadable(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, env *testEnv) {
		ctx := t.Context()
		a := env.tenant(t, "acme")
		echo := newEchoReceiver(t)
		env.createWebhook(t, a, map[string]any{"url": echo.url})
		settled := env.deliveryJobs(t, nil)
		resp, raw := env.srv.Do(t, "POST", "/v1/users", a.headers("Idempotency-Key", "erase-me"), erasedUser)
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("create: %d %s", resp.StatusCode, raw)
		}
		id := decode[user](t, raw).ID
		keptID := env.createUser(t, a, keptUser)
		// Each user's user.created, two status changes and verification.accepted are delivered.
		awaitSettled(t, settled, 8)
		if u := env.getUser(t, a, id); u.Status != "VERIFIED" || u.Phone == "" {
			t.Fatalf("before erasure: %+v", u)
		}

		// Backups taken before the erasure: the data, and the key table, which is backed up apart.
		isKeys := func(table string) bool { return table == "user_keys" }
		data, err := env.inspect.Dump(ctx, func(table string) bool { return !isKeys(table) })
		if err != nil {
			t.Fatal(err)
		}
		keysBefore, err := env.inspect.Dump(ctx, isKeys)
		if err != nil {
			t.Fatal(err)
		}
		// The backup but for the receivers' responses (delivery_attempts.response_excerpt), which
		// hold what receivers sent back: an echoing receiver sent back personal data in the clear.
		dataButExcerpts, err := env.inspect.Dump(ctx, func(table string) bool { return !isKeys(table) && table != "delivery_attempts" })
		if err != nil {
			t.Fatal(err)
		}
		echo.drain()
		events := env.userEvents(t, a, id)
		created := events[len(events)-1]
		if ev := env.event(t, a, created); len(ev.Deliveries) != 1 || len(ev.Deliveries[0].Attempts) != 1 ||
			!strings.Contains(ev.Deliveries[0].Attempts[0].ResponseExcerpt, "wilhelmina") {
			t.Fatalf("the receiver's echo is not kept as the excerpt: the check would prove nothing: %+v", ev.Deliveries)
		}

		resp, raw = env.srv.Do(t, "POST", "/v1/users/"+id+"/redact", a.headers("Idempotency-Key", "redact-1"), nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("redact: %d %s", resp.StatusCode, raw)
		}
		tombstone := decode[map[string]any](t, raw)
		wantKeys := []string{"created_at", "email", "id", "metadata", "missing_fields", "redacted_at", "status", "type", "updated_at", "verification_attempts", "verification_triggered"}
		if got := slices.Sorted(maps.Keys(tombstone)); !slices.Equal(got, wantKeys) || tombstone["email"] != kyc.RedactedEmail ||
			tombstone["status"] != "VERIFIED" || tombstone["redacted_at"] != tombstone["updated_at"] {
			t.Errorf("tombstone: %s", raw)
		}
		// Redacting again, with another key, changes nothing; the first key replays.
		resp, again := env.srv.Do(t, "POST", "/v1/users/"+id+"/redact", a.headers("Idempotency-Key", "redact-2"), nil)
		if resp.StatusCode != http.StatusOK || !bytes.Equal(again, raw) {
			t.Errorf("second redaction: %d %s, want the tombstone %s", resp.StatusCode, again, raw)
		}
		resp, replay := env.srv.Do(t, "POST", "/v1/users/"+id+"/redact", a.headers("Idempotency-Key", "redact-1"), nil)
		if resp.Header.Get("Idempotent-Replayed") != "true" || !bytes.Equal(replay, raw) {
			t.Errorf("replay: %v %s", resp.Header, replay)
		}
		for _, change := range []struct {
			method, path string
			body         any
		}{
			{"PUT", "/v1/users/" + id, map[string]any{"first_name": "Back"}},
			{"POST", "/v1/users/" + id + "/verifications", map[string]any{"type": "embedded-link", "redirect_uri": "https://app.example/done"}},
		} {
			resp, raw := env.srv.Do(t, change.method, change.path, a.headers("Idempotency-Key", "change-"+change.method), change.body)
			if resp.StatusCode != http.StatusConflict || decode[errorBody](t, raw).Code != "invalid_transition" {
				t.Errorf("%s %s after erasure: %d %s", change.method, change.path, resp.StatusCode, raw)
			}
		}
		// The user.redacted event is delivered; so is a redelivery of the user's first event.
		if resp, raw := env.srv.Do(t, "POST", "/v1/events/"+created+"/redeliver", a.headers(), nil); resp.StatusCode != http.StatusAccepted && resp.StatusCode != http.StatusOK {
			t.Fatalf("redeliver: %d %s", resp.StatusCode, raw)
		}
		awaitSettled(t, settled, 2)
		delivered := echo.drain()
		if !bytes.Contains(delivered, []byte(`"user.redacted"`)) || !bytes.Contains(delivered, []byte(kyc.RedactedEmail)) {
			t.Errorf("the receiver did not get the user.redacted event and the redelivery: %s", delivered)
		}

		// Everything the API shows about the user.
		var api []byte
		events = env.userEvents(t, a, id)
		for _, path := range []string{"/v1/users/" + id, "/v1/users?limit=100", "/v1/events?limit=100&user_id=" + id} {
			_, raw := env.srv.Do(t, "GET", path, a.headers(), nil)
			api = append(api, raw...)
		}
		if len(events) != 5 {
			t.Errorf("the user has %d events, want its 4 and user.redacted", len(events))
		}
		for _, e := range events {
			ev := env.event(t, a, e)
			raw, err := json.Marshal(ev)
			if err != nil {
				t.Fatal(err)
			}
			api = append(api, raw...)
		}
		if !bytes.Contains(api, []byte("kept.user@erasure.example")) {
			t.Fatal("the API does not show the kept user: the check would prove nothing")
		}

		keysAfter, err := env.inspect.Dump(ctx, isKeys)
		if err != nil {
			t.Fatal(err)
		}
		// The response cached for the user's creation is purged; the redactions' (tombstones) stay.
		idempotency, err := env.inspect.Dump(ctx, func(table string) bool { return table == "idempotency_keys" })
		if err != nil {
			t.Fatal(err)
		}
		createKey := env.options.Keyring.Hash("idempotency-key", "erase-me")
		cached := func(d *storetest.Dump) (create bool, aboutUser int) {
			for _, rec := range d.Rows("idempotency_keys") {
				create = create || rec["key_hash"] == createKey
				if rec["user_id"] == id {
					aboutUser++
				}
			}
			return create, aboutUser
		}
		if create, _ := cached(data); !create {
			t.Fatal("the creation's idempotency record is not in the backup: the check would prove nothing")
		}
		if create, aboutUser := cached(idempotency); create || aboutUser != 2 {
			t.Errorf("after erasure: creation's record kept %v, %d records about the user (want the 2 redactions)", create, aboutUser)
		}

		// The data backup taken before the erasure, restored with the key table as it is now: the
		// erased user's data does not open; the kept user's does.
		restored := env.inspect.Restore(t, env.options.Keyring, data, keysAfter)
		if _, err := restored.GetUser(ctx, a.id, id); err == nil {
			t.Error("the erased user's data opens from the backup taken before the erasure")
		}
		if u, err := restored.GetUser(ctx, a.id, keptID); err != nil || u.Fields.SSN != "629-38-4175" {
			t.Errorf("the kept user does not open from the backup: %v", err)
		}
		// With the keys of the time of the backup, the erased user's data did open: the key
		// table's backups must be kept apart, and no longer than the erasure deadline.
		if u, err := env.inspect.Restore(t, env.options.Keyring, data, keysBefore).GetUser(ctx, a.id, id); err != nil || u.Fields.SSN != "538-27-1946" {
			t.Errorf("the backup with the keys of its time does not open: %v", err)
		}
		backup := dataButExcerpts.Text()
		if !bytes.Contains(backup, []byte(keptID)) {
			t.Fatal("the backup does not show the kept user: the check would prove nothing")
		}
		for _, s := range erasedValues {
			if bytes.Contains(backup, []byte(s)) {
				t.Errorf("the backup holds %q in the clear", s)
			}
		}

		env.stopWorkers()
		logs := env.logs.String()
		dbRaw, err := env.inspect.RawContents(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(dbRaw, []byte("kept.user@erasure.example")) {
			t.Fatal("the raw database does not show the kept user: the check would prove nothing")
		}
		for _, s := range erasedValues {
			for where, got := range map[string][]byte{"the API": api, "the deliveries": delivered, "the logs": []byte(logs), "the raw database": dbRaw} {
				if bytes.Contains(got, []byte(s)) {
					t.Errorf("%s still holds %q", where, s)
				}
			}
		}
		// The user's data key, as it was stored, is nowhere either.
		for _, k := range keysBefore.Rows("user_keys") {
			sealed, _ := k["data_key"].([]byte)
			if k["user_id"] == id && (bytes.Contains(dbRaw, sealed) || bytes.Contains(dbRaw, []byte(hex.EncodeToString(sealed)))) {
				t.Error("the raw database still holds the erased user's sealed data key")
			}
		}
	})
}

// TestRetentionErasesOnlyUsersPastTheirPeriod leaves an incomplete user CREATED and a rejected
// one REJECTED past their retention periods, beside users still within them and a verified one,
// and checks that a retention pass erases exactly the two, with user.redacted events whose reason
// is retention, and that a second pass erases nothing more.
func TestRetentionErasesOnlyUsersPastTheirPeriod(t *testing.T) {
	t.Parallel()
	retention := kyc.Retention{Created: 48 * time.Hour, Rejected: 72 * time.Hour}
	forEachBackend(t, func(t *testing.T, env *testEnv) {
		a := env.tenant(t, "acme")
		staleCreated := env.createUser(t, a, incompleteUser("stale@example.com"))
		rejected := env.createAndSettle(t, a, "rejected", withSSN("111-11-1111")).ID
		verified := env.createAndSettle(t, a, "verified", seedUser).ID
		env.clock.Advance(60 * time.Hour) // past Created, within Rejected
		env.logIn(t, a)
		freshCreated := env.createUser(t, a, incompleteUser("fresh@example.com"))

		n, err := env.app.Users.EraseExpired(t.Context(), retention)
		if err != nil || n != 1 {
			t.Fatalf("first pass erased %d users (%v), want the stale CREATED one", n, err)
		}
		env.clock.Advance(13 * time.Hour) // past Rejected too
		env.logIn(t, a)
		if n, err = env.app.Users.EraseExpired(t.Context(), retention); err != nil || n != 1 {
			t.Fatalf("second pass erased %d users (%v), want the REJECTED one", n, err)
		}
		if n, err = env.app.Users.EraseExpired(t.Context(), retention); err != nil || n != 0 {
			t.Fatalf("third pass erased %d users (%v), want none", n, err)
		}
		for id, wantErased := range map[string]bool{staleCreated: true, rejected: true, verified: false, freshCreated: false} {
			_, raw := env.srv.Do(t, "GET", "/v1/users/"+id, a.headers(), nil)
			got := decode[map[string]any](t, raw)
			if _, erased := got["redacted_at"]; erased != wantErased {
				t.Errorf("user %s: erased %v, want %v: %s", got["email"], erased, wantErased, raw)
			}
			if !wantErased {
				continue
			}
			types, data := env.events(t, a, id)
			if last := len(types) - 1; types[last] != "user.redacted" || data[last]["reason"] != "retention" {
				t.Errorf("last event %s %v, want user.redacted by retention", types[last], data[last])
			}
		}
	})
}

// TestErasureCancelsAPendingVerification erases a user in REVIEW and one in VERIFYING (its
// decision held back): each keeps its status, the review can no longer be decided (409), and the
// verification's decision, when it comes, changes nothing and emits nothing.
func TestErasureCancelsAPendingVerification(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, env *testEnv) {
		a := env.tenant(t, "acme")
		review := env.createUser(t, a, withSSN("222-22-2222"))
		if err := env.app.Users.ApplyDecision(t.Context(), a.id, review, 1, kyc.Decision{Status: kyc.StatusReview}); err != nil {
			t.Fatal(err)
		}
		verifying := env.createUser(t, a, withSSN("333-44-5555"))
		for id, status := range map[string]string{review: "REVIEW", verifying: "VERIFYING"} {
			resp, raw := env.srv.Do(t, "POST", "/v1/users/"+id+"/redact", a.headers("Idempotency-Key", "redact-"+status), nil)
			if got := decode[map[string]any](t, raw); resp.StatusCode != http.StatusOK || got["status"] != status || got["redacted_at"] == nil {
				t.Errorf("redact a %s user: %d %s", status, resp.StatusCode, raw)
			}
		}
		resp, raw := env.srv.Do(t, "POST", "/v1/sandbox/users/"+review+"/review", a.headers(), map[string]string{"decision": "approve"})
		if resp.StatusCode != http.StatusConflict || decode[errorBody](t, raw).Code != "invalid_transition" {
			t.Errorf("review after erasure: %d %s", resp.StatusCode, raw)
		}
		before, _ := env.events(t, a, verifying)
		err := env.app.Users.ApplyDecision(t.Context(), a.id, verifying, 1, kyc.Decision{Status: kyc.StatusVerified})
		after, _ := env.events(t, a, verifying)
		if u := env.getUser(t, a, verifying); err != nil || u.Status != "VERIFYING" || len(after) != len(before) {
			t.Errorf("a decision after erasure: %v, status %s, events %v -> %v", err, u.Status, before, after)
		}
	}, func(o *app.Options) { o.VerificationDelay = 365 * 24 * time.Hour })
}
