package main

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/kiraapi/kira/client"
	"github.com/kiraapi/kira/gen/apitypes"
	"github.com/kiraapi/kira/server/persona/personatest"
	"github.com/kiraapi/kira/server/secret"
	"github.com/kiraapi/kira/server/storetest"
)

// TestProductionVerifiesThroughPersona runs kirad as a process with KIRA_MODE=production and
// KIRA_PROVIDER=persona against a fake Persona: the seed user's verification creates an inquiry
// about it, and Persona's signed approval, sent to kirad's webhook route, verifies it.
func TestProductionVerifiesThroughPersona(t *testing.T) {
	t.Parallel()
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			fake := personatest.New(t, "sk_test_e2e")
			creds := client.Credentials{APIKey: "kira_sk_persona_test_key_0123456", ClientID: "persona-test-client", Password: "persona-test-password"}
			kirad := startChild(t, []string{
				"KIRA_MODE=production", "KIRA_PROVIDER=persona",
				"KIRA_PERSONA_API_KEY=sk_test_e2e", "KIRA_PERSONA_WEBHOOK_SECRET=wbhsec_e2e", "KIRA_PERSONA_TEMPLATE_ID=itmpl_e2e",
				"KIRA_PERSONA_BASE_URL=" + fake.URL,
				"KIRA_DATABASE_URL=" + b.NewURL(t), "KIRA_ENCRYPTION_KEY=" + secret.NewKey(),
				"KIRA_API_KEY=" + creds.APIKey, "KIRA_CLIENT_ID=" + creds.ClientID, "KIRA_PASSWORD=" + creds.Password,
			})
			c, err := client.New("http://"+kirad.addr, creds)
			if err != nil {
				t.Fatal(err)
			}
			res, err := c.API.CreateUserWithResponse(t.Context(), &apitypes.CreateUserParams{}, completeUser("john.doe@example.com"))
			if err != nil || res.JSON201 == nil {
				t.Fatalf("create: %v %s", err, res.Body)
			}
			id := res.JSON201.Id.String()
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			var inq personatest.Inquiry
			select {
			case inq = <-fake.Created():
			case <-ctx.Done():
				t.Fatal("kirad created no inquiry")
			}
			if inq.ReferenceID != id || inq.TemplateID != "itmpl_e2e" || inq.Fields["name-first"] != "John" {
				t.Errorf("inquiry %+v", inq)
			}
			waitForStatus(ctx, t, c, id, apitypes.UserStatusVERIFYING)
			inq.Status = "approved"
			body := personatest.Event("evt_e2e_approved", "inquiry.approved", inq, time.Now())
			// Persona retries a webhook until it gets a 200: the inquiry may be recorded a moment
			// after Persona created it.
			tick := time.NewTicker(50 * time.Millisecond)
			defer tick.Stop()
			for personatest.Deliver(t, "http://"+kirad.addr+"/vendor/persona/webhooks", body, time.Now(), "wbhsec_e2e") != http.StatusOK {
				select {
				case <-ctx.Done():
					t.Fatal("kirad did not accept the approval")
				case <-tick.C:
				}
			}
			waitForStatus(ctx, t, c, id, apitypes.UserStatusVERIFIED)
		})
	}
}
