package cmd

import (
	"errors"
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"ecsctl/ops"
	"ecsctl/ops/overview"
	"ecsctl/render"
)

// scaleSubcommands are the subcommands of `ecsctl scale`; each file that
// adds one appends to it from its init() (scale service here, scale
// cluster in scale_cluster.go), so neither edits the other.
var scaleSubcommands []func(a *app) *cli.Command

func init() {
	addCommand(newScaleCmd)
	scaleSubcommands = append(scaleSubcommands, newScaleServiceCmd)
}

func newScaleCmd(a *app) *cli.Command {
	cmd := &cli.Command{
		Name:  "scale",
		Usage: "scale a service's tasks or a cluster's instances",
	}
	for _, f := range scaleSubcommands {
		cmd.Subcommands = append(cmd.Subcommands, f(a))
	}
	return cmd
}

func newScaleServiceCmd(a *app) *cli.Command {
	return &cli.Command{
		Name:  "service",
		Usage: "set a service's desired count, and with --wait follow it until running = desired and steady",
		Description: "If the service has Application Auto Scaling bounds that do not include --count, ecsctl refuses\n" +
			"(Auto Scaling would move the count back) unless --update-autoscaling widens the bounds to include it\n" +
			"or --outside-autoscaling sets it for now anyway.\n\n" +
			"Examples:\n" +
			"  ecsctl scale service -c prod -s api --count 8 --wait\n" +
			"  ecsctl scale service -c prod -s api --count 30 --update-autoscaling --wait --timeout 20m\n" +
			"  ecsctl scale service -c prod -s api --count 0 --dry-run",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "service", Aliases: []string{"s"}, Usage: "service to scale"},
			&cli.StringFlag{Name: "count", Aliases: []string{"n"}, Usage: "desired number of tasks (0 or more)"},
			&cli.BoolFlag{Name: "wait", Aliases: []string{"w"}, Usage: "wait until running = desired and the service is steady"},
			&cli.DurationFlag{Name: "timeout", Value: 15 * time.Minute, Usage: "how long --wait waits (exit 124 after)"},
			&cli.BoolFlag{Name: "update-autoscaling", Usage: "widen the Application Auto Scaling min/max to include --count"},
			&cli.BoolFlag{Name: "outside-autoscaling", Usage: "set a --count outside the Application Auto Scaling min/max for now (auto scaling moves it back when it next scales)"},
			&cli.BoolFlag{Name: "dry-run", Usage: "say what would change and change nothing"},
		},
		Action: func(c *cli.Context) error { return a.runScaleService(c) },
	}
}

func (a *app) runScaleService(c *cli.Context) error {
	if c.Args().Present() {
		return usagef("scale service takes no arguments (got %q): use --service NAME --count N", c.Args().First())
	}
	cluster, err := requireString(c, "cluster", "the service's cluster, e.g. --cluster prod")
	if err != nil {
		return err
	}
	service, err := requireString(c, "service", "the service to scale, e.g. --service api")
	if err != nil {
		return err
	}
	countStr, err := requireString(c, "count", "the desired number of tasks, e.g. --count 4")
	if err != nil {
		return err
	}
	var count int
	if _, err := fmt.Sscanf(countStr, "%d", &count); err != nil || fmt.Sprint(count) != countStr {
		return usagef("invalid value %q for --count: want a whole number of tasks, e.g. --count 4", countStr)
	}
	req := overview.ScaleServiceRequest{Cluster: cluster, Service: service, Count: count, Wait: c.Bool("wait"),
		Timeout: c.Duration("timeout"), UpdateAutoscaling: c.Bool("update-autoscaling"), DryRun: c.Bool("dry-run"),
		OutsideAutoscaling: c.Bool("outside-autoscaling")}
	if req.UpdateAutoscaling && req.OutsideAutoscaling {
		return usagef("--update-autoscaling and --outside-autoscaling contradict each other: keep one")
	}
	if err := overview.ValidateScaleServiceRequest(c.Context, req); err != nil {
		return err
	}
	cl, err := a.awsClients(c)
	if err != nil {
		return err
	}
	lines := render.NewWaitLines(a.io)
	s := &overview.ServiceScaler{ECS: cl.ECS, AAS: cl.AppAuto, ELB: cl.ELB, PollInterval: a.pollInterval(c),
		Progress: lines.Event}
	res, err := s.Scale(c.Context, req)
	lines.Close()
	if res == nil {
		return err
	}
	if jsonOutput(c) {
		if jerr := render.JSON(a.io.Out, res); jerr != nil {
			return jerr
		}
	} else if rerr := render.ScaleService(a.io.Out, res); rerr != nil {
		return rerr
	}
	if errors.Is(err, ops.ErrInterrupted) {
		fmt.Fprintf(a.io.Err, "interrupted: the desired count of %s/%s is %d and ECS goes on scaling without ecsctl.\n", cluster, service, req.Count)
		fmt.Fprintf(a.io.Err, "  follow it again: ecsctl scale service -c %s -s %s --count %d --wait\n", cluster, service, req.Count)
	}
	return err
}
