package cmd

import (
	"github.com/urfave/cli/v2"

	"ecsctl/ops/overview"
	"ecsctl/render"
)

func init() { addCommand(newCapacityCmd) }

func newCapacityCmd(a *app) *cli.Command {
	return &cli.Command{
		Name:  "capacity",
		Usage: "CPU and memory registered, reserved and free; how many more tasks of each service fit; instances needed for --add",
		Description: "Works from ECS's reservations (what tasks reserve), not utilization. \"More fit now\" places tasks\n" +
			"of one service at a time on ACTIVE instances, honouring distinctInstance, memberOf on attributes, and\n" +
			"static host ports. --add SERVICE=N places N more tasks (several --add share the space) and says how\n" +
			"many instances of the cluster's Auto Scaling group type the rest need, daemon tasks included.\n\n" +
			"Examples:\n" +
			"  ecsctl capacity -c prod\n" +
			"  ecsctl capacity -c prod --service api\n" +
			"  ecsctl capacity -c prod --add api=20 --add search-worker=10",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "service", Aliases: []string{"s"}, Usage: "report only this service"},
			&cli.StringSliceFlag{Name: "add", Usage: "SERVICE=N: how many instances N more tasks of SERVICE need (repeat)"},
			&cli.BoolFlag{Name: "instances", Usage: "also list every instance's resources"},
		},
		Action: func(c *cli.Context) error {
			cluster, err := requireString(c, "cluster", "the cluster to size, e.g. --cluster prod")
			if err != nil {
				return err
			}
			adds, err := overview.ParseCapacityAdds(c.Context, c.StringSlice("add"))
			if err != nil {
				return err
			}
			o, err := a.overview(c)
			if err != nil {
				return err
			}
			o.CW = nil // reservations only
			rep, err := o.Capacity(c.Context, cluster, c.String("service"), adds)
			if err != nil {
				return err
			}
			if jsonOutput(c) {
				return render.JSON(a.io.Out, rep)
			}
			return render.Capacity(a.io.Out, rep, c.Bool("instances"))
		},
	}
}
