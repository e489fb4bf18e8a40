package cmd

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/urfave/cli/v2"

	"ecsctl/ops"
	"ecsctl/ops/logs"
	"ecsctl/render"
)

func init() { addCommand(newLogsCmd) }

func newLogsCmd(a *app) *cli.Command {
	return &cli.Command{
		Name:  "logs",
		Usage: "show or follow a service's logs across all its tasks: replacements join, stopped tasks leave, no gaps, no repeats",
		Description: "Reads each container's awslogs group and stream prefix from the task definitions of the service's\n" +
			"tasks and reads the <prefix>/<container>/<task-id> streams. Without --follow it prints the range\n" +
			"(default: the last 10 minutes) in time order and exits 0. With --follow it keeps polling, re-lists\n" +
			"the service's tasks so that replacements join and stopped tasks leave, re-reads an --overlap window\n" +
			"to catch events CloudWatch ingests late and never prints an event twice. Where it fits (one region,\n" +
			"at most 10 log groups) --follow uses a CloudWatch Logs live tail session instead of polling, bridged\n" +
			"by one poll at its start; it falls back to polling, with a notice, when live tail is not available,\n" +
			"when CloudWatch samples the session (over 500 events/s) or when sessions keep failing. Ctrl-C exits 130.\n\n" +
			"Examples:\n" +
			"  ecsctl logs -c prod -s api --since 1h\n" +
			"  ecsctl logs -c prod -s api -f --container app --grep 'level\":\"error'\n" +
			"  ecsctl logs -c prod -s api --filter '{ $.level = \"error\" }' -o json | jq .parsed.msg\n" +
			"  ecsctl logs -c prod -s api --previous          # tasks that stopped in the last hour\n" +
			"  ecsctl logs -c prod --task 0f3c6e1a9b2d4e5f8a7b6c5d4e3f2a1b --since 2026-11-23T10:00:00Z --until 2026-11-23T10:05:00Z",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "service", Aliases: []string{"s"}, Usage: "service whose tasks' logs to show"},
			&cli.StringSliceFlag{Name: "task", Usage: "task id or ARN instead of a service (repeat for several)"},
			&cli.StringSliceFlag{Name: "container", Usage: "only this container (repeat for several; default: all)"},
			&cli.BoolFlag{Name: "follow", Aliases: []string{"f"}, Usage: "keep following new events until Ctrl-C (or --until)"},
			&cli.StringFlag{Name: "since", Usage: "start: a duration ago (10m, 2h, 1d) or a time (RFC 3339; UTC if no zone); default 10m, a task's start for --task/--previous"},
			&cli.StringFlag{Name: "until", Usage: "end: a duration ago or a time; with --follow, stop once it has passed"},
			&cli.StringFlag{Name: "filter", Usage: "CloudWatch Logs filter pattern, applied by AWS (e.g. ERROR, '{ $.level = \"error\" }')"},
			&cli.StringFlag{Name: "grep", Usage: "only messages matching this regular expression"},
			&cli.StringFlag{Name: "grep-v", Usage: "drop messages matching this regular expression"},
			&cli.BoolFlag{Name: "previous", Usage: "the service's recently stopped tasks (ECS lists them for about an hour)"},
			&cli.BoolFlag{Name: "timestamps", Usage: "start each line with the event's time"},
			&cli.BoolFlag{Name: "no-prefix", Usage: "no task/container prefix"},
			&cli.DurationFlag{Name: "overlap", Value: time.Minute, Usage: "how late CloudWatch may ingest an event and still have it shown (--follow)"},
			&cli.DurationFlag{Name: "order-window", Value: 2 * time.Second, Usage: "hold events at most this long (as long as all but 1 in 100 recent events took to be ingested) to print streams merged in time order (--follow)"},
			&cli.StringFlag{Name: "live-tail", Value: "auto", Usage: "auto: follow through a CloudWatch Logs live tail session where it fits (one region, at most 10 log groups), polling otherwise; never: always poll (--follow)"},
		},
		Action: func(c *cli.Context) error { return a.runLogs(c) },
	}
}

// logsDefaultSince is how far back logs of a service read without --since
// (logs.Tailer's default).
const logsDefaultSince = 10 * time.Minute

func (a *app) runLogs(c *cli.Context) error {
	now := time.Now()
	req := logs.Request{
		Cluster:    flagString(c, "cluster"),
		Service:    c.String("service"),
		Tasks:      c.StringSlice("task"),
		Containers: c.StringSlice("container"),
		Follow:     c.Bool("follow"),
		Previous:   c.Bool("previous"),
		Filter:     c.String("filter"),
	}
	// Parsed now (bad input changes nothing), resolved against the
	// account's clock once the clients exist.
	var specs []func(now time.Time)
	for _, f := range []struct {
		name, field string
		dst         *time.Time
	}{{"since", "Since", &req.Since}, {"until", "Until", &req.Until}} {
		if v := c.String(f.name); v != "" {
			spec, err := ops.ParseTimeFlag(c.Context, f.field, v)
			if err != nil {
				return err
			}
			dst := f.dst
			*dst = spec.Resolve(now) // validation below sees a real window
			specs = append(specs, func(now time.Time) { *dst = spec.Resolve(now) })
		}
	}
	for _, f := range []struct {
		name string
		dst  **regexp.Regexp
	}{{"grep", &req.Grep}, {"grep-v", &req.GrepV}} {
		if v := c.String(f.name); v != "" {
			re, err := regexp.Compile(v)
			if err != nil {
				return usagef("invalid --%s %q: %v (Go regular expression syntax)", f.name, v, err)
			}
			*f.dst = re
		}
	}
	if c.Duration("overlap") <= 0 || c.Duration("order-window") < 0 {
		return usagef("--overlap must be positive and --order-window not negative: e.g. --overlap 1m --order-window 2s")
	}
	live := c.String("live-tail")
	if live != "auto" && live != "never" {
		return usagef("invalid --live-tail %q: use auto or never", live)
	}
	if err := logs.ValidateRequest(c.Context, req); err != nil {
		return err
	}
	cl, err := a.awsClients(c)
	if err != nil {
		return err
	}
	accountNow := cl.Clock.accountNow(c.Context, cl.ECS)
	for _, resolve := range specs {
		resolve(accountNow)
	}
	if req.Since.IsZero() && req.Service != "" && !req.Previous {
		// The default window (10m) is the account's last 10 minutes too.
		req.Since = accountNow.Add(-logsDefaultSince)
	}
	subject := req.Cluster + "/" + req.Service
	if req.Service == "" {
		subject = req.Cluster
	}
	printer := render.NewLogsPrinter(a.io, render.LogsOptions{JSON: jsonOutput(c), Timestamps: c.Bool("timestamps"), NoPrefix: c.Bool("no-prefix"), Subject: subject})
	interval := a.pollInterval(c)
	if !flagBool(c, "sandbox") && !setIn(c, "poll-interval").IsSet("poll-interval") {
		interval = 2 * time.Second
	}
	t := &logs.Tailer{
		ECS: cl.ECS, Logs: logsClients(cl), Region: cl.cfg.Region,
		PollInterval: interval, Overlap: c.Duration("overlap"), OrderWindow: c.Duration("order-window"),
		Emit: printer.Print, Notice: printer.Notice,
		LiveTail: live, StartLive: logsLiveStarter(cl),
	}
	err = t.Tail(c.Context, req)
	if errors.Is(err, ops.ErrInterrupted) {
		return &silentError{err: err}
	}
	return err
}

// logsClients gives the CloudWatch Logs client of a region: the configured
// one, or one made for an awslogs-region that differs.
func logsClients(cl *clients) func(region string) logs.API {
	client := logsClientFor(cl)
	return func(region string) logs.API { return client(region) }
}

// logsLiveStarter opens live tail sessions for logs.Tailer.
//
// The SDK sends StartLiveTail to a host prefixed with "stream-" (the
// streaming endpoint: stream-logs.<region>.amazonaws.com). With an endpoint
// override (AWS_ENDPOINT_URL, --sandbox, a VPC endpoint) that prefix would
// make "stream-127.0.0.1" or "stream-vpce-…", which does not resolve, so it
// is turned off then; against AWS's own endpoints it stays.
func logsLiveStarter(cl *clients) func(ctx context.Context, region string, in *cloudwatchlogs.StartLiveTailInput) (logs.LiveStream, error) {
	client := logsClientFor(cl)
	return func(ctx context.Context, region string, in *cloudwatchlogs.StartLiveTailInput) (logs.LiveStream, error) {
		c := client(region)
		var opts []func(*cloudwatchlogs.Options)
		if c.Options().BaseEndpoint != nil {
			opts = append(opts, logsNoHostPrefix)
		}
		out, err := c.StartLiveTail(ctx, in, opts...)
		if err != nil {
			return nil, fmt.Errorf("start live tail on %s: %w", strings.Join(in.LogGroupIdentifiers, ", "), err)
		}
		return out.GetStream(), nil
	}
}

// logsNoHostPrefix turns off the SDK's endpoint host prefix for one call.
func logsNoHostPrefix(o *cloudwatchlogs.Options) {
	o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
		return st.Initialize.Add(middleware.InitializeMiddlewareFunc("ecsctlNoHostPrefix",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				return next.HandleInitialize(smithyhttp.DisableEndpointHostPrefix(ctx, true), in)
			}), middleware.Before)
	})
}

// logsClientFor gives the CloudWatch Logs client of a region: the configured
// one, or one made (once) for an awslogs-region that differs.
func logsClientFor(cl *clients) func(region string) *cloudwatchlogs.Client {
	var mu sync.Mutex
	other := map[string]*cloudwatchlogs.Client{}
	return func(region string) *cloudwatchlogs.Client {
		if region == "" || region == cl.cfg.Region {
			return cl.Logs
		}
		mu.Lock()
		defer mu.Unlock()
		if c := other[region]; c != nil {
			return c
		}
		c := cloudwatchlogs.NewFromConfig(cl.cfg, func(o *cloudwatchlogs.Options) { o.Region = region })
		other[region] = c
		return c
	}
}
