package cmd

import (
	"errors"
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"ecsctl/ops"
	"ecsctl/ops/fleet"
	"ecsctl/render"
)

// `scale cluster` joins `scale` (cmd/scale.go) through scaleSubcommands.
func init() { scaleSubcommands = append(scaleSubcommands, newScaleClusterCmd) }

func newScaleClusterCmd(a *app) *cli.Command {
	return &cli.Command{
		Name:  "cluster",
		Usage: "set the number of container instances; scale-in drains the instances it picks before removing them",
		Description: "Scale-out sets the ASG's desired capacity (raising max only with --raise-max) and waits for the new\n" +
			"instances to register ACTIVE. Scale-in never lets Auto Scaling pick: ecsctl picks the instances with\n" +
			"the fewest tasks (then from the fullest zone), refuses if the rest cannot hold their tasks (CPU,\n" +
			"memory, ports, distinctInstance, memberOf), drains them, waits for every task there to be STOPPED and\n" +
			"the services steady, and removes them with desired-capacity decrement. Killed half-way, the same\n" +
			"command picks up the DRAINING instances first. It refuses, before any change, a group that ECS\n" +
			"managed scaling or an instance refresh is sizing, one with Launch or Terminate suspended, and a\n" +
			"scale-out that would bring in warm-pool instances on another AMI than the launch template's.\n\n" +
			"Examples:\n" +
			"  ecsctl scale cluster -c prod --count 55\n" +
			"  ecsctl scale cluster -c prod --count 48 --dry-run\n" +
			"  ecsctl scale cluster -c prod --count 70 --raise-max --yes",
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "count", Value: -1, Usage: "number of instances wanted (the ASG's desired capacity)"},
			&cli.StringFlag{Name: "asg", Usage: "Auto Scaling group (default: the one group running the cluster's instances)"},
			&cli.BoolFlag{Name: "raise-max", Usage: "raise the group's max size when --count is above it"},
			&cli.BoolFlag{Name: "dry-run", Usage: "say what would be done and change nothing"},
			&cli.StringFlag{Name: "standalone-tasks", Value: fleet.StandaloneWait, Usage: "standalone tasks on an instance to remove: wait, stop or abort"},
			&cli.DurationFlag{Name: "timeout", Value: 30 * time.Minute, Usage: "pause (instances left DRAINING) when the drain takes longer"},
		},
		Action: func(c *cli.Context) error { return a.runScaleCluster(c) },
	}
}

func (a *app) runScaleCluster(c *cli.Context) error {
	if !c.IsSet("count") {
		return usagef("missing --count: the number of instances wanted, e.g. --count 10")
	}
	req := fleet.ClusterScaleRequest{Cluster: flagString(c, "cluster"), ASG: c.String("asg"), Count: c.Int("count"),
		RaiseMax: c.Bool("raise-max"), DryRun: c.Bool("dry-run"), Standalone: c.String("standalone-tasks"), Timeout: c.Duration("timeout")}
	if c.IsSet("timeout") && req.Timeout <= 0 {
		return usagef("invalid --timeout %s: want a positive duration like 30m", req.Timeout)
	}
	if err := fleet.ValidateClusterScaleRequest(c.Context, req); err != nil {
		return err
	}
	cl, err := a.awsClients(c)
	if err != nil {
		return err
	}
	progress := render.NewRotateProgress(a.io)
	defer progress.Close() // on the early returns too (it is closed before the summary otherwise)
	r := &fleet.Rotator{ECS: cl.ECS, ASG: cl.ASG, EC2: cl.EC2, SSM: cl.SSM, ELB: cl.ELB, PollInterval: a.pollInterval(c), Progress: progress.Event}
	ask := !req.DryRun && !flagBool(c, "yes")
	if ask && !a.io.Interactive() {
		return usagef("scale cluster changes the cluster: pass --yes to run it from a script, or --dry-run to see the plan")
	}
	// One plan: the one shown (and confirmed) is the one executed.
	plan, err := r.PlanClusterScale(c.Context, req)
	if err != nil {
		return err
	}
	if ask {
		if err := render.ClusterScalePlan(a.io.Err, &fleet.ClusterScaleResult{Plan: plan}); err != nil {
			return err
		}
		if !rotateConfirm(a.io, fmt.Sprintf("Scale %s from %d to %d", plan.ASG, plan.From, plan.To)) {
			return usagef("not confirmed: nothing was changed")
		}
	}
	res, err := r.ApplyClusterScale(c.Context, req, plan)
	progress.Close()
	if res == nil {
		return err
	}
	if jsonOutput(c) {
		if jerr := render.JSON(a.io.Out, res); jerr != nil {
			return jerr
		}
	} else if serr := render.ClusterScaleSummary(a.io.Out, res); serr != nil {
		return serr
	}
	if err != nil {
		if errors.Is(err, ops.ErrInterrupted) {
			fmt.Fprintf(a.io.Err, "interrupted: instances being drained stay DRAINING; re-run the same command to finish\n")
		} else {
			fmt.Fprintf(a.io.Err, "ecsctl: %s\n", oneLine(err.Error()))
		}
		return &silentError{err: err}
	}
	return nil
}
