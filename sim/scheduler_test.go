package sim

import (
	"bytes"
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	evtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	schedtypes "github.com/aws/aws-sdk-go-v2/service/scheduler/types"
)

type schedClients struct {
	sched *scheduler.Client
	ev    *eventbridge.Client
	ecs   *ecs.Client
	cw    *cloudwatch.Client
}

func newSchedEnv(t *testing.T) (*Sim, schedClients) {
	t.Helper()
	s := newTestSim(t, Options{}, apiWorld(1, false, nil, nil, nil), spreadInstances(2, 4, 8192))
	srv := httptest.NewServer(NewServer(s, DefaultRegistry))
	t.Cleanup(srv.Close)
	cfg := aws.Config{
		HTTPClient: NewSDKHTTPClient(), Region: "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDSANDBOX", "secret", ""),
		Retryer:     func() aws.Retryer { return retry.AddWithMaxAttempts(retry.NewStandard(), 1) },
	}
	ep := aws.String(srv.URL)
	return s, schedClients{
		sched: scheduler.NewFromConfig(cfg, func(o *scheduler.Options) { o.BaseEndpoint = ep }),
		ev:    eventbridge.NewFromConfig(cfg, func(o *eventbridge.Options) { o.BaseEndpoint = ep }),
		ecs:   ecs.NewFromConfig(cfg, func(o *ecs.Options) { o.BaseEndpoint = ep }),
		cw:    cloudwatch.NewFromConfig(cfg, func(o *cloudwatch.Options) { o.BaseEndpoint = ep }),
	}
}

func fullECSTarget(s *Sim, td string) *schedtypes.Target {
	return &schedtypes.Target{
		Arn:     aws.String(s.arn("ecs", "cluster/prod")),
		RoleArn: aws.String(s.arn("iam", "role/sched")),
		Input:   aws.String(`{"containerOverrides":[{"name":"app","command":["report","--all"]}]}`),
		EcsParameters: &schedtypes.EcsParameters{
			TaskDefinitionArn:        aws.String(s.arn("ecs", "task-definition/"+td)),
			TaskCount:                aws.Int32(1),
			LaunchType:               schedtypes.LaunchTypeEc2,
			Group:                    aws.String("cron:nightly"),
			PlacementConstraints:     []schedtypes.PlacementConstraint{{Type: schedtypes.PlacementConstraintTypeMemberOf, Expression: aws.String("attribute:ecs.availability-zone in [us-east-1a]")}},
			PlacementStrategy:        []schedtypes.PlacementStrategy{{Type: schedtypes.PlacementStrategyTypeSpread, Field: aws.String("instanceId")}},
			NetworkConfiguration:     &schedtypes.NetworkConfiguration{AwsvpcConfiguration: &schedtypes.AwsVpcConfiguration{Subnets: []string{"subnet-1"}, AssignPublicIp: schedtypes.AssignPublicIpDisabled}},
			CapacityProviderStrategy: []schedtypes.CapacityProviderStrategyItem{{CapacityProvider: aws.String("cp"), Weight: 2, Base: 1}},
			Tags:                     []map[string]string{{"team": "reports"}},
		},
		RetryPolicy: &schedtypes.RetryPolicy{MaximumEventAgeInSeconds: aws.Int32(3600), MaximumRetryAttempts: aws.Int32(3)},
	}
}

// TestSchedulerOverRESTJSON drives Scheduler's restJson1 wire protocol with
// the SDK: a schedule comes back as it was created (the ECS structs' lower
// case members included), UpdateSchedule replaces the whole schedule, a
// missing one is a typed ResourceNotFoundException, and lists page.
func TestSchedulerOverRESTJSON(t *testing.T) {
	s, c := newSchedEnv(t)
	ctx := context.Background()
	target := fullECSTarget(s, "api:3")
	_, err := c.sched.CreateSchedule(ctx, &scheduler.CreateScheduleInput{
		Name: aws.String("nightly"), ScheduleExpression: aws.String("cron(0 2 * * ? *)"), ScheduleExpressionTimezone: aws.String("Europe/Berlin"),
		Description: aws.String("the nightly report"), FlexibleTimeWindow: &schedtypes.FlexibleTimeWindow{Mode: schedtypes.FlexibleTimeWindowModeFlexible, MaximumWindowInMinutes: aws.Int32(10)},
		Target: target,
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.sched.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: aws.String("nightly")})
	if err != nil {
		t.Fatal(err)
	}
	if d := diffs(*target, *got.Target); len(d) > 0 {
		t.Errorf("target changed on the way:\n\t%s", joinProblems(d))
	}
	if aws.ToString(got.ScheduleExpressionTimezone) != "Europe/Berlin" || got.State != schedtypes.ScheduleStateEnabled || aws.ToString(got.Description) != "the nightly report" ||
		aws.ToInt32(got.FlexibleTimeWindow.MaximumWindowInMinutes) != 10 || aws.ToString(got.GroupName) != "default" {
		t.Errorf("GetSchedule = %+v", got)
	}
	// An update without Description or time zone clears them.
	_, err = c.sched.UpdateSchedule(ctx, &scheduler.UpdateScheduleInput{
		Name: aws.String("nightly"), ScheduleExpression: got.ScheduleExpression, FlexibleTimeWindow: &schedtypes.FlexibleTimeWindow{Mode: schedtypes.FlexibleTimeWindowModeOff},
		Target: got.Target, State: schedtypes.ScheduleStateDisabled,
	})
	if err != nil {
		t.Fatal(err)
	}
	got, _ = c.sched.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: aws.String("nightly")})
	if got.State != schedtypes.ScheduleStateDisabled || got.Description != nil || aws.ToString(got.ScheduleExpressionTimezone) != "UTC" {
		t.Errorf("after update: state %s, description %v, zone %s", got.State, got.Description, aws.ToString(got.ScheduleExpressionTimezone))
	}
	_, err = c.sched.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: aws.String("nope")})
	var nf *schedtypes.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("GetSchedule of a missing schedule: %v, want ResourceNotFoundException", err)
	}
	_, err = c.sched.CreateSchedule(ctx, &scheduler.CreateScheduleInput{Name: aws.String("nightly"), ScheduleExpression: aws.String("rate(1 day)"),
		FlexibleTimeWindow: &schedtypes.FlexibleTimeWindow{Mode: schedtypes.FlexibleTimeWindowModeOff}, Target: target})
	var conflict *schedtypes.ConflictException
	if !errors.As(err, &conflict) {
		t.Errorf("CreateSchedule of an existing name: %v, want ConflictException", err)
	}
	_, err = c.sched.CreateSchedule(ctx, &scheduler.CreateScheduleInput{Name: aws.String("bad"), ScheduleExpression: aws.String("cron(0 2 * * *)"),
		FlexibleTimeWindow: &schedtypes.FlexibleTimeWindow{Mode: schedtypes.FlexibleTimeWindowModeOff}, Target: target})
	var invalid *schedtypes.ValidationException
	if !errors.As(err, &invalid) {
		t.Errorf("CreateSchedule with a 5-field cron: %v, want ValidationException", err)
	}
	for _, n := range []string{"b", "c"} {
		if _, err := c.sched.CreateSchedule(ctx, &scheduler.CreateScheduleInput{Name: aws.String(n), ScheduleExpression: aws.String("rate(1 day)"),
			FlexibleTimeWindow: &schedtypes.FlexibleTimeWindow{Mode: schedtypes.FlexibleTimeWindowModeOff}, Target: target}); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	p := scheduler.NewListSchedulesPaginator(c.sched, &scheduler.ListSchedulesInput{MaxResults: aws.Int32(1)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, sc := range page.Schedules {
			names = append(names, aws.ToString(sc.Name))
			if aws.ToString(sc.Target.Arn) != s.arn("ecs", "cluster/prod") {
				t.Errorf("summary target %v", sc.Target)
			}
		}
	}
	if len(names) != 3 || names[0] != "b" || names[2] != "nightly" {
		t.Errorf("ListSchedules pages = %v", names)
	}
}

func metricSum(t *testing.T, c *cloudwatch.Client, ns, name, dim, val string, from, to time.Time) float64 {
	t.Helper()
	out, err := c.GetMetricData(context.Background(), &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(from), EndTime: aws.Time(to),
		MetricDataQueries: []cwtypes.MetricDataQuery{{Id: aws.String("m"), MetricStat: &cwtypes.MetricStat{
			Metric: &cwtypes.Metric{Namespace: aws.String(ns), MetricName: aws.String(name), Dimensions: []cwtypes.Dimension{{Name: aws.String(dim), Value: aws.String(val)}}},
			Period: aws.Int32(86400), Stat: aws.String("Sum"),
		}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, v := range out.MetricDataResults[0].Values {
		sum += v
	}
	return sum
}

// TestSchedulesAndRulesFireOnTheVirtualClock checks that a schedule and a
// rule start tasks through RunTask when due (the rule's carry startedBy
// events-rule/<name>), that a schedule whose revision does not exist is a
// target error in AWS/Scheduler, and that disabling stops the firing.
func TestSchedulesAndRulesFireOnTheVirtualClock(t *testing.T) {
	s, c := newSchedEnv(t)
	ctx := context.Background()
	start := s.virtualNow()
	off := &schedtypes.FlexibleTimeWindow{Mode: schedtypes.FlexibleTimeWindowModeOff}
	good := fullECSTarget(s, "api:3")
	good.EcsParameters.PlacementConstraints, good.EcsParameters.NetworkConfiguration, good.EcsParameters.CapacityProviderStrategy = nil, nil, nil
	bad := fullECSTarget(s, "api:9")
	bad.EcsParameters.PlacementConstraints, bad.EcsParameters.NetworkConfiguration, bad.EcsParameters.CapacityProviderStrategy = nil, nil, nil
	for name, tg := range map[string]*schedtypes.Target{"every10": good, "broken": bad} {
		if _, err := c.sched.CreateSchedule(ctx, &scheduler.CreateScheduleInput{Name: aws.String(name), ScheduleExpression: aws.String("rate(10 minutes)"), FlexibleTimeWindow: off, Target: tg}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.ev.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("hourly"), ScheduleExpression: aws.String("cron(0 * * * ? *)")}); err != nil {
		t.Fatal(err)
	}
	pt, err := c.ev.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("hourly"), Targets: []evtypes.Target{{
		Id: aws.String("ecs"), Arn: aws.String(s.arn("ecs", "cluster/prod")), RoleArn: aws.String(s.arn("iam", "role/ev")),
		EcsParameters: &evtypes.EcsParameters{TaskDefinitionArn: aws.String(s.arn("ecs", "task-definition/api:3")), TaskCount: aws.Int32(1)},
	}}})
	if err != nil || pt.FailedEntryCount != 0 {
		t.Fatalf("PutTargets: %v %+v", err, pt)
	}
	s.Advance(61 * time.Minute)
	// Running and stopped: a one-off's command ("report") runs about a
	// second of virtual time and exits (oneoff.go).
	tasks := func(startedBy string) []string {
		var arns []string
		for _, st := range []ecstypes.DesiredStatus{ecstypes.DesiredStatusRunning, ecstypes.DesiredStatusStopped} {
			in := &ecs.ListTasksInput{Cluster: aws.String("prod"), DesiredStatus: st}
			if startedBy != "" {
				in.StartedBy = aws.String(startedBy)
			}
			out, err := c.ecs.ListTasks(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			arns = append(arns, out.TaskArns...)
		}
		return arns
	}
	byRule := tasks("events-rule/hourly")
	if len(byRule) != 1 {
		t.Fatalf("tasks started by the rule after an hour: %d, want 1", len(byRule))
	}
	desc, err := c.ecs.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String("prod"), Tasks: tasks(""), Include: nil})
	if err != nil {
		t.Fatal(err)
	}
	scheduled := 0
	for _, tk := range desc.Tasks {
		if aws.ToString(tk.Group) == "cron:nightly" {
			scheduled++
			if tk.Overrides == nil || len(tk.Overrides.ContainerOverrides) != 1 || tk.Overrides.ContainerOverrides[0].Command[0] != "report" {
				t.Errorf("schedule task overrides = %+v, want the target input's", tk.Overrides)
			}
			if got := aws.ToString(tk.StartedBy); got != "chronos-schedule/every10" {
				t.Errorf("schedule task startedBy = %q, want chronos-schedule/every10", got)
			}
		}
	}
	if scheduled != 6 {
		t.Errorf("tasks started by the 10-minute schedule in 61 minutes: %d, want 6", scheduled)
	}
	now := s.virtualNow()
	if got := metricSum(t, c.cw, "AWS/Scheduler", "TargetErrorCount", "ScheduleGroup", "default", start, now); got != 6 {
		t.Errorf("AWS/Scheduler TargetErrorCount = %v, want 6 (the broken schedule's runs)", got)
	}
	if got := metricSum(t, c.cw, "AWS/Events", "FailedInvocations", "RuleName", "hourly", start, now); got != 0 {
		t.Errorf("AWS/Events FailedInvocations = %v, want 0", got)
	}
	if _, err := c.ev.DisableRule(ctx, &eventbridge.DisableRuleInput{Name: aws.String("hourly")}); err != nil {
		t.Fatal(err)
	}
	r, _ := c.ev.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String("hourly")})
	if r.State != evtypes.RuleStateDisabled {
		t.Errorf("rule state after DisableRule = %s", r.State)
	}
	names, err := c.ev.ListRuleNamesByTarget(ctx, &eventbridge.ListRuleNamesByTargetInput{TargetArn: aws.String(s.arn("ecs", "cluster/prod"))})
	if err != nil || len(names.RuleNames) != 1 || names.RuleNames[0] != "hourly" {
		t.Errorf("ListRuleNamesByTarget = %v, %v", names, err)
	}
	s.Advance(2 * time.Hour)
	if n := len(tasks("events-rule/hourly")); n != 1 {
		t.Errorf("a disabled rule went on starting tasks: %d", n)
	}
	_, err = c.ev.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String("nope")})
	var nf *evtypes.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("DescribeRule of a missing rule: %v", err)
	}
}

// TestSchedulesSurviveSaveAndLoad: a saved sandbox keeps its schedules and
// rules, and their queued firings still run after loading.
func TestSchedulesSurviveSaveAndLoad(t *testing.T) {
	s, c := newSchedEnv(t)
	ctx := context.Background()
	tg := fullECSTarget(s, "api:3")
	tg.EcsParameters.PlacementConstraints, tg.EcsParameters.NetworkConfiguration, tg.EcsParameters.CapacityProviderStrategy = nil, nil, nil
	if _, err := c.sched.CreateSchedule(ctx, &scheduler.CreateScheduleInput{Name: aws.String("every10"), ScheduleExpression: aws.String("rate(10 minutes)"),
		FlexibleTimeWindow: &schedtypes.FlexibleTimeWindow{Mode: schedtypes.FlexibleTimeWindowModeOff}, Target: tg}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ev.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("r"), ScheduleExpression: aws.String("rate(1 hour)")}); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := s.Save(&buf); err != nil {
		t.Fatal(err)
	}
	s2, err := Load(&buf, Options{ManualClock: true})
	if err != nil {
		t.Fatal(err)
	}
	s2.Lock()
	sc := s2.sched().Schedules["default/every10"]
	rule := s2.sched().Rules["r"]
	s2.Unlock()
	if sc == nil || aws.ToString(sc.Target.EcsParameters.Group) != "cron:nightly" || rule == nil || rule.Expression != "rate(1 hour)" {
		t.Fatalf("after load: schedule %+v rule %+v", sc, rule)
	}
	s2.Advance(11 * time.Minute)
	s2.Lock()
	n := 0
	for _, tk := range s2.ecs.Tasks {
		if aws.ToString(tk.Task.Group) == "cron:nightly" {
			n++
		}
	}
	s2.Unlock()
	if n != 1 {
		t.Errorf("tasks the loaded schedule started in 11 minutes: %d, want 1", n)
	}
}
