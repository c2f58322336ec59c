package webhook_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"time"

	"github.com/kiraapi/kira/client/webhook"
	"github.com/kiraapi/kira/gen/apitypes"
)

// A receiver checks each delivery with the endpoint's secret before trusting it, and deduplicates
// on the webhook-id header (the event id, the same on every retry).
func ExampleVerify() {
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw4pH8k3aBIQ4="
	receiver := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "cannot read the body", http.StatusBadRequest)
			return
		}
		ev, err := webhook.Verify(secret, r.Header, body)
		if err != nil {
			http.Error(w, "invalid signature", http.StatusUnauthorized)
			return
		}
		payload, err := ev.ValueByDiscriminator()
		if err != nil {
			http.Error(w, "unknown event", http.StatusBadRequest)
			return
		}
		switch e := payload.(type) {
		case apitypes.UserVerificationAcceptedEvent:
			fmt.Println("verified:", e.Data.UserId)
		case apitypes.UserVerificationFailedEvent:
			fmt.Println("rejected:", e.Data.UserId, len(e.Data.Reasons), "reasons")
		}
		w.WriteHeader(http.StatusNoContent)
	})

	// What Kira sends.
	body := `{"event":"user.verification.accepted","data":{"event_id":"ec538bcc-53e3-4d1b-bb8b-0e8cfd6e6aac","user_id":"e9610a11-d514-4587-85dc-e18e2b461e55","status":"VERIFIED","verified_fields":["first_name"]}}`
	id, now := "ec538bcc-53e3-4d1b-bb8b-0e8cfd6e6aac", time.Now()
	signature, err := webhook.Sign(secret, id, now, []byte(body))
	if err != nil {
		panic(err)
	}
	req := httptest.NewRequest(http.MethodPost, "/hook", strings.NewReader(body))
	req.Header.Set(webhook.HeaderID, id)
	req.Header.Set(webhook.HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
	req.Header.Set(webhook.HeaderSignature, signature)
	req.Header.Set(webhook.HeaderSHA256, webhook.SignatureSHA256(secret, []byte(body)))
	rec := httptest.NewRecorder()
	receiver.ServeHTTP(rec, req)
	fmt.Println(rec.Code)

	// A forged delivery.
	req = httptest.NewRequest(http.MethodPost, "/hook", strings.NewReader(strings.Replace(body, "VERIFIED", "REJECTED", 1)))
	req.Header.Set(webhook.HeaderID, id)
	req.Header.Set(webhook.HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
	req.Header.Set(webhook.HeaderSignature, signature)
	rec = httptest.NewRecorder()
	receiver.ServeHTTP(rec, req)
	fmt.Println(rec.Code)
	// Output:
	// verified: e9610a11-d514-4587-85dc-e18e2b461e55
	// 204
	// 401
}
