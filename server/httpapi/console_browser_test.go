package httpapi_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/kiraapi/kira/server/kyc"
)

// TestConsoleInChromium drives the review console in headless Chromium, as an operator would,
// with JavaScript on and off: sign in, open the queue, open a user, reveal its SSN (audited),
// reject it with a reason; the integrator's receiver gets user.verification.failed.
func TestConsoleInChromium(t *testing.T) {
	t.Parallel()
	browserPath := chromium(t)
	forEachBackend(t, func(t *testing.T, env *testEnv) {
		a := env.tenant(t, "acme")
		users := map[bool]string{false: env.reviewUser(t, a), true: env.reviewUser(t, a)}
		hooks := env.subscribe(t, a)
		o := env.operator(t, "ada@compliance.example", false)
		for _, script := range []bool{false, true} {
			userID := users[script]
			name := "without JavaScript"
			if script {
				name = "with JavaScript"
			}
			t.Run(name, func(t *testing.T) {
				tab := startChromium(t, browserPath) // a browser of its own: a fresh minute, fresh cookies
				if err := chromedp.Do(tab, scriptEnabled(script)); err != nil {
					t.Fatal(err)
				}
				reviewInBrowser(t, env, tab, o, userID, "We could not confirm your identity ("+name+").")
				event, data := decisionEvent(t, hooks)
				reasons, _ := json.Marshal(data["reasons"])
				if event != "user.verification.failed" || data["user_id"] != userID || !strings.Contains(string(reasons), name) {
					t.Errorf("receiver got %s %v", event, data)
				}
			})
		}
		var reveals int
		for _, e := range env.audit(t) {
			if e.Action == kyc.AuditReveal && e.Field == "ssn" && e.OperatorID == o.ID {
				reveals++
			}
		}
		if reveals != 2 {
			t.Errorf("%d reveals audited, want 2", reveals)
		}
	}, cheapOperators)
}

// scriptEnabled turns the tab's JavaScript on or off.
func scriptEnabled(on bool) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, tg, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: !on})
		return chromedp.Void{}, err
	}
}

// reviewInBrowser signs o in, opens the user from the queue, reveals its SSN and rejects it with
// reason.
func reviewInBrowser(t *testing.T, env *testEnv, tab context.Context, o testOperator, userID, reason string) {
	t.Helper()
	step(t, tab, "sign in and open the user",
		chromedp.Navigate(env.srv.URL+"/console/login"),
		chromedp.WaitVisible(`#email`),
		chromedp.SetValue(`#email`, o.Email),
		chromedp.SetValue(`#password`, o.password),
		chromedp.Click(`button[type=submit]`),
		chromedp.WaitVisible(`a[href$="`+userID+`"]`),
		chromedp.Click(`a[href$="`+userID+`"]`),
		chromedp.WaitVisible(`#reveal-ssn`),
	)
	masked, err := chromedp.Run(tab, chromedp.Text(`#v-ssn`))
	if err != nil {
		t.Fatal(err)
	}
	step(t, tab, "reveal the SSN", chromedp.Click(`#reveal-ssn`), chromedp.WaitVisible(`#revealed-ssn`))
	clear, err := chromedp.Run(tab, chromedp.Text(`#v-ssn`))
	if err != nil {
		t.Fatal(err)
	}
	shot, err := chromedp.Run(tab, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	step(t, tab, "reject",
		chromedp.SetValue(`#reason`, reason),
		chromedp.SetValue(`#developer_reason`, "Reviewed in the console."),
		chromedp.Click(`#reject`),
		chromedp.WaitVisible(`#decided`),
	)
	if dir := os.Getenv("KIRA_SCREENSHOT_DIR"); dir != "" {
		_ = os.WriteFile(filepath.Join(dir, "console-"+strings.ReplaceAll(t.Name(), "/", "-")+".png"), shot, 0o644)
	}
	if masked != "•••• 2222" || clear != "222-22-2222" {
		t.Errorf("SSN masked %q, revealed %q", masked, clear)
	}
}

// step runs actions in the tab for at most 25 seconds; on failure it says where the tab is.
func step(t *testing.T, tab context.Context, name string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab, 25*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		where, _ := chromedp.Run(tab, chromedp.Location())
		text, _ := chromedp.Run(tab, chromedp.OuterHTML(`main`))
		t.Fatalf("%s: %v, at %s: %s", name, err, where, text)
	}
}
