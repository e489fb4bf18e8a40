package cmd

import (
	"context"
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"ecsctl/ops"
	"ecsctl/ops/overview"
	"ecsctl/render"
)

func init() { addCommand(newClustersCmd) }

// overviewClock is the "now" of ages in the overviews; the fault matrix's
// child processes pin it to the sandbox's virtual clock.
var overviewClock ops.Clock = ops.RealClock{}

// overviewClockKey pins the overviews' "now" for one in-process run (golden
// tests running side by side, each on its own frozen sandbox).
type overviewClockKey struct{}

func withOverviewClock(ctx context.Context, clk ops.Clock) context.Context {
	return context.WithValue(ctx, overviewClockKey{}, clk)
}

// overviewClock is AWS's clock (see serverClock) unless a test pinned the
// run's (or the process's) clock.
func (cl *clients) overviewClock() ops.Clock {
	if cl.pinnedClock != nil {
		return cl.pinnedClock
	}
	if _, real := overviewClock.(ops.RealClock); real && cl.Clock != nil {
		return cl.Clock
	}
	return overviewClock
}

// overview builds the read paths over the command's AWS clients.
func (a *app) overview(c *cli.Context) (*overview.Reader, error) {
	cl, err := a.awsClients(c)
	if err != nil {
		return nil, err
	}
	return &overview.Reader{ECS: cl.ECS, EC2: cl.EC2, ASG: cl.ASG, CW: cl.CW, ELB: cl.ELB, Clock: cl.overviewClock(),
		MetricsNote: func(msg string) { fmt.Fprintf(a.io.Err, "note: %s\n", msg) }}, nil
}

func newClustersCmd(a *app) *cli.Command {
	return &cli.Command{
		Name:  "clusters",
		Usage: "per cluster: instances, services, tasks, CPU and memory reserved vs registered, utilization",
		Description: "Lists every cluster of the account and region (or the one named with --cluster).\n\n" +
			"Examples:\n" +
			"  ecsctl clusters\n" +
			"  ecsctl clusters -o json | jq '.[] | select(.drainingInstances > 0) | .name'",
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return usagef("clusters takes no arguments (got %q): use --cluster NAME for one cluster", c.Args().First())
			}
			o, err := a.overview(c)
			if err != nil {
				return err
			}
			var names []string
			if cl := flagString(c, "cluster"); cl != "" {
				names = []string{cl}
			}
			rows, err := o.Clusters(c.Context, names)
			if err != nil {
				return err
			}
			if jsonOutput(c) {
				if rows == nil {
					rows = []overview.ClusterSummary{}
				}
				return render.JSON(a.io.Out, rows)
			}
			return render.OverviewClusters(a.io.Out, rows)
		},
	}
}

// accountNow is "now" on the clock the overview's ages use: the account's
// (learned from a first AWS response if none came yet), or the one a test
// pinned.
func (a *app) accountNow(c *cli.Context, o *overview.Reader) time.Time {
	if sc, ok := o.Clock.(*serverClock); ok {
		return sc.accountNow(c.Context, o.ECS)
	}
	return o.Clock.Now()
}
