// Command kira is the command line of the Kira Users & Verification API: create and inspect users,
// verification sessions, webhook endpoints and events; forward events to a local receiver
// (kira listen); make the sandbox emit an event (kira trigger); and serve a mock of the API from
// its spec (kira mock).
//
// It reads KIRA_BASE_URL (default http://127.0.0.1:8080), KIRA_API_KEY, KIRA_CLIENT_ID and
// KIRA_PASSWORD. It prints JSON by default and a table with --output table. Exit codes: 0 success,
// 1 other failure, 2 usage error, 3 API error (the error, as JSON, on stderr), 4 network error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/kiraapi/kira/client"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
	exitAPI     = 3
	exitNetwork = 4
)

// defaultBaseURL is where `make run` serves the API.
const defaultBaseURL = "http://127.0.0.1:8080"

// defaultOutput is the format of results without --output.
const defaultOutput = "json"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// cli is one run of the command: its environment and streams.
type cli struct {
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	// output is "json" or "table"; outputSet tells whether --output was given.
	output    string
	outputSet bool
}

// usageError is a command line that cannot be run. usage, when set, says how to run it: it is
// printed for a malformed command line (unknown command or flag, wrong arguments, a missing
// required flag: help is set), not for a missing file or missing credentials, which are one line.
type usageError struct {
	msg   string
	usage string
	// help asks for the command's usage to be printed after msg.
	help bool
}

func (e *usageError) Error() string { return e.msg }

// run runs the command line args and returns the exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	k := &cli{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr, output: defaultOutput}
	err := k.dispatch(ctx, args)
	var usage *usageError
	var apiErr *client.APIError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &usage):
		fmt.Fprintf(stderr, "kira: %s\n", usage.msg)
		if usage.usage != "" {
			fmt.Fprintf(stderr, "\n%s", usage.usage)
		}
		return exitUsage
	case errors.Is(err, client.ErrInvalidID):
		fmt.Fprintf(stderr, "kira: %v\n", err)
		return exitUsage
	case errors.As(err, &apiErr):
		k.printJSON(stderr, apiErr)
		return exitAPI
	case isNetwork(err):
		fmt.Fprintf(stderr, "kira: network error: %s\n", withoutQuery(err))
		return exitNetwork
	default:
		fmt.Fprintf(stderr, "kira: %v\n", err)
		return exitFailure
	}
}

// isNetwork reports an error of the connection to the API (refused, reset, timed out, DNS).
func isNetwork(err error) bool {
	var urlErr *url.Error
	var netErr net.Error
	return errors.As(err, &urlErr) || errors.As(err, &netErr)
}

// withoutQuery is the error's message without the query strings of the URLs it names, which may
// hold personal data (users list --email).
func withoutQuery(err error) string {
	msg := err.Error()
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		if u, perr := url.Parse(urlErr.URL); perr == nil && u.RawQuery != "" {
			u.RawQuery = ""
			msg = strings.ReplaceAll(msg, urlErr.URL, u.String()+"?…")
		}
	}
	return msg
}

// newClient returns an API client configured from the environment.
func (k *cli) newClient() (*client.Client, error) {
	creds := client.Credentials{APIKey: k.getenv("KIRA_API_KEY"), ClientID: k.getenv("KIRA_CLIENT_ID"), Password: k.getenv("KIRA_PASSWORD")}
	if creds.APIKey == "" || creds.ClientID == "" || creds.Password == "" {
		return nil, &usageError{msg: "set KIRA_API_KEY, KIRA_CLIENT_ID and KIRA_PASSWORD (`make run` prints a sandbox tenant's)"}
	}
	return client.New(k.baseURL(), creds)
}

func (k *cli) baseURL() string {
	if u := k.getenv("KIRA_BASE_URL"); u != "" {
		return strings.TrimRight(u, "/")
	}
	return defaultBaseURL
}
