package store

import (
	"bytes"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/kiraapi/kira/server/secret"
)

// TestRefusesNewerSchema opens a database that a newer release has migrated: the store refuses it,
// naming both versions, instead of running against tables it does not know.
func TestRefusesNewerSchema(t *testing.T) {
	keyring, err := secret.NewKeyring(bytes.Repeat([]byte{1}, secret.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{URL: "sqlite:" + filepath.Join(t.TempDir(), "kira.db"), Keyring: keyring, Logger: slog.New(slog.DiscardHandler)}
	st, err := Open(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	known, err := migrations(st.db.dialect())
	if err != nil {
		t.Fatal(err)
	}
	latest := known[len(known)-1].version
	if _, err := st.db.writer().exec(t.Context(), "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)", 9999, st.timestamp(st.now())); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = Open(t.Context(), opts)
	if err == nil {
		t.Fatal("Open accepted a database migrated by a newer release")
	}
	for _, want := range []string{"version 9999", "this binary's " + strconv.Itoa(latest)} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
}
