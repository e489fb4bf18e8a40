// Package cron reads and changes the scheduled tasks of an ECS cluster:
// EventBridge Scheduler schedules and EventBridge rules whose target is the
// cluster. It lists them with their next run, task definition revision
// (against the services of the same family), last runs and failed
// invocations, pauses and resumes them, and turns one into the RunTask call
// its next firing would make.
package cron

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	evtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	schedtypes "github.com/aws/aws-sdk-go-v2/service/scheduler/types"

	"ecsctl/ops"
	"ecsctl/ops/awsapi"
	"ecsctl/ops/cron/cronexpr"
)

// SchedulerAPI is the part of EventBridge Scheduler cron uses.
type SchedulerAPI interface {
	ListSchedules(ctx context.Context, in *scheduler.ListSchedulesInput, opts ...func(*scheduler.Options)) (*scheduler.ListSchedulesOutput, error)
	GetSchedule(ctx context.Context, in *scheduler.GetScheduleInput, opts ...func(*scheduler.Options)) (*scheduler.GetScheduleOutput, error)
	UpdateSchedule(ctx context.Context, in *scheduler.UpdateScheduleInput, opts ...func(*scheduler.Options)) (*scheduler.UpdateScheduleOutput, error)
}

// EventsAPI is the part of EventBridge cron uses.
type EventsAPI interface {
	ListRuleNamesByTarget(ctx context.Context, in *eventbridge.ListRuleNamesByTargetInput, opts ...func(*eventbridge.Options)) (*eventbridge.ListRuleNamesByTargetOutput, error)
	DescribeRule(ctx context.Context, in *eventbridge.DescribeRuleInput, opts ...func(*eventbridge.Options)) (*eventbridge.DescribeRuleOutput, error)
	ListTargetsByRule(ctx context.Context, in *eventbridge.ListTargetsByRuleInput, opts ...func(*eventbridge.Options)) (*eventbridge.ListTargetsByRuleOutput, error)
	EnableRule(ctx context.Context, in *eventbridge.EnableRuleInput, opts ...func(*eventbridge.Options)) (*eventbridge.EnableRuleOutput, error)
	DisableRule(ctx context.Context, in *eventbridge.DisableRuleInput, opts ...func(*eventbridge.Options)) (*eventbridge.DisableRuleOutput, error)
}

// ECSAPI is the part of ECS cron reads.
type ECSAPI interface {
	DescribeClusters(ctx context.Context, in *ecs.DescribeClustersInput, opts ...func(*ecs.Options)) (*ecs.DescribeClustersOutput, error)
	ListServices(ctx context.Context, in *ecs.ListServicesInput, opts ...func(*ecs.Options)) (*ecs.ListServicesOutput, error)
	DescribeServices(ctx context.Context, in *ecs.DescribeServicesInput, opts ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error)
	ListTasks(ctx context.Context, in *ecs.ListTasksInput, opts ...func(*ecs.Options)) (*ecs.ListTasksOutput, error)
	DescribeTasks(ctx context.Context, in *ecs.DescribeTasksInput, opts ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error)
	DescribeTaskDefinition(ctx context.Context, in *ecs.DescribeTaskDefinitionInput, opts ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error)
}

// MetricsAPI reads the AWS/Scheduler and AWS/Events metrics.
type MetricsAPI interface {
	GetMetricData(ctx context.Context, in *cloudwatch.GetMetricDataInput, opts ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error)
}

// Reader lists a cluster's scheduled tasks.
type Reader struct {
	Scheduler SchedulerAPI
	Events    EventsAPI
	ECS       ECSAPI
	CW        MetricsAPI
	Clock     ops.Clock
	// FailureWindow is how far back failed invocations are counted
	// (default 7 days).
	FailureWindow time.Duration
	// Memo keeps a cluster's schedules and rules between calls: a deploy of
	// many services checks each service's family against the same jobs,
	// which would otherwise be listed and read again for every service
	// (ListSchedules, GetSchedule per schedule, the rules and their
	// targets) while the command holds its exit. A move forgets them.
	Memo bool

	memoMu sync.Mutex
	memo   map[string][]*Job
}

// Kinds of job.
const (
	KindSchedule = "schedule"
	KindRule     = "rule"
)

// Verdicts.
const (
	VerdictOK       = "ok"
	VerdictFailing  = "failing"
	VerdictStale    = "stale revision"
	VerdictNeverRan = "never ran"
)

// StoppedTaskRetention is how long ECS keeps describing a stopped task:
// "Stopped tasks ... remain visible for at least 1 hour" (Amazon ECS
// Developer Guide, "Viewing stopped task errors"), so last runs older than
// about an hour are gone from ECS and only the metrics remember failures.
const StoppedTaskRetention = time.Hour

// Job is one schedule or rule target that runs tasks in the cluster.
type Job struct {
	Kind  string `json:"kind"`
	Name  string `json:"name"`
	Group string `json:"group,omitempty"` // schedule group
	// TargetID is the rule target's Id (rules only).
	TargetID   string     `json:"targetId,omitempty"`
	Arn        string     `json:"arn"`
	Expression string     `json:"expression"`
	Timezone   string     `json:"timezone"`
	State      string     `json:"state"`
	NextRun    *time.Time `json:"nextRun,omitempty"`
	// FlexibleWindowMinutes > 0: the run happens within this many minutes
	// after NextRun.
	FlexibleWindowMinutes int    `json:"flexibleWindowMinutes,omitempty"`
	TaskDefinition        string `json:"taskDefinition"`
	Family                string `json:"family"`
	Revision              int    `json:"revision"`
	// TaskDefinitionProblem says why the revision cannot start (it does
	// not exist or is INACTIVE).
	TaskDefinitionProblem string `json:"taskDefinitionProblem,omitempty"`
	// ServiceRevision is the newest revision of Family a service of the
	// cluster runs (0: no service runs the family), ServiceName that
	// service.
	ServiceRevision int    `json:"serviceRevision,omitempty"`
	ServiceName     string `json:"serviceName,omitempty"`
	Runs            []Run  `json:"runs"`
	// FailedInvocations counts failures in the window; FailureScope says
	// what they are counted over: AWS/Scheduler has no per-schedule
	// dimension, so for a schedule they are its schedule group's.
	FailedInvocations int    `json:"failedInvocations"`
	FailureScope      string `json:"failureScope"`
	Invocations       *int   `json:"invocations,omitempty"` // rules: AWS/Events Invocations in the window
	Verdict           string `json:"verdict"`
	Reason            string `json:"reason,omitempty"`

	schedule *scheduler.GetScheduleOutput
	target   *evtypes.Target
	created  time.Time
	// otherTargets counts a rule's targets other than this job's.
	otherTargets int
}

// Run is one task the job started, as ECS still describes it.
type Run struct {
	TaskArn    string           `json:"taskArn"`
	LastStatus string           `json:"lastStatus"`
	StartedAt  *time.Time       `json:"startedAt,omitempty"`
	StoppedAt  *time.Time       `json:"stoppedAt,omitempty"`
	CreatedAt  *time.Time       `json:"createdAt,omitempty"`
	ExitCodes  map[string]int32 `json:"exitCodes,omitempty"`
	StopReason string           `json:"stopReason,omitempty"`
	// Failed: stopped with a non-zero exit code of an essential container,
	// or before its containers ran.
	Failed bool `json:"failed"`
}

func (r *Reader) now() time.Time {
	if r.Clock == nil {
		return time.Now()
	}
	return r.Clock.Now()
}

// clusterArn resolves the cluster's ARN (targets name clusters by ARN).
func (r *Reader) clusterArn(ctx context.Context, cluster string) (string, error) {
	out, err := r.ECS.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{cluster}})
	if err != nil {
		return "", fmt.Errorf("describe cluster %s: %w", cluster, err)
	}
	for _, c := range out.Clusters {
		if aws.ToString(c.Status) != "INACTIVE" {
			return aws.ToString(c.ClusterArn), nil
		}
	}
	return "", ops.NotFound(ctx, "cluster", cluster)
}

// List returns every schedule and rule target that runs tasks in cluster,
// sorted by name.
func (r *Reader) List(ctx context.Context, cluster string) ([]*Job, error) {
	jobs, err := r.jobs(ctx, cluster)
	if err != nil {
		return nil, err
	}
	if err := r.fill(ctx, cluster, jobs); err != nil {
		return nil, err
	}
	return jobs, nil
}

// jobs lists the cluster's jobs with their family and revision only.
func (r *Reader) jobs(ctx context.Context, cluster string) ([]*Job, error) {
	if !r.Memo {
		return r.readJobs(ctx, cluster)
	}
	r.memoMu.Lock()
	defer r.memoMu.Unlock()
	if jobs, ok := r.memo[cluster]; ok {
		return jobs, nil
	}
	jobs, err := r.readJobs(ctx, cluster)
	if err != nil {
		return nil, err
	}
	if r.memo == nil {
		r.memo = map[string][]*Job{}
	}
	r.memo[cluster] = jobs
	return jobs, nil
}

// forget drops what Memo keeps of a cluster (its jobs changed).
func (r *Reader) forget(cluster string) {
	r.memoMu.Lock()
	defer r.memoMu.Unlock()
	delete(r.memo, cluster)
}

// readJobs lists and reads the cluster's schedules and rules.
func (r *Reader) readJobs(ctx context.Context, cluster string) ([]*Job, error) {
	arn, err := r.clusterArn(ctx, cluster)
	if err != nil {
		return nil, err
	}
	jobs, err := r.schedules(ctx, arn)
	if err != nil {
		return nil, err
	}
	rules, err := r.rules(ctx, arn)
	if err != nil {
		return nil, err
	}
	jobs = append(jobs, rules...)
	sort.SliceStable(jobs, func(i, j int) bool {
		if jobs[i].Name != jobs[j].Name {
			return jobs[i].Name < jobs[j].Name
		}
		return jobs[i].Kind > jobs[j].Kind // schedule before rule
	})
	for _, j := range jobs {
		j.Family, j.Revision = familyRevision(j.TaskDefinition)
	}
	return jobs, nil
}

func (r *Reader) schedules(ctx context.Context, clusterArn string) ([]*Job, error) {
	var jobs []*Job
	p := scheduler.NewListSchedulesPaginator(r.Scheduler, &scheduler.ListSchedulesInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list schedules: %w", err)
		}
		for _, s := range page.Schedules {
			if s.Target == nil || aws.ToString(s.Target.Arn) != clusterArn {
				continue
			}
			g, err := r.Scheduler.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: s.Name, GroupName: s.GroupName})
			if err != nil {
				return nil, fmt.Errorf("get schedule %s/%s: %w", aws.ToString(s.GroupName), aws.ToString(s.Name), err)
			}
			if g.Target == nil || g.Target.EcsParameters == nil {
				continue
			}
			j := &Job{
				Kind: KindSchedule, Name: aws.ToString(g.Name), Group: aws.ToString(g.GroupName), Arn: aws.ToString(g.Arn),
				Expression: aws.ToString(g.ScheduleExpression), Timezone: aws.ToString(g.ScheduleExpressionTimezone),
				State: string(g.State), TaskDefinition: aws.ToString(g.Target.EcsParameters.TaskDefinitionArn), schedule: g,
			}
			if j.Timezone == "" {
				j.Timezone = "UTC"
			}
			if g.FlexibleTimeWindow != nil && g.FlexibleTimeWindow.Mode == schedtypes.FlexibleTimeWindowModeFlexible {
				j.FlexibleWindowMinutes = int(aws.ToInt32(g.FlexibleTimeWindow.MaximumWindowInMinutes))
			}
			j.created = aws.ToTime(g.CreationDate)
			if g.StartDate != nil {
				j.created = *g.StartDate
			}
			jobs = append(jobs, j)
		}
	}
	return jobs, nil
}

func (r *Reader) rules(ctx context.Context, clusterArn string) ([]*Job, error) {
	var names []string
	var token *string
	for {
		out, err := r.Events.ListRuleNamesByTarget(ctx, &eventbridge.ListRuleNamesByTargetInput{TargetArn: aws.String(clusterArn), NextToken: token})
		if err != nil {
			return nil, fmt.Errorf("list rules targeting %s: %w", clusterArn, err)
		}
		names = append(names, out.RuleNames...)
		if token = out.NextToken; token == nil {
			break
		}
	}
	var jobs []*Job
	for _, name := range names {
		rule, err := r.Events.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String(name)})
		if err != nil {
			return nil, fmt.Errorf("describe rule %s: %w", name, err)
		}
		if aws.ToString(rule.ScheduleExpression) == "" {
			continue // an event-pattern rule runs on events, not on a schedule
		}
		targets, err := r.ruleTargets(ctx, name)
		if err != nil {
			return nil, err
		}
		var mine []evtypes.Target
		for _, t := range targets {
			if aws.ToString(t.Arn) == clusterArn && t.EcsParameters != nil {
				mine = append(mine, t)
			}
		}
		for _, t := range mine {
			t := t
			j := &Job{otherTargets: len(targets) - 1,
				Kind: KindRule, Name: name, Arn: aws.ToString(rule.Arn), TargetID: aws.ToString(t.Id),
				Expression: aws.ToString(rule.ScheduleExpression), Timezone: "UTC", State: string(rule.State),
				TaskDefinition: aws.ToString(t.EcsParameters.TaskDefinitionArn), target: &t,
			}
			jobs = append(jobs, j)
		}
	}
	return jobs, nil
}

func (r *Reader) ruleTargets(ctx context.Context, name string) ([]evtypes.Target, error) {
	var all []evtypes.Target
	var token *string
	for {
		out, err := r.Events.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: aws.String(name), NextToken: token})
		if err != nil {
			return nil, fmt.Errorf("list targets of rule %s: %w", name, err)
		}
		all = append(all, out.Targets...)
		if token = out.NextToken; token == nil {
			return all, nil
		}
	}
}

// familyRevision splits a task definition ARN (or family:revision).
func familyRevision(td string) (string, int) {
	if i := strings.Index(td, ":task-definition/"); i >= 0 {
		td = td[i+len(":task-definition/"):]
	}
	fam, rev, _ := strings.Cut(td, ":")
	n, _ := strconv.Atoi(rev)
	return fam, n
}

// fill adds next runs, revisions, runs, failures and verdicts.
func (r *Reader) fill(ctx context.Context, cluster string, jobs []*Job) error {
	now := r.now()
	families := map[string]bool{}
	for _, j := range jobs {
		j.Family, j.Revision = familyRevision(j.TaskDefinition)
		families[j.Family] = true
		j.NextRun = nextRun(j, now)
		j.Runs = []Run{}
	}
	if len(jobs) == 0 {
		return nil
	}
	svcRev, err := r.serviceRevisions(ctx, cluster)
	if err != nil {
		return err
	}
	for _, j := range jobs {
		if s, ok := svcRev[j.Family]; ok {
			j.ServiceRevision, j.ServiceName = s.rev, s.name
		}
		if err := r.checkTaskDef(ctx, j); err != nil {
			return err
		}
	}
	tasks, err := r.familyTasks(ctx, cluster, families)
	if err != nil {
		return err
	}
	for _, j := range jobs {
		for _, t := range tasks[j.Family] {
			if matches(j, t) {
				j.Runs = append(j.Runs, t.run)
			}
		}
		sort.Slice(j.Runs, func(a, b int) bool {
			return aws.ToTime(j.Runs[a].CreatedAt).After(aws.ToTime(j.Runs[b].CreatedAt))
		})
	}
	if err := r.failures(ctx, jobs, now); err != nil {
		return err
	}
	for _, j := range jobs {
		j.Verdict, j.Reason = verdict(j, jobs, now)
	}
	return nil
}

func nextRun(j *Job, now time.Time) *time.Time {
	if j.State != "ENABLED" {
		return nil
	}
	e, err := cronexpr.Parse(j.Expression)
	if err != nil {
		return nil
	}
	loc, err := time.LoadLocation(j.Timezone)
	if err != nil {
		return nil
	}
	base := j.created
	if base.IsZero() && e.Kind == cronexpr.Rate {
		// Rules do not say when they were created, and a rate counts
		// from then: the next run is unknown, not a guess.
		return nil
	}
	t, ok := e.Next(now, base, loc)
	if !ok {
		return nil
	}
	if j.schedule != nil && j.schedule.EndDate != nil && t.After(*j.schedule.EndDate) {
		return nil
	}
	return &t
}

type svcRev struct {
	name string
	rev  int
}

// serviceRevisions maps a family to the newest revision a service of the
// cluster runs.
func (r *Reader) serviceRevisions(ctx context.Context, cluster string) (map[string]svcRev, error) {
	arns, err := awsapi.ListServices(ctx, r.ECS, cluster)
	if err != nil {
		return nil, err
	}
	svcs, err := awsapi.DescribeServices(ctx, r.ECS, cluster, arns)
	if err != nil {
		return nil, err
	}
	out := map[string]svcRev{}
	for _, s := range svcs {
		fam, rev := familyRevision(aws.ToString(s.TaskDefinition))
		if cur, ok := out[fam]; !ok || rev > cur.rev {
			out[fam] = svcRev{aws.ToString(s.ServiceName), rev}
		}
	}
	return out, nil
}

func (r *Reader) checkTaskDef(ctx context.Context, j *Job) error {
	out, err := r.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(j.TaskDefinition)})
	if err != nil {
		if code := apiCode(err); code == "ClientException" || code == "InvalidParameterException" {
			j.TaskDefinitionProblem = fmt.Sprintf("task definition %s:%d does not exist", j.Family, j.Revision)
			return nil
		}
		return fmt.Errorf("describe task definition %s: %w", j.TaskDefinition, err)
	}
	if out.TaskDefinition != nil && out.TaskDefinition.Status != "ACTIVE" {
		j.TaskDefinitionProblem = fmt.Sprintf("task definition %s:%d is %s", j.Family, j.Revision, out.TaskDefinition.Status)
	}
	return nil
}

type taskInfo struct {
	group, startedBy, taskDef string
	run                       Run
}

// familyTasks reads the running and stopped tasks of each family (ECS
// keeps stopped ones about an hour).
func (r *Reader) familyTasks(ctx context.Context, cluster string, families map[string]bool) (map[string][]taskInfo, error) {
	out := map[string][]taskInfo{}
	names := make([]string, 0, len(families))
	for f := range families {
		names = append(names, f)
	}
	sort.Strings(names)
	for _, fam := range names {
		var arns []string
		for _, st := range []string{"RUNNING", "STOPPED"} {
			got, err := awsapi.ListTasks(ctx, r.ECS, &ecs.ListTasksInput{Cluster: aws.String(cluster), Family: aws.String(fam), DesiredStatus: ecsDesired(st)}, 0)
			if err != nil {
				return nil, err
			}
			arns = append(arns, got...)
		}
		tasks, err := awsapi.DescribeTasks(ctx, r.ECS, cluster, arns)
		if err != nil {
			return nil, fmt.Errorf("tasks of family %s: %w", fam, err)
		}
		for _, t := range tasks {
			out[fam] = append(out[fam], taskInfo{group: aws.ToString(t.Group), startedBy: aws.ToString(t.StartedBy), taskDef: aws.ToString(t.TaskDefinitionArn), run: runOf(t)})
		}
	}
	return out, nil
}

// matches tells whether task t is one of job j's runs. A rule's tasks carry
// startedBy "events-rule/<rule name>"; a schedule's carry startedBy
// "chronos-schedule/<name>" cut to 36 characters and its
// EcsParameters.Group, by default "family:<family>" (RunTask's default).
// Neither startedBy is documented in an API reference (they are what
// DescribeTasks shows on accounts; see sim/scheduler_state.go), so the
// schedule's startedBy only rules tasks out — another schedule's, a rule's,
// ecsctl run's — and the group, or the family at exactly the schedule's
// revision, must match too.
func matches(j *Job, t taskInfo) bool {
	if j.Kind == KindRule {
		return t.startedBy == "events-rule/"+j.Name || (len("events-rule/"+j.Name) > 128 && t.startedBy == ("events-rule/" + j.Name)[:128])
	}
	if strings.HasPrefix(t.startedBy, "events-rule/") || strings.HasPrefix(t.group, "service:") || t.startedBy == "ecsctl-run" {
		return false
	}
	if strings.HasPrefix(t.startedBy, "chronos-schedule/") && t.startedBy != scheduleStartedBy(j.Name) {
		return false
	}
	if group := aws.ToString(j.schedule.Target.EcsParameters.Group); group != "" {
		return t.group == group
	}
	return t.group == "family:"+j.Family && sameRevision(t.taskDef, j.TaskDefinition)
}

func sameRevision(a, b string) bool {
	fa, ra := familyRevision(a)
	fb, rb := familyRevision(b)
	return fa == fb && ra == rb
}

func parseExpr(s string) (*cronexpr.Expr, error) { return cronexpr.Parse(s) }

// scheduleStartedBy is the startedBy EventBridge Scheduler gives the tasks
// a schedule starts, as observed on accounts: "chronos-schedule/" and the
// schedule's name, cut to 36 characters.
func scheduleStartedBy(name string) string {
	v := "chronos-schedule/" + name
	if len(v) > 36 {
		v = v[:36]
	}
	return v
}
