package overview

import (
	"context"
	"ecsctl/ops"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// CapacityReport is `ecsctl capacity`: what the cluster's instances have
// registered, reserved and free (from ECS's reservations, not utilization),
// how many more tasks of each service fit now, and how many instances an
// extra load needs.
type CapacityReport struct {
	Cluster   string                `json:"cluster"`
	Instances []CapacityInstance    `json:"instances"`
	Total     CapacityTotal         `json:"total"`
	Services  []CapacityService     `json:"services"`
	Additions []CapacityAddition    `json:"additions,omitempty"`
	NewNeeded *CapacityInstanceNeed `json:"instancesNeeded,omitempty"`
}

// CapacityInstance is one container instance's resources.
type CapacityInstance struct {
	InstanceID       string `json:"instanceId"`
	AZ               string `json:"availabilityZone"`
	Type             string `json:"instanceType"`
	Status           string `json:"status"`
	Tasks            int    `json:"tasks"`
	CPURegistered    int    `json:"cpuRegistered"`
	CPUReserved      int    `json:"cpuReserved"`
	CPUFree          int    `json:"cpuFree"`
	MemoryRegistered int    `json:"memoryRegistered"`
	MemoryReserved   int    `json:"memoryReserved"`
	MemoryFree       int    `json:"memoryFree"`
}

// CapacityTotal sums the instances; Schedulable* count only ACTIVE ones
// with a connected agent (where ECS places tasks).
type CapacityTotal struct {
	Instances           int `json:"instances"`
	CPURegistered       int `json:"cpuRegistered"`
	CPUReserved         int `json:"cpuReserved"`
	CPUFree             int `json:"cpuFree"`
	MemoryRegistered    int `json:"memoryRegistered"`
	MemoryReserved      int `json:"memoryReserved"`
	MemoryFree          int `json:"memoryFree"`
	SchedulableCPUFree  int `json:"schedulableCpuFree"`
	SchedulableMemFree  int `json:"schedulableMemoryFree"`
	SchedulableInstance int `json:"schedulableInstances"`
}

// CapacityService is how many more tasks of a service fit right now.
type CapacityService struct {
	Name       string `json:"name"`
	TaskCPU    int    `json:"taskCpu"`
	TaskMemory int    `json:"taskMemory"`
	Desired    int    `json:"desired"`
	Running    int    `json:"running"`
	// Fits is how many more tasks could be placed now, one service at a
	// time (they compete for the same free space). -1 for a daemon.
	Fits int `json:"fits"`
	// Constraints are the placement constraints honoured ("distinctInstance",
	// "memberOf(...)", "host ports 80").
	Constraints []string `json:"constraints,omitempty"`
	// Limit is what stops more from fitting: cpu, memory, ports,
	// distinctInstance, memberOf, or "" when nothing fits anyway.
	Limit string `json:"limit,omitempty"`
	// Fargate: the service's tasks run on Fargate, not on the cluster's
	// instances (Fits is 0 and means nothing for it).
	Fargate bool `json:"fargate,omitempty"`
}

// CapacityAddition is one `--add SERVICE=N`.
type CapacityAddition struct {
	Service  string `json:"service"`
	Count    int    `json:"count"`
	FitNow   int    `json:"fitNow"`
	OnNew    int    `json:"onNewInstances"`
	Unplaced int    `json:"unplaced"`
}

// CapacityInstanceNeed is how many new instances the additions need.
type CapacityInstanceNeed struct {
	InstanceType     string `json:"instanceType"`
	AutoScalingGroup string `json:"autoScalingGroup,omitempty"`
	CPUPerInstance   int    `json:"cpuPerInstance"`
	MemPerInstance   int    `json:"memoryPerInstance"`
	Instances        int    `json:"instances"`
	// Note says what the estimate could not take into account.
	Note string `json:"note,omitempty"`
}

// capacityPlan is one service's placement requirements.
type capacityPlan struct {
	name      string
	cpu, mem  int
	ports     []int
	distinct  bool
	member    []capacityFilter
	unchecked []string // constraints the estimate cannot evaluate
	daemon    bool
	desc      []string
	fargate   bool // runs on Fargate: needs no instance room
}

type capacityNode struct {
	id        string
	attrs     map[string]string
	cpu, mem  int
	ports     map[int]bool
	services  map[string]int
	schedOK   bool
	isNew     bool
	instaType string
}

// Capacity reads the cluster and computes the report. adds maps service
// names to extra tasks (--add SERVICE=N); only is a service to report
// alone ("" for all).
func (o *Reader) Capacity(ctx context.Context, cluster, only string, adds map[string]int) (*CapacityReport, error) {
	inst, err := o.Instances(ctx, cluster)
	if err != nil {
		return nil, err
	}
	names, err := o.serviceArns(ctx, cluster)
	if err != nil {
		return nil, err
	}
	svcs, err := o.describeServices(ctx, cluster, names)
	if err != nil {
		return nil, err
	}
	byName := map[string]types.Service{}
	for _, s := range svcs {
		byName[aws.ToString(s.ServiceName)] = s
	}
	addNames, err := capacityNamesKnown(ctx, cluster, byName, only, adds)
	if err != nil {
		return nil, err
	}
	tasks, err := o.clusterTasks(ctx, cluster, "")
	if err != nil {
		return nil, err
	}
	plans, err := o.capacityPlans(ctx, svcs, only, adds)
	if err != nil {
		return nil, err
	}

	rep := &CapacityReport{Cluster: cluster, Instances: []CapacityInstance{}, Services: []CapacityService{}}
	nodes := capacityInstances(rep, inst, tasks)
	capacityServiceFits(rep, plans, byName, nodes, only)
	if len(addNames) > 0 {
		if err := capacityAdd(ctx, rep, inst, plans, nodes, addNames, adds); err != nil {
			return nil, err
		}
	}
	return rep, nil
}

// capacityNamesKnown checks that the service to report alone and the
// services to --add exist, and returns the latter sorted.
func capacityNamesKnown(ctx context.Context, cluster string, byName map[string]types.Service, only string, adds map[string]int) ([]string, error) {
	if only != "" {
		if _, ok := byName[only]; !ok {
			return nil, ops.NotFound(ctx, "service", cluster+"/"+only)
		}
	}
	addNames := make([]string, 0, len(adds))
	for n := range adds {
		if _, ok := byName[n]; !ok {
			return nil, ops.NotFound(ctx, "service", cluster+"/"+n)
		}
		addNames = append(addNames, n)
	}
	sort.Strings(addNames)
	return addNames, nil
}

// capacityPlans reads the task definitions (sizes, host ports,
// constraints) of the services the report needs: all of them, or with
// --service only that one, the ones to --add and the daemons (they land on
// every added instance).
func (o *Reader) capacityPlans(ctx context.Context, svcs []types.Service, only string, adds map[string]int) ([]capacityPlan, error) {
	planned := svcs
	if only != "" {
		planned = nil
		for _, s := range svcs {
			name := aws.ToString(s.ServiceName)
			if _, add := adds[name]; name == only || add || s.SchedulingStrategy == types.SchedulingStrategyDaemon {
				planned = append(planned, s)
			}
		}
	}
	plans := make([]capacityPlan, len(planned))
	err := overviewParallel(ctx, len(planned), o.limit(), func(ctx context.Context, i int) error {
		td, err := o.taskDefinition(ctx, aws.ToString(planned[i].TaskDefinition))
		if err != nil {
			return err
		}
		plans[i] = capacityPlanOf(planned[i], td)
		plans[i].fargate = ops.ServiceOnFargate(planned[i])
		return nil
	})
	if err != nil {
		return nil, err
	}
	return plans, nil
}

// capacityInstances fills the report's instances and totals, and returns
// the instances as placement nodes (in the order listed) holding the
// services and host ports of the tasks on them.
func capacityInstances(rep *CapacityReport, inst []InstanceRow, tasks []types.Task) []*capacityNode {
	ciNode := map[string]*capacityNode{}
	var nodes []*capacityNode
	for _, r := range inst {
		ci := CapacityInstance{InstanceID: r.InstanceID, AZ: r.AZ, Type: r.Type, Status: r.Status, Tasks: r.RunningTasks + r.PendingTasks,
			CPURegistered: r.CPURegistered, CPUReserved: r.CPUReserved, CPUFree: r.CPUFree,
			MemoryRegistered: r.MemoryRegistered, MemoryReserved: r.MemoryReserved, MemoryFree: r.MemoryFree}
		rep.Instances = append(rep.Instances, ci)
		t := &rep.Total
		t.Instances++
		t.CPURegistered += ci.CPURegistered
		t.CPUReserved += ci.CPUReserved
		t.CPUFree += ci.CPUFree
		t.MemoryRegistered += ci.MemoryRegistered
		t.MemoryReserved += ci.MemoryReserved
		t.MemoryFree += ci.MemoryFree
		n := &capacityNode{id: r.InstanceID, attrs: r.Attributes, cpu: r.CPUFree, mem: r.MemoryFree, ports: map[int]bool{}, services: map[string]int{},
			schedOK: r.Status == "ACTIVE" && r.AgentConnected, instaType: r.Type}
		if n.schedOK {
			t.SchedulableInstance++
			t.SchedulableCPUFree += ci.CPUFree
			t.SchedulableMemFree += ci.MemoryFree
		}
		ciNode[r.ContainerInstanceArn] = n
		nodes = append(nodes, n)
	}
	for _, t := range tasks {
		n := ciNode[aws.ToString(t.ContainerInstanceArn)]
		if n == nil {
			continue
		}
		if s := overviewServiceOfTask(t); s != "" {
			n.services[s]++
		}
		for _, c := range t.Containers {
			for _, b := range c.NetworkBindings {
				if b.HostPort != nil {
					n.ports[int(*b.HostPort)] = true
				}
			}
		}
	}
	return nodes
}

// capacityServiceFits adds each reported service's row, with how many more
// of its tasks fit now, sorted by name.
func capacityServiceFits(rep *CapacityReport, plans []capacityPlan, byName map[string]types.Service, nodes []*capacityNode, only string) {
	for _, pl := range plans {
		if only != "" && pl.name != only {
			continue
		}
		s := byName[pl.name]
		cs := CapacityService{Name: pl.name, TaskCPU: pl.cpu, TaskMemory: pl.mem, Desired: int(s.DesiredCount), Running: int(s.RunningCount), Constraints: pl.desc}
		switch {
		case pl.fargate:
			cs.Fargate = true
		case pl.daemon:
			cs.Fits = -1
		default:
			cs.Fits, cs.Limit = capacityFits(nodes, &pl)
		}
		rep.Services = append(rep.Services, cs)
	}
	sort.Slice(rep.Services, func(i, j int) bool { return rep.Services[i].Name < rep.Services[j].Name })
}

// capacityAdd places the --add tasks, service by service in name order, on
// the instances' free room first and then on as many new instances as they
// need, and fills the report's additions and instances needed.
func capacityAdd(ctx context.Context, rep *CapacityReport, inst []InstanceRow, plans []capacityPlan, nodes []*capacityNode, addNames []string, adds map[string]int) error {
	planOf := map[string]*capacityPlan{}
	for i := range plans {
		planOf[plans[i].name] = &plans[i]
	}
	rep.NewNeeded = capacityNewInstances(inst)
	var daemons []*capacityPlan
	for i := range plans {
		if plans[i].daemon {
			daemons = append(daemons, &plans[i])
		}
	}
	var fresh []*capacityNode
	var notes []string
	for _, name := range addNames {
		pl := planOf[name]
		a := CapacityAddition{Service: name, Count: adds[name]}
		if pl.daemon {
			return ops.Inputf("invalid %s %s=%d: %s is a daemon service (one task per instance); add instances instead", ops.Opt(ctx, "Add"), name, adds[name], name)
		}
		if pl.fargate {
			return ops.Inputf("invalid %s %s=%d: %s runs on Fargate, which needs no room on the cluster's instances; add only EC2 services", ops.Opt(ctx, "Add"), name, adds[name], name)
		}
		if len(pl.unchecked) > 0 {
			notes = append(notes, fmt.Sprintf("%s: constraint %s not evaluated", name, strings.Join(pl.unchecked, ", ")))
		}
		if len(pl.member) > 0 {
			notes = append(notes, fmt.Sprintf("%s: assumes new instances satisfy its memberOf constraint", name))
		}
		fresh = capacityPlaceAddition(&a, pl, nodes, fresh, daemons, rep.NewNeeded)
		a.Unplaced = a.Count - a.FitNow - a.OnNew
		if a.Unplaced > 0 {
			notes = append(notes, fmt.Sprintf("%s: %d task(s) of %d CPU / %d MiB fit no %s instance", name, a.Unplaced, pl.cpu, pl.mem, rep.NewNeeded.InstanceType))
		}
		rep.Additions = append(rep.Additions, a)
	}
	rep.NewNeeded.Instances = len(fresh)
	rep.NewNeeded.Note = strings.Join(notes, "; ")
	return nil
}

// capacityPlaceAddition places one addition's tasks: on the existing
// instances while they fit, then on the new instances so far, then on one
// more new instance (holding the daemons' tasks first), until all are
// placed or a task fits not even an empty new instance. It returns the new
// instances.
func capacityPlaceAddition(a *CapacityAddition, pl *capacityPlan, nodes, fresh []*capacityNode, daemons []*capacityPlan, need *CapacityInstanceNeed) []*capacityNode {
	for a.FitNow+a.OnNew < a.Count {
		if n := capacityPick(nodes, pl, false); n != nil {
			capacityPlace(n, pl)
			a.FitNow++
			continue
		}
		if n := capacityPick(fresh, pl, true); n != nil {
			capacityPlace(n, pl)
			a.OnNew++
			continue
		}
		if need.CPUPerInstance == 0 {
			break
		}
		n := &capacityNode{id: fmt.Sprintf("new-%d", len(fresh)+1), cpu: need.CPUPerInstance, mem: need.MemPerInstance,
			ports: map[int]bool{}, services: map[string]int{}, schedOK: true, isNew: true}
		for _, d := range daemons {
			capacityPlace(n, d)
		}
		if !capacityFitsOn(n, pl, true) {
			break // a task this size does not fit even an empty instance
		}
		fresh = append(fresh, n)
	}
	return fresh
}

// capacityNewInstances is the instance type new capacity comes in: the
// most common Auto Scaling group's most common type, sized like the
// largest registered instance of that type.
func capacityNewInstances(inst []InstanceRow) *CapacityInstanceNeed {
	count := map[string]int{}
	for _, r := range inst {
		count[r.ASG+"\x00"+r.Type]++
	}
	best, bestN := "", -1
	for k, n := range count {
		if n > bestN || (n == bestN && k < best) {
			best, bestN = k, n
		}
	}
	asg, typ, _ := strings.Cut(best, "\x00")
	need := &CapacityInstanceNeed{InstanceType: typ, AutoScalingGroup: asg}
	for _, r := range inst {
		if r.ASG == asg && r.Type == typ {
			need.CPUPerInstance = max(need.CPUPerInstance, r.CPURegistered)
			need.MemPerInstance = max(need.MemPerInstance, r.MemoryRegistered)
		}
	}
	return need
}

func capacityPlanOf(s types.Service, td *types.TaskDefinition) capacityPlan {
	pl := capacityPlan{name: aws.ToString(s.ServiceName), daemon: s.SchedulingStrategy == types.SchedulingStrategyDaemon}
	pl.cpu, pl.mem = ops.TaskDefSize(td)
	for _, cd := range td.ContainerDefinitions {
		for _, pm := range cd.PortMappings {
			hp := aws.ToInt32(pm.HostPort)
			if td.NetworkMode == types.NetworkModeHost && hp == 0 {
				hp = aws.ToInt32(pm.ContainerPort)
			}
			if hp != 0 && td.NetworkMode != types.NetworkModeAwsvpc {
				pl.ports = append(pl.ports, int(hp))
			}
		}
	}
	type pc struct{ typ, expr string }
	var all []pc
	for _, c := range s.PlacementConstraints {
		all = append(all, pc{string(c.Type), aws.ToString(c.Expression)})
	}
	for _, c := range td.PlacementConstraints {
		all = append(all, pc{string(c.Type), aws.ToString(c.Expression)})
	}
	for _, c := range all {
		switch c.typ {
		case "distinctInstance":
			pl.distinct = true
			pl.desc = append(pl.desc, "distinctInstance")
		case "memberOf":
			f, ok := parseCapacityFilter(c.expr)
			if ok {
				pl.member = append(pl.member, f)
				pl.desc = append(pl.desc, "memberOf("+c.expr+")")
			} else {
				pl.unchecked = append(pl.unchecked, "memberOf("+c.expr+")")
				pl.desc = append(pl.desc, "memberOf("+c.expr+") (not evaluated)")
			}
		}
	}
	if len(pl.ports) > 0 {
		ps := make([]string, len(pl.ports))
		for i, p := range pl.ports {
			ps[i] = strconv.Itoa(p)
		}
		pl.desc = append(pl.desc, "host ports "+strings.Join(ps, ","))
	}
	return pl
}

// capacityFilter is a memberOf expression of the simple forms
// attribute:NAME == V, attribute:NAME != V, attribute:NAME in [A, B].
type capacityFilter struct {
	attr   string
	op     string
	values []string
}

var capacityExpr = regexp.MustCompile(`^\s*attribute:([A-Za-z0-9_.\-]+)\s*(==|!=|in|not in)\s*(.+?)\s*$`)

func parseCapacityFilter(expr string) (capacityFilter, bool) {
	m := capacityExpr.FindStringSubmatch(expr)
	if m == nil {
		return capacityFilter{}, false
	}
	f := capacityFilter{attr: m[1], op: m[2]}
	v := m[3]
	if f.op == "in" || f.op == "not in" {
		if !strings.HasPrefix(v, "[") || !strings.HasSuffix(v, "]") {
			return capacityFilter{}, false
		}
		for _, x := range strings.Split(strings.Trim(v, "[]"), ",") {
			f.values = append(f.values, strings.Trim(strings.TrimSpace(x), `'"`))
		}
	} else {
		f.values = []string{strings.Trim(v, `'"`)}
	}
	return f, true
}

func (f capacityFilter) match(attrs map[string]string) bool {
	v, ok := attrs[f.attr]
	in := false
	for _, x := range f.values {
		if ok && v == x {
			in = true
		}
	}
	switch f.op {
	case "==", "in":
		return in
	default:
		return !in
	}
}

// capacityFitsOn: how a task of pl could go on n now; new instances are
// assumed to satisfy memberOf.
func capacityFitsOn(n *capacityNode, pl *capacityPlan, assumeMember bool) bool {
	return capacityWhyNot(n, pl, assumeMember) == ""
}

func capacityWhyNot(n *capacityNode, pl *capacityPlan, assumeMember bool) string {
	if !n.schedOK {
		return "status"
	}
	if !assumeMember {
		for _, f := range pl.member {
			if !f.match(n.attrs) {
				return "memberOf"
			}
		}
	}
	if pl.distinct && n.services[pl.name] > 0 {
		return "distinctInstance"
	}
	if n.cpu < pl.cpu {
		return "cpu"
	}
	if n.mem < pl.mem {
		return "memory"
	}
	for _, p := range pl.ports {
		if n.ports[p] {
			return "ports"
		}
	}
	return ""
}

func capacityPlace(n *capacityNode, pl *capacityPlan) {
	n.cpu -= pl.cpu
	n.mem -= pl.mem
	n.services[pl.name]++
	for _, p := range pl.ports {
		n.ports[p] = true
	}
}

// capacityPick is the first node a task fits on (instances in order).
func capacityPick(nodes []*capacityNode, pl *capacityPlan, assumeMember bool) *capacityNode {
	for _, n := range nodes {
		if capacityFitsOn(n, pl, assumeMember) {
			return n
		}
	}
	return nil
}

// capacityFits counts how many more tasks of pl fit on the nodes now
// (without changing them) and names the limit most instances hit.
func capacityFits(nodes []*capacityNode, pl *capacityPlan) (int, string) {
	total := 0
	why := map[string]int{}
	for _, orig := range nodes {
		if !orig.schedOK {
			continue
		}
		n := *orig
		n.ports = map[int]bool{}
		for k, v := range orig.ports {
			n.ports[k] = v
		}
		n.services = map[string]int{pl.name: orig.services[pl.name]}
		for {
			w := capacityWhyNot(&n, pl, false)
			if w != "" {
				why[w]++
				break
			}
			capacityPlace(&n, pl)
			total++
		}
	}
	limit, best := "", 0
	for _, k := range []string{"cpu", "memory", "ports", "distinctInstance", "memberOf"} {
		if why[k] > best {
			limit, best = k, why[k]
		}
	}
	return total, limit
}

// ParseCapacityAdds reads --add SERVICE=N values.
func ParseCapacityAdds(ctx context.Context, specs []string) (map[string]int, error) {
	out := map[string]int{}
	for _, s := range specs {
		name, num, ok := strings.Cut(s, "=")
		n, err := strconv.Atoi(num)
		if !ok || name == "" || err != nil || n <= 0 {
			return nil, ops.Inputf("invalid %s %q: want SERVICE=N with N a whole number above 0, e.g. %s api=10", ops.Opt(ctx, "Add"), s, ops.Opt(ctx, "Add"))
		}
		out[name] += n
	}
	return out, nil
}
