package overview

import (
	"context"
	"ecsctl/ops"
	"ecsctl/ops/awsapi"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
)

// The read paths behind `clusters`, `services`, `instances`, `status`,
// `events` and `capacity` (and the `top` dashboard): each returns a typed
// snapshot, batches within the API limits (10 per DescribeServices, 100 per
// DescribeTasks / DescribeContainerInstances / DescribeClusters), follows
// every page, and runs independent calls concurrently under a limit.

// ECS is the part of the ECS API the overviews read.
type ECS interface {
	ListClusters(ctx context.Context, in *ecs.ListClustersInput, optFns ...func(*ecs.Options)) (*ecs.ListClustersOutput, error)
	DescribeClusters(ctx context.Context, in *ecs.DescribeClustersInput, optFns ...func(*ecs.Options)) (*ecs.DescribeClustersOutput, error)
	ListServices(ctx context.Context, in *ecs.ListServicesInput, optFns ...func(*ecs.Options)) (*ecs.ListServicesOutput, error)
	DescribeServices(ctx context.Context, in *ecs.DescribeServicesInput, optFns ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error)
	ListContainerInstances(ctx context.Context, in *ecs.ListContainerInstancesInput, optFns ...func(*ecs.Options)) (*ecs.ListContainerInstancesOutput, error)
	DescribeContainerInstances(ctx context.Context, in *ecs.DescribeContainerInstancesInput, optFns ...func(*ecs.Options)) (*ecs.DescribeContainerInstancesOutput, error)
	ListTasks(ctx context.Context, in *ecs.ListTasksInput, optFns ...func(*ecs.Options)) (*ecs.ListTasksOutput, error)
	DescribeTasks(ctx context.Context, in *ecs.DescribeTasksInput, optFns ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error)
	DescribeTaskDefinition(ctx context.Context, in *ecs.DescribeTaskDefinitionInput, optFns ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error)
}

// EC2 reads instance launch times and launch template AMIs.
type EC2 interface {
	DescribeInstances(ctx context.Context, in *ec2.DescribeInstancesInput, optFns ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error)
	DescribeLaunchTemplateVersions(ctx context.Context, in *ec2.DescribeLaunchTemplateVersionsInput, optFns ...func(*ec2.Options)) (*ec2.DescribeLaunchTemplateVersionsOutput, error)
}

// ASG finds the Auto Scaling group of each instance.
type ASG interface {
	DescribeAutoScalingGroups(ctx context.Context, in *autoscaling.DescribeAutoScalingGroupsInput, optFns ...func(*autoscaling.Options)) (*autoscaling.DescribeAutoScalingGroupsOutput, error)
}

// CW reads ECS's utilization metrics.
type CW interface {
	GetMetricData(ctx context.Context, in *cloudwatch.GetMetricDataInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error)
}

// ELB reads load-balancer target health.
type ELB interface {
	DescribeTargetHealth(ctx context.Context, in *elasticloadbalancingv2.DescribeTargetHealthInput, optFns ...func(*elasticloadbalancingv2.Options)) (*elasticloadbalancingv2.DescribeTargetHealthOutput, error)
}

// Reader reads snapshots of clusters, services and instances. Its
// fields may be left nil where a read does not need them (CW nil: no
// utilization; EC2/ASG nil: no launch times or AMI targets).
type Reader struct {
	ECS ECS
	EC2 EC2
	ASG ASG
	CW  CW
	ELB ELB
	// Clock gives "now" for ages and the metrics window (default: real clock).
	Clock ops.Clock
	// Concurrency bounds the AWS calls in flight at once (default 8).
	Concurrency int
	// MetricWindow is how far back utilization is read; the newest
	// datapoint wins (default 5 minutes).
	MetricWindow time.Duration

	tdMu    sync.Mutex
	tdCache map[string]*types.TaskDefinition

	// MetricsNote, when set, is told once why utilization could not be
	// read (GetMetricData denied or failing); the overview goes on
	// without it (see optionalMetrics).
	MetricsNote func(msg string)
	metricsOnce sync.Once
}

func (o *Reader) now() time.Time {
	if o.Clock == nil {
		return time.Now()
	}
	return o.Clock.Now()
}

func (o *Reader) limit() int {
	if o.Concurrency <= 0 {
		return 8
	}
	return o.Concurrency
}

// overviewParallel runs fn(0..n-1) with at most limit in flight and returns
// the first error (the others are cancelled through ctx).
func overviewParallel(ctx context.Context, n, limit int, fn func(ctx context.Context, i int) error) error {
	if n == 0 {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	for i := 0; i < n; i++ {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			if err := fn(ctx, i); err != nil {
				once.Do(func() { first = err; cancel() })
			}
		}(i)
	}
	wg.Wait()
	if first != nil {
		return first
	}
	return ctx.Err()
}

func overviewChunks(items []string, size int) [][]string {
	var out [][]string
	for len(items) > size {
		out = append(out, items[:size])
		items = items[size:]
	}
	if len(items) > 0 {
		out = append(out, items)
	}
	return out
}

// ---- clusters ---------------------------------------------------------------

// describeCluster checks a cluster exists and returns it.
func (o *Reader) describeCluster(ctx context.Context, cluster string) (types.Cluster, error) {
	return overviewDescribeCluster(ctx, o.ECS, cluster)
}

type overviewClusterAPI interface {
	DescribeClusters(ctx context.Context, in *ecs.DescribeClustersInput, optFns ...func(*ecs.Options)) (*ecs.DescribeClustersOutput, error)
}

// overviewDescribeCluster describes one cluster; NotFoundError if it does not exist.
func overviewDescribeCluster(ctx context.Context, api overviewClusterAPI, cluster string) (types.Cluster, error) {
	out, err := api.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{cluster}})
	if err != nil {
		return types.Cluster{}, fmt.Errorf("describe cluster %s: %w", cluster, err)
	}
	for _, c := range out.Clusters {
		if aws.ToString(c.Status) != "INACTIVE" {
			return c, nil
		}
	}
	return types.Cluster{}, ops.NotFound(ctx, "cluster", cluster)
}

// overviewNotFound turns ECS's not-found exceptions into NotFoundError.
func overviewNotFound(ctx context.Context, err error, kind, name string) error {
	switch awsapi.ErrorCode(err) {
	case "ClusterNotFoundException":
		return ops.NotFound(ctx, "cluster", name)
	case "ServiceNotFoundException":
		return ops.NotFound(ctx, kind, name)
	}
	return err
}

// ClusterSummary is one line of `ecsctl clusters`.
type ClusterSummary struct {
	Name              string   `json:"name"`
	Arn               string   `json:"arn"`
	Status            string   `json:"status"`
	ActiveInstances   int      `json:"activeInstances"`
	DrainingInstances int      `json:"drainingInstances"`
	Services          int      `json:"services"`
	RunningTasks      int      `json:"runningTasks"`
	PendingTasks      int      `json:"pendingTasks"`
	CPURegistered     int      `json:"cpuRegistered"`
	CPUReserved       int      `json:"cpuReserved"`
	MemoryRegistered  int      `json:"memoryRegistered"`
	MemoryReserved    int      `json:"memoryReserved"`
	CPUUtilization    *float64 `json:"cpuUtilization"`
	MemoryUtilization *float64 `json:"memoryUtilization"`
}

// Clusters summarises every cluster of the account and region (or only the
// named ones), sorted by name.
func (o *Reader) Clusters(ctx context.Context, names []string) ([]ClusterSummary, error) {
	if len(names) == 0 {
		var err error
		if names, err = awsapi.ListClusters(ctx, o.ECS); err != nil {
			return nil, err
		}
	}
	clusters, err := awsapi.DescribeClusters(ctx, o.ECS, names)
	if err != nil {
		return nil, err
	}
	sums := make([]ClusterSummary, len(clusters))
	err = overviewParallel(ctx, len(clusters), o.limit(), func(ctx context.Context, i int) error {
		c := clusters[i]
		s := ClusterSummary{
			Name: aws.ToString(c.ClusterName), Arn: aws.ToString(c.ClusterArn), Status: aws.ToString(c.Status),
			Services: int(c.ActiveServicesCount), RunningTasks: int(c.RunningTasksCount), PendingTasks: int(c.PendingTasksCount),
		}
		cis, err := o.containerInstances(ctx, s.Name)
		if err != nil {
			return err
		}
		for _, ci := range cis {
			switch aws.ToString(ci.Status) {
			case "ACTIVE":
				s.ActiveInstances++
			case "DRAINING":
				s.DrainingInstances++
			}
			r := overviewResources(ci)
			s.CPURegistered += r.cpuReg
			s.CPUReserved += r.cpuReg - r.cpuFree
			s.MemoryRegistered += r.memReg
			s.MemoryReserved += r.memReg - r.memFree
		}
		sums[i] = s
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(sums, func(i, j int) bool { return sums[i].Name < sums[j].Name })
	if o.CW != nil && len(sums) > 0 {
		var qs []overviewMetricQuery
		for _, s := range sums {
			qs = append(qs, overviewMetricQuery{key: s.Name, metric: "CPUUtilization", cluster: s.Name},
				overviewMetricQuery{key: s.Name, metric: "MemoryUtilization", cluster: s.Name})
		}
		vals, err := o.optionalMetrics(ctx, qs)
		if err != nil {
			return nil, err
		}
		for i := range sums {
			sums[i].CPUUtilization = vals[overviewMetricKey{sums[i].Name, "CPUUtilization"}]
			sums[i].MemoryUtilization = vals[overviewMetricKey{sums[i].Name, "MemoryUtilization"}]
		}
	}
	return sums, nil
}

// ---- container instances ---------------------------------------------------

// containerInstances lists and describes every container instance of a
// cluster: one ListContainerInstances per 100, one Describe per 100.
func (o *Reader) containerInstances(ctx context.Context, cluster string) ([]types.ContainerInstance, error) {
	var arns []string
	p := ecs.NewListContainerInstancesPaginator(o.ECS, &ecs.ListContainerInstancesInput{Cluster: aws.String(cluster), MaxResults: aws.Int32(100)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list container instances of %s: %w", cluster, overviewNotFound(ctx, err, "cluster", cluster))
		}
		arns = append(arns, page.ContainerInstanceArns...)
	}
	return o.describeContainerInstances(ctx, cluster, arns)
}

func (o *Reader) describeContainerInstances(ctx context.Context, cluster string, arns []string) ([]types.ContainerInstance, error) {
	chunks := overviewChunks(arns, 100)
	parts := make([][]types.ContainerInstance, len(chunks))
	err := overviewParallel(ctx, len(chunks), o.limit(), func(ctx context.Context, i int) error {
		out, err := o.ECS.DescribeContainerInstances(ctx, &ecs.DescribeContainerInstancesInput{Cluster: aws.String(cluster), ContainerInstances: chunks[i]})
		if err != nil {
			return fmt.Errorf("describe container instances of %s: %w", cluster, err)
		}
		parts[i] = out.ContainerInstances
		return nil
	})
	if err != nil {
		return nil, err
	}
	var all []types.ContainerInstance
	for _, p := range parts {
		all = append(all, p...)
	}
	return all, nil
}

type overviewRes struct{ cpuReg, cpuFree, memReg, memFree int }

func overviewResources(ci types.ContainerInstance) overviewRes {
	var r overviewRes
	get := func(rs []types.Resource, name string) int {
		for _, x := range rs {
			if aws.ToString(x.Name) == name {
				return int(x.IntegerValue)
			}
		}
		return 0
	}
	r.cpuReg, r.memReg = get(ci.RegisteredResources, "CPU"), get(ci.RegisteredResources, "MEMORY")
	r.cpuFree, r.memFree = get(ci.RemainingResources, "CPU"), get(ci.RemainingResources, "MEMORY")
	return r
}

func overviewAttr(ci types.ContainerInstance, name string) string {
	for _, a := range ci.Attributes {
		if aws.ToString(a.Name) == name {
			return aws.ToString(a.Value)
		}
	}
	return ""
}

// overviewShortName is the last path element of an ARN (or the name itself).
func overviewShortName(arn string) string {
	if i := strings.LastIndexByte(arn, '/'); i >= 0 {
		return arn[i+1:]
	}
	return arn
}

// overviewTaskDefName is "family:revision" of a task definition ARN.
func overviewTaskDefName(arn string) string {
	return overviewShortName(arn)
}

func overviewRevision(arn string) int {
	name := overviewShortName(arn)
	if i := strings.LastIndexByte(name, ':'); i >= 0 {
		n, _ := strconv.Atoi(name[i+1:])
		return n
	}
	return 0
}

// overviewTag is the tag (or digest) of an image reference, "" if none.
func overviewTag(image string) string {
	if i := strings.Index(image, "@"); i >= 0 {
		return image[i+1:]
	}
	slash := strings.LastIndexByte(image, '/')
	if i := strings.LastIndexByte(image, ':'); i > slash {
		return image[i+1:]
	}
	return "latest"
}

// taskDefinition reads a task definition once; they never change.
func (o *Reader) taskDefinition(ctx context.Context, arn string) (*types.TaskDefinition, error) {
	o.tdMu.Lock()
	td := o.tdCache[arn]
	o.tdMu.Unlock()
	if td != nil {
		return td, nil
	}
	out, err := o.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(arn)})
	if err != nil {
		return nil, fmt.Errorf("describe task definition %s: %w", overviewTaskDefName(arn), err)
	}
	o.tdMu.Lock()
	if o.tdCache == nil {
		o.tdCache = map[string]*types.TaskDefinition{}
	}
	o.tdCache[arn] = out.TaskDefinition
	o.tdMu.Unlock()
	return out.TaskDefinition, nil
}

// overviewTaskSize is the CPU units and MiB a task reserves: the task-level
// size when set, else the sum of its containers'.
func overviewTaskSize(t types.Task) (cpu, mem int) {
	cpu, _ = strconv.Atoi(aws.ToString(t.Cpu))
	mem, _ = strconv.Atoi(aws.ToString(t.Memory))
	if cpu == 0 || mem == 0 {
		var c, m int
		for _, ct := range t.Containers {
			n, _ := strconv.Atoi(aws.ToString(ct.Cpu))
			c += n
			n, _ = strconv.Atoi(aws.ToString(ct.Memory))
			m += n
		}
		if cpu == 0 {
			cpu = c
		}
		if mem == 0 {
			mem = m
		}
	}
	return cpu, mem
}

// overviewMainImage is the image of the first essential container.
func overviewMainImage(td *types.TaskDefinition) string {
	for _, cd := range td.ContainerDefinitions {
		if cd.Essential == nil || *cd.Essential {
			return aws.ToString(cd.Image)
		}
	}
	if len(td.ContainerDefinitions) > 0 {
		return aws.ToString(td.ContainerDefinitions[0].Image)
	}
	return ""
}

// clusterTasks lists and describes the tasks of a cluster (desired status
// RUNNING, which includes PENDING ones), optionally of one service.
func (o *Reader) clusterTasks(ctx context.Context, cluster, service string) ([]types.Task, error) {
	in := &ecs.ListTasksInput{Cluster: aws.String(cluster), MaxResults: aws.Int32(100)}
	if service != "" {
		in.ServiceName = aws.String(service)
	}
	var arns []string
	p := ecs.NewListTasksPaginator(o.ECS, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			what := cluster
			if service != "" {
				what = cluster + "/" + service
			}
			return nil, fmt.Errorf("list tasks of %s: %w", what, overviewNotFound(ctx, err, "service", what))
		}
		arns = append(arns, page.TaskArns...)
	}
	return o.describeTasks(ctx, cluster, arns)
}

func (o *Reader) describeTasks(ctx context.Context, cluster string, arns []string) ([]types.Task, error) {
	chunks := overviewChunks(arns, 100)
	parts := make([][]types.Task, len(chunks))
	err := overviewParallel(ctx, len(chunks), o.limit(), func(ctx context.Context, i int) error {
		out, err := o.ECS.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: chunks[i]})
		if err != nil {
			return fmt.Errorf("describe tasks of %s: %w", cluster, err)
		}
		parts[i] = out.Tasks
		return nil
	})
	if err != nil {
		return nil, err
	}
	var all []types.Task
	for _, p := range parts {
		all = append(all, p...)
	}
	return all, nil
}

// serviceNameOfTask is the service a task belongs to ("" for standalone).
func overviewServiceOfTask(t types.Task) string {
	g := aws.ToString(t.Group)
	if strings.HasPrefix(g, "service:") {
		return strings.TrimPrefix(g, "service:")
	}
	return ""
}
