package cmd

import (
	"strings"

	"github.com/urfave/cli/v2"

	"ecsctl/ops/overview"
	"ecsctl/render"
)

func init() { addCommand(newServicesCmd) }

func newServicesCmd(a *app) *cli.Command {
	return &cli.Command{
		Name:  "services",
		Usage: "per service of a cluster: desired/running/pending, deployment state and age, revision, tag, CPU/memory",
		Description: "State is steady (one completed deployment, running = desired), rolling, failed or scaling.\n" +
			"CPU and MEMORY are what the running tasks reserve (task size × running); UTIL is CloudWatch's\n" +
			"newest per-minute average.\n\n" +
			"Examples:\n" +
			"  ecsctl services -c prod\n" +
			"  ecsctl services -c prod --sort -cpu --filter state:rolling\n" +
			"  ecsctl services -c prod --filter worker -o json",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "sort", Value: "name", Usage: "column to sort by: " + strings.Join(overview.ServiceSortKeys, ", ") + " (prefix - for descending)"},
			&cli.StringFlag{Name: "filter", Usage: "TEXT (part of the name) or KEY:VALUE with KEY name, state, image, tag or rev"},
		},
		Action: func(c *cli.Context) error {
			cluster, err := requireString(c, "cluster", "the cluster whose services to list, e.g. --cluster prod")
			if err != nil {
				return err
			}
			keep, err := overview.ParseServiceFilter(c.Context, c.String("filter"))
			if err != nil {
				return err
			}
			if err := overview.SortServiceRows(c.Context, nil, c.String("sort")); err != nil {
				return err
			}
			o, err := a.overview(c)
			if err != nil {
				return err
			}
			all, err := o.Services(c.Context, cluster)
			if err != nil {
				return err
			}
			rows := []overview.ServiceRow{}
			for _, r := range all {
				if keep(r) {
					rows = append(rows, r)
				}
			}
			if err := overview.SortServiceRows(c.Context, rows, c.String("sort")); err != nil {
				return err
			}
			if jsonOutput(c) {
				return render.JSON(a.io.Out, rows)
			}
			return render.OverviewServices(a.io.Out, rows)
		},
	}
}
