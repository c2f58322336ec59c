package operator

import (
	"strings"
	"testing"
)

// TestPasswordHash: a hash is argon2id in the PHC format, checks the right password only, keeps
// its own parameters (a hash made with other ones still checks), and a malformed one is an error.
func TestPasswordHash(t *testing.T) {
	t.Parallel()
	cheap := Argon2Params{Time: 1, Memory: 1024, Threads: 1}
	other := Argon2Params{Time: 2, Memory: 2048, Threads: 1}
	for _, p := range []Argon2Params{cheap, other} {
		h := p.hash("correct horse battery staple")
		if !strings.HasPrefix(h, "$argon2id$v=19$") || strings.Contains(h, "correct") {
			t.Fatalf("hash %q", h)
		}
		for pw, want := range map[string]bool{"correct horse battery staple": true, "correct horse battery stapler": false, "": false} {
			if ok, err := checkPassword(h, pw); err != nil || ok != want {
				t.Errorf("checkPassword(%q) = %v, %v; want %v", pw, ok, err, want)
			}
		}
	}
	for _, bad := range []string{"", "$2a$10$bcrypt", "$argon2id$v=19$m=x$a$b", "$argon2id$v=19$m=1024,t=1,p=1$!!$!!"} {
		if _, err := checkPassword(bad, "x"); err == nil {
			t.Errorf("checkPassword accepted the malformed hash %q", bad)
		}
	}
}
