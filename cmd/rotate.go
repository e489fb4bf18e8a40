package cmd

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"ecsctl/ops"
	"ecsctl/ops/fleet"
	"ecsctl/render"
)

func init() {
	addCommand(newRotateCmd)
}

func newRotateCmd(a *app) *cli.Command {
	return &cli.Command{
		Name:  "rotate-ami",
		Usage: "replace every container instance on an old AMI without losing capacity; resumable",
		Description: "Preflight checks everything first (launch template on the target AMI, services steady, room for\n" +
			"the drained tasks, refreshes, suspended processes, capacity providers with managed scaling, warm\n" +
			"pools, scaling policies and scheduled actions) and prints the plan. Then it records the run (and\n" +
			"each instance's batch) in tags, suspends AZRebalance, scales out by the surge (default: the room\n" +
			"under the ASG's max size; batches as large as it and the room allow), checks the new\n" +
			"instances run the target AMI, and per batch drains, waits for every task there to be STOPPED and the\n" +
			"services steady with healthy targets, and terminates through the ASG with decrement. It never\n" +
			"terminates an instance that runs service tasks: on a timeout or a service below its minimum it\n" +
			"pauses (exit 1). The plan shown is the plan run: before each batch the fleet is read again, and an\n" +
			"instance of the plan gone, an unknown old-AMI instance or the ASG changed by someone else stops the\n" +
			"run (exit 1). Re-run the same command to resume; --abort undoes a run in progress.\n\n" +
			"Examples:\n" +
			"  ecsctl rotate-ami -c prod --dry-run\n" +
			"  ecsctl rotate-ami -c prod --batch 2 --yes\n" +
			"  ecsctl rotate-ami -c prod --ami ami-0a1b2c3d4e5f60002 --update-launch-template --standalone-tasks stop --yes\n" +
			"  ecsctl rotate-ami -c prod --abort --yes",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "asg", Usage: "Auto Scaling group (default: the one group running the cluster's instances)"},
			&cli.StringFlag{Name: "ami", Usage: "target AMI id"},
			&cli.StringFlag{Name: "ssm-parameter", Usage: "SSM parameter holding the target AMI id (default " + fleet.DefaultAMIParameter + ")"},
			&cli.BoolFlag{Name: "update-launch-template", Usage: "if the launch template does not launch the target AMI, create a version that does and point the ASG at it"},
			&cli.IntFlag{Name: "batch", Usage: "instances drained together (default: as many as the ASG's max size and the cluster's room allow)"},
			&cli.IntFlag{Name: "surge", Value: -1, Usage: "extra instances launched before a batch drains (default: the batch size; without --batch, the room under the ASG's max size)"},
			&cli.DurationFlag{Name: "timeout-per-batch", Value: 30 * time.Minute, Usage: "pause when a batch has not drained in this long"},
			&cli.StringFlag{Name: "standalone-tasks", Value: fleet.StandaloneWait, Usage: "standalone (RunTask) tasks on a draining instance: wait, stop or abort"},
			&cli.BoolFlag{Name: "dry-run", Usage: "print the plan and change nothing"},
			&cli.BoolFlag{Name: "abort", Usage: "undo the run in progress: drained instances back to ACTIVE, the ASG restored"},
		},
		Action: func(c *cli.Context) error { return a.runRotate(c) },
	}
}

func (a *app) runRotate(c *cli.Context) error {
	req, err := a.rotateRequest(c)
	if err != nil {
		return err
	}
	cl, err := a.awsClients(c)
	if err != nil {
		return err
	}
	progress := render.NewRotateProgress(a.io)
	defer progress.Close() // on the early returns too (it is closed before the summary otherwise)
	r := &fleet.Rotator{ECS: cl.ECS, ASG: cl.ASG, EC2: cl.EC2, SSM: cl.SSM, ELB: cl.ELB,
		PollInterval: a.pollInterval(c), Progress: progress.Event}
	// The plan is made once; what is shown (and confirmed) is what runs.
	ask := !req.DryRun && !flagBool(c, "yes")
	for round := 0; ; round++ {
		plan, err := r.Preflight(c.Context, req)
		if err != nil {
			return err
		}
		if ask {
			if err := a.confirmRotate(c, req, plan); err != nil {
				return err
			}
		}
		res, err := r.Apply(c.Context, req, plan)
		// On a terminal, a fleet that changed before anything was done gets a
		// new plan and the question again.
		var fc *fleet.FleetChangedError
		if ask && round < 2 && errors.As(err, &fc) && !fc.Started {
			fmt.Fprintf(a.io.Err, "%s\nplanning again:\n", oneLine(err.Error()))
			continue
		}
		progress.Close()
		if res == nil {
			return err
		}
		return a.rotateOutcome(c, req, res, err)
	}
}

// rotateRequest reads and checks rotate-ami's flags: nothing is called yet.
func (a *app) rotateRequest(c *cli.Context) (fleet.RotateRequest, error) {
	req := fleet.RotateRequest{
		Cluster: flagString(c, "cluster"), ASG: c.String("asg"), AMI: c.String("ami"), SSMParameter: c.String("ssm-parameter"),
		UpdateLaunchTemplate: c.Bool("update-launch-template"), Batch: c.Int("batch"), Surge: c.Int("surge"),
		TimeoutPerBatch: c.Duration("timeout-per-batch"), Standalone: c.String("standalone-tasks"),
		DryRun: c.Bool("dry-run"), Abort: c.Bool("abort"),
	}
	if !c.IsSet("standalone-tasks") {
		req.Standalone = "" // a resumed run keeps the policy it recorded; a new one waits
	}
	if err := fleet.ValidateRotateRequest(c.Context, req); err != nil {
		return req, err
	}
	if c.IsSet("timeout-per-batch") && req.TimeoutPerBatch <= 0 {
		return req, usagef("invalid --timeout-per-batch %s: want a positive duration like 30m", req.TimeoutPerBatch)
	}
	if c.IsSet("batch") && req.Batch < 1 {
		return req, usagef("invalid --batch %d: want 1 to 50 instances drained together", req.Batch)
	}
	if c.IsSet("surge") && req.Surge < 0 {
		return req, usagef("invalid --surge %d: want 0 or more extra instances", req.Surge)
	}
	if !req.DryRun && !flagBool(c, "yes") && !a.io.Interactive() {
		return req, usagef("rotate-ami replaces instances: pass --yes to run it from a script, or --dry-run to see the plan")
	}
	return req, nil
}

// confirmRotate shows the plan and asks before a rotation (or abort) runs.
func (a *app) confirmRotate(c *cli.Context, req fleet.RotateRequest, plan *fleet.RotatePlan) error {
	if !jsonOutput(c) {
		if err := render.RotatePlan(a.io.Err, plan); err != nil {
			return err
		}
	}
	what := "Replace these instances"
	if req.Abort {
		what = "Abort run " + plan.RunID + " and restore " + plan.ASG
	}
	// Nothing old and no run to resume: nothing to confirm, nothing is done.
	if (req.Abort || plan.Resuming || len(plan.Instances) > 0) && !rotateConfirm(a.io, what) {
		return usagef("not confirmed: nothing was changed")
	}
	return nil
}

// rotateOutcome prints a run's result and maps its error.
func (a *app) rotateOutcome(c *cli.Context, req fleet.RotateRequest, res *fleet.RotateResult, err error) error {
	if jsonOutput(c) {
		if jerr := render.JSON(a.io.Out, res); jerr != nil {
			return jerr
		}
	} else if req.DryRun {
		if rerr := render.RotatePlan(a.io.Out, res.Plan); rerr != nil {
			return rerr
		}
	} else if serr := render.RotateSummary(a.io.Out, res); serr != nil {
		return serr
	}
	if err != nil {
		var pe *fleet.PauseError
		switch {
		case errors.Is(err, ops.ErrInterrupted):
			fmt.Fprintf(a.io.Err, "interrupted: run %s of %s is recorded in the group's tags; instances being drained stay DRAINING.\n", res.Plan.RunID, res.Plan.ASG)
			fmt.Fprintf(a.io.Err, "  resume: ecsctl rotate-ami --cluster %s --asg %s --yes\n", res.Plan.Cluster, res.Plan.ASG)
			fmt.Fprintf(a.io.Err, "  undo:   ecsctl rotate-ami --cluster %s --asg %s --abort --yes\n", res.Plan.Cluster, res.Plan.ASG)
		case errors.As(err, &pe):
			fmt.Fprintf(a.io.Err, "ecsctl: %s\n", oneLine(err.Error()))
		default:
			fmt.Fprintf(a.io.Err, "ecsctl: %s\n", oneLine(err.Error()))
		}
		return &silentError{err: err}
	}
	return nil
}

// rotateConfirm asks a yes/no question on the terminal. It reads the answer
// a byte at a time, so that a second question (after a re-plan) gets the
// next line rather than what a buffered reader kept.
func rotateConfirm(ios *render.IO, question string) bool {
	fmt.Fprintf(ios.Err, "%s? [y/N] ", question)
	var line []byte
	b := make([]byte, 1)
	for {
		n, err := ios.In.Read(b)
		if n == 1 {
			if b[0] == '\n' {
				break
			}
			line = append(line, b[0])
		}
		if err != nil {
			break
		}
	}
	ans := strings.ToLower(strings.TrimSpace(string(line)))
	return ans == "y" || ans == "yes"
}
