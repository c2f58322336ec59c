// Command kiraload measures kirad beside a bare Echo handler on the same machine, side by side in
// one run, and prints each scenario's throughput and latency and its share of the bare handler's
// throughput.
//
//	kiraload -kirad PATH [-db URL] [-conns 16] [-for 3s] [-rounds 3]
//
// It starts two servers on 127.0.0.1, each a process of its own: the bare handler (this program,
// re-run with -bare), which answers every request with a fixed 600-byte JSON user, and kirad
// (sandbox mode, no rate limit, verification decided at once), on a fresh SQLite file or on the
// PostgreSQL database -db names. Then, for several rounds, it runs each scenario against the bare
// handler and against kirad in turn, with -conns closed-loop clients for -for each:
//
//   - GET: GET /v1/users/{id} of one user;
//   - PUT: PUT /v1/users/{id}, a contact change each time (no verification);
//   - POST minimal: POST /v1/users of a user automatic verification cannot start for;
//   - POST complete: POST /v1/users of a complete user, which queues its verification.
//
// Each round also runs each scenario's floor (see floor.go), the least any server can do for that
// request on the same database: a read by primary key, or a write transaction of as many
// statements as kirad's.
//
// After the rounds, each scenario runs once more against kirad at half its median rate, open
// loop: requests start on a fixed schedule whatever the answers, and each one's latency counts
// from its scheduled start, so a slow answer delays no measurement (no coordinated omission).
// The bare handler runs the same schedule first: its p99 is the machine's and this program's own.
// Each paced run waits until kirad has no job due or running (its kira_jobs metric).
//
// The table gives, per scenario, the median over the rounds of the requests per second and of the
// p50 and p99 latencies (ms), the bare handler's median requests per second, and the ratio of
// the two; then the floor's requests per second and its ratio to the bare handler, the most
// kirad's ratio can be; then the p99 latency (ms) at half kirad's rate, kirad's and the bare
// handler's; last, the CPU time (µs, user and kernel, on Linux) each process used per request in
// the rounds, kirad's and the bare handler's: unlike the rates, which the load's own clients on
// the same cores disturb, these say what a request costs each server. Everything runs on loopback
// and stops by itself.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/labstack/echo/v4"
)

func main() {
	bare := flag.Bool("bare", false, "serve the bare handler and the floor on 127.0.0.1:0 and print the address (used by kiraload itself)")
	dir := flag.String("dir", "", "with -bare: the folder of the floor's SQLite file")
	kirad := flag.String("kirad", "", "the kirad binary to measure (required)")
	db := flag.String("db", "", "a postgres:// URL to run kirad on; empty: a fresh SQLite file")
	conns := flag.Int("conns", 16, "concurrent clients")
	each := flag.Duration("for", 3*time.Second, "how long each scenario runs per round")
	rounds := flag.Int("rounds", 3, "rounds of every scenario")
	only := flag.String("only", "", "run only these scenarios, comma-separated (GET, PUT, POST minimal, POST complete); empty: all")
	flag.Parse()
	if *bare {
		if err := serveBare(*db, *dir); err != nil {
			fmt.Fprintln(os.Stderr, "kiraload:", err)
			os.Exit(1)
		}
		return
	}
	if *kirad == "" || *conns < 1 || *rounds < 1 || *each <= 0 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*kirad, *db, *conns, *each, *rounds, *only); err != nil {
		fmt.Fprintln(os.Stderr, "kiraload:", err)
		os.Exit(1)
	}
}

// user is the bare handler's answer: a user as kirad returns one, about 600 bytes.
var user = []byte(`{"id":"e9610a11-d514-4587-85dc-e18e2b461e55","type":"individual","status":"VERIFIED",` +
	`"email":"john.doe@example.com","first_name":"John","last_name":"Doe","birth_date":"1990-01-15",` +
	`"ssn_last4":"6789","document_type":"passport","document_number_last4":"4567","document_country":"USA",` +
	`"address_street":"123 Main St","address_city":"San Francisco","address_state":"CA","address_zip_code":"94105",` +
	`"address_country":"USA","metadata":{},"verification_triggered":true,"verification_attempts":1,` +
	`"missing_fields":[],"created_at":"2026-11-25T20:01:34.249Z","updated_at":"2026-11-25T20:01:36.412Z"}`)

const (
	minimalUser  = `{"type":"individual","email":"u%d@example.com","phone":"+14155550123","first_name":"Jane","last_name":"Doe"}`
	completeUser = `{"type":"individual","email":"u%d@example.com","first_name":"John","last_name":"Doe","birth_date":"1990-01-15",` +
		`"ssn":"123-45-6789","document_type":"passport","document_number":"AB1234567","document_country":"USA",` +
		`"address_street":"123 Main St","address_city":"San Francisco","address_state":"CA","address_zip_code":"94105","address_country":"USA"}`
)

// scenario is one kind of request, made by clients in a closed loop.
type scenario struct {
	name string
	// request makes the i-th request of the scenario to base.
	request func(base string, i int64) (*http.Request, error)
	// want is the status a kirad answer must have.
	want int
	// floor makes the i-th request of the scenario's floor.
	floor func(base string, i int64) (*http.Request, error)
}

// server is a running server process and what authenticates against it.
type server struct {
	base   string
	header http.Header
	cmd    *exec.Cmd
}

func run(kirad, db string, conns int, each time.Duration, rounds int, only string) error {
	dir, err := os.MkdirTemp("", "kiraload-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	self, err := os.Executable()
	if err != nil {
		return err
	}
	bare, err := start(exec.Command(self, "-bare", "-db", db, "-dir", dir), "")
	if err != nil {
		return fmt.Errorf("start the bare handler: %w", err)
	}
	defer stop(bare)
	k, err := startKirad(kirad, db, dir)
	if err != nil {
		return err
	}
	defer stop(k)

	userID, err := seedUser(k)
	if err != nil {
		return err
	}
	var n atomic.Int64
	post := func(format string) func(string, int64) (*http.Request, error) {
		return func(base string, i int64) (*http.Request, error) {
			key := fmt.Sprintf("load-%d-%d", time.Now().UnixNano(), n.Add(1))
			req, err := http.NewRequest("POST", base+"/v1/users", strings.NewReader(fmt.Sprintf(format, n.Load())))
			if err == nil {
				req.Header.Set("Idempotency-Key", key)
			}
			return req, err
		}
	}
	scenarios := []scenario{
		{"GET", func(base string, _ int64) (*http.Request, error) {
			return http.NewRequest("GET", base+"/v1/users/"+userID, nil)
		}, http.StatusOK, floorRequest("GET", 0)},
		{"PUT", func(base string, i int64) (*http.Request, error) {
			return http.NewRequest("PUT", base+"/v1/users/"+userID, strings.NewReader(fmt.Sprintf(`{"phone":"+1415555%04d"}`, i%10000)))
		}, http.StatusOK, floorRequest("PUT", putStatements)},
		{"POST minimal", post(minimalUser), http.StatusCreated, floorRequest("POST", minimalStatements)},
		{"POST complete", post(completeUser), http.StatusCreated, floorRequest("POST", completeStatements)},
	}
	if only != "" {
		names := strings.Split(only, ",")
		scenarios = slices.DeleteFunc(scenarios, func(sc scenario) bool { return !slices.Contains(names, sc.name) })
		if len(scenarios) != len(names) {
			return fmt.Errorf("-only %q: each name must be one of GET, PUT, POST minimal, POST complete", only)
		}
	}
	type result struct{ rps, p50, p99, cpu []float64 }
	kiradResults := make([]result, len(scenarios))
	bareRPS, bareCPU, floorRPS := make([][]float64, len(scenarios)), make([][]float64, len(scenarios)), make([][]float64, len(scenarios))
	for round := range rounds {
		for i, sc := range scenarios {
			r, err := load(bare, sc, conns, each, 0)
			if err != nil {
				return fmt.Errorf("bare handler, %s: %w", sc.name, err)
			}
			bareRPS[i] = append(bareRPS[i], r.rps)
			bareCPU[i] = append(bareCPU[i], r.cpu)
			r, err = load(bare, scenario{name: sc.name, request: sc.floor}, conns, each, sc.want)
			if err != nil {
				return fmt.Errorf("floor, %s: %w", sc.name, err)
			}
			floorRPS[i] = append(floorRPS[i], r.rps)
			r, err = load(k, sc, conns, each, sc.want)
			if err != nil {
				return fmt.Errorf("kirad, %s: %w", sc.name, err)
			}
			kiradResults[i].rps = append(kiradResults[i].rps, r.rps)
			kiradResults[i].p50 = append(kiradResults[i].p50, r.p50)
			kiradResults[i].p99 = append(kiradResults[i].p99, r.p99)
			kiradResults[i].cpu = append(kiradResults[i].cpu, r.cpu)
			fmt.Fprintf(os.Stderr, "round %d, %s: kirad %.0f req/s, bare %.0f req/s, floor %.0f req/s\n", round+1, sc.name, r.rps, bareRPS[i][round], floorRPS[i][round])
		}
	}
	halfP99, bareHalfP99 := make([]float64, len(scenarios)), make([]float64, len(scenarios))
	for i, sc := range scenarios {
		if err := settle(k); err != nil {
			return err
		}
		rate := median(kiradResults[i].rps) / 2
		r, err := paced(bare, sc, rate, each, 0)
		if err != nil {
			return fmt.Errorf("bare handler at half kirad's rate, %s: %w", sc.name, err)
		}
		bareHalfP99[i] = r.p99
		if r, err = paced(k, sc, rate, each, sc.want); err != nil {
			return fmt.Errorf("kirad at half its rate, %s: %w", sc.name, err)
		}
		halfP99[i] = r.p99
		fmt.Fprintf(os.Stderr, "%s at %.0f req/s: kirad p50 %.1f ms, p99 %.1f ms; bare p99 %.1f ms\n", sc.name, rate, r.p50, r.p99, bareHalfP99[i])
	}
	backend := "SQLite"
	if db != "" {
		backend = "PostgreSQL"
	}
	fmt.Printf("kirad on %s, %d connections, %d rounds of %s (medians)\n", backend, conns, rounds, each)
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "scenario\treq/s\tp50 ms\tp99 ms\tbare req/s\tshare of bare\tfloor req/s\tfloor's share\tp99 ms at half\tbare's\tCPU µs/req\tbare's\t")
	for i, sc := range scenarios {
		rps, b, f := median(kiradResults[i].rps), median(bareRPS[i]), median(floorRPS[i])
		fmt.Fprintf(w, "%s\t%.0f\t%.1f\t%.1f\t%.0f\t%.1f%%\t%.0f\t%.1f%%\t%.1f\t%.1f\t%s\t%s\t\n", sc.name, rps, median(kiradResults[i].p50), median(kiradResults[i].p99), b, 100*rps/b, f, 100*f/b, halfP99[i], bareHalfP99[i],
			micros(median(kiradResults[i].cpu)), micros(median(bareCPU[i])))
	}
	return w.Flush()
}

// measured is one run of a scenario: requests per second, latency percentiles in ms, and the
// server process's CPU time per request in µs (0 where it cannot be read).
type measured struct{ rps, p50, p99, cpu float64 }

// load runs sc against s with conns closed-loop clients for d. A non-zero want is the status every
// answer must have.
func load(s *server, sc scenario, conns int, d time.Duration, want int) (measured, error) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns}}
	defer client.CloseIdleConnections()
	var (
		rec recorder
		i   atomic.Int64
		wg  sync.WaitGroup
	)
	cpuBefore, cpuErr := cpuTime(s.cmd.Process.Pid)
	deadline := time.Now().Add(d)
	for range conns {
		wg.Go(func() {
			var mine []time.Duration
			var err error
			for err == nil && time.Now().Before(deadline) {
				start := time.Now()
				err = send(client, s, sc, i.Add(1), want)
				mine = append(mine, time.Since(start))
			}
			rec.add(err, mine...)
		})
	}
	wg.Wait()
	cpuAfter, err := cpuTime(s.cmd.Process.Pid)
	m, runErr := rec.result(d)
	if runErr == nil && cpuErr == nil && err == nil && m.rps > 0 {
		m.cpu = float64((cpuAfter - cpuBefore).Microseconds()) / (m.rps * d.Seconds())
	}
	return m, runErr
}

// recorder gathers the latencies of a run's requests, made concurrently, and its first error.
type recorder struct {
	mu        sync.Mutex
	latencies []time.Duration
	err       error
}

// add records latencies and err (nil when all went well).
func (r *recorder) add(err error, latencies ...time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.latencies = append(r.latencies, latencies...)
	r.err = cmpOr(r.err, err)
}

// result is the run's measurement over d, or its first error.
func (r *recorder) result(d time.Duration) (measured, error) {
	if r.err != nil {
		return measured{}, r.err
	}
	return summarize(r.latencies, d), nil
}

// send makes the i-th request of sc to s with client and reads the answer, whose status must be
// want when want is not 0.
func send(client *http.Client, s *server, sc scenario, i int64, want int) error {
	req, err := sc.request(s.base, i)
	if err != nil {
		return err
	}
	req.Header = merge(req.Header, s.header)
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if want != 0 && resp.StatusCode != want {
		return fmt.Errorf("answered %d, want %d", resp.StatusCode, want)
	}
	return nil
}

// maxInFlight bounds the requests a paced run has started and not finished; beyond it the
// schedule waits, and the wait counts in the latencies.
const maxInFlight = 512

// paced runs sc against s open loop at rate requests per second for d: the i-th request is due
// at i/rate seconds, starts then (or as soon as maxInFlight allows), and its latency counts from
// when it was due. A non-zero want is the status every answer must have.
func paced(s *server, sc scenario, rate float64, d time.Duration, want int) (measured, error) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, MaxConnsPerHost: 64}}
	defer client.CloseIdleConnections()
	var (
		rec recorder
		wg  sync.WaitGroup
	)
	slots := make(chan struct{}, maxInFlight)
	interval := time.Duration(float64(time.Second) / rate)
	start := time.Now()
	for i := int64(0); ; i++ {
		due := start.Add(time.Duration(i) * interval)
		if due.Sub(start) >= d {
			break
		}
		time.Sleep(time.Until(due))
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			err := send(client, s, sc, i, want)
			rec.add(err, time.Since(due))
		})
	}
	wg.Wait()
	return rec.result(d)
}

// settle waits, a minute at most, until kirad has no job due or running: the verifications and
// deliveries the rounds queued would otherwise run beside a paced run and count in its latencies.
// It reads kirad's queue from its metrics (kira_jobs).
func settle(k *server) error {
	deadline := time.Now().Add(time.Minute)
	for {
		resp, err := http.Get(k.base + "/metrics")
		if err != nil {
			return fmt.Errorf("read kirad's metrics: %w", err)
		}
		pending, err := pendingJobs(resp.Body)
		resp.Body.Close()
		switch {
		case err != nil:
			return fmt.Errorf("read kirad's metrics: %w", err)
		case pending == 0:
			return nil
		case time.Now().After(deadline):
			return fmt.Errorf("kirad still has %d jobs due or running after a minute", pending)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// pendingJobs sums the kira_jobs samples of the states available and running in a Prometheus
// text exposition.
func pendingJobs(r io.Reader) (int, error) {
	total := 0
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "kira_jobs{") || !strings.Contains(line, `state="available"`) && !strings.Contains(line, `state="running"`) {
			continue
		}
		_, value, _ := strings.Cut(line, "} ")
		n, err := strconv.ParseFloat(value, 64)
		if err != nil {
			return 0, fmt.Errorf("sample %q: %w", line, err)
		}
		total += int(n)
	}
	return total, sc.Err()
}

// summarize returns the rate and the p50 and p99 of latencies, measured over d.
func summarize(latencies []time.Duration, d time.Duration) measured {
	slices.Sort(latencies)
	pct := func(p float64) float64 {
		if len(latencies) == 0 {
			return 0
		}
		return float64(latencies[int(p*float64(len(latencies)-1))].Microseconds()) / 1000
	}
	return measured{rps: float64(len(latencies)) / d.Seconds(), p50: pct(0.5), p99: pct(0.99)}
}

func cmpOr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

func merge(h, extra http.Header) http.Header {
	for k, v := range extra {
		h[k] = v
	}
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", "application/json")
	}
	return h
}

// micros formats a CPU time per request in µs, "-" when it is unknown (0).
func micros(us float64) string {
	if us == 0 {
		return "-"
	}
	return strconv.FormatFloat(us, 'f', 0, 64)
}

func median(v []float64) float64 {
	s := slices.Sorted(slices.Values(v))
	return s[len(s)/2]
}

// serveBare serves the bare handler, and the floor on db (a new SQLite file in dir when empty),
// and prints its address on stdout.
func serveBare(db, dir string) error {
	f, err := openFloor(context.Background(), db, dir)
	if err != nil {
		return err
	}
	defer f.close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Println(ln.Addr().String())
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	f.routes(e)
	e.Any("/*", func(c echo.Context) error { return c.JSONBlob(http.StatusOK, user) })
	return http.Serve(ln, e)
}

// startKirad starts kirad in sandbox mode on db (or a SQLite file in dir) with a tenant of its
// own, and logs in.
func startKirad(path, db, dir string) (*server, error) {
	if db == "" {
		db = "sqlite:" + filepath.Join(dir, "kira.db")
	}
	creds := map[string]string{"client_id": "kiraload", "password": "kiraload-password"}
	apiKey := "kira_sk_kiraload_0123456789abcdef"
	cmd := exec.Command(path)
	cmd.Env = append(os.Environ(), "KIRA_ADDR=127.0.0.1:0", "KIRA_DATABASE_URL="+db, "KIRA_MODE=sandbox",
		"KIRA_RATE_LIMIT=0", "KIRA_SANDBOX_DELAY=0", "KIRA_LOG_FORMAT=json",
		// A key of its own, the same every run, so that a run can reuse a database of a former one.
		"KIRA_ENCRYPTION_KEY="+strings.Repeat("6b", 32),
		"KIRA_API_KEY="+apiKey, "KIRA_CLIENT_ID="+creds["client_id"], "KIRA_PASSWORD="+creds["password"])
	cmd.Dir = dir
	s, err := start(cmd, "listening")
	if err != nil {
		return nil, fmt.Errorf("start kirad: %w", err)
	}
	body, _ := json.Marshal(creds)
	req, _ := http.NewRequest("POST", s.base+"/auth", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Api-Key", apiKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		stop(s)
		return nil, fmt.Errorf("log in to kirad: %w", err)
	}
	defer resp.Body.Close()
	var token struct {
		Data struct {
			AccessToken string `json:"access_token"`
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&token); err != nil || token.Data.AccessToken == "" {
		stop(s)
		return nil, fmt.Errorf("log in to kirad: %d %v", resp.StatusCode, err)
	}
	s.header = http.Header{"Authorization": {"Bearer " + token.Data.AccessToken}, "X-Api-Key": {apiKey}}
	return s, nil
}

// start starts cmd and waits for its address: the first line of its stdout for the bare handler,
// or, when logLine is set, the "addr" of kirad's JSON log line with that message on stderr.
func start(cmd *exec.Cmd, logLine string) (*server, error) {
	var out io.ReadCloser
	var err error
	if logLine == "" {
		out, err = cmd.StdoutPipe()
	} else {
		out, err = cmd.StderrPipe()
	}
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd}
	addr := make(chan string, 1)
	ended := make(chan string, 1) // the last line of a process that ended before its address
	go func() {
		// Once the address is known the rest of the output is drained unread: parsing kirad's
		// access log would take the machine's time from the servers measured.
		defer io.Copy(io.Discard, out)
		sc := bufio.NewScanner(out)
		last := ""
		for sc.Scan() {
			if logLine == "" {
				addr <- sc.Text()
				return
			}
			var line struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == logLine {
				addr <- line.Addr
				return
			}
			last = sc.Text()
		}
		ended <- last
	}()
	select {
	case a := <-addr:
		s.base = "http://" + a
		return s, nil
	case last := <-ended:
		stop(s)
		return nil, fmt.Errorf("it ended before listening; its last words: %s", last)
	case <-time.After(30 * time.Second):
		stop(s)
		return nil, errors.New("no address within 30 s")
	}
}

func stop(s *server) {
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
}

// seedUser creates the user that GET and PUT work on.
func seedUser(s *server) (string, error) {
	req, _ := http.NewRequestWithContext(context.Background(), "POST", s.base+"/v1/users", strings.NewReader(fmt.Sprintf(minimalUser, 0)))
	req.Header = merge(req.Header, s.header)
	req.Header.Set("Idempotency-Key", fmt.Sprint("seed-", time.Now().UnixNano()))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var u struct{ ID string }
	if err := json.NewDecoder(resp.Body).Decode(&u); err != nil || resp.StatusCode != http.StatusCreated {
		return "", fmt.Errorf("seed a user: %d %v", resp.StatusCode, err)
	}
	return u.ID, nil
}
