package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/kiraapi/kira/client"
	"github.com/kiraapi/kira/gen/apitypes"
	"github.com/kiraapi/kira/server/secret"
	"github.com/kiraapi/kira/server/storetest"
)

// TestMain lets the test binary act as kirad in a child process, so that the crash test can kill
// a real server.
func TestMain(m *testing.M) {
	if os.Getenv("KIRAD_CHILD") == "1" {
		os.Args = os.Args[:1]
		main()
		return
	}
	os.Exit(m.Run())
}

// child is a kirad process.
type child struct {
	cmd  *exec.Cmd
	addr string
}

func startChild(t *testing.T, env []string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), append(env, "KIRAD_CHILD=1", "KIRA_ADDR=127.0.0.1:0")...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var line struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "listening" {
				addrc <- line.Addr
			}
		}
	}()
	select {
	case addr := <-addrc:
		return &child{cmd: cmd, addr: addr}
	case <-time.After(30 * time.Second):
		t.Fatal("kirad did not start")
	}
	return nil
}

// TestUsersFinishVerifyingAfterACrash kills the server (SIGKILL) while users are VERIFYING and
// shows that a restarted server finishes their verification: the work is rows in the database.
func TestUsersFinishVerifyingAfterACrash(t *testing.T) {
	t.Parallel()
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			creds := client.Credentials{APIKey: "kira_sk_crash_test_key_0123456789", ClientID: "crash-test-client", Password: "crash-test-password"}
			env := []string{
				"KIRA_DATABASE_URL=" + b.NewURL(t),
				"KIRA_ENCRYPTION_KEY=" + secret.NewKey(),
				"KIRA_API_KEY=" + creds.APIKey, "KIRA_CLIENT_ID=" + creds.ClientID, "KIRA_PASSWORD=" + creds.Password,
			}
			first := startChild(t, append(env, "KIRA_SANDBOX_DELAY=3s"))
			c, err := client.New("http://"+first.addr, creds)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for i := range 3 {
				res, err := c.API.CreateUserWithResponse(t.Context(), &apitypes.CreateUserParams{}, completeUser(fmt.Sprintf("user%d@example.com", i)))
				if err != nil || res.JSON201 == nil {
					t.Fatalf("create: %v %s", err, res.Body)
				}
				if *res.JSON201.Status != apitypes.UserStatusVERIFYING {
					t.Fatalf("status %s, want VERIFYING", *res.JSON201.Status)
				}
				ids = append(ids, res.JSON201.Id.String())
			}
			if err := first.cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			_ = first.cmd.Wait()

			second := startChild(t, append(env, "KIRA_SANDBOX_DELAY=0"))
			c, err = client.New("http://"+second.addr, creds)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			for _, id := range ids {
				waitForStatus(ctx, t, c, id, apitypes.UserStatusVERIFIED)
			}
		})
	}
}

func completeUser(email string) apitypes.UserCreateRequest {
	var u apitypes.UserCreateRequest
	raw := strings.Replace(`{"type":"individual","email":"EMAIL","first_name":"John","last_name":"Doe","birth_date":"1990-01-15",
		"ssn":"123-45-6789","document_type":"passport","document_number":"AB1234567","document_country":"USA",
		"address_street":"123 Main St","address_city":"San Francisco","address_state":"CA","address_zip_code":"94105","address_country":"USA"}`, "EMAIL", email, 1)
	if err := json.Unmarshal([]byte(raw), &u); err != nil {
		panic(err)
	}
	return u
}

// waitForStatus polls the other process until the user reaches status; a process boundary offers
// no signal to wait on.
func waitForStatus(ctx context.Context, t *testing.T, c *client.Client, id string, status apitypes.UserStatus) {
	t.Helper()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		res, err := c.API.GetUserWithResponse(ctx, uuid.MustParse(id))
		if err == nil && res.StatusCode() == http.StatusOK && *res.JSON200.Status == status {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("user %s did not become %s (last: %v %v)", id, status, err, res)
		case <-tick.C:
		}
	}
}
