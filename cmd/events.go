package cmd

import (
	"errors"
	"time"

	"github.com/urfave/cli/v2"

	"ecsctl/ops"
	"ecsctl/ops/overview"
	"ecsctl/render"
)

func init() { addCommand(newEventsCmd) }

func newEventsCmd(a *app) *cli.Command {
	return &cli.Command{
		Name:  "events",
		Usage: "a service's events, oldest first; -f follows new ones",
		Description: "One line per event: RFC 3339 time, cluster/service, message. With -o json, one JSON object per line.\n\n" +
			"Examples:\n" +
			"  ecsctl events -c prod -s api --since 1h\n" +
			"  ecsctl events -c prod -s api -f",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "service", Aliases: []string{"s"}, Usage: "service whose events to show"},
			&cli.BoolFlag{Name: "follow", Aliases: []string{"f"}, Usage: "keep polling (every --poll-interval) and print new events until Ctrl-C"},
			&cli.StringFlag{Name: "since", Usage: "only events newer than this: a duration ago (30m, 2h, 1d) or a time (RFC 3339; UTC if no zone); default all that ECS keeps"},
		},
		Action: func(c *cli.Context) error {
			cluster, err := requireString(c, "cluster", "the service's cluster, e.g. --cluster prod")
			if err != nil {
				return err
			}
			service, err := requireString(c, "service", "the service whose events to show, e.g. --service api")
			if err != nil {
				return err
			}
			var spec ops.TimeSpec
			if v := c.String("since"); v != "" {
				if spec, err = ops.ParseTimeFlag(c.Context, "Since", v); err != nil {
					return err
				}
			}
			o, err := a.overview(c)
			if err != nil {
				return err
			}
			var since time.Time // zero: all that ECS keeps
			if c.String("since") != "" {
				since = spec.Resolve(a.accountNow(c, o))
			}
			emit := func(e overview.ServiceEvent) {
				if jsonOutput(c) {
					_ = render.JSONLine(a.io.Out, e)
					return
				}
				render.ServiceEventLine(a.io.Out, cluster, service, e)
			}
			if !c.Bool("follow") {
				evs, err := o.Events(c.Context, cluster, service, since)
				if err != nil {
					return err
				}
				for _, e := range evs {
					emit(e)
				}
				return nil
			}
			err = o.FollowEvents(c.Context, cluster, service, since, a.pollInterval(c), emit)
			if errors.Is(err, ops.ErrInterrupted) {
				return &silentError{err: err}
			}
			return err
		},
	}
}
