package cron

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	smithy "github.com/aws/smithy-go"
)

func ecsDesired(s string) ecstypes.DesiredStatus { return ecstypes.DesiredStatus(s) }

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func runOf(t ecstypes.Task) Run {
	r := Run{TaskArn: aws.ToString(t.TaskArn), LastStatus: aws.ToString(t.LastStatus), StartedAt: t.StartedAt, StoppedAt: t.StoppedAt,
		CreatedAt: t.CreatedAt, StopReason: aws.ToString(t.StoppedReason)}
	for _, c := range t.Containers {
		if c.ExitCode != nil {
			if r.ExitCodes == nil {
				r.ExitCodes = map[string]int32{}
			}
			r.ExitCodes[aws.ToString(c.Name)] = *c.ExitCode
			if *c.ExitCode != 0 {
				r.Failed = true
			}
		}
	}
	if r.LastStatus == "STOPPED" && r.StartedAt == nil {
		r.Failed = true // stopped before it ran (image pull, secrets, placement)
	}
	return r
}

// failures reads failed invocations over the window: AWS/Events
// FailedInvocations and Invocations per rule (dimension RuleName),
// AWS/Scheduler TargetErrorCount and InvocationDroppedCount per schedule
// group (dimension ScheduleGroup, the only one it has: Scheduler User Guide,
// "Monitoring Amazon EventBridge Scheduler with Amazon CloudWatch").
func (r *Reader) failures(ctx context.Context, jobs []*Job, now time.Time) error {
	window := r.FailureWindow
	if window <= 0 {
		window = 7 * 24 * time.Hour
	}
	type key struct{ ns, name, dim, val string }
	var keys []key
	seen := map[key]bool{}
	add := func(k key) {
		if !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	for _, j := range jobs {
		if j.Kind == KindRule {
			add(key{"AWS/Events", "FailedInvocations", "RuleName", j.Name})
			add(key{"AWS/Events", "Invocations", "RuleName", j.Name})
		} else {
			add(key{"AWS/Scheduler", "TargetErrorCount", "ScheduleGroup", j.Group})
			add(key{"AWS/Scheduler", "InvocationDroppedCount", "ScheduleGroup", j.Group})
		}
	}
	sums := map[key]int{}
	period := int32(window / time.Second)
	period -= period % 60
	for i := 0; i < len(keys); i += 500 { // GetMetricData takes 500 queries
		batch := keys[i:min(i+500, len(keys))]
		in := &cloudwatch.GetMetricDataInput{StartTime: aws.Time(now.Add(-window)), EndTime: aws.Time(now)}
		for n, k := range batch {
			in.MetricDataQueries = append(in.MetricDataQueries, cwtypes.MetricDataQuery{
				Id: aws.String(fmt.Sprintf("m%d", n)),
				MetricStat: &cwtypes.MetricStat{
					Metric: &cwtypes.Metric{Namespace: aws.String(k.ns), MetricName: aws.String(k.name),
						Dimensions: []cwtypes.Dimension{{Name: aws.String(k.dim), Value: aws.String(k.val)}}},
					Period: aws.Int32(period), Stat: aws.String("Sum"),
				},
			})
		}
		p := cloudwatch.NewGetMetricDataPaginator(r.CW, in)
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return fmt.Errorf("get metric data (AWS/Scheduler, AWS/Events): %w", err)
			}
			for _, res := range page.MetricDataResults {
				var n int
				if _, err := fmt.Sscanf(aws.ToString(res.Id), "m%d", &n); err != nil || n >= len(batch) {
					continue
				}
				for _, v := range res.Values {
					sums[batch[n]] += int(v)
				}
			}
		}
	}
	for _, j := range jobs {
		if j.Kind == KindRule {
			j.FailedInvocations = sums[key{"AWS/Events", "FailedInvocations", "RuleName", j.Name}]
			inv := sums[key{"AWS/Events", "Invocations", "RuleName", j.Name}]
			j.Invocations = &inv
			j.FailureScope = "rule " + j.Name
		} else {
			// A target error is usually also dropped after the retries;
			// the larger of the two counts each failed invocation once.
			j.FailedInvocations = max(sums[key{"AWS/Scheduler", "TargetErrorCount", "ScheduleGroup", j.Group}],
				sums[key{"AWS/Scheduler", "InvocationDroppedCount", "ScheduleGroup", j.Group}])
			j.FailureScope = "schedule group " + j.Group
		}
	}
	return nil
}

// verdict is failing, stale revision, never ran or ok, with the reason.
// A schedule group's failures make a schedule failing only when they are
// its own: its task definition cannot start, or it is the group's only
// schedule in the cluster.
func verdict(j *Job, all []*Job, now time.Time) (string, string) {
	if j.TaskDefinitionProblem != "" {
		return VerdictFailing, j.TaskDefinitionProblem
	}
	if len(j.Runs) > 0 && j.Runs[0].Failed {
		return VerdictFailing, "last run " + runSummary(j.Runs[0])
	}
	if j.FailedInvocations > 0 {
		if j.Kind == KindRule {
			return VerdictFailing, fmt.Sprintf("%d failed invocations (AWS/Events)", j.FailedInvocations)
		}
		others := 0
		for _, o := range all {
			if o != j && o.Kind == KindSchedule && o.Group == j.Group {
				others++
			}
		}
		if others == 0 {
			return VerdictFailing, fmt.Sprintf("%d failed invocations (AWS/Scheduler, group %s)", j.FailedInvocations, j.Group)
		}
	}
	if j.ServiceRevision > j.Revision {
		return VerdictStale, fmt.Sprintf("runs %s:%d, service %s runs :%d", j.Family, j.Revision, j.ServiceName, j.ServiceRevision)
	}
	if len(j.Runs) == 0 && neverDue(j, now) {
		return VerdictNeverRan, "not due since it was created"
	}
	if len(j.Runs) == 0 && j.Invocations != nil && *j.Invocations == 0 {
		return VerdictNeverRan, "no invocations in the metrics window"
	}
	return VerdictOK, ""
}

// neverDue: the schedule has had no run time between its creation (or
// start date) and now.
func neverDue(j *Job, now time.Time) bool {
	if j.Kind != KindSchedule || j.created.IsZero() {
		return false
	}
	e, err := parseExpr(j.Expression)
	if err != nil {
		return false
	}
	loc, err := time.LoadLocation(j.Timezone)
	if err != nil {
		return false
	}
	t, ok := e.Next(j.created.Add(-time.Second), j.created, loc)
	return !ok || t.After(now)
}

func runSummary(r Run) string {
	var parts []string
	names := make([]string, 0, len(r.ExitCodes))
	for n := range r.ExitCodes {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		parts = append(parts, fmt.Sprintf("%s exit %d", n, r.ExitCodes[n]))
	}
	s := strings.Join(parts, ", ")
	if r.StopReason != "" {
		if s != "" {
			s += ": "
		}
		s += r.StopReason
	}
	if s == "" {
		s = strings.ToLower(r.LastStatus)
	}
	return s
}

// RunSummary is a run's exit codes and stop reason in one phrase.
func RunSummary(r Run) string { return runSummary(r) }
