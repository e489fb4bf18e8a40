package awsapi

import (
	"context"
	"ecsctl/fmtx"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// Batch limits of the ECS API reference (and of the SDK's doc comments on
// the inputs, service/ecs v1.104): DescribeServicesInput.Services "up to 10
// services", DescribeTasksInput.Tasks "up to 100 task IDs",
// DescribeContainerInstancesInput.ContainerInstances "up to 100",
// DescribeClustersInput.Clusters "up to 100". Real ECS rejects a larger
// call (InvalidParameterException).
const (
	ClustersPerCall           = 100
	ServicesPerCall           = 10
	TasksPerCall              = 100
	ContainerInstancesPerCall = 100
)

// ecsAPI is the part of the ECS client the access layer calls.
type ecsAPI interface {
	ecsReadAPI
	DescribeClusters(ctx context.Context, in *ecs.DescribeClustersInput, optFns ...func(*ecs.Options)) (*ecs.DescribeClustersOutput, error)
	ListClusters(ctx context.Context, in *ecs.ListClustersInput, optFns ...func(*ecs.Options)) (*ecs.ListClustersOutput, error)
	ListServices(ctx context.Context, in *ecs.ListServicesInput, optFns ...func(*ecs.Options)) (*ecs.ListServicesOutput, error)
	ListTaskDefinitions(ctx context.Context, in *ecs.ListTaskDefinitionsInput, optFns ...func(*ecs.Options)) (*ecs.ListTaskDefinitionsOutput, error)
}

// ecsReadAPI is the part of ecsAPI the reads of a cluster's services, tasks
// and container instances call: all a drain holds (ops/fleet's DrainECS
// has no cluster or task definition listing).
type ecsReadAPI interface {
	DescribeServices(ctx context.Context, in *ecs.DescribeServicesInput, optFns ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error)
	DescribeTasks(ctx context.Context, in *ecs.DescribeTasksInput, optFns ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error)
	DescribeContainerInstances(ctx context.Context, in *ecs.DescribeContainerInstancesInput, optFns ...func(*ecs.Options)) (*ecs.DescribeContainerInstancesOutput, error)
	ListTasks(ctx context.Context, in *ecs.ListTasksInput, optFns ...func(*ecs.Options)) (*ecs.ListTasksOutput, error)
	ListContainerInstances(ctx context.Context, in *ecs.ListContainerInstancesInput, optFns ...func(*ecs.Options)) (*ecs.ListContainerInstancesOutput, error)
}

// ECS reads ECS in batches and pages. The reads of services, tasks and
// container instances are ECSReads': they need only ecsReadAPI.
type ECS struct {
	*ECSReads
	api ecsAPI
}

// NewECS wraps an ECS client (an *ecs.Client, or a test's fake).
func NewECS(api ecsAPI) *ECS { return &ECS{ECSReads: NewECSReads(api), api: api} }

// ECSReads reads a cluster's services, tasks and container instances in
// batches and pages.
type ECSReads struct{ api ecsReadAPI }

// NewECSReads wraps a client that holds only ecsReadAPI.
func NewECSReads(api ecsReadAPI) *ECSReads { return &ECSReads{api: api} }

// One-call interfaces, as the SDK's paginators take one (ecs.ListTasksAPIClient
// and the like): a feature whose narrow interface holds only the calls it
// makes reads through the package functions over them, and the ECS and
// ECSReads methods are built on the same functions.
type (
	ClustersAPI interface {
		DescribeClusters(ctx context.Context, in *ecs.DescribeClustersInput, optFns ...func(*ecs.Options)) (*ecs.DescribeClustersOutput, error)
	}
	ServicesAPI interface {
		DescribeServices(ctx context.Context, in *ecs.DescribeServicesInput, optFns ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error)
	}
	TasksAPI interface {
		DescribeTasks(ctx context.Context, in *ecs.DescribeTasksInput, optFns ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error)
	}
)

// failureMissing is the reason ECS gives in failures[] for a resource it
// does not know ("API failure reasons", ECS developer guide).
const failureMissing = "MISSING"

// DescribeClusters describes clusters, ClustersPerCall a call, in ECS's
// order. A cluster ECS reports MISSING is a *NotFoundError naming it; a
// failure for another reason names the reason.
func (c *ECS) DescribeClusters(ctx context.Context, names []string) ([]types.Cluster, error) {
	return DescribeClusters(ctx, c.api, names)
}

// DescribeClusters is the method of the same name over a client that holds
// only the one call (the one-call interfaces above).
func DescribeClusters(ctx context.Context, api ClustersAPI, names []string) ([]types.Cluster, error) {
	var out []types.Cluster
	for _, batch := range chunks(names, ClustersPerCall) {
		resp, err := api.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: batch})
		if err != nil {
			return out, fmt.Errorf("describe clusters: %w", err)
		}
		for _, f := range resp.Failures {
			if aws.ToString(f.Reason) == failureMissing {
				return out, NotFound(ctx, "cluster", fmtx.ShortARN(aws.ToString(f.Arn)))
			}
			return out, fmt.Errorf("describe cluster %s: %s", fmtx.ShortARN(aws.ToString(f.Arn)), failureText(f))
		}
		out = append(out, resp.Clusters...)
	}
	return out, nil
}

// DescribeServices describes services, ServicesPerCall a call, and returns
// what ECS found in the order it answered. A service ECS does not know is
// left out: scans over ListServices race with deletions. On an error the
// services of the calls that succeeded come back with it.
func (c *ECSReads) DescribeServices(ctx context.Context, cluster string, names []string) ([]types.Service, error) {
	return DescribeServices(ctx, c.api, cluster, names)
}

// DescribeServices is the method of the same name over a client that holds
// only the one call (the one-call interfaces above).
func DescribeServices(ctx context.Context, api ServicesAPI, cluster string, names []string) ([]types.Service, error) {
	var out []types.Service
	for _, batch := range chunks(names, ServicesPerCall) {
		resp, err := api.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: batch})
		if err != nil {
			return out, fmt.Errorf("describe services %s: %w", cluster, err)
		}
		out = append(out, resp.Services...)
	}
	return out, nil
}

// EachServiceBatch calls DescribeServices once per ServicesPerCall names
// and hands fn each batch with its answer or error, in order: a poller that
// reacts per batch (backs off on one, evaluates the others). fn returns
// false to stop.
func (c *ECSReads) EachServiceBatch(ctx context.Context, cluster string, names []string, fn func(batch []string, out *ecs.DescribeServicesOutput, err error) bool) {
	EachServiceBatch(ctx, c.api, cluster, names, fn)
}

// EachServiceBatch is the method of the same name over a client that holds
// only the one call.
func EachServiceBatch(ctx context.Context, api ServicesAPI, cluster string, names []string, fn func(batch []string, out *ecs.DescribeServicesOutput, err error) bool) {
	for _, batch := range chunks(names, ServicesPerCall) {
		out, err := api.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: batch})
		if !fn(batch, out, err) {
			return
		}
	}
}

// ActiveServices describes services that an operation is about to act
// on: one per name, in the order of names, each ACTIVE. The first name,
// in that order, that ECS reports MISSING, leaves out, or knows only as
// DRAINING or INACTIVE (a deleted service stays visible to DescribeServices
// in those states for a while: DeleteService in the ECS API reference) is a
// *NotFoundError, as is a cluster ECS does not know
// (ClusterNotFoundException). A failure for another reason names it.
// Names may be service names or ARNs.
func (c *ECSReads) ActiveServices(ctx context.Context, cluster string, names []string) ([]types.Service, error) {
	return ActiveServices(ctx, c.api, cluster, names)
}

// ActiveServices is the method of the same name over a client that holds
// only the one call.
func ActiveServices(ctx context.Context, api ServicesAPI, cluster string, names []string) ([]types.Service, error) {
	found := map[string]types.Service{}
	failed := map[string]types.Failure{}
	for _, batch := range chunks(names, ServicesPerCall) {
		resp, err := api.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: batch})
		if err != nil {
			if ErrorCode(err) == "ClusterNotFoundException" {
				return nil, NotFound(ctx, "cluster", cluster)
			}
			return nil, fmt.Errorf("describe services %s/%s: %w", cluster, strings.Join(batch, ","), err)
		}
		for _, s := range resp.Services {
			found[aws.ToString(s.ServiceName)] = s
			found[aws.ToString(s.ServiceArn)] = s
		}
		for _, f := range resp.Failures {
			arn := aws.ToString(f.Arn)
			failed[arn] = f
			failed[fmtx.ShortARN(arn)] = f
		}
	}
	out := make([]types.Service, len(names))
	for i, n := range names {
		s, ok := found[n]
		if ok && aws.ToString(s.Status) == "ACTIVE" {
			out[i] = s
			continue
		}
		if f, ok := failed[n]; ok && aws.ToString(f.Reason) != failureMissing {
			return nil, fmt.Errorf("describe service %s/%s: %s", cluster, n, failureText(f))
		}
		return nil, NotFound(ctx, "service", cluster+"/"+n)
	}
	return out, nil
}

// DescribeTasks describes tasks, TasksPerCall a call. A task ECS no longer
// knows (MISSING: stopped tasks stay visible for about an hour) is left
// out. On an error the tasks of the calls that succeeded come back with it.
func (c *ECSReads) DescribeTasks(ctx context.Context, cluster string, arns []string) ([]types.Task, error) {
	return DescribeTasks(ctx, c.api, cluster, arns)
}

// DescribeTasks is the method of the same name over a client that holds
// only the one call (the one-call interfaces above).
func DescribeTasks(ctx context.Context, api TasksAPI, cluster string, arns []string) ([]types.Task, error) {
	var out []types.Task
	for _, batch := range chunks(arns, TasksPerCall) {
		resp, err := api.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: batch})
		if err != nil {
			return out, fmt.Errorf("describe tasks %s: %w", cluster, err)
		}
		out = append(out, resp.Tasks...)
	}
	return out, nil
}

// DescribeContainerInstances describes container instances,
// ContainerInstancesPerCall a call. One ECS does not know (MISSING: it
// deregistered) is left out. On an error the instances of the calls that
// succeeded come back with it.
func (c *ECSReads) DescribeContainerInstances(ctx context.Context, cluster string, arns []string) ([]types.ContainerInstance, error) {
	var out []types.ContainerInstance
	for _, batch := range chunks(arns, ContainerInstancesPerCall) {
		resp, err := c.api.DescribeContainerInstances(ctx, &ecs.DescribeContainerInstancesInput{Cluster: aws.String(cluster), ContainerInstances: batch})
		if err != nil {
			if ErrorCode(err) == "ClusterNotFoundException" {
				return out, NotFound(ctx, "cluster", cluster)
			}
			return out, fmt.Errorf("describe container instances %s: %w", cluster, err)
		}
		out = append(out, resp.ContainerInstances...)
	}
	return out, nil
}

// ListClusters lists every cluster ARN, every page.
func (c *ECS) ListClusters(ctx context.Context) ([]string, error) {
	return ListClusters(ctx, c.api)
}

// ListClusters is the method of the same name over a client that holds
// only the one call (the one-call interfaces above).
func ListClusters(ctx context.Context, api ecs.ListClustersAPIClient) ([]string, error) {
	var out []string
	p := ecs.NewListClustersPaginator(api, &ecs.ListClustersInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return out, fmt.Errorf("list clusters: %w", err)
		}
		out = append(out, page.ClusterArns...)
	}
	return out, nil
}

// ListServices lists every service ARN of cluster, every page.
func (c *ECS) ListServices(ctx context.Context, cluster string) ([]string, error) {
	return ListServices(ctx, c.api, cluster)
}

// ListServices is the method of the same name over a client that holds
// only the one call (the one-call interfaces above).
func ListServices(ctx context.Context, api ecs.ListServicesAPIClient, cluster string) ([]string, error) {
	var out []string
	p := ecs.NewListServicesPaginator(api, &ecs.ListServicesInput{Cluster: aws.String(cluster)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return out, fmt.Errorf("list services %s: %w", cluster, err)
		}
		out = append(out, page.ServiceArns...)
	}
	return out, nil
}

// ListTasks lists the task ARNs in answers to in, following pages up to
// maxPages (0: every page; stopped tasks of a churning service can fill
// many). On an error the ARNs of the pages read come back with it.
func (c *ECSReads) ListTasks(ctx context.Context, in *ecs.ListTasksInput, maxPages int) ([]string, error) {
	return ListTasks(ctx, c.api, in, maxPages)
}

// ListTasks is the method of the same name over a client that holds
// only the one call (the one-call interfaces above).
func ListTasks(ctx context.Context, api ecs.ListTasksAPIClient, in *ecs.ListTasksInput, maxPages int) ([]string, error) {
	var out []string
	p := ecs.NewListTasksPaginator(api, in)
	for pages := 0; p.HasMorePages() && (maxPages <= 0 || pages < maxPages); pages++ {
		page, err := p.NextPage(ctx)
		if err != nil {
			return out, fmt.Errorf("list tasks %s: %w", taskFilter(in), err)
		}
		out = append(out, page.TaskArns...)
	}
	return out, nil
}

// ListTaskDefinitions lists the task definition ARNs in answers to in,
// every page.
func (c *ECS) ListTaskDefinitions(ctx context.Context, in *ecs.ListTaskDefinitionsInput) ([]string, error) {
	return ListTaskDefinitions(ctx, c.api, in)
}

// ListTaskDefinitions is the method of the same name over a client that holds
// only the one call (the one-call interfaces above).
func ListTaskDefinitions(ctx context.Context, api ecs.ListTaskDefinitionsAPIClient, in *ecs.ListTaskDefinitionsInput) ([]string, error) {
	var out []string
	p := ecs.NewListTaskDefinitionsPaginator(api, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return out, fmt.Errorf("list task definitions %s: %w", aws.ToString(in.FamilyPrefix), err)
		}
		out = append(out, page.TaskDefinitionArns...)
	}
	return out, nil
}

// ListContainerInstances lists the container instance ARNs of cluster in
// status, every page; status "" lists every state but INACTIVE
// (ListContainerInstancesInput.Status).
func (c *ECSReads) ListContainerInstances(ctx context.Context, cluster string, status types.ContainerInstanceStatus) ([]string, error) {
	var out []string
	p := ecs.NewListContainerInstancesPaginator(c.api, &ecs.ListContainerInstancesInput{Cluster: aws.String(cluster), Status: status})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			if ErrorCode(err) == "ClusterNotFoundException" {
				return out, NotFound(ctx, "cluster", cluster)
			}
			return out, fmt.Errorf("list container instances %s: %w", cluster, err)
		}
		out = append(out, page.ContainerInstanceArns...)
	}
	return out, nil
}

// taskFilter names what a ListTasks call asks for: "prod family api",
// "prod service web", "prod".
func taskFilter(in *ecs.ListTasksInput) string {
	s := aws.ToString(in.Cluster)
	if in.Family != nil {
		s += " family " + aws.ToString(in.Family)
	}
	if in.ServiceName != nil {
		s += " service " + aws.ToString(in.ServiceName)
	}
	if in.ContainerInstance != nil {
		s += " container instance " + fmtx.ShortARN(aws.ToString(in.ContainerInstance))
	}
	return s
}

func failureText(f types.Failure) string {
	s := aws.ToString(f.Reason)
	if d := aws.ToString(f.Detail); d != "" {
		s += " (" + d + ")"
	}
	return s
}
