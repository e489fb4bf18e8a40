package overview

import (
	"context"
	"ecsctl/ops"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"
)

// overviewFakeECS is a function-field fake of ECS over an
// in-memory cluster; it enforces the API's batch limits and pages by 10.
type overviewFakeECS struct {
	mu       sync.Mutex
	calls    map[string]int
	services []types.Service
	tasks    []types.Task
	cis      []types.ContainerInstance
	missing  bool // DescribeClusters finds nothing
	descSvc  func(in *ecs.DescribeServicesInput) (*ecs.DescribeServicesOutput, error)
}

func (f *overviewFakeECS) count(op string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.calls == nil {
		f.calls = map[string]int{}
	}
	f.calls[op]++
}

func (f *overviewFakeECS) n(op string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[op]
}

func overviewPage[T any](all []T, token *string, size int) ([]T, *string) {
	lo := 0
	if token != nil {
		lo, _ = strconv.Atoi(*token)
	}
	hi := min(len(all), lo+size)
	if hi < len(all) {
		return all[lo:hi], aws.String(strconv.Itoa(hi))
	}
	return all[lo:hi], nil
}

func (f *overviewFakeECS) ListClusters(context.Context, *ecs.ListClustersInput, ...func(*ecs.Options)) (*ecs.ListClustersOutput, error) {
	f.count("ListClusters")
	return &ecs.ListClustersOutput{ClusterArns: []string{"arn:aws:ecs:us-east-1:1:cluster/prod"}}, nil
}
func (f *overviewFakeECS) DescribeClusters(_ context.Context, in *ecs.DescribeClustersInput, _ ...func(*ecs.Options)) (*ecs.DescribeClustersOutput, error) {
	f.count("DescribeClusters")
	if f.missing {
		return &ecs.DescribeClustersOutput{Failures: []types.Failure{{Arn: aws.String(in.Clusters[0]), Reason: aws.String("MISSING")}}}, nil
	}
	return &ecs.DescribeClustersOutput{Clusters: []types.Cluster{{ClusterName: aws.String("prod"), Status: aws.String("ACTIVE")}}}, nil
}
func (f *overviewFakeECS) ListServices(_ context.Context, in *ecs.ListServicesInput, _ ...func(*ecs.Options)) (*ecs.ListServicesOutput, error) {
	f.count("ListServices")
	var names []string
	for _, s := range f.services {
		names = append(names, aws.ToString(s.ServiceName))
	}
	page, next := overviewPage(names, in.NextToken, 10)
	return &ecs.ListServicesOutput{ServiceArns: page, NextToken: next}, nil
}
func (f *overviewFakeECS) DescribeServices(_ context.Context, in *ecs.DescribeServicesInput, _ ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error) {
	f.count("DescribeServices")
	if len(in.Services) > 10 {
		return nil, &smithy.GenericAPIError{Code: "InvalidParameterException", Message: "too many services"}
	}
	if f.descSvc != nil {
		return f.descSvc(in)
	}
	out := &ecs.DescribeServicesOutput{}
	for _, n := range in.Services {
		found := false
		for _, s := range f.services {
			if aws.ToString(s.ServiceName) == n {
				out.Services = append(out.Services, s)
				found = true
			}
		}
		if !found {
			out.Failures = append(out.Failures, types.Failure{Arn: aws.String(n), Reason: aws.String("MISSING")})
		}
	}
	return out, nil
}
func (f *overviewFakeECS) ListContainerInstances(_ context.Context, in *ecs.ListContainerInstancesInput, _ ...func(*ecs.Options)) (*ecs.ListContainerInstancesOutput, error) {
	f.count("ListContainerInstances")
	var arns []string
	for _, c := range f.cis {
		arns = append(arns, aws.ToString(c.ContainerInstanceArn))
	}
	page, next := overviewPage(arns, in.NextToken, 10)
	return &ecs.ListContainerInstancesOutput{ContainerInstanceArns: page, NextToken: next}, nil
}
func (f *overviewFakeECS) DescribeContainerInstances(_ context.Context, in *ecs.DescribeContainerInstancesInput, _ ...func(*ecs.Options)) (*ecs.DescribeContainerInstancesOutput, error) {
	f.count("DescribeContainerInstances")
	if len(in.ContainerInstances) > 100 {
		return nil, &smithy.GenericAPIError{Code: "InvalidParameterException", Message: "too many"}
	}
	out := &ecs.DescribeContainerInstancesOutput{}
	for _, a := range in.ContainerInstances {
		for _, c := range f.cis {
			if aws.ToString(c.ContainerInstanceArn) == a {
				out.ContainerInstances = append(out.ContainerInstances, c)
			}
		}
	}
	return out, nil
}
func (f *overviewFakeECS) ListTasks(_ context.Context, in *ecs.ListTasksInput, _ ...func(*ecs.Options)) (*ecs.ListTasksOutput, error) {
	f.count("ListTasks")
	var arns []string
	for _, t := range f.tasks {
		if in.ContainerInstance != nil && aws.ToString(t.ContainerInstanceArn) != *in.ContainerInstance {
			continue
		}
		if in.ServiceName == nil || aws.ToString(t.Group) == "service:"+*in.ServiceName {
			arns = append(arns, aws.ToString(t.TaskArn))
		}
	}
	page, next := overviewPage(arns, in.NextToken, 10)
	return &ecs.ListTasksOutput{TaskArns: page, NextToken: next}, nil
}
func (f *overviewFakeECS) DescribeTasks(_ context.Context, in *ecs.DescribeTasksInput, _ ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error) {
	f.count("DescribeTasks")
	if len(in.Tasks) > 100 {
		return nil, &smithy.GenericAPIError{Code: "InvalidParameterException", Message: "too many"}
	}
	out := &ecs.DescribeTasksOutput{}
	for _, a := range in.Tasks {
		for _, t := range f.tasks {
			if aws.ToString(t.TaskArn) == a {
				out.Tasks = append(out.Tasks, t)
			}
		}
	}
	return out, nil
}
func (f *overviewFakeECS) DescribeTaskDefinition(_ context.Context, in *ecs.DescribeTaskDefinitionInput, _ ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error) {
	f.count("DescribeTaskDefinition")
	return &ecs.DescribeTaskDefinitionOutput{TaskDefinition: &types.TaskDefinition{
		TaskDefinitionArn: in.TaskDefinition, Cpu: aws.String("256"), Memory: aws.String("512"),
		ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("app"), Image: aws.String("repo/app:fromtd")}},
	}}, nil
}

// ListTaskDefinitions completes ECS (awsapi.ECS's client needs it); the
// overviews never call it.
func (f *overviewFakeECS) ListTaskDefinitions(context.Context, *ecs.ListTaskDefinitionsInput, ...func(*ecs.Options)) (*ecs.ListTaskDefinitionsOutput, error) {
	f.count("ListTaskDefinitions")
	return &ecs.ListTaskDefinitionsOutput{}, nil
}

// overviewFakeCW answers every query with one datapoint and counts queries.
type overviewFakeCW struct {
	mu      sync.Mutex
	calls   int
	queries []int
}

func (f *overviewFakeCW) GetMetricData(_ context.Context, in *cloudwatch.GetMetricDataInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	f.queries = append(f.queries, len(in.MetricDataQueries))
	if len(in.MetricDataQueries) > 500 {
		return nil, &smithy.GenericAPIError{Code: "ValidationError", Message: "too many queries"}
	}
	out := &cloudwatch.GetMetricDataOutput{}
	for _, q := range in.MetricDataQueries {
		v := 10.0
		if aws.ToString(q.MetricStat.Metric.MetricName) == "MemoryUtilization" {
			v = 20
		}
		out.MetricDataResults = append(out.MetricDataResults, cwtypes.MetricDataResult{Id: q.Id,
			Timestamps: []time.Time{in.EndTime.Add(-time.Minute), in.EndTime.Add(-2 * time.Minute)}, Values: []float64{v, 99}})
	}
	return out, nil
}

func overviewWorld(nServices, tasksPer int, now time.Time) *overviewFakeECS {
	f := &overviewFakeECS{}
	for i := 0; i < nServices; i++ {
		name := fmt.Sprintf("svc-%03d", i)
		td := fmt.Sprintf("arn:aws:ecs:us-east-1:1:task-definition/%s:%d", name, i+1)
		running := tasksPer
		if i == 0 {
			running = 0 // no task: size and image come from the task definition
		}
		f.services = append(f.services, types.Service{ServiceName: aws.String(name), Status: aws.String("ACTIVE"),
			DesiredCount: int32(running), RunningCount: int32(running), TaskDefinition: aws.String(td),
			Deployments: []types.Deployment{{Id: aws.String("ecs-svc/" + name), Status: aws.String("PRIMARY"),
				RolloutState: types.DeploymentRolloutStateCompleted, CreatedAt: aws.Time(now.Add(-2 * time.Hour))}}})
		for j := 0; j < running; j++ {
			f.tasks = append(f.tasks, types.Task{TaskArn: aws.String(fmt.Sprintf("arn:task/prod/%s-%d", name, j)), Group: aws.String("service:" + name),
				TaskDefinitionArn: aws.String(td), Cpu: aws.String("512"), Memory: aws.String("1024"), LastStatus: aws.String("RUNNING"),
				Containers: []types.Container{{Name: aws.String("app"), Image: aws.String("repo/" + name + ":v" + strconv.Itoa(i))}}})
		}
	}
	return f
}

func TestOverviewServicesBatchesPagesAndMetrics(t *testing.T) {
	clock := newFakeClock()
	f := overviewWorld(305, 2, clock.Now())
	cw := &overviewFakeCW{}
	o := &Reader{ECS: f, CW: cw, Clock: clock}
	rows, err := o.Services(context.Background(), "prod")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 305 {
		t.Fatalf("%d rows", len(rows))
	}
	for op, want := range map[string]int{"ListServices": 31, "DescribeServices": 31, "ListTasks": 61, "DescribeTasks": 7, "DescribeTaskDefinition": 1, "DescribeClusters": 1} {
		if got := f.n(op); got != want {
			t.Errorf("%s: %d calls, want %d", op, got, want)
		}
	}
	// 304 services with running tasks × 2 metrics = 608 queries: 2 calls.
	if cw.calls != 2 || cw.queries[0]+cw.queries[1] != 608 {
		t.Errorf("GetMetricData calls %d with %v queries", cw.calls, cw.queries)
	}
	r0, r1 := rows[0], rows[1]
	if r0.Name != "svc-000" || r0.Image != "repo/app:fromtd" || r0.TaskCPU != 256 || r0.CPUUtilization != nil {
		t.Errorf("row without tasks: %+v", r0)
	}
	if r1.ImageTag != "v1" || r1.CPUReserved != 1024 || r1.MemoryReserved != 2048 || r1.State != ServiceStateSteady || r1.AgeSeconds != 7200 || r1.Revision != 2 {
		t.Errorf("row: %+v", r1)
	}
	if r1.CPUUtilization == nil || *r1.CPUUtilization != 10 || *r1.MemoryUtilization != 20 {
		t.Errorf("utilization is not the newest datapoint: %v %v", r1.CPUUtilization, r1.MemoryUtilization)
	}
}

func TestOverviewUnknownClusterAndService(t *testing.T) {
	f := overviewWorld(3, 1, time.Now())
	f.missing = true
	o := &Reader{ECS: f}
	var nf *ops.NotFoundError
	if _, err := o.Services(context.Background(), "nope"); !errors.As(err, &nf) || nf.Name != "nope" || nf.Kind != "cluster" {
		t.Errorf("services of unknown cluster: %v", err)
	}
	f.missing = false
	if _, err := o.Status(context.Background(), "prod", "ghost", 5); !errors.As(err, &nf) || nf.Name != "prod/ghost" {
		t.Errorf("status of unknown service: %v", err)
	}
}

func TestOverviewServiceState(t *testing.T) {
	dep := func(status string, state types.DeploymentRolloutState) types.Deployment {
		return types.Deployment{Status: aws.String(status), RolloutState: state}
	}
	for _, tc := range []struct {
		svc  types.Service
		want string
	}{
		{types.Service{DesiredCount: 2, RunningCount: 2, Deployments: []types.Deployment{dep("PRIMARY", types.DeploymentRolloutStateCompleted)}}, ServiceStateSteady},
		{types.Service{DesiredCount: 3, RunningCount: 2, Deployments: []types.Deployment{dep("PRIMARY", types.DeploymentRolloutStateCompleted)}}, ServiceStateScaling},
		{types.Service{DesiredCount: 2, RunningCount: 2, Deployments: []types.Deployment{dep("PRIMARY", types.DeploymentRolloutStateInProgress), dep("ACTIVE", types.DeploymentRolloutStateCompleted)}}, ServiceStateRolling},
		{types.Service{DesiredCount: 2, RunningCount: 2, Deployments: []types.Deployment{dep("PRIMARY", types.DeploymentRolloutStateFailed), dep("ACTIVE", types.DeploymentRolloutStateCompleted)}}, ServiceStateFailed},
	} {
		if got := overviewServiceState(tc.svc); got != tc.want {
			t.Errorf("%+v: %s, want %s", tc.svc.Deployments, got, tc.want)
		}
	}
}

func TestOverviewSortAndFilter(t *testing.T) {
	p := func(v float64) *float64 { return &v }
	rows := []ServiceRow{
		{Name: "b", Desired: 3, CPUReserved: 100, State: ServiceStateSteady, CPUUtilization: p(50), Revision: 4, ImageTag: "x"},
		{Name: "a", Desired: 1, CPUReserved: 300, State: ServiceStateRolling, Revision: 2, ImageTag: "y"},
		{Name: "c", Desired: 3, CPUReserved: 200, State: ServiceStateFailed, CPUUtilization: p(10), Revision: 4, ImageTag: "x"},
	}
	names := func() string {
		s := ""
		for _, r := range rows {
			s += r.Name
		}
		return s
	}
	for key, want := range map[string]string{"name": "abc", "-name": "cba", "desired": "abc", "-desired": "bca", "cpu": "bca", "-cpu": "acb", "state": "cab", "cpu-util": "acb"} {
		if err := SortServiceRows(context.Background(), rows, key); err != nil || names() != want {
			t.Errorf("--sort %s: %s %v, want %s", key, names(), err, want)
		}
	}
	var ie *ops.InputError
	if err := SortServiceRows(context.Background(), rows, "colour"); !errors.As(err, &ie) {
		t.Errorf("unknown sort key: %v", err)
	}
	for expr, want := range map[string]int{"": 3, "a": 1, "state:failed": 1, "rev:4": 2, "tag:x": 2, "name:b": 1} {
		keep, err := ParseServiceFilter(context.Background(), expr)
		if err != nil {
			t.Fatalf("%q: %v", expr, err)
		}
		n := 0
		for _, r := range rows {
			if keep(r) {
				n++
			}
		}
		if n != want {
			t.Errorf("--filter %q kept %d, want %d", expr, n, want)
		}
	}
	for _, bad := range []string{"rev:x", "colour:red"} {
		if _, err := ParseServiceFilter(context.Background(), bad); !errors.As(err, &ie) {
			t.Errorf("--filter %q: %v", bad, err)
		}
	}
}

func TestOverviewFollowEventsDedupesAndStopsOnCancel(t *testing.T) {
	clock := newFakeClock()
	base := clock.Now()
	ev := func(id string, min int) types.ServiceEvent {
		return types.ServiceEvent{Id: aws.String(id), CreatedAt: aws.Time(base.Add(time.Duration(min) * time.Minute)), Message: aws.String("event " + id)}
	}
	polls := 0
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := &overviewFakeECS{}
	f.descSvc = func(in *ecs.DescribeServicesInput) (*ecs.DescribeServicesOutput, error) {
		polls++
		evs := []types.ServiceEvent{ev("2", 2), ev("1", 1), ev("0", -90)} // newest first, as ECS
		switch {
		case polls == 3:
			return nil, &smithy.GenericAPIError{Code: "ThrottlingException", Message: "slow down"}
		case polls >= 4:
			evs = append([]types.ServiceEvent{ev("3", 3)}, evs...)
		}
		if polls >= 6 {
			cancel()
		}
		return &ecs.DescribeServicesOutput{Services: []types.Service{{ServiceName: aws.String("api"), Status: aws.String("ACTIVE"), Events: evs}}}, nil
	}
	o := &Reader{ECS: f, Clock: clock}
	var got []string
	err := o.FollowEvents(ctx, "prod", "api", base.Add(-time.Hour), time.Second, func(e ServiceEvent) { got = append(got, e.ID) })
	if !errors.Is(err, ops.ErrInterrupted) {
		t.Errorf("err %v", err)
	}
	if fmt.Sprint(got) != "[1 2 3]" {
		t.Errorf("events %v, want [1 2 3] (oldest first, once each, none before --since)", got)
	}
}

func TestOverviewCapacityFitsHonoursConstraints(t *testing.T) {
	node := func(id, az string, cpu, mem int, svcs map[string]int, ports ...int) *capacityNode {
		n := &capacityNode{id: id, attrs: map[string]string{"ecs.availability-zone": az}, cpu: cpu, mem: mem, ports: map[int]bool{}, services: svcs, schedOK: true}
		for _, p := range ports {
			n.ports[p] = true
		}
		return n
	}
	nodes := []*capacityNode{
		node("a", "us-east-1a", 2048, 4096, map[string]int{"zk": 1}, 80),
		node("b", "us-east-1b", 1024, 1024, map[string]int{}),
		node("c", "us-east-1c", 4096, 8192, map[string]int{}),
	}
	f, ok := parseCapacityFilter("attribute:ecs.availability-zone in [us-east-1a, us-east-1b]")
	if !ok {
		t.Fatal("memberOf not parsed")
	}
	for _, tc := range []struct {
		pl    capacityPlan
		fits  int
		limit string
	}{
		{capacityPlan{name: "web", cpu: 512, mem: 512}, 4 + 2 + 8, "cpu"},
		{capacityPlan{name: "zk", cpu: 512, mem: 512, distinct: true}, 2, "distinctInstance"},
		{capacityPlan{name: "geo", cpu: 512, mem: 512, member: []capacityFilter{f}}, 4 + 2, "cpu"},
		{capacityPlan{name: "edge", cpu: 256, mem: 256, ports: []int{80}}, 2, "ports"},
	} {
		fits, limit := capacityFits(nodes, &tc.pl)
		if fits != tc.fits || limit != tc.limit {
			t.Errorf("%s: %d (%s), want %d (%s)", tc.pl.name, fits, limit, tc.fits, tc.limit)
		}
	}
	if _, err := ParseCapacityAdds(context.Background(), []string{"api=0"}); err == nil {
		t.Error("--add api=0 accepted")
	}
	if m, err := ParseCapacityAdds(context.Background(), []string{"api=3", "api=2"}); err != nil || m["api"] != 5 {
		t.Errorf("%v %v", m, err)
	}
}

func TestOverviewInstanceTasks(t *testing.T) {
	f := overviewWorld(30, 3, time.Now())
	for i := range f.tasks {
		f.tasks[i].ContainerInstanceArn = aws.String([]string{"ci-a", "ci-b"}[i%2])
	}
	o := &Reader{ECS: f}
	rows, err := o.InstanceTasks(context.Background(), "prod", "ci-b")
	if err != nil {
		t.Fatal(err)
	}
	// 29 services × 3 tasks, every other one on ci-b.
	if len(rows) != 43 || rows[0].ID != "svc-001-1" || rows[0].Revision != 2 || f.n("DescribeTasks") != 1 || f.n("ListTasks") != 5 {
		t.Errorf("%d rows, first %+v, calls %v", len(rows), rows[0], f.calls)
	}
}
