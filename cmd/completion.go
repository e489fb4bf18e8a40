package cmd

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

// The bash and zsh scripts ask ecsctl itself for candidates (urfave/cli's
// --generate-bash-completion), so they stay right as commands change.
const bashCompletion = `# bash completion for ecsctl
_ecsctl_complete() {
  local cur words
  COMPREPLY=()
  cur="${COMP_WORDS[COMP_CWORD]}"
  if [[ "$cur" == -* ]]; then
    words=$("${COMP_WORDS[0]}" "${COMP_WORDS[@]:1:$COMP_CWORD-1}" "$cur" --generate-bash-completion 2>/dev/null)
  else
    words=$("${COMP_WORDS[0]}" "${COMP_WORDS[@]:1:$COMP_CWORD-1}" --generate-bash-completion 2>/dev/null)
  fi
  COMPREPLY=($(compgen -W "${words}" -- "${cur}"))
  return 0
}
complete -o bashdefault -o default -F _ecsctl_complete ecsctl
`

const zshCompletion = `#compdef ecsctl
# zsh completion for ecsctl
_ecsctl() {
  local -a opts
  local cur=${words[-1]}
  if [[ "$cur" == "-"* ]]; then
    opts=("${(@f)$(${words[1]} ${words[@]:1:#words[@]-2} ${cur} --generate-bash-completion 2>/dev/null)}")
  else
    opts=("${(@f)$(${words[1]} ${words[@]:1:#words[@]-2} --generate-bash-completion 2>/dev/null)}")
  fi
  if [[ "${opts[1]}" != "" ]]; then
    _describe 'values' opts
  else
    _files
  fi
}
compdef _ecsctl ecsctl
`

func init() {
	addCommand(func(a *app) *cli.Command {
		return &cli.Command{
			Name:      "completion",
			Usage:     "print a shell completion script: bash, zsh or fish",
			ArgsUsage: "bash|zsh|fish",
			Description: "Load it in your shell, for example:\n" +
				"  source <(ecsctl completion bash)\n" +
				"  ecsctl completion zsh > \"${fpath[1]}/_ecsctl\"\n" +
				"  ecsctl completion fish > ~/.config/fish/completions/ecsctl.fish",
			Action: func(c *cli.Context) error {
				shell := c.Args().First()
				if c.NArg() != 1 {
					return usagef("completion needs one shell name: bash, zsh or fish, e.g. ecsctl completion bash")
				}
				switch shell {
				case "bash":
					_, err := fmt.Fprint(a.io.Out, bashCompletion)
					return err
				case "zsh":
					_, err := fmt.Fprint(a.io.Out, zshCompletion)
					return err
				case "fish":
					s, err := c.App.ToFishCompletion()
					if err != nil {
						return err
					}
					_, err = fmt.Fprint(a.io.Out, s)
					return err
				}
				return usagef("unknown shell %q: want bash, zsh or fish", shell)
			},
		}
	})
	addCommand(func(a *app) *cli.Command {
		return &cli.Command{
			Name:   "man",
			Usage:  "print the manual page (roff)",
			Hidden: true,
			Action: func(c *cli.Context) error {
				s, err := c.App.ToMan()
				if err != nil {
					return err
				}
				_, err = fmt.Fprint(a.io.Out, s)
				return err
			},
		}
	})
}
