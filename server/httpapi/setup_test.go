package httpapi_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"golang.org/x/crypto/bcrypt"

	"github.com/kiraapi/kira/server/apitest"
	"github.com/kiraapi/kira/server/app"
	"github.com/kiraapi/kira/server/auth"
	"github.com/kiraapi/kira/server/clocktest"
	"github.com/kiraapi/kira/server/httpapi"
	"github.com/kiraapi/kira/server/secret"
	"github.com/kiraapi/kira/server/storetest"
)

// testEnv is the whole API over one backend, with a settable clock.
type testEnv struct {
	srv     *apitest.Server
	clock   *clocktest.Clock
	auth    *auth.Service
	inspect storetest.Inspector
	logs    *syncBuffer
	jobs    <-chan *river.Event
	// stopWorkers stops the background work (before the store is closed under it).
	stopWorkers func()
	// app is the running service and options what it was built with (tests that restart it
	// build another from them).
	app     *app.App
	options app.Options
}

// syncBuffer collects the server's log lines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// forEachBackend runs fn against a fresh API on every storage backend, with its verification
// engine running (the sandbox provider, deciding at once). configure may change the app's options.
func forEachBackend(t *testing.T, fn func(t *testing.T, env *testEnv), configure ...func(*app.Options)) {
	t.Helper()
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			clk := clocktest.New(time.Date(2026, 11, 25, 20, 0, 0, 0, time.UTC))
			keyring, err := secret.NewKeyring(bytes.Repeat([]byte{7}, secret.KeySize))
			if err != nil {
				t.Fatal(err)
			}
			st, inspect := b.OpenWithInspector(t, keyring, clk.Now)
			logs := &syncBuffer{}
			// The server's URL is the app's public URL, so the app is built once the server listens.
			var handler http.Handler
			srv := apitest.Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
			opts := app.Options{
				PublicURL:    srv.URL,
				Store:        st,
				Keyring:      keyring,
				Logger:       slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
				Now:          clk.Now,
				Sandbox:      true,
				RateLimit:    httpapi.RateLimit{PerSecond: 1000, Burst: 2000},
				AuthOptions:  []auth.Option{auth.WithBcryptCost(bcrypt.MinCost)},
				PollInterval: 10 * time.Millisecond,
			}
			for _, c := range configure {
				c(&opts)
			}
			svc, err := app.New(opts)
			if err != nil {
				t.Fatal(err)
			}
			handler = svc.Handler
			jobs, cancel := svc.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed, river.EventKindJobCancelled)
			t.Cleanup(cancel)
			if err := svc.Start(t.Context()); err != nil {
				t.Fatal(err)
			}
			var once sync.Once
			stop := func() {
				once.Do(func() {
					if err := svc.Stop(context.Background()); err != nil {
						t.Error(err)
					}
				})
			}
			t.Cleanup(stop)
			fn(t, &testEnv{srv: srv, clock: clk, auth: svc.Auth, inspect: inspect, logs: logs, jobs: jobs, stopWorkers: stop, app: svc, options: opts})
		})
	}
}

// awaitJobs waits until n background jobs have finished, whatever their outcome.
func (env *testEnv) awaitJobs(t *testing.T, n int) {
	t.Helper()
	timeout := time.NewTimer(10 * time.Second)
	defer timeout.Stop()
	for range n {
		select {
		case <-env.jobs:
		case <-timeout.C:
			t.Fatalf("timed out waiting for %d background jobs", n)
		}
	}
}

// testTenant is a provisioned tenant with a fresh access token.
type testTenant struct {
	id    string
	creds auth.Credentials
	token string
}

func (env *testEnv) tenant(t *testing.T, name string) *testTenant {
	t.Helper()
	tenant, creds, err := env.auth.CreateTenant(t.Context(), name)
	if err != nil {
		t.Fatal(err)
	}
	tt := &testTenant{id: tenant.ID, creds: creds}
	env.logIn(t, tt)
	return tt
}

// logIn gives the tenant a fresh access token (after the clock moved past the last one's expiry).
func (env *testEnv) logIn(t *testing.T, tt *testTenant) {
	t.Helper()
	resp, raw := env.srv.Do(t, "POST", "/auth", http.Header{"X-Api-Key": {tt.creds.APIKey}},
		map[string]string{"client_id": tt.creds.ClientID, "password": tt.creds.Password})
	if resp.StatusCode != 200 {
		t.Fatalf("login: %d %s", resp.StatusCode, raw)
	}
	body := decode[struct {
		Data struct {
			AccessToken string `json:"access_token"`
			ExpiresIn   int    `json:"expires_in"`
			TokenType   string `json:"token_type"`
		} `json:"data"`
	}](t, raw)
	if body.Data.ExpiresIn != 3600 || body.Data.TokenType != "Bearer" {
		t.Errorf("token: %s", raw)
	}
	tt.token = body.Data.AccessToken
}

// headers returns the tenant's credentials plus the given header pairs.
func (tt *testTenant) headers(kv ...string) http.Header {
	h := http.Header{"Authorization": {"Bearer " + tt.token}, "X-Api-Key": {tt.creds.APIKey}}
	for i := 0; i < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}
