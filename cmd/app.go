// Package cmd wires ecsctl's commands: flags in, an ops request out, and the
// result rendered. One file per command; no AWS calls here beyond building
// clients (aws.go).
package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/urfave/cli/v2"

	"ecsctl/ops"
	"ecsctl/render"
)

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

// app is one invocation of ecsctl.
type app struct {
	ctx context.Context
	io  *render.IO
	// sandbox is set up by --sandbox (see sandbox.go) and torn down at exit.
	sandbox *sandboxSession
}

// commandFactories lists every command; each command file adds its own.
var commandFactories []func(a *app) *cli.Command

func addCommand(f func(a *app) *cli.Command) { commandFactories = append(commandFactories, f) }

// Run runs ecsctl with args (args[0] is the program name) and returns the
// process exit code. It never calls os.Exit.
func Run(ctx context.Context, args []string, ios *render.IO) int {
	// Progress, notices and --debug lines reach Err from several goroutines
	// (parallel reads, one poller per deploy): one write at a time.
	locked := *ios
	locked.Err = &lockedWriter{w: ios.Err}
	// ops names options by request field; the CLI's words are its flags.
	ctx = ops.WithOptionNames(ctx, optionFlag)
	a := &app{ctx: ctx, io: &locked}
	cliApp := a.newCLI()
	var err error
	for _, arg := range args[1:] {
		if strings.ContainsRune(arg, 0) {
			err = usagef("argument %q contains a NUL byte: remove it", arg)
			break
		}
	}
	if err == nil {
		err = cliApp.RunContext(ctx, args)
	}
	if a.sandbox != nil {
		if cerr := a.sandbox.close(); cerr != nil && err == nil {
			err = cerr
		}
	}
	if err == nil {
		return ExitOK
	}
	if ctx.Err() != nil && !errors.Is(err, context.Canceled) && exitCode(err) == ExitFailed {
		err = fmt.Errorf("%w: %v", context.Canceled, err)
	}
	var silent *silentError
	if line, ok := deniedLine(err); ok {
		// Said even after a full summary: the fix is in IAM, not here.
		fmt.Fprintln(ios.Err, "ecsctl: "+line)
	} else if !errors.As(err, &silent) {
		fmt.Fprintln(ios.Err, "ecsctl: "+oneLine(err.Error()))
	}
	return exitCode(err)
}

// silentError carries an exit code for an outcome the command has already
// reported in full (a failed deploy's summary).
type silentError struct{ err error }

func (e *silentError) Error() string { return e.err.Error() }
func (e *silentError) Unwrap() error { return e.err }

func oneLine(s string) string {
	s = strings.TrimSpace(s)
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}

func (a *app) newCLI() *cli.App {
	cliApp := &cli.App{
		Name:                   "ecsctl",
		Usage:                  "operate Amazon ECS on EC2: deploys, AMI rotation, scaling, logs, a live dashboard",
		Version:                versionString(),
		Reader:                 a.io.In,
		Writer:                 a.io.Out,
		ErrWriter:              a.io.Err,
		EnableBashCompletion:   true,
		UseShortOptionHandling: true,
		// --env app:LIST=a,b must stay one value.
		DisableSliceFlagSeparator: true,
		Flags:                     commonFlags(),
		ExitErrHandler:            func(*cli.Context, error) {}, // exit codes are Run's job
		OnUsageError:              a.onUsageError,
		Before:                    a.before,
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return usagef("unknown command %q: run 'ecsctl --help' for the list of commands", c.Args().First())
			}
			return cli.ShowAppHelp(c)
		},
	}
	for _, f := range commandFactories {
		cmd := f(a)
		a.prepare(cmd)
		cliApp.Commands = append(cliApp.Commands, cmd)
	}
	sort.Slice(cliApp.Commands, func(i, j int) bool { return cliApp.Commands[i].Name < cliApp.Commands[j].Name })
	cliApp.Commands = withOwnHelp(cliApp.Commands, cliApp.HideHelp || cliApp.HideHelpCommand)
	// With a help command of its own the App no longer adds the help flag
	// itself (App.Setup does both or neither).
	cliApp.Flags = append(cliApp.Flags, cli.HelpFlag)
	return cliApp
}

// prepare gives a command (and its subcommands) the common flags, the usage
// error handler and the one-line "unknown subcommand" answer.
func (a *app) prepare(cmd *cli.Command) {
	if !hasFlag(cmd.Flags, "cluster") {
		cmd.Flags = append(cmd.Flags, commonFlagsExcept("")...)
	} else {
		cmd.Flags = append(cmd.Flags, commonFlagsExcept("cluster")...)
	}
	cmd.OnUsageError = a.onUsageError
	if cmd.Before == nil {
		cmd.Before = a.before
	}
	if cmd.Action != nil && cmd.ArgsUsage == "" {
		cmd.Action = rejectArgs(cmd.Action, len(cmd.Subcommands) > 0)
	}
	if len(cmd.Subcommands) > 0 && cmd.Action == nil {
		name := cmd.Name
		cmd.Action = func(c *cli.Context) error {
			if c.Args().Present() {
				return usagef("unknown subcommand %q of %s: run 'ecsctl %s --help'", c.Args().First(), name, name)
			}
			return usagef("%s needs a subcommand: run 'ecsctl %s --help'", name, name)
		}
	}
	for _, sub := range cmd.Subcommands {
		a.prepare(sub)
	}
	if len(cmd.Subcommands) > 0 {
		cmd.Subcommands = withOwnHelp(cmd.Subcommands, cmd.HideHelp || cmd.HideHelpCommand)
	} else {
		// A leaf would get urfave's shared help command at each run (see
		// cliHelpCommand): it answers "ecsctl deploy help" itself, and
		// --help stays the library's flag.
		cmd.HideHelpCommand = true
		if cmd.Action != nil {
			cmd.Action = helpArg(cmd.Action)
		}
	}
}

// helpArg answers a lone "help" argument with the command's help, as
// urfave's help subcommand did ("ecsctl run help", "ecsctl cron run help").
func helpArg(action cli.ActionFunc) cli.ActionFunc {
	return func(c *cli.Context) error {
		if c.NArg() == 1 && c.Args().First() == "help" {
			return cli.ShowCommandHelp(c.Lineage()[1], c.Command.Name)
		}
		return action(c)
	}
}

// rejectArgs refuses positional arguments for a command that takes only
// flags: flag parsing stops at the first argument, so a stray word would
// silently drop every flag after it (a --dry-run among them).
func rejectArgs(action cli.ActionFunc, hasSubcommands bool) cli.ActionFunc {
	return func(c *cli.Context) error {
		if !c.Args().Present() {
			return action(c)
		}
		name := strings.TrimPrefix(commandPath(c), "ecsctl ")
		if hasSubcommands {
			return usagef("unknown subcommand %q of %s: run 'ecsctl %s --help'", c.Args().First(), name, name)
		}
		rest := ""
		if n := c.NArg() - 1; n > 0 {
			rest = sprintf(", and %d more after it that were not read as flags", n)
		}
		return usagef("%s takes no arguments (got %q%s): give everything as flags; run 'ecsctl %s --help'", name, c.Args().First(), rest, name)
	}
}

// commandPath is "ecsctl" and the command names leading to c ("ecsctl scale service").
func commandPath(c *cli.Context) string {
	var names []string
	for _, lc := range c.Lineage() {
		if lc.Command == nil || lc.Command.Name == "" || (lc.App != nil && lc.Command.Name == lc.App.Name) {
			continue
		}
		if len(names) == 0 || names[0] != lc.Command.Name {
			names = append([]string{lc.Command.Name}, names...)
		}
	}
	return strings.Join(append([]string{"ecsctl"}, names...), " ")
}

func hasFlag(flags []cli.Flag, name string) bool {
	for _, f := range flags {
		for _, n := range f.Names() {
			if n == name {
				return true
			}
		}
	}
	return false
}

// onUsageError turns urfave's flag errors into one line naming the flag and the fix.
func (a *app) onUsageError(c *cli.Context, err error, _ bool) error {
	where := commandPath(c)
	msg := err.Error()
	switch {
	case strings.HasPrefix(msg, "flag provided but not defined: "):
		flag := strings.TrimPrefix(msg, "flag provided but not defined: ")
		flag = "--" + strings.TrimLeft(flag, "-")
		return usagef("unknown flag %s: run '%s --help' for the flags it takes", flag, where)
	case strings.HasPrefix(msg, "invalid value "):
		// invalid value "x" for flag -poll-interval: parse error
		rest := strings.TrimPrefix(msg, "invalid value ")
		val, flagPart, _ := strings.Cut(rest, " for flag ")
		name, _, _ := strings.Cut(flagPart, ":")
		name = strings.TrimLeft(name, "-")
		return usagef("invalid value %s for --%s: %s", val, name, flagHint(c, name))
	case strings.HasPrefix(msg, "flag needs an argument: "):
		name := strings.TrimLeft(strings.TrimPrefix(msg, "flag needs an argument: "), "-")
		hint := flagHint(c, name)
		if hint == "see --help" {
			hint = sprintf("give it as --%s VALUE; run '%s --help'", name, where)
		}
		return usagef("--%s needs a value: %s", name, hint)
	}
	return usagef("%s: run '%s --help'", oneLine(msg), where)
}

// flagHint says what a flag's value should look like.
func flagHint(c *cli.Context, name string) string {
	if c.Command != nil {
		for _, f := range append(c.Command.Flags, commonFlags()...) {
			if !hasFlag([]cli.Flag{f}, name) {
				continue
			}
			switch f.(type) {
			case *cli.DurationFlag:
				return "want a duration like 30s, 5m or 1h"
			case *cli.IntFlag, *cli.Int64Flag, *cli.UintFlag:
				return "want a whole number"
			case *cli.Float64Flag:
				return "want a number"
			case *cli.BoolFlag:
				return "want true or false"
			}
		}
	}
	return "see --help"
}

// before validates the common flags and applies the colour setting.
func (a *app) before(c *cli.Context) error {
	out := flagString(c, "output")
	if out != "text" && out != "json" {
		return usagef("invalid value %q for --output: want text or json", out)
	}
	if d := flagDuration(c, "poll-interval"); d <= 0 {
		return usagef("invalid value %s for --poll-interval: want a positive duration like 5s", d)
	}
	if flagBool(c, "no-color") || a.io.Getenv("NO_COLOR") != "" {
		a.io.NoColor = true
	}
	return nil
}

// commonFlags are accepted before or after any command name.
func commonFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "cluster", Aliases: []string{"c"}, Usage: "ECS cluster name or ARN", EnvVars: []string{"ECSCTL_CLUSTER"}},
		&cli.StringFlag{Name: "region", Usage: "AWS region", EnvVars: []string{"AWS_REGION"}},
		&cli.StringFlag{Name: "profile", Usage: "AWS shared config profile", EnvVars: []string{"AWS_PROFILE"}},
		&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Value: "text", Usage: "output format: text or json"},
		&cli.BoolFlag{Name: "no-color", Usage: "no colour (also NO_COLOR)"},
		&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "answer yes to confirmations (for scripts)"},
		&cli.DurationFlag{Name: "poll-interval", Value: 5 * time.Second, Usage: "how often to poll AWS while waiting", EnvVars: []string{"ECSCTL_POLL_INTERVAL"}},
		&cli.BoolFlag{Name: "debug", Usage: "log every AWS call with its duration to stderr"},
		&cli.BoolFlag{Name: "sandbox", Usage: "run against the built-in sandbox instead of AWS", EnvVars: []string{"ECSCTL_SANDBOX"}},
	}
}

// commonFlagsExcept are the common flags as a command takes them: without
// their environment variables, which only the top level reads, so that a
// flag given before the command name (-c staging deploy) beats the
// environment (ECSCTL_CLUSTER=prod) instead of losing to it.
func commonFlagsExcept(name string) []cli.Flag {
	var out []cli.Flag
	for _, f := range commonFlags() {
		if hasFlag([]cli.Flag{f}, name) {
			continue
		}
		switch f := f.(type) {
		case *cli.StringFlag:
			f.Usage, f.EnvVars = commonFlagEnvUsage(f.Usage, f.EnvVars), nil
		case *cli.BoolFlag:
			f.Usage, f.EnvVars = commonFlagEnvUsage(f.Usage, f.EnvVars), nil
		case *cli.DurationFlag:
			f.Usage, f.EnvVars = commonFlagEnvUsage(f.Usage, f.EnvVars), nil
		}
		out = append(out, f)
	}
	return out
}

// commonFlagEnvUsage keeps naming the environment variable in a command's help.
func commonFlagEnvUsage(usage string, env []string) string {
	if len(env) == 0 {
		return usage
	}
	return usage + " [$" + strings.Join(env, ", $") + "]"
}

// The common flags exist at the top level and on every command; the value
// given nearest the command wins, then the one given earlier, then the
// environment, then the default.
func setIn(c *cli.Context, name string) *cli.Context {
	for _, lc := range c.Lineage() {
		if lc.Command == nil && lc.App == nil {
			continue
		}
		if lc.IsSet(name) {
			return lc
		}
	}
	return c
}

func flagString(c *cli.Context, name string) string { return setIn(c, name).String(name) }
func flagBool(c *cli.Context, name string) bool     { return setIn(c, name).Bool(name) }
func flagDuration(c *cli.Context, name string) time.Duration {
	return setIn(c, name).Duration(name)
}

// jsonOutput reports whether -o json was asked for.
func jsonOutput(c *cli.Context) bool { return flagString(c, "output") == "json" }

// requireString returns a required flag's value or a usage error naming it.
func requireString(c *cli.Context, name, hint string) (string, error) {
	v := strings.TrimSpace(flagString(c, name))
	if v == "" {
		return "", usagef("missing --%s: %s", name, hint)
	}
	return v, nil
}

// sandboxSession is a sandbox this invocation started or found (--sandbox).
type sandboxSession struct {
	endpoint string
	closeFn  func() error
}

func (s *sandboxSession) close() error {
	if s.closeFn == nil {
		return nil
	}
	return s.closeFn()
}

// pollInterval is --poll-interval; against an in-process sandbox, whose
// clock runs fast, the default is 1s instead of 5s.
func (a *app) pollInterval(c *cli.Context) time.Duration {
	if flagBool(c, "sandbox") && !setIn(c, "poll-interval").IsSet("poll-interval") {
		return time.Second
	}
	return flagDuration(c, "poll-interval")
}

// lockedWriter serializes writes to w.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
