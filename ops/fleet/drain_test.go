package fleet

import (
	"context"
	"ecsctl/ops"
	"ecsctl/ops/opstest"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// drainFakeECS answers a drain's ECS calls from fields a test sets.
type drainFakeECS struct {
	mu         sync.Mutex
	taskStatus string // lastStatus of the one service task on the instance
	runCount   int32  // runningTasksCount the instance reports (it lags)
	updates    [][]string
}

func (f *drainFakeECS) ListContainerInstances(context.Context, *ecs.ListContainerInstancesInput, ...func(*ecs.Options)) (*ecs.ListContainerInstancesOutput, error) {
	return &ecs.ListContainerInstancesOutput{}, nil
}

func (f *drainFakeECS) DescribeContainerInstances(_ context.Context, in *ecs.DescribeContainerInstancesInput, _ ...func(*ecs.Options)) (*ecs.DescribeContainerInstancesOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	status := "ACTIVE"
	if len(f.updates) > 0 {
		status = "DRAINING"
	}
	return &ecs.DescribeContainerInstancesOutput{ContainerInstances: []types.ContainerInstance{{
		ContainerInstanceArn: aws.String(in.ContainerInstances[0]), Ec2InstanceId: aws.String("i-1"), Status: aws.String(status), RunningTasksCount: f.runCount}}}, nil
}

func (f *drainFakeECS) UpdateContainerInstancesState(_ context.Context, in *ecs.UpdateContainerInstancesStateInput, _ ...func(*ecs.Options)) (*ecs.UpdateContainerInstancesStateOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(in.ContainerInstances) > 10 {
		return nil, errors.New("more than 10 instances in one call")
	}
	f.updates = append(f.updates, in.ContainerInstances)
	return &ecs.UpdateContainerInstancesStateOutput{}, nil
}

func (f *drainFakeECS) ListTasks(context.Context, *ecs.ListTasksInput, ...func(*ecs.Options)) (*ecs.ListTasksOutput, error) {
	return &ecs.ListTasksOutput{TaskArns: []string{"arn:task/c/t1"}}, nil
}

func (f *drainFakeECS) DescribeTasks(context.Context, *ecs.DescribeTasksInput, ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return &ecs.DescribeTasksOutput{Tasks: []types.Task{{TaskArn: aws.String("arn:task/c/t1"), Group: aws.String("service:api"), LastStatus: aws.String(f.taskStatus)}}}, nil
}

func (f *drainFakeECS) StopTask(context.Context, *ecs.StopTaskInput, ...func(*ecs.Options)) (*ecs.StopTaskOutput, error) {
	return &ecs.StopTaskOutput{}, nil
}

func (f *drainFakeECS) DescribeServices(context.Context, *ecs.DescribeServicesInput, ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error) {
	return &ecs.DescribeServicesOutput{Services: []types.Service{{ServiceName: aws.String("api"), DesiredCount: 2, RunningCount: 2,
		Deployments: []types.Deployment{{Id: aws.String("d1")}}}}}, nil
}

type drainFakeASG struct {
	mu         sync.Mutex
	terminated []string
}

func (f *drainFakeASG) TerminateInstanceInAutoScalingGroup(_ context.Context, in *autoscaling.TerminateInstanceInAutoScalingGroupInput, _ ...func(*autoscaling.Options)) (*autoscaling.TerminateInstanceInAutoScalingGroupOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !aws.ToBool(in.ShouldDecrementDesiredCapacity) {
		return nil, errors.New("terminate without decrement")
	}
	f.terminated = append(f.terminated, aws.ToString(in.InstanceId))
	return &autoscaling.TerminateInstanceInAutoScalingGroupOutput{}, nil
}

func TestDrainWaitsForStoppedNotRunningCountAndPausesOnTimeout(t *testing.T) {
	// runningTasksCount already says 0 but the task is still DEACTIVATING:
	// the drain must not terminate, and on timeout it pauses.
	fe := &drainFakeECS{taskStatus: "DEACTIVATING", runCount: 0}
	fa := &drainFakeASG{}
	d := &Drainer{ECS: fe, ASG: fa, Clock: opstest.NewClock(), PollInterval: 10 * time.Second}
	_, err := d.Drain(context.Background(), DrainBatch{Cluster: "c", ASG: "g", Instances: map[string]string{"i-1": "arn:ci/c/1"}, Timeout: 10 * time.Minute, Batch: 1, Batches: 1})
	var pe *PauseError
	if !errors.As(err, &pe) || !errors.Is(err, ops.ErrFailed) {
		t.Fatalf("err = %v, want a pause (ops.ErrFailed)", err)
	}
	if len(fa.terminated) != 0 {
		t.Fatalf("terminated %v while a task was not STOPPED", fa.terminated)
	}
	if len(fe.updates) != 1 {
		t.Fatalf("DRAINING calls: %v", fe.updates)
	}
}

func TestDrainTerminatesWithDecrementOnceStopped(t *testing.T) {
	fe := &drainFakeECS{taskStatus: "STOPPED"}
	fa := &drainFakeASG{}
	d := &Drainer{ECS: fe, ASG: fa, Clock: opstest.NewClock(), PollInterval: 10 * time.Second}
	res, err := d.Drain(context.Background(), DrainBatch{Cluster: "c", ASG: "g", Instances: map[string]string{"i-1": "arn:ci/c/1"}, Timeout: 10 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if len(fa.terminated) != 1 || fa.terminated[0] != "i-1" || len(res.Services) != 1 || res.Services[0] != "api" {
		t.Fatalf("terminated %v services %v", fa.terminated, res.Services)
	}
}

func TestRotateRunRecordRoundTrips(t *testing.T) {
	run := rotateRun{ID: "rot-1", AMI: "ami-1", Orig: RotateCapacity{Desired: 50, Min: 45, Max: 60}, Suspended: true, Batch: 2, Surge: 4, Standalone: "stop"}
	got, err := decodeRotateRun(run.encode())
	if err != nil || got != run {
		t.Fatalf("got %+v, %v", got, err)
	}
	if len(run.encode()) > 256 {
		t.Fatalf("tag value too long for an ASG tag: %d", len(run.encode()))
	}
	// What a run changes on the group, recorded for --abort and the end.
	run.LT, run.LTVer, run.Surged, run.Procs = "lt-0123456789abcdef0", "$Latest", 52, "AlarmNotification,ScheduledActions"
	got, err = decodeRotateRun(run.encode())
	if err != nil || got != run {
		t.Fatalf("got %+v, %v", got, err)
	}
	if len(run.encode()) > 256 {
		t.Fatalf("tag value too long for an ASG tag: %d", len(run.encode()))
	}
	if _, err := decodeRotateRun("id=x;ami=y;desired=z"); err == nil {
		t.Fatal("a broken record decoded")
	}
}

func TestAZBalancedOrderTakesFromTheFullestZone(t *testing.T) {
	ins := []*drainInstance{{EC2ID: "a1", AZ: "a"}, {EC2ID: "a2", AZ: "a"}, {EC2ID: "b1", AZ: "b"}, {EC2ID: "c1", AZ: "c"}}
	got := azBalancedOrder(ins, map[string]int{"a": 3, "b": 5, "c": 3})
	var ids []string
	for _, in := range got {
		ids = append(ids, in.EC2ID)
	}
	if ids[0] != "b1" || len(ids) != 4 {
		t.Fatalf("order %v: the fullest zone (b) goes first", ids)
	}
}
