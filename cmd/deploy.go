package cmd

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"ecsctl/ops"
	"ecsctl/ops/deploy"
	"ecsctl/render"
)

func init() {
	addCommand(newDeployCmd)
	addCommand(newRollbackCmd)
}

func newDeployCmd(a *app) *cli.Command {
	return &cli.Command{
		Name:  "deploy",
		Usage: "roll out a new image tag: new task definition revision, update the service, follow it to a verdict",
		Description: "Copies the live task definition exactly (only the images and env you name change), checks the\n" +
			"tag exists in ECR, updates the service and follows the deployment it created until it is the only\n" +
			"one, COMPLETED and fully running. On failure it rolls back to the previous revision (unless ECS's\n" +
			"circuit breaker already did, or --no-rollback) and exits 1; 124 on timeout.\n\n" +
			"Examples:\n" +
			"  ecsctl deploy -c prod --service api --tag 7d3e9b1\n" +
			"  ecsctl deploy -c prod --service api --service worker --tag \"$GIT_COMMIT\" --timeout 20m\n" +
			"  ecsctl deploy -c prod --service api --image envoy=public.ecr.aws/appmesh/aws-appmesh-envoy:v1.30.0.0-prod --dry-run",
		Flags: append([]cli.Flag{
			&cli.StringSliceFlag{Name: "service", Aliases: []string{"s"}, Usage: "service to deploy (repeat for several; they deploy in parallel)"},
			&cli.StringFlag{Name: "tag", Aliases: []string{"t"}, Usage: "image tag to deploy to the main containers (e.g. the git commit)"},
			&cli.StringSliceFlag{Name: "container", Usage: "container that gets --tag (repeat; default: containers of the main image's repository)"},
			&cli.StringSliceFlag{Name: "image", Usage: "CONTAINER=REF: set a container's whole image reference"},
			&cli.StringSliceFlag{Name: "env", Usage: "CONTAINER:KEY=VALUE: set an environment variable"},
			&cli.StringSliceFlag{Name: "unset-env", Usage: "CONTAINER:KEY: remove an environment variable"},
			&cli.DurationFlag{Name: "timeout", Value: 15 * time.Minute, Usage: "how long to wait for the deploy's verdict (a deployment complete and healthy by then, with only old tasks draining, is not rolled back)"},
			&cli.DurationFlag{Name: "rollback-timeout", Value: 10 * time.Minute, Usage: "how long to wait for a rollback's verdict after a failure (worst case: --timeout + --rollback-timeout)"},
			&cli.BoolFlag{Name: "no-rollback", Usage: "on failure, leave the service as it is"},
			&cli.BoolFlag{Name: "no-wait", Usage: "update the service and exit without following the rollout"},
			&cli.BoolFlag{Name: "dry-run", Usage: "show the task definition diff and change nothing"},
			&cli.BoolFlag{Name: "allow-mutable-tag", Usage: "allow tags like latest that can point at different images over time"},
			&cli.BoolFlag{Name: "skip-image-check", Usage: "do not check that the tag exists in ECR"},
			&cli.IntFlag{Name: "keep-revisions", Usage: "after success, deregister unused revisions of the family beyond the newest N (default: keep all; see README for what it cannot see, and try it with --dry-run)"},
			&cli.BoolFlag{Name: "force-new-deployment", Usage: "start a new deployment even if nothing changed"},
			&cli.BoolFlag{Name: "force", Usage: "deploy even though another deployment is in progress"},
		}, deployHookFlags(true)...),
		Action: func(c *cli.Context) error { return a.runDeploy(c) },
	}
}

func (a *app) runDeploy(c *cli.Context) error {
	req, err := deployRequest(c)
	if err != nil {
		return err
	}
	if err := deploy.ValidateRequest(c.Context, req); err != nil {
		return err
	}
	urls, err := notifyURLs(c)
	if err != nil {
		return err
	}
	cl, err := a.awsClients(c)
	if err != nil {
		return err
	}
	progress := render.NewDeployProgress(a.io)
	d := &deploy.Deployer{
		ECS: cl.ECS, ECR: cl.ECR, Logs: cl.Logs, ELB: cl.ELB, Region: cl.cfg.Region,
		PollInterval: a.pollInterval(c), Progress: progress.Event, AWSNow: cl.Clock.Now,
	}
	if req.KeepRevisions > 0 {
		d.Referenced = referencedBySchedules(cl)
	}
	res, err := d.Deploy(c.Context, req)
	progress.Close()
	herr := a.afterVerdict(c, cl, res)
	ferr := a.finishDeploy(c, res, err)
	a.notify(c, urls, res)
	if ferr != nil {
		return ferr
	}
	return herr
}

// finishDeploy prints the verdict (table or JSON) and, when interrupted,
// what state the services are in and how to resume or roll back.
func (a *app) finishDeploy(c *cli.Context, res *deploy.Result, err error) error {
	if res == nil {
		return err
	}
	if jsonOutput(c) {
		if jerr := render.JSON(a.io.Out, res); jerr != nil {
			return jerr
		}
	} else if serr := render.DeploySummary(a.io.Out, res); serr != nil {
		return serr
	}
	if errors.Is(err, ops.ErrInterrupted) {
		for _, s := range res.Services {
			if s.Outcome != deploy.OutcomeInterrupted {
				continue
			}
			if s.Rollback != nil { // the deploy failed; its rollback was being followed
				fmt.Fprintf(a.io.Err, "interrupted: %s %s; the rollback goes on in ECS without ecsctl.\n", s.Key(), s.Reason)
				fmt.Fprintf(a.io.Err, "  follow it again: re-run the same ecsctl deploy command (it follows the rollback to its verdict)\n")
				continue
			}
			if s.DeploymentID == "" { // stopped while registering or updating
				fmt.Fprintf(a.io.Err, "interrupted: %s %s; a new revision may be registered and its deployment started.\n", s.Key(), s.Reason)
				fmt.Fprintf(a.io.Err, "  finish it: re-run the same ecsctl deploy command (it reuses that revision and follows that deployment)\n")
				fmt.Fprintf(a.io.Err, "  roll back: ecsctl rollback --cluster %s --service %s --to %s\n", s.Cluster, s.Service, s.OldTaskDefinition[strings.LastIndex(s.OldTaskDefinition, ":")+1:])
				continue
			}
			fmt.Fprintf(a.io.Err, "interrupted: %s %s; the deployment goes on in ECS without ecsctl.\n", s.Key(), s.Reason)
			fmt.Fprintf(a.io.Err, "  follow it again: re-run the same ecsctl deploy command (it picks up deployment %s)\n", s.DeploymentID)
			fmt.Fprintf(a.io.Err, "  roll back:       ecsctl rollback --cluster %s --service %s\n", s.Cluster, s.Service)
		}
	}
	if err != nil {
		// The summary has said everything; keep the exit code only.
		return &silentError{err: err}
	}
	return nil
}

// deployRequest reads the deploy flags; malformed values are usage errors.
func deployRequest(c *cli.Context) (deploy.Request, error) {
	req := deploy.Request{
		Cluster:            flagString(c, "cluster"),
		Services:           c.StringSlice("service"),
		Tag:                c.String("tag"),
		Containers:         c.StringSlice("container"),
		Images:             map[string]string{},
		Timeout:            c.Duration("timeout"),
		NoRollback:         c.Bool("no-rollback"),
		NoWait:             c.Bool("no-wait"),
		DryRun:             c.Bool("dry-run"),
		AllowMutableTag:    c.Bool("allow-mutable-tag"),
		SkipImageCheck:     c.Bool("skip-image-check"),
		ForceNewDeployment: c.Bool("force-new-deployment"),
		Force:              c.Bool("force"),
		KeepRevisions:      c.Int("keep-revisions"),
		RollbackTimeout:    c.Duration("rollback-timeout"),
	}
	if c.IsSet("rollback-timeout") && req.RollbackTimeout <= 0 {
		return req, usagef("invalid --rollback-timeout %s: want a positive duration like 10m", req.RollbackTimeout)
	}
	for _, kv := range c.StringSlice("image") {
		name, ref, ok := strings.Cut(kv, "=")
		if !ok || name == "" || ref == "" {
			return req, usagef("invalid --image %q: want CONTAINER=REF, e.g. --image app=123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1a2b3c", kv)
		}
		req.Images[name] = ref
	}
	for _, spec := range c.StringSlice("env") {
		container, rest, ok := strings.Cut(spec, ":")
		key, value, ok2 := strings.Cut(rest, "=")
		if !ok || !ok2 || container == "" || key == "" {
			shown := spec // never echo a value: it may be a secret
			if k, _, hasValue := strings.Cut(spec, "="); hasValue {
				shown = k + "=" + deploy.Masked
			}
			return req, usagef("invalid --env %q: want CONTAINER:KEY=VALUE, e.g. --env app:LOG_LEVEL=debug", shown)
		}
		v := value
		req.Env = append(req.Env, deploy.EnvChange{Container: container, Key: key, Value: &v})
	}
	for _, spec := range c.StringSlice("unset-env") {
		container, key, ok := strings.Cut(spec, ":")
		if !ok || container == "" || key == "" {
			return req, usagef("invalid --unset-env %q: want CONTAINER:KEY, e.g. --unset-env app:DEBUG", spec)
		}
		req.Env = append(req.Env, deploy.EnvChange{Container: container, Key: key})
	}
	return req, nil
}

func newRollbackCmd(a *app) *cli.Command {
	return &cli.Command{
		Name:  "rollback",
		Usage: "put a service back on the revision it last ran successfully (or a named one) and follow it",
		Description: "Without --to, the target is the revision of the service's last successful deployment (from the\n" +
			"ECS service deployment history; a deployment the circuit breaker rolled back is never picked). The\n" +
			"plan and --dry-run show the images of both sides.\n\n" +
			"Examples:\n" +
			"  ecsctl rollback -c prod --service api --dry-run\n" +
			"  ecsctl rollback -c prod --service api\n" +
			"  ecsctl rollback -c prod --service api --to 41        # or --to api:41",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "service", Aliases: []string{"s"}, Usage: "service to roll back"},
			&cli.StringFlag{Name: "to", Usage: "revision to go back to: 41 or api:41 (default: the revision of the last successful deployment)"},
			&cli.DurationFlag{Name: "timeout", Value: 15 * time.Minute, Usage: "how long to wait for the rollback to complete"},
			&cli.BoolFlag{Name: "no-wait", Usage: "update the service and exit without following"},
			&cli.BoolFlag{Name: "dry-run", Usage: "say which revision it would go back to and change nothing"},
		}, deployHookFlags(false)...),
		Action: func(c *cli.Context) error {
			req := deploy.RollbackRequest{
				Cluster: flagString(c, "cluster"), Service: c.String("service"),
				Timeout: c.Duration("timeout"), NoWait: c.Bool("no-wait"), DryRun: c.Bool("dry-run"),
			}
			if c.IsSet("to") {
				family, rev, err := deploy.ParseRollbackTo(c.Context, c.String("to"))
				if err != nil {
					return err
				}
				req.ToFamily, req.ToRevision = family, rev
			}
			if err := deploy.ValidateRollbackRequest(c.Context, req); err != nil {
				return err
			}
			cl, err := a.awsClients(c)
			if err != nil {
				return err
			}
			progress := render.NewDeployProgress(a.io)
			d := &deploy.Deployer{ECS: cl.ECS, Logs: cl.Logs, ELB: cl.ELB, History: cl.ECS, Region: cl.cfg.Region, PollInterval: a.pollInterval(c), Progress: progress.Event,
				AWSNow: cl.Clock.Now}
			res, err := d.Rollback(c.Context, req)
			progress.Close()
			herr := a.afterVerdict(c, cl, res)
			if ferr := a.finishDeploy(c, res, err); ferr != nil {
				return ferr
			}
			return herr
		},
	}
}
