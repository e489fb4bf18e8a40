package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"ecsctl/fmtx"
	"ecsctl/ops/cron"
	"ecsctl/ops/deploy"
)

// Flags deploy and rollback add for scheduled tasks and webhooks.
func deployHookFlags(withNotify bool) []cli.Flag {
	flags := []cli.Flag{
		&cli.BoolFlag{Name: "update-schedules", Usage: "after success, move the cluster's EventBridge schedules and rules that run the family to the new revision (rollback: those on the rolled-back revision back)"},
	}
	if withNotify {
		flags = append(flags, &cli.StringSliceFlag{Name: "notify", Usage: "URL to POST the deploy's JSON result to once the verdict is known (repeat for several; a failure is a warning)"})
	}
	return flags
}

// notifyURLs checks --notify before anything changes.
func notifyURLs(c *cli.Context) ([]string, error) {
	var out []string
	for _, raw := range c.StringSlice("notify") {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, usagef("invalid --notify %q: want an http(s) URL, e.g. --notify https://hooks.example.com/deploys", redactURL(raw))
		}
		out = append(out, raw)
	}
	return out, nil
}

// redactURL shows a webhook URL without its path and query, which often
// carry its secret (Slack, Teams and Jenkins webhooks do).
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "(unparseable URL)"
	}
	return u.Scheme + "://" + u.Host + "/…"
}

// referencedBySchedules is Deployer.Referenced over the account's
// schedules and rules.
func referencedBySchedules(cl *clients) func(ctx context.Context, family string) ([]string, error) {
	return func(ctx context.Context, family string) ([]string, error) {
		return cron.ReferencedRevisions(ctx, cl.Scheduler, cl.Events, family)
	}
}

// afterVerdict moves (or notes) the schedules of each service that reached
// a verdict: with --update-schedules a succeeded deploy moves the cluster's
// jobs of the family to the new revision and a succeeded rollback moves
// those on the rolled-back revision back; without it, a deploy notes the
// jobs left on another revision. Its error leaves the verdict as it is.
func (a *app) afterVerdict(c *cli.Context, cl *clients, res *deploy.Result) error {
	if res == nil {
		return nil
	}
	update := c.Bool("update-schedules")
	var firstErr error
	r := &cron.Reader{Scheduler: cl.Scheduler, Events: cl.Events, ECS: cl.ECS, CW: cl.CW, Clock: cl.overviewClock(), FailureWindow: time.Hour, Memo: true}
	for _, s := range res.Services {
		if s.Outcome == deploy.OutcomeDryRun {
			if update {
				if err := wouldMoveSchedules(c.Context, r, cl, s); err != nil && firstErr == nil {
					firstErr = err
				}
			}
			continue
		}
		if s.Outcome != deploy.OutcomeSucceeded || s.NewTaskDefinition == "" {
			continue
		}
		onlyFrom := ""
		if s.Kind == "rollback" {
			if !update {
				continue
			}
			onlyFrom = s.OldTaskDefinition
		}
		moves, err := cron.FollowRevision(c.Context, r, cl.Scheduler, cl.Events, s.Cluster, s.NewTaskDefinition, onlyFrom, !update)
		for _, m := range moves {
			if update {
				s.Notes = append(s.Notes, fmt.Sprintf("%s moved from %s to %s", m.Job, m.From, m.To))
			} else {
				s.Notes = append(s.Notes, fmt.Sprintf("%s stays on %s while the service runs %s (--update-schedules moves it)", m.Job, m.From, m.To))
			}
		}
		if err != nil && !update {
			// Only a note was asked for: not being able to read the
			// schedules (no scheduler/events permissions) must not turn a
			// succeeded deploy into a failure.
			s.Notes = append(s.Notes, "could not check which schedules run "+s.NewTaskDefinition+": "+oneLine(err.Error()))
			continue
		}
		if err != nil {
			s.Notes = append(s.Notes, "schedules not all moved: "+oneLine(err.Error()))
			if firstErr == nil {
				firstErr = fmt.Errorf("%s: the deploy succeeded, but moving its schedules failed: %w", s.Key(), err)
			}
		}
	}
	return firstErr
}

// wouldMoveSchedules notes, for a dry run with --update-schedules, the jobs
// the real run would move: a deploy's, every job of the family on another
// revision than the one the service would run (a revision still to be
// registered is "the new revision": its number is AWS's to give); a
// rollback's, those on the revision rolled back from. Nothing is changed.
func wouldMoveSchedules(ctx context.Context, r *cron.Reader, cl *clients, s *deploy.ServiceResult) error {
	target, onlyFrom, to := s.NewTaskDefinition, "", ""
	if s.Kind == "rollback" {
		onlyFrom = s.OldTaskDefinition
	}
	if target == "" {
		// Not registered yet: the family, with a revision no job names.
		target, to = familyOf(s.OldTaskDefinition)+":0", "the new revision"
	}
	moves, err := cron.FollowRevision(ctx, r, cl.Scheduler, cl.Events, s.Cluster, target, onlyFrom, true)
	if err != nil {
		return fmt.Errorf("%s: reading the schedules a deploy would move: %w", s.Key(), err)
	}
	for _, m := range moves {
		dest := m.To
		if to != "" {
			dest = to
		}
		s.Notes = append(s.Notes, fmt.Sprintf("%s would move from %s to %s", m.Job, m.From, dest))
	}
	return nil
}

// familyOf is a task definition ARN's family.
func familyOf(taskDefARN string) string {
	fam, _, _ := strings.Cut(fmtx.ShortARN(taskDefARN), ":")
	return fam
}

// notify POSTs the result to every --notify URL. A failure is a warning:
// the verdict and exit code stay the deploy's.
func (a *app) notify(c *cli.Context, urls []string, res *deploy.Result) {
	if res == nil || len(urls) == 0 {
		return
	}
	for _, s := range res.Services {
		if s.Outcome == deploy.OutcomeInterrupted || s.Outcome == deploy.OutcomeDryRun {
			return // no verdict to tell
		}
	}
	body, err := json.Marshal(res)
	if err != nil {
		fmt.Fprintf(a.io.Err, "warning: --notify: cannot encode the result: %v\n", err)
		return
	}
	client := &http.Client{Timeout: 10 * time.Second}
	for _, u := range urls {
		// Ctrl-C after the verdict must not hang on a slow webhook, but the
		// verdict is already known, so a cancelled context still tries.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Context), 10*time.Second)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
		if err == nil {
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("User-Agent", "ecsctl/"+strings.TrimPrefix(versionString(), "v"))
			var resp *http.Response
			resp, err = client.Do(req)
			if err == nil {
				_ = resp.Body.Close()
				if resp.StatusCode/100 != 2 {
					err = fmt.Errorf("HTTP %d", resp.StatusCode)
				}
			}
		}
		cancel()
		if err != nil {
			msg := oneLine(err.Error())
			msg = strings.ReplaceAll(msg, u, redactURL(u)) // url.Error quotes the whole URL
			fmt.Fprintf(a.io.Err, "warning: --notify %s: %s (the verdict stands)\n", redactURL(u), msg)
		}
	}
}
