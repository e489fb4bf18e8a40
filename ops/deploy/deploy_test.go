package deploy

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"

	"ecsctl/ops"
	"ecsctl/ops/opstest"
)

// fakeClock moves time forward by whatever is waited for, at once.
type fakeClock = opstest.Clock

func newFakeClock() *fakeClock { return opstest.NewClock() }

// fakeECS is a function-field fake: each test sets what it needs.
type fakeECS struct {
	mu                sync.Mutex
	calls             map[string]int
	describeServices  func(in *ecs.DescribeServicesInput) (*ecs.DescribeServicesOutput, error)
	describeTaskDef   func(in *ecs.DescribeTaskDefinitionInput) (*ecs.DescribeTaskDefinitionOutput, error)
	registerTaskDef   func(in *ecs.RegisterTaskDefinitionInput) (*ecs.RegisterTaskDefinitionOutput, error)
	updateService     func(in *ecs.UpdateServiceInput) (*ecs.UpdateServiceOutput, error)
	listTasks         func(in *ecs.ListTasksInput) (*ecs.ListTasksOutput, error)
	describeTasks     func(in *ecs.DescribeTasksInput) (*ecs.DescribeTasksOutput, error)
	listTaskDefs      func(in *ecs.ListTaskDefinitionsInput) (*ecs.ListTaskDefinitionsOutput, error)
	deregisterTaskDef func(in *ecs.DeregisterTaskDefinitionInput) (*ecs.DeregisterTaskDefinitionOutput, error)
	listClusters      func(in *ecs.ListClustersInput) (*ecs.ListClustersOutput, error)
	listServices      func(in *ecs.ListServicesInput) (*ecs.ListServicesOutput, error)
}

func (f *fakeECS) count(op string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.calls == nil {
		f.calls = map[string]int{}
	}
	f.calls[op]++
}

func (f *fakeECS) n(op string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[op]
}

func notImplemented(op string) error { return fmt.Errorf("fake: %s not expected", op) }

func (f *fakeECS) DescribeServices(_ context.Context, in *ecs.DescribeServicesInput, _ ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error) {
	f.count("DescribeServices")
	if len(in.Services) > 10 {
		return nil, &smithy.GenericAPIError{Code: "InvalidParameterException", Message: "too many services"}
	}
	return f.describeServices(in)
}
func (f *fakeECS) DescribeTaskDefinition(_ context.Context, in *ecs.DescribeTaskDefinitionInput, _ ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error) {
	f.count("DescribeTaskDefinition")
	return f.describeTaskDef(in)
}
func (f *fakeECS) RegisterTaskDefinition(_ context.Context, in *ecs.RegisterTaskDefinitionInput, _ ...func(*ecs.Options)) (*ecs.RegisterTaskDefinitionOutput, error) {
	f.count("RegisterTaskDefinition")
	if f.registerTaskDef == nil {
		return nil, notImplemented("RegisterTaskDefinition")
	}
	return f.registerTaskDef(in)
}
func (f *fakeECS) UpdateService(_ context.Context, in *ecs.UpdateServiceInput, _ ...func(*ecs.Options)) (*ecs.UpdateServiceOutput, error) {
	f.count("UpdateService")
	if f.updateService == nil {
		return nil, notImplemented("UpdateService")
	}
	return f.updateService(in)
}
func (f *fakeECS) ListTasks(_ context.Context, in *ecs.ListTasksInput, _ ...func(*ecs.Options)) (*ecs.ListTasksOutput, error) {
	f.count("ListTasks")
	if f.listTasks == nil {
		return &ecs.ListTasksOutput{}, nil
	}
	return f.listTasks(in)
}
func (f *fakeECS) DescribeTasks(_ context.Context, in *ecs.DescribeTasksInput, _ ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error) {
	f.count("DescribeTasks")
	if f.describeTasks == nil {
		return &ecs.DescribeTasksOutput{}, nil
	}
	return f.describeTasks(in)
}
func (f *fakeECS) ListTaskDefinitions(_ context.Context, in *ecs.ListTaskDefinitionsInput, _ ...func(*ecs.Options)) (*ecs.ListTaskDefinitionsOutput, error) {
	f.count("ListTaskDefinitions")
	if f.listTaskDefs == nil {
		return &ecs.ListTaskDefinitionsOutput{}, nil
	}
	return f.listTaskDefs(in)
}
func (f *fakeECS) DeregisterTaskDefinition(_ context.Context, in *ecs.DeregisterTaskDefinitionInput, _ ...func(*ecs.Options)) (*ecs.DeregisterTaskDefinitionOutput, error) {
	f.count("DeregisterTaskDefinition")
	if f.deregisterTaskDef == nil {
		return nil, notImplemented("DeregisterTaskDefinition")
	}
	return f.deregisterTaskDef(in)
}
func (f *fakeECS) ListClusters(_ context.Context, in *ecs.ListClustersInput, _ ...func(*ecs.Options)) (*ecs.ListClustersOutput, error) {
	f.count("ListClusters")
	if f.listClusters == nil {
		return &ecs.ListClustersOutput{ClusterArns: []string{"arn:aws:ecs:us-east-1:123456789012:cluster/prod"}}, nil
	}
	return f.listClusters(in)
}
func (f *fakeECS) ListServices(_ context.Context, in *ecs.ListServicesInput, _ ...func(*ecs.Options)) (*ecs.ListServicesOutput, error) {
	f.count("ListServices")
	if f.listServices == nil {
		return &ecs.ListServicesOutput{}, nil
	}
	return f.listServices(in)
}

// A deploy reads no clusters or container instances; awsapi.ECS's client
// has them.
func (f *fakeECS) DescribeClusters(context.Context, *ecs.DescribeClustersInput, ...func(*ecs.Options)) (*ecs.DescribeClustersOutput, error) {
	return nil, notImplemented("DescribeClusters")
}
func (f *fakeECS) DescribeContainerInstances(context.Context, *ecs.DescribeContainerInstancesInput, ...func(*ecs.Options)) (*ecs.DescribeContainerInstancesOutput, error) {
	return nil, notImplemented("DescribeContainerInstances")
}
func (f *fakeECS) ListContainerInstances(context.Context, *ecs.ListContainerInstancesInput, ...func(*ecs.Options)) (*ecs.ListContainerInstancesOutput, error) {
	return nil, notImplemented("ListContainerInstances")
}

type fakeECR struct {
	tags      map[string]bool // repo:tag
	immutable bool
}

func (f *fakeECR) DescribeImages(_ context.Context, in *ecr.DescribeImagesInput, _ ...func(*ecr.Options)) (*ecr.DescribeImagesOutput, error) {
	key := aws.ToString(in.RepositoryName) + ":" + aws.ToString(in.ImageIds[0].ImageTag)
	if !f.tags[key] {
		return nil, &smithy.GenericAPIError{Code: "ImageNotFoundException", Message: "not found"}
	}
	return &ecr.DescribeImagesOutput{ImageDetails: []ecrtypes.ImageDetail{{ImageTags: []string{aws.ToString(in.ImageIds[0].ImageTag)}}}}, nil
}

func (f *fakeECR) DescribeRepositories(_ context.Context, in *ecr.DescribeRepositoriesInput, _ ...func(*ecr.Options)) (*ecr.DescribeRepositoriesOutput, error) {
	m := ecrtypes.ImageTagMutabilityMutable
	if f.immutable {
		m = ecrtypes.ImageTagMutabilityImmutable
	}
	return &ecr.DescribeRepositoriesOutput{Repositories: []ecrtypes.Repository{{RepositoryName: aws.String(in.RepositoryNames[0]), ImageTagMutability: m}}}, nil
}

type fakeLogs struct{ lines []string }

func (f *fakeLogs) GetLogEvents(_ context.Context, in *cloudwatchlogs.GetLogEventsInput, _ ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.GetLogEventsOutput, error) {
	var ev []logtypes.OutputLogEvent
	for _, l := range f.lines {
		ev = append(ev, logtypes.OutputLogEvent{Message: aws.String(l)})
	}
	return &cloudwatchlogs.GetLogEventsOutput{Events: ev}, nil
}

const ecrHost = "123456789012.dkr.ecr.us-east-1.amazonaws.com"

// scenario is a tiny model of one service: the test says how the new
// deployment evolves poll by poll.
type scenario struct {
	t          *testing.T
	fake       *fakeECS
	svc        types.Service
	td         *types.TaskDefinition
	revision   int32
	registered []*ecs.RegisterTaskDefinitionInput
	updates    []*ecs.UpdateServiceInput
	// evolve is called on each DescribeServices after the update, with the
	// number of that poll (1, 2, ...) and the service to edit.
	evolve func(poll int, s *types.Service)
	polls  int
}

func newScenario(t *testing.T, breaker bool) *scenario {
	sc := &scenario{t: t, fake: &fakeECS{}, td: liveTaskDef(), revision: 42}
	sc.td.ContainerDefinitions[0].LogConfiguration = &types.LogConfiguration{LogDriver: types.LogDriverAwslogs, Options: map[string]string{"awslogs-group": "/ecs/prod/api", "awslogs-stream-prefix": "ecs"}}
	sc.svc = types.Service{
		ServiceName: aws.String("api"), ServiceArn: aws.String("arn:aws:ecs:us-east-1:123456789012:service/prod/api"), Status: aws.String("ACTIVE"),
		DesiredCount: 4, RunningCount: 4, TaskDefinition: sc.td.TaskDefinitionArn,
		DeploymentConfiguration: &types.DeploymentConfiguration{DeploymentCircuitBreaker: &types.DeploymentCircuitBreaker{Enable: breaker, Rollback: breaker}},
		Deployments:             []types.Deployment{{Id: aws.String("ecs-svc/1"), Status: aws.String("PRIMARY"), TaskDefinition: sc.td.TaskDefinitionArn, DesiredCount: 4, RunningCount: 4, RolloutState: types.DeploymentRolloutStateCompleted, CreatedAt: aws.Time(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))}},
		Events:                  []types.ServiceEvent{{Id: aws.String("old-1"), Message: aws.String("(service api) has reached a steady state."), CreatedAt: aws.Time(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))}},
	}
	sc.td.ContainerDefinitions[0].Image = aws.String(ecrHost + "/api:old")
	f := sc.fake
	f.describeServices = func(in *ecs.DescribeServicesInput) (*ecs.DescribeServicesOutput, error) {
		if len(sc.updates) > 0 && sc.evolve != nil {
			sc.polls++
			sc.evolve(sc.polls, &sc.svc)
		}
		return &ecs.DescribeServicesOutput{Services: []types.Service{sc.svc}}, nil
	}
	f.describeTaskDef = func(in *ecs.DescribeTaskDefinitionInput) (*ecs.DescribeTaskDefinitionOutput, error) {
		return &ecs.DescribeTaskDefinitionOutput{TaskDefinition: sc.td, Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("platform")}}}, nil
	}
	f.registerTaskDef = func(in *ecs.RegisterTaskDefinitionInput) (*ecs.RegisterTaskDefinitionOutput, error) {
		sc.registered = append(sc.registered, in)
		sc.revision++
		arn := fmt.Sprintf("arn:aws:ecs:us-east-1:123456789012:task-definition/api:%d", sc.revision)
		return &ecs.RegisterTaskDefinitionOutput{TaskDefinition: &types.TaskDefinition{TaskDefinitionArn: aws.String(arn), Family: aws.String("api"), Revision: sc.revision}}, nil
	}
	f.updateService = func(in *ecs.UpdateServiceInput) (*ecs.UpdateServiceOutput, error) {
		sc.updates = append(sc.updates, in)
		id := fmt.Sprintf("ecs-svc/%d", len(sc.updates)+1)
		for i := range sc.svc.Deployments {
			sc.svc.Deployments[i].Status = aws.String("ACTIVE")
		}
		sc.svc.Deployments = append([]types.Deployment{{Id: aws.String(id), Status: aws.String("PRIMARY"), TaskDefinition: in.TaskDefinition, DesiredCount: 4, RolloutState: types.DeploymentRolloutStateInProgress, CreatedAt: aws.Time(time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC))}}, sc.svc.Deployments...)
		sc.svc.TaskDefinition = in.TaskDefinition
		sc.polls = 0
		return &ecs.UpdateServiceOutput{Service: &sc.svc}, nil
	}
	return sc
}

// complete makes the PRIMARY deployment finish and the others go.
func complete(s *types.Service) {
	p := s.Deployments[0]
	p.RunningCount, p.PendingCount, p.RolloutState = p.DesiredCount, 0, types.DeploymentRolloutStateCompleted
	s.Deployments = []types.Deployment{p}
	s.Events = append([]types.ServiceEvent{{Id: aws.String(fmt.Sprint("ev-", aws.ToString(p.Id))), Message: aws.String("(service api) has reached a steady state."), CreatedAt: aws.Time(time.Now())}}, s.Events...)
}

func (sc *scenario) deployer() (*Deployer, *[]ops.Event) {
	var events []ops.Event
	var mu sync.Mutex
	return &Deployer{
		ECS: sc.fake, ECR: &fakeECR{tags: map[string]bool{"api:new1": true, "api:crash": true}, immutable: true}, Logs: &fakeLogs{lines: []string{"panic: boom", "goroutine 1 [running]:"}},
		Region: "us-east-1", Clock: newFakeClock(), PollInterval: 5 * time.Second,
		Progress: func(e ops.Event) { mu.Lock(); events = append(events, e); mu.Unlock() },
	}, &events
}

func req(tag string) Request {
	return Request{Cluster: "prod", Services: []string{"api"}, Tag: tag, Timeout: 15 * time.Minute, KeepRevisions: 0}
}

func TestDeploySucceeds(t *testing.T) {
	sc := newScenario(t, true)
	sc.evolve = func(poll int, s *types.Service) {
		if poll == 1 {
			s.Deployments[0].RunningCount, s.Deployments[0].PendingCount = 2, 2
		}
		if poll == 3 {
			complete(s)
		}
	}
	d, events := sc.deployer()
	res, err := d.Deploy(context.Background(), req("new1"))
	if err != nil {
		t.Fatalf("deploy: %v", err)
	}
	r := res.Services[0]
	if r.Outcome != OutcomeSucceeded || r.DeploymentID != "ecs-svc/2" || !strings.HasSuffix(r.NewTaskDefinition, "api:43") {
		t.Fatalf("result = %+v", r)
	}
	in := sc.registered[0]
	if got := aws.ToString(in.ContainerDefinitions[0].Image); got != ecrHost+"/api:new1" {
		t.Errorf("app image = %s", got)
	}
	if got := aws.ToString(in.ContainerDefinitions[1].Image); got != "public.ecr.aws/appmesh/aws-appmesh-envoy:v1" {
		t.Errorf("sidecar image changed to %s", got)
	}
	if len(in.Tags) != 1 || aws.ToString(in.ExecutionRoleArn) == "" {
		t.Errorf("tags or executionRoleArn lost")
	}
	if sc.fake.n("DescribeServices") != 1+3 {
		t.Errorf("DescribeServices calls = %d, want 1 to prepare + 3 polls", sc.fake.n("DescribeServices"))
	}
	var sawProgress, sawSteady bool
	for _, e := range *events {
		sawProgress = sawProgress || (e.Kind == ops.EventProgress && strings.Contains(e.Message, "2/4 running, 2 pending"))
		sawSteady = sawSteady || (e.Kind == ops.EventService && strings.Contains(e.Message, "steady state"))
		if e.Kind == ops.EventService && strings.Contains(e.Message, "steady state") && e.Time.Year() == 2026 && e.Time.Month() == 11 && e.Time.Day() == 1 {
			t.Errorf("an event from before the deploy was streamed: %+v", e)
		}
	}
	if !sawProgress || !sawSteady {
		t.Errorf("progress %v steady %v in %+v", sawProgress, sawSteady, *events)
	}
}

func TestDeployBreakerRollbackIsAFailure(t *testing.T) {
	sc := newScenario(t, true)
	sc.evolve = func(poll int, s *types.Service) {
		switch poll {
		case 2:
			// ECS: ours FAILED, a new PRIMARY on the previous revision.
			s.Deployments[0].RolloutState = types.DeploymentRolloutStateFailed
			s.Deployments[0].RolloutStateReason = aws.String("ECS deployment circuit breaker: tasks failed to start.")
			s.Deployments[0].Status = aws.String("ACTIVE")
			s.Deployments = append([]types.Deployment{{Id: aws.String("ecs-svc/99"), Status: aws.String("PRIMARY"), TaskDefinition: sc.td.TaskDefinitionArn, DesiredCount: 4, RunningCount: 2, RolloutState: types.DeploymentRolloutStateInProgress}}, s.Deployments...)
		case 4:
			complete(s)
		}
	}
	d, _ := sc.deployer()
	res, err := d.Deploy(context.Background(), req("crash"))
	if !errors.Is(err, ops.ErrFailed) {
		t.Fatalf("err = %v, want ErrFailed", err)
	}
	r := res.Services[0]
	if r.Outcome != OutcomeBreakerRolledBack || r.Rollback == nil || r.Rollback.By != "circuit-breaker" || r.Rollback.Outcome != OutcomeSucceeded {
		t.Fatalf("result = %+v rollback %+v", r, r.Rollback)
	}
	if len(sc.updates) != 1 {
		t.Errorf("ecsctl updated the service %d times; the breaker already rolled back", len(sc.updates))
	}
}

func TestDeployCrashLoopWithoutBreakerRollsBack(t *testing.T) {
	for _, paged := range []bool{false, true} {
		t.Run(fmt.Sprintf("stopped tasks on a second page=%v", paged), func(t *testing.T) { testCrashLoopRollsBack(t, paged) })
	}
}

func testCrashLoopRollsBack(t *testing.T, paged bool) {
	sc := newScenario(t, false)
	stopped := 0
	sc.evolve = func(poll int, s *types.Service) {
		if len(sc.updates) == 1 {
			stopped = poll // one more crashed task per poll, failedTasks stays 0 as without the breaker
			s.Deployments[0].PendingCount = 1
			return
		}
		if poll == 2 {
			complete(s)
		}
	}
	sc.fake.listTasks = func(in *ecs.ListTasksInput) (*ecs.ListTasksOutput, error) {
		var arns []string
		for i := 1; i <= stopped; i++ {
			arns = append(arns, fmt.Sprintf("arn:aws:ecs:us-east-1:123456789012:task/prod/t%d", i))
		}
		if paged && in.NextToken == nil {
			// ECS may answer with a page that holds none of them.
			return &ecs.ListTasksOutput{NextToken: aws.String("page-2")}, nil
		}
		return &ecs.ListTasksOutput{TaskArns: arns}, nil
	}
	sc.fake.describeTasks = func(in *ecs.DescribeTasksInput) (*ecs.DescribeTasksOutput, error) {
		var out []types.Task
		for _, arn := range in.Tasks {
			out = append(out, types.Task{TaskArn: aws.String(arn), LastStatus: aws.String("STOPPED"), StartedBy: aws.String("ecs-svc/2"),
				StopCode: types.TaskStopCodeEssentialContainerExited, StoppedReason: aws.String("Essential container in task exited"),
				Containers: []types.Container{{Name: aws.String("app"), ExitCode: aws.Int32(1)}}})
		}
		return &ecs.DescribeTasksOutput{Tasks: out}, nil
	}
	d, _ := sc.deployer()
	res, err := d.Deploy(context.Background(), req("crash"))
	if !errors.Is(err, ops.ErrFailed) {
		t.Fatalf("err = %v", err)
	}
	r := res.Services[0]
	if r.Outcome != OutcomeRolledBack || r.Rollback == nil || r.Rollback.By != "ecsctl" || r.Rollback.Outcome != OutcomeSucceeded {
		t.Fatalf("result = %+v rollback %+v", r, r.Rollback)
	}
	if len(sc.updates) != 2 || aws.ToString(sc.updates[1].TaskDefinition) != aws.ToString(sc.td.TaskDefinitionArn) {
		t.Fatalf("rollback update = %+v", sc.updates)
	}
	if len(r.StoppedTasks) < 3 || r.StoppedTasks[0].ExitCodes["app"] != 1 || !strings.Contains(r.Reason, "exit 1") {
		t.Errorf("stopped tasks %+v reason %q", r.StoppedTasks, r.Reason)
	}
	if len(r.LogLines) != 2 || !strings.Contains(r.LogLines[0], "panic: boom") {
		t.Errorf("log lines = %v", r.LogLines)
	}
}

func TestDeployTimesOutAndRollsBack(t *testing.T) {
	sc := newScenario(t, true)
	sc.evolve = func(poll int, s *types.Service) {
		if len(sc.updates) == 2 && poll == 1 {
			complete(s)
		}
	}
	d, _ := sc.deployer()
	r := req("new1")
	r.Timeout = time.Minute
	res, err := d.Deploy(context.Background(), r)
	if !errors.Is(err, ops.ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
	if res.Services[0].Outcome != OutcomeRolledBack || !strings.Contains(res.Services[0].Reason, "no verdict within 1m0s") {
		t.Fatalf("result = %+v", res.Services[0])
	}
}

func TestDeployNoRollbackLeavesTheService(t *testing.T) {
	sc := newScenario(t, true)
	d, _ := sc.deployer()
	r := req("new1")
	r.Timeout, r.NoRollback = time.Minute, true
	res, err := d.Deploy(context.Background(), r)
	if !errors.Is(err, ops.ErrTimeout) || res.Services[0].Outcome != OutcomeTimedOut || len(sc.updates) != 1 {
		t.Fatalf("err %v outcome %s updates %d", err, res.Services[0].Outcome, len(sc.updates))
	}
}

func TestDeployRefusesBadInputBeforeAnyChange(t *testing.T) {
	cases := map[string]func(sc *scenario, r *Request){
		"latest":       func(sc *scenario, r *Request) { r.Tag = "latest" },
		"missing tag":  func(sc *scenario, r *Request) { r.Tag = "nope" },
		"bad tag":      func(sc *scenario, r *Request) { r.Tag = "-x" },
		"no container": func(sc *scenario, r *Request) { r.Containers = []string{"sidecar"} },
		"in progress": func(sc *scenario, r *Request) {
			sc.svc.Deployments[0].RolloutState = types.DeploymentRolloutStateInProgress
		},
		"no timeout": func(sc *scenario, r *Request) { r.Timeout = 0 },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			sc := newScenario(t, true)
			r := req("new1")
			mutate(sc, &r)
			d, _ := sc.deployer()
			_, err := d.Deploy(context.Background(), r)
			var ie *ops.InputError
			if !errors.As(err, &ie) {
				t.Fatalf("err = %v, want an InputError", err)
			}
			if sc.fake.n("RegisterTaskDefinition")+sc.fake.n("UpdateService") != 0 {
				t.Fatalf("changed something: %v", sc.fake.calls)
			}
		})
	}
}

func TestDeployUnknownServiceIsNotFound(t *testing.T) {
	sc := newScenario(t, true)
	sc.fake.describeServices = func(in *ecs.DescribeServicesInput) (*ecs.DescribeServicesOutput, error) {
		return &ecs.DescribeServicesOutput{Failures: []types.Failure{{Arn: aws.String("arn:aws:ecs:us-east-1:123456789012:service/prod/nope"), Reason: aws.String("MISSING")}}}, nil
	}
	d, _ := sc.deployer()
	r := req("new1")
	r.Services = []string{"nope"}
	_, err := d.Deploy(context.Background(), r)
	var nf *ops.NotFoundError
	if !errors.As(err, &nf) || !strings.Contains(err.Error(), "prod/nope") {
		t.Fatalf("err = %v", err)
	}
}

func TestDeployDryRunShowsDiffAndChangesNothing(t *testing.T) {
	sc := newScenario(t, true)
	d, _ := sc.deployer()
	r := req("new1")
	r.DryRun = true
	res, err := d.Deploy(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	if res.Services[0].Outcome != OutcomeDryRun || !strings.Contains(res.Services[0].Diff, "api:new1") || strings.Contains(res.Services[0].Diff, "tok-123") {
		t.Fatalf("dry run = %+v", res.Services[0])
	}
	if sc.fake.n("RegisterTaskDefinition")+sc.fake.n("UpdateService") != 0 {
		t.Fatal("dry run changed something")
	}
}

func TestDeployInterruptedStopsWaiting(t *testing.T) {
	sc := newScenario(t, true)
	ctx, cancel := context.WithCancel(context.Background())
	sc.evolve = func(poll int, s *types.Service) {
		if poll == 2 {
			cancel()
		}
	}
	d, _ := sc.deployer()
	res, err := d.Deploy(ctx, req("new1"))
	if !errors.Is(err, ops.ErrInterrupted) || res.Services[0].Outcome != OutcomeInterrupted {
		t.Fatalf("err %v result %+v", err, res.Services[0])
	}
	if len(sc.updates) != 1 {
		t.Fatal("an interrupted deploy must not roll back on its own")
	}
}

func TestDeployManyServicesSharesOnePoller(t *testing.T) {
	f := &fakeECS{}
	names := []string{}
	state := map[string]*types.Service{}
	td := liveTaskDef()
	td.ContainerDefinitions[0].Image = aws.String(ecrHost + "/api:old")
	for i := 0; i < 25; i++ {
		n := fmt.Sprintf("svc-%02d", i)
		names = append(names, n)
		state[n] = &types.Service{ServiceName: aws.String(n), Status: aws.String("ACTIVE"), DesiredCount: 2, TaskDefinition: td.TaskDefinitionArn,
			Deployments: []types.Deployment{{Id: aws.String("ecs-svc/old-" + n), Status: aws.String("PRIMARY"), TaskDefinition: td.TaskDefinitionArn, DesiredCount: 2, RunningCount: 2, RolloutState: types.DeploymentRolloutStateCompleted}}}
	}
	polls := map[string]int{}
	f.describeServices = func(in *ecs.DescribeServicesInput) (*ecs.DescribeServicesOutput, error) {
		var out []types.Service
		for _, n := range in.Services {
			s := state[n]
			if len(s.Deployments) > 1 {
				polls[n]++
				if polls[n] == 2 && n != "svc-07" {
					complete(s)
				}
				if polls[n] == 2 && n == "svc-07" {
					s.Deployments[0].RolloutState = types.DeploymentRolloutStateFailed
					s.Deployments[0].RolloutStateReason = aws.String("ECS deployment circuit breaker: tasks failed to start.")
				}
			}
			out = append(out, *s)
		}
		return &ecs.DescribeServicesOutput{Services: out}, nil
	}
	f.describeTaskDef = func(in *ecs.DescribeTaskDefinitionInput) (*ecs.DescribeTaskDefinitionOutput, error) {
		return &ecs.DescribeTaskDefinitionOutput{TaskDefinition: td}, nil
	}
	rev := 42
	f.registerTaskDef = func(in *ecs.RegisterTaskDefinitionInput) (*ecs.RegisterTaskDefinitionOutput, error) {
		rev++
		return &ecs.RegisterTaskDefinitionOutput{TaskDefinition: &types.TaskDefinition{TaskDefinitionArn: aws.String(fmt.Sprintf("arn:aws:ecs:us-east-1:123456789012:task-definition/api:%d", rev))}}, nil
	}
	f.updateService = func(in *ecs.UpdateServiceInput) (*ecs.UpdateServiceOutput, error) {
		s := state[aws.ToString(in.Service)]
		if aws.ToString(in.TaskDefinition) == aws.ToString(td.TaskDefinitionArn) { // the rollback
			s.Deployments = []types.Deployment{{Id: aws.String("ecs-svc/rb"), Status: aws.String("PRIMARY"), TaskDefinition: in.TaskDefinition, DesiredCount: 2, RunningCount: 2, RolloutState: types.DeploymentRolloutStateCompleted}}
			return &ecs.UpdateServiceOutput{Service: s}, nil
		}
		s.Deployments[0].Status = aws.String("ACTIVE")
		s.Deployments = append([]types.Deployment{{Id: aws.String("ecs-svc/new-" + aws.ToString(in.Service)), Status: aws.String("PRIMARY"), TaskDefinition: in.TaskDefinition, DesiredCount: 2, RolloutState: types.DeploymentRolloutStateInProgress}}, s.Deployments...)
		return &ecs.UpdateServiceOutput{Service: s}, nil
	}
	d := &Deployer{ECS: f, Clock: newFakeClock(), PollInterval: 5 * time.Second}
	res, err := d.Deploy(context.Background(), Request{Cluster: "prod", Services: names, Tag: "new1", Timeout: 10 * time.Minute, SkipImageCheck: true})
	if !errors.Is(err, ops.ErrFailed) {
		t.Fatalf("err = %v, want ErrFailed (one service failed)", err)
	}
	for _, r := range res.Services {
		want := OutcomeSucceeded
		if r.Service == "svc-07" {
			want = OutcomeRolledBack
		}
		if r.Outcome != want {
			t.Errorf("%s: outcome %s, want %s (%s)", r.Service, r.Outcome, want, r.Reason)
		}
	}
	// 3 batches to prepare, then rounds of ceil(25/10)=3 batches while all wait.
	if got := f.n("DescribeServices"); got > 3+3*3 {
		t.Errorf("DescribeServices calls = %d, want at most %d (10 services per call, one call per batch per poll)", got, 3+3*3)
	}
}

func TestDeployBacksOffOnThrottling(t *testing.T) {
	sc := newScenario(t, true)
	throttles := 0
	inner := sc.fake.describeServices
	sc.fake.describeServices = func(in *ecs.DescribeServicesInput) (*ecs.DescribeServicesOutput, error) {
		if len(sc.updates) > 0 && throttles < 3 {
			throttles++
			return nil, &smithy.GenericAPIError{Code: "ThrottlingException", Message: "Rate exceeded"}
		}
		return inner(in)
	}
	sc.evolve = func(poll int, s *types.Service) { complete(s) }
	d, events := sc.deployer()
	res, err := d.Deploy(context.Background(), req("new1"))
	if err != nil || res.Services[0].Outcome != OutcomeSucceeded {
		t.Fatalf("err %v outcome %s", err, res.Services[0].Outcome)
	}
	warned := 0
	for _, e := range *events {
		if e.Kind == ops.EventWarning {
			warned++
		}
	}
	if warned != 1 {
		t.Errorf("throttling warnings = %d, want one per streak", warned)
	}
}

func TestRollbackToPreviousRevision(t *testing.T) {
	sc := newScenario(t, true)
	sc.fake.listTaskDefs = func(in *ecs.ListTaskDefinitionsInput) (*ecs.ListTaskDefinitionsOutput, error) {
		return &ecs.ListTaskDefinitionsOutput{TaskDefinitionArns: []string{
			"arn:aws:ecs:us-east-1:123456789012:task-definition/api:42",
			"arn:aws:ecs:us-east-1:123456789012:task-definition/api:41",
			"arn:aws:ecs:us-east-1:123456789012:task-definition/api-gateway:99",
		}}, nil
	}
	sc.evolve = func(poll int, s *types.Service) { complete(s) }
	d, _ := sc.deployer()
	res, err := d.Rollback(context.Background(), RollbackRequest{Cluster: "prod", Service: "api", Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(sc.updates[0].TaskDefinition); !strings.HasSuffix(got, "api:41") || res.Services[0].Outcome != OutcomeSucceeded {
		t.Fatalf("rolled back to %s, outcome %s", got, res.Services[0].Outcome)
	}
}

func TestPruneRevisionsKeepsWhatIsInUse(t *testing.T) {
	f := &fakeECS{}
	var arns []string
	for r := 50; r >= 30; r-- {
		arns = append(arns, fmt.Sprintf("arn:aws:ecs:us-east-1:123456789012:task-definition/api:%d", r))
	}
	f.listTaskDefs = func(in *ecs.ListTaskDefinitionsInput) (*ecs.ListTaskDefinitionsOutput, error) {
		return &ecs.ListTaskDefinitionsOutput{TaskDefinitionArns: arns}, nil
	}
	f.listServices = func(in *ecs.ListServicesInput) (*ecs.ListServicesOutput, error) {
		return &ecs.ListServicesOutput{ServiceArns: []string{"arn:aws:ecs:us-east-1:123456789012:service/prod/api-canary"}}, nil
	}
	f.describeServices = func(in *ecs.DescribeServicesInput) (*ecs.DescribeServicesOutput, error) {
		return &ecs.DescribeServicesOutput{Services: []types.Service{{TaskDefinition: aws.String(arns[15])}}}, nil // api:35
	}
	f.listTasks = func(in *ecs.ListTasksInput) (*ecs.ListTasksOutput, error) {
		if in.DesiredStatus == types.DesiredStatusRunning {
			return &ecs.ListTasksOutput{TaskArns: []string{"t1"}}, nil
		}
		return &ecs.ListTasksOutput{}, nil
	}
	f.describeTasks = func(in *ecs.DescribeTasksInput) (*ecs.DescribeTasksOutput, error) {
		return &ecs.DescribeTasksOutput{Tasks: []types.Task{{TaskDefinitionArn: aws.String(arns[18])}}}, nil // api:32
	}
	var gone []string
	f.deregisterTaskDef = func(in *ecs.DeregisterTaskDefinitionInput) (*ecs.DeregisterTaskDefinitionOutput, error) {
		gone = append(gone, ops.ShortTaskDef(aws.ToString(in.TaskDefinition)))
		return &ecs.DeregisterTaskDefinitionOutput{}, nil
	}
	d := &Deployer{ECS: f, Clock: newFakeClock()}
	r := &ServiceResult{Cluster: "prod", Service: "api", NewTaskDefinition: arns[0], OldTaskDefinition: arns[1]}
	done, err := d.pruneRevisions(context.Background(), r, "api", 10)
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(done, ",")
	if len(done) != 9 || strings.Contains(joined, "api:35") || strings.Contains(joined, "api:32") || strings.Contains(joined, "api:41") {
		t.Fatalf("deregistered %v", done)
	}
}
