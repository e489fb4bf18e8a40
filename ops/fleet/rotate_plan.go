package fleet

import (
	"context"
	"ecsctl/ops"
	"ecsctl/ops/awsapi"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// rotateTagBatch records, on each old instance, the batch the plan put it
// in ("<run id>/<batch>"), so that a resumed run executes the plan the
// first run showed rather than a new one.
const rotateTagBatch = "ecsctl:rotation-batch"

// RotateTimings are the per-batch costs the estimate adds up. Each batch
// launches its replacements (boot until the agent registers), starts the
// moved tasks on them, and waits for the load balancer to deregister the
// old tasks before they stop.
type RotateTimings struct {
	Boot           time.Duration
	TaskStart      time.Duration
	Deregistration time.Duration
}

// DefaultRotateTimings: an ECS-optimized instance registers about 90 s after
// launch, a task starts in about 20 s, and 300 s is the target groups'
// default deregistration delay (ELB User Guide, "Deregistration delay":
// "The default value is 300 seconds").
func DefaultRotateTimings() RotateTimings {
	return RotateTimings{Boot: 90 * time.Second, TaskStart: ops.TypicalTaskStart, Deregistration: 300 * time.Second}
}

func (t RotateTimings) perBatch() time.Duration { return t.Boot + t.TaskStart + t.Deregistration }

// RotateEstimate is how long the plan should take next to the lower bound:
// back-to-back batches as large as the ASG's max size and the cluster's
// room allow, each costing boot + task start + deregistration delay.
type RotateEstimate struct {
	Seconds         float64 `json:"seconds"`
	BoundSeconds    float64 `json:"boundSeconds"`
	BoundBatch      int     `json:"boundBatchSize"`
	PerBatchSeconds float64 `json:"perBatchSeconds"`
	Assumed         string  `json:"assumed"`
}

// chooseRotateSize picks the surge and the batch size. Given flags win
// (--batch alone keeps surge = batch; --surge alone drains as many as it
// launched). Without them the surge is the room under the ASG's max size
// (all the replacements a batch can launch without touching max), at least
// one, at most the old instances; the batch is the largest one, up to the
// surge, whose tasks fit on the instances that stay (fits).
func chooseRotateSize(batch, surge, old, desired, maxSize int, fits func(batch, surge int) bool) (int, int) {
	switch {
	case batch > 0 && surge < 0:
		return batch, batch
	case batch > 0:
		return batch, surge
	}
	if surge < 0 {
		surge = min(maxSize-desired, old, 50)
		if surge < 1 {
			surge = min(2, max(old, 1)) // at max already: raise max a little, as a batch of 2 always did
		}
	}
	batch = max(min(surge, 50, max(old, 1)), 1)
	for batch > 1 && !fits(batch, surge) {
		batch--
	}
	return batch, surge
}

// rotateOrder splits the old instances into batches the way the run will
// see the group: before each batch the surge lands in the zones with the
// fewest live members (Auto Scaling launches into the Availability Zone with
// the fewest instances: EC2 Auto Scaling User Guide, "Instance
// distribution"), and the batch takes old instances from the zones with the
// most. The zones end as even as they started, so AZRebalance finds nothing
// to do and no balancing round is needed. Deterministic for one state.
func rotateOrder(old []*drainInstance, zones map[string]int, batch, surge, surgeLive int) [][]*drainInstance {
	live := map[string]int{}
	for z, n := range zones {
		live[z] = n
	}
	byAZ := map[string][]*drainInstance{}
	for _, in := range old {
		byAZ[in.AZ] = append(byAZ[in.AZ], in)
		if _, ok := live[in.AZ]; !ok {
			live[in.AZ] = 0
		}
	}
	for _, ins := range byAZ {
		// An instance awaiting its agent goes last in its zone: the
		// batches before it give the agent time to register.
		sort.Slice(ins, func(i, j int) bool {
			if a, b := awaitingAgent(ins[i]), awaitingAgent(ins[j]); a != b {
				return b
			}
			return ins[i].EC2ID < ins[j].EC2ID
		})
	}
	names := slices.Sorted(maps.Keys(live))
	oldLeft := map[string]int{}
	for z, ins := range byAZ {
		oldLeft[z] = len(ins)
	}
	zs := zoneSim{names: names, live: live, old: oldLeft, surgeLive: surgeLive}
	var out [][]*drainInstance
	for zs.total() > 0 {
		take := zs.bestBatch(batch, surge)
		var b []*drainInstance
		for _, z := range names {
			b = append(b, byAZ[z][:take[z]]...)
			byAZ[z] = byAZ[z][take[z]:]
		}
		zs.step(take, batch, surge)
		out = append(out, b)
	}
	return out
}

// zoneSim follows the group's members per zone through a rotation.
type zoneSim struct {
	names     []string       // zones in the group's order
	live      map[string]int // live members
	old       map[string]int // old instances left
	surgeLive int
}

func (z zoneSim) clone() zoneSim {
	c := zoneSim{names: z.names, live: map[string]int{}, old: map[string]int{}, surgeLive: z.surgeLive}
	for k, v := range z.live {
		c.live[k] = v
	}
	for k, v := range z.old {
		c.old[k] = v
	}
	return c
}

func (z zoneSim) total() int {
	n := 0
	for _, v := range z.old {
		n += v
	}
	return n
}

// launch adds the batch's surge the way Auto Scaling does: each instance in
// the zone with the fewest live members, the first such in the group's order.
func (z *zoneSim) launch(batch, surge int) int {
	left := z.total()
	want := min(surge, left)
	for i := z.surgeLive; i < want; i++ {
		best := ""
		for _, n := range z.names {
			if best == "" || z.live[n] < z.live[best] {
				best = n
			}
		}
		z.live[best]++
	}
	size := min(batch, left)
	z.surgeLive = max(want, z.surgeLive) - size
	return size
}

func (z *zoneSim) step(take map[string]int, batch, surge int) {
	for n, k := range take {
		z.live[n] -= k
		z.old[n] -= k
	}
}

// greedy takes size old instances from the zones with the most live members.
func (z zoneSim) greedy(size int) map[string]int {
	live := map[string]int{}
	for k, v := range z.live {
		live[k] = v
	}
	take := map[string]int{}
	for i := 0; i < size; i++ {
		best := ""
		for _, n := range z.names {
			if z.old[n]-take[n] > 0 && (best == "" || live[n] > live[best]) {
				best = n
			}
		}
		take[best]++
		live[best]--
	}
	return take
}

// spread is how uneven the zones end when every later batch is greedy.
func (z zoneSim) spread(batch, surge int) int {
	for z.total() > 0 {
		size := z.launch(batch, surge)
		z.step(z.greedy(size), batch, surge)
	}
	lo, hi := -1, -1
	for _, n := range z.names {
		if lo < 0 || z.live[n] < lo {
			lo = z.live[n]
		}
		hi = max(hi, z.live[n])
	}
	return hi - lo
}

// bestBatch launches the batch's surge and picks how many old instances
// to take from each zone: of the ways to split the batch (when there are
// few enough to try), the one that leaves the zones most even at the end,
// else the greedy one. It leaves z after the launch.
func (z *zoneSim) bestBatch(batch, surge int) map[string]int {
	size := z.launch(batch, surge)
	best := z.greedy(size)
	bestSpread := z.clone().afterTake(best).spread(batch, surge)
	tried := 0
	var try func(i, left int, take map[string]int)
	try = func(i, left int, take map[string]int) {
		if tried > 2000 || bestSpread <= 1 {
			return
		}
		if i == len(z.names) {
			if left == 0 {
				tried++
				if sp := z.clone().afterTake(take).spread(batch, surge); sp < bestSpread {
					best, bestSpread = map[string]int{}, sp
					for k, v := range take {
						best[k] = v
					}
				}
			}
			return
		}
		n := z.names[i]
		for k := min(left, z.old[n]); k >= 0; k-- {
			take[n] = k
			try(i+1, left-k, take)
		}
		delete(take, n)
	}
	try(0, size, map[string]int{})
	return best
}

func (z zoneSim) afterTake(take map[string]int) zoneSim {
	for n, k := range take {
		z.live[n] -= k
		z.old[n] -= k
	}
	return z
}

// estimateRotation fills the plan's estimate. boundBatch is the largest
// batch the ASG's max size and the room allow.
func estimateRotation(plan *RotatePlan, t RotateTimings, boundBatch int) {
	n := len(plan.Instances)
	if n == 0 {
		return
	}
	boundBatch = max(boundBatch, 1)
	per := t.perBatch().Seconds()
	batches := map[int]bool{} // a resumed plan keeps its batch numbers; some may be done
	for _, pi := range plan.Instances {
		batches[pi.Batch] = true
	}
	plan.Estimate = &RotateEstimate{
		Seconds:         float64(len(batches)) * per,
		BoundSeconds:    float64((n+boundBatch-1)/boundBatch) * per,
		BoundBatch:      boundBatch,
		PerBatchSeconds: per,
		Assumed: fmt.Sprintf("instance boot %s, task start %s, deregistration delay %s per batch",
			t.Boot, t.TaskStart, t.Deregistration),
	}
}

// instanceTagSet reads the given tags of instances: id → key → value.
func instanceTagSet(ctx context.Context, api RotateEC2, ids []string, keys ...string) (map[string]map[string]string, error) {
	want := map[string]bool{}
	for _, k := range keys {
		want[k] = true
	}
	out := map[string]map[string]string{}
	err := eachInstance(ctx, api, ids, func(in ec2types.Instance) {
		for _, t := range in.Tags {
			if k := aws.ToString(t.Key); want[k] {
				id := aws.ToString(in.InstanceId)
				if out[id] == nil {
					out[id] = map[string]string{}
				}
				out[id][k] = aws.ToString(t.Value)
			}
		}
	})
	return out, err
}

// recordedBatch parses a rotateTagBatch value of the run.
func recordedBatch(v, runID string) (int, bool) {
	id, n, ok := strings.Cut(v, "/")
	if !ok || id != runID {
		return 0, false
	}
	b, err := strconv.Atoi(n)
	return b, err == nil && b > 0
}

// recordBatches tags the plan's instances with their batch (one call per
// batch: CreateTags sets the same tags on all its resources).
func (r *Rotator) recordBatches(ctx context.Context, plan *RotatePlan, only map[string]bool) error {
	byBatch := map[int][]string{}
	for _, pi := range plan.Instances {
		if only == nil || only[pi.InstanceID] {
			byBatch[pi.Batch] = append(byBatch[pi.Batch], pi.InstanceID)
		}
	}
	var nums []int
	for b := range byBatch {
		nums = append(nums, b)
	}
	sort.Ints(nums)
	for _, b := range nums {
		if err := awsapi.CreateTags(ctx, r.EC2, byBatch[b], ec2Tag(rotateTagBatch, fmt.Sprintf("%s/%d", plan.RunID, b))); err != nil {
			return fmt.Errorf("record batch %d of the plan on its instances in %s: %w", b, plan.ASG, err)
		}
	}
	return nil
}

// FleetChangedError stops a run whose fleet no longer matches the plan
// being executed: an instance of the plan gone, new instances on an old
// AMI, the group's capacity or launch template changed by someone else.
// Nothing of the next batch was drained. It unwraps to a PauseError
// (outcome paused, exit 1): AWS refused nothing, the run stopped itself
// rather than execute a plan nobody saw.
type FleetChangedError struct {
	Changes []string
	// Started: the run had changed something already (it is recorded in
	// the group's tags and resumes from there); otherwise nothing changed.
	Started bool
	pause   *PauseError
}

func newFleetChanged(ctx context.Context, changes []string, started bool, batch int) *FleetChangedError {
	advice := "nothing was changed; re-run to see the new plan"
	if started {
		advice = fmt.Sprintf("nothing of batch %d was drained; re-run the same command to see the plan for the fleet as it is now and continue, or %s", batch, ops.Opt(ctx, "Abort"))
	}
	return &FleetChangedError{Changes: changes, Started: started, pause: &PauseError{
		Reason: "the fleet changed since the plan was made: " + strings.Join(limitList(changes, 5), "; "),
		Advice: advice}}
}

func (e *FleetChangedError) Error() string { return e.pause.Error() }
func (e *FleetChangedError) Unwrap() error { return e.pause }

// groupExpect is what the group should look like between two of the run's
// own changes.
type groupExpect struct {
	cap RotateCapacity
	lt  string
}

func launchTemplateKey(g astypes.AutoScalingGroup) string {
	spec := g.LaunchTemplate
	if spec == nil && g.MixedInstancesPolicy != nil && g.MixedInstancesPolicy.LaunchTemplate != nil {
		spec = g.MixedInstancesPolicy.LaunchTemplate.LaunchTemplateSpecification
	}
	if spec == nil {
		return ""
	}
	return aws.ToString(spec.LaunchTemplateId) + aws.ToString(spec.LaunchTemplateName) + ":" + aws.ToString(spec.Version)
}

// capacityChanges compares the group's settings with what the run expects.
func capacityChanges(g astypes.AutoScalingGroup, want groupExpect) []string {
	var out []string
	got := groupCapacity(g)
	name := aws.ToString(g.AutoScalingGroupName)
	if got != want.cap {
		out = append(out, fmt.Sprintf("%s desired/min/max is %d/%d/%d, the run expected %d/%d/%d", name,
			got.Desired, got.Min, got.Max, want.cap.Desired, want.cap.Min, want.cap.Max))
	}
	if lt := launchTemplateKey(g); lt != want.lt {
		out = append(out, fmt.Sprintf("%s launches %s, the run expected %s", name, lt, want.lt))
	}
	return out
}

// fleetChanges lists what differs from the plan: planned instances no
// longer live in the group or registered in the cluster (but for those
// awaiting registration: their batch waits for them), and old-AMI
// instances the plan does not know.
func fleetChanges(g astypes.AutoScalingGroup, dc *drainCluster, target string, planned map[string]bool, pending []string, awaiting map[string]bool) []string {
	var out []string
	name := aws.ToString(g.AutoScalingGroupName)
	for _, id := range pending {
		m, ok := findMember(g, id)
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("instance %s of the plan is no longer in %s", id, name))
		case !liveMember(m):
			out = append(out, fmt.Sprintf("instance %s of the plan is %s", id, m.LifecycleState))
		case dc.ByEC2[id] == nil && !awaiting[id]:
			out = append(out, fmt.Sprintf("instance %s of the plan is no longer registered in cluster %s", id, dc.Name))
		}
	}
	var unknown []string
	for _, in := range dc.Instances {
		m, ok := findMember(g, in.EC2ID)
		if ok && liveMember(m) && in.AMI != target && !planned[in.EC2ID] {
			unknown = append(unknown, in.EC2ID)
		}
	}
	sort.Strings(unknown)
	if len(unknown) > 0 {
		out = append(out, fmt.Sprintf("%d instance(s) on an old AMI not in the plan: %s", len(unknown), strings.Join(limitList(unknown, 4), ", ")))
	}
	return out
}

// layoutPlan chooses the batch size and surge (unless given or recorded)
// and puts the old instances in batches: the batches a resumed run
// recorded first, as recorded; then instances already DRAINING (left by
// someone, or a run from before batches were recorded) as one batch; then
// the rest in zone order (rotateOrder). It fills plan.Instances, Batches,
// Batch, Surge and the estimate, and returns the instances in plan order.
func (r *Rotator) layoutPlan(ctx context.Context, req RotateRequest, st *rotateState, old []*drainInstance, tmpl *drainInstance) []*drainInstance {
	plan, g, dc := st.plan, st.group, st.cluster
	zones := memberZones(g)
	recorded := map[int][]*drainInstance{}
	var draining, active []*drainInstance
	last := 0
	for _, in := range old {
		switch b := st.batchTags[in.EC2ID]; {
		case b > 0:
			recorded[b] = append(recorded[b], in)
			last = max(last, b)
		case in.Status == "DRAINING":
			draining = append(draining, in)
		default:
			active = append(active, in)
		}
	}
	sort.Slice(draining, func(i, j int) bool { return draining[i].EC2ID < draining[j].EC2ID })
	surgeLive := max(0, plan.Current.Desired-plan.Original.Desired)
	lay := func(batch, surge int) ([]*drainInstance, []RotatePlanInstance, int) {
		var ordered []*drainInstance
		var nums []int
		for b := 1; b <= last; b++ {
			ins := recorded[b]
			sort.Slice(ins, func(i, j int) bool { return ins[i].EC2ID < ins[j].EC2ID })
			for _, in := range ins {
				ordered = append(ordered, in)
				nums = append(nums, b)
			}
		}
		next := last + 1
		if len(draining) > 0 {
			for _, in := range draining {
				ordered = append(ordered, in)
				nums = append(nums, next)
			}
			next++
		}
		for i, b := range rotateOrder(active, zones, batch, surge, surgeLive) {
			for _, in := range b {
				ordered = append(ordered, in)
				nums = append(nums, next+i)
			}
		}
		var pis []RotatePlanInstance
		batches := 0
		for i, in := range ordered {
			pi := RotatePlanInstance{InstanceID: in.EC2ID, AZ: in.AZ, AMI: in.AMI, Status: in.Status, Tasks: map[string]int{}, State: "planned", Batch: nums[i]}
			switch {
			case in.Status == "DRAINING":
				pi.State = "draining"
			case awaitingAgent(in):
				pi.State = RotatePendingRegistration
			}
			for _, t := range in.Tasks {
				key := t.Service
				if key == "" {
					key = t.Group
				}
				pi.Tasks[key]++
			}
			batches = max(batches, pi.Batch)
			pis = append(pis, pi)
		}
		return ordered, pis, batches
	}
	fits := func(batch, surge int) bool {
		if tmpl == nil {
			return true
		}
		ordered, pis, batches := lay(batch, surge)
		scratch := &RotatePlan{Surge: surge, Batches: batches, Instances: pis}
		return len(rotateCapacityCheck(dc, ordered, scratch, zones, tmpl)) == 0
	}
	if st.run == nil {
		plan.Batch, plan.Surge = chooseRotateSize(req.Batch, req.Surge, len(old), plan.Original.Desired, plan.Original.Max, fits)
		if req.Batch == 0 && len(old) > 0 {
			plan.Notes = append(plan.Notes, fmt.Sprintf("batch %d and surge %d chosen from the room under max size %d of %s (desired %d) and the room for the moved tasks; %s/%s override",
				plan.Batch, plan.Surge, plan.Original.Max, plan.ASG, plan.Original.Desired, ops.Opt(ctx, "Batch"), ops.Opt(ctx, "Surge")))
		}
	}
	ordered, pis, batches := lay(plan.Batch, plan.Surge)
	plan.Instances, plan.Batches = pis, batches
	// The bound: batches as large as the max size and the room allow.
	bound := max(min(plan.Original.Max-plan.Original.Desired, len(old), 50), 1)
	for bound > 1 && !fits(bound, bound) {
		bound--
	}
	t := DefaultRotateTimings()
	if st.timings != nil {
		t = *st.timings
	}
	estimateRotation(plan, t, bound)
	return ordered
}

// eachParallel runs f(0..n-1) with at most limit calls in flight (reads
// a drain repeats every poll: done one after the other, they add their
// latencies to the time a batch takes). It returns the error of the lowest
// index that failed, so that the message does not depend on timing.
func eachParallel(n, limit int, f func(i int) error) error {
	errs := make([]error, n)
	sem := make(chan struct{}, max(limit, 1))
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer func() { <-sem; wg.Done() }()
			errs[i] = f(i)
		}(i)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
