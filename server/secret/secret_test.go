package secret_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/kiraapi/kira/server/secret"
)

func keyring(t *testing.T, seed byte) *secret.Keyring {
	t.Helper()
	k, err := secret.NewKeyring(bytes.Repeat([]byte{seed}, secret.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSealOpen(t *testing.T) {
	t.Parallel()
	k := keyring(t, 1)
	plain := []byte(`{"ssn":"123-45-6789"}`)
	sealed := k.Seal(plain, []byte("user-1"))
	if bytes.Contains(sealed, []byte("123-45-6789")) {
		t.Fatal("sealed value contains the plaintext")
	}
	got, err := k.Open(sealed, []byte("user-1"))
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if bytes.Equal(k.Seal(plain, []byte("user-1")), sealed) {
		t.Error("two seals of one value are equal: the nonce is not random")
	}
	tampered := append([]byte(nil), sealed...)
	tampered[len(tampered)-1] ^= 1
	for name, tc := range map[string]struct {
		k      *secret.Keyring
		sealed []byte
		aad    string
	}{
		"other row": {k, sealed, "user-2"},
		"other key": {keyring(t, 2), sealed, "user-1"},
		"tampered":  {k, tampered, "user-1"},
		"truncated": {k, sealed[:10], "user-1"},
		"empty":     {k, nil, "user-1"},
	} {
		if _, err := tc.k.Open(tc.sealed, []byte(tc.aad)); !errors.Is(err, secret.ErrOpen) {
			t.Errorf("%s: Open err = %v, want ErrOpen", name, err)
		}
	}
}

func TestHashIsKeyedAndScoped(t *testing.T) {
	t.Parallel()
	a, b := keyring(t, 1), keyring(t, 2)
	if first, second := a.Hash("idem", "k"), a.Hash("idem", "k"); first != second {
		t.Error("hash is not deterministic")
	}
	if a.Hash("idem", "k") == b.Hash("idem", "k") || a.Hash("idem", "k") == a.Hash("other", "k") {
		t.Error("hash ignores the key or the purpose")
	}
}

func TestParseKey(t *testing.T) {
	t.Parallel()
	for _, s := range []string{secret.NewKey(), "  " + secret.NewKey() + "\n", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"} {
		if _, err := secret.ParseKey(s); err != nil {
			t.Errorf("ParseKey(%q): %v", s, err)
		}
	}
	for _, s := range []string{"", "short", "AAAA"} {
		if _, err := secret.ParseKey(s); err == nil {
			t.Errorf("ParseKey(%q) accepted a bad key", s)
		}
	}
}

func TestLoadOrCreateKeyFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "kira.key")
	k1, created, err := secret.LoadOrCreateKeyFile(path)
	if err != nil || !created || len(k1) != secret.KeySize {
		t.Fatalf("first call: %v %v %d", err, created, len(k1))
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("key file mode = %v, %v", st.Mode().Perm(), err)
	}
	k2, created, err := secret.LoadOrCreateKeyFile(path)
	if err != nil || created || !bytes.Equal(k1, k2) {
		t.Errorf("second call: %v %v, same key %v", err, created, bytes.Equal(k1, k2))
	}
}
