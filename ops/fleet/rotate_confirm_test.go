package fleet

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// tornECS lists the cluster's container instances, leaving out the ones
// in miss on the first listing only: a page boundary that moved while an
// instance left (see confirmedFleetChanges). Calls a snapshot does not make
// hit the nil RotateECS and fail the test.
type tornECS struct {
	RotateECS
	instances map[string]string // container instance ARN → EC2 id
	miss      map[string]bool   // ARNs the first ACTIVE listing leaves out
	gone      map[string]bool   // ARNs no listing returns (deregistered)
	listings  int
}

func (f *tornECS) ListContainerInstances(_ context.Context, in *ecs.ListContainerInstancesInput, _ ...func(*ecs.Options)) (*ecs.ListContainerInstancesOutput, error) {
	out := &ecs.ListContainerInstancesOutput{}
	if in.Status != types.ContainerInstanceStatusActive {
		return out, nil
	}
	f.listings++
	for arn := range f.instances {
		if f.gone[arn] || (f.listings == 1 && f.miss[arn]) {
			continue
		}
		out.ContainerInstanceArns = append(out.ContainerInstanceArns, arn)
	}
	return out, nil
}

func (f *tornECS) DescribeContainerInstances(_ context.Context, in *ecs.DescribeContainerInstancesInput, _ ...func(*ecs.Options)) (*ecs.DescribeContainerInstancesOutput, error) {
	out := &ecs.DescribeContainerInstancesOutput{}
	for _, arn := range in.ContainerInstances {
		out.ContainerInstances = append(out.ContainerInstances, types.ContainerInstance{ContainerInstanceArn: aws.String(arn),
			Ec2InstanceId: aws.String(f.instances[arn]), Status: aws.String("ACTIVE"), AgentConnected: true,
			Attributes: []types.Attribute{{Name: aws.String("ecs.ami-id"), Value: aws.String("ami-old")}}})
	}
	return out, nil
}

func (f *tornECS) ListTasks(context.Context, *ecs.ListTasksInput, ...func(*ecs.Options)) (*ecs.ListTasksOutput, error) {
	return &ecs.ListTasksOutput{}, nil
}

func (f *tornECS) ListServices(context.Context, *ecs.ListServicesInput, ...func(*ecs.Options)) (*ecs.ListServicesOutput, error) {
	return &ecs.ListServicesOutput{}, nil
}

// A planned instance a torn listing left out is found by the fresh read
// and is no change; one no read finds is.
func TestFleetChangesAreConfirmedByAFreshRead(t *testing.T) {
	g := astypes.AutoScalingGroup{AutoScalingGroupName: aws.String("asg"), Instances: []astypes.Instance{
		{InstanceId: aws.String("i-1"), LifecycleState: astypes.LifecycleStateInService},
		{InstanceId: aws.String("i-2"), LifecycleState: astypes.LifecycleStateInService},
	}}
	planned := map[string]bool{"i-1": true, "i-2": true}
	for _, tc := range []struct {
		name       string
		miss, gone map[string]bool
		want       int // changes after the fresh read
	}{
		{"torn listing", map[string]bool{"ci-2": true}, nil, 0},
		{"really deregistered", nil, map[string]bool{"ci-2": true}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &tornECS{instances: map[string]string{"ci-1": "i-1", "ci-2": "i-2"}, miss: tc.miss, gone: tc.gone}
			r := &Rotator{ECS: f}
			dc, err := snapshotCluster(t.Context(), f, f, "prod")
			if err != nil {
				t.Fatal(err)
			}
			if got := fleetChanges(g, dc, "ami-new", planned, []string{"i-1", "i-2"}, nil); len(got) != 1 {
				t.Fatalf("the first read: %q, want i-2 reported", got)
			}
			got, fresh, err := r.confirmedFleetChanges(t.Context(), g, dc, "ami-new", planned, []string{"i-1", "i-2"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tc.want {
				t.Errorf("changes after the fresh read: %q, want %d", got, tc.want)
			}
			if tc.want == 0 && fresh.ByEC2["i-2"] == nil {
				t.Error("the fresh read is not returned: the batch would still leave i-2 out")
			}
		})
	}
}
