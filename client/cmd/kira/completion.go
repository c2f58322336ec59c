package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
)

var completionCommand = &command{
	path: "completion", args: []string{"SHELL"},
	summary:  "Print the shell completion script for bash or zsh: source <(kira completion bash).",
	noResult: true,
	setup: func(*flag.FlagSet) runFunc {
		return func(_ context.Context, k *cli, args []string) error {
			switch args[0] {
			case "bash":
				return writeBashCompletion(k.stdout)
			case "zsh":
				if _, err := fmt.Fprintln(k.stdout, "autoload -U +X bashcompinit && bashcompinit"); err != nil {
					return err
				}
				return writeBashCompletion(k.stdout)
			}
			return &usageError{msg: fmt.Sprintf("unknown shell %q; one of bash, zsh", args[0]), help: true}
		}
	},
}

// writeBashCompletion writes a bash completion function for the command tree: the commands after
// "kira", the subcommands of a group, and each command's flags.
func writeBashCompletion(w io.Writer) error {
	var top []string
	groups := map[string][]string{}
	var cases strings.Builder
	for _, c := range commands {
		words := strings.Fields(c.path)
		if !slices.Contains(top, words[0]) {
			top = append(top, words[0])
		}
		if len(words) > 1 {
			groups[words[0]] = append(groups[words[0]], words[1])
		}
		fs := flag.NewFlagSet(c.path, flag.ContinueOnError)
		c.setup(fs)
		var flags []string
		fs.VisitAll(func(f *flag.Flag) {
			if len(f.Name) == 1 {
				flags = append(flags, "-"+f.Name)
			} else {
				flags = append(flags, "--"+f.Name)
			}
		})
		if !c.noResult {
			flags = append(flags, "--output")
		}
		fmt.Fprintf(&cases, "    %q*) opts=%q ;;\n", c.path, strings.Join(flags, " "))
	}
	for _, g := range top {
		if sub := groups[g]; len(sub) > 0 {
			fmt.Fprintf(&cases, "    %q) opts=%q ;;\n", g, strings.Join(sub, " "))
		}
	}
	_, err := fmt.Fprintf(w, `# kira completion for bash: source <(kira completion bash)
_kira() {
  local cur="${COMP_WORDS[COMP_CWORD]}" opts
  local line="${COMP_WORDS[*]:1:COMP_CWORD-1}"
  case "$line" in
    "") opts=%q ;;
%s    *) opts="" ;;
  esac
  case "$cur" in
    -*) COMPREPLY=($(compgen -W "$opts" -- "$cur")) ;;
    *) COMPREPLY=($(compgen -W "$(echo "$opts" | tr ' ' '\n' | grep -v '^-')" -- "$cur")) ;;
  esac
}
complete -o default -F _kira kira
`, strings.Join(append(top, "help", "--version", "--output"), " "), cases.String())
	return err
}
