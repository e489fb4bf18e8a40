package deploy

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"ecsctl/ops"
)

// killResumeFamily makes the family's newest revision api:43 with the given
// app image (the live one is api:42), as an earlier, killed run left it.
func killResumeFamily(sc *scenario, image string) {
	newer := *sc.td
	newer.ContainerDefinitions = append([]types.ContainerDefinition(nil), sc.td.ContainerDefinitions...)
	newer.ContainerDefinitions[0].Image = aws.String(image)
	newer.Revision = 43
	newer.TaskDefinitionArn = aws.String("arn:aws:ecs:us-east-1:123456789012:task-definition/api:43")
	sc.revision = 43
	live := sc.fake.describeTaskDef
	sc.fake.describeTaskDef = func(in *ecs.DescribeTaskDefinitionInput) (*ecs.DescribeTaskDefinitionOutput, error) {
		if name := aws.ToString(in.TaskDefinition); name == "api" || strings.HasSuffix(name, "api:43") {
			return &ecs.DescribeTaskDefinitionOutput{TaskDefinition: &newer, Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("platform")}}}, nil
		}
		return live(in)
	}
}

func TestDeployReRunReusesTheRevisionAKilledRunRegistered(t *testing.T) {
	for _, tc := range []struct {
		name, newest string
		registers    int
		deployed     string
	}{
		{"same content: reused", ecrHost + "/api:new1", 0, "api:43"},
		{"other content: a new revision", ecrHost + "/api:other", 1, "api:44"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc := newScenario(t, true)
			killResumeFamily(sc, tc.newest)
			sc.evolve = func(poll int, s *types.Service) { complete(s) }
			d, _ := sc.deployer()
			res, err := d.Deploy(context.Background(), req("new1"))
			if err != nil {
				t.Fatalf("deploy: %v", err)
			}
			if n := sc.fake.n("RegisterTaskDefinition"); n != tc.registers {
				t.Errorf("%d registrations, want %d", n, tc.registers)
			}
			if len(sc.updates) != 1 || !strings.HasSuffix(aws.ToString(sc.updates[0].TaskDefinition), tc.deployed) {
				t.Fatalf("updates %+v, want one to %s", sc.updates, tc.deployed)
			}
			if r := res.Services[0]; r.Outcome != OutcomeSucceeded || !strings.HasSuffix(r.NewTaskDefinition, tc.deployed) {
				t.Errorf("result %+v", r)
			}
		})
	}
}

// killRollingBackService: the service is going back to api:42 from api:43 (an
// earlier run's deployment that failed); the failed deployment is gone.
func killRollingBackService(sc *scenario, reason string) {
	sc.svc.Deployments = []types.Deployment{
		{Id: aws.String("ecs-svc/3"), Status: aws.String("PRIMARY"), TaskDefinition: sc.td.TaskDefinitionArn, DesiredCount: 4, RunningCount: 1,
			RolloutState: types.DeploymentRolloutStateInProgress, RolloutStateReason: aws.String(reason), CreatedAt: aws.Time(time.Date(2026, 11, 21, 9, 59, 0, 0, time.UTC))},
		{Id: aws.String("ecs-svc/1"), Status: aws.String("ACTIVE"), TaskDefinition: sc.td.TaskDefinitionArn, DesiredCount: 3, RunningCount: 3, RolloutState: types.DeploymentRolloutStateCompleted},
	}
	polls := 0
	sc.fake.describeServices = func(in *ecs.DescribeServicesInput) (*ecs.DescribeServicesOutput, error) {
		if polls++; polls == 3 {
			complete(&sc.svc)
		}
		return &ecs.DescribeServicesOutput{Services: []types.Service{sc.svc}}, nil
	}
}

func TestDeployReRunFollowsTheRollbackOfItsFailedDeployment(t *testing.T) {
	for _, tc := range []struct {
		name, reason, by, outcome string
	}{
		{"circuit breaker", "ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/1.", "circuit-breaker", OutcomeBreakerRolledBack},
		{"ecsctl", "", "ecsctl", OutcomeRolledBack},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc := newScenario(t, true)
			killResumeFamily(sc, ecrHost+"/api:new1")
			killRollingBackService(sc, tc.reason)
			d, _ := sc.deployer()
			res, err := d.Deploy(context.Background(), req("new1"))
			if !errors.Is(err, ops.ErrFailed) {
				t.Fatalf("err = %v, want the failed verdict", err)
			}
			r := res.Services[0]
			if r.Outcome != tc.outcome || r.Rollback == nil || r.Rollback.By != tc.by || r.Rollback.Outcome != OutcomeSucceeded || r.Rollback.DeploymentID != "ecs-svc/3" {
				t.Fatalf("result %+v rollback %+v", r, r.Rollback)
			}
			if !strings.HasSuffix(r.NewTaskDefinition, "api:43") || !strings.HasSuffix(r.OldTaskDefinition, "api:42") {
				t.Errorf("from %s to %s", r.OldTaskDefinition, r.NewTaskDefinition)
			}
			if n := sc.fake.n("RegisterTaskDefinition") + sc.fake.n("UpdateService"); n != 0 {
				t.Errorf("%d mutating calls while following a rollback", n)
			}
		})
	}
	t.Run("someone else's deployment is still refused", func(t *testing.T) {
		sc := newScenario(t, true)
		killResumeFamily(sc, ecrHost+"/api:other")
		killRollingBackService(sc, "")
		d, _ := sc.deployer()
		_, err := d.Deploy(context.Background(), req("new1"))
		var ie *ops.InputError
		if !errors.As(err, &ie) || !strings.Contains(err.Error(), "has a deployment in progress") {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestDeployInterruptedWithTheUpdateInFlight(t *testing.T) {
	sc := newScenario(t, true)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sc.fake.updateService = func(in *ecs.UpdateServiceInput) (*ecs.UpdateServiceOutput, error) {
		cancel() // Ctrl-C while the call is in flight
		return nil, fmt.Errorf("operation error ECS: UpdateService, https response error StatusCode: 0, canceled, %w", context.Canceled)
	}
	d, _ := sc.deployer()
	res, err := d.Deploy(ctx, req("new1"))
	if !errors.Is(err, ops.ErrInterrupted) {
		t.Fatalf("err = %v, want interrupted", err)
	}
	r := res.Services[0]
	if r.Outcome != OutcomeInterrupted || r.Reason != "stopped while update service prod/api was in flight (AWS may have applied it)" {
		t.Errorf("outcome %s reason %q", r.Outcome, r.Reason)
	}
}

func TestDeployInterruptedDuringItsRollbackSaysSo(t *testing.T) {
	sc := newScenario(t, true)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sc.evolve = func(poll int, s *types.Service) {
		if len(sc.updates) == 2 && poll == 1 {
			cancel() // Ctrl-C while the rollback is followed
		}
	}
	d, _ := sc.deployer()
	r := req("new1")
	r.Timeout = time.Minute // no verdict: ecsctl rolls back
	res, err := d.Deploy(ctx, r)
	if !errors.Is(err, ops.ErrInterrupted) {
		t.Fatalf("err = %v, want interrupted", err)
	}
	s := res.Services[0]
	if s.Outcome != OutcomeInterrupted || s.Rollback == nil || s.Rollback.Outcome != OutcomeInterrupted ||
		!strings.HasPrefix(s.Reason, "deploy failed (no verdict within 1m0s") || !strings.Contains(s.Reason, "stopped waiting for the rollback by ecsctl to api:42") {
		t.Fatalf("result %+v rollback %+v", s, s.Rollback)
	}
}
