package overview

import (
	"context"
	"ecsctl/ops"
	"ecsctl/ops/awsapi"

	"fmt"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
)

// ServiceStatus is `ecsctl status`: one service's deployments, tasks
// (with instance, AZ and load-balancer target health) and last events.
type ServiceStatus struct {
	Service     ServiceRow       `json:"service"`
	MinHealthy  int              `json:"minimumHealthyPercent"`
	MaxPercent  int              `json:"maximumPercent"`
	Deployments []DeploymentInfo `json:"deployments"`
	Tasks       []TaskRow        `json:"tasks"`
	Targets     []TargetRow      `json:"targets"`
	Events      []ServiceEvent   `json:"events"`
	// ServiceDeployment is the blue/green, linear or canary deployment in
	// progress, if any (deploy_strategy.go).
	ServiceDeployment *ServiceDeploymentInfo `json:"serviceDeployment,omitempty"`
}

// DeploymentInfo is one deployment of a service.
type DeploymentInfo struct {
	ID             string    `json:"id"`
	Status         string    `json:"status"` // PRIMARY, ACTIVE
	RolloutState   string    `json:"rolloutState"`
	RolloutReason  string    `json:"rolloutReason,omitempty"`
	TaskDefinition string    `json:"taskDefinition"`
	Desired        int       `json:"desired"`
	Running        int       `json:"running"`
	Pending        int       `json:"pending"`
	Failed         int       `json:"failed"`
	CreatedAt      time.Time `json:"createdAt"`
	UpdatedAt      time.Time `json:"updatedAt"`
}

// TaskRow is one task of a service.
type TaskRow struct {
	ID             string     `json:"id"`
	InstanceID     string     `json:"instanceId"`
	AZ             string     `json:"availabilityZone"`
	LastStatus     string     `json:"lastStatus"`
	DesiredStatus  string     `json:"desiredStatus"`
	Health         string     `json:"health"`
	StartedAt      *time.Time `json:"startedAt,omitempty"`
	TaskDefinition string     `json:"taskDefinition"`
	Revision       int        `json:"revision"`
	// TargetHealth is the state of the task's load-balancer targets
	// ("healthy", "initial", ... ; several joined by ","), "" if none.
	TargetHealth string `json:"targetHealth"`
	// LaunchType (EC2, FARGATE), CapacityProvider, and the awsvpc network
	// interface and address: a Fargate task has these and no InstanceID.
	LaunchType       string `json:"launchType,omitempty"`
	CapacityProvider string `json:"capacityProvider,omitempty"`
	ENI              string `json:"networkInterfaceId,omitempty"`
	PrivateIP        string `json:"privateIpv4Address,omitempty"`
}

// TargetRow is one target of the service's target groups.
type TargetRow struct {
	TargetGroup string `json:"targetGroup"`
	ID          string `json:"id"`
	Port        int    `json:"port"`
	State       string `json:"state"`
	Reason      string `json:"reason,omitempty"`
	TaskID      string `json:"taskId,omitempty"`
}

// ServiceEvent is one service event.
type ServiceEvent struct {
	ID      string    `json:"id"`
	At      time.Time `json:"at"`
	Message string    `json:"message"`
}

// describeService describes one service, NotFoundError if it does not exist.
func (o *Reader) describeService(ctx context.Context, cluster, service string) (types.Service, error) {
	return overviewDescribeService(ctx, o.ECS, cluster, service)
}

type overviewServiceAPI interface {
	DescribeServices(ctx context.Context, in *ecs.DescribeServicesInput, optFns ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error)
}

func overviewDescribeService(ctx context.Context, api overviewServiceAPI, cluster, service string) (types.Service, error) {
	out, err := api.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: []string{service}})
	if err != nil {
		return types.Service{}, fmt.Errorf("describe service %s/%s: %w", cluster, service, overviewNotFound(ctx, err, "service", cluster+"/"+service))
	}
	for _, s := range out.Services {
		if aws.ToString(s.Status) != "INACTIVE" {
			return s, nil
		}
	}
	return types.Service{}, ops.NotFound(ctx, "service", cluster+"/"+service)
}

// Status reads one service in full. lastEvents bounds the events (0: all
// that DescribeServices returns).
func (o *Reader) Status(ctx context.Context, cluster, service string, lastEvents int) (*ServiceStatus, error) {
	if _, err := o.describeCluster(ctx, cluster); err != nil {
		return nil, err
	}
	svc, err := o.describeService(ctx, cluster, service)
	if err != nil {
		return nil, err
	}
	tasks, err := o.clusterTasks(ctx, cluster, aws.ToString(svc.ServiceName))
	if err != nil {
		return nil, err
	}
	rows, err := o.serviceRows(ctx, cluster, []types.Service{svc}, tasks)
	if err != nil {
		return nil, err
	}
	if err := o.ServiceUtilization(ctx, cluster, rows); err != nil {
		return nil, err
	}
	st := &ServiceStatus{Service: rows[0], Deployments: []DeploymentInfo{}, Tasks: []TaskRow{}, Targets: []TargetRow{}, Events: []ServiceEvent{}}
	if dc := svc.DeploymentConfiguration; dc != nil {
		st.MinHealthy, st.MaxPercent = int(aws.ToInt32(dc.MinimumHealthyPercent)), int(aws.ToInt32(dc.MaximumPercent))
	}
	st.Deployments = append(st.Deployments, deploymentInfos(svc)...)
	st.Deployments = append(st.Deployments, taskSetInfos(svc)...)
	st.ServiceDeployment = overviewServiceDeployment(ctx, o.ECS, svc)
	st.Events = overviewEvents(svc, lastEvents)

	ec2ID, err := o.taskInstanceIDs(ctx, cluster, tasks)
	if err != nil {
		return nil, err
	}
	health, err := o.statusTargets(ctx, st, cluster, service, svc, tasks, ec2ID)
	if err != nil {
		return nil, err
	}
	statusTasks(st, tasks, ec2ID, health)
	return st, nil
}

// deploymentInfos is the service's deployments as DescribeServices lists
// them.
func deploymentInfos(svc types.Service) []DeploymentInfo {
	var out []DeploymentInfo
	for _, d := range svc.Deployments {
		di := DeploymentInfo{
			ID: aws.ToString(d.Id), Status: aws.ToString(d.Status), RolloutState: string(d.RolloutState), RolloutReason: aws.ToString(d.RolloutStateReason),
			TaskDefinition: overviewTaskDefName(aws.ToString(d.TaskDefinition)),
			Desired:        int(d.DesiredCount), Running: int(d.RunningCount), Pending: int(d.PendingCount), Failed: int(d.FailedTasks),
		}
		if d.CreatedAt != nil {
			di.CreatedAt = d.CreatedAt.UTC()
		}
		if d.UpdatedAt != nil {
			di.UpdatedAt = d.UpdatedAt.UTC()
		}
		out = append(out, di)
	}
	return out
}

// taskInstanceIDs maps the container instances the tasks run on to their
// EC2 instance ids, 100 per call.
func (o *Reader) taskInstanceIDs(ctx context.Context, cluster string, tasks []types.Task) (map[string]string, error) {
	ciSet := map[string]bool{}
	var ciArns []string
	for _, t := range tasks {
		if a := aws.ToString(t.ContainerInstanceArn); a != "" && !ciSet[a] {
			ciSet[a] = true
			ciArns = append(ciArns, a)
		}
	}
	sort.Strings(ciArns)
	cis, err := o.describeContainerInstances(ctx, cluster, ciArns)
	if err != nil {
		return nil, err
	}
	ec2ID := map[string]string{}
	for _, ci := range cis {
		ec2ID[aws.ToString(ci.ContainerInstanceArn)] = aws.ToString(ci.Ec2InstanceId)
	}
	return ec2ID, nil
}

// taskEndpoint is where a load balancer reaches a bridge or host mode
// task: its EC2 instance and host port.
type taskEndpoint struct {
	id   string
	port int
}

// taskEndpoints maps the tasks' endpoints to their task ids: by instance
// and host port (bridge/host), and by IP (awsvpc).
func taskEndpoints(tasks []types.Task, ec2ID map[string]string) (map[taskEndpoint]string, map[string]string) {
	owner := map[taskEndpoint]string{}
	ownerIP := map[string]string{}
	for _, t := range tasks {
		id := overviewShortName(aws.ToString(t.TaskArn))
		inst := ec2ID[aws.ToString(t.ContainerInstanceArn)]
		for _, c := range t.Containers {
			for _, b := range c.NetworkBindings {
				if b.HostPort != nil {
					owner[taskEndpoint{inst, int(*b.HostPort)}] = id
				}
			}
			for _, ni := range c.NetworkInterfaces {
				if ip := aws.ToString(ni.PrivateIpv4Address); ip != "" {
					ownerIP[ip] = id
				}
			}
		}
	}
	return owner, ownerIP
}

// statusTargets adds the service's load-balancer targets to st, sorted,
// each matched to its task, and returns the target states of each task id.
func (o *Reader) statusTargets(ctx context.Context, st *ServiceStatus, cluster, service string, svc types.Service, tasks []types.Task, ec2ID map[string]string) (map[string][]string, error) {
	owner, ownerIP := taskEndpoints(tasks, ec2ID)
	health := map[string][]string{}
	if o.ELB != nil {
		for _, lb := range svc.LoadBalancers {
			tg := aws.ToString(lb.TargetGroupArn)
			if tg == "" {
				continue
			}
			out, err := o.ELB.DescribeTargetHealth(ctx, &elasticloadbalancingv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(tg)})
			if err != nil {
				return nil, fmt.Errorf("describe target health of %s (service %s/%s): %w", overviewTargetGroupName(tg), cluster, service, err)
			}
			for _, d := range out.TargetHealthDescriptions {
				if d.Target == nil {
					continue
				}
				tr := TargetRow{TargetGroup: overviewTargetGroupName(tg), ID: aws.ToString(d.Target.Id), Port: int(aws.ToInt32(d.Target.Port))}
				if d.TargetHealth != nil {
					tr.State = string(d.TargetHealth.State)
					tr.Reason = string(d.TargetHealth.Reason)
				}
				tr.TaskID = owner[taskEndpoint{tr.ID, tr.Port}]
				if tr.TaskID == "" {
					tr.TaskID = ownerIP[tr.ID]
				}
				if tr.TaskID != "" {
					health[tr.TaskID] = append(health[tr.TaskID], tr.State)
				}
				st.Targets = append(st.Targets, tr)
			}
		}
	}
	sort.Slice(st.Targets, func(i, j int) bool {
		a, b := st.Targets[i], st.Targets[j]
		if a.TargetGroup != b.TargetGroup {
			return a.TargetGroup < b.TargetGroup
		}
		if a.ID != b.ID {
			return a.ID < b.ID
		}
		return a.Port < b.Port
	})
	return health, nil
}

// statusTasks adds the service's task rows to st, with their instance and
// target health, sorted by AZ, instance and id.
func statusTasks(st *ServiceStatus, tasks []types.Task, ec2ID map[string]string, health map[string][]string) {
	for _, t := range tasks {
		id := overviewShortName(aws.ToString(t.TaskArn))
		tr := TaskRow{
			ID: id, InstanceID: ec2ID[aws.ToString(t.ContainerInstanceArn)], AZ: aws.ToString(t.AvailabilityZone),
			LastStatus: aws.ToString(t.LastStatus), DesiredStatus: aws.ToString(t.DesiredStatus), Health: string(t.HealthStatus),
			TaskDefinition: overviewTaskDefName(aws.ToString(t.TaskDefinitionArn)), Revision: overviewRevision(aws.ToString(t.TaskDefinitionArn)),
		}
		if t.StartedAt != nil {
			s := t.StartedAt.UTC()
			tr.StartedAt = &s
		}
		fillTaskPlacement(&tr, t)
		for i, h := range health[id] {
			if i > 0 {
				tr.TargetHealth += ","
			}
			tr.TargetHealth += h
		}
		st.Tasks = append(st.Tasks, tr)
	}
	sort.Slice(st.Tasks, func(i, j int) bool {
		a, b := st.Tasks[i], st.Tasks[j]
		if a.AZ != b.AZ {
			return a.AZ < b.AZ
		}
		if a.InstanceID != b.InstanceID {
			return a.InstanceID < b.InstanceID
		}
		return a.ID < b.ID
	})
}

func overviewTargetGroupName(arn string) string {
	// arn:aws:elasticloadbalancing:r:a:targetgroup/NAME/ID
	const marker = "targetgroup/"
	for i := 0; i+len(marker) <= len(arn); i++ {
		if arn[i:i+len(marker)] == marker {
			rest := arn[i+len(marker):]
			for j := 0; j < len(rest); j++ {
				if rest[j] == '/' {
					return rest[:j]
				}
			}
			return rest
		}
	}
	return arn
}

// overviewEvents returns a service's events oldest first, the last n (0: all).
func overviewEvents(svc types.Service, n int) []ServiceEvent {
	evs := make([]ServiceEvent, 0, len(svc.Events))
	for _, e := range svc.Events {
		ev := ServiceEvent{ID: aws.ToString(e.Id), Message: aws.ToString(e.Message)}
		if e.CreatedAt != nil {
			ev.At = e.CreatedAt.UTC()
		}
		evs = append(evs, ev)
	}
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].At.Before(evs[j].At) })
	if n > 0 && len(evs) > n {
		evs = evs[len(evs)-n:]
	}
	return evs
}

// Events returns a service's events since a time (zero: all), oldest first.
func (o *Reader) Events(ctx context.Context, cluster, service string, since time.Time) ([]ServiceEvent, error) {
	if _, err := o.describeCluster(ctx, cluster); err != nil {
		return nil, err
	}
	svc, err := o.describeService(ctx, cluster, service)
	if err != nil {
		return nil, err
	}
	var out []ServiceEvent
	for _, e := range overviewEvents(svc, 0) {
		if !e.At.Before(since) {
			out = append(out, e)
		}
	}
	return out, nil
}

// FollowEvents emits a service's events since a time, oldest first, then
// polls every interval and emits the new ones (by event id) until ctx ends,
// returning ErrInterrupted. Throttling and server errors while following
// are waited out; other errors end the follow.
func (o *Reader) FollowEvents(ctx context.Context, cluster, service string, since time.Time, interval time.Duration, emit func(ServiceEvent)) error {
	clock := o.Clock
	if clock == nil {
		clock = ops.RealClock{}
	}
	evs, err := o.Events(ctx, cluster, service, since)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, e := range evs {
		seen[e.ID] = true
		emit(e)
	}
	for {
		select {
		case <-ctx.Done():
			return fmt.Errorf("following events of %s/%s: %w", cluster, service, ops.ErrInterrupted)
		case <-clock.After(interval):
		}
		svc, err := o.describeService(ctx, cluster, service)
		if err != nil {
			if ctx.Err() != nil {
				continue
			}
			if awsapi.Transient(err) {
				continue
			}
			return err
		}
		for _, e := range overviewEvents(svc, 0) {
			if seen[e.ID] || e.At.Before(since) {
				continue
			}
			seen[e.ID] = true
			emit(e)
		}
	}
}

// ParseEventsSince reads events' --since with the grammar of every time
// flag (ParseTimeFlag); "" is all the events ECS keeps.
func ParseEventsSince(ctx context.Context, s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := ops.ParseTimeFlag(ctx, "Since", s)
	if err != nil {
		return time.Time{}, err
	}
	return t.Resolve(now), nil
}

// InstanceTasks lists the tasks on one container instance (ARN or id),
// sorted by service then task id.
func (o *Reader) InstanceTasks(ctx context.Context, cluster, containerInstance string) ([]TaskRow, error) {
	var arns []string
	p := ecs.NewListTasksPaginator(o.ECS, &ecs.ListTasksInput{Cluster: aws.String(cluster), ContainerInstance: aws.String(containerInstance), MaxResults: aws.Int32(100)})
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
	rows := make([]TaskRow, 0, len(tasks))
	group := map[string]string{}
	for _, t := range tasks {
		id := overviewShortName(aws.ToString(t.TaskArn))
		group[id] = aws.ToString(t.Group)
		tr := TaskRow{ID: id, AZ: aws.ToString(t.AvailabilityZone), LastStatus: aws.ToString(t.LastStatus), DesiredStatus: aws.ToString(t.DesiredStatus),
			Health: string(t.HealthStatus), TaskDefinition: overviewTaskDefName(aws.ToString(t.TaskDefinitionArn)), Revision: overviewRevision(aws.ToString(t.TaskDefinitionArn))}
		if t.StartedAt != nil {
			s := t.StartedAt.UTC()
			tr.StartedAt = &s
		}
		rows = append(rows, tr)
	}
	sort.Slice(rows, func(i, j int) bool {
		if group[rows[i].ID] != group[rows[j].ID] {
			return group[rows[i].ID] < group[rows[j].ID]
		}
		return rows[i].ID < rows[j].ID
	})
	return rows, nil
}

// taskSetInfos shows the task sets of a CODE_DEPLOY or EXTERNAL service as
// its deployments (DescribeServices lists them in taskSets instead).
func taskSetInfos(s types.Service) []DeploymentInfo {
	var out []DeploymentInfo
	for _, ts := range s.TaskSets {
		di := DeploymentInfo{
			ID: aws.ToString(ts.Id), Status: aws.ToString(ts.Status), RolloutState: string(ts.StabilityStatus),
			TaskDefinition: overviewTaskDefName(aws.ToString(ts.TaskDefinition)),
			Desired:        int(ts.ComputedDesiredCount), Running: int(ts.RunningCount), Pending: int(ts.PendingCount),
		}
		if ts.ExternalId != nil {
			di.RolloutReason = "task set of " + aws.ToString(ts.ExternalId)
		}
		if ts.CreatedAt != nil {
			di.CreatedAt = ts.CreatedAt.UTC()
		}
		if ts.UpdatedAt != nil {
			di.UpdatedAt = ts.UpdatedAt.UTC()
		}
		out = append(out, di)
	}
	return out
}

// primaryTaskSetCreated is when the PRIMARY task set of a CODE_DEPLOY or
// EXTERNAL service was created (its "deployed at"), or nil.
func primaryTaskSetCreated(s types.Service) *time.Time {
	for _, ts := range s.TaskSets {
		if aws.ToString(ts.Status) == "PRIMARY" {
			return ts.CreatedAt
		}
	}
	return nil
}

// ServiceDeploymentInfo is a traffic-shifting deployment in progress, as
// its service deployment reports it.
type ServiceDeploymentInfo struct {
	Arn    string `json:"serviceDeploymentArn"`
	Status string `json:"status"`
	Stage  string `json:"lifecycleStage,omitempty"`
	// ProductionTraffic is the new revision's share, in percent.
	ProductionTraffic *float64 `json:"productionTrafficPercent,omitempty"`
	// Error says why the record could not be read (the status goes on).
	Error string `json:"error,omitempty"`
}

// overviewServiceDeployment reads the ongoing service deployment of a
// BLUE_GREEN, LINEAR or CANARY service; nil when there is none or the
// client lacks the API.
func overviewServiceDeployment(ctx context.Context, api any, s types.Service) *ServiceDeploymentInfo {
	sdAPI, ok := api.(ops.ServiceDeploymentAPI)
	arn := aws.ToString(s.CurrentServiceDeployment)
	if !ok || arn == "" || !ops.ShiftingStrategy(ops.ServiceStrategy(s)) {
		return nil
	}
	out, err := sdAPI.DescribeServiceDeployments(ctx, &ecs.DescribeServiceDeploymentsInput{ServiceDeploymentArns: []string{arn}})
	if err != nil {
		return &ServiceDeploymentInfo{Arn: arn, Error: fmt.Sprintf("describe service deployment: %v", err)}
	}
	if len(out.ServiceDeployments) == 0 {
		return nil
	}
	sd := out.ServiceDeployments[0]
	switch sd.Status {
	case types.ServiceDeploymentStatusPending, types.ServiceDeploymentStatusInProgress, types.ServiceDeploymentStatusStopRequested,
		types.ServiceDeploymentStatusRollbackRequested, types.ServiceDeploymentStatusRollbackInProgress:
	default:
		return nil // finished: the deployments table tells the rest
	}
	info := &ServiceDeploymentInfo{Arn: arn, Status: string(sd.Status), Stage: string(sd.LifecycleStage)}
	if t := sd.TargetServiceRevision; t != nil && t.RequestedProductionTrafficWeight != nil {
		w := *t.RequestedProductionTrafficWeight
		info.ProductionTraffic = &w
	}
	return info
}
