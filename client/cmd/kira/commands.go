package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"runtime/debug"
	"strings"

	"github.com/google/uuid"
)

// runFunc runs a command with its positional arguments.
type runFunc func(ctx context.Context, k *cli, args []string) error

// command is one leaf of the command tree, such as "users create".
type command struct {
	path    string
	args    []string // the names of the positional arguments
	flags   string   // the flags shown in the synopsis
	summary string
	// setup registers the command's flags and returns what runs it.
	setup func(fs *flag.FlagSet) runFunc
	// noResult marks the commands that print no result (listen, mock, completion): --output does
	// not apply to them.
	noResult bool
}

func (c *command) synopsis() string {
	return strings.TrimSpace(strings.Join(append(append([]string{"kira", c.path}, c.args...), c.flags), " "))
}

// commands is the command tree, in the order the help lists it.
var commands []*command

func init() {
	commands = append(commands, usersCommands...)
	commands = append(commands, verificationsCommands...)
	commands = append(commands, webhooksCommands...)
	commands = append(commands, eventsCommands...)
	commands = append(commands, sandboxCommands...)
	commands = append(commands, listenCommand, triggerCommand, mockCommand, completionCommand)
}

const environmentHelp = `Environment:
  KIRA_BASE_URL    the API (default http://127.0.0.1:8080)
  KIRA_API_KEY, KIRA_CLIENT_ID, KIRA_PASSWORD
                   the tenant's credentials (` + "`make run`" + ` prints a sandbox tenant's)

Output is JSON unless --output table is given. Exit codes: 0 success, 1 other failure,
2 usage error, 3 API error (the error as JSON on stderr), 4 network error.
`

// topUsage lists the commands under prefix ("" for all).
func topUsage(prefix string) string {
	var b bytes.Buffer
	b.WriteString("Usage: kira [--output json|table] <command> [arguments]\n       kira --version\n\nCommands:\n")
	for _, c := range commands {
		if prefix == "" || strings.HasPrefix(c.path, prefix+" ") {
			fmt.Fprintf(&b, "  %s\n      %s\n", strings.TrimPrefix(c.synopsis(), "kira "), c.summary)
		}
	}
	b.WriteString("\nRun `kira <command> --help` for a command's flags.\n\n")
	b.WriteString(environmentHelp)
	return b.String()
}

// dispatch finds the command that args name and runs it.
func (k *cli) dispatch(ctx context.Context, args []string) error {
	global := flag.NewFlagSet("kira", flag.ContinueOnError)
	global.SetOutput(io.Discard)
	global.StringVar(&k.output, "output", k.output, "")
	global.StringVar(&k.output, "o", k.output, "")
	showVersion := global.Bool("version", false, "")
	if err := global.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(k.stdout, topUsage(""))
			return err
		}
		return &usageError{msg: err.Error(), usage: topUsage("")}
	}
	global.Visit(func(f *flag.Flag) { k.outputSet = k.outputSet || f.Name == "output" || f.Name == "o" })
	if *showVersion {
		_, err := fmt.Fprintf(k.stdout, "kira %s\n", version())
		return err
	}
	args = global.Args()
	if len(args) == 0 {
		return &usageError{msg: "no command", usage: topUsage("")}
	}
	if args[0] == "help" {
		fmt.Fprint(k.stdout, topUsage(""))
		return nil
	}
	for _, c := range commands {
		words := strings.Fields(c.path)
		if len(args) >= len(words) && strings.Join(args[:len(words)], " ") == c.path {
			return k.runCommand(ctx, c, args[len(words):])
		}
	}
	// A group without (or with an unknown) subcommand.
	for _, c := range commands {
		if strings.HasPrefix(c.path, args[0]+" ") {
			if len(args) > 1 && (args[1] == "--help" || args[1] == "-h" || args[1] == "help") {
				fmt.Fprint(k.stdout, topUsage(args[0]))
				return flag.ErrHelp
			}
			msg := "missing subcommand"
			if len(args) > 1 {
				msg = fmt.Sprintf("unknown command %q", args[0]+" "+args[1])
			}
			return &usageError{msg: msg, usage: topUsage(args[0])}
		}
	}
	return &usageError{msg: fmt.Sprintf("unknown command %q", args[0]), usage: topUsage("")}
}

// runCommand parses a command's flags and arguments (in any order) and runs it.
func (k *cli) runCommand(ctx context.Context, c *command, args []string) error {
	fs := flag.NewFlagSet("kira "+c.path, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if !c.noResult {
		fs.StringVar(&k.output, "output", k.output, "`format` of the result: json or table (-o for short)")
		fs.StringVar(&k.output, "o", k.output, "")
		// The flag starts from the global --output's value; its default is still json.
		fs.Lookup("output").DefValue = defaultOutput
		fs.Lookup("o").DefValue = defaultOutput
	}
	run := c.setup(fs)
	usage := func() string {
		var b bytes.Buffer
		fmt.Fprintf(&b, "Usage: %s\n\n%s\n\nFlags:\n", c.synopsis(), c.summary)
		printFlags(&b, fs)
		b.WriteString("\n" + environmentHelp)
		return b.String()
	}
	positional, err := parseInterspersed(fs, args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(k.stdout, usage())
		return err
	case err != nil:
		return &usageError{msg: err.Error(), usage: usage()}
	case len(positional) != len(c.args):
		return &usageError{msg: fmt.Sprintf("%s takes %d argument(s), got %d", c.path, len(c.args), len(positional)), usage: usage()}
	case c.noResult && k.outputSet:
		return &usageError{msg: fmt.Sprintf("--output does not apply to kira %s, which prints no result", c.path), usage: usage()}
	case k.output != "json" && k.output != "table":
		return &usageError{msg: fmt.Sprintf("--output must be json or table, not %q", k.output)}
	}
	err = run(ctx, k, positional)
	var ue *usageError
	if errors.As(err, &ue) && ue.help && ue.usage == "" {
		ue.usage = usage()
	}
	return err
}

// printFlags lists a command's flags, GNU style; flags without a description are shorthands.
func printFlags(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		if f.Usage == "" {
			return
		}
		name, usage := flag.UnquoteUsage(f)
		dash := "--"
		if len(f.Name) == 1 {
			dash = "-"
		}
		line := "  " + dash + f.Name
		if name != "" {
			line += " " + name
		}
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" {
			usage += fmt.Sprintf(" (default %s)", f.DefValue)
		}
		fmt.Fprintf(w, "%s\n      %s\n", line, usage)
	})
}

// parseInterspersed parses flags wherever they are among the positional arguments, which it
// returns. "--" ends the flags.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		// fs.Parse stops at the first positional argument, or after "--".
		if len(rest) == 0 {
			return positional, nil
		}
		consumed := args[:len(args)-len(rest)]
		if len(consumed) > 0 && consumed[len(consumed)-1] == "--" {
			return append(positional, rest...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// required fails when a required flag is empty.
func required(name, value string) error {
	if value == "" {
		return &usageError{msg: "--" + name + " is required", help: true}
	}
	return nil
}

// parseID checks an id argument.
func parseID(kind, s string) (uuid.UUID, error) {
	id, err := uuid.Parse(s)
	if err != nil || len(s) != 36 {
		return uuid.UUID{}, &usageError{msg: "the " + kind + " id must be a UUID"}
	}
	return id, nil
}

// version is the module version kira was built from ("(devel)" for a build from a checkout), with
// its commit when the build recorded one.
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	v := info.Main.Version
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += " " + s.Value[:12]
		}
	}
	return v
}

// unexpected is a 2xx answer the spec does not describe.
func unexpected(resp *http.Response) error {
	return fmt.Errorf("unexpected answer: %s", resp.Status)
}
