package deploy

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"

	"ecsctl/ops"
)

// fakeSDECS adds the service deployment API to fakeECS.
type fakeSDECS struct {
	*fakeECS
	describeSD func(in *ecs.DescribeServiceDeploymentsInput) (*ecs.DescribeServiceDeploymentsOutput, error)
	stopSD     func(in *ecs.StopServiceDeploymentInput) (*ecs.StopServiceDeploymentOutput, error)
}

func (f *fakeSDECS) ListServiceDeployments(_ context.Context, in *ecs.ListServiceDeploymentsInput, _ ...func(*ecs.Options)) (*ecs.ListServiceDeploymentsOutput, error) {
	f.count("ListServiceDeployments")
	return &ecs.ListServiceDeploymentsOutput{}, nil
}

func (f *fakeSDECS) DescribeServiceDeployments(_ context.Context, in *ecs.DescribeServiceDeploymentsInput, _ ...func(*ecs.Options)) (*ecs.DescribeServiceDeploymentsOutput, error) {
	f.count("DescribeServiceDeployments")
	return f.describeSD(in)
}

func (f *fakeSDECS) StopServiceDeployment(_ context.Context, in *ecs.StopServiceDeploymentInput, _ ...func(*ecs.Options)) (*ecs.StopServiceDeploymentOutput, error) {
	f.count("StopServiceDeployment")
	if f.stopSD == nil {
		return nil, notImplemented("StopServiceDeployment")
	}
	return f.stopSD(in)
}

const testSDArn = "arn:aws:ecs:us-east-1:123456789012:service-deployment/prod/api/abc"

// blueGreenScenario is a BLUE_GREEN service with a 5-minute bake time whose
// UpdateService names its service deployment; sd is what
// DescribeServiceDeployments answers.
func blueGreenScenario(t *testing.T) (*scenario, *fakeSDECS, *types.ServiceDeployment) {
	sc := newScenario(t, true)
	sc.svc.DeploymentConfiguration.Strategy = types.DeploymentStrategyBlueGreen
	sc.svc.DeploymentConfiguration.BakeTimeInMinutes = aws.Int32(5)
	update := sc.fake.updateService
	sc.fake.updateService = func(in *ecs.UpdateServiceInput) (*ecs.UpdateServiceOutput, error) {
		out, err := update(in)
		if err == nil {
			out.Service.CurrentServiceDeployment = aws.String(testSDArn)
		}
		return out, err
	}
	sd := &types.ServiceDeployment{ServiceDeploymentArn: aws.String(testSDArn), Status: types.ServiceDeploymentStatusInProgress,
		LifecycleStage: types.ServiceDeploymentLifecycleStageScaleUp, DeploymentConfiguration: sc.svc.DeploymentConfiguration,
		TargetServiceRevision:  &types.ServiceRevisionSummary{RequestedTaskCount: 4, RunningTaskCount: 4, RequestedProductionTrafficWeight: aws.Float64(0)},
		SourceServiceRevisions: []types.ServiceRevisionSummary{{RunningTaskCount: 4}}}
	f := &fakeSDECS{fakeECS: sc.fake, describeSD: func(in *ecs.DescribeServiceDeploymentsInput) (*ecs.DescribeServiceDeploymentsOutput, error) {
		if len(in.ServiceDeploymentArns) != 1 || in.ServiceDeploymentArns[0] != testSDArn {
			t.Errorf("described %v", in.ServiceDeploymentArns)
		}
		return &ecs.DescribeServiceDeploymentsOutput{ServiceDeployments: []types.ServiceDeployment{*sd}}, nil
	}}
	return sc, f, sd
}

func TestStrategyDeploySucceedsOnlyWhenServiceDeploymentIsSuccessful(t *testing.T) {
	sc, f, sd := blueGreenScenario(t)
	// Both revisions run (two deployments) the whole time; the bake time
	// alone outlasts the timeout.
	sc.evolve = func(poll int, s *types.Service) {
		switch {
		case poll == 2:
			sd.LifecycleStage = types.ServiceDeploymentLifecycleStageBakeTime
		case poll == 62: // 5 minutes of 5-second polls later
			sd.LifecycleStage = types.ServiceDeploymentLifecycleStageCleanUp
		case poll == 64:
			sd.Status = types.ServiceDeploymentStatusSuccessful
		}
	}
	d, events := sc.deployer()
	d.ECS = f
	r := req("new1")
	r.Timeout = 2 * time.Minute
	res, err := d.Deploy(context.Background(), r)
	if err != nil {
		t.Fatalf("deploy: %v (%+v)", err, res.Services[0])
	}
	if got := res.Services[0].Outcome; got != OutcomeSucceeded || sc.polls != 64 {
		t.Fatalf("outcome %s after %d polls, want succeeded after 64", got, sc.polls)
	}
	var bake []string
	for _, e := range *events {
		if e.Kind == ops.EventProgress && strings.Contains(e.Message, "BAKE_TIME") {
			bake = append(bake, e.Message)
		}
	}
	if len(bake) < 2 || !strings.Contains(bake[0], "BAKE_TIME 5m left") || !strings.Contains(bake[len(bake)-1], "s left") {
		t.Fatalf("bake progress: %q", bake)
	}
	if len(sc.updates) != 1 || f.n("StopServiceDeployment") != 0 {
		t.Fatalf("updates %d, stops %d", len(sc.updates), f.n("StopServiceDeployment"))
	}
}

func TestStrategyDeployReadsECSRollbackFromServiceDeployment(t *testing.T) {
	sc, f, sd := blueGreenScenario(t)
	sc.evolve = func(poll int, s *types.Service) {
		switch poll {
		case 2:
			sd.Status = types.ServiceDeploymentStatusRollbackInProgress
			sd.Rollback = &types.Rollback{Reason: aws.String("Circuit breaker triggered a rollback")}
			sd.DeploymentCircuitBreaker = &types.ServiceDeploymentCircuitBreaker{FailureCount: 3}
		case 4:
			sd.Status = types.ServiceDeploymentStatusRollbackSuccessful
		}
	}
	d, _ := sc.deployer()
	d.ECS = f
	res, err := d.Deploy(context.Background(), req("crash"))
	if !errors.Is(err, ops.ErrFailed) {
		t.Fatalf("err = %v", err)
	}
	r := res.Services[0]
	if r.Outcome != OutcomeBreakerRolledBack || r.Rollback == nil || r.Rollback.By != "circuit-breaker" || r.Reason != "Circuit breaker triggered a rollback" {
		t.Fatalf("result %+v rollback %+v", r, r.Rollback)
	}
	if len(sc.updates) != 1 || f.n("StopServiceDeployment") != 0 {
		t.Fatalf("ecsctl acted on ECS's rollback: updates %d stops %d", len(sc.updates), f.n("StopServiceDeployment"))
	}
}

func TestStrategyDeployRollsBackWithStopServiceDeployment(t *testing.T) {
	sc, f, sd := blueGreenScenario(t)
	sc.svc.DeploymentConfiguration.DeploymentCircuitBreaker.Enable = false
	failed := types.Task{TaskArn: aws.String("arn:aws:ecs:us-east-1:123456789012:task/prod/t1"), LastStatus: aws.String("STOPPED"), StartedBy: aws.String("ecs-svc/2"),
		StopCode: types.TaskStopCodeEssentialContainerExited, StoppedReason: aws.String("Essential container in task exited"),
		Containers: []types.Container{{Name: aws.String("app"), ExitCode: aws.Int32(1)}}}
	sc.fake.listTasks = func(in *ecs.ListTasksInput) (*ecs.ListTasksOutput, error) {
		return &ecs.ListTasksOutput{TaskArns: []string{"t1", "t2", "t3"}}, nil
	}
	sc.fake.describeTasks = func(in *ecs.DescribeTasksInput) (*ecs.DescribeTasksOutput, error) {
		var out []types.Task
		for _, a := range in.Tasks {
			tk := failed
			tk.TaskArn = aws.String(a)
			out = append(out, tk)
		}
		return &ecs.DescribeTasksOutput{Tasks: out}, nil
	}
	var stopped *ecs.StopServiceDeploymentInput
	f.stopSD = func(in *ecs.StopServiceDeploymentInput) (*ecs.StopServiceDeploymentOutput, error) {
		stopped = in
		sd.Status = types.ServiceDeploymentStatusRollbackInProgress
		return &ecs.StopServiceDeploymentOutput{ServiceDeploymentArn: in.ServiceDeploymentArn}, nil
	}
	sc.evolve = func(poll int, s *types.Service) {
		if stopped != nil && sd.Status == types.ServiceDeploymentStatusRollbackInProgress && poll > 5 {
			sd.Status = types.ServiceDeploymentStatusRollbackSuccessful
		}
	}
	d, _ := sc.deployer()
	d.ECS = f
	res, err := d.Deploy(context.Background(), req("crash"))
	if !errors.Is(err, ops.ErrFailed) {
		t.Fatalf("err = %v", err)
	}
	r := res.Services[0]
	if r.Outcome != OutcomeRolledBack || r.Rollback == nil || r.Rollback.By != "ecsctl" || r.Rollback.Outcome != OutcomeSucceeded {
		t.Fatalf("result %+v rollback %+v", r, r.Rollback)
	}
	if stopped == nil || aws.ToString(stopped.ServiceDeploymentArn) != testSDArn || stopped.StopType != types.StopServiceDeploymentStopTypeRollback {
		t.Fatalf("stop: %+v", stopped)
	}
	if len(sc.updates) != 1 {
		t.Fatalf("rollback by UpdateService mid-shift: %d updates", len(sc.updates))
	}
}

func TestStrategyDeployFallsBackWhenServiceDeploymentAPIIsDenied(t *testing.T) {
	sc, f, _ := blueGreenScenario(t)
	f.describeSD = func(*ecs.DescribeServiceDeploymentsInput) (*ecs.DescribeServiceDeploymentsOutput, error) {
		return nil, &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "not authorized to perform: ecs:DescribeServiceDeployments"}
	}
	sc.evolve = func(poll int, s *types.Service) {
		if poll == 3 {
			complete(s)
		}
	}
	d, events := sc.deployer()
	d.ECS = f
	res, err := d.Deploy(context.Background(), req("new1"))
	if err != nil || res.Services[0].Outcome != OutcomeSucceeded {
		t.Fatalf("deploy: %v %+v", err, res.Services[0])
	}
	noted := false
	for _, e := range *events {
		noted = noted || (e.Kind == ops.EventWarning && strings.Contains(e.Message, "following DescribeServices only"))
	}
	if !noted || f.n("DescribeServiceDeployments") != 1 {
		t.Fatalf("no fallback note, or the denied call was repeated (%d)", f.n("DescribeServiceDeployments"))
	}
}

func TestDeployAndRollbackRefuseOtherControllersBeforeAnyChange(t *testing.T) {
	for _, ctl := range []types.DeploymentControllerType{types.DeploymentControllerTypeCodeDeploy, types.DeploymentControllerTypeExternal} {
		sc := newScenario(t, false)
		sc.svc.DeploymentController = &types.DeploymentController{Type: ctl}
		d, _ := sc.deployer()
		_, err := d.Deploy(context.Background(), req("new1"))
		var ie *ops.InputError
		if !errors.As(err, &ie) || !strings.Contains(err.Error(), string(ctl)) {
			t.Fatalf("%s deploy: %v", ctl, err)
		}
		_, err = d.Rollback(context.Background(), RollbackRequest{Cluster: "prod", Service: "api", Timeout: time.Minute})
		if !errors.As(err, &ie) || !strings.Contains(err.Error(), string(ctl)) {
			t.Fatalf("%s rollback: %v", ctl, err)
		}
		if sc.fake.n("RegisterTaskDefinition")+sc.fake.n("UpdateService") != 0 {
			t.Fatalf("%s: changed something: %v", ctl, sc.fake.calls)
		}
	}
}

func TestStrategyDeployIsNotRolledBackBlindWhenTheAPIIsDenied(t *testing.T) {
	sc, f, _ := blueGreenScenario(t)
	f.describeSD = func(*ecs.DescribeServiceDeploymentsInput) (*ecs.DescribeServiceDeploymentsOutput, error) {
		return nil, &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "not authorized"}
	}
	d, _ := sc.deployer()
	d.ECS = f
	r := req("new1")
	r.Timeout = time.Minute // both revisions run on; the timeout decides
	res, err := d.Deploy(context.Background(), r)
	if !errors.Is(err, ops.ErrTimeout) {
		t.Fatalf("err = %v", err)
	}
	if got := res.Services[0]; got.Outcome != OutcomeFailed || !strings.Contains(got.Reason, "not rolled back") || !strings.Contains(got.Reason, "stop-service-deployment") {
		t.Fatalf("result %+v", got)
	}
	if len(sc.updates) != 1 || f.n("StopServiceDeployment") != 0 {
		t.Fatalf("rolled back blind: updates %d stops %d", len(sc.updates), f.n("StopServiceDeployment"))
	}
}
