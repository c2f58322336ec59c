package client_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/kiraapi/kira/client"
	"github.com/kiraapi/kira/gen/apitypes"
	"github.com/kiraapi/kira/server/auth"
	"github.com/kiraapi/kira/server/httpapi"
	"github.com/kiraapi/kira/server/kyc"
	"github.com/kiraapi/kira/server/secret"
	"github.com/kiraapi/kira/server/storetest"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

// serve runs the real API on SQLite and returns its URL, a tenant's credentials, the server's
// clock and a counter of /auth calls.
func serve(t *testing.T) (string, client.Credentials, *clock, *atomic.Int32) {
	t.Helper()
	clk := &clock{t: time.Now()}
	keyring, err := secret.NewKeyring(bytes.Repeat([]byte{3}, secret.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	st := storetest.Backends()[0].Open(t, keyring, clk.Now)
	authSvc := auth.New(st, keyring, auth.WithClock(clk.Now), auth.WithBcryptCost(bcrypt.MinCost))
	_, creds, err := authSvc.CreateTenant(t.Context(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	h, err := httpapi.New(httpapi.Options{Now: clk.Now, Auth: authSvc, Users: kyc.NewService(st, kyc.WithClock(clk.Now)), Store: st, Hasher: keyring})
	if err != nil {
		t.Fatal(err)
	}
	logins := &atomic.Int32{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/auth" {
			logins.Add(1)
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, client.Credentials{APIKey: creds.APIKey, ClientID: creds.ClientID, Password: creds.Password}, clk, logins
}

func TestClientAuthenticatesAndRefreshes(t *testing.T) {
	t.Parallel()
	url, creds, serverClock, logins := serve(t)
	c, err := client.New(url, creds)
	if err != nil {
		t.Fatal(err)
	}
	created, err := c.API.CreateUserWithResponse(t.Context(), &apitypes.CreateUserParams{}, apitypes.UserCreateRequest{Type: apitypes.Individual, Email: "j@example.com"})
	if err != nil || created.JSON201 == nil {
		t.Fatalf("create: %v %s", err, created.Body)
	}
	got, err := c.API.GetUserWithResponse(t.Context(), *created.JSON201.Id)
	if err != nil || got.JSON200 == nil || got.JSON200.Email != "j@example.com" {
		t.Fatalf("get: %v %s", err, got.Body)
	}
	if n := logins.Load(); n != 1 {
		t.Errorf("%d logins for two calls, want 1 (the token is cached)", n)
	}
	// The server's clock moves past the token's expiry; the client's does not know it: the 401 makes
	// it log in again and retry once.
	serverClock.Add(2 * time.Hour)
	got, err = c.API.GetUserWithResponse(t.Context(), *created.JSON201.Id)
	if err != nil || got.JSON200 == nil {
		t.Fatalf("get after expiry: %v %d %s", err, got.StatusCode(), got.Body)
	}
	if n := logins.Load(); n != 2 {
		t.Errorf("%d logins, want 2", n)
	}
}

func TestClientRefreshesBeforeExpiry(t *testing.T) {
	t.Parallel()
	url, creds, _, logins := serve(t)
	clientClock := &clock{t: time.Now()}
	c, err := client.New(url, creds, client.WithClock(clientClock.Now))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Token(t.Context()); err != nil {
		t.Fatal(err)
	}
	clientClock.Add(50 * time.Minute)
	if _, err := c.Token(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := logins.Load(); n != 1 {
		t.Errorf("%d logins at 50 minutes, want 1", n)
	}
	clientClock.Add(6 * time.Minute) // within five minutes of expiry
	if _, err := c.Token(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := logins.Load(); n != 2 {
		t.Errorf("%d logins at 56 minutes, want 2", n)
	}
}

func TestClientBadCredentials(t *testing.T) {
	t.Parallel()
	url, creds, _, _ := serve(t)
	creds.Password = "wrong"
	c, err := client.New(url, creds)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.API.ListUsersWithResponse(t.Context(), &apitypes.ListUsersParams{}); err == nil {
		t.Fatal("a call with a wrong password succeeded")
	}
}
