package cmd

import (
	"fmt"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"ecsctl/ops/cron"
	"ecsctl/render"
)

func init() { addCommand(newCronCmd) }

// cronWindow is how far back `cron list/show` count failed invocations.
const cronWindow = 7 * 24 * time.Hour

func newCronCmd(a *app) *cli.Command {
	return &cli.Command{
		Name:  "cron",
		Usage: "scheduled tasks of a cluster (EventBridge Scheduler schedules and EventBridge rules): list, show, run, pause, resume",
		Description: "Every EventBridge Scheduler schedule and EventBridge rule in the region whose ECS target is the cluster.\n" +
			"VERDICT is failing (its task definition cannot start, its last run failed, or its invocations\n" +
			"failed), stale revision (a service of the same family runs a newer revision), never ran, or ok.\n" +
			"FAILED counts the last 7 days of AWS/Events FailedInvocations for a rule and AWS/Scheduler\n" +
			"TargetErrorCount for a schedule, which AWS counts per schedule group only. ECS describes stopped\n" +
			"tasks for about an hour, so LAST RUN shows only recent runs.\n\n" +
			"Examples:\n" +
			"  ecsctl cron list -c prod\n" +
			"  ecsctl cron show -c prod nightly-report\n" +
			"  ecsctl cron run -c prod nightly-report\n" +
			"  ecsctl cron pause -c prod --dry-run nightly-report",
		Subcommands: []*cli.Command{
			{
				Name: "list", Usage: "every schedule and rule that runs tasks in the cluster",
				Action: func(c *cli.Context) error {
					r, cluster, _, err := a.cronReader(c, 0)
					if err != nil {
						return err
					}
					jobs, err := r.List(c.Context, cluster)
					if err != nil {
						return err
					}
					if jsonOutput(c) {
						if jobs == nil {
							jobs = []*cron.Job{}
						}
						return render.JSON(a.io.Out, jobs)
					}
					return render.CronJobs(a.io.Out, jobs, r.Clock.Now())
				},
			},
			{
				Name: "show", Usage: "one schedule or rule: expression, next run, revision, runs, failures, verdict", ArgsUsage: "NAME",
				Action: func(c *cli.Context) error {
					r, cluster, _, err := a.cronReader(c, 1)
					if err != nil {
						return err
					}
					j, err := r.Find(c.Context, cluster, c.Args().First())
					if err != nil {
						return err
					}
					if jsonOutput(c) {
						return render.JSON(a.io.Out, j)
					}
					return render.CronJob(a.io.Out, j, r.Clock.Now(), cronWindow)
				},
			},
			{
				Name: "run", Usage: "start the schedule's task now, as its next firing would, and print the task ARN", ArgsUsage: "NAME",
				Flags: []cli.Flag{&cli.BoolFlag{Name: "dry-run", Usage: "print the RunTask input and start nothing"}},
				Action: func(c *cli.Context) error {
					r, cluster, cl, err := a.cronReader(c, 1)
					if err != nil {
						return err
					}
					j, err := r.Find(c.Context, cluster, c.Args().First())
					if err != nil {
						return err
					}
					if c.Bool("dry-run") {
						in, err := cron.RunTaskInput(j)
						if err != nil {
							return err
						}
						return render.JSON(a.io.Out, in)
					}
					arns, err := cron.RunNow(c.Context, cl.ECS, j)
					for _, arn := range arns {
						fmt.Fprintln(a.io.Out, arn)
					}
					return err
				},
			},
			cronStateCmd(a, "pause", false),
			cronStateCmd(a, "resume", true),
		},
	}
}

func cronStateCmd(a *app, name string, enable bool) *cli.Command {
	how := "disables the schedule (UpdateSchedule with its whole definition and State DISABLED) or the rule (DisableRule)"
	if enable {
		how = "enables the schedule (UpdateSchedule with its whole definition and State ENABLED) or the rule (EnableRule)"
	}
	return &cli.Command{
		Name: name, Usage: name + " a schedule or rule: " + how, ArgsUsage: "NAME",
		Flags: []cli.Flag{&cli.BoolFlag{Name: "dry-run", Usage: "say what would change and change nothing"}},
		Action: func(c *cli.Context) error {
			r, cluster, cl, err := a.cronReader(c, 1)
			if err != nil {
				return err
			}
			j, err := r.Find(c.Context, cluster, c.Args().First())
			if err != nil {
				return err
			}
			w := &cron.Writer{Scheduler: cl.Scheduler, Events: cl.Events}
			ch, err := w.SetState(c.Context, j, enable, c.Bool("dry-run"))
			if err != nil {
				return err
			}
			if jsonOutput(c) {
				return render.JSON(a.io.Out, ch)
			}
			switch {
			case ch.Call == "":
				fmt.Fprintf(a.io.Out, "%s is already %s: nothing to do\n", ch.Job, ch.To)
			case ch.DryRun:
				fmt.Fprintf(a.io.Out, "would %s %s: %s → %s (%s); nothing changed (--dry-run)\n", name, ch.Job, ch.From, ch.To, ch.Call)
			default:
				fmt.Fprintf(a.io.Out, "%s: %s → %s\n", ch.Job, ch.From, ch.To)
			}
			return nil
		},
	}
}

// cronReader checks the arguments (nargs NAME arguments) before any AWS
// call and builds the reader.
func (a *app) cronReader(c *cli.Context, nargs int) (*cron.Reader, string, *clients, error) {
	cluster, err := requireString(c, "cluster", "the cluster whose scheduled tasks to read, e.g. --cluster prod")
	if err != nil {
		return nil, "", nil, err
	}
	for _, arg := range c.Args().Slice() {
		if strings.HasPrefix(arg, "-") {
			return nil, "", nil, usagef("flag %s after NAME: put flags before NAME, e.g. 'ecsctl cron %s -c %s %s NAME'", arg, c.Command.Name, cluster, arg)
		}
	}
	if c.NArg() != nargs {
		if nargs == 0 {
			return nil, "", nil, usagef("unexpected argument %q: 'ecsctl cron list' takes none", c.Args().First())
		}
		return nil, "", nil, usagef("want one NAME of a schedule or rule, got %d arguments: e.g. 'ecsctl cron %s -c %s nightly-report'", c.NArg(), c.Command.Name, cluster)
	}
	if nargs == 1 && strings.TrimSpace(c.Args().First()) == "" {
		return nil, "", nil, usagef("empty NAME: give the name of a schedule or rule ('ecsctl cron list -c %s' lists them)", cluster)
	}
	cl, err := a.awsClients(c)
	if err != nil {
		return nil, "", nil, err
	}
	return &cron.Reader{Scheduler: cl.Scheduler, Events: cl.Events, ECS: cl.ECS, CW: cl.CW, Clock: cl.overviewClock(), FailureWindow: cronWindow}, cluster, cl, nil
}
