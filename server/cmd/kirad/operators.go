package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/kiraapi/kira/server/config"
	"github.com/kiraapi/kira/server/kyc"
	"github.com/kiraapi/kira/server/operator"
)

// operatorsCommand carries out "operators create" and "operators token create". The password of
// a new operator is read from stdin: the first line, or, when stdin is a terminal, typed at a
// prompt (on stderr) without echo.
func operatorsCommand(ctx context.Context, cfg config.Config, logger *slog.Logger, args []string, stdin *os.File, stdout, stderr io.Writer) error {
	switch {
	case len(args) >= 1 && args[0] == "create":
		return createOperator(ctx, cfg, logger, args[1:], stdin, stdout, stderr)
	case len(args) >= 2 && args[0] == "token" && args[1] == "create":
		return createOperatorToken(ctx, cfg, logger, args[2:], stdout)
	default:
		return errors.New(`operators: the commands are "operators create --email EMAIL [--totp]" and "operators token create --email EMAIL --scope review:decide"`)
	}
}

func createOperator(ctx context.Context, cfg config.Config, logger *slog.Logger, args []string, stdin *os.File, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("operators create", flag.ContinueOnError)
	email := fs.String("email", "", "the operator's email, with which they sign in (required)")
	withTOTP := fs.Bool("totp", false, "give the operator a TOTP second factor, and print its otpauth:// URI once")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *email == "" {
		return errors.New("operators create: --email is required")
	}
	password, err := readPassword(stdin, stderr)
	if err != nil {
		return fmt.Errorf("operators create: read the password: %w", err)
	}
	db, err := open(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer db.store.Close()
	o, uri, err := operator.New(db.store, db.keyring).Create(ctx, *email, password, *withTOTP)
	if err != nil {
		return describe(err)
	}
	fmt.Fprintf(stdout, "Operator %s (%s) can sign in at /console.\n", o.Email, o.ID)
	if uri != "" {
		fmt.Fprintf(stdout, "Add this to an authenticator app now; it is shown only once:\n  %s\n", uri)
	}
	return nil
}

func createOperatorToken(ctx context.Context, cfg config.Config, logger *slog.Logger, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("operators token create", flag.ContinueOnError)
	email := fs.String("email", "", "the operator the token acts for (required)")
	scope := fs.String("scope", kyc.ScopeReviewDecide, "the scopes the token grants, comma-separated")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *email == "" {
		return errors.New("operators token create: --email is required")
	}
	db, err := open(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer db.store.Close()
	token, err := operator.New(db.store, db.keyring).CreateToken(ctx, *email, strings.Split(*scope, ","))
	if err != nil {
		return describe(err)
	}
	_, err = fmt.Fprintf(stdout, "Operator token for %s (scopes %s). It is shown only now:\n  %s\n", *email, *scope, token)
	return err
}

// describe turns a domain error into a message for the command line, with each offending field.
func describe(err error) error {
	var kerr *kyc.Error
	if !errors.As(err, &kerr) {
		return err
	}
	msg := kerr.Message
	for _, f := range kerr.Fields {
		msg += fmt.Sprintf("\n  %s %s", f.Field, f.Message)
	}
	return errors.New(msg)
}

// readPassword reads a password: at a prompt without echo when stdin is a terminal, otherwise its
// first line.
func readPassword(stdin *os.File, stderr io.Writer) (string, error) {
	if isTerminal(stdin) {
		fmt.Fprint(stderr, "Password for the new operator: ")
		defer fmt.Fprintln(stderr)
		restore, err := disableEcho(stdin)
		if err != nil {
			return "", err
		}
		defer restore()
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
