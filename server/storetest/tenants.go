package storetest

import (
	"bytes"
	"crypto/sha256"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/kiraapi/kira/server/kyc"
)

// sameTenant fails the test unless got and want are the same tenant.
func sameTenant(t *testing.T, got, want *kyc.Tenant) {
	t.Helper()
	if got.ID != want.ID || got.Name != want.Name || got.ClientID != want.ClientID ||
		!bytes.Equal(got.APIKeyHash, want.APIKeyHash) || !bytes.Equal(got.PasswordHash, want.PasswordHash) ||
		!got.CreatedAt.Equal(want.CreatedAt) || !got.UpdatedAt.Equal(want.UpdatedAt) {
		t.Fatalf("tenant = %+v, want %+v", got, want)
	}
}

func testTenants(t *testing.T, st kyc.Store) {
	ctx := t.Context()
	tn := newTenant(t, st)
	byClient, err := st.TenantByClientID(ctx, tn.ClientID)
	if err != nil {
		t.Fatalf("TenantByClientID: %v", err)
	}
	sameTenant(t, byClient, tn)
	byKey, err := st.TenantByAPIKeyHash(ctx, tn.APIKeyHash)
	if err != nil {
		t.Fatalf("TenantByAPIKeyHash: %v", err)
	}
	sameTenant(t, byKey, tn)

	_, err = st.TenantByClientID(ctx, "client_unknown")
	wantCode(t, err, kyc.ENotFound)
	unknown := sha256.Sum256([]byte("unknown"))
	_, err = st.TenantByAPIKeyHash(ctx, unknown[:])
	wantCode(t, err, kyc.ENotFound)

	oldHash := tn.APIKeyHash
	newHash := sha256.Sum256([]byte("rotated " + tn.ID))
	tn.Name, tn.APIKeyHash, tn.PasswordHash = "Renamed", newHash[:], []byte("$2a$04$rotated")
	tn.UpdatedAt = tn.UpdatedAt.Add(time.Hour)
	if err := st.UpdateTenant(ctx, tn); err != nil {
		t.Fatalf("UpdateTenant: %v", err)
	}
	byKey, err = st.TenantByAPIKeyHash(ctx, newHash[:])
	if err != nil {
		t.Fatalf("TenantByAPIKeyHash(new): %v", err)
	}
	sameTenant(t, byKey, tn)
	_, err = st.TenantByAPIKeyHash(ctx, oldHash)
	wantCode(t, err, kyc.ENotFound)

	missing := *tn
	missing.ID, missing.APIKeyHash = uuid.NewString(), []byte("other")
	wantCode(t, st.UpdateTenant(ctx, &missing), kyc.ENotFound)
}

func testTenantConflicts(t *testing.T, st kyc.Store) {
	ctx := t.Context()
	a, b := newTenant(t, st), newTenant(t, st)
	fresh := func() *kyc.Tenant {
		id := uuid.NewString()
		hash := sha256.Sum256([]byte(id))
		return &kyc.Tenant{ID: id, Name: "New", ClientID: "client_" + id, APIKeyHash: hash[:], PasswordHash: []byte("x")}
	}
	tests := []struct {
		name   string
		change func(*kyc.Tenant)
	}{
		{"id", func(tn *kyc.Tenant) { tn.ID = a.ID }},
		{"client id", func(tn *kyc.Tenant) { tn.ClientID = a.ClientID }},
		{"API key hash", func(tn *kyc.Tenant) { tn.APIKeyHash = a.APIKeyHash }},
	}
	for _, tc := range tests {
		tn := fresh()
		tc.change(tn)
		err := st.CreateTenant(ctx, tn)
		e := wantCode(t, err, kyc.EConflict)
		if strings.Contains(e.Error(), a.ClientID) || strings.Contains(e.Error(), a.ID) {
			t.Fatalf("%s: the error repeats the value: %v", tc.name, e)
		}
	}
	taken := *b
	taken.APIKeyHash = a.APIKeyHash
	wantCode(t, st.UpdateTenant(ctx, &taken), kyc.EConflict)
}
