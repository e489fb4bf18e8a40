package sim

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// Task.stoppingAt is "the time when the task transitions from the RUNNING
// state to STOPPING" (ECS API Reference): a load-balanced task has none
// while its target drains (DEACTIVATING), and gets one when the
// deregistration delay ends and it moves to STOPPING.
func TestECSStoppingAtIsTheMoveToStopping(t *testing.T) {
	s := newTestSim(t, Options{}, apiWorld(1, true, nil, nil, nil), spreadInstances(2, 2, 8192))
	s.Advance(s.Timings.TaskStart.D() + s.Timings.HealthCheckGrace.D())
	list := mustCall(t, s, (*Sim).ecsListTasks, &ecs.ListTasksInput{Cluster: aws.String("prod"), ServiceName: aws.String("api")})
	if len(list.TaskArns) != 1 {
		t.Fatalf("tasks: %v", list.TaskArns)
	}
	task := func() types.Task {
		d := mustCall(t, s, (*Sim).ecsDescribeTasks, &ecs.DescribeTasksInput{Cluster: aws.String("prod"), Tasks: list.TaskArns})
		return d.Tasks[0]
	}
	mustCall(t, s, (*Sim).ecsStopTaskOp, &ecs.StopTaskInput{Cluster: aws.String("prod"), Task: aws.String(list.TaskArns[0])})
	if tk := task(); aws.ToString(tk.LastStatus) != "DEACTIVATING" || tk.StoppingAt != nil {
		t.Fatalf("while its target drains: %s, stoppingAt %v (want DEACTIVATING, none)", aws.ToString(tk.LastStatus), tk.StoppingAt)
	}
	s.Advance(s.Timings.DeregistrationDelay.D())
	tk := task()
	if aws.ToString(tk.LastStatus) != "STOPPING" || tk.StoppingAt == nil || !tk.StoppingAt.Equal(s.Now()) {
		t.Fatalf("after the delay: %s, stoppingAt %v (want STOPPING, %s)", aws.ToString(tk.LastStatus), tk.StoppingAt, s.Now())
	}
}
