package fleet

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// fleetECS serves a cluster with n capacity providers, three per page, the
// last one backed by group "g" with managed scaling.
type fleetECS struct {
	RotateECS // not called
	n         int
	calls     int
	tds       map[string]*types.TaskDefinition
}

func (f *fleetECS) DescribeClusters(_ context.Context, in *ecs.DescribeClustersInput, _ ...func(*ecs.Options)) (*ecs.DescribeClustersOutput, error) {
	var names []string
	for i := 0; i < f.n; i++ {
		names = append(names, fmt.Sprintf("cp-%03d", i))
	}
	return &ecs.DescribeClustersOutput{Clusters: []types.Cluster{{ClusterName: aws.String(in.Clusters[0]), CapacityProviders: names}}}, nil
}

func (f *fleetECS) DescribeCapacityProviders(_ context.Context, in *ecs.DescribeCapacityProvidersInput, _ ...func(*ecs.Options)) (*ecs.DescribeCapacityProvidersOutput, error) {
	f.calls++
	if len(in.CapacityProviders) > 100 {
		return nil, fmt.Errorf("capacityProviders can have at most 100 items")
	}
	start := 0
	if in.NextToken != nil {
		fmt.Sscanf(*in.NextToken, "%d", &start)
	}
	out := &ecs.DescribeCapacityProvidersOutput{}
	for _, n := range in.CapacityProviders[start:min(start+3, len(in.CapacityProviders))] {
		group, ms := "other-"+n, types.ManagedScalingStatusDisabled
		if n == fmt.Sprintf("cp-%03d", f.n-1) {
			group, ms = "g", types.ManagedScalingStatusEnabled
		}
		out.CapacityProviders = append(out.CapacityProviders, types.CapacityProvider{Name: aws.String(n), AutoScalingGroupProvider: &types.AutoScalingGroupProvider{
			AutoScalingGroupArn: aws.String("arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:x:autoScalingGroupName/" + group),
			ManagedScaling:      &types.ManagedScaling{Status: ms}}})
	}
	if start+3 < len(in.CapacityProviders) {
		out.NextToken = aws.String(fmt.Sprint(start + 3))
	}
	return out, nil
}

func (f *fleetECS) DescribeTaskDefinition(_ context.Context, in *ecs.DescribeTaskDefinitionInput, _ ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error) {
	f.calls++
	return &ecs.DescribeTaskDefinitionOutput{TaskDefinition: f.tds[aws.ToString(in.TaskDefinition)]}, nil
}

func TestCapacityProvidersReadToTheLastPage(t *testing.T) {
	for _, n := range []int{1, 11, 150} {
		fe := &fleetECS{n: n}
		r := &Rotator{ECS: fe}
		f := &fleetCheck{}
		if err := r.checkCapacityProviders(context.Background(), f, "c", "g", true); err != nil {
			t.Fatal(err)
		}
		if len(f.refusals) != 1 || !strings.Contains(f.refusals[0], fmt.Sprintf("cp-%03d has managed scaling", n-1)) {
			t.Errorf("%d providers: refusals %v", n, f.refusals)
		}
	}
}

func TestTaskSizesFromTaskDefinition(t *testing.T) {
	mem := int32(900)
	fe := &fleetECS{tds: map[string]*types.TaskDefinition{
		"td:1": {ContainerDefinitions: []types.ContainerDefinition{{Cpu: 448, Memory: &mem}, {Cpu: 64, MemoryReservation: aws.Int32(64)}}},
	}}
	z := taskSizes{api: fe, cache: map[string][2]int{}}
	for _, tc := range []struct {
		task     types.Task
		cpu, mem int
	}{
		{types.Task{Cpu: aws.String("256"), Memory: aws.String("512"), TaskDefinitionArn: aws.String("td:1")}, 256, 512},
		{types.Task{TaskDefinitionArn: aws.String("td:1")}, 512, 964},
		{types.Task{Cpu: aws.String("1024"), TaskDefinitionArn: aws.String("td:1")}, 1024, 964},
	} {
		cpu, mem, err := z.of(context.Background(), tc.task)
		if err != nil || cpu != tc.cpu || mem != tc.mem {
			t.Errorf("size %d/%d %v, want %d/%d", cpu, mem, err, tc.cpu, tc.mem)
		}
	}
	if fe.calls != 1 {
		t.Errorf("%d DescribeTaskDefinition calls, want 1 (cached)", fe.calls)
	}
}
