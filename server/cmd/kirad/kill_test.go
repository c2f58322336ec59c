package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kiraapi/kira/server/apitest"
	"github.com/kiraapi/kira/server/secret"
	"github.com/kiraapi/kira/server/storetest"
)

// recovery bounds how long work interrupted by a crash may take to finish after the restart:
// River rescues a job its dead process left running after jobs.RescueAfter (30 s), looking every
// 30 s from the leader, which a restarted process becomes within about 15 s.
const recovery = 100 * time.Second

// kirads starts kirad processes on one database, one after another, with one tenant.
type kirads struct {
	t      *testing.T
	env    []string
	apiKey string
	login  map[string]string
}

// newKirads prepares kirads on the database at dbURL, with extra settings (NAME=value).
func newKirads(t *testing.T, dbURL string, extra ...string) *kirads {
	k := &kirads{t: t, apiKey: "kira_sk_kill_test_key_0123456789ab",
		login: map[string]string{"client_id": "kill-test-client", "password": "kill-test-password"}}
	k.env = append([]string{
		"KIRA_DATABASE_URL=" + dbURL, "KIRA_ENCRYPTION_KEY=" + secret.NewKey(), "KIRA_RATE_LIMIT=0",
		"KIRA_API_KEY=" + k.apiKey, "KIRA_CLIENT_ID=" + k.login["client_id"], "KIRA_PASSWORD=" + k.login["password"],
	}, extra...)
	return k
}

// process is one running kirad and an authenticated way to call it.
type process struct {
	*child
	srv    *apitest.Server
	header http.Header
}

// start starts a kirad and logs in to it.
func (k *kirads) start() *process {
	t := k.t
	t.Helper()
	c := startChild(t, k.env)
	p := &process{child: c, srv: apitest.Remote(t, "http://"+c.addr)}
	p.header = p.srv.Login(t, k.apiKey, k.login["client_id"], k.login["password"])
	p.header.Set("Content-Type", "application/json")
	return p
}

// kill ends the process with SIGKILL: no shutdown, no cleanup.
func (p *process) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = p.cmd.Wait()
}

// send makes one request, with kv as headers to set (to remove, where the value is ""), and
// reports a failure to connect or to read as an error (a process being killed); the answer is
// checked against the spec.
func (p *process) send(ctx context.Context, method, path string, body []byte, kv ...string) (*http.Response, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, p.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	req.Header = p.header.Clone()
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == "" {
			req.Header.Del(kv[i])
		} else {
			req.Header.Set(kv[i], kv[i+1])
		}
	}
	resp, err := p.srv.Client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return resp, raw, err
}

// until polls cond (another process offers no signal to wait on) until it holds or recovery runs out.
func until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), recovery)
	defer cancel()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("%s: not within %v", what, recovery)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// TestKillUnderConcurrentCreates kills kirad (SIGKILL) twice while clients create users, each
// under its own Idempotency-Key, restarts it and retries every key that had no answer, as a client
// would. Every key ends with exactly one user, every user that was answered 201 is there with the
// same id, and every user's verification (jobs that were running at the kill included) is decided
// after the restart.
func TestKillUnderConcurrentCreates(t *testing.T) {
	t.Parallel()
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			k := newKirads(t, b.NewURL(t), "KIRA_SANDBOX_DELAY=0")
			var (
				mu       sync.Mutex
				accepted = map[string]string{} // key -> user id answered 201
				pending  []string              // keys with no answer
			)
			body := func(key string) []byte {
				raw, _ := json.Marshal(completeUser(key + "@example.com"))
				return raw
			}
			create := func(p *process, key string) (string, error) {
				resp, raw, err := p.send(t.Context(), "POST", "/v1/users", body(key), "Idempotency-Key", key)
				if err != nil {
					return "", err
				}
				if resp.StatusCode != http.StatusCreated {
					return "", fmt.Errorf("create %s: %d %s", key, resp.StatusCode, raw)
				}
				var u struct{ ID string }
				return u.ID, json.Unmarshal(raw, &u)
			}
			const clients, perRound, rounds = 8, 120, 2
			var next atomic.Int64
			for round := range rounds {
				p := k.start()
				for _, key := range pending { // what the last process left unanswered
					id, err := create(p, key)
					if err != nil {
						t.Fatalf("retry after the restart: %v", err)
					}
					accepted[key] = id
				}
				pending = nil
				// Kill once perRound creates have been answered, while the clients keep sending.
				answered := make(chan struct{}, clients*perRound*2)
				stop := make(chan struct{})
				var wg sync.WaitGroup
				for range clients {
					wg.Go(func() {
						for {
							select {
							case <-stop:
								return
							default:
							}
							key := fmt.Sprintf("kill-%d-%d", round, next.Add(1))
							id, err := create(p, key)
							mu.Lock()
							if err != nil {
								pending = append(pending, key)
							} else {
								accepted[key] = id
							}
							mu.Unlock()
							if err != nil {
								return // the process is gone
							}
							answered <- struct{}{}
						}
					})
				}
				for range perRound {
					<-answered
				}
				p.kill(t)
				close(stop)
				wg.Wait()
				t.Logf("round %d: %d keys without an answer at the kill", round, len(pending))
			}

			p := k.start()
			for _, key := range pending {
				id, err := create(p, key)
				if err != nil {
					t.Fatalf("retry after the restart: %v", err)
				}
				accepted[key] = id
			}
			for key, id := range accepted {
				resp, raw, err := p.send(t.Context(), "GET", "/v1/users?limit=10&email="+key+"@example.com", nil)
				if err != nil || resp.StatusCode != http.StatusOK {
					t.Fatalf("list: %s %v", raw, err)
				}
				var page struct{ Data []struct{ ID string } }
				if err := json.Unmarshal(raw, &page); err != nil {
					t.Fatal(err)
				}
				if len(page.Data) != 1 || page.Data[0].ID != id {
					t.Errorf("key %s: users %+v, want exactly the one answered (%s)", key, page.Data, id)
				}
			}
			t.Logf("%d keys, each with one user", len(accepted))
			until(t, "every user verified after the restart", func() bool {
				resp, raw, err := p.send(t.Context(), "GET", "/v1/users?limit=1&status=VERIFYING", nil)
				return err == nil && resp.StatusCode == http.StatusOK && strings.Contains(string(raw), `"data":[]`)
			})
		})
	}
}

// TestDeliveryInFlightAtCrashIsRetried kills kirad while a webhook receiver is still answering a
// delivery: after the restart the delivery is attempted again, within about a minute, and
// succeeds.
func TestDeliveryInFlightAtCrashIsRetried(t *testing.T) {
	t.Parallel()
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			arrived := make(chan struct{}, 10)
			release := make(chan struct{})
			var calls atomic.Int32
			receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				arrived <- struct{}{}
				if calls.Add(1) == 1 {
					select { // the first delivery hangs until its sender is gone
					case <-release:
					case <-r.Context().Done():
					}
					return
				}
				w.WriteHeader(http.StatusNoContent)
			}))
			t.Cleanup(receiver.Close)
			t.Cleanup(func() { close(release) })

			k := newKirads(t, b.NewURL(t))
			p := k.start()
			hook, _ := json.Marshal(map[string]any{"url": receiver.URL + "/hook", "events": []string{"user.created"}})
			if resp, raw, err := p.send(t.Context(), "POST", "/v1/webhooks", hook); err != nil || resp.StatusCode != http.StatusCreated {
				t.Fatalf("register the receiver: %s %v", raw, err)
			}
			minimal := `{"type":"individual","email":"inflight@example.com","first_name":"Jane","last_name":"Doe"}`
			resp, raw, err := p.send(t.Context(), "POST", "/v1/users", []byte(minimal), "Idempotency-Key", "inflight")
			if err != nil || resp.StatusCode != http.StatusCreated {
				t.Fatalf("create: %s %v", raw, err)
			}
			select {
			case <-arrived:
			case <-time.After(30 * time.Second):
				t.Fatal("the delivery did not start")
			}
			p.kill(t)

			p = k.start()
			until(t, "the delivery cut off by the crash succeeded", func() bool {
				resp, raw, err := p.send(t.Context(), "GET", "/v1/events?type=user.created", nil)
				if err != nil || resp.StatusCode != http.StatusOK {
					return false
				}
				var page struct{ Data []struct{ ID string } }
				if json.Unmarshal(raw, &page) != nil || len(page.Data) != 1 {
					return false
				}
				resp, raw, err = p.send(t.Context(), "GET", "/v1/events/"+page.Data[0].ID, nil)
				return err == nil && resp.StatusCode == http.StatusOK && strings.Contains(string(raw), `"status":"succeeded"`)
			})
			if n := calls.Load(); n != 2 {
				t.Errorf("the receiver was called %d times, want 2 (the cut-off attempt and its retry)", n)
			}
		})
	}
}
