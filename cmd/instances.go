package cmd

import (
	"github.com/urfave/cli/v2"

	"ecsctl/ops/overview"
	"ecsctl/render"
)

func init() { addCommand(newInstancesCmd) }

func newInstancesCmd(a *app) *cli.Command {
	return &cli.Command{
		Name:  "instances",
		Usage: "per container instance: AZ, type, AMI (old vs the ASG's target), status, agent, tasks, CPU/memory, age",
		Description: "AMI is marked (current) when it is the one the instance's Auto Scaling group launches now\n" +
			"(its launch template version), (old) when not.\n\n" +
			"Examples:\n" +
			"  ecsctl instances -c prod\n" +
			"  ecsctl instances -c prod -o json | jq -r '.[] | select(.amiState == \"old\") | .instanceId'",
		Action: func(c *cli.Context) error {
			cluster, err := requireString(c, "cluster", "the cluster whose instances to list, e.g. --cluster prod")
			if err != nil {
				return err
			}
			o, err := a.overview(c)
			if err != nil {
				return err
			}
			rows, err := o.Instances(c.Context, cluster)
			if err != nil {
				return err
			}
			if jsonOutput(c) {
				if rows == nil {
					rows = []overview.InstanceRow{}
				}
				return render.JSON(a.io.Out, rows)
			}
			return render.OverviewInstances(a.io.Out, rows)
		},
	}
}
