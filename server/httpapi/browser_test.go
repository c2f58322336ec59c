package httpapi_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromium finds the browser for the browser tests: Debian's chromium package. Without it the test
// is skipped, except in CI, where that is a failure.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("the browser test needs Chromium (apt-get install chromium); CI must install it")
	}
	t.Skip("the browser test needs Chromium: apt-get install chromium")
	return ""
}

// startChromium starts headless Chromium for the test, with extra options, and returns a context
// that drives it for at most a minute. The browser stops when the test ends.
func startChromium(t *testing.T, browserPath string, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browserPath),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), append(opts, extra...)...)
	t.Cleanup(cancelAlloc)
	browserCtx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(cancel)
	if err := chromedp.Do(browserCtx); err != nil { // start the browser without a deadline
		t.Fatalf("start Chromium: %v", err)
	}
	ctx, cancelTimeout := context.WithTimeout(browserCtx, 60*time.Second)
	t.Cleanup(cancelTimeout)
	return ctx
}

// TestHostedPageInChromium drives the hosted verification page in headless Chromium, as an end
// user would: open the link, fill in the form, submit, land on the integrator's redirect_uri.
func TestHostedPageInChromium(t *testing.T) {
	t.Parallel()
	browserPath := chromium(t)
	forEachBackend(t, func(t *testing.T, env *testEnv) {
		landed := make(chan url.Values, 1)
		yourApp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case landed <- r.URL.Query():
			default:
			}
			w.Header().Set("Content-Type", "text/html")
			_, _ = w.Write([]byte("<!doctype html><title>Done</title><h1 id=done>Thanks!</h1>"))
		}))
		t.Cleanup(yourApp.Close)

		a := env.tenant(t, "acme")
		_, raw := env.srv.Do(t, "POST", "/v1/users", a.headers("Idempotency-Key", "u"), minimalUser)
		uid := decode[user](t, raw).ID
		_, raw = env.srv.Do(t, "POST", "/v1/users/"+uid+"/verifications", a.headers("Idempotency-Key", "v"),
			map[string]string{"type": "embedded-link", "redirect_uri": yourApp.URL + "/verification-complete"})
		link := decode[session](t, raw).ProviderLink

		ctx := startChromium(t, browserPath)

		// First a mistake, to see the error next to its field.
		err := chromedp.Do(ctx,
			chromedp.Navigate(link),
			chromedp.WaitVisible(`#f-birth_date`),
			chromedp.Click(`button[type=submit]`),
			chromedp.WaitVisible(`#f-birth_date-error`),
		)
		if err != nil {
			t.Fatalf("browser: %v", err)
		}
		errorText, err := chromedp.Run(ctx, chromedp.Text(`#f-birth_date-error`))
		if err != nil {
			t.Fatal(err)
		}
		shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		err = chromedp.Do(ctx,
			chromedp.SetValue(`#f-birth_date`, "1990-01-15"),
			chromedp.SetValue(`#f-document_type`, "passport"),
			chromedp.SendKeys(`#f-document_number`, "AB1234567"),
			chromedp.SetValue(`#f-document_country`, "USA"),
			chromedp.SendKeys(`#f-address_street`, "123 Main St"),
			chromedp.SendKeys(`#f-address_city`, "San Francisco"),
			chromedp.SendKeys(`#f-address_state`, "CA"),
			chromedp.SendKeys(`#f-address_zip_code`, "94105"),
			chromedp.SetValue(`#f-address_country`, "USA"),
			chromedp.SendKeys(`#f-ssn`, "123-45-6789"),
			chromedp.Click(`button[type=submit]`),
			chromedp.WaitVisible(`#done`),
		)
		if err != nil {
			t.Fatalf("browser: %v", err)
		}
		if dir := os.Getenv("KIRA_SCREENSHOT_DIR"); dir != "" {
			_ = os.WriteFile(filepath.Join(dir, "hosted-page-"+filepath.Base(t.Name())+".png"), shot, 0o644)
		}
		if errorText != "Date of birth is required" {
			t.Errorf("error next to the field = %q", errorText)
		}
		q := <-landed
		if q.Get("user_id") != uid || q.Get("status") != "VERIFYING" || q.Get("session_id") == "" {
			t.Errorf("redirect query = %v", q)
		}
		env.awaitJobs(t, 1)
		if got := env.getUser(t, a, uid); got.Status != "VERIFIED" {
			t.Errorf("user after the page: %s", got.Status)
		}
	})
}
