package storetest

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/kiraapi/kira/openapi/timestamp"
	"github.com/kiraapi/kira/server/kyc"
)

func testUserRoundTrip(t *testing.T, st kyc.Store) {
	tn := newTenant(t, st)
	for _, want := range []*kyc.User{individual(tn.ID), business(tn.ID)} {
		insertUser(t, st, want)
		sameUser(t, mustGetUser(t, st, tn.ID, want.ID), want)
		err := st.InTx(t.Context(), func(tx kyc.Tx) error {
			got, err := tx.GetUserForUpdate(t.Context(), tn.ID, want.ID)
			if err != nil {
				return err
			}
			sameUser(t, got, want)
			return nil
		})
		if err != nil {
			t.Fatalf("GetUserForUpdate: %v", err)
		}
	}
}

func testTimestamps(t *testing.T, st kyc.Store) {
	tn := newTenant(t, st)
	u := individual(tn.ID)
	u.CreatedAt = time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.FixedZone("UTC+5", 5*3600))
	u.UpdatedAt = u.CreatedAt.Add(time.Second)
	insertUser(t, st, u)
	got := mustGetUser(t, st, tn.ID, u.ID)
	want := time.Date(2026, 1, 1, 22, 4, 5, 123456000, time.UTC)
	if got.CreatedAt != want || got.UpdatedAt != want.Add(time.Second) {
		t.Fatalf("times = %v, %v; want %v and a second later, in UTC to the microsecond", got.CreatedAt, got.UpdatedAt, want)
	}
	if u.CreatedAt != want {
		t.Fatalf("InsertUser left CreatedAt = %v, want the stored %v", u.CreatedAt, want)
	}
}

func testTenantScoping(t *testing.T, st kyc.Store) {
	a, b := newTenant(t, st), newTenant(t, st)
	u := individual(a.ID)
	insertUser(t, st, u)

	_, err := st.GetUser(t.Context(), b.ID, u.ID)
	if e := wantCode(t, err, kyc.ENotFound); e.Message != "User not found." {
		t.Fatalf("message = %q", e.Message)
	}
	_, err = st.GetUser(t.Context(), a.ID, uuid.NewString())
	wantCode(t, err, kyc.ENotFound)
	err = st.InTx(t.Context(), func(tx kyc.Tx) error {
		_, err := tx.GetUserForUpdate(t.Context(), b.ID, u.ID)
		return err
	})
	wantCode(t, err, kyc.ENotFound)

	stolen := *u
	stolen.TenantID, stolen.Status = b.ID, kyc.StatusVerified
	err = st.InTx(t.Context(), func(tx kyc.Tx) error { return tx.UpdateUser(t.Context(), &stolen) })
	wantCode(t, err, kyc.ENotFound)
	if got := mustGetUser(t, st, a.ID, u.ID); got.Status != kyc.StatusCreated {
		t.Fatalf("another tenant changed the user's status to %s", got.Status)
	}

	users, next, err := st.ListUsers(t.Context(), b.ID, kyc.UserFilter{Email: u.Fields.Email})
	if err != nil || len(users) != 0 || next != "" {
		t.Fatalf("ListUsers of another tenant = %d users, %q, %v; want none", len(users), next, err)
	}
}

func testDuplicateUser(t *testing.T, st kyc.Store) {
	tn := newTenant(t, st)
	u := individual(tn.ID)
	insertUser(t, st, u)
	again := individual(tn.ID)
	again.ID = u.ID
	err := st.InTx(t.Context(), func(tx kyc.Tx) error { return tx.InsertUser(t.Context(), again) })
	wantCode(t, err, kyc.EConflict)
}

func testUpdateUser(t *testing.T, st kyc.Store) {
	tn := newTenant(t, st)
	u := individual(tn.ID)
	insertUser(t, st, u)
	var want *kyc.User
	err := st.InTx(t.Context(), func(tx kyc.Tx) error {
		got, err := tx.GetUserForUpdate(t.Context(), tn.ID, u.ID)
		if err != nil {
			return err
		}
		got.Status, got.Attempts = kyc.StatusRejected, 1
		got.Fields.Email, got.Fields.SSN, got.Fields.Metadata = "new@example.com", "222-33-4444", nil
		got.Reasons = []kyc.Reason{{Reason: "Mismatch.", CreatedAt: timestamp.Of(base.Add(time.Minute))}}
		got.UpdatedAt = base.Add(time.Hour)
		want = got
		return tx.UpdateUser(t.Context(), got)
	})
	if err != nil {
		t.Fatalf("update: %v", err)
	}
	got := mustGetUser(t, st, tn.ID, u.ID)
	sameUser(t, got, want)
	if !got.CreatedAt.Equal(u.CreatedAt) {
		t.Fatalf("CreatedAt changed to %v", got.CreatedAt)
	}
	for email, n := range map[string]int{"new@example.com": 1, u.Fields.Email: 0} {
		users, _, err := st.ListUsers(t.Context(), tn.ID, kyc.UserFilter{Email: email})
		if err != nil || len(users) != n {
			t.Fatalf("ListUsers(email) = %d users, %v; want %d", len(users), err, n)
		}
	}

	missing := individual(tn.ID)
	err = st.InTx(t.Context(), func(tx kyc.Tx) error { return tx.UpdateUser(t.Context(), missing) })
	wantCode(t, err, kyc.ENotFound)
}

// testConcurrentUpdates checks that GetUserForUpdate serialises read-modify-write transactions.
func testConcurrentUpdates(t *testing.T, st kyc.Store) {
	tn := newTenant(t, st)
	u := individual(tn.ID)
	insertUser(t, st, u)
	const n = 10
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			errs <- st.InTx(t.Context(), func(tx kyc.Tx) error {
				got, err := tx.GetUserForUpdate(t.Context(), tn.ID, u.ID)
				if err != nil {
					return err
				}
				got.Attempts++
				return tx.UpdateUser(t.Context(), got)
			})
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("increment: %v", err)
		}
	}
	if got := mustGetUser(t, st, tn.ID, u.ID); got.Attempts != n {
		t.Fatalf("Attempts = %d after %d increments", got.Attempts, n)
	}
}

// listFixture inserts users of several kinds, two of them created at the same instant, plus a
// user of another tenant; it returns the tenant and its users, newest first.
func listFixture(t *testing.T, st kyc.Store) (*kyc.Tenant, []*kyc.User) {
	tn, other := newTenant(t, st), newTenant(t, st)
	insertUser(t, st, individual(other.ID))
	var users []*kyc.User
	for i := range 7 {
		u := individual(tn.ID)
		if i%2 == 1 {
			u = business(tn.ID)
		}
		u.Status = []kyc.Status{kyc.StatusCreated, kyc.StatusVerified, kyc.StatusRejected}[i%3]
		u.Fields.Email = fmt.Sprintf("User%d@Example.com", i)
		u.CreatedAt = base.Add(time.Duration(min(i, 5)) * time.Minute) // users 5 and 6 tie
		insertUser(t, st, u)
		users = append(users, u)
	}
	slices.SortFunc(users, func(a, b *kyc.User) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	return tn, users
}

func ids(users []*kyc.User) []string {
	out := make([]string, len(users))
	for i, u := range users {
		out[i] = u.ID
	}
	return out
}

func testListUsersOrderAndPages(t *testing.T, st kyc.Store) {
	tn, users := listFixture(t, st)
	want := ids(users)

	all, next, err := st.ListUsers(t.Context(), tn.ID, kyc.UserFilter{Limit: 100})
	if err != nil || next != "" {
		t.Fatalf("ListUsers = %q, %v", next, err)
	}
	if got := ids(all); !slices.Equal(got, want) {
		t.Fatalf("order = %v, want %v", got, want)
	}
	sameUser(t, all[0], users[0])

	for _, limit := range []int{1, 3, 7} {
		var got []string
		cursor, pages := "", 0
		for {
			page, next, err := st.ListUsers(t.Context(), tn.ID, kyc.UserFilter{Limit: limit, Cursor: cursor})
			if err != nil {
				t.Fatalf("limit %d, page %d: %v", limit, pages, err)
			}
			if len(page) > limit {
				t.Fatalf("limit %d: page of %d", limit, len(page))
			}
			got, pages = append(got, ids(page)...), pages+1
			if next == "" {
				break
			}
			cursor = next
		}
		if !slices.Equal(got, want) {
			t.Fatalf("limit %d: pages gave %v, want %v", limit, got, want)
		}
		if wantPages := (len(want) + limit - 1) / limit; pages != wantPages {
			t.Fatalf("limit %d: %d pages, want %d (no empty last page)", limit, pages, wantPages)
		}
	}
}

func testListUsersFilters(t *testing.T, st kyc.Store) {
	tn, users := listFixture(t, st)
	filtered := func(keep func(*kyc.User) bool) []string {
		var out []string
		for _, u := range users {
			if keep(u) {
				out = append(out, u.ID)
			}
		}
		return out
	}
	tests := []struct {
		name   string
		filter kyc.UserFilter
		want   []string
	}{
		{"status", kyc.UserFilter{Status: kyc.StatusVerified},
			filtered(func(u *kyc.User) bool { return u.Status == kyc.StatusVerified })},
		{"type", kyc.UserFilter{Type: kyc.Business},
			filtered(func(u *kyc.User) bool { return u.Type == kyc.Business })},
		{"email ignores case", kyc.UserFilter{Email: "user3@EXAMPLE.COM"},
			filtered(func(u *kyc.User) bool { return u.Fields.Email == "User3@Example.com" })},
		{"email is exact", kyc.UserFilter{Email: "user3@example"}, nil},
		{"combined", kyc.UserFilter{Status: kyc.StatusCreated, Type: kyc.Individual},
			filtered(func(u *kyc.User) bool { return u.Status == kyc.StatusCreated && u.Type == kyc.Individual })},
		{"paged", kyc.UserFilter{Type: kyc.Individual, Limit: 1},
			filtered(func(u *kyc.User) bool { return u.Type == kyc.Individual })},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			f := tc.filter
			for {
				page, next, err := st.ListUsers(t.Context(), tn.ID, f)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, ids(page)...)
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
}

func testListUsersDefaultLimit(t *testing.T, st kyc.Store) {
	tn := newTenant(t, st)
	for i := range 12 {
		u := individual(tn.ID)
		u.CreatedAt = base.Add(time.Duration(i) * time.Second)
		insertUser(t, st, u)
	}
	page, next, err := st.ListUsers(t.Context(), tn.ID, kyc.UserFilter{})
	if err != nil || len(page) != 10 || next == "" {
		t.Fatalf("ListUsers without a limit = %d users, %q, %v; want 10 and a cursor", len(page), next, err)
	}
	rest, next, err := st.ListUsers(t.Context(), tn.ID, kyc.UserFilter{Cursor: next})
	if err != nil || len(rest) != 2 || next != "" {
		t.Fatalf("second page = %d users, %q, %v; want the last 2", len(rest), next, err)
	}
}

func testListUsersInvalidCursor(t *testing.T, st kyc.Store) {
	tn := newTenant(t, st)
	enc := base64.RawURLEncoding.EncodeToString
	for _, cursor := range []string{
		"not a cursor!", enc([]byte("no separator")), enc([]byte("yesterday|" + uuid.NewString())),
		enc([]byte(base.Format(time.RFC3339Nano) + "|")),
		// Well-formed but not a cursor this server made: each would be a page of nothing.
		enc([]byte(base.Format(time.RFC3339Nano) + "|not-a-uuid")),
		enc([]byte(base.Format(time.RFC3339Nano) + "|" + strings.ToUpper(uuid.NewString()))),
		enc([]byte(base.In(time.FixedZone("x", 3600)).Format(time.RFC3339Nano) + "|" + uuid.NewString())),
		enc([]byte(base.Format(time.RFC3339Nano)+"|"+uuid.NewString())) + "==",
		enc([]byte(base.Format(time.RFC3339Nano) + "|" + uuid.NewString() + "\x00")),
	} {
		_, _, err := st.ListUsers(t.Context(), tn.ID, kyc.UserFilter{Cursor: cursor})
		e := wantCode(t, err, kyc.EInvalid)
		if len(e.Fields) != 1 || e.Fields[0] != (kyc.FieldError{Field: "cursor", Message: "is not a valid cursor"}) {
			t.Fatalf("cursor %q: fields = %+v", cursor, e.Fields)
		}
	}
}
