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
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

type fakeDeployELB struct {
	delay string
	err   error
	calls int
}

// DescribeTargetHealth is not what the phase reads: a call fails the test.
func (f *fakeDeployELB) DescribeTargetHealth(context.Context, *elb.DescribeTargetHealthInput, ...func(*elb.Options)) (*elb.DescribeTargetHealthOutput, error) {
	return nil, errors.New("unexpected DescribeTargetHealth")
}

func (f *fakeDeployELB) DescribeTargetGroupAttributes(_ context.Context, in *elb.DescribeTargetGroupAttributesInput, _ ...func(*elb.Options)) (*elb.DescribeTargetGroupAttributesOutput, error) {
	f.calls++
	if f.err != nil {
		return nil, f.err
	}
	return &elb.DescribeTargetGroupAttributesOutput{Attributes: []elbtypes.TargetGroupAttribute{
		{Key: aws.String("stickiness.enabled"), Value: aws.String("false")},
		{Key: aws.String("deregistration_delay.timeout_seconds"), Value: aws.String(f.delay)}}}, nil
}

func phaseService(lb bool, ours, old types.Deployment) types.Service {
	s := types.Service{ServiceName: aws.String("api"), Deployments: []types.Deployment{ours}}
	if old.Id != nil {
		s.Deployments = append(s.Deployments, old)
	}
	if lb {
		s.LoadBalancers = []types.LoadBalancer{{TargetGroupArn: aws.String("arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/api/1")}}
	}
	return s
}

// The phase names what ECS is doing; while old tasks drain it reads the
// deregistration delay once and estimates the time left from ECS's "has
// begun draining connections" event (DEACTIVATING tasks have no stoppingAt:
// that is when they move on to STOPPING), re-listing them at most every 30 s.
func TestDescribePhase(t *testing.T) {
	clock := newFakeClock()
	began := clock.Now().Add(-100 * time.Second)
	oldStatus := "DEACTIVATING"
	f := &fakeECS{
		listTasks: func(in *ecs.ListTasksInput) (*ecs.ListTasksOutput, error) {
			return &ecs.ListTasksOutput{TaskArns: []string{"t/old1", "t/old2", "t/old3", "t/new-stopped"}}, nil
		},
		describeTasks: func(in *ecs.DescribeTasksInput) (*ecs.DescribeTasksOutput, error) {
			return &ecs.DescribeTasksOutput{Tasks: []types.Task{
				{TaskArn: aws.String("t/old1"), LastStatus: aws.String(oldStatus), StartedBy: aws.String("ecs-svc/old")},
				{TaskArn: aws.String("t/old2"), LastStatus: aws.String(oldStatus), StartedBy: aws.String("ecs-svc/old")},
				{TaskArn: aws.String("t/old3"), LastStatus: aws.String("STOPPED"), StartedBy: aws.String("ecs-svc/old")},
				{TaskArn: aws.String("t/new-stopped"), LastStatus: aws.String("STOPPING"), StartedBy: aws.String("ecs-svc/new")},
			}}, nil
		},
	}
	fe := &fakeDeployELB{delay: "300"}
	d := &Deployer{ECS: f, ELB: fe, Clock: clock}
	w := &watch{res: &ServiceResult{Cluster: "prod", Service: "api"}, depID: "ecs-svc/new", timeout: time.Hour}
	req := Request{Cluster: "prod"}
	ours := types.Deployment{Id: aws.String("ecs-svc/new"), Status: aws.String("PRIMARY"), DesiredCount: 4, RunningCount: 1, PendingCount: 3,
		CreatedAt: aws.Time(clock.Now().Add(-5 * time.Minute))}
	old := types.Deployment{Id: aws.String("ecs-svc/old"), Status: aws.String("ACTIVE"), DesiredCount: 0}
	withEvents := func(s types.Service) types.Service {
		s.Events = []types.ServiceEvent{
			{CreatedAt: aws.Time(began), Message: aws.String("(service api) has begun draining connections on 2 tasks.")},
			{CreatedAt: aws.Time(clock.Now().Add(-time.Hour)), Message: aws.String("(service api) has begun draining connections on 4 tasks.")}, // an older deploy's
		}
		return s
	}

	text, _, known := d.describePhase(context.Background(), req, w, phaseService(true, ours, old), &ours)
	if !strings.HasPrefix(text, "starting 3 new task(s) · old tasks keep serving") || known {
		t.Errorf("starting: %q %v", text, known)
	}
	ours.RunningCount, ours.PendingCount = 4, 0
	text, left, known := d.describePhase(context.Background(), req, w, withEvents(phaseService(true, ours, old)), &ours)
	if text != "new tasks healthy · draining 2 old task(s) · deregistration delay 300s" || !known || left != 200*time.Second {
		t.Errorf("draining: %q %s %v", text, left, known)
	}
	clock.After(10 * time.Second)
	if _, left, _ := d.describePhase(context.Background(), req, w, withEvents(phaseService(true, ours, old)), &ours); left != 190*time.Second || f.n("ListTasks") != 1 || fe.calls != 1 {
		t.Errorf("10 s later: left %s, %d ListTasks, %d attribute reads (want 190s, 1, 1)", left, f.n("ListTasks"), fe.calls)
	}
	// Their targets drained, the old tasks are STOPPING: the delay is over.
	oldStatus = "STOPPING"
	clock.After(drainRecheck)
	if text, _, known := d.describePhase(context.Background(), req, w, withEvents(phaseService(true, ours, old)), &ours); text != "new tasks healthy · stopping 2 old task(s) (their targets have drained)" || known {
		t.Errorf("stopping: %q %v", text, known)
	}
	oldStatus = "DEACTIVATING"
	ours.RolloutState = types.DeploymentRolloutStateCompleted
	if text, _, _ := d.describePhase(context.Background(), req, w, phaseService(true, ours, types.Deployment{}), &ours); text != "" {
		t.Errorf("completed: %q", text)
	}
	// Without a readable delay (no permission): named, no estimate.
	w2 := &watch{res: &ServiceResult{Cluster: "prod", Service: "api"}, depID: "ecs-svc/new", timeout: time.Hour}
	d.ELB = &fakeDeployELB{err: errors.New("AccessDenied")}
	ours.RolloutState = types.DeploymentRolloutStateInProgress
	text, _, known = d.describePhase(context.Background(), req, w2, phaseService(true, ours, old), &ours)
	if text != "new tasks healthy · draining 2 old task(s) from the load balancer" || known {
		t.Errorf("no delay: %q %v", text, known)
	}
}
