package httpapi

import "testing"

func TestNoneMatch(t *testing.T) {
	t.Parallel()
	const etag = `"abc"`
	tests := []struct {
		field string
		want  bool
	}{
		{`"abc"`, true},
		{`W/"abc"`, true},
		{`*`, true},
		{`"x", "abc"`, true},
		{`"x",W/"abc"`, true},
		{` , "abc" `, true},
		{`"a,b", "abc"`, true},
		{`"abcd"`, false},
		{`"x"`, false},
		{`abc`, false},
		{`"abc`, false},
		{`W/`, false},
		{``, false},
		{`"x", *`, false},
	}
	for _, tt := range tests {
		if got := noneMatch(tt.field, etag); got != tt.want {
			t.Errorf("noneMatch(%q) = %v, want %v", tt.field, got, tt.want)
		}
	}
}
