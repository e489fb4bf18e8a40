package awsapi

import (
	"context"
	"ecsctl/fmtx"
	"ecsctl/ops/opstest"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"
)

// fakeECS is the one hand-written ECS of these tests: a cluster of
// services, tasks and container instances, list pages of pageSize, a
// record of every call's batch, and an error for the call numbered failAt.
type fakeECS struct {
	cluster   string
	services  map[string]types.Service // by name
	tasks     []string
	instances []string
	pageSize  int
	failAt    int // 1-based call number that fails; 0: none
	failWith  error
	calls     []string // "op:n" with n the batch size
}

func (f *fakeECS) record(op string, n int) error {
	f.calls = append(f.calls, op+":"+strconv.Itoa(n))
	if f.failAt == len(f.calls) {
		return f.failWith
	}
	return nil
}

func (f *fakeECS) checkCluster(c *string) error {
	if aws.ToString(c) != f.cluster {
		return &smithy.GenericAPIError{Code: "ClusterNotFoundException", Message: "Cluster not found."}
	}
	return nil
}

func svcARN(name string) string { return "arn:aws:ecs:us-east-1:123456789012:service/prod/" + name }

func (f *fakeECS) DescribeServices(_ context.Context, in *ecs.DescribeServicesInput, _ ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error) {
	if err := f.record("DescribeServices", len(in.Services)); err != nil {
		return nil, err
	}
	if len(in.Services) > ServicesPerCall {
		return nil, &smithy.GenericAPIError{Code: "InvalidParameterException", Message: "too many services"}
	}
	if err := f.checkCluster(in.Cluster); err != nil {
		return nil, err
	}
	out := &ecs.DescribeServicesOutput{}
	for _, n := range in.Services {
		if s, ok := f.services[fmtx.ShortARN(n)]; ok {
			out.Services = append(out.Services, s)
			continue
		}
		out.Failures = append(out.Failures, types.Failure{Arn: aws.String(svcARN(fmtx.ShortARN(n))), Reason: aws.String(failureMissing)})
	}
	return out, nil
}

func (f *fakeECS) DescribeClusters(_ context.Context, in *ecs.DescribeClustersInput, _ ...func(*ecs.Options)) (*ecs.DescribeClustersOutput, error) {
	if err := f.record("DescribeClusters", len(in.Clusters)); err != nil {
		return nil, err
	}
	if len(in.Clusters) > ClustersPerCall {
		return nil, &smithy.GenericAPIError{Code: "InvalidParameterException", Message: "too many clusters"}
	}
	out := &ecs.DescribeClustersOutput{}
	for _, n := range in.Clusters {
		if strings.HasPrefix(n, "gone") {
			out.Failures = append(out.Failures, types.Failure{Arn: aws.String("arn:aws:ecs:us-east-1:123456789012:cluster/" + n), Reason: aws.String(failureMissing)})
			continue
		}
		out.Clusters = append(out.Clusters, types.Cluster{ClusterName: aws.String(n)})
	}
	return out, nil
}

func (f *fakeECS) DescribeTasks(_ context.Context, in *ecs.DescribeTasksInput, _ ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error) {
	if err := f.record("DescribeTasks", len(in.Tasks)); err != nil {
		return nil, err
	}
	if len(in.Tasks) > TasksPerCall {
		return nil, &smithy.GenericAPIError{Code: "InvalidParameterException", Message: "too many tasks"}
	}
	out := &ecs.DescribeTasksOutput{}
	for _, a := range in.Tasks {
		if a == "gone" {
			out.Failures = append(out.Failures, types.Failure{Arn: aws.String(a), Reason: aws.String(failureMissing)})
			continue
		}
		out.Tasks = append(out.Tasks, types.Task{TaskArn: aws.String(a)})
	}
	return out, nil
}

func (f *fakeECS) DescribeContainerInstances(_ context.Context, in *ecs.DescribeContainerInstancesInput, _ ...func(*ecs.Options)) (*ecs.DescribeContainerInstancesOutput, error) {
	if err := f.record("DescribeContainerInstances", len(in.ContainerInstances)); err != nil {
		return nil, err
	}
	if len(in.ContainerInstances) > ContainerInstancesPerCall {
		return nil, &smithy.GenericAPIError{Code: "InvalidParameterException", Message: "too many container instances"}
	}
	if err := f.checkCluster(in.Cluster); err != nil {
		return nil, err
	}
	out := &ecs.DescribeContainerInstancesOutput{}
	for _, a := range in.ContainerInstances {
		out.ContainerInstances = append(out.ContainerInstances, types.ContainerInstance{ContainerInstanceArn: aws.String(a)})
	}
	return out, nil
}

// page returns items' page at token ("" is the first) and the next token.
func (f *fakeECS) page(items []string, token *string) ([]string, *string) {
	start, _ := strconv.Atoi(aws.ToString(token))
	end := min(start+f.pageSize, len(items))
	if end >= len(items) {
		return items[start:], nil
	}
	return items[start:end], aws.String(strconv.Itoa(end))
}

func (f *fakeECS) ListClusters(_ context.Context, in *ecs.ListClustersInput, _ ...func(*ecs.Options)) (*ecs.ListClustersOutput, error) {
	if err := f.record("ListClusters", 0); err != nil {
		return nil, err
	}
	return &ecs.ListClustersOutput{ClusterArns: []string{f.cluster}}, nil
}

func (f *fakeECS) ListServices(_ context.Context, in *ecs.ListServicesInput, _ ...func(*ecs.Options)) (*ecs.ListServicesOutput, error) {
	if err := f.record("ListServices", 0); err != nil {
		return nil, err
	}
	var names []string
	for n := range f.services {
		names = append(names, svcARN(n))
	}
	page, next := f.page(names, in.NextToken)
	return &ecs.ListServicesOutput{ServiceArns: page, NextToken: next}, nil
}

func (f *fakeECS) ListTasks(_ context.Context, in *ecs.ListTasksInput, _ ...func(*ecs.Options)) (*ecs.ListTasksOutput, error) {
	if err := f.record("ListTasks", 0); err != nil {
		return nil, err
	}
	page, next := f.page(f.tasks, in.NextToken)
	return &ecs.ListTasksOutput{TaskArns: page, NextToken: next}, nil
}

func (f *fakeECS) ListTaskDefinitions(_ context.Context, in *ecs.ListTaskDefinitionsInput, _ ...func(*ecs.Options)) (*ecs.ListTaskDefinitionsOutput, error) {
	if err := f.record("ListTaskDefinitions", 0); err != nil {
		return nil, err
	}
	page, next := f.page([]string{"api:3", "api:2", "api:1"}, in.NextToken)
	return &ecs.ListTaskDefinitionsOutput{TaskDefinitionArns: page, NextToken: next}, nil
}

func (f *fakeECS) ListContainerInstances(_ context.Context, in *ecs.ListContainerInstancesInput, _ ...func(*ecs.Options)) (*ecs.ListContainerInstancesOutput, error) {
	if err := f.record("ListContainerInstances", 0); err != nil {
		return nil, err
	}
	if err := f.checkCluster(in.Cluster); err != nil {
		return nil, err
	}
	page, next := f.page(f.instances, in.NextToken)
	return &ecs.ListContainerInstancesOutput{ContainerInstanceArns: page, NextToken: next}, nil
}

func names(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%03d", prefix, i)
	}
	return out
}

func newFakeECS(services int, status string) *fakeECS {
	f := &fakeECS{cluster: "prod", services: map[string]types.Service{}, pageSize: 100}
	for _, n := range names("svc", services) {
		f.services[n] = types.Service{ServiceName: aws.String(n), ServiceArn: aws.String(svcARN(n)), Status: aws.String(status)}
	}
	return f
}

func TestActiveServicesBatchesByTenInTheOrderAsked(t *testing.T) {
	f := newFakeECS(25, "ACTIVE")
	want := names("svc", 25)
	want[3] = svcARN(want[3]) // an ARN is as good as a name
	got, err := NewECS(f).ActiveServices(context.Background(), "prod", want)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(f.calls) != "[DescribeServices:10 DescribeServices:10 DescribeServices:5]" {
		t.Errorf("calls %v, want 10+10+5", f.calls)
	}
	for i, s := range got {
		if fmtx.ShortARN(want[i]) != aws.ToString(s.ServiceName) {
			t.Fatalf("result %d is %s, want %s", i, aws.ToString(s.ServiceName), want[i])
		}
	}
}

func TestActiveServicesNotFound(t *testing.T) {
	for _, tc := range []struct {
		name, status, cluster string
		ask                   []string
		kind, which           string
	}{
		{name: "missing", status: "ACTIVE", cluster: "prod", ask: []string{"svc000", "nope", "svc001"}, kind: "service", which: "prod/nope"},
		{name: "inactive", status: "INACTIVE", cluster: "prod", ask: []string{"svc001", "svc000"}, kind: "service", which: "prod/svc001"},
		{name: "draining", status: "DRAINING", cluster: "prod", ask: []string{"svc000"}, kind: "service", which: "prod/svc000"},
		{name: "cluster", status: "ACTIVE", cluster: "staging", ask: []string{"svc000"}, kind: "cluster", which: "staging"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeECS(2, tc.status)
			_, err := NewECS(f).ActiveServices(context.Background(), tc.cluster, tc.ask)
			var nf *NotFoundError
			if !errors.As(err, &nf) || nf.Kind != tc.kind || nf.Name != tc.which {
				t.Fatalf("error %v, want %s %s not found", err, tc.kind, tc.which)
			}
		})
	}
}

func TestActiveServicesNamesAFailureOtherThanMissing(t *testing.T) {
	f := &failingServices{reason: "ACCESS_DENIED"}
	_, err := NewECS(f).ActiveServices(context.Background(), "prod", []string{"api"})
	var nf *NotFoundError
	if err == nil || errors.As(err, &nf) || err.Error() != "describe service prod/api: ACCESS_DENIED (no)" {
		t.Fatalf("error %v, want the failure's reason", err)
	}
}

// failingServices answers every DescribeServices with a failure.
type failingServices struct {
	fakeECS
	reason string
}

func (f *failingServices) DescribeServices(_ context.Context, in *ecs.DescribeServicesInput, _ ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error) {
	out := &ecs.DescribeServicesOutput{}
	for _, n := range in.Services {
		out.Failures = append(out.Failures, types.Failure{Arn: aws.String(svcARN(n)), Reason: aws.String(f.reason), Detail: aws.String("no")})
	}
	return out, nil
}

func TestActiveServicesCallErrorNamesTheBatch(t *testing.T) {
	f := newFakeECS(12, "ACTIVE")
	f.failAt, f.failWith = 2, &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "denied"}
	_, err := NewECS(f).ActiveServices(context.Background(), "prod", names("svc", 12))
	if err == nil || err.Error() != "describe services prod/svc010,svc011: api error AccessDeniedException: denied" {
		t.Fatalf("error %v", err)
	}
}

func TestDescribeServicesLeavesOutMissingAndReturnsWhatItReadOnError(t *testing.T) {
	f := newFakeECS(15, "ACTIVE")
	ask := append(names("svc", 15), "gone")
	got, err := NewECS(f).DescribeServices(context.Background(), "prod", ask)
	if err != nil || len(got) != 15 {
		t.Fatalf("got %d services, %v; want the 15 that exist", len(got), err)
	}
	f.calls, f.failAt, f.failWith = nil, 2, errors.New("boom")
	got, err = NewECS(f).DescribeServices(context.Background(), "prod", ask)
	if err == nil || len(got) != 10 {
		t.Fatalf("got %d services, %v; want the first call's 10 and the error", len(got), err)
	}
}

func TestEachServiceBatchStopsWhenAsked(t *testing.T) {
	f := newFakeECS(30, "ACTIVE")
	var seen []int
	NewECS(f).EachServiceBatch(context.Background(), "prod", names("svc", 30), func(batch []string, out *ecs.DescribeServicesOutput, err error) bool {
		if err != nil || len(out.Services) != len(batch) {
			t.Fatalf("batch %v: %v", batch, err)
		}
		seen = append(seen, len(batch))
		return len(seen) < 2
	})
	if fmt.Sprint(seen) != "[10 10]" || len(f.calls) != 2 {
		t.Fatalf("batches %v, calls %v: want two of 10, then stop", seen, f.calls)
	}
}

func TestDescribeTasksBatchesByHundredAndLeavesOutMissing(t *testing.T) {
	f := newFakeECS(0, "ACTIVE")
	arns := append(names("task", 250), "gone")
	got, err := NewECS(f).DescribeTasks(context.Background(), "prod", arns)
	if err != nil || len(got) != 250 {
		t.Fatalf("got %d tasks, %v", len(got), err)
	}
	if fmt.Sprint(f.calls) != "[DescribeTasks:100 DescribeTasks:100 DescribeTasks:51]" {
		t.Errorf("calls %v", f.calls)
	}
	f.calls, f.failAt, f.failWith = nil, 3, errors.New("boom")
	got, err = NewECS(f).DescribeTasks(context.Background(), "prod", arns)
	if err == nil || len(got) != 200 || err.Error() != "describe tasks prod: boom" {
		t.Fatalf("got %d tasks, %v; want 200 and the error", len(got), err)
	}
}

func TestDescribeContainerInstancesBatchesByHundred(t *testing.T) {
	f := newFakeECS(0, "ACTIVE")
	got, err := NewECS(f).DescribeContainerInstances(context.Background(), "prod", names("ci", 101))
	if err != nil || len(got) != 101 || fmt.Sprint(f.calls) != "[DescribeContainerInstances:100 DescribeContainerInstances:1]" {
		t.Fatalf("got %d, %v, calls %v", len(got), err, f.calls)
	}
	_, err = NewECS(f).DescribeContainerInstances(context.Background(), "staging", names("ci", 1))
	var nf *NotFoundError
	if !errors.As(err, &nf) || nf.Kind != "cluster" {
		t.Fatalf("error %v, want cluster not found", err)
	}
}

func TestListsFollowEveryPage(t *testing.T) {
	f := newFakeECS(7, "ACTIVE")
	f.pageSize = 3
	f.tasks = names("task", 8)
	f.instances = names("ci", 4)
	c := NewECS(f)
	ctx := context.Background()
	if got, err := c.ListServices(ctx, "prod"); err != nil || len(got) != 7 {
		t.Errorf("ListServices: %d, %v", len(got), err)
	}
	if got, err := c.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String("prod")}, 0); err != nil || len(got) != 8 {
		t.Errorf("ListTasks: %d, %v", len(got), err)
	}
	if got, err := c.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String("prod")}, 2); err != nil || len(got) != 6 {
		t.Errorf("ListTasks at most 2 pages: %d, %v; want 6", len(got), err)
	}
	if got, err := c.ListTaskDefinitions(ctx, &ecs.ListTaskDefinitionsInput{}); err != nil || fmt.Sprint(got) != "[api:3 api:2 api:1]" {
		t.Errorf("ListTaskDefinitions: %v, %v", got, err)
	}
	if got, err := c.ListContainerInstances(ctx, "prod", types.ContainerInstanceStatusActive); err != nil || len(got) != 4 {
		t.Errorf("ListContainerInstances: %d, %v", len(got), err)
	}
	if got, err := c.ListClusters(ctx); err != nil || fmt.Sprint(got) != "[prod]" {
		t.Errorf("ListClusters: %v, %v", got, err)
	}
	want := "[ListServices:0 ListServices:0 ListServices:0 ListTasks:0 ListTasks:0 ListTasks:0 ListTasks:0 ListTasks:0 ListTaskDefinitions:0 ListContainerInstances:0 ListContainerInstances:0 ListClusters:0]"
	if fmt.Sprint(f.calls) != want {
		t.Errorf("calls %v\nwant  %s", f.calls, want)
	}
	f.calls, f.failAt, f.failWith = nil, 2, errors.New("boom")
	got, err := c.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String("prod")}, 0)
	if err == nil || len(got) != 3 || err.Error() != "list tasks prod: boom" {
		t.Errorf("ListTasks failing on page 2: %d, %v; want page 1 and the error", len(got), err)
	}
}

func TestNotFoundErrorText(t *testing.T) {
	ctx := opstest.FlagNames(context.Background())
	if got := (NotFound(ctx, "service", "prod/api")).Error(); got != "service prod/api not found: check --service ('ecsctl services -c CLUSTER' lists them)" {
		t.Errorf("got %q", got)
	}
	if got := (NotFound(context.Background(), "auto scaling group", "web")).Error(); got != "auto scaling group web not found: check ASG, or leave it out to use the group running the cluster's instances" {
		t.Errorf("without a namer: got %q", got)
	}
	long := (NotFound(ctx, "target group", string(make([]rune, 300)))).Error()
	if n := len([]rune(long)); n != len("target group ")+200+1+len(" not found") {
		t.Errorf("a 300-rune name is cut to 200: %d runes", n)
	}
}

func TestDescribeClustersBatchesByHundredAndMapsMissing(t *testing.T) {
	f := newFakeECS(0, "ACTIVE")
	got, err := NewECS(f).DescribeClusters(context.Background(), names("c", 150))
	if err != nil || len(got) != 150 || fmt.Sprint(f.calls) != "[DescribeClusters:100 DescribeClusters:50]" {
		t.Fatalf("got %d, %v, calls %v", len(got), err, f.calls)
	}
	_, err = NewECS(f).DescribeClusters(context.Background(), []string{"c1", "gone-prod"})
	var nf *NotFoundError
	if !errors.As(err, &nf) || nf.Kind != "cluster" || nf.Name != "gone-prod" {
		t.Fatalf("error %v, want cluster gone-prod not found", err)
	}
}
