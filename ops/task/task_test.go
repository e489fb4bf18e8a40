package task

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwltypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"ecsctl/ops"
	"ecsctl/ops/logs"
	"ecsctl/ops/opstest"
)

// fakeECS is a hand-written fake of the calls a one-off task makes.
type fakeECS struct {
	mu       sync.Mutex
	services map[string]types.Service
	defs     map[string]*types.TaskDefinition
	runIn    *ecs.RunTaskInput
	runOut   *ecs.RunTaskOutput
	// states are the task's successive DescribeTasks answers (the last
	// one repeats).
	states   []types.Task
	describe int
	stops    int
}

func (f *fakeECS) DescribeServices(_ context.Context, in *ecs.DescribeServicesInput, _ ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error) {
	out := &ecs.DescribeServicesOutput{}
	if s, ok := f.services[in.Services[0]]; ok {
		out.Services = []types.Service{s}
	} else {
		out.Failures = []types.Failure{{Reason: aws.String("MISSING")}}
	}
	return out, nil
}

func (f *fakeECS) DescribeTaskDefinition(_ context.Context, in *ecs.DescribeTaskDefinitionInput, _ ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error) {
	td, ok := f.defs[aws.ToString(in.TaskDefinition)]
	if !ok {
		return nil, &types.ClientException{Message: aws.String("Unable to describe task definition.")}
	}
	return &ecs.DescribeTaskDefinitionOutput{TaskDefinition: td}, nil
}

func (f *fakeECS) ListTasks(context.Context, *ecs.ListTasksInput, ...func(*ecs.Options)) (*ecs.ListTasksOutput, error) {
	return &ecs.ListTasksOutput{}, nil
}

func (f *fakeECS) DescribeTasks(context.Context, *ecs.DescribeTasksInput, ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	i := min(f.describe, len(f.states)-1)
	f.describe++
	return &ecs.DescribeTasksOutput{Tasks: []types.Task{f.states[i]}}, nil
}

func (f *fakeECS) RunTask(_ context.Context, in *ecs.RunTaskInput, _ ...func(*ecs.Options)) (*ecs.RunTaskOutput, error) {
	f.runIn = in
	return f.runOut, nil
}

func (f *fakeECS) StopTask(context.Context, *ecs.StopTaskInput, ...func(*ecs.Options)) (*ecs.StopTaskOutput, error) {
	f.stops++
	return &ecs.StopTaskOutput{}, nil
}

const tdArn = "arn:aws:ecs:us-east-1:123456789012:task-definition/api:7"

func apiDef(fargate bool) *types.TaskDefinition {
	td := &types.TaskDefinition{TaskDefinitionArn: aws.String(tdArn), Family: aws.String("api"), Revision: 7, Status: types.TaskDefinitionStatusActive,
		Cpu: aws.String("512"), Memory: aws.String("1024"),
		ContainerDefinitions: []types.ContainerDefinition{
			{Name: aws.String("envoy"), Essential: aws.Bool(false)},
			{Name: aws.String("app"), Memory: aws.Int32(512)},
		}}
	if fargate {
		td.NetworkMode = types.NetworkModeAwsvpc
		td.RequiresCompatibilities = []types.Compatibility{types.CompatibilityFargate}
	}
	return td
}

func fargateService() types.Service {
	nc := &types.NetworkConfiguration{AwsvpcConfiguration: &types.AwsVpcConfiguration{Subnets: []string{"subnet-a", "subnet-b"}, SecurityGroups: []string{"sg-1"}}}
	return types.Service{ServiceName: aws.String("api"), Status: aws.String("ACTIVE"), TaskDefinition: aws.String("arn:aws:ecs:us-east-1:123456789012:task-definition/api:8"),
		LaunchType: types.LaunchTypeFargate, NetworkConfiguration: nc,
		Deployments: []types.Deployment{
			// The PRIMARY deployment may differ from the service's own
			// fields while a new deployment is pending.
			{Status: aws.String("PRIMARY"), TaskDefinition: aws.String(tdArn), LaunchType: types.LaunchTypeFargate, NetworkConfiguration: nc},
		}}
}

func TestPrepareUsesThePrimaryDeploymentAndTheMainContainer(t *testing.T) {
	f := &fakeECS{services: map[string]types.Service{"api": fargateService()}, defs: map[string]*types.TaskDefinition{tdArn: apiDef(true)}}
	plan, err := Prepare(context.Background(), f, Request{Cluster: "prod", Service: "api", Command: []string{"./manage.py", "migrate"},
		Env: []Env{{"app", "DAYS", "3"}, {"envoy", "LOG", "debug"}, {"app", "DAYS", "4"}}, CPU: "1024", Memory: "2048"})
	if err != nil {
		t.Fatal(err)
	}
	in := plan.Input
	if aws.ToString(in.TaskDefinition) != tdArn || in.LaunchType != types.LaunchTypeFargate || !plan.Fargate || plan.Container != "app" {
		t.Fatalf("plan %+v input %+v", plan, in)
	}
	if got := in.NetworkConfiguration.AwsvpcConfiguration.Subnets; len(got) != 2 {
		t.Errorf("subnets %v, want the service's", got)
	}
	if aws.ToString(in.StartedBy) != StartedBy || aws.ToString(in.Overrides.Cpu) != "1024" || aws.ToString(in.Overrides.Memory) != "2048" {
		t.Errorf("startedBy %q overrides %+v", aws.ToString(in.StartedBy), in.Overrides)
	}
	co := in.Overrides.ContainerOverrides
	if len(co) != 2 || aws.ToString(co[0].Name) != "app" || strings.Join(co[0].Command, " ") != "./manage.py migrate" ||
		len(co[0].Environment) != 1 || aws.ToString(co[0].Environment[0].Value) != "4" || aws.ToString(co[1].Name) != "envoy" || co[1].Command != nil {
		t.Errorf("container overrides %+v", co)
	}
}

func TestPrepareRefusesBadInput(t *testing.T) {
	ec2Def := apiDef(false)
	defs := map[string]*types.TaskDefinition{tdArn: apiDef(true), "api:7": ec2Def}
	svc := map[string]types.Service{"api": fargateService()}
	for _, tc := range []struct {
		req  Request
		want string
	}{
		{Request{Cluster: "prod"}, "say what to run"},
		{Request{Cluster: "prod", Service: "nope"}, "service prod/nope not found"},
		{Request{Cluster: "prod", TaskDef: "nope:1"}, "task definition nope:1 not found"},
		{Request{Cluster: "prod", Service: "api", CPU: "256", Memory: "4096"}, "with --cpu 256 give --memory 512, 1024, 2048"},
		{Request{Cluster: "prod", Service: "api", CPU: "768"}, "Fargate has no task of 768 CPU units"},
		{Request{Cluster: "prod", Service: "api", CPU: "abc"}, "invalid --cpu"},
		{Request{Cluster: "prod", Service: "api", Container: "db"}, "no container \"db\""},
		{Request{Cluster: "prod", Service: "api", Env: []Env{{"db", "K", "v"}}}, "names no container"},
		{Request{Cluster: "prod", Service: "api", Env: []Env{{"app", "1K", "v"}}}, "invalid --env"},
		{Request{Cluster: "prod", Service: "api", LaunchType: "EC2"}, "--launch-type is for --task-def"},
		{Request{Cluster: "prod", TaskDef: "api:7", Memory: "256"}, "below container app's hard limit of 512"},
		{Request{Cluster: "prod", TaskDef: "api:7", CPU: "64"}, "invalid --cpu 64 for EC2"},
		{Request{Cluster: "prod", TaskDef: "api:7", Subnets: []string{"subnet-a"}}, "takes no subnets"},
	} {
		f := &fakeECS{services: svc, defs: defs}
		_, err := Prepare(opstest.FlagNames(context.Background()), f, tc.req)
		var ie *ops.InputError
		if !errors.As(err, &ie) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want an input error with %q", tc.req, err, tc.want)
		}
	}
}

func TestFargateSizes(t *testing.T) {
	for _, tc := range []struct {
		cpu, mem int
		ok       bool
	}{
		{256, 512, true}, {256, 3072, false}, {512, 4096, true}, {512, 5120, false}, {1024, 8192, true},
		{2048, 16384, true}, {2048, 3072, false}, {4096, 30720, true}, {4096, 31744, false},
		{8192, 20480, true}, {8192, 17408, false}, {16384, 122880, true}, {16384, 36864, false}, {768, 2048, false},
	} {
		if got := FargateSizeOK(tc.cpu, tc.mem); got != tc.ok {
			t.Errorf("%d/%d: %v, want %v", tc.cpu, tc.mem, got, tc.ok)
		}
	}
}

func TestStartReportsECSFailures(t *testing.T) {
	f := &fakeECS{runOut: &ecs.RunTaskOutput{Failures: []types.Failure{{Reason: aws.String("RESOURCE:MEMORY"), Detail: aws.String("no instance has 4096 MiB")}}}}
	_, err := Start(context.Background(), f, &ecs.RunTaskInput{Cluster: aws.String("prod"), TaskDefinition: aws.String(tdArn)})
	if !errors.Is(err, ops.ErrFailed) || !strings.Contains(err.Error(), "RESOURCE:MEMORY") {
		t.Fatalf("%v, want ErrFailed with ECS's reason", err)
	}
}

// stepClock: a poll's After fires at once, so the follow polls without
// waiting; Now moves a second per call.
type stepClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(time.Second)
	return c.now
}

// After fires at once for a poll's wait, never for the minutes-long bounds.
func (c *stepClock) After(d time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	if d < time.Minute {
		ch <- c.Now()
	}
	return ch
}

// neverClock: After never fires (no timeout, a poll wait that never ends).
type neverClock struct{ stepClock }

func (c *neverClock) After(time.Duration) <-chan time.Time { return make(chan time.Time) }

func taskAt(status string, exit *int32, reason string) types.Task {
	t := types.Task{TaskArn: aws.String("arn:aws:ecs:us-east-1:123456789012:task/prod/abc"), TaskDefinitionArn: aws.String(tdArn),
		LastStatus: aws.String(status), Containers: []types.Container{{Name: aws.String("app"), ExitCode: exit}, {Name: aws.String("envoy")}}}
	if status == "STOPPED" {
		t.StoppedReason = aws.String(reason)
		t.StoppedAt = aws.Time(time.Unix(100, 0))
	}
	return t
}

func TestFollowReportsTheMainContainersExitCode(t *testing.T) {
	f := &fakeECS{states: []types.Task{taskAt("PENDING", nil, ""), taskAt("RUNNING", nil, ""), taskAt("STOPPED", aws.Int32(3), "Essential container in task exited")}}
	var seen, lines []string
	fo := &Follower{ECS: f, Clock: &stepClock{}, Progress: func(e ops.Event) {
		seen, lines = append(seen, e.State), append(lines, string(e.Kind)+" "+e.Task+" "+e.Message)
	}}
	res, err := fo.Follow(context.Background(), "prod", "app", taskAt("PROVISIONING", nil, ""))
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode == nil || *res.ExitCode != 3 || res.Outcome != "failed" || res.StopReason != "Essential container in task exited" || len(res.Containers) != 2 {
		t.Errorf("result %+v", res)
	}
	if strings.Join(seen, ",") != "PROVISIONING,PENDING,RUNNING,STOPPED" {
		t.Errorf("progress %v", seen)
	}
	// A step's line is its status; the stop's names ECS's reason.
	arn := "arn:aws:ecs:us-east-1:123456789012:task/prod/abc"
	if len(lines) != 4 || lines[1] != "task-status "+arn+" PENDING" || lines[3] != "task-status "+arn+" STOPPED: Essential container in task exited" {
		t.Errorf("progress lines %q", lines)
	}
}

func TestFollowNeverRan(t *testing.T) {
	f := &fakeECS{states: []types.Task{taskAt("STOPPED", nil, "CannotPullContainerError: pull image manifest has been retried")}}
	res, err := (&Follower{ECS: f, Clock: &stepClock{}}).Follow(context.Background(), "prod", "app", taskAt("PENDING", nil, ""))
	if err != nil {
		t.Fatal(err)
	}
	if !res.NeverRan() || res.Outcome != "never-ran" {
		t.Errorf("result %+v, want never ran", res)
	}
}

func TestFollowTimeoutLeavesTheTaskRunning(t *testing.T) {
	f := &fakeECS{states: []types.Task{taskAt("RUNNING", nil, "")}}
	// The deadline channel fires at once; the poll never does.
	clock := &timeoutClock{}
	_, err := (&Follower{ECS: f, Clock: clock, Timeout: time.Minute}).Follow(context.Background(), "prod", "app", taskAt("RUNNING", nil, ""))
	var still *ErrStillRunning
	if !errors.As(err, &still) || !errors.Is(err, ops.ErrTimeout) || still.Status != "RUNNING" {
		t.Fatalf("%v, want ErrStillRunning wrapping ErrTimeout", err)
	}
	if f.stops != 0 {
		t.Error("the task was stopped")
	}
}

// timeoutClock fires the first After (the deadline) at once and no other.
type timeoutClock struct {
	stepClock
	n int
}

func (c *timeoutClock) After(time.Duration) <-chan time.Time {
	c.n++
	ch := make(chan time.Time, 1)
	if c.n == 1 {
		ch <- time.Time{}
	}
	return ch
}

func TestFollowInterrupted(t *testing.T) {
	f := &fakeECS{states: []types.Task{taskAt("RUNNING", nil, "")}}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := (&Follower{ECS: f, Clock: &neverClock{}}).Follow(ctx, "prod", "app", taskAt("RUNNING", nil, ""))
	if !errors.Is(err, ops.ErrInterrupted) {
		t.Fatalf("%v, want ErrInterrupted", err)
	}
}

// logsFake serves a task's one stream: its events appear once the task runs.
type logsFake struct {
	mu     sync.Mutex
	events []cwltypes.FilteredLogEvent
}

func (l *logsFake) FilterLogEvents(_ context.Context, in *cloudwatchlogs.FilterLogEventsInput, _ ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.FilterLogEventsOutput, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []cwltypes.FilteredLogEvent
	for _, e := range l.events {
		if ts := aws.ToInt64(e.Timestamp); (in.StartTime == nil || ts >= *in.StartTime) && (in.EndTime == nil || ts <= *in.EndTime) {
			out = append(out, e)
		}
	}
	return &cloudwatchlogs.FilterLogEventsOutput{Events: out}, nil
}

func (l *logsFake) DescribeLogStreams(context.Context, *cloudwatchlogs.DescribeLogStreamsInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DescribeLogStreamsOutput, error) {
	return &cloudwatchlogs.DescribeLogStreamsOutput{}, nil
}

// The follow streams the task's log lines through the logs follower, each
// once, and ends after the task stopped and its stream was read.
func TestFollowStreamsTheLogsOnce(t *testing.T) {
	def := apiDef(false)
	def.ContainerDefinitions[1].LogConfiguration = &types.LogConfiguration{LogDriver: types.LogDriverAwslogs,
		Options: map[string]string{"awslogs-group": "/ecs/api", "awslogs-stream-prefix": "ecs"}}
	running := taskAt("RUNNING", nil, "")
	running.CreatedAt = aws.Time(time.Unix(10, 0))
	stopped := taskAt("STOPPED", aws.Int32(0), "Essential container in task exited")
	stopped.CreatedAt = running.CreatedAt
	stopped.StoppedAt = aws.Time(time.UnixMilli(20_500))
	f := &fakeECS{defs: map[string]*types.TaskDefinition{tdArn: def}, states: []types.Task{running, running, stopped}}
	lf := &logsFake{}
	// The last line is ingested 10 s late (after the task stopped): it is
	// still shown, and its ingestion time tells the tail that CloudWatch
	// is past the stop.
	for i, m := range []string{"one", "two", "three"} {
		ingested := int64(20_100 + i)
		if m == "three" {
			ingested = 30_000
		}
		lf.events = append(lf.events, cwltypes.FilteredLogEvent{EventId: aws.String(m), LogStreamName: aws.String("ecs/app/abc"),
			Timestamp: aws.Int64(int64(20_000 + i)), IngestionTime: aws.Int64(ingested), Message: aws.String(m)})
	}
	var mu sync.Mutex
	var got []string
	fo := &Follower{ECS: f, Logs: func(string) logs.API { return lf }, Region: "us-east-1", Clock: &stepClock{now: time.Unix(30, 0)},
		Containers: []string{"app"}, Overlap: time.Second,
		Emit: func(ls []logs.Line) error {
			mu.Lock()
			defer mu.Unlock()
			for _, l := range ls {
				got = append(got, l.Message)
			}
			return nil
		}}
	res, err := fo.Follow(context.Background(), "prod", "app", running)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(got, ",") != "one,two,three" || res.Outcome != "succeeded" {
		t.Errorf("lines %v, outcome %s", got, res.Outcome)
	}
}

// An EC2 service's one-off task is placed as the service's tasks are; a
// Fargate one keeps the service's pinned platform version.
func TestPrepareKeepsThePlacementOrPlatform(t *testing.T) {
	ec2 := types.Service{ServiceName: aws.String("geo"), Status: aws.String("ACTIVE"), TaskDefinition: aws.String(tdArn),
		PlacementConstraints: []types.PlacementConstraint{{Type: types.PlacementConstraintTypeMemberOf, Expression: aws.String("attribute:ecs.availability-zone in [us-east-1a]")}},
		PlacementStrategy:    []types.PlacementStrategy{{Type: types.PlacementStrategyTypeSpread, Field: aws.String("attribute:ecs.availability-zone")}},
		Deployments:          []types.Deployment{{Status: aws.String("PRIMARY"), TaskDefinition: aws.String(tdArn)}}}
	far := fargateService()
	far.Deployments[0].PlatformVersion = aws.String("1.3.0")
	f := &fakeECS{services: map[string]types.Service{"geo": ec2, "api": far}, defs: map[string]*types.TaskDefinition{tdArn: apiDef(false)}}
	plan, err := Prepare(context.Background(), f, Request{Cluster: "prod", Service: "geo"})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Input.PlacementConstraints) != 1 || len(plan.Input.PlacementStrategy) != 1 || plan.Input.Overrides != nil {
		t.Errorf("input %+v", plan.Input)
	}
	f.defs[tdArn] = apiDef(true)
	plan, err = Prepare(context.Background(), f, Request{Cluster: "prod", Service: "api"})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(plan.Input.PlatformVersion) != "1.3.0" || len(plan.Input.PlacementConstraints) != 0 {
		t.Errorf("input %+v", plan.Input)
	}
}
