package kyc_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/kiraapi/kira/server/kyc"
)

// TestRedactPayloadRemovesUserFields checks that the personal fields of an event payload, those
// of the user field table, go (email, which the API requires, becomes the placeholder) and that
// everything else stays.
func TestRedactPayloadRemovesUserFields(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"user.created with a phone",
			`{"event":"user.created","data":{"event_id":"e","user_id":"u","type":"individual","email":"a@b.example","phone":"+14155550123","status":"CREATED","created_at":"t","verification_triggered":false}}`,
			`{"event":"user.created","data":{"event_id":"e","user_id":"u","type":"individual","email":"` + kyc.RedactedEmail + `","status":"CREATED","created_at":"t","verification_triggered":false}}`},
		{"no personal field",
			`{"event":"user.status_changed","data":{"event_id":"e","user_id":"u","previous_status":"CREATED","new_status":"VERIFYING"}}`,
			`{"event":"user.status_changed","data":{"event_id":"e","user_id":"u","previous_status":"CREATED","new_status":"VERIFYING"}}`},
		{"any user field",
			`{"event":"user.created","data":{"event_id":"e","first_name":"Ada","ssn":"123-45-6789","metadata":{"k":"v"}}}`,
			`{"event":"user.created","data":{"event_id":"e"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := kyc.RedactPayload(json.RawMessage(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			var g, w any
			if err := json.Unmarshal(got, &g); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal([]byte(tt.want), &w); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(g, w) {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
	if _, err := kyc.RedactPayload(json.RawMessage(`not json`)); err == nil {
		t.Error("a payload that is not JSON was accepted")
	}
}
