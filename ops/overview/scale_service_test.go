package overview

import (
	"context"
	"ecsctl/ops"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// scaleFakeECS plays a service that reaches the desired count after some polls.
type scaleFakeECS struct {
	overviewFakeECS
	desired, running int32
	stepsToSteady    int // polls after the update until running == desired
	polls            int
	updates          []int32
	failRollout      bool
}

func (f *scaleFakeECS) DescribeServices(_ context.Context, in *ecs.DescribeServicesInput, _ ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error) {
	f.count("DescribeServices")
	if in.Services[0] != "api" {
		return &ecs.DescribeServicesOutput{Failures: []types.Failure{{Arn: aws.String(in.Services[0]), Reason: aws.String("MISSING")}}}, nil
	}
	if len(f.updates) > 0 {
		f.polls++
		if f.polls >= f.stepsToSteady {
			f.running = f.desired
		}
	}
	state := types.DeploymentRolloutStateCompleted
	if f.failRollout && f.polls > 1 {
		state = types.DeploymentRolloutStateFailed
	}
	return &ecs.DescribeServicesOutput{Services: []types.Service{{ServiceName: aws.String("api"), Status: aws.String("ACTIVE"),
		DesiredCount: f.desired, RunningCount: f.running,
		Deployments: []types.Deployment{{Status: aws.String("PRIMARY"), RolloutState: state, RolloutStateReason: aws.String("tasks failed to start")}}}}}, nil
}

func (f *scaleFakeECS) UpdateService(_ context.Context, in *ecs.UpdateServiceInput, _ ...func(*ecs.Options)) (*ecs.UpdateServiceOutput, error) {
	f.count("UpdateService")
	f.updates = append(f.updates, aws.ToInt32(in.DesiredCount))
	f.desired = aws.ToInt32(in.DesiredCount)
	return &ecs.UpdateServiceOutput{}, nil
}

type scaleFakeAAS struct {
	min, max  int32
	none      bool
	registers []applicationautoscaling.RegisterScalableTargetInput
}

func (f *scaleFakeAAS) DescribeScalableTargets(_ context.Context, in *applicationautoscaling.DescribeScalableTargetsInput, _ ...func(*applicationautoscaling.Options)) (*applicationautoscaling.DescribeScalableTargetsOutput, error) {
	if f.none {
		return &applicationautoscaling.DescribeScalableTargetsOutput{}, nil
	}
	return &applicationautoscaling.DescribeScalableTargetsOutput{ScalableTargets: []aastypes.ScalableTarget{{ResourceId: aws.String(in.ResourceIds[0]),
		MinCapacity: aws.Int32(f.min), MaxCapacity: aws.Int32(f.max)}}}, nil
}

func (f *scaleFakeAAS) RegisterScalableTarget(_ context.Context, in *applicationautoscaling.RegisterScalableTargetInput, _ ...func(*applicationautoscaling.Options)) (*applicationautoscaling.RegisterScalableTargetOutput, error) {
	f.registers = append(f.registers, *in)
	return &applicationautoscaling.RegisterScalableTargetOutput{}, nil
}

func TestScaleServiceWaitsUntilSteady(t *testing.T) {
	f := &scaleFakeECS{desired: 2, running: 2, stepsToSteady: 4}
	aas := &scaleFakeAAS{none: true}
	var lines []string
	s := &ServiceScaler{ECS: f, AAS: aas, Clock: newFakeClock(), PollInterval: 5 * time.Second,
		Progress: func(e ops.Event) { lines = append(lines, e.Message) }}
	res, err := s.Scale(context.Background(), ScaleServiceRequest{Cluster: "prod", Service: "api", Count: 6, Wait: true, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != "steady" || res.From != 2 || res.To != 6 || res.Running != 6 || res.DurationSeconds != 15 {
		t.Errorf("result %+v", res)
	}
	if len(f.updates) != 1 || f.updates[0] != 6 {
		t.Errorf("updates %v", f.updates)
	}
	if got := strings.Join(lines, "|"); got != "desired count 2 → 6|2/6 running, 0 pending|6/6 running, 0 pending|steady at 6 running" {
		t.Errorf("progress %s", got)
	}
}

func TestScaleServiceTimeoutFailureAndInterrupt(t *testing.T) {
	f := &scaleFakeECS{desired: 2, running: 2, stepsToSteady: 1000}
	s := &ServiceScaler{ECS: f, Clock: newFakeClock(), PollInterval: 10 * time.Second}
	res, err := s.Scale(context.Background(), ScaleServiceRequest{Cluster: "prod", Service: "api", Count: 3, Wait: true, Timeout: 25 * time.Second})
	if !errors.Is(err, ops.ErrTimeout) || res.Outcome != "timed-out" {
		t.Errorf("timeout: %v %+v", err, res)
	}
	f = &scaleFakeECS{desired: 2, running: 2, stepsToSteady: 1000, failRollout: true}
	s.ECS = f
	if _, err := s.Scale(context.Background(), ScaleServiceRequest{Cluster: "prod", Service: "api", Count: 3, Wait: true, Timeout: time.Hour}); !errors.Is(err, ops.ErrFailed) || !strings.Contains(err.Error(), "tasks failed to start") {
		t.Errorf("failed rollout: %v", err)
	}
	f = &scaleFakeECS{desired: 2, running: 2, stepsToSteady: 1000}
	s.ECS = f
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Scale(ctx, ScaleServiceRequest{Cluster: "prod", Service: "api", Count: 3, Wait: true, Timeout: time.Hour}); !errors.Is(err, ops.ErrInterrupted) && !errors.Is(err, context.Canceled) {
		t.Errorf("interrupted: %v", err)
	}
}

func TestScaleServiceAutoscalingBounds(t *testing.T) {
	f := &scaleFakeECS{desired: 4, running: 4}
	aas := &scaleFakeAAS{min: 4, max: 20}
	s := &ServiceScaler{ECS: f, AAS: aas, Clock: newFakeClock()}
	_, err := s.Scale(context.Background(), ScaleServiceRequest{Cluster: "prod", Service: "api", Count: 2})
	var ie *ops.InputError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), "below the Application Auto Scaling min of 4") || len(aas.registers) != 0 || f.desired != 4 {
		t.Errorf("below min without a flag: %v %v desired %d", err, aas.registers, f.desired)
	}
	res, err := s.Scale(context.Background(), ScaleServiceRequest{Cluster: "prod", Service: "api", Count: 2, OutsideAutoscaling: true})
	if err != nil || !strings.Contains(res.Warning, "between 4 and 20") || len(aas.registers) != 0 || f.desired != 2 {
		t.Errorf("warning only: %v %+v %v", err, res, aas.registers)
	}
	res, err = s.Scale(context.Background(), ScaleServiceRequest{Cluster: "prod", Service: "api", Count: 30, UpdateAutoscaling: true})
	if err != nil || res.Warning != "" || len(aas.registers) != 1 || aws.ToInt32(aas.registers[0].MinCapacity) != 4 || aws.ToInt32(aas.registers[0].MaxCapacity) != 30 ||
		aws.ToString(aas.registers[0].ResourceId) != "service/prod/api" {
		t.Errorf("update bounds: %v %+v %+v", err, res, aas.registers)
	}
	res, err = s.Scale(context.Background(), ScaleServiceRequest{Cluster: "prod", Service: "api", Count: 50, UpdateAutoscaling: true, DryRun: true})
	if err != nil || res.Outcome != "dry-run" || len(aas.registers) != 1 || f.desired != 30 || res.AutoscalingUpdated.Max != 50 {
		t.Errorf("dry run changed something: %v %+v", err, res)
	}
}

func TestScaleServiceValidation(t *testing.T) {
	f := &scaleFakeECS{desired: 1, running: 1}
	s := &ServiceScaler{ECS: f}
	var ie *ops.InputError
	for _, r := range []ScaleServiceRequest{
		{Cluster: "prod", Service: "api", Count: -1},
		{Cluster: "prod", Service: "api", Count: 5001},
		{Cluster: "", Service: "api", Count: 1},
		{Cluster: "prod", Service: "api", Count: 1, Wait: true},
	} {
		if _, err := s.Scale(context.Background(), r); !errors.As(err, &ie) {
			t.Errorf("%+v: %v", r, err)
		}
	}
	if n := len(f.calls); n != 0 {
		t.Errorf("AWS called on bad input: %v", f.calls)
	}
	var nf *ops.NotFoundError
	if _, err := s.Scale(context.Background(), ScaleServiceRequest{Cluster: "prod", Service: "ghost", Count: 1}); !errors.As(err, &nf) || nf.Name != "prod/ghost" {
		t.Errorf("unknown service: %v", err)
	}
}

// A scale-out's wait names the tasks ECS still starts, estimated with the
// usual task start until this wait's first new task has run, then with
// what that one took; at the count it names nothing.
func TestScalePhase(t *testing.T) {
	start := time.Date(2026, 12, 4, 16, 0, 0, 0, time.UTC)
	p := &scalePhase{start: start, running: -1}
	text, left, known := p.describe(start.Add(5*time.Second), 2, 0, 8, "2/8 running, 0 pending")
	if text != "ECS places and starts 6 tasks · usually about 20s" || left != 15*time.Second || !known {
		t.Errorf("before any started: %q %s %v", text, left, known)
	}
	text, left, _ = p.describe(start.Add(30*time.Second), 4, 4, 8, "4/8 running, 4 pending")
	if text != "starting 4 tasks (4 pending) · the first took 30s" || left != 0 {
		t.Errorf("after the first: %q %s", text, left)
	}
	if text, _, _ := p.describe(start.Add(40*time.Second), 8, 0, 8, "8/8 running, 0 pending"); text != "" {
		t.Errorf("at the count: %q", text)
	}
}
