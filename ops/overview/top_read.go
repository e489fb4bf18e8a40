package overview

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// The read paths of the `top` dashboard. They reuse the overviews' paths
// (Reader.Clusters, Services, Instances, Status) and add what a live
// view needs on top: reads without metrics (the dashboard fetches those at
// most once a minute, ECS publishes them per minute), metrics on their own
// in batched GetMetricData calls, and the tasks of one instance.

// Utilization is a CPU and memory utilization pair (nil: no datapoint).
type Utilization struct {
	CPU    *float64 `json:"cpu"`
	Memory *float64 `json:"memory"`
}

// TopSource reads what the dashboard shows. Data reads never call
// CloudWatch; Metrics calls do, and only those.
type TopSource struct {
	// Reader serves the data reads; its CW field is ignored.
	Reader *Reader
	// CW serves ClusterMetrics and ServiceMetrics (nil: no utilization).
	CW CW

	// sizes remembers, per task definition ARN, the task size and image
	// a refresh found (task definitions never change), so that later
	// refreshes of a cluster whose revisions are all known skip listing
	// and describing its tasks.
	mu    sync.Mutex
	sizes map[string]topTaskSize
}

type topTaskSize struct {
	cpu, mem int
	image    string
}

// NewTopSource builds a source over the overviews' clients.
func NewTopSource(o *Reader) *TopSource {
	data := &Reader{ECS: o.ECS, EC2: o.EC2, ASG: o.ASG, ELB: o.ELB, Clock: o.Clock, Concurrency: o.Concurrency, MetricWindow: o.MetricWindow}
	return &TopSource{Reader: data, CW: o.CW}
}

func (s *TopSource) data() *Reader {
	if s.Reader.CW == nil {
		return s.Reader
	}
	o := s.Reader
	return &Reader{ECS: o.ECS, EC2: o.EC2, ASG: o.ASG, ELB: o.ELB, Clock: o.Clock, Concurrency: o.Concurrency}
}

// Clusters is Reader.Clusters without utilization: one ListClusters
// page per 100, one DescribeClusters per 100 and the container instances.
func (s *TopSource) Clusters(ctx context.Context) ([]ClusterSummary, error) {
	return s.data().Clusters(ctx, nil)
}

// Services is Reader.Services without utilization. The first read of a
// cluster lists and describes its tasks for task sizes and images, as
// Reader.Services does; later reads only list and describe the services
// (ceil(services/100) ListServices, ceil(services/10) DescribeServices)
// while every revision in use is one seen before, and describe the task
// definition of a new revision (once: they are cached).
func (s *TopSource) Services(ctx context.Context, cluster string) ([]ServiceRow, error) {
	o := s.data()
	if _, err := o.describeCluster(ctx, cluster); err != nil {
		return nil, err
	}
	arns, err := o.serviceArns(ctx, cluster)
	if err != nil {
		return nil, err
	}
	svcs, err := o.describeServices(ctx, cluster, arns)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	known := 0
	var tasks []types.Task
	for _, svc := range svcs {
		td := aws.ToString(svc.TaskDefinition)
		if sz, ok := s.sizes[td]; ok {
			known++
			// What serviceRows reads of a task: its size and first image.
			tasks = append(tasks, types.Task{TaskDefinitionArn: aws.String(td), Cpu: aws.String(strconv.Itoa(sz.cpu)), Memory: aws.String(strconv.Itoa(sz.mem)),
				Containers: []types.Container{{Image: aws.String(sz.image)}}})
		}
	}
	s.mu.Unlock()
	// Few revisions known (the first read): the cluster's tasks give sizes
	// and images in ceil(tasks/100) calls instead of one call per revision.
	if known < len(svcs)-topNewRevisions {
		if tasks, err = o.clusterTasks(ctx, cluster, ""); err != nil {
			return nil, err
		}
	}
	rows, err := o.serviceRows(ctx, cluster, svcs, tasks)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	if s.sizes == nil {
		s.sizes = map[string]topTaskSize{}
	}
	tdOf := map[string]string{}
	for _, svc := range svcs {
		tdOf[aws.ToString(svc.ServiceName)] = aws.ToString(svc.TaskDefinition)
	}
	for _, r := range rows { // rows are sorted by name, not in svcs' order
		if r.Image != "" && tdOf[r.Name] != "" {
			s.sizes[tdOf[r.Name]] = topTaskSize{r.TaskCPU, r.TaskMemory, r.Image}
		}
	}
	s.mu.Unlock()
	return rows, nil
}

// topNewRevisions is how many unknown revisions a refresh reads one by one
// (DescribeTaskDefinition) before listing the cluster's tasks instead.
const topNewRevisions = 10

// Instances is Reader.Instances.
func (s *TopSource) Instances(ctx context.Context, cluster string) ([]InstanceRow, error) {
	return s.data().Instances(ctx, cluster)
}

// ServiceDetail is Reader.Status without utilization: deployments, tasks
// with their instance and target health, and the last events.
func (s *TopSource) ServiceDetail(ctx context.Context, cluster, service string, lastEvents int) (*ServiceStatus, error) {
	return s.data().Status(ctx, cluster, service, lastEvents)
}

// InstanceTasks lists the tasks placed on one container instance.
func (s *TopSource) InstanceTasks(ctx context.Context, cluster, containerInstance string) ([]TaskRow, error) {
	o := s.data()
	in := &ecs.ListTasksInput{Cluster: aws.String(cluster), ContainerInstance: aws.String(containerInstance), MaxResults: aws.Int32(100)}
	var arns []string
	p := ecs.NewListTasksPaginator(o.ECS, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list tasks of instance %s in %s: %w", overviewShortName(containerInstance), cluster, overviewNotFound(ctx, err, "cluster", cluster))
		}
		arns = append(arns, page.TaskArns...)
	}
	tasks, err := o.describeTasks(ctx, cluster, arns)
	if err != nil {
		return nil, err
	}
	return topTaskRows(tasks, ""), nil
}

// topTaskRows turns described tasks into rows, sorted by service then id.
func topTaskRows(tasks []types.Task, instanceID string) []TaskRow {
	rows := make([]TaskRow, 0, len(tasks))
	for _, t := range tasks {
		tr := TaskRow{
			ID: overviewShortName(aws.ToString(t.TaskArn)), InstanceID: instanceID, AZ: aws.ToString(t.AvailabilityZone),
			LastStatus: aws.ToString(t.LastStatus), DesiredStatus: aws.ToString(t.DesiredStatus), Health: string(t.HealthStatus),
			TaskDefinition: overviewTaskDefName(aws.ToString(t.TaskDefinitionArn)), Revision: overviewRevision(aws.ToString(t.TaskDefinitionArn)),
		}
		if t.StartedAt != nil {
			st := t.StartedAt.UTC()
			tr.StartedAt = &st
		}
		rows = append(rows, tr)
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].TaskDefinition != rows[j].TaskDefinition {
			return rows[i].TaskDefinition < rows[j].TaskDefinition
		}
		return rows[i].ID < rows[j].ID
	})
	return rows
}

// ClusterMetrics reads the cluster-wide CPU and memory utilization of the
// named clusters: one GetMetricData call per 250 clusters.
func (s *TopSource) ClusterMetrics(ctx context.Context, clusters []string) (map[string]Utilization, error) {
	var qs []overviewMetricQuery
	for _, c := range clusters {
		qs = append(qs, overviewMetricQuery{key: c, metric: "CPUUtilization", cluster: c},
			overviewMetricQuery{key: c, metric: "MemoryUtilization", cluster: c})
	}
	return s.topMetrics(ctx, qs, clusters)
}

// ServiceMetrics reads the CPU and memory utilization of services of one
// cluster: one GetMetricData call per 250 services.
func (s *TopSource) ServiceMetrics(ctx context.Context, cluster string, services []string) (map[string]Utilization, error) {
	var qs []overviewMetricQuery
	for _, n := range services {
		qs = append(qs, overviewMetricQuery{key: n, metric: "CPUUtilization", cluster: cluster, service: n},
			overviewMetricQuery{key: n, metric: "MemoryUtilization", cluster: cluster, service: n})
	}
	return s.topMetrics(ctx, qs, services)
}

func (s *TopSource) topMetrics(ctx context.Context, qs []overviewMetricQuery, keys []string) (map[string]Utilization, error) {
	out := map[string]Utilization{}
	if s.CW == nil || len(qs) == 0 {
		return out, nil
	}
	o := &Reader{CW: s.CW, Clock: s.Reader.Clock, MetricWindow: s.Reader.MetricWindow}
	vals, err := o.metrics(ctx, qs)
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		out[k] = Utilization{CPU: vals[overviewMetricKey{k, "CPUUtilization"}], Memory: vals[overviewMetricKey{k, "MemoryUtilization"}]}
	}
	return out, nil
}

// CheckCluster reports a NotFoundError if the cluster does not exist (one
// DescribeClusters call), so that a typo fails before the dashboard starts.
func (s *TopSource) CheckCluster(ctx context.Context, cluster string) error {
	_, err := overviewDescribeCluster(ctx, s.Reader.ECS, cluster)
	return err
}

// ServiceStateCounts counts a cluster's services by deployment state.
type ServiceStateCounts struct {
	Services int `json:"services"`
	Rolling  int `json:"rolling"`
	Failed   int `json:"failed"`
	Scaling  int `json:"scaling"`
}

// NotSteady is how many services are rolling, failed or scaling.
func (c ServiceStateCounts) NotSteady() int { return c.Rolling + c.Failed + c.Scaling }

// ServiceStates classifies every service of the named clusters as
// `ecsctl services` does (steady, rolling, failed, scaling): per cluster,
// ceil(services/100) ListServices and ceil(services/10) DescribeServices.
func (s *TopSource) ServiceStates(ctx context.Context, clusters []string) (map[string]ServiceStateCounts, error) {
	o := s.data()
	out := make(map[string]ServiceStateCounts, len(clusters))
	for _, cluster := range clusters {
		arns, err := o.serviceArns(ctx, cluster)
		if err != nil {
			return nil, err
		}
		svcs, err := o.describeServices(ctx, cluster, arns)
		if err != nil {
			return nil, err
		}
		var c ServiceStateCounts
		for _, svc := range svcs {
			c.Services++
			switch overviewServiceState(svc) {
			case ServiceStateRolling:
				c.Rolling++
			case ServiceStateFailed:
				c.Failed++
			case ServiceStateScaling:
				c.Scaling++
			}
		}
		out[cluster] = c
	}
	return out, nil
}
