package hosted_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/kiraapi/kira/openapi"
	"github.com/kiraapi/kira/server/hosted"
	"github.com/kiraapi/kira/server/kyc"
)

// fakeSessions answers every call with err.
type fakeSessions struct{ err error }

func (fakeSessions) AttemptsLeft(*kyc.User) int { return 1 }

func (fakeSessions) Rules() kyc.RequirementSet { return kyc.SeedRequirements }

func (f fakeSessions) OpenSession(context.Context, string) (*kyc.Session, *kyc.User, error) {
	return nil, nil, f.err
}

func (f fakeSessions) SubmitSession(context.Context, string, kyc.Patch) (*kyc.Session, *kyc.User, error) {
	return nil, nil, f.err
}

// plainHasher stands for the server's keyring.
type plainHasher struct{}

func (plainHasher) Hash(purpose, value string) string { return purpose + ":" + value }

// TestPageOutage: an internal error while the readiness check fails is an outage, 503 with
// Retry-After and a page that says to try again shortly, as the API answers; while ready it is
// 500. Neither says anything of the error.
func TestPageOutage(t *testing.T) {
	t.Parallel()
	spec, err := openapi.Load()
	if err != nil {
		t.Fatal(err)
	}
	const id = "e9610a11-d514-4587-85dc-e18e2b461e55"
	cause := errors.New("pq: connection refused: password=hunter2")
	tests := []struct {
		name           string
		ready          func(context.Context) error
		wantStatus     int
		wantRetryAfter string
		wantText       string
	}{
		{"database down", func(context.Context) error { return errors.New("down") }, http.StatusServiceUnavailable, "5", "try again in a few seconds"},
		{"readiness check hangs", func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }, http.StatusServiceUnavailable, "5", "try again in a few seconds"},
		{"database up", func(context.Context) error { return nil }, http.StatusInternalServerError, "", "Something went wrong"},
		{"no readiness check", nil, http.StatusInternalServerError, "", "Something went wrong"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			links := hosted.Links{BaseURL: "http://127.0.0.1", Hasher: plainHasher{}}
			page := &hosted.Page{Users: fakeSessions{err: cause}, Links: links, Spec: spec, Logger: slog.New(slog.DiscardHandler), Ready: tt.ready}
			mux := http.NewServeMux()
			mux.Handle(hosted.Pattern, page)
			for _, method := range []string{http.MethodGet, http.MethodPost} {
				req := httptest.NewRequest(method, links.URL(id), strings.NewReader("birth_date=1990-01-15"))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				rec := httptest.NewRecorder()
				mux.ServeHTTP(rec, req)
				body, _ := io.ReadAll(rec.Result().Body)
				if rec.Code != tt.wantStatus || rec.Header().Get("Retry-After") != tt.wantRetryAfter ||
					!strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") || !strings.Contains(string(body), tt.wantText) {
					t.Errorf("%s: %d, Retry-After %q, %q; want %d, %q, %q", method, rec.Code, rec.Header().Get("Retry-After"),
						body, tt.wantStatus, tt.wantRetryAfter, tt.wantText)
				}
				if strings.Contains(string(body), "hunter2") || strings.Contains(string(body), "refused") {
					t.Errorf("%s: the error leaked: %s", method, body)
				}
			}
		})
	}
}

// countingReader counts the bytes read from it.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += n
	return n, err
}

// TestPagePostUnread: a post whose link's token is wrong, or whose session cannot be opened for an
// internal error, is answered without its body being read, whatever its size, so that no client
// without a valid link makes the server hold files.
func TestPagePostUnread(t *testing.T) {
	t.Parallel()
	spec, err := openapi.Load()
	if err != nil {
		t.Fatal(err)
	}
	page := &hosted.Page{Users: fakeSessions{err: errors.New("connection refused")}, Links: hosted.Links{BaseURL: "http://127.0.0.1", Hasher: plainHasher{}},
		Spec: spec, Logger: slog.New(slog.DiscardHandler)}
	mux := http.NewServeMux()
	mux.Handle(hosted.Pattern, page)
	const id = "e9610a11-d514-4587-85dc-e18e2b461e55"
	for _, tt := range []struct {
		query string
		want  int
	}{
		{"", http.StatusNotFound},
		{"?token=x", http.StatusNotFound},
		{"?token=verification-link:" + id, http.StatusInternalServerError},
	} {
		body := &countingReader{r: io.MultiReader(strings.NewReader("--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.png\"\r\n\r\n"),
			strings.NewReader(strings.Repeat("a", 8<<20)))}
		req := httptest.NewRequest(http.MethodPost, "/verify/"+id+tt.query, body)
		req.Header.Set("Content-Type", "multipart/form-data; boundary=b")
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		if rec.Code != tt.want || body.n != 0 {
			t.Errorf("%q: status %d after reading %d bytes, want %d unread", tt.query, rec.Code, body.n, tt.want)
		}
	}
}
