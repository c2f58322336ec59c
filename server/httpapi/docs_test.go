package httpapi_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/kiraapi/kira/openapi"
	"github.com/kiraapi/kira/server/apidocs"
)

// TestDocsPageFiles checks what /docs serves without a browser: the page, which loads only this
// server's files, the vendored renderer, and a redirect from /docs/.
func TestDocsPageFiles(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, env *testEnv) {
		get := func(path string) (*http.Response, string) { return page(t, http.MethodGet, env.srv.URL+path, nil) }
		resp, html := get("/docs")
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
			!strings.Contains(resp.Header.Get("Content-Security-Policy"), "script-src 'self'") {
			t.Fatalf("GET /docs: %d %v", resp.StatusCode, resp.Header)
		}
		if strings.Contains(html, "http://") || strings.Contains(html, "https://") {
			t.Errorf("the page loads something from elsewhere: %s", html)
		}
		resp, bundle := get("/docs/redoc.standalone.js")
		if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Type"), "javascript") || len(bundle) < 500_000 ||
			!strings.Contains(bundle, apidocs.Version()) {
			t.Errorf("GET /docs/redoc.standalone.js: %d %s, %d bytes", resp.StatusCode, resp.Header.Get("Content-Type"), len(bundle))
		}
		if resp, body := get("/docs/"); resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != "../docs" || body != "" {
			t.Errorf("GET /docs/: %d %s %q", resp.StatusCode, resp.Header.Get("Location"), body)
		}
	})
}

// TestDocsPageInChromium opens /docs in headless Chromium that can resolve no host but this
// machine's: Redoc renders every operation of the spec from the server's own files.
func TestDocsPageInChromium(t *testing.T) {
	t.Parallel()
	browserPath := chromium(t)
	spec, err := openapi.Load()
	if err != nil {
		t.Fatal(err)
	}
	var summaries []string
	for _, item := range spec.Paths.Map() {
		for _, op := range item.Operations() {
			summaries = append(summaries, op.Summary)
		}
	}
	forEachBackend(t, func(t *testing.T, env *testEnv) {
		// Offline: every host name but the loopback address fails to resolve.
		ctx := startChromium(t, browserPath, chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"))
		// Redoc shows its menu of operations beside the content in a wide window.
		err := chromedp.Do(ctx,
			chromedp.EmulateViewport(1280, 900),
			chromedp.Navigate(env.srv.URL+"/docs"),
			chromedp.WaitVisible(`.api-content`),
			chromedp.WaitVisible(`.menu-content`),
		)
		if err != nil {
			t.Fatalf("browser: %v", err)
		}
		text, err := chromedp.Run(ctx, chromedp.Text(`body`))
		if err != nil {
			t.Fatal(err)
		}
		shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatal(err)
		}
		if dir := os.Getenv("KIRA_SCREENSHOT_DIR"); dir != "" {
			_ = os.WriteFile(filepath.Join(dir, "docs-"+filepath.Base(t.Name())+".png"), shot, 0o644)
		}
		if !strings.Contains(text, spec.Info.Title) {
			t.Errorf("the page does not show the title %q", spec.Info.Title)
		}
		for _, s := range summaries {
			if !strings.Contains(text, s) {
				t.Errorf("the page does not show the operation %q", s)
			}
		}
	})
}
