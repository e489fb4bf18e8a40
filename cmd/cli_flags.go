package cmd

import (
	"flag"
	"io"

	"github.com/urfave/cli/v2"
)

// urfave/cli adds its package-level HelpFlag and VersionFlag to every App,
// and BoolFlag.Apply writes into the flag value (its default) each time a
// command's flags are parsed: two runs in one process at once (the cmd
// tests run ecsctl in parallel) would race on them. Each parse applies a
// copy instead; the names, usage and help behaviour stay urfave's.
// (version.go sets its own VersionFlag the same way.)
func init() {
	if f, ok := cli.HelpFlag.(*cli.BoolFlag); ok {
		cli.HelpFlag = applyCopy{f}
	}
}

type applyCopy struct{ *cli.BoolFlag }

func (f applyCopy) Apply(set *flag.FlagSet) error {
	c := *f.BoolFlag
	return c.Apply(set)
}

// urfave/cli also appends one package-level "help" command to every App and
// command, and each run's setup writes into it (its HelpName and separator):
// parallel in-process runs race there too. cliHelpCommand is that command,
// read once at start-up from a throwaway App; newHelpCommand gives every
// command of a run its own copy, so the library finds a "help" and adds
// none. The copy keeps urfave's name, usage and action: help behaves as
// before.
var cliHelpCommand = func() *cli.Command {
	probe := &cli.App{Name: "probe", Writer: io.Discard, ErrWriter: io.Discard}
	probe.Setup()
	return probe.Command("help")
}()

func newHelpCommand() *cli.Command {
	c := *cliHelpCommand
	return &c
}

// withOwnHelp gives cmds' owner its own help command (see cliHelpCommand)
// unless it hides help or has one.
func withOwnHelp(cmds []*cli.Command, hide bool) []*cli.Command {
	for _, c := range cmds {
		if c.HasName("help") {
			return cmds
		}
	}
	if hide {
		return cmds
	}
	return append(cmds, newHelpCommand())
}
