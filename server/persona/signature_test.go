package persona_test

import (
	"errors"
	"testing"
	"time"

	"github.com/kiraapi/kira/server/persona"
)

func TestVerify(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_800_000_000, 0)
	body := []byte(`{"data":{"type":"event","id":"evt_1"}}`)
	tests := []struct {
		name    string
		header  string
		secrets []string
		want    error
	}{
		{"valid", persona.Sign("wbhsec_a", now, body), []string{"wbhsec_a"}, nil},
		{"signed 4 minutes ago", persona.Sign("wbhsec_a", now.Add(-4*time.Minute), body), []string{"wbhsec_a"}, nil},
		{"signed 6 minutes ago", persona.Sign("wbhsec_a", now.Add(-6*time.Minute), body), []string{"wbhsec_a"}, persona.ErrStale},
		{"signed 6 minutes ahead", persona.Sign("wbhsec_a", now.Add(6*time.Minute), body), []string{"wbhsec_a"}, persona.ErrStale},
		{"another secret", persona.Sign("wbhsec_b", now, body), []string{"wbhsec_a"}, persona.ErrMismatch},
		{"our rotation: the old secret still accepted", persona.Sign("wbhsec_old", now, body), []string{"wbhsec_new", "wbhsec_old"}, nil},
		{"Persona's rotation: two pairs, one ours", persona.Sign("wbhsec_other", now, body) + " " + persona.Sign("wbhsec_a", now, body), []string{"wbhsec_a"}, nil},
		{"two v1 in one pair", persona.Sign("wbhsec_a", now, body) + ",v1=" + "00", []string{"wbhsec_a"}, nil},
		{"another body", persona.Sign("wbhsec_a", now, []byte(`{}`)), []string{"wbhsec_a"}, persona.ErrMismatch},
		{"no header", "", []string{"wbhsec_a"}, persona.ErrNoSignature},
		{"no timestamp", "v1=" + persona.Sign("wbhsec_a", now, body)[14:], []string{"wbhsec_a"}, persona.ErrNoSignature},
		{"no signature", "t=1800000000", []string{"wbhsec_a"}, persona.ErrNoSignature},
		{"not hex", "t=1800000000,v1=zz", []string{"wbhsec_a"}, persona.ErrNoSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if err := persona.Verify(tt.header, body, tt.secrets, now, persona.DefaultTolerance); !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Errorf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}

// TestSignMatchesTheDocumentedScheme checks Sign against an HMAC computed by hand as Persona's
// documentation describes it: hex(HMAC-SHA256(secret, "t.body")).
func TestSignMatchesTheDocumentedScheme(t *testing.T) {
	t.Parallel()
	// printf '1700000000.{}' | openssl dgst -sha256 -hmac wbhsec_test
	const want = "t=1700000000,v1=d132a70d733d73ec3162b6327e2c7fc6cdd448a4190ef20379145b7f1d2690a5"
	got := persona.Sign("wbhsec_test", time.Unix(1_700_000_000, 0), []byte(`{}`))
	if got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
}
