package cmd

import (
	"flag"

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
