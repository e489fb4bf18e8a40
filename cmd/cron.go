package cmd

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/urfave/cli/v2"

	"ecsctl/ops/cron"
	"ecsctl/ops/task"
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
				Name: "run", Usage: "start the schedule's task now, as its next firing would, follow it with its logs and exit with its exit code (as ecsctl run)", ArgsUsage: "NAME",
				Flags: append([]cli.Flag{&cli.BoolFlag{Name: "dry-run", Usage: "print the RunTask input and start nothing"}}, followTaskFlags()...),
				Action: func(c *cli.Context) error {
					if err := checkFollowTaskFlags(c); err != nil {
						return err
					}
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
					return a.cronRunNow(c, cl, cluster, j)
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
	// urfave/cli stops reading flags at the first argument: what follows
	// NAME would be silently ignored. The example moves it before NAME.
	args := c.Args().Slice()
	for i, arg := range args {
		if strings.HasPrefix(arg, "-") && i > 0 {
			return nil, "", nil, usagef("flag %s after NAME: put flags before NAME, e.g. 'ecsctl cron %s -c %s %s %s'", arg, c.Command.Name, cluster, strings.Join(args[i:], " "), strings.Join(args[:i], " "))
		}
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

// cronRunNow starts a schedule's or rule's task as its next firing would and
// follows it like ecsctl run: its logs, then its main container's exit code.
// A target that starts several tasks (TaskCount > 1) is started and listed,
// not followed.
func (a *app) cronRunNow(c *cli.Context, cl *clients, cluster string, j *cron.Job) error {
	in, err := cron.RunTaskInput(j)
	if err != nil {
		return err
	}
	if aws.ToInt32(in.Count) > 1 || c.Bool("no-wait") {
		arns, err := cron.RunNow(c.Context, cl.ECS, j)
		for _, arn := range arns {
			fmt.Fprintln(a.io.Out, arn)
		}
		if err == nil && !c.Bool("no-wait") {
			fmt.Fprintf(a.io.Err, "%s starts %d tasks: not followed (follow one with ecsctl logs -c %s --task ID -f)\n", j.ID(), len(arns), cluster)
		}
		return err
	}
	// RunTask first, as the firing would: a revision that does not exist is
	// AWS's refusal of it.
	started, err := task.Start(c.Context, cl.ECS, in)
	if err != nil {
		return fmt.Errorf("%s: %w", j.ID(), err)
	}
	container, own, err := cronMainContainer(c.Context, cl.ECS, in)
	if err != nil {
		return fmt.Errorf("%s started task %s but cannot follow it: %w", j.ID(), aws.ToString(started.TaskArn), err)
	}
	return a.followStartedTask(c, cl, cluster, container, in, started, own)
}

// cronMainContainer is the container whose exit code is the run's: the one
// the target's input overrides the command of, else the task definition's
// main container; own reports that the target gives it its command.
func cronMainContainer(ctx context.Context, api *ecs.Client, in *ecs.RunTaskInput) (name string, own bool, err error) {
	if in.Overrides != nil && len(in.Overrides.ContainerOverrides) == 1 {
		o := in.Overrides.ContainerOverrides[0]
		if aws.ToString(o.Name) != "" && len(o.Command) > 0 {
			return aws.ToString(o.Name), true, nil
		}
	}
	out, err := api.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: in.TaskDefinition})
	if err != nil {
		return "", false, fmt.Errorf("describe task definition %s: %w", aws.ToString(in.TaskDefinition), err)
	}
	name, err = task.MainContainer(ctx, out.TaskDefinition, "")
	return name, false, err
}
