package overview

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// topFakeECS answers the calls of TopSource.Services for one cluster of n
// services with one task each, and counts them.
type topFakeECS struct {
	ECS
	mu    sync.Mutex
	calls map[string]int
	n     int
	rev   map[string]int // service → revision
}

func (f *topFakeECS) count(op string) {
	f.mu.Lock()
	f.calls[op]++
	f.mu.Unlock()
}

func (f *topFakeECS) td(name string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return fmt.Sprintf("arn:aws:ecs:us-east-1:1:task-definition/%s:%d", name, f.rev[name])
}

func (f *topFakeECS) DescribeClusters(ctx context.Context, in *ecs.DescribeClustersInput, _ ...func(*ecs.Options)) (*ecs.DescribeClustersOutput, error) {
	f.count("DescribeClusters")
	return &ecs.DescribeClustersOutput{Clusters: []types.Cluster{{ClusterName: aws.String("c"), Status: aws.String("ACTIVE")}}}, nil
}

func (f *topFakeECS) ListServices(ctx context.Context, in *ecs.ListServicesInput, _ ...func(*ecs.Options)) (*ecs.ListServicesOutput, error) {
	f.count("ListServices")
	out := &ecs.ListServicesOutput{}
	for i := 0; i < f.n; i++ {
		out.ServiceArns = append(out.ServiceArns, fmt.Sprintf("svc-%02d", i))
	}
	return out, nil
}

func (f *topFakeECS) DescribeServices(ctx context.Context, in *ecs.DescribeServicesInput, _ ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error) {
	f.count("DescribeServices")
	out := &ecs.DescribeServicesOutput{}
	for _, name := range in.Services {
		out.Services = append(out.Services, types.Service{ServiceName: aws.String(name), Status: aws.String("ACTIVE"), TaskDefinition: aws.String(f.td(name)),
			DesiredCount: 1, RunningCount: 1})
	}
	return out, nil
}

func (f *topFakeECS) ListTasks(ctx context.Context, in *ecs.ListTasksInput, _ ...func(*ecs.Options)) (*ecs.ListTasksOutput, error) {
	f.count("ListTasks")
	out := &ecs.ListTasksOutput{}
	for i := 0; i < f.n; i++ {
		out.TaskArns = append(out.TaskArns, fmt.Sprintf("svc-%02d", i))
	}
	return out, nil
}

func (f *topFakeECS) DescribeTasks(ctx context.Context, in *ecs.DescribeTasksInput, _ ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error) {
	f.count("DescribeTasks")
	out := &ecs.DescribeTasksOutput{}
	for _, name := range in.Tasks {
		out.Tasks = append(out.Tasks, types.Task{TaskArn: aws.String(name), TaskDefinitionArn: aws.String(f.td(name)), Cpu: aws.String("256"), Memory: aws.String("512"),
			Containers: []types.Container{{Image: aws.String("repo/" + name + ":v1")}}})
	}
	return out, nil
}

func (f *topFakeECS) DescribeTaskDefinition(ctx context.Context, in *ecs.DescribeTaskDefinitionInput, _ ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error) {
	f.count("DescribeTaskDefinition")
	return &ecs.DescribeTaskDefinitionOutput{TaskDefinition: &types.TaskDefinition{TaskDefinitionArn: in.TaskDefinition, Cpu: aws.String("512"), Memory: aws.String("1024"),
		ContainerDefinitions: []types.ContainerDefinition{{Image: aws.String("repo/new:v2")}}}}, nil
}

func TestTopServicesReadsTasksOnlyUntilRevisionsAreKnown(t *testing.T) {
	f := &topFakeECS{calls: map[string]int{}, n: 30, rev: map[string]int{}}
	src := NewTopSource(&Reader{ECS: f})
	first, err := src.Services(context.Background(), "c")
	if err != nil {
		t.Fatal(err)
	}
	if f.calls["ListTasks"] != 1 || f.calls["DescribeTasks"] != 1 || f.calls["DescribeServices"] != 3 {
		t.Fatalf("first read: %v", f.calls)
	}
	f.calls = map[string]int{}
	second, err := src.Services(context.Background(), "c")
	if err != nil {
		t.Fatal(err)
	}
	if f.calls["ListTasks"] != 0 || f.calls["DescribeTasks"] != 0 || f.calls["DescribeTaskDefinition"] != 0 || f.calls["DescribeServices"] != 3 {
		t.Fatalf("second read: %v", f.calls)
	}
	for i := range first {
		if first[i].Name != second[i].Name || first[i].TaskCPU != second[i].TaskCPU || first[i].Image != second[i].Image || first[i].CPUReserved != second[i].CPUReserved {
			t.Fatalf("row %d differs: %+v vs %+v", i, first[i], second[i])
		}
	}
	// A deploy of one service: its new revision is read once.
	f.rev["svc-07"] = 2
	f.calls = map[string]int{}
	third, err := src.Services(context.Background(), "c")
	if err != nil {
		t.Fatal(err)
	}
	if f.calls["ListTasks"] != 0 || f.calls["DescribeTaskDefinition"] != 1 {
		t.Fatalf("after a deploy: %v", f.calls)
	}
	if third[7].Image != "repo/new:v2" || third[7].TaskCPU != 512 {
		t.Fatalf("new revision row: %+v", third[7])
	}
}

// topStatesECS answers ListServices in pages of 10 and DescribeServices
// with a service's state chosen by its number, counting the calls.
type topStatesECS struct {
	ECS
	mu    sync.Mutex
	calls map[string]int
	n     int
}

func (f *topStatesECS) ListServices(ctx context.Context, in *ecs.ListServicesInput, _ ...func(*ecs.Options)) (*ecs.ListServicesOutput, error) {
	f.mu.Lock()
	f.calls["ListServices"]++
	f.mu.Unlock()
	start := 0
	if in.NextToken != nil {
		fmt.Sscan(*in.NextToken, &start)
	}
	out := &ecs.ListServicesOutput{}
	for i := start; i < f.n && i < start+10; i++ {
		out.ServiceArns = append(out.ServiceArns, fmt.Sprintf("svc-%02d", i))
	}
	if start+10 < f.n {
		out.NextToken = aws.String(fmt.Sprint(start + 10))
	}
	return out, nil
}

func (f *topStatesECS) DescribeServices(ctx context.Context, in *ecs.DescribeServicesInput, _ ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error) {
	f.mu.Lock()
	f.calls["DescribeServices"]++
	f.mu.Unlock()
	if len(in.Services) > 10 {
		return nil, fmt.Errorf("%d services in one DescribeServices", len(in.Services))
	}
	out := &ecs.DescribeServicesOutput{}
	for _, name := range in.Services {
		var i int
		fmt.Sscanf(name, "svc-%d", &i)
		s := types.Service{ServiceName: aws.String(name), Status: aws.String("ACTIVE"), DesiredCount: 2, RunningCount: 2,
			Deployments: []types.Deployment{{Status: aws.String("PRIMARY"), RolloutState: types.DeploymentRolloutStateCompleted}}}
		switch {
		case i == 3: // failed
			s.Deployments[0].RolloutState = types.DeploymentRolloutStateFailed
		case i%10 == 5: // rolling: two deployments
			s.Deployments = append(s.Deployments, types.Deployment{Status: aws.String("ACTIVE")})
		case i == 7: // scaling
			s.RunningCount = 1
		case i == 8: // deleted since the listing: not counted
			s.Status = aws.String("INACTIVE")
		}
		out.Services = append(out.Services, s)
	}
	return out, nil
}

func TestTopServiceStatesCountsAndBatches(t *testing.T) {
	f := &topStatesECS{calls: map[string]int{}, n: 25}
	src := NewTopSource(&Reader{ECS: f})
	got, err := src.ServiceStates(context.Background(), []string{"prod"})
	if err != nil {
		t.Fatal(err)
	}
	want := ServiceStateCounts{Services: 24, Failed: 1, Rolling: 2, Scaling: 1}
	if got["prod"] != want || got["prod"].NotSteady() != 4 {
		t.Errorf("states %+v, want %+v", got["prod"], want)
	}
	if f.calls["ListServices"] != 3 || f.calls["DescribeServices"] != 3 {
		t.Errorf("calls %v: want 3 ListServices pages and ceil(25/10) = 3 DescribeServices", f.calls)
	}
}
