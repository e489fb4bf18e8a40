package fleet

import (
	"context"
	"ecsctl/fmtx"
	"ecsctl/ops"
	"ecsctl/ops/awsapi"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// drainInstance is a container instance as the drain planner sees it.
type drainInstance struct {
	Arn            string
	EC2ID          string
	AZ             string
	AMI            string
	Type           string
	Status         string // ACTIVE, DRAINING, ...
	AgentConnected bool
	CPUReg, MemReg int
	CPUFree        int
	MemFree        int
	Ports          map[string]bool // static host ports held (remaining PORTS minus registered)
	Tasks          []drainTask
	// Arch is the agent's ecs.cpu-architecture (x86_64, arm64).
	Arch string
}

// drainTask is a task on an instance, sized for placement checks.
type drainTask struct {
	Arn      string
	Group    string
	Service  string // "" for standalone tasks
	Daemon   bool
	CPU, Mem int
	Ports    []string // static host ports
	Last     string
}

// drainCluster is a snapshot of a cluster's instances and tasks.
type drainCluster struct {
	Name      string
	Instances []*drainInstance
	ByEC2     map[string]*drainInstance
	Services  map[string]types.Service
}

// snapshotCluster reads every container instance (ACTIVE and DRAINING),
// every running task and every service of the cluster, in batches.
func snapshotCluster(ctx context.Context, api DrainECS, lister serviceLister, cluster string) (*drainCluster, error) {
	dc := &drainCluster{Name: cluster, ByEC2: map[string]*drainInstance{}, Services: map[string]types.Service{}}
	arns, err := listClusterInstances(ctx, api, cluster)
	if err != nil {
		return nil, err
	}
	cis, err := awsapi.NewECSReads(api).DescribeContainerInstances(ctx, cluster, arns)
	if err != nil {
		return nil, err
	}
	byArn := map[string]*drainInstance{}
	for _, ci := range cis {
		in := drainInstanceOf(ci)
		dc.Instances = append(dc.Instances, in)
		dc.ByEC2[in.EC2ID] = in
		byArn[in.Arn] = in
	}
	tasks, err := listClusterTasks(ctx, api, cluster)
	if err != nil {
		return nil, err
	}
	if lister != nil {
		names, err := listServiceNames(ctx, lister, cluster)
		if err != nil {
			return nil, err
		}
		svcs, err := awsapi.NewECSReads(api).DescribeServices(ctx, cluster, names)
		if err != nil {
			return nil, err
		}
		for _, s := range svcs {
			dc.Services[aws.ToString(s.ServiceName)] = s
		}
	}
	sizes := taskSizes{api: lister, cache: map[string][2]int{}}
	for _, t := range tasks {
		in := byArn[aws.ToString(t.ContainerInstanceArn)]
		if in == nil {
			continue
		}
		dt, err := dc.drainTaskOf(ctx, &sizes, t, in)
		if err != nil {
			return nil, err
		}
		in.Tasks = append(in.Tasks, dt)
	}
	sort.Slice(dc.Instances, func(i, j int) bool { return dc.Instances[i].EC2ID < dc.Instances[j].EC2ID })
	return dc, nil
}

// listClusterInstances lists the ARNs of the cluster's ACTIVE, then
// DRAINING container instances.
func listClusterInstances(ctx context.Context, api DrainECS, cluster string) ([]string, error) {
	var arns []string
	for _, st := range []types.ContainerInstanceStatus{types.ContainerInstanceStatusActive, types.ContainerInstanceStatusDraining} {
		page, err := awsapi.NewECSReads(api).ListContainerInstances(ctx, cluster, st)
		if err != nil {
			return nil, err
		}
		arns = append(arns, page...)
	}
	return arns, nil
}

// listClusterTasks describes every task of the cluster that is meant to run.
func listClusterTasks(ctx context.Context, api DrainECS, cluster string) ([]types.Task, error) {
	reads := awsapi.NewECSReads(api)
	taskArns, err := reads.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String(cluster)}, 0)
	if err != nil {
		return nil, err
	}
	return reads.DescribeTasks(ctx, cluster, taskArns)
}

// drainInstanceOf reads a container instance's attributes and resources.
func drainInstanceOf(ci types.ContainerInstance) *drainInstance {
	in := &drainInstance{Arn: aws.ToString(ci.ContainerInstanceArn), EC2ID: aws.ToString(ci.Ec2InstanceId),
		Status: aws.ToString(ci.Status), AgentConnected: ci.AgentConnected, Ports: map[string]bool{}}
	for _, a := range ci.Attributes {
		switch aws.ToString(a.Name) {
		case "ecs.ami-id":
			in.AMI = aws.ToString(a.Value)
		case "ecs.availability-zone":
			in.AZ = aws.ToString(a.Value)
		case "ecs.instance-type":
			in.Type = aws.ToString(a.Value)
		case "ecs.cpu-architecture":
			in.Arch = aws.ToString(a.Value)
		}
	}
	reg := map[string]bool{}
	for _, r := range ci.RegisteredResources {
		switch aws.ToString(r.Name) {
		case "CPU":
			in.CPUReg = int(r.IntegerValue)
		case "MEMORY":
			in.MemReg = int(r.IntegerValue)
		case "PORTS":
			for _, p := range r.StringSetValue {
				reg[p] = true
			}
		}
	}
	for _, r := range ci.RemainingResources {
		switch aws.ToString(r.Name) {
		case "CPU":
			in.CPUFree = int(r.IntegerValue)
		case "MEMORY":
			in.MemFree = int(r.IntegerValue)
		case "PORTS":
			for _, p := range r.StringSetValue {
				if !reg[p] {
					in.Ports[p] = true
				}
			}
		}
	}
	return in
}

// drainTaskOf sizes a task on instance in: its service (a daemon's?) and
// the static host ports it holds there.
func (dc *drainCluster) drainTaskOf(ctx context.Context, sizes *taskSizes, t types.Task, in *drainInstance) (drainTask, error) {
	dt := drainTask{Arn: aws.ToString(t.TaskArn), Group: aws.ToString(t.Group), Last: aws.ToString(t.LastStatus)}
	var err error
	if dt.CPU, dt.Mem, err = sizes.of(ctx, t); err != nil {
		return dt, err
	}
	if svc, ok := strings.CutPrefix(dt.Group, "service:"); ok {
		dt.Service = svc
		if s, ok := dc.Services[svc]; ok && s.SchedulingStrategy == types.SchedulingStrategyDaemon {
			dt.Daemon = true
		}
	}
	for _, c := range t.Containers {
		for _, nb := range c.NetworkBindings {
			if p := strconv.Itoa(int(aws.ToInt32(nb.HostPort))); in.Ports[p] {
				dt.Ports = append(dt.Ports, p)
			}
		}
	}
	return dt, nil
}

// serviceLister lists a cluster's services and reads task definitions
// (the size of a task that has none of its own).
type serviceLister interface {
	ListServices(ctx context.Context, in *ecs.ListServicesInput, optFns ...func(*ecs.Options)) (*ecs.ListServicesOutput, error)
	DescribeTaskDefinition(ctx context.Context, in *ecs.DescribeTaskDefinitionInput, optFns ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error)
}

// taskSizes sizes tasks: their task-level cpu and memory, else their task
// definition's containers' (on EC2 the task-level size is optional, and a
// task without one reserves the sum of its containers'), as capacity does.
type taskSizes struct {
	api   serviceLister
	cache map[string][2]int // task definition ARN → cpu, memory
}

func (z *taskSizes) of(ctx context.Context, t types.Task) (cpu, mem int, err error) {
	cpu, _ = strconv.Atoi(aws.ToString(t.Cpu))
	mem, _ = strconv.Atoi(aws.ToString(t.Memory))
	if cpu > 0 && mem > 0 || z.api == nil {
		return cpu, mem, nil
	}
	arn := aws.ToString(t.TaskDefinitionArn)
	sz, ok := z.cache[arn]
	if !ok {
		out, err := z.api.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(arn)})
		if err != nil {
			return 0, 0, fmt.Errorf("describe task definition %s (size of task %s): %w", fmtx.ShortARN(arn), fmtx.ShortARN(aws.ToString(t.TaskArn)), err)
		}
		if out.TaskDefinition != nil {
			sz[0], sz[1] = ops.TaskDefSize(out.TaskDefinition)
		}
		z.cache[arn] = sz
	}
	if cpu == 0 {
		cpu = sz[0]
	}
	if mem == 0 {
		mem = sz[1]
	}
	return cpu, mem, nil
}

func listServiceNames(ctx context.Context, api serviceLister, cluster string) ([]string, error) {
	var names []string
	p := ecs.NewListServicesPaginator(api, &ecs.ListServicesInput{Cluster: aws.String(cluster), MaxResults: aws.Int32(100)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list services of cluster %s: %w", cluster, err)
		}
		for _, a := range out.ServiceArns {
			names = append(names, fmtx.ShortARN(a))
		}
	}
	return names, nil
}

// placeRoom is free room on one instance during a placement simulation.
type placeRoom struct {
	id       string
	az       string
	cpu, mem int
	ports    map[string]bool
	services map[string]bool
}

// drainPlacement simulates placing moved tasks onto rooms.
type drainPlacement struct {
	rooms    []*placeRoom
	services map[string]types.Service
	notes    map[string]bool
}

func newRoom(in *drainInstance) *placeRoom {
	r := &placeRoom{id: in.EC2ID, az: in.AZ, cpu: in.CPUFree, mem: in.MemFree, ports: map[string]bool{}, services: map[string]bool{}}
	for p := range in.Ports {
		r.ports[p] = true
	}
	for _, t := range in.Tasks {
		if t.Service != "" {
			r.services[t.Service] = true
		}
	}
	return r
}

// emptyRoom is a fresh instance like tmpl (the surge) in az.
func emptyRoom(id, az string, tmpl *drainInstance) *placeRoom {
	return &placeRoom{id: id, az: az, cpu: tmpl.CPUReg, mem: tmpl.MemReg, ports: map[string]bool{}, services: map[string]bool{}}
}

var memberOfAZ = regexp.MustCompile(`^attribute:ecs\.availability-zone\s*(==|in)\s*\[?([^\]]*)\]?$`)

// allowedAZs returns the zones a service's memberOf constraint allows, or
// nil when any zone will do (or the expression is one this check cannot read).
func (p *drainPlacement) allowedAZs(svc string) map[string]bool {
	s, ok := p.services[svc]
	if !ok {
		return nil
	}
	for _, c := range s.PlacementConstraints {
		if c.Type != types.PlacementConstraintTypeMemberOf {
			continue
		}
		m := memberOfAZ.FindStringSubmatch(strings.TrimSpace(aws.ToString(c.Expression)))
		if m == nil {
			p.notes[fmt.Sprintf("service %s: memberOf %q not checked", svc, aws.ToString(c.Expression))] = true
			continue
		}
		out := map[string]bool{}
		for _, z := range strings.Split(m[2], ",") {
			out[strings.TrimSpace(z)] = true
		}
		return out
	}
	return nil
}

func (p *drainPlacement) distinct(svc string) bool {
	s, ok := p.services[svc]
	if !ok {
		return false
	}
	for _, c := range s.PlacementConstraints {
		if c.Type == types.PlacementConstraintTypeDistinctInstance {
			return true
		}
	}
	return false
}

// place puts tasks (largest first) on the rooms, first fit; it returns the
// tasks that found no room, with the reason of the closest miss.
func (p *drainPlacement) place(tasks []drainTask) []string {
	sort.SliceStable(tasks, func(i, j int) bool {
		if tasks[i].CPU != tasks[j].CPU {
			return tasks[i].CPU > tasks[j].CPU
		}
		return tasks[i].Mem > tasks[j].Mem
	})
	var failed []string
	for _, t := range tasks {
		azs := p.allowedAZs(t.Service)
		dist := p.distinct(t.Service)
		var best *placeRoom
		why := "no instance left"
		for _, r := range p.rooms {
			switch {
			case azs != nil && !azs[r.az]:
				why = "memberOf"
				continue
			case dist && r.services[t.Service]:
				why = "distinctInstance"
				continue
			case r.cpu < t.CPU:
				why = "CPU"
				continue
			case r.mem < t.Mem:
				why = "memory"
				continue
			}
			clash := false
			for _, port := range t.Ports {
				if r.ports[port] {
					clash = true
				}
			}
			if clash {
				why = "ports"
				continue
			}
			// Most free CPU first: spread like ECS's default spread/binpack mix.
			if best == nil || r.cpu > best.cpu {
				best = r
			}
		}
		if best == nil {
			failed = append(failed, fmt.Sprintf("%s (%d CPU, %d MiB; %s)", t.Service, t.CPU, t.Mem, why))
			continue
		}
		best.cpu -= t.CPU
		best.mem -= t.Mem
		for _, port := range t.Ports {
			best.ports[port] = true
		}
		best.services[t.Service] = true
	}
	return failed
}

// movingTasks are the tasks that must run elsewhere when in drains:
// service tasks except daemons (daemons run on every instance anyway).
func movingTasks(in *drainInstance) []drainTask {
	var out []drainTask
	for _, t := range in.Tasks {
		if t.Service != "" && !t.Daemon {
			out = append(out, t)
		}
	}
	return out
}

// daemonReserve is what daemon tasks take on every instance (a new instance
// gets one of each).
func daemonReserve(dc *drainCluster) (cpu, mem int) {
	for _, s := range dc.Services {
		if s.SchedulingStrategy != types.SchedulingStrategyDaemon {
			continue
		}
		for _, in := range dc.Instances {
			for _, t := range in.Tasks {
				if t.Service == aws.ToString(s.ServiceName) {
					cpu += t.CPU
					mem += t.Mem
					goto next
				}
			}
		}
	next:
	}
	return cpu, mem
}

// azBalancedOrder orders instances so that taking them from the front keeps
// the zones balanced: round-robin over zones, the fullest zone first.
func azBalancedOrder(ins []*drainInstance, counts map[string]int) []*drainInstance {
	byAZ := map[string][]*drainInstance{}
	for _, in := range ins {
		byAZ[in.AZ] = append(byAZ[in.AZ], in)
	}
	left := map[string]int{}
	for az, n := range counts {
		left[az] = n
	}
	var out []*drainInstance
	for len(out) < len(ins) {
		bestAZ := ""
		for _, az := range slices.Sorted(maps.Keys(byAZ)) {
			if len(byAZ[az]) == 0 {
				continue
			}
			if bestAZ == "" || left[az] > left[bestAZ] {
				bestAZ = az
			}
		}
		out = append(out, byAZ[bestAZ][0])
		byAZ[bestAZ] = byAZ[bestAZ][1:]
		left[bestAZ]--
	}
	return out
}
