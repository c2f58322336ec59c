// Package timestamp is the API's one timestamp format: RFC 3339 in UTC with exactly three
// fractional digits (milliseconds), such as 2026-11-25T20:01:34.249Z. Every timestamp the API
// writes, in responses, webhook payloads and verification reasons, has this form; the generated
// types use Time for the spec's date-time format.
package timestamp

import (
	"encoding/json"
	"fmt"
	"time"
)

// Layout is the format of every timestamp the API writes.
const Layout = "2006-01-02T15:04:05.000Z"

// Time is a time.Time that encodes as Layout and decodes from any RFC 3339 timestamp.
type Time struct{ time.Time }

// Of returns t in UTC, cut to the millisecond: what the API writes of it.
func Of(t time.Time) Time { return Time{t.UTC().Truncate(time.Millisecond)} }

// String formats t as Layout.
func (t Time) String() string { return Of(t.Time).Format(Layout) }

// appendText appends t formatted as Layout to b; it fails for a year outside 0000-9999, which
// RFC 3339 cannot write.
func (t Time) appendText(b []byte) ([]byte, error) {
	u := Of(t.Time)
	if y := u.Year(); y < 0 || y > 9999 {
		return nil, fmt.Errorf("timestamp: year %d outside 0000-9999", y)
	}
	return u.AppendFormat(b, Layout), nil
}

// MarshalText implements encoding.TextMarshaler (and so JSON encoding).
func (t Time) MarshalText() ([]byte, error) {
	return t.appendText(make([]byte, 0, len(Layout)))
}

// UnmarshalText implements encoding.TextUnmarshaler: it takes any RFC 3339 timestamp.
func (t *Time) UnmarshalText(b []byte) error {
	v, err := time.Parse(time.RFC3339Nano, string(b))
	if err != nil {
		return fmt.Errorf("timestamp: %w", err)
	}
	t.Time = v
	return nil
}

// MarshalJSON implements json.Marshaler, in place of the embedded time.Time's.
func (t Time) MarshalJSON() ([]byte, error) {
	b, err := t.appendText(append(make([]byte, 0, len(Layout)+2), '"'))
	if err != nil {
		return nil, err
	}
	return append(b, '"'), nil
}

// UnmarshalJSON implements json.Unmarshaler, in place of the embedded time.Time's.
func (t *Time) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("timestamp: %w", err)
	}
	return t.UnmarshalText([]byte(s))
}
