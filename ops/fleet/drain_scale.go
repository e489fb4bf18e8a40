package fleet

import (
	"context"
	"ecsctl/ops"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
)

// ClusterScaleRequest is what `ecsctl scale cluster` asks for.
type ClusterScaleRequest struct {
	Cluster    string
	ASG        string
	Count      int
	RaiseMax   bool
	DryRun     bool
	Standalone string
	Timeout    time.Duration
}

// ValidateClusterScaleRequest checks the flags before any AWS call.
func ValidateClusterScaleRequest(ctx context.Context, r ClusterScaleRequest) error {
	switch {
	case strings.TrimSpace(r.Cluster) == "":
		return ops.Inputf("missing %s: name the ECS cluster to scale, e.g. %s prod", ops.Opt(ctx, "Cluster"), ops.Opt(ctx, "Cluster"))
	case r.Count < 0:
		return ops.Inputf("invalid %s %d: want the number of instances, 0 or more", ops.Opt(ctx, "Count"), r.Count)
	}
	switch r.Standalone {
	case "", StandaloneWait, StandaloneStop, StandaloneAbort:
	default:
		return ops.Inputf("invalid %s %q: want wait, stop or abort", ops.Opt(ctx, "Standalone"), r.Standalone)
	}
	return nil
}

// ScaleVictim is an instance a scale-in removes.
type ScaleVictim struct {
	InstanceID   string `json:"instanceId"`
	AZ           string `json:"availabilityZone"`
	Status       string `json:"status"`
	ServiceTasks int    `json:"serviceTasks"`
	Standalone   int    `json:"standaloneTasks"`
}

// ClusterScalePlan is what a cluster scale would do.
type ClusterScalePlan struct {
	Cluster  string         `json:"cluster"`
	ASG      string         `json:"autoScalingGroup"`
	From     int            `json:"from"`
	To       int            `json:"to"`
	Original RotateCapacity `json:"original"`
	RaiseMax bool           `json:"raiseMax,omitempty"`
	Remove   []ScaleVictim  `json:"remove,omitempty"`
	Notes    []string       `json:"notes,omitempty"`

	// st is what the plan was made from: ApplyClusterScale executes it.
	st *scaleState
}

// scaleState is what PlanClusterScale read and decided.
type scaleState struct {
	group   astypes.AutoScalingGroup
	outcome string            // "unchanged" when there is nothing to do
	ids     map[string]string // victims: EC2 id → container instance ARN
	order   []string          // the order they were picked in: fullest zone first
}

// ClusterScaleResult is what it did.
type ClusterScaleResult struct {
	Plan            *ClusterScalePlan `json:"plan"`
	Outcome         string            `json:"outcome"` // dry-run, completed, unchanged, paused, interrupted, failed
	Reason          string            `json:"reason,omitempty"`
	Launched        []string          `json:"instancesLaunched,omitempty"`
	Removed         []string          `json:"instancesRemoved,omitempty"`
	MinHealthy      map[string]int    `json:"minHealthyObserved,omitempty"`
	Final           *RotateCapacity   `json:"finalCapacity,omitempty"`
	DurationSeconds float64           `json:"durationSeconds"`
}

// ScaleCluster sets the number of instances of the cluster's ASG. Scale-out
// sets desired (raising max only when asked) and waits for the instances to
// register ACTIVE. Scale-in picks the instances itself (already DRAINING
// ones first, then from the fullest zone, then fewest tasks), refuses when the
// rest cannot hold their tasks, drains them and removes them with decrement.
func (r *Rotator) ScaleCluster(ctx context.Context, req ClusterScaleRequest) (*ClusterScaleResult, error) {
	plan, err := r.PlanClusterScale(ctx, req)
	if err != nil {
		return nil, err
	}
	return r.ApplyClusterScale(ctx, req, plan)
}

// ApplyClusterScale executes a plan PlanClusterScale made (the one shown
// and confirmed). It first checks that the group is as the plan found it
// and that the instances to remove are still there; otherwise it stops
// with a FleetChangedError, nothing changed.
func (r *Rotator) ApplyClusterScale(ctx context.Context, req ClusterScaleRequest, plan *ClusterScalePlan) (*ClusterScaleResult, error) {
	if err := ValidateClusterScaleRequest(ctx, req); err != nil {
		return nil, err
	}
	if plan == nil || plan.st == nil {
		return nil, errors.New("scale cluster: apply needs a plan made by PlanClusterScale")
	}
	if req.Standalone == "" {
		req.Standalone = StandaloneWait
	}
	if req.Timeout <= 0 {
		req.Timeout = 30 * time.Minute
	}
	start := r.clock().Now()
	res := &ClusterScaleResult{Plan: plan, MinHealthy: map[string]int{}, Outcome: plan.st.outcome}
	var err error
	switch {
	case plan.st.outcome != "":
	case req.DryRun:
		res.Outcome = RotateDryRun
	default:
		err = r.applyScale(ctx, req, plan, res)
	}
	res.DurationSeconds = r.clock().Now().Sub(start).Seconds()
	res.Outcome, res.Reason, err = runVerdict(ctx, res.Outcome, err)
	if err == nil {
		if g, gerr := r.describeGroup(ctx, plan.ASG); gerr == nil {
			c := groupCapacity(g)
			res.Final = &c
		}
	}
	return res, err
}

// applyScale checks that the group is as the plan found it and the
// instances to remove are still there (else a FleetChangedError, nothing
// changed), then scales out or in.
func (r *Rotator) applyScale(ctx context.Context, req ClusterScaleRequest, plan *ClusterScalePlan, res *ClusterScaleResult) error {
	st, name := plan.st, plan.ASG
	g, err := r.describeGroup(ctx, name)
	if err != nil {
		return interrupted(ctx, err)
	}
	changes := capacityChanges(g, groupExpect{cap: plan.Original, lt: launchTemplateKey(st.group)})
	for _, id := range st.order {
		if m, ok := findMember(g, id); !ok || !liveMember(m) {
			changes = append(changes, fmt.Sprintf("instance %s to remove is no longer in %s", id, name))
		}
	}
	if len(changes) > 0 {
		return newFleetChanged(ctx, changes, false, 1)
	}
	if len(st.ids) == 0 {
		return r.scaleOut(ctx, req, plan, g, res)
	}
	return r.scaleIn(ctx, req, plan, res)
}

// scaleOut sets the desired capacity and waits for the new instances.
func (r *Rotator) scaleOut(ctx context.Context, req ClusterScaleRequest, plan *ClusterScalePlan, g astypes.AutoScalingGroup, res *ClusterScaleResult) error {
	before := map[string]bool{}
	for _, m := range g.Instances {
		before[aws.ToString(m.InstanceId)] = true
	}
	rp := &RotatePlan{Cluster: req.Cluster, ASG: plan.ASG}
	if err := r.scaleTo(ctx, rp, g, req.Count); err != nil {
		return interrupted(ctx, err)
	}
	fresh, err := r.waitInstances(ctx, req.Cluster, plan.ASG, map[string]bool{}, "", -1, req.Timeout)
	if err != nil {
		return err
	}
	for _, id := range fresh {
		if !before[id] {
			res.Launched = append(res.Launched, id)
		}
	}
	return nil
}

// scaleIn drains the victims as one batch, terminated with decrement in
// the order they were picked, and waits for them to leave the cluster.
func (r *Rotator) scaleIn(ctx context.Context, req ClusterScaleRequest, plan *ClusterScalePlan, res *ClusterScaleResult) error {
	ids, order, name := plan.st.ids, plan.st.order, plan.ASG
	r.emit(req.Cluster, ops.EventInfo, "scale-in of %s from %d to %d: draining %s", name, plan.Original.Desired, req.Count, strings.Join(slices.Sorted(maps.Keys(ids)), ", "))
	drainer := r.drainer()
	dres, err := drainer.Drain(ctx, DrainBatch{Cluster: req.Cluster, ASG: name, Instances: ids, Standalone: req.Standalone, Timeout: req.Timeout, Batch: 1, Batches: 1, Order: order})
	if dres != nil {
		res.MinHealthy = dres.MinHealthy
	}
	if err != nil {
		return err
	}
	res.Removed = dres.Instances
	var arns []string
	for _, id := range dres.Instances {
		arns = append(arns, ids[id])
	}
	if err := r.followTerminations(ctx, req.Cluster, name, dres.Instances, req.Timeout, &plan.Notes); err != nil {
		return err
	}
	return drainer.WaitDeregistered(ctx, req.Cluster, arns, req.Timeout)
}

// PlanClusterScale reads the cluster and its group and decides what a scale
// would do: the instances a scale-in removes, checked to fit; nothing changed.
func (r *Rotator) PlanClusterScale(ctx context.Context, req ClusterScaleRequest) (*ClusterScalePlan, error) {
	if err := ValidateClusterScaleRequest(ctx, req); err != nil {
		return nil, err
	}
	if req.Standalone == "" {
		req.Standalone = StandaloneWait
	}
	dc, err := snapshotCluster(ctx, r.ECS, r.ECS, req.Cluster)
	if err != nil {
		return nil, interrupted(ctx, err)
	}
	g, err := findGroup(ctx, r.ASG, dc, req.ASG)
	if err != nil {
		return nil, interrupted(ctx, err)
	}
	name := aws.ToString(g.AutoScalingGroupName)
	capa := groupCapacity(g)
	plan := &ClusterScalePlan{Cluster: req.Cluster, ASG: name, From: capa.Desired, To: req.Count, Original: capa,
		st: &scaleState{group: g}}
	if _, ok := groupTag(g, rotateTagRun); ok {
		return nil, ops.Inputf("a rotate-ami run is in progress on %s: finish it (ecsctl rotate-ami %s %s) or %s it first", name, ops.Opt(ctx, "Cluster"), req.Cluster, ops.Opt(ctx, "Abort"))
	}
	if err := checkScaleBounds(ctx, req, plan); err != nil {
		return nil, err
	}
	// The same group-level preflight as rotate-ami: never fight managed
	// scaling or an instance refresh over desired capacity.
	f, err := r.checkFleet(ctx, g, req.Cluster, "", req.Count > capa.Desired)
	if err != nil {
		return nil, interrupted(ctx, err)
	}
	if len(f.refusals) > 0 {
		return nil, ops.Inputf("scale cluster refused, nothing changed: %s", strings.Join(f.refusals, "; "))
	}
	plan.Notes = append(plan.Notes, f.notes...)

	draining, active := scaleInCandidates(dc, g)
	remove := capa.Desired - req.Count
	if remove <= 0 && len(draining) == 0 {
		if remove == 0 {
			plan.st.outcome = "unchanged"
			plan.Notes = append(plan.Notes, fmt.Sprintf("%s already has desired capacity %d", name, req.Count))
		}
		return plan, nil
	}
	// Scale-in: choose the victims, instances already DRAINING first.
	if remove < len(draining) {
		plan.Notes = append(plan.Notes, fmt.Sprintf("%d instance(s) of %s are DRAINING; they are removed first", len(draining), name))
		remove = len(draining)
	}
	victims := chooseVictims(draining, active, memberZones(g), remove)
	if len(victims) < remove {
		return nil, ops.Inputf("%s has only %d instance(s) registered in cluster %s to remove, not %d", name, len(victims), req.Cluster, remove)
	}
	if err := planVictims(ctx, plan, victims, req.Standalone); err != nil {
		return nil, err
	}
	if err := scaleInFits(plan, dc, victims); err != nil {
		return nil, err
	}
	plan.st.ids = map[string]string{}
	for _, v := range victims {
		plan.st.ids[v.EC2ID] = v.Arn
		plan.st.order = append(plan.st.order, v.EC2ID)
	}
	return plan, nil
}

// checkScaleBounds refuses a count outside the group's min and max size
// (above max only with RaiseMax).
func checkScaleBounds(ctx context.Context, req ClusterScaleRequest, plan *ClusterScalePlan) error {
	capa, name := plan.Original, plan.ASG
	switch {
	case req.Count > capa.Max && !req.RaiseMax:
		return ops.Inputf("%s %d is above the max size %d of %s: pass %s to raise it, or ask for at most %d", ops.Opt(ctx, "Count"), req.Count, capa.Max, name, ops.Opt(ctx, "RaiseMax"), capa.Max)
	case req.Count > capa.Max:
		plan.RaiseMax = true
	case req.Count < capa.Min:
		return ops.Inputf("%s %d is below the min size %d of %s: lower the group's min size first", ops.Opt(ctx, "Count"), req.Count, capa.Min, name)
	}
	return nil
}

// scaleInCandidates splits the group's live members registered in the
// cluster into those already DRAINING (a scale-in killed half-way) and the
// others.
func scaleInCandidates(dc *drainCluster, g astypes.AutoScalingGroup) (draining, active []*drainInstance) {
	for _, in := range dc.Instances {
		m, ok := findMember(g, in.EC2ID)
		if !ok || !liveMember(m) {
			continue
		}
		if in.Status == "DRAINING" {
			draining = append(draining, in)
		} else {
			active = append(active, in)
		}
	}
	return draining, active
}

// chooseVictims takes the DRAINING instances, then active ones until
// remove: fullest zone first (zones left unbalanced make AZRebalance
// launch and then terminate an instance without draining it), then the
// fewest tasks to move.
func chooseVictims(draining, active []*drainInstance, zones map[string]int, remove int) []*drainInstance {
	victims := append([]*drainInstance{}, draining...)
	left := append([]*drainInstance{}, active...)
	for len(victims) < remove && len(left) > 0 {
		sort.SliceStable(left, func(i, j int) bool {
			a, b := left[i], left[j]
			if zones[a.AZ] != zones[b.AZ] {
				return zones[a.AZ] > zones[b.AZ]
			}
			if ta, tb := len(movingTasks(a)), len(movingTasks(b)); ta != tb {
				return ta < tb
			}
			return a.EC2ID < b.EC2ID
		})
		victims = append(victims, left[0])
		zones[left[0].AZ]--
		left = left[1:]
	}
	return victims
}

// planVictims lists the victims in the plan and applies the standalone
// policy to the tasks on them.
func planVictims(ctx context.Context, plan *ClusterScalePlan, victims []*drainInstance, policy string) error {
	standalone := 0
	for _, v := range victims {
		sv := ScaleVictim{InstanceID: v.EC2ID, AZ: v.AZ, Status: v.Status}
		for _, t := range v.Tasks {
			if t.Service != "" {
				sv.ServiceTasks++
			} else {
				sv.Standalone++
			}
		}
		standalone += sv.Standalone
		plan.Remove = append(plan.Remove, sv)
	}
	if standalone > 0 {
		if policy == StandaloneAbort {
			return ops.Inputf("%d standalone task(s) run on the instances to remove: re-run with %s wait or stop", standalone, ops.Opt(ctx, "Standalone"))
		}
		plan.Notes = append(plan.Notes, fmt.Sprintf("%d standalone task(s) on the instances to remove: policy %s", standalone, policy))
	}
	return nil
}

// scaleInFits refuses a scale-in whose remaining instances cannot hold
// what the victims run.
func scaleInFits(plan *ClusterScalePlan, dc *drainCluster, victims []*drainInstance) error {
	isVictim := map[string]bool{}
	for _, v := range victims {
		isVictim[v.EC2ID] = true
	}
	p := &drainPlacement{services: dc.Services, notes: map[string]bool{}}
	for _, in := range dc.Instances {
		if !isVictim[in.EC2ID] && in.Status == "ACTIVE" && in.AgentConnected {
			p.rooms = append(p.rooms, newRoom(in))
		}
	}
	var moving []drainTask
	for _, v := range victims {
		if v.Status == "ACTIVE" {
			moving = append(moving, movingTasks(v)...)
		}
	}
	if miss := p.place(moving); len(miss) > 0 {
		return ops.Inputf("scale-in refused, nothing changed: the remaining %d instance(s) cannot hold the tasks of the ones to remove: %s", len(p.rooms), strings.Join(limitList(miss, 4), "; "))
	}
	for n := range p.notes {
		plan.Notes = append(plan.Notes, n)
	}
	return nil
}
