package timestamp_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/kiraapi/kira/openapi/timestamp"
)

func TestOneFormat(t *testing.T) {
	t.Parallel()
	paris := time.FixedZone("CET", 3600)
	tests := []struct {
		in   time.Time
		want string
	}{
		{time.Date(2026, 11, 25, 20, 1, 34, 249_123_456, time.UTC), `"2026-11-25T20:01:34.249Z"`},
		{time.Date(2026, 11, 25, 20, 1, 34, 0, time.UTC), `"2026-11-25T20:01:34.000Z"`},
		{time.Date(2026, 11, 25, 20, 1, 34, 100_000_000, time.UTC), `"2026-11-25T20:01:34.100Z"`},
		{time.Date(2026, 11, 25, 21, 1, 34, 999_999, paris), `"2026-11-25T20:01:34.000Z"`},
	}
	for _, tt := range tests {
		got, err := json.Marshal(struct{ T timestamp.Time }{timestamp.Of(tt.in)})
		if err != nil || string(got) != `{"T":`+tt.want+`}` {
			t.Errorf("%v: %s %v, want %s", tt.in, got, err, tt.want)
		}
		var back timestamp.Time
		if err := json.Unmarshal([]byte(tt.want), &back); err != nil || !back.Equal(tt.in.Truncate(time.Millisecond)) {
			t.Errorf("decode %s: %v %v", tt.want, back, err)
		}
	}
	var any timestamp.Time
	if err := json.Unmarshal([]byte(`"2026-11-25T21:01:34.123456789+01:00"`), &any); err != nil || any.UTC().Hour() != 20 {
		t.Errorf("decode another RFC 3339 form: %v %v", any, err)
	}
	if err := json.Unmarshal([]byte(`"yesterday"`), &any); err == nil {
		t.Error("decoded a non-timestamp")
	}
}
