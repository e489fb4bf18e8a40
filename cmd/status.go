package cmd

import (
	"github.com/urfave/cli/v2"

	"ecsctl/render"
)

func init() { addCommand(newStatusCmd) }

func newStatusCmd(a *app) *cli.Command {
	return &cli.Command{
		Name:  "status",
		Usage: "one service in full: deployments, desired scale, every task with instance, AZ, health and target health, last events",
		Description: "Examples:\n" +
			"  ecsctl status -c prod --service api\n" +
			"  ecsctl status -c prod -s api --events 30 -o json",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "service", Aliases: []string{"s"}, Usage: "service to show"},
			&cli.IntFlag{Name: "events", Value: 10, Usage: "how many of the last events to show (0: all that ECS keeps)"},
		},
		Action: func(c *cli.Context) error {
			cluster, err := requireString(c, "cluster", "the service's cluster, e.g. --cluster prod")
			if err != nil {
				return err
			}
			service, err := requireString(c, "service", "the service to show, e.g. --service api")
			if err != nil {
				return err
			}
			if c.Int("events") < 0 {
				return usagef("invalid value %d for --events: want 0 (all) or more", c.Int("events"))
			}
			o, err := a.overview(c)
			if err != nil {
				return err
			}
			st, err := o.Status(c.Context, cluster, service, c.Int("events"))
			if err != nil {
				return err
			}
			if jsonOutput(c) {
				return render.JSON(a.io.Out, st)
			}
			return render.ServiceStatus(a.io.Out, st, o.Clock.Now())
		},
	}
}
