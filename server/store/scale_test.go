package store_test

import (
	"flag"
	"fmt"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/kiraapi/kira/server/kyc"
	"github.com/kiraapi/kira/server/storetest"
)

// scaleUsers is the largest tenant BenchmarkListAtScale seeds: -scale=1000000 adds a million
// (about 1.25 million rows, which takes minutes to seed).
var scaleUsers = flag.Int("scale", 100000, "BenchmarkListAtScale: the largest tenant's users (1000, 100000 or 1000000)")

// BenchmarkListAtScale seeds a tenant with 1,000, then 100,000 (and with -scale=1000000, a
// million) users (a tenth VERIFIED, one in a thousand with a given email) among other tenants'
// users, and times a read by id, the first page of the list, and the list filtered by status and
// by email, on each backend. Flat numbers from 1,000 up mean every filter and the cursor order
// have an index the planner uses.
func BenchmarkListAtScale(b *testing.B) {
	sizes := []int{1000, 100000, 1000000}
	sizes = sizes[:max(1, sort.SearchInts(sizes, *scaleUsers+1))]
	for _, be := range storetest.Backends() {
		b.Run(be.Name, func(b *testing.B) {
			st := be.Open(b, testKeyring(b), time.Now)
			tn := newTenant(b, st)
			other := newTenant(b, st)
			seeded := 0
			var id string
			for _, n := range sizes {
				for seeded < n {
					batch := min(n-seeded, 500)
					err := st.InTx(b.Context(), func(tx kyc.Tx) error {
						for i := range batch {
							k := seeded + i
							u := benchUser(tn.ID)
							u.Fields.Email = "user" + strconv.Itoa(k%1000) + "@example.com"
							if k%10 == 0 {
								u.Status = kyc.StatusVerified
							}
							if err := tx.InsertUser(b.Context(), u); err != nil {
								return err
							}
							id = u.ID
							if k%4 == 0 { // other tenants' rows in the same tables
								if err := tx.InsertUser(b.Context(), benchUser(other.ID)); err != nil {
									return err
								}
							}
						}
						return nil
					})
					if err != nil {
						b.Fatal(err)
					}
					seeded += batch
				}
				if err := st.Optimize(b.Context()); err != nil {
					b.Fatal(err)
				}
				for _, c := range []struct {
					name string
					run  func() error
				}{
					{"get", func() error { _, err := st.GetUser(b.Context(), tn.ID, id); return err }},
					{"page", func() error {
						_, _, err := st.ListUsers(b.Context(), tn.ID, kyc.UserFilter{Limit: 10})
						return err
					}},
					{"status", func() error {
						_, _, err := st.ListUsers(b.Context(), tn.ID, kyc.UserFilter{Limit: 10, Status: kyc.StatusVerified})
						return err
					}},
					{"email", func() error {
						_, _, err := st.ListUsers(b.Context(), tn.ID, kyc.UserFilter{Limit: 10, Email: "user7@example.com"})
						return err
					}},
				} {
					b.Run(fmt.Sprintf("%s/users=%d", c.name, n), func(b *testing.B) {
						for b.Loop() {
							if err := c.run(); err != nil {
								b.Fatal(err)
							}
						}
					})
				}
			}
		})
	}
}

// TestOptimize refreshes the planner's statistics on each backend (BenchmarkListAtScale shows
// what they are for).
func TestOptimize(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b storetest.Backend) {
		st := b.Open(t, testKeyring(t), time.Now)
		tn := newTenant(t, st)
		insertUser := func() {
			if err := st.InTx(t.Context(), func(tx kyc.Tx) error { return tx.InsertUser(t.Context(), benchUser(tn.ID)) }); err != nil {
				t.Fatal(err)
			}
		}
		insertUser()
		if err := st.Optimize(t.Context()); err != nil {
			t.Fatalf("Optimize: %v", err)
		}
		insertUser()
	})
}
