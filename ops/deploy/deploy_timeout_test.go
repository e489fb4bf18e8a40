package deploy

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"ecsctl/ops"
)

// At the timeout the new deployment has all 4 tasks running while the old
// one drains: healthy tasks make it a success; one UNHEALTHY task (its
// container health check failing) makes it the timeout it was, rolled back
// and followed for --rollback-timeout.
func TestDeployTimeoutWithOnlyOldTasksDraining(t *testing.T) {
	for _, health := range []types.HealthStatus{types.HealthStatusHealthy, types.HealthStatusUnhealthy} {
		t.Run(string(health), func(t *testing.T) {
			sc := newScenario(t, true)
			sc.td.ContainerDefinitions[0].HealthCheck = &types.HealthCheck{Command: []string{"CMD", "true"}}
			sc.evolve = func(poll int, s *types.Service) {
				p := &s.Deployments[0]
				if len(sc.updates) == 1 {
					p.RunningCount, p.PendingCount = p.DesiredCount, 0 // the old deployment stays, draining
				} else if poll == 1 {
					complete(s)
				}
			}
			sc.fake.listTasks = func(in *ecs.ListTasksInput) (*ecs.ListTasksOutput, error) {
				if in.DesiredStatus != types.DesiredStatusRunning {
					return &ecs.ListTasksOutput{}, nil
				}
				var arns []string
				for i := 1; i <= 4; i++ {
					arns = append(arns, fmt.Sprintf("arn:aws:ecs:us-east-1:123456789012:task/prod/n%d", i))
				}
				return &ecs.ListTasksOutput{TaskArns: arns}, nil
			}
			sc.fake.describeTasks = func(in *ecs.DescribeTasksInput) (*ecs.DescribeTasksOutput, error) {
				var out []types.Task
				for i, arn := range in.Tasks {
					h := types.HealthStatusHealthy
					if i == 3 {
						h = health
					}
					out = append(out, types.Task{TaskArn: aws.String(arn), LastStatus: aws.String("RUNNING"), StartedBy: aws.String("ecs-svc/2"), HealthStatus: h})
				}
				return &ecs.DescribeTasksOutput{Tasks: out}, nil
			}
			d, _ := sc.deployer()
			r := req("new1")
			r.Timeout, r.RollbackTimeout = time.Minute, 3*time.Minute
			res, err := d.Deploy(context.Background(), r)
			s := res.Services[0]
			if health == types.HealthStatusHealthy {
				if err != nil || s.Outcome != OutcomeSucceeded || len(sc.updates) != 1 {
					t.Fatalf("err %v outcome %s (%s) updates %d", err, s.Outcome, s.Reason, len(sc.updates))
				}
				return
			}
			if !errors.Is(err, ops.ErrTimeout) || s.Outcome != OutcomeRolledBack || len(sc.updates) != 2 {
				t.Fatalf("err %v outcome %s updates %d", err, s.Outcome, len(sc.updates))
			}
		})
	}
}
