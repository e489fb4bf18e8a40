package cron

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	evtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	schedtypes "github.com/aws/aws-sdk-go-v2/service/scheduler/types"

	"ecsctl/ops"
)

func TestVerdict(t *testing.T) {
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	sched := func(group string) *Job {
		return &Job{Kind: KindSchedule, Name: "n", Group: group, Expression: "cron(0 2 * * ? *)", Timezone: "UTC", Family: "app", Revision: 5,
			created: now.Add(-48 * time.Hour)}
	}
	failedRun := Run{LastStatus: "STOPPED", ExitCodes: map[string]int32{"app": 3}, Failed: true, StopReason: "Essential container in task exited"}
	okRun := Run{LastStatus: "STOPPED", ExitCodes: map[string]int32{"app": 0}, StartedAt: &now}
	zero := 0
	cases := []struct {
		name   string
		job    func() *Job
		others []*Job
		want   string
		reason string
	}{
		{"missing revision", func() *Job {
			j := sched("g")
			j.TaskDefinitionProblem = "task definition app:5 does not exist"
			return j
		}, nil, VerdictFailing, "does not exist"},
		{"last run failed", func() *Job { j := sched("g"); j.Runs = []Run{failedRun, okRun}; return j }, nil, VerdictFailing, "app exit 3: Essential container"},
		{"an older failure only", func() *Job { j := sched("g"); j.Runs = []Run{okRun, failedRun}; return j }, nil, VerdictOK, ""},
		{"group failures, alone in the group", func() *Job { j := sched("g"); j.FailedInvocations = 2; return j }, nil, VerdictFailing, "2 failed invocations (AWS/Scheduler, group g)"},
		{"group failures shared with another schedule", func() *Job { j := sched("g"); j.FailedInvocations = 2; j.Runs = []Run{okRun}; return j }, []*Job{sched("g")}, VerdictOK, ""},
		{"rule failures are its own", func() *Job {
			j := sched("")
			j.Kind, j.FailedInvocations = KindRule, 1
			return j
		}, []*Job{sched("default")}, VerdictFailing, "AWS/Events"},
		{"stale", func() *Job {
			j := sched("g")
			j.ServiceRevision, j.ServiceName = 7, "app"
			j.Runs = []Run{okRun}
			return j
		}, nil, VerdictStale, "service app runs :7"},
		{"created after its last due time", func() *Job { j := sched("g"); j.created = now.Add(-time.Hour); return j }, nil, VerdictNeverRan, "not due"},
		{"due but runs forgotten", func() *Job { return sched("g") }, nil, VerdictOK, ""},
		{"rule without invocations", func() *Job {
			j := sched("")
			j.Kind, j.Invocations, j.created = KindRule, &zero, time.Time{}
			return j
		}, nil, VerdictNeverRan, "no invocations"},
	}
	for _, c := range cases {
		j := c.job()
		all := append([]*Job{j}, c.others...)
		got, reason := verdict(j, all, now)
		if got != c.want || !strings.Contains(reason, c.reason) {
			t.Errorf("%s: verdict %q (%s), want %q (%s)", c.name, got, reason, c.want, c.reason)
		}
	}
}

func TestRunTaskInputCopiesTheTarget(t *testing.T) {
	j := &Job{Kind: KindSchedule, Name: "n", Group: "default", schedule: &scheduler.GetScheduleOutput{Target: &schedtypes.Target{
		Arn: aws.String("arn:aws:ecs:us-east-1:1:cluster/prod"), Input: aws.String(`{"containerOverrides":[{"name":"app","command":["report","--all"]}]}`),
		EcsParameters: &schedtypes.EcsParameters{
			TaskDefinitionArn: aws.String("arn:aws:ecs:us-east-1:1:task-definition/app:5"), TaskCount: aws.Int32(2), Group: aws.String("cron:n"),
			LaunchType:           schedtypes.LaunchTypeFargate,
			NetworkConfiguration: &schedtypes.NetworkConfiguration{AwsvpcConfiguration: &schedtypes.AwsVpcConfiguration{Subnets: []string{"s-1"}, AssignPublicIp: schedtypes.AssignPublicIpDisabled}},
			Tags:                 []map[string]string{{"b": "2"}, {"a": "1"}},
		},
	}}}
	in, err := RunTaskInput(j)
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(in.Cluster) != "arn:aws:ecs:us-east-1:1:cluster/prod" || aws.ToInt32(in.Count) != 2 || aws.ToString(in.Group) != "cron:n" || in.LaunchType != "FARGATE" ||
		in.NetworkConfiguration.AwsvpcConfiguration.Subnets[0] != "s-1" || len(in.Tags) != 2 || aws.ToString(in.Tags[0].Key) != "a" ||
		in.Overrides == nil || in.Overrides.ContainerOverrides[0].Command[1] != "--all" {
		t.Errorf("RunTaskInput = %+v", in)
	}
	j.schedule.Target.Input = aws.String(`{"at": "<aws.scheduler.scheduled-time>"}`)
	var ie *ops.InputError
	if _, err := RunTaskInput(j); !errors.As(err, &ie) {
		t.Errorf("a context-attribute input: %v, want an input error", err)
	}
	rule := &Job{Kind: KindRule, Name: "r", target: &evtypes.Target{Arn: aws.String("c"), InputTransformer: &evtypes.InputTransformer{InputTemplate: aws.String("x")},
		EcsParameters: &evtypes.EcsParameters{TaskDefinitionArn: aws.String("td")}}}
	if _, err := RunTaskInput(rule); !errors.As(err, &ie) {
		t.Errorf("an input transformer: %v, want an input error", err)
	}
	rule.target.InputTransformer = nil
	rule.target.Input = aws.String("not json")
	if _, err := RunTaskInput(rule); !errors.As(err, &ie) {
		t.Errorf("input that is not overrides: %v, want an input error", err)
	}
}

// fakeScheduler records UpdateSchedule.
type fakeScheduler struct {
	SchedulerAPI
	updates []*scheduler.UpdateScheduleInput
}

func (f *fakeScheduler) UpdateSchedule(_ context.Context, in *scheduler.UpdateScheduleInput, _ ...func(*scheduler.Options)) (*scheduler.UpdateScheduleOutput, error) {
	f.updates = append(f.updates, in)
	return &scheduler.UpdateScheduleOutput{}, nil
}

type fakeEvents struct {
	EventsAPI
	disabled []string
}

func (f *fakeEvents) DisableRule(_ context.Context, in *eventbridge.DisableRuleInput, _ ...func(*eventbridge.Options)) (*eventbridge.DisableRuleOutput, error) {
	f.disabled = append(f.disabled, aws.ToString(in.Name))
	return &eventbridge.DisableRuleOutput{}, nil
}

func TestSetState(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	g := &scheduler.GetScheduleOutput{
		Name: aws.String("n"), GroupName: aws.String("g"), ScheduleExpression: aws.String("rate(1 hour)"), ScheduleExpressionTimezone: aws.String("Europe/Berlin"),
		Description: aws.String("d"), StartDate: &start, KmsKeyArn: aws.String("k"), State: schedtypes.ScheduleStateEnabled,
		FlexibleTimeWindow: &schedtypes.FlexibleTimeWindow{Mode: schedtypes.FlexibleTimeWindowModeFlexible, MaximumWindowInMinutes: aws.Int32(5)},
		Target:             &schedtypes.Target{Arn: aws.String("c"), RoleArn: aws.String("r")},
	}
	fs, fe := &fakeScheduler{}, &fakeEvents{}
	w := &Writer{Scheduler: fs, Events: fe}
	j := &Job{Kind: KindSchedule, Name: "n", Group: "g", State: "ENABLED", schedule: g}
	ch, err := w.SetState(context.Background(), j, false, true)
	if err != nil || ch.Outcome != "would pause" || len(fs.updates) != 0 {
		t.Fatalf("dry run: %+v %v, updates %d", ch, err, len(fs.updates))
	}
	ch, err = w.SetState(context.Background(), j, false, false)
	if err != nil || ch.Outcome != "paused" || len(fs.updates) != 1 {
		t.Fatalf("pause: %+v %v", ch, err)
	}
	u := fs.updates[0]
	if u.State != "DISABLED" || aws.ToString(u.ScheduleExpressionTimezone) != "Europe/Berlin" || aws.ToString(u.Description) != "d" || u.StartDate != &start ||
		aws.ToString(u.KmsKeyArn) != "k" || aws.ToInt32(u.FlexibleTimeWindow.MaximumWindowInMinutes) != 5 || aws.ToString(u.Target.RoleArn) != "r" {
		t.Errorf("UpdateSchedule dropped members: %+v", u)
	}
	j.State = "DISABLED"
	if ch, _ := w.SetState(context.Background(), j, false, false); ch.Outcome != "unchanged" || len(fs.updates) != 1 {
		t.Errorf("pausing a paused schedule: %+v", ch)
	}
	rule := &Job{Kind: KindRule, Name: "r", State: "ENABLED", otherTargets: 1}
	var ie *ops.InputError
	if _, err := w.SetState(context.Background(), rule, false, false); !errors.As(err, &ie) || len(fe.disabled) != 0 {
		t.Errorf("pausing a rule with other targets: %v, disabled %v", err, fe.disabled)
	}
	rule.otherTargets = 0
	if ch, err := w.SetState(context.Background(), rule, false, false); err != nil || ch.Outcome != "paused" || len(fe.disabled) != 1 {
		t.Errorf("pausing a rule: %+v %v", ch, err)
	}
}

// A schedule's runs: its group (or family at its exact revision), never a
// task another schedule, a rule or ecsctl run started.
func TestMatchesTellsScheduleRunsApart(t *testing.T) {
	job := func(name, group string) *Job {
		p := &schedtypes.EcsParameters{TaskDefinitionArn: aws.String("arn:aws:ecs:us-east-1:1:task-definition/report:7")}
		if group != "" {
			p.Group = aws.String(group)
		}
		return &Job{Kind: KindSchedule, Name: name, Family: "report", TaskDefinition: "arn:aws:ecs:us-east-1:1:task-definition/report:7",
			schedule: &scheduler.GetScheduleOutput{Target: &schedtypes.Target{EcsParameters: p}}}
	}
	td7, td6 := "arn:aws:ecs:us-east-1:1:task-definition/report:7", "arn:aws:ecs:us-east-1:1:task-definition/report:6"
	long := "nightly-report-for-the-finance-team"
	for _, c := range []struct {
		name string
		j    *Job
		t    taskInfo
		want bool
	}{
		{"its own startedBy, default group, its revision", job("nightly", ""), taskInfo{startedBy: "chronos-schedule/nightly", group: "family:report", taskDef: td7}, true},
		{"cut to 36 characters", job(long, ""), taskInfo{startedBy: ("chronos-schedule/" + long)[:36], group: "family:report", taskDef: td7}, true},
		{"another schedule's", job("nightly", ""), taskInfo{startedBy: "chronos-schedule/hourly", group: "family:report", taskDef: td7}, false},
		{"a rule's", job("nightly", ""), taskInfo{startedBy: "events-rule/nightly", group: "family:report", taskDef: td7}, false},
		{"ecsctl run's", job("nightly", ""), taskInfo{startedBy: "ecsctl-run", group: "family:report", taskDef: td7}, false},
		{"a service's", job("nightly", ""), taskInfo{group: "service:report", taskDef: td7}, false},
		{"its startedBy but another revision", job("nightly", ""), taskInfo{startedBy: "chronos-schedule/nightly", group: "family:report", taskDef: td6}, false},
		{"its group", job("nightly", "cron:nightly"), taskInfo{startedBy: "chronos-schedule/nightly", group: "cron:nightly", taskDef: td6}, true},
		{"its startedBy but another group", job("nightly", "cron:nightly"), taskInfo{startedBy: "chronos-schedule/nightly", group: "family:report", taskDef: td7}, false},
	} {
		if got := matches(c.j, c.t); got != c.want {
			t.Errorf("%s: matches = %v, want %v", c.name, got, c.want)
		}
	}
}
