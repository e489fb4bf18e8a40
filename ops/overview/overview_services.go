package overview

import (
	"context"
	"ecsctl/ops"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// Deployment states of a service row.
const (
	ServiceStateSteady  = "steady"  // one COMPLETED deployment, running == desired
	ServiceStateRolling = "rolling" // a deployment in progress (or older ones draining)
	ServiceStateFailed  = "failed"  // the primary deployment FAILED
	ServiceStateScaling = "scaling" // one deployment, but running != desired
)

// ServiceRow is one line of `ecsctl services`.
type ServiceRow struct {
	Cluster        string `json:"cluster"`
	Name           string `json:"name"`
	Status         string `json:"status"`
	Desired        int    `json:"desired"`
	Running        int    `json:"running"`
	Pending        int    `json:"pending"`
	TaskDefinition string `json:"taskDefinition"` // family:revision
	Revision       int    `json:"revision"`
	Image          string `json:"image"`
	ImageTag       string `json:"imageTag"`
	// State is steady, rolling, failed or scaling; Deployments counts them.
	State       string `json:"state"`
	Deployments int    `json:"deployments"`
	// DeployedAt is when the primary deployment started; AgeSeconds is
	// now minus that.
	DeployedAt time.Time `json:"deployedAt"`
	AgeSeconds int64     `json:"ageSeconds"`
	// Task size and what the running tasks reserve (size × running).
	TaskCPU           int        `json:"taskCpu"`
	TaskMemory        int        `json:"taskMemory"`
	CPUReserved       int        `json:"cpuReserved"`
	MemoryReserved    int        `json:"memoryReserved"`
	CPUUtilization    *float64   `json:"cpuUtilization"`
	MemoryUtilization *float64   `json:"memoryUtilization"`
	LastEvent         string     `json:"lastEvent"`
	LastEventAt       *time.Time `json:"lastEventAt,omitempty"`
	// Controller is the deployment controller (ECS, CODE_DEPLOY,
	// EXTERNAL); Strategy the ECS controller's deployment strategy
	// (ROLLING, BLUE_GREEN, LINEAR, CANARY; "" for the other controllers).
	Controller string `json:"deploymentController"`
	Strategy   string `json:"deploymentStrategy,omitempty"`
	// Launch is the service's launch type (EC2, FARGATE) or its capacity
	// provider strategy ("FARGATE_SPOT:3,FARGATE:1 base 1"), "-" if neither.
	Launch                   string         `json:"launch"`
	CapacityProviderStrategy []StrategyItem `json:"capacityProviderStrategy,omitempty"`
}

// DeployKind is what is not the default about how the service deploys
// (see ops.DeployKind), "" for a rolling ECS service.
func (r ServiceRow) DeployKind() string { return ops.DeployKind(r.Controller, r.Strategy) }

// Services reads every service of a cluster: ListServices pages,
// DescribeServices by 10 in parallel, the cluster's tasks for sizes and
// images (DescribeTaskDefinition only for a service with no task of its
// primary revision), and utilization in batched GetMetricData calls.
func (o *Reader) Services(ctx context.Context, cluster string) ([]ServiceRow, error) {
	if _, err := o.describeCluster(ctx, cluster); err != nil {
		return nil, err
	}
	arns, err := o.serviceArns(ctx, cluster)
	if err != nil {
		return nil, err
	}
	// Services and tasks are independent reads: fetch them side by side.
	var (
		svcs  []types.Service
		tasks []types.Task
	)
	err = overviewParallel(ctx, 2, 2, func(ctx context.Context, i int) error {
		var err error
		if i == 0 {
			svcs, err = o.describeServices(ctx, cluster, arns)
		} else {
			tasks, err = o.clusterTasks(ctx, cluster, "")
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	rows, err := o.serviceRows(ctx, cluster, svcs, tasks)
	if err != nil {
		return nil, err
	}
	if err := o.ServiceUtilization(ctx, cluster, rows); err != nil {
		return nil, err
	}
	return rows, nil
}

// describeServices describes listed services 10 per call, concurrently.
func (o *Reader) describeServices(ctx context.Context, cluster string, names []string) ([]types.Service, error) {
	chunks := overviewChunks(names, 10)
	parts := make([][]types.Service, len(chunks))
	err := overviewParallel(ctx, len(chunks), o.limit(), func(ctx context.Context, i int) error {
		out, err := o.ECS.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: chunks[i]})
		if err != nil {
			return fmt.Errorf("describe services of %s: %w", cluster, overviewNotFound(ctx, err, "cluster", cluster))
		}
		// A service deleted between the listing and now comes back as a
		// failure or INACTIVE: it is simply gone from the snapshot.
		for _, s := range out.Services {
			if aws.ToString(s.Status) != "INACTIVE" {
				parts[i] = append(parts[i], s)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var all []types.Service
	for _, p := range parts {
		all = append(all, p...)
	}
	return all, nil
}

// serviceRows builds rows from described services and the cluster's tasks.
func (o *Reader) serviceRows(ctx context.Context, cluster string, svcs []types.Service, tasks []types.Task) ([]ServiceRow, error) {
	byTD := map[string]types.Task{}
	for _, t := range tasks {
		if _, ok := byTD[aws.ToString(t.TaskDefinitionArn)]; !ok {
			byTD[aws.ToString(t.TaskDefinitionArn)] = t
		}
	}
	now := o.now()
	rows := make([]ServiceRow, len(svcs))
	var missing []int // rows whose size and image need the task definition
	for i, s := range svcs {
		r := ServiceRow{
			Cluster: cluster, Name: aws.ToString(s.ServiceName), Status: aws.ToString(s.Status),
			Desired: int(s.DesiredCount), Running: int(s.RunningCount), Pending: int(s.PendingCount),
			TaskDefinition: overviewTaskDefName(aws.ToString(s.TaskDefinition)), Revision: overviewRevision(aws.ToString(s.TaskDefinition)),
			Deployments: len(s.Deployments),
			Controller:  ops.ServiceController(s), Strategy: ops.ServiceStrategy(s),
		}
		r.State = overviewServiceState(s)
		if d := ops.PrimaryDeployment(s); d != nil && d.CreatedAt != nil {
			r.DeployedAt = d.CreatedAt.UTC()
			r.AgeSeconds = int64(now.Sub(*d.CreatedAt) / time.Second)
		} else if at := primaryTaskSetCreated(s); at != nil {
			r.DeployedAt = at.UTC()
			r.AgeSeconds = int64(now.Sub(*at) / time.Second)
		}
		if len(s.Events) > 0 {
			e := s.Events[0]
			r.LastEvent = aws.ToString(e.Message)
			if e.CreatedAt != nil {
				at := e.CreatedAt.UTC()
				r.LastEventAt = &at
			}
		}
		if t, ok := byTD[aws.ToString(s.TaskDefinition)]; ok && len(t.Containers) > 0 {
			r.TaskCPU, r.TaskMemory = overviewTaskSize(t)
			r.Image = aws.ToString(t.Containers[0].Image)
		} else {
			missing = append(missing, i)
		}
		rows[i] = r
	}
	err := overviewParallel(ctx, len(missing), o.limit(), func(ctx context.Context, k int) error {
		i := missing[k]
		td, err := o.taskDefinition(ctx, aws.ToString(svcs[i].TaskDefinition))
		if err != nil {
			return err
		}
		rows[i].TaskCPU, rows[i].TaskMemory = ops.TaskDefSize(td)
		rows[i].Image = overviewMainImage(td)
		return nil
	})
	if err != nil {
		return nil, err
	}
	for i := range rows {
		rows[i].ImageTag = overviewTag(rows[i].Image)
		rows[i].CPUReserved = rows[i].TaskCPU * rows[i].Running
		rows[i].MemoryReserved = rows[i].TaskMemory * rows[i].Running
	}
	withLaunch(rows, svcs)
	sort.Slice(rows, func(i, j int) bool { return rows[i].Name < rows[j].Name })
	return rows, nil
}

// ServiceUtilization fills the rows' CPU and memory utilization (services
// with running tasks only) in as few GetMetricData calls as the 500-query
// limit allows. `top` calls it on its own, slower, cadence with the rows of
// a Reader whose CW is nil.
func (o *Reader) ServiceUtilization(ctx context.Context, cluster string, rows []ServiceRow) error {
	if o.CW == nil {
		return nil
	}
	var qs []overviewMetricQuery
	for _, r := range rows {
		if r.Running == 0 {
			continue
		}
		qs = append(qs, overviewMetricQuery{key: r.Name, metric: "CPUUtilization", cluster: cluster, service: r.Name},
			overviewMetricQuery{key: r.Name, metric: "MemoryUtilization", cluster: cluster, service: r.Name})
	}
	if len(qs) == 0 {
		return nil
	}
	vals, err := o.optionalMetrics(ctx, qs)
	if err != nil {
		return err
	}
	for i := range rows {
		rows[i].CPUUtilization = vals[overviewMetricKey{rows[i].Name, "CPUUtilization"}]
		rows[i].MemoryUtilization = vals[overviewMetricKey{rows[i].Name, "MemoryUtilization"}]
	}
	return nil
}

// serviceState classifies a service's deployments.
func overviewServiceState(s types.Service) string {
	d := ops.PrimaryDeployment(s)
	switch {
	case d != nil && d.RolloutState == types.DeploymentRolloutStateFailed:
		return ServiceStateFailed
	case len(s.Deployments) > 1 || (d != nil && d.RolloutState == types.DeploymentRolloutStateInProgress):
		return ServiceStateRolling
	case s.RunningCount != s.DesiredCount || s.PendingCount > 0:
		return ServiceStateScaling
	}
	return ServiceStateSteady
}

// ServiceSortKeys are the columns `--sort` accepts.
var ServiceSortKeys = []string{"name", "desired", "running", "pending", "state", "age", "revision", "cpu", "memory", "cpu-util", "memory-util"}

// SortServiceRows sorts rows by key (a ServiceSortKeys entry, "-" prefix
// for descending); ties go by name. Unknown keys are an InputError.
func SortServiceRows(ctx context.Context, rows []ServiceRow, key string) error {
	desc := strings.HasPrefix(key, "-")
	key = strings.TrimPrefix(key, "-")
	f := func(a float64) float64 { return a }
	util := func(p *float64) float64 {
		if p == nil {
			return -1
		}
		return *p
	}
	var val func(r ServiceRow) float64
	switch key {
	case "", "name":
		val = nil
	case "desired":
		val = func(r ServiceRow) float64 { return f(float64(r.Desired)) }
	case "running":
		val = func(r ServiceRow) float64 { return float64(r.Running) }
	case "pending":
		val = func(r ServiceRow) float64 { return float64(r.Pending) }
	case "age":
		val = func(r ServiceRow) float64 { return float64(r.AgeSeconds) }
	case "revision":
		val = func(r ServiceRow) float64 { return float64(r.Revision) }
	case "cpu":
		val = func(r ServiceRow) float64 { return float64(r.CPUReserved) }
	case "memory":
		val = func(r ServiceRow) float64 { return float64(r.MemoryReserved) }
	case "cpu-util":
		val = func(r ServiceRow) float64 { return util(r.CPUUtilization) }
	case "memory-util":
		val = func(r ServiceRow) float64 { return util(r.MemoryUtilization) }
	case "state":
		order := map[string]float64{ServiceStateFailed: 0, ServiceStateRolling: 1, ServiceStateScaling: 2, ServiceStateSteady: 3}
		val = func(r ServiceRow) float64 { return order[r.State] }
	default:
		return ops.Inputf("invalid %s %q: want one of %s (prefix - for descending)", ops.Opt(ctx, "Sort"), key, strings.Join(ServiceSortKeys, ", "))
	}
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if val != nil && val(a) != val(b) {
			if desc {
				return val(a) > val(b)
			}
			return val(a) < val(b)
		}
		if val == nil && desc {
			return a.Name > b.Name
		}
		return a.Name < b.Name
	})
	return nil
}

// ParseServiceFilter checks a --filter expression: a substring of the
// service name, or key:value with key one of name, state, image, tag, rev.
func ParseServiceFilter(ctx context.Context, expr string) (func(ServiceRow) bool, error) {
	expr = strings.TrimSpace(expr)
	if expr == "" {
		return func(ServiceRow) bool { return true }, nil
	}
	key, val, ok := strings.Cut(expr, ":")
	if !ok {
		return func(r ServiceRow) bool { return strings.Contains(r.Name, expr) }, nil
	}
	switch key {
	case "name":
		return func(r ServiceRow) bool { return strings.Contains(r.Name, val) }, nil
	case "state":
		return func(r ServiceRow) bool { return r.State == val }, nil
	case "image":
		return func(r ServiceRow) bool { return strings.Contains(r.Image, val) }, nil
	case "tag":
		return func(r ServiceRow) bool { return r.ImageTag == val }, nil
	case "rev", "revision":
		n, err := strconv.Atoi(val)
		if err != nil {
			return nil, ops.Inputf("invalid %s %q: rev wants a number, e.g. rev:42", ops.Opt(ctx, "Filter"), expr)
		}
		return func(r ServiceRow) bool { return r.Revision == n }, nil
	}
	return nil, ops.Inputf("invalid %s %q: want TEXT (part of the name) or KEY:VALUE with KEY name, state, image, tag or rev", ops.Opt(ctx, "Filter"), expr)
}

// serviceArns lists every service of cluster (pages of 100).
func (o *Reader) serviceArns(ctx context.Context, cluster string) ([]string, error) {
	var arns []string
	p := ecs.NewListServicesPaginator(o.ECS, &ecs.ListServicesInput{Cluster: aws.String(cluster), MaxResults: aws.Int32(100)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list services of %s: %w", cluster, overviewNotFound(ctx, err, "cluster", cluster))
		}
		arns = append(arns, page.ServiceArns...)
	}
	return arns, nil
}
