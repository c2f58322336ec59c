package client_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/kiraapi/kira/client"
	"github.com/kiraapi/kira/server/app"
	"github.com/kiraapi/kira/server/auth"
	"github.com/kiraapi/kira/server/httpapi"
	"github.com/kiraapi/kira/server/secret"
	"github.com/kiraapi/kira/server/store"
	"github.com/kiraapi/kira/server/storetest"
)

// TestMain serves a sandbox for the examples, which read its address and a tenant's credentials
// from the environment as a program would (KIRA_BASE_URL, KIRA_API_KEY, KIRA_CLIENT_ID,
// KIRA_PASSWORD).
func TestMain(m *testing.M) {
	os.Exit(runWithSandbox(m))
}

func runWithSandbox(m *testing.M) int {
	dir, err := os.MkdirTemp("", "kira-client-examples")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	keyring := testKeyring()
	st, err := store.Open(context.Background(), store.Options{URL: "sqlite:" + dir + "/kira.db", Keyring: keyring})
	if err != nil {
		panic(err)
	}
	defer st.Close()
	sb, stop, err := startSandbox(st, keyring, sandboxOptions{})
	if err != nil {
		panic(err)
	}
	defer stop()
	for k, v := range map[string]string{
		"KIRA_BASE_URL": sb.URL, "KIRA_API_KEY": sb.Creds.APIKey, "KIRA_CLIENT_ID": sb.Creds.ClientID, "KIRA_PASSWORD": sb.Creds.Password,
	} {
		os.Setenv(k, v)
	}
	return m.Run()
}

func testKeyring() *secret.Keyring {
	keyring, err := secret.NewKeyring(bytes.Repeat([]byte{3}, secret.KeySize))
	if err != nil {
		panic(err)
	}
	return keyring
}

// sandbox is the API served in-process on SQLite in sandbox mode, with a tenant.
type sandbox struct {
	URL   string
	Creds client.Credentials
	App   *app.App
}

type sandboxOptions struct {
	// now is the server's clock; nil means time.Now.
	now func() time.Time
	// rateLimit is the per-key budget; zero disables it.
	rateLimit httpapi.RateLimit
	// wrap, if set, stands in front of the API (to count or fail requests).
	wrap func(http.Handler) http.Handler
}

// startSandbox serves the service on st with its background workers (verification decides at
// once) and creates a tenant.
func startSandbox(st *store.Store, keyring *secret.Keyring, o sandboxOptions) (*sandbox, func(), error) {
	if o.now == nil {
		o.now = time.Now
	}
	a, err := app.New(app.Options{
		Store: st, Keyring: keyring, Now: o.now, Sandbox: true,
		AuthOptions: []auth.Option{auth.WithBcryptCost(bcrypt.MinCost)},
		RateLimit:   o.rateLimit,
	})
	if err != nil {
		return nil, nil, err
	}
	ctx := context.Background()
	_, creds, err := a.Auth.CreateTenant(ctx, "acme")
	if err != nil {
		return nil, nil, err
	}
	if err := a.Start(ctx); err != nil {
		return nil, nil, err
	}
	h := a.Handler
	if o.wrap != nil {
		h = o.wrap(h)
	}
	srv := httptest.NewServer(h)
	stop := func() {
		srv.Close()
		stopCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		_ = a.Stop(stopCtx)
	}
	return &sandbox{URL: srv.URL, Creds: client.Credentials{APIKey: creds.APIKey, ClientID: creds.ClientID, Password: creds.Password}, App: a}, stop, nil
}

// newSandbox serves a sandbox of its own for one test.
func newSandbox(t *testing.T, o sandboxOptions) *sandbox {
	t.Helper()
	keyring := testKeyring()
	now := o.now
	if now == nil {
		now = time.Now
	}
	st := storetest.Backends()[0].Open(t, keyring, now)
	sb, stop, err := startSandbox(st, keyring, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return sb
}
