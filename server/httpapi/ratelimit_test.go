package httpapi_test

import (
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/kiraapi/kira/server/clocktest"
	"github.com/kiraapi/kira/server/httpapi"
)

func TestRateLimit(t *testing.T) {
	t.Parallel()
	clk := clocktest.New(time.Date(2026, 11, 25, 20, 0, 0, 0, time.UTC))
	srv := serve(t, httpapi.Options{Now: clk.Now, RateLimit: httpapi.RateLimit{PerSecond: 2, Burst: 3}})
	// An invalid request is counted before it is validated, so no service is needed behind it.
	const path = "/v1/events?limit=0"
	statuses := []int{}
	var last *http.Response
	for range 4 {
		resp, raw := srv.Do(t, "GET", path, creds, nil)
		statuses = append(statuses, resp.StatusCode)
		last = resp
		if resp.StatusCode == http.StatusTooManyRequests && decode[errorBody](t, raw).Code != "rate_limited" {
			t.Errorf("429 body: %s", raw)
		}
	}
	if want := []int{400, 400, 400, 429}; !slices.Equal(statuses, want) {
		t.Fatalf("statuses = %v, want %v", statuses, want)
	}
	if ra, err := strconv.Atoi(last.Header.Get("Retry-After")); err != nil || ra < 1 {
		t.Errorf("Retry-After = %q", last.Header.Get("Retry-After"))
	}
	if last.Header.Get("RateLimit-Limit") != "3" || last.Header.Get("RateLimit-Remaining") != "0" {
		t.Errorf("RateLimit headers: %v", last.Header)
	}
	// Other keys have their own budget; time refills this one.
	if resp, _ := srv.Do(t, "GET", path, withHeader(creds, "X-Api-Key", "other"), nil); resp.StatusCode == http.StatusTooManyRequests {
		t.Error("another API key was limited too")
	}
	clk.Advance(time.Second)
	if resp, _ := srv.Do(t, "GET", path, creds, nil); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("after a second: %d", resp.StatusCode)
	}
	// Health probes carry no key and are never limited.
	for range 10 {
		if resp, _ := srv.Do(t, "GET", "/healthz", nil, nil); resp.StatusCode != 200 {
			t.Fatalf("healthz: %d", resp.StatusCode)
		}
	}
}
