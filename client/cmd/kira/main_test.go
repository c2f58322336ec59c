package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"golang.org/x/crypto/bcrypt"

	"github.com/kiraapi/kira/client"
	"github.com/kiraapi/kira/client/webhook"
	"github.com/kiraapi/kira/gen/apitypes"
	"github.com/kiraapi/kira/openapi"
	"github.com/kiraapi/kira/server/app"
	"github.com/kiraapi/kira/server/auth"
	"github.com/kiraapi/kira/server/secret"
	"github.com/kiraapi/kira/server/storetest"
)

// TestMain lets the scripts run `kira` as a command: the test binary runs main when called so.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){"kira": main})
}

// TestScripts runs the scripts of testdata/script, each against a sandbox of its own served
// in-process on SQLite (verification decides at once), with KIRA_BASE_URL and a tenant's
// credentials in the environment, a receiver of forwarded events at $RECEIVER_URL, and the shipped
// example files in $EXAMPLES.
func TestScripts(t *testing.T) {
	t.Parallel()
	testscript.Run(t, testscript.Params{
		Dir:   "testdata/script",
		Setup: setupSandbox,
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exitcode":   cmdExitCode,
			"jsonvar":    cmdJSONVar,
			"waitstatus": cmdWaitStatus,
			"received":   cmdReceived,
			"listening":  cmdListening,
			"waitport":   cmdWaitPort,
		},
	})
}

func setupSandbox(env *testscript.Env) error {
	tb, ok := env.T().(testing.TB)
	if !ok {
		return errors.New("testscript does not run under testing")
	}
	keyring, err := secret.NewKeyring(bytes.Repeat([]byte{7}, secret.KeySize))
	if err != nil {
		return err
	}
	st := storetest.Backends()[0].Open(tb, keyring, time.Now)
	a, err := app.New(app.Options{Store: st, Keyring: keyring, Sandbox: true, AuthOptions: []auth.Option{auth.WithBcryptCost(bcrypt.MinCost)}})
	if err != nil {
		return err
	}
	ctx := context.Background()
	_, creds, err := a.Auth.CreateTenant(ctx, "acme")
	if err != nil {
		return err
	}
	if err := a.Start(ctx); err != nil {
		return err
	}
	polls := &atomic.Int64{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.URL.Path == "/v1/events" {
			polls.Add(1)
		}
		a.Handler.ServeHTTP(w, r)
	}))
	rcv := &receiver{secret: listenSecret(creds.APIKey)}
	hooks := httptest.NewServer(rcv)
	env.Defer(func() {
		hooks.Close()
		srv.Close()
		stopCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		_ = a.Stop(stopCtx)
	})
	env.Setenv("KIRA_BASE_URL", srv.URL)
	env.Setenv("KIRA_API_KEY", creds.APIKey)
	env.Setenv("KIRA_CLIENT_ID", creds.ClientID)
	env.Setenv("KIRA_PASSWORD", creds.Password)
	env.Setenv("RECEIVER_URL", hooks.URL+"/hook")
	examples, err := filepath.Abs("examples")
	if err != nil {
		return err
	}
	env.Setenv("EXAMPLES", examples)
	port, err := freePort()
	if err != nil {
		return err
	}
	env.Setenv("MOCK_PORT", strconv.Itoa(port))
	doc, err := openapi.Load()
	if err != nil {
		return err
	}
	operations := 0
	for _, item := range doc.Paths.Map() {
		operations += len(item.Operations())
	}
	env.Setenv("SPEC_OPERATIONS", strconv.Itoa(operations))
	env.Values[receiverKey{}] = rcv
	env.Values[pollsKey{}] = polls
	return nil
}

// cmdExitCode runs a command and checks its exit code: exitcode CODE command [args...]. Its
// stdout and stderr are then checked like exec's.
func cmdExitCode(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exitcode CODE command [args...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exit code %q: %v", args[0], err)
	}
	got := 0
	var exitErr *exec.ExitError
	switch err := ts.Exec(args[1], args[2:]...); {
	case errors.As(err, &exitErr):
		got = exitErr.ExitCode()
	case err != nil:
		ts.Fatalf("%s: %v", args[1], err)
	}
	if got != want {
		ts.Fatalf("exit code %d, want %d", got, want)
	}
}

// cmdJSONVar sets a variable from a string field of the JSON object on the last stdout, or of the
// first object of a JSON array: jsonvar NAME field.
func cmdJSONVar(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: jsonvar NAME field")
	}
	out := []byte(ts.ReadFile("stdout"))
	var v map[string]any
	var list []map[string]any
	if json.Unmarshal(out, &list) == nil && len(list) > 0 {
		v = list[0]
	} else if err := json.Unmarshal(out, &v); err != nil {
		ts.Fatalf("stdout is not a JSON object or a non-empty array: %v", err)
	}
	s, ok := v[args[1]].(string)
	if !ok {
		ts.Fatalf("stdout has no string field %q", args[1])
	}
	ts.Setenv(args[0], s)
}

// cmdWaitStatus waits until a user has a status: waitstatus ID STATUS.
func cmdWaitStatus(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: waitstatus ID STATUS")
	}
	c, err := client.New(ts.Getenv("KIRA_BASE_URL"), client.Credentials{
		APIKey: ts.Getenv("KIRA_API_KEY"), ClientID: ts.Getenv("KIRA_CLIENT_ID"), Password: ts.Getenv("KIRA_PASSWORD"),
	})
	ts.Check(err)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var last apitypes.UserStatus
	for {
		u, err := c.Users.Get(ctx, args[0])
		if err == nil {
			last = *u.Status
			if string(last) == args[1] {
				return
			}
		}
		select {
		case <-ctx.Done():
			ts.Fatalf("user %s is %s, not %s, after 10s (%v)", args[0], last, args[1], err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// freePort is a port nothing listens on, for kira mock.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// cmdWaitPort waits until something listens on a port of 127.0.0.1: waitport PORT.
func cmdWaitPort(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: waitport PORT")
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		conn, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", args[0]))
		if err == nil {
			conn.Close()
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("nothing listens on port %s after 10s: %v", args[0], err)
		}
	}
}

type (
	receiverKey struct{}
	pollsKey    struct{}
)

// cmdListening waits until kira listen, started in the background, follows the events: two more
// requests for the event log mean its first look, which marks the past as seen, is done.
func cmdListening(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: listening")
	}
	polls := ts.Value(pollsKey{}).(*atomic.Int64)
	want := polls.Load() + 2
	for deadline := time.Now().Add(10 * time.Second); polls.Load() < want; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			ts.Fatalf("kira listen did not poll the events within 10s")
		}
	}
}

// receiver takes the events kira listen forwards, and keeps those whose signatures verify with
// the secret listen derives from the API key.
type receiver struct {
	secret string

	mu       sync.Mutex
	received []string // event types, in arrival order
	rejected int
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		http.Error(w, "read", http.StatusBadRequest)
		return
	}
	ev, err := webhook.Verify(r.secret, req.Header, body)
	ok := err == nil && webhook.VerifySHA256(r.secret, body, req.Header.Get(webhook.HeaderSHA256))
	r.mu.Lock()
	defer r.mu.Unlock()
	if !ok {
		r.rejected++
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	typ, err := ev.Discriminator()
	if err != nil {
		http.Error(w, "unknown event", http.StatusBadRequest)
		return
	}
	r.received = append(r.received, typ)
	w.WriteHeader(http.StatusNoContent)
}

// cmdReceived waits until the receiver got, correctly signed, at least the given events:
// received TYPE... .
func cmdReceived(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: received TYPE...")
	}
	r := ts.Value(receiverKey{}).(*receiver)
	deadline := time.Now().Add(10 * time.Second)
	for {
		r.mu.Lock()
		got, rejected := append([]string(nil), r.received...), r.rejected
		r.mu.Unlock()
		if rejected > 0 {
			ts.Fatalf("%d deliveries with a bad signature", rejected)
		}
		missing := missingEvents(got, args)
		if len(missing) == 0 {
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("received %v, still missing %v after 10s", got, missing)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func missingEvents(got, want []string) []string {
	count := map[string]int{}
	for _, g := range got {
		count[g]++
	}
	var missing []string
	for _, w := range want {
		if count[w] == 0 {
			missing = append(missing, w)
			continue
		}
		count[w]--
	}
	return missing
}

// TestListenSecretIsStable shows the secret listen prints is derived from the API key alone.
func TestListenSecretIsStable(t *testing.T) {
	t.Parallel()
	a, b := listenSecret("kira_sk_one"), listenSecret("kira_sk_one")
	if a != b || a == listenSecret("kira_sk_two") || !strings.HasPrefix(a, "whsec_") {
		t.Errorf("secrets %q %q", a, b)
	}
	if _, err := webhook.Sign(a, "id", time.Now(), []byte("{}")); err != nil {
		t.Errorf("the secret is not a Standard Webhooks secret: %v", err)
	}
}
