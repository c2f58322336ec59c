package httpapi_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/crypto/bcrypt"

	"github.com/kiraapi/kira/server/app"
	"github.com/kiraapi/kira/server/auth"
	"github.com/kiraapi/kira/server/httpapi"
	"github.com/kiraapi/kira/server/secret"
	"github.com/kiraapi/kira/server/storetest"
)

// The benchmarks serve requests in process (no network) so that they compare the API's own cost
// with a bare Echo handler's: run them side by side with `make bench`.

func BenchmarkBareEcho(b *testing.B) {
	e := echo.New()
	body := []byte(seedUser)
	e.GET("/v1/users/:id", func(c echo.Context) error { return c.JSONBlob(http.StatusOK, body) })
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest("GET", "/v1/users/e9610a11-d514-4587-85dc-e18e2b461e55", nil)
			w := httptest.NewRecorder()
			e.ServeHTTP(w, req)
		}
	})
}

// benchApp is the whole service on SQLite with one tenant, and headers that authenticate as it.
func benchApp(b *testing.B) (http.Handler, http.Header) {
	b.Helper()
	svc, header := benchService(b, storetest.Backends()[0], nil)
	return svc.Handler, header
}

// benchService is the whole service on a fresh database of be, with one tenant, and headers that
// authenticate as it; configure, when not nil, may change the app's options.
func benchService(b *testing.B, be storetest.Backend, configure func(*app.Options)) (*app.App, http.Header) {
	b.Helper()
	keyring, err := secret.NewKeyring(bytes.Repeat([]byte{9}, secret.KeySize))
	if err != nil {
		b.Fatal(err)
	}
	opts := app.Options{Store: be.Open(b, keyring, time.Now), Keyring: keyring,
		AuthOptions: []auth.Option{auth.WithBcryptCost(bcrypt.MinCost)}, RateLimit: httpapi.RateLimit{}}
	if configure != nil {
		configure(&opts)
	}
	svc, err := app.New(opts)
	if err != nil {
		b.Fatal(err)
	}
	_, creds, err := svc.Auth.CreateTenant(b.Context(), "bench")
	if err != nil {
		b.Fatal(err)
	}
	token, _, err := svc.Auth.Login(b.Context(), creds.APIKey, creds.ClientID, creds.Password)
	if err != nil {
		b.Fatal(err)
	}
	return svc, http.Header{"Authorization": {"Bearer " + token}, "X-Api-Key": {creds.APIKey}, "Content-Type": {"application/json"}}
}

func BenchmarkGetUser(b *testing.B) {
	h, headers := benchApp(b)
	req := httptest.NewRequest("POST", "/v1/users", strings.NewReader(seedUser))
	req.Header = headers.Clone()
	req.Header.Set("Idempotency-Key", "bench-get")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != http.StatusCreated {
		b.Fatalf("create: %d %s", w.Code, w.Body)
	}
	id := decodeID(b, w.Body.Bytes())
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			// A request per call, as a server makes: middleware wraps its body.
			req := httptest.NewRequest("GET", "/v1/users/"+id, nil)
			req.Header = headers.Clone()
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != http.StatusOK {
				b.Fatalf("get: %d", w.Code)
			}
		}
	})
}

func BenchmarkCreateUser(b *testing.B) {
	h, headers := benchApp(b)
	var n atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			req := httptest.NewRequest("POST", "/v1/users", strings.NewReader(fmt.Sprintf(`{"type":"individual","email":"u%d@example.com","first_name":"John","last_name":"Doe","birth_date":"1990-01-15","phone":"+14155550123"}`, i)))
			req.Header = headers.Clone()
			req.Header.Set("Idempotency-Key", fmt.Sprint("bench-", i))
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != http.StatusCreated {
				b.Fatalf("create: %d %s", w.Code, w.Body)
			}
		}
	})
}

func decodeID(b *testing.B, raw []byte) string {
	b.Helper()
	i := bytes.Index(raw, []byte(`"id":"`))
	if i < 0 {
		b.Fatalf("no id in %s", raw)
	}
	return string(raw[i+6 : i+6+36])
}

// BenchmarkListCountries serves GET /v1/countries (auth, validation, the precomputed body), and
// the 304 a client holding the current copy gets.
func BenchmarkListCountries(b *testing.B) {
	h, headers := benchApp(b)
	req := httptest.NewRequest("GET", "/v1/countries", nil)
	req.Header = headers.Clone()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	etag := w.Header().Get("ETag")
	if w.Code != http.StatusOK || etag == "" {
		b.Fatalf("list: %d, ETag %q", w.Code, etag)
	}
	for _, bc := range []struct {
		name        string
		ifNoneMatch string
		status      int
	}{{"200", "", http.StatusOK}, {"304", etag, http.StatusNotModified}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req := httptest.NewRequest("GET", "/v1/countries", nil)
					req.Header = headers.Clone()
					if bc.ifNoneMatch != "" {
						req.Header.Set("If-None-Match", bc.ifNoneMatch)
					}
					w := httptest.NewRecorder()
					h.ServeHTTP(w, req)
					if w.Code != bc.status {
						b.Fatalf("list: %d", w.Code)
					}
				}
			})
		})
	}
}
