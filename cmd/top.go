package cmd

import (
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
	"github.com/urfave/cli/v2"

	"ecsctl/ops"
	"ecsctl/ops/deploy"
	"ecsctl/ops/overview"
	"ecsctl/tui"
)

func init() { addCommand(newTopCmd) }

func newTopCmd(a *app) *cli.Command {
	return &cli.Command{
		Name:  "top",
		Usage: "live dashboard: clusters, services and instances with CPU/memory, drill-down and actions",
		Description: "Views: 1 clusters, 2 services of a cluster, 3 instances of a cluster; enter (or 4) opens a service's\n" +
			"or an instance's tasks, esc goes back. L (or 5) follows the logs of the selected service or task (enter on a\n" +
			"task too): / searches them, n/N jump between matches, scrolling up pauses, G follows again.\n" +
			"/ filters (TEXT, or KEY:VALUE with KEY a column title such as state:rolling), o sorts by the next\n" +
			"column, r reverses. Actions, each confirmed first: S scale, F force a new deployment, B roll back\n" +
			"(services); D drain, A activate (instances). ? lists every key. Data is read every --refresh;\n" +
			"utilization at most once a minute. The dashboard's own log goes to --log-file.\n\n" +
			"Examples:\n" +
			"  ecsctl top\n" +
			"  ecsctl top -c prod --refresh 10s\n" +
			"  ecsctl top -c prod --read-only",
		Flags: []cli.Flag{
			&cli.DurationFlag{Name: "refresh", Value: 5 * time.Second, Usage: "how often to re-read the view"},
			&cli.BoolFlag{Name: "read-only", Usage: "no actions: the dashboard changes nothing"},
			&cli.StringFlag{Name: "log-file", Usage: "where logs go while the dashboard runs (default: the user cache dir, ecsctl/top.log)"},
		},
		Action: func(c *cli.Context) error { return a.runTop(c) },
	}
}

func (a *app) runTop(c *cli.Context) error {
	if c.Args().Present() {
		return usagef("top takes no arguments (got %q): use --cluster NAME to open a cluster", c.Args().First())
	}
	refresh := c.Duration("refresh")
	if refresh < 100*time.Millisecond {
		return usagef("invalid value %s for --refresh: want a duration of at least 100ms, like 5s", refresh)
	}
	if !a.io.Interactive() || !a.io.OutTTY {
		return usagef("top needs a terminal: for scripts use 'ecsctl clusters', 'ecsctl services -c C' or 'ecsctl instances -c C'")
	}
	logPath := c.String("log-file")
	if logPath == "" {
		dir, err := os.UserCacheDir()
		if err != nil {
			dir = os.TempDir()
		}
		logPath = filepath.Join(dir, "ecsctl", "top.log")
	}
	if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
		return usagef("cannot create the log directory for --log-file %s: %v", logPath, err)
	}
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return usagef("cannot open --log-file %s: %v", logPath, err)
	}
	defer logFile.Close()

	cl, err := a.awsClients(c)
	if err != nil {
		return err
	}
	src := overview.NewTopSource(&overview.Reader{ECS: cl.ECS, EC2: cl.EC2, ASG: cl.ASG, CW: cl.CW, ELB: cl.ELB, Clock: cl.overviewClock()})
	cluster := flagString(c, "cluster")
	if cluster != "" {
		if err := src.CheckCluster(c.Context, cluster); err != nil {
			return err
		}
	}
	readOnly := c.Bool("read-only")
	var actions tui.Actions
	if !readOnly {
		actions = &tui.OpsActions{
			Scaler:   &overview.ServiceScaler{ECS: cl.ECS, AAS: cl.AppAuto},
			Deployer: &deploy.Deployer{ECS: cl.ECS, History: cl.ECS, Region: cl.cfg.Region},
			ECS:      cl.ECS,
		}
	}
	// The logs pane follows as `ecsctl logs -f` does, at its pace.
	logsEvery := a.pollInterval(c)
	if !flagBool(c, "sandbox") && !setIn(c, "poll-interval").IsSet("poll-interval") {
		logsEvery = 2 * time.Second
	}
	logs := &tui.OpsLogs{ECS: cl.ECS, Logs: logsClients(cl), Region: cl.cfg.Region, PollInterval: logsEvery}
	if a.io.NoColor {
		lipgloss.SetColorProfile(termenv.Ascii)
	}

	// While the dashboard owns the terminal, logs (and --debug's call log)
	// go to the file.
	prevErr := a.io.Err
	a.io.Err = logFile
	log.SetOutput(logFile)
	defer func() {
		a.io.Err = prevErr
		log.SetOutput(os.Stderr)
	}()
	log.Printf("top: started (cluster %q, refresh %s, read-only %v)", cluster, refresh, readOnly)

	// Ages and "ago" are differences with AWS timestamps: count them on the
	// account's clock, as the CLI's overviews do.
	m := tui.New(tui.Options{Source: src, Actions: actions, Logs: logs, Cluster: cluster, Refresh: refresh, ReadOnly: readOnly, Context: c.Context,
		Now: cl.overviewClock().Now})
	p := tea.NewProgram(m, tea.WithAltScreen(), tea.WithContext(c.Context), tea.WithInput(a.io.In), tea.WithOutput(a.io.Out))
	_, err = p.Run()
	m.Stop() // no read or action goroutine outlives the dashboard
	log.Printf("top: stopped")
	if err != nil {
		if c.Context.Err() != nil || errors.Is(err, tea.ErrProgramKilled) {
			return ops.ErrInterrupted
		}
		return fmt.Errorf("dashboard: %w", err)
	}
	return nil
}
