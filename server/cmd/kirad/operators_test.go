package main

import (
	"context"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kiraapi/kira/server/config"
	"github.com/kiraapi/kira/server/kyc"
	"github.com/kiraapi/kira/server/operator"
)

// TestOperatorsCommands creates operators (the password on stdin, with and without TOTP) and an
// operator token, and checks what the database then holds: the operator, its password (never in
// the clear), and a token that grants review:decide.
func TestOperatorsCommands(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env := map[string]string{"KIRA_DATABASE_URL": "sqlite:" + filepath.Join(dir, "kira.db")}
	cfg, err := config.FromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.DiscardHandler)
	stdin := func(text string) *os.File {
		path := filepath.Join(dir, "stdin")
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	ctx := context.Background()
	command := func(input string, args ...string) (string, error) {
		var out strings.Builder
		err := operatorsCommand(ctx, cfg, logger, args, stdin(input), &out, io.Discard)
		return out.String(), err
	}

	out, err := command("a long enough password\n", "create", "--email", "ada@compliance.example")
	if err != nil || !strings.Contains(out, "ada@compliance.example") || strings.Contains(out, "otpauth") {
		t.Fatalf("create: %v %q", err, out)
	}
	out, err = command("another long password", "create", "--email", "grace@compliance.example", "--totp")
	uri := regexp.MustCompile(`otpauth://\S+`).FindString(out)
	if err != nil || uri == "" {
		t.Fatalf("create --totp: %v %q", err, out)
	}
	if _, err := command("short\n", "create", "--email", "eve@compliance.example"); err == nil || !strings.Contains(err.Error(), "password must be at least 12") {
		t.Errorf("a short password: %v", err)
	}
	if _, err := command("a long enough password\n", "create", "--email", "ada@compliance.example"); err == nil {
		t.Error("an email taken twice")
	}
	out, err = command("", "token", "create", "--email", "ada@compliance.example", "--scope", kyc.ScopeReviewDecide)
	token := regexp.MustCompile(operator.TokenPrefix + `\S+`).FindString(out)
	if err != nil || token == "" {
		t.Fatalf("token create: %v %q", err, out)
	}

	db, err := open(ctx, cfg, logger)
	if err != nil {
		t.Fatal(err)
	}
	defer db.store.Close()
	ops := operator.New(db.store, db.keyring)
	if o, err := ops.Login(ctx, "ada@compliance.example", "a long enough password", ""); err != nil || o.TOTPSecret != "" {
		t.Errorf("sign in as the created operator: %v", err)
	}
	grace, err := db.store.OperatorByEmail(ctx, "grace@compliance.example")
	if u, perr := url.Parse(uri); err != nil || perr != nil || u.Query().Get("secret") != grace.TOTPSecret || !strings.HasPrefix(grace.PasswordHash, "$argon2id$") {
		t.Errorf("the TOTP operator: %v %+v", err, grace)
	}
	if o, err := ops.Authorize(ctx, token, kyc.ScopeReviewDecide); err != nil || o.Email != "ada@compliance.example" {
		t.Errorf("the printed token: %v", err)
	}
}
