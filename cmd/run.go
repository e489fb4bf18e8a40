package cmd

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/urfave/cli/v2"

	"ecsctl/fmtx"
	"ecsctl/ops"
	"ecsctl/ops/deploy"
	"ecsctl/ops/task"
	"ecsctl/render"
)

func init() { addCommand(newRunCmd) }

func newRunCmd(a *app) *cli.Command {
	cmd := &cli.Command{
		Name:      "run",
		Usage:     "run a one-off task (a migration, a backfill) like a service's, follow it with its logs and exit with its exit code",
		ArgsUsage: "[--] [COMMAND [ARG...]]",
		Description: "With --service the task runs the service's current task definition (its PRIMARY deployment's), network\n" +
			"configuration and capacity provider strategy or launch type; with --task-def a named revision. The command\n" +
			"after -- replaces the main container's (the only container, else the first essential one, or --container).\n" +
			"The task is followed to STOPPED with its logs on stdout (no gaps, no repeats), and ecsctl exits with the main\n" +
			"container's exit code: 1 with the stop reason if it never started (no capacity, image not pulled), 124 when\n" +
			"--timeout passes (the task keeps running), 130 on Ctrl-C (on a terminal it asks whether to stop the task;\n" +
			"otherwise the task keeps running unless --stop-on-interrupt). Tasks are started by \"" + task.StartedBy + "\".\n\n" +
			"Examples:\n" +
			"  ecsctl run -c prod -s api -- ./manage.py migrate\n" +
			"  ecsctl run -c prod --task-def report:7 --env app:DAYS=3 --cpu 1024 --memory 2048 -- report --all\n" +
			"  ecsctl run -c prod -s api --timeout 30m --stop-on-interrupt -o json -- ./manage.py migrate",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "service", Aliases: []string{"s"}, Usage: "run a task like this service's (its current task definition, network and capacity)"},
			&cli.StringFlag{Name: "task-def", Usage: "task definition to run instead of a service's: FAMILY:REVISION or an ARN"},
			&cli.StringFlag{Name: "container", Usage: "container whose command is replaced and whose exit code is the run's (default: the main one)"},
			&cli.StringSliceFlag{Name: "env", Usage: "CONTAINER:KEY=VALUE: set an environment variable for this task (repeatable)"},
			&cli.StringFlag{Name: "cpu", Usage: "task CPU units for this task (1024 = 1 vCPU); Fargate takes 256, 512, 1024, ... 16384"},
			&cli.StringFlag{Name: "memory", Usage: "task memory (MiB) for this task; on Fargate one that goes with the CPU"},
			&cli.StringFlag{Name: "launch-type", Usage: "EC2 or FARGATE for --task-def (default: FARGATE for a Fargate-only definition, else EC2)"},
			&cli.StringSliceFlag{Name: "subnet", Usage: "awsvpc subnet id (repeatable; default: the service's)"},
			&cli.StringSliceFlag{Name: "security-group", Usage: "awsvpc security group id (repeatable; default: the service's)"},
			&cli.BoolFlag{Name: "assign-public-ip", Usage: "give the task's network interface a public IP (Fargate in a public subnet)"},
		},
		Action: func(c *cli.Context) error { return a.runTask(c) },
	}
	cmd.Flags = append(cmd.Flags, followTaskFlags()...)
	return cmd
}

// followTaskFlags are the flags of every command that starts a task and
// follows it to its exit code (run, cron run).
func followTaskFlags() []cli.Flag {
	return []cli.Flag{
		&cli.DurationFlag{Name: "timeout", Usage: "stop waiting after this long and exit 124, leaving the task running (0: wait until it stops)"},
		&cli.BoolFlag{Name: "all-containers", Usage: "show the logs of every container of the task, each line prefixed with its container (default: the main one's only)"},
		&cli.BoolFlag{Name: "no-wait", Usage: "print the task ARN once ECS has accepted it and exit 0"},
		&cli.BoolFlag{Name: "stop-on-interrupt", Usage: "on Ctrl-C, stop the task without asking (default without a terminal: leave it running)"},
		&cli.DurationFlag{Name: "overlap", Value: time.Minute, Usage: "how late CloudWatch may ingest a log event and still have it shown: logs are read this long past the task's stop"},
	}
}

// checkFollowTaskFlags refuses followTaskFlags that make no sense.
func checkFollowTaskFlags(c *cli.Context) error {
	if c.IsSet("timeout") && c.Duration("timeout") <= 0 {
		return usagef("invalid --timeout %s: want a positive duration like 30m", c.Duration("timeout"))
	}
	if c.Duration("overlap") <= 0 {
		return usagef("invalid --overlap %s: want a positive duration like 1m", c.Duration("overlap"))
	}
	if c.Bool("no-wait") && (c.IsSet("timeout") || c.Bool("stop-on-interrupt")) {
		return usagef("--no-wait does not follow the task: remove --timeout and --stop-on-interrupt")
	}
	return nil
}

func (a *app) runTask(c *cli.Context) error {
	req := task.Request{
		Cluster: flagString(c, "cluster"), Service: c.String("service"), TaskDef: c.String("task-def"),
		Container: c.String("container"), Command: c.Args().Slice(),
		CPU: strings.TrimSpace(c.String("cpu")), Memory: strings.TrimSpace(c.String("memory")),
		LaunchType: strings.ToUpper(c.String("launch-type")), Subnets: c.StringSlice("subnet"),
		SecurityGroups: c.StringSlice("security-group"), PublicIP: c.Bool("assign-public-ip"),
	}
	for _, spec := range c.StringSlice("env") {
		container, rest, ok := strings.Cut(spec, ":")
		key, value, ok2 := strings.Cut(rest, "=")
		if !ok || !ok2 || container == "" || key == "" {
			shown := spec // never echo a value: it may be a secret
			if k, _, hasValue := strings.Cut(spec, "="); hasValue {
				shown = k + "=" + deploy.Masked
			}
			return usagef("invalid --env %q: want CONTAINER:KEY=VALUE, e.g. --env app:LOG_LEVEL=debug", shown)
		}
		req.Env = append(req.Env, task.Env{Container: container, Key: key, Value: value})
	}
	if err := checkFollowTaskFlags(c); err != nil {
		return err
	}
	if err := task.Validate(c.Context, req); err != nil {
		return err
	}
	cl, err := a.awsClients(c)
	if err != nil {
		return err
	}
	plan, err := task.Prepare(c.Context, cl.ECS, req)
	if err != nil {
		return err
	}
	started, err := task.Start(c.Context, cl.ECS, plan.Input)
	if err != nil && c.Context.Err() != nil {
		// Ctrl-C while RunTask was in flight: AWS may have started the task.
		fmt.Fprintf(a.io.Err, "interrupted while starting the task: one may have started; list them: aws ecs list-tasks --cluster %s --started-by %s\n", req.Cluster, task.StartedBy)
		return &silentError{err: fmt.Errorf("%w: %v", ops.ErrInterrupted, err)}
	}
	if err != nil {
		return err
	}
	arn := aws.ToString(started.TaskArn)
	if c.Bool("no-wait") {
		if jsonOutput(c) {
			return render.JSON(a.io.Out, task.ResultOf(req.Cluster, plan.Container, started))
		}
		_, err := fmt.Fprintln(a.io.Out, arn)
		return err
	}
	return a.followStartedTask(c, cl, req.Cluster, plan.Container, plan.Input, started, len(req.Command) > 0)
}

// followStartedTask follows a task ecsctl started to STOPPED, with its
// logs, and returns the run's outcome (the main container's exit code).
// ownCommand says the command line gave the container its command.
func (a *app) followStartedTask(c *cli.Context, cl *clients, cluster, container string, input *ecs.RunTaskInput, started types.Task, ownCommand bool) error {
	arn := aws.ToString(started.TaskArn)
	compute := string(input.LaunchType)
	if len(input.CapacityProviderStrategy) > 0 {
		var ps []string
		for _, it := range input.CapacityProviderStrategy {
			ps = append(ps, aws.ToString(it.CapacityProvider))
		}
		compute = "capacity providers " + strings.Join(ps, ", ")
	} else if compute == "" {
		compute = "EC2"
	}
	render.RunStarted(a.io.Err, time.Now(), cluster, arn, aws.ToString(started.TaskDefinitionArn), container, compute)
	if !ownCommand {
		// A service's own command usually serves until stopped.
		render.Line(a.io.Err, time.Now(), cluster+"/"+fmtx.ShortARN(arn), "no command after --: container %s runs its own command from the task definition", container)
	}
	// The task's output is the command's result in text mode (stdout); with
	// -o json stdout holds the result only and the output goes to stderr.
	logIO := *a.io
	if jsonOutput(c) {
		logIO.Out, logIO.OutTTY = a.io.Err, a.io.ErrTTY
	}
	all := c.Bool("all-containers")
	printer := render.NewLogsPrinter(&logIO, render.LogsOptions{NoPrefix: !all, Subject: cluster + "/" + fmtx.ShortARN(arn)})
	f := &task.Follower{
		ECS: cl.ECS, Logs: logsClients(cl), Region: cl.cfg.Region, Emit: printer.Print, Notice: printer.Notice,
		PollInterval: a.pollInterval(c), Overlap: c.Duration("overlap"), Timeout: c.Duration("timeout"),
		Progress: func(ev ops.Event) { render.RunProgress(a.io.Err, cluster, ev) },
	}
	if !all {
		f.Containers = []string{container}
	}
	if !flagBool(c, "sandbox") && !setIn(c, "poll-interval").IsSet("poll-interval") {
		f.PollInterval = 2 * time.Second
	}
	res, ferr := f.Follow(c.Context, cluster, container, started)
	var still *task.ErrStillRunning
	if errors.As(ferr, &still) {
		return a.runLeftRunning(c, cl, cluster, arn, still)
	}
	if ferr != nil {
		return ferr
	}
	if jsonOutput(c) {
		if err := render.JSON(a.io.Out, res); err != nil {
			return err
		}
	} else if err := render.RunSummary(a.io.Err, res); err != nil {
		return err
	}
	return runOutcome(res)
}

// runOutcome maps a stopped task to the exit code: its main container's.
func runOutcome(res *task.Result) error {
	if res.NeverRan() {
		why := res.StopReason
		for _, ct := range res.Containers {
			if ct.Name == res.Container && ct.Reason != "" {
				why = ct.Reason
			}
		}
		if why == "" {
			why = "no reason given"
		}
		return fmt.Errorf("%w: task %s stopped before container %s ran: %s", ops.ErrFailed, fmtx.ShortARN(res.TaskArn), res.Container, why)
	}
	if code := *res.ExitCode; code != 0 {
		// A code outside 1..255 cannot be a process's: report failure (1).
		if code < 1 || code > 255 {
			code = 1
		}
		return &silentError{err: &exitStatus{code: code, msg: fmt.Sprintf("container %s exited %d", res.Container, *res.ExitCode)}}
	}
	return nil
}

// runLeftRunning handles a follow that ended before the task stopped:
// --timeout (124, the task keeps running) or Ctrl-C (130; stop it when
// asked to).
func (a *app) runLeftRunning(c *cli.Context, cl *clients, cluster, arn string, still *task.ErrStillRunning) error {
	id := fmtx.ShortARN(arn)
	how := fmt.Sprintf("aws ecs stop-task --cluster %s --task %s", cluster, id)
	if errors.Is(still, ops.ErrTimeout) {
		fmt.Fprintf(a.io.Err, "timed out after %s: task %s/%s is still %s and was left running (a migration is not killed halfway).\n", c.Duration("timeout"), cluster, id, still.Status)
		fmt.Fprintf(a.io.Err, "  follow it: ecsctl logs -c %s --task %s -f\n  stop it:   %s\n", cluster, id, how)
		return &silentError{err: still}
	}
	stop := c.Bool("stop-on-interrupt")
	if !stop && a.io.Interactive() {
		stop = rotateConfirm(a.io, fmt.Sprintf("\ninterrupted: task %s/%s is still %s. Stop it", cluster, id, still.Status))
	}
	if !stop {
		fmt.Fprintf(a.io.Err, "interrupted: task %s/%s is still %s and was left running.\n", cluster, id, still.Status)
		fmt.Fprintf(a.io.Err, "  follow it: ecsctl logs -c %s --task %s -f\n  stop it:   %s\n", cluster, id, how)
		return &silentError{err: still}
	}
	// The command's context is cancelled: the stop gets its own, bounded one.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Context), 30*time.Second)
	defer cancel()
	if err := task.Stop(ctx, cl.ECS, cluster, arn, "Stopped by ecsctl run (interrupted)"); err != nil {
		fmt.Fprintf(a.io.Err, "interrupted: could not stop task %s/%s (%s); stop it: %s\n", cluster, id, oneLine(err.Error()), how)
		return &silentError{err: still}
	}
	fmt.Fprintf(a.io.Err, "interrupted: asked ECS to stop task %s/%s (StopTask sent; its containers get SIGTERM, then SIGKILL after the stop timeout).\n", cluster, id)
	return &silentError{err: still}
}
