package sim

import (
	"fmt"
	"hash/fnv"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// The service scheduler. Whatever changes a service (a task starting,
// turning healthy, stopping; an instance registering or draining; an API
// call) kicks it: an ecs.schedule event at the current time, queued once.
// A run starts what the PRIMARY deployment lacks within maximumPercent,
// stops surplus tasks (older deployments, tasks on DRAINING instances, tasks
// above the desired count) within minimumHealthyPercent, then settles the
// deployments (counts, completion, steady state). When a task cannot be
// placed the service says so and retries every SchedulerInterval.

const (
	evSchedule = "ecs.schedule" // key: service ARN
	evRetry    = "ecs.retry"    // key: service ARN
	evSettle   = "ecs.settle"   // key: service ARN; re-check completion
)

// ECS repeats an "unable to place" event at most this often per service.
const unableEventEvery = 5 * time.Minute

func init() {
	registerEvent(evSchedule, func(s *Sim, key string) {
		if svc := s.ecsServiceByArn(key); svc != nil {
			svc.SchedQueued = false
			s.ecsRunService(svc)
		}
	})
	registerEvent(evSettle, func(s *Sim, key string) {
		if svc := s.ecsServiceByArn(key); svc != nil && aws.ToString(svc.Svc.Status) == "ACTIVE" {
			s.ecsSettle(svc)
		}
	})
	registerEvent(evRetry, func(s *Sim, key string) {
		if svc := s.ecsServiceByArn(key); svc != nil {
			svc.RetryQueued = false
			s.ecsKickService(svc)
		}
	})
}

func (s *Sim) ecsKickService(svc *ecsService) {
	if svc.SchedQueued || aws.ToString(svc.Svc.Status) == "INACTIVE" {
		return
	}
	svc.SchedQueued = true
	s.after(0, evSchedule, aws.ToString(svc.Svc.ServiceArn))
}

// ecsKickCluster wakes the services that new or returning capacity may
// help: daemons, and services that are not steady (some waiting to place).
func (s *Sim) ecsKickCluster(c *ecsCluster) {
	for _, name := range sortedKeys(c.Services) {
		if svc := c.Services[name]; !svc.Steady || svc.Svc.SchedulingStrategy == types.SchedulingStrategyDaemon {
			s.ecsKickService(svc)
		}
	}
}

func (s *Sim) ecsKickInstanceServices(in *ecsInstance) {
	for ta := range s.ecs.instTasks[aws.ToString(in.CI.ContainerInstanceArn)] {
		if t := s.ecs.Tasks[ta]; t != nil {
			if svc := s.ecsTaskService(t); svc != nil {
				s.ecsKickService(svc)
			}
		}
	}
}

// ---- placement ----

// placeReq is what a task needs from an instance.
type placeReq struct {
	cpu, mem int
	ports    []int32
	distinct bool
	member   []ciFilter
	svcArn   string
	strategy []types.PlacementStrategy
	err      error
}

// placeCounts are a service's tasks per zone and per instance (for spread).
type placeCounts struct {
	az, inst map[string]int
}

func newPlaceCounts() *placeCounts {
	return &placeCounts{az: map[string]int{}, inst: map[string]int{}}
}

func (p *placeCounts) add(in *ecsInstance) {
	if p != nil {
		p.az[in.AZ]++
		p.inst[aws.ToString(in.CI.ContainerInstanceArn)]++
	}
}

// defaultStrategy: spread over zones, then over instances, then the
// fullest instance (binpack on memory) — ECS's console default plus binpack.
var defaultStrategy = []types.PlacementStrategy{
	{Type: types.PlacementStrategyTypeSpread, Field: aws.String("attribute:ecs.availability-zone")},
	{Type: types.PlacementStrategyTypeSpread, Field: aws.String("instanceId")},
	{Type: types.PlacementStrategyTypeBinpack, Field: aws.String("memory")},
}

func validateStrategy(strat []types.PlacementStrategy) error {
	if len(strat) > 5 {
		return apiErr("InvalidParameterException", "placementStrategy can have at most 5 items.")
	}
	for _, st := range strat {
		f := strings.ToLower(aws.ToString(st.Field))
		switch st.Type {
		case types.PlacementStrategyTypeRandom:
		case types.PlacementStrategyTypeBinpack:
			if f != "cpu" && f != "memory" {
				return apiErr("InvalidParameterException", "Invalid field for binpack strategy: %s. Valid values are cpu and memory.", aws.ToString(st.Field))
			}
		case types.PlacementStrategyTypeSpread:
			if f == "" {
				return apiErr("InvalidParameterException", "The spread placement strategy requires a field.")
			}
		default:
			return apiErr("InvalidParameterException", "Invalid placement strategy type %q.", st.Type)
		}
	}
	return nil
}

// ecsChoose applies the placement strategies in order, each keeping the
// candidates it likes best.
func (s *Sim) ecsChoose(cands []*ecsInstance, strat []types.PlacementStrategy, pc *placeCounts, r placeReq) *ecsInstance {
	if len(strat) == 0 {
		strat = defaultStrategy
	}
	if pc == nil {
		pc = newPlaceCounts()
	}
	for _, st := range strat {
		if len(cands) <= 1 {
			break
		}
		f := strings.ToLower(aws.ToString(st.Field))
		var score func(in *ecsInstance) int
		switch st.Type {
		case types.PlacementStrategyTypeRandom:
			return cands[s.rng.Intn(len(cands))]
		case types.PlacementStrategyTypeBinpack:
			if f == "cpu" {
				score = func(in *ecsInstance) int { return in.CPU - in.CPUUsed - r.cpu }
			} else {
				score = func(in *ecsInstance) int { return in.Memory - in.MemUsed - r.mem }
			}
		case types.PlacementStrategyTypeSpread:
			switch f {
			case "instanceid", "host":
				score = func(in *ecsInstance) int { return pc.inst[aws.ToString(in.CI.ContainerInstanceArn)] }
			case "attribute:ecs.availability-zone":
				score = func(in *ecsInstance) int { return pc.az[in.AZ] }
			default:
				continue
			}
		default:
			continue
		}
		best := math.MaxInt
		var kept []*ecsInstance
		for _, in := range cands {
			switch v := score(in); {
			case v < best:
				best, kept = v, []*ecsInstance{in}
			case v == best:
				kept = append(kept, in)
			}
		}
		cands = kept
	}
	return cands[0]
}

// ecsPlaceReq builds the placement request of td with the given constraints
// (service or RunTask ones plus the task definition's).
func (s *Sim) ecsPlaceReq(td *ecsTaskDef, pcs []types.PlacementConstraint, svc *ecsService) placeReq {
	r := placeReq{ports: ecsStaticPorts(&td.TD)}
	r.cpu, r.mem = ecsTaskSize(&td.TD)
	if svc != nil {
		r.svcArn = aws.ToString(svc.Svc.ServiceArn)
		r.strategy = svc.Svc.PlacementStrategy
	}
	all := append([]types.PlacementConstraint(nil), pcs...)
	for _, pc := range td.TD.PlacementConstraints {
		all = append(all, types.PlacementConstraint{Type: types.PlacementConstraintType(pc.Type), Expression: pc.Expression})
	}
	if len(all) > 10 {
		r.err = apiErr("InvalidParameterException", "placementConstraints can have at most 10 items.")
	}
	for _, pc := range all {
		switch pc.Type {
		case types.PlacementConstraintTypeDistinctInstance:
			if pc.Expression != nil {
				r.err = apiErr("InvalidParameterException", "Expression is not supported for the distinctInstance placement constraint.")
			}
			r.distinct = true
		case types.PlacementConstraintTypeMemberOf:
			f, err := parseCIFilter(aws.ToString(pc.Expression))
			if err != nil {
				r.err = err
				continue
			}
			r.member = append(r.member, f)
		default:
			r.err = apiErr("InvalidParameterException", "Invalid placement constraint type %q.", pc.Type)
		}
	}
	return r
}

// placeMiss says why the closest instance did not fit.
type placeMiss struct {
	stage  int // how far the closest instance got
	ci     string
	reason string // RunTask failure reason
	detail string // service event wording
}

// ecsPlace picks an instance for one task among the ACTIVE instances with a
// connected agent that satisfy the constraints and have the resources, by
// the request's placement strategy (default: defaultStrategy).
func (s *Sim) ecsPlace(c *ecsCluster, r placeReq, pc *placeCounts) (*ecsInstance, types.Failure) {
	var cands []*ecsInstance
	miss := placeMiss{stage: -1}
	note := func(stage int, in *ecsInstance, reason, detail string) {
		if stage > miss.stage {
			miss = placeMiss{stage, aws.ToString(in.CI.ContainerInstanceArn), reason, detail}
		}
	}
	for _, a := range c.Instances {
		in := s.ecs.Instances[a]
		if aws.ToString(in.CI.Status) != "ACTIVE" || !in.CI.AgentConnected {
			continue
		}
		ok := true
		for _, f := range r.member {
			if !f.match(in) {
				ok = false
			}
		}
		if !ok {
			note(0, in, "MemberOf placement constraint unsatisfied.", "is missing an attribute required by your task")
			continue
		}
		if r.distinct && r.svcArn != "" && s.ecsInstanceHasService(in, r.svcArn) {
			note(1, in, "DistinctInstance placement constraint unsatisfied.", "is already running a task of this service (distinctInstance)")
			continue
		}
		if in.CPU-in.CPUUsed < r.cpu {
			note(2, in, "RESOURCE:CPU", "has insufficient CPU units available")
			continue
		}
		if in.Memory-in.MemUsed < r.mem {
			note(3, in, "RESOURCE:MEMORY", "has insufficient memory available")
			continue
		}
		if portClash(in.Ports, r.ports) {
			note(4, in, "RESOURCE:PORTS", "is already using a port required by your task")
			continue
		}
		cands = append(cands, in)
	}
	if len(cands) > 0 {
		return s.ecsChoose(cands, r.strategy, pc, r), types.Failure{}
	}
	if miss.stage < 0 {
		return nil, types.Failure{Reason: aws.String("No Container Instances were found in your cluster."),
			Detail: aws.String("Reason: No Container Instances were found in your cluster.")}
	}
	return nil, types.Failure{Arn: aws.String(miss.ci), Reason: aws.String(miss.reason),
		Detail: aws.String("The closest matching (container-instance " + lastPart(miss.ci) + ") " + miss.detail + ".")}
}

func portClash(used, want []int32) bool {
	for _, w := range want {
		for _, u := range used {
			if u == w {
				return true
			}
		}
	}
	return false
}

func (s *Sim) ecsInstanceHasService(in *ecsInstance, svcArn string) bool {
	for ta := range s.ecs.instTasks[aws.ToString(in.CI.ContainerInstanceArn)] {
		if t := s.ecs.Tasks[ta]; t != nil && t.Service == svcArn && aws.ToString(t.Task.DesiredStatus) == "RUNNING" {
			return true
		}
	}
	return false
}

// ---- health ----

// ecsTaskHealthy: RUNNING, meant to run, and healthy in its target group if
// it has one.
func (s *Sim) ecsTaskHealthy(t *ecsTask) bool {
	if aws.ToString(t.Task.LastStatus) != "RUNNING" || aws.ToString(t.Task.DesiredStatus) != "RUNNING" {
		return false
	}
	if t.TargetGroup == "" {
		return true
	}
	tgt := s.elb.TargetGroups[t.TargetGroup].target(t)
	return tgt != nil && tgt.State == "healthy"
}

// ecsTaskOutOfPlace: the task is on an instance that is draining or gone.
func (s *Sim) ecsTaskOutOfPlace(t *ecsTask) bool {
	if ecsOnFargate(t) {
		return false // no container instance to drain or lose
	}
	in := s.ecs.Instances[t.Instance]
	return in == nil || aws.ToString(in.CI.Status) != "ACTIVE"
}

func (s *Sim) ecsHealthyCount(svc *ecsService) int {
	n := 0
	for a := range s.ecs.svcTasks[aws.ToString(svc.Svc.ServiceArn)] {
		if t := s.ecs.Tasks[a]; t != nil && s.ecsTaskHealthy(t) {
			n++
		}
	}
	return n
}

// ecsObserve tells the recorder about a change of a service's healthy count.
func (s *Sim) ecsObserve(svc *ecsService, cause string) {
	if !svc.Observed {
		return
	}
	h := s.ecsHealthyCount(svc)
	if h == svc.LastHealthy {
		return
	}
	svc.LastHealthy = h
	desired := int(svc.Svc.DesiredCount)
	base := desired
	if svc.StableDesire < base {
		base = svc.StableDesire
	}
	minP, _ := percents(svc)
	required := int(math.Ceil(float64(base) * float64(minP) / 100))
	s.rec.observeHealthy(s.Now(), svc.Cluster+"/"+s.ecsSvcName(svc), h, desired, required, cause)
}

// ---- the scheduler run ----

func (s *Sim) ecsRunService(svc *ecsService) {
	c := s.ecs.Clusters[svc.Cluster]
	if c == nil {
		return
	}
	switch aws.ToString(svc.Svc.Status) {
	case "INACTIVE":
		return
	case "DRAINING":
		s.ecsRunDeleted(svc)
		return
	}
	if svc.Svc.SchedulingStrategy == types.SchedulingStrategyDaemon {
		s.ecsRunDaemon(svc, c)
		s.ecsSettle(svc)
		return
	}
	r := s.newServiceRun(svc, c)
	for iter := 0; iter < 4; iter++ {
		active, keep, surplus, counts := r.partition()
		if len(keep) > r.desired {
			r.scaleIn(keep)
			continue
		}
		started := r.startMissing(len(keep), &active, counts)
		if stopped := r.stopSurplus(active, surplus); !started && !stopped {
			break
		}
	}
	s.ecsRunEvents(svc, r.started, r.stoppedRunning, r.draining)
	if r.unable != "" {
		s.ecsUnable(svc, r.unable)
	}
	s.ecsSettle(svc)
}

// serviceRun is one scheduler run over a REPLICA service: its limits, what
// the primary deployment launches, and what the run did.
type serviceRun struct {
	s                    *Sim
	svc                  *ecsService
	c                    *ecsCluster
	primary              types.Deployment
	pid, name            string
	desired              int
	maxTotal, minHealthy int
	// hold: a blue/green, linear or canary deployment runs the new
	// revision at full size next to the old one until its bake time is
	// over.
	hold       bool
	td         *ecsTaskDef
	req        placeReq
	canStart   bool
	stopReason string

	started, stoppedRunning, draining []string
	unable                            string // why a task could not be placed
}

func (s *Sim) newServiceRun(svc *ecsService, c *ecsCluster) *serviceRun {
	primary := svc.Svc.Deployments[0]
	r := &serviceRun{s: s, svc: svc, c: c, primary: primary, pid: aws.ToString(primary.Id),
		name: s.ecsSvcName(svc), desired: int(svc.Svc.DesiredCount), hold: s.sdHoldsSource(svc)}
	minP, maxP := percents(svc)
	r.maxTotal = r.desired * maxP / 100
	if r.hold {
		r.maxTotal = max(r.maxTotal, 2*r.desired)
	}
	r.minHealthy = int(math.Ceil(float64(r.desired) * float64(minP) / 100))
	r.td = s.ecsLookupTaskDef(aws.ToString(primary.TaskDefinition))
	r.canStart = r.td != nil && primary.RolloutState != types.DeploymentRolloutStateFailed
	if r.td != nil {
		r.req = s.ecsPlaceReq(r.td, svc.Svc.PlacementConstraints, svc)
		r.canStart = r.canStart && r.req.err == nil
	}
	r.stopReason = "Scaling activity initiated by (deployment " + r.pid + ")"
	return r
}

// partition sorts the service's RUNNING-desired tasks into the primary
// deployment's tasks that stay where they are (keep, counted for placement)
// and the rest (surplus).
func (r *serviceRun) partition() (active, keep, surplus []*ecsTask, counts *placeCounts) {
	counts = newPlaceCounts()
	for _, t := range r.s.ecsServiceTasks(r.svc) {
		if aws.ToString(t.Task.DesiredStatus) != "RUNNING" {
			continue
		}
		active = append(active, t)
		if t.Deployment == r.pid && !r.s.ecsTaskOutOfPlace(t) {
			keep = append(keep, t)
			if in := r.s.ecs.Instances[t.Instance]; in != nil {
				counts.add(in)
			}
		} else {
			surplus = append(surplus, t)
		}
	}
	return active, keep, surplus, counts
}

// scaleIn stops the primary's tasks above desired: the newest, least
// healthy first.
func (r *serviceRun) scaleIn(keep []*ecsTask) {
	sort.SliceStable(keep, func(i, j int) bool {
		hi, hj := r.s.ecsTaskHealthy(keep[i]), r.s.ecsTaskHealthy(keep[j])
		if hi != hj {
			return !hi
		}
		return aws.ToTime(keep[i].Task.CreatedAt).After(aws.ToTime(keep[j].Task.CreatedAt))
	})
	for _, t := range keep[:len(keep)-r.desired] {
		r.stop(t)
	}
}

// startMissing starts what the primary deployment lacks, within
// maximumPercent, adding the new tasks to active.
func (r *serviceRun) startMissing(kept int, active *[]*ecsTask, counts *placeCounts) bool {
	if !r.canStart {
		return false
	}
	n := r.desired - kept
	if room := r.maxTotal - len(*active); room < n {
		n = room
	}
	changed := false
	for i := 0; i < n; i++ {
		in, fail := r.s.ecsPlaceService(r.svc, r.c, r.req, counts)
		if in == nil {
			r.unable = aws.ToString(fail.Detail)
			break
		}
		t := r.s.ecsCreateTask(r.c, r.td, in, "service:"+r.name, r.pid, r.svc, r.pid, svcTaskTags(r.svc, r.td))
		counts.add(in)
		r.started = append(r.started, lastPart(aws.ToString(t.Task.TaskArn)))
		*active = append(*active, t)
		changed = true
	}
	return changed
}

// stopSurplus stops surplus tasks: those not (yet) healthy freely, healthy
// ones only while the service keeps minimumHealthyPercent.
func (r *serviceRun) stopSurplus(active, surplus []*ecsTask) bool {
	healthy := 0
	for _, t := range active {
		if r.s.ecsTaskHealthy(t) {
			healthy++
		}
	}
	allowance := healthy - r.minHealthy
	sort.SliceStable(surplus, func(i, j int) bool {
		return !r.s.ecsTaskHealthy(surplus[i]) && r.s.ecsTaskHealthy(surplus[j])
	})
	changed := false
	for _, t := range surplus {
		if r.hold && t.Deployment != r.pid && !r.s.ecsTaskOutOfPlace(t) {
			continue
		}
		if r.s.ecsTaskHealthy(t) {
			// A FAILED deployment (breaker without rollback) launches
			// nothing, so the healthy tasks of older ones stay.
			if allowance <= 0 || r.primary.RolloutState == types.DeploymentRolloutStateFailed {
				break
			}
			allowance--
		}
		r.stop(t)
		changed = true
	}
	return changed
}

func (r *serviceRun) stop(t *ecsTask) {
	wasRunning := aws.ToString(t.Task.LastStatus) == "RUNNING"
	r.s.ecsStopTask(t, r.stopReason, types.TaskStopCodeServiceSchedulerInitiated, true)
	r.s.noteStop(t, wasRunning, &r.stoppedRunning, &r.draining)
}

// svcTaskTags are the tags a service gives its tasks: ECS-managed ones and
// the propagated ones.
func svcTaskTags(svc *ecsService, td *ecsTaskDef) []types.Tag {
	var tags []types.Tag
	if svc.Svc.EnableECSManagedTags {
		tags = append(tags,
			types.Tag{Key: aws.String("aws:ecs:clusterName"), Value: aws.String(svc.Cluster)},
			types.Tag{Key: aws.String("aws:ecs:serviceName"), Value: svc.Svc.ServiceName})
	}
	switch svc.Svc.PropagateTags {
	case types.PropagateTagsService:
		tags = append(tags, svc.Svc.Tags...)
	case types.PropagateTagsTaskDefinition:
		tags = append(tags, td.Tags...)
	}
	return tags
}

func (s *Sim) noteStop(t *ecsTask, wasRunning bool, stopped, draining *[]string) {
	if !wasRunning {
		return
	}
	id := lastPart(aws.ToString(t.Task.TaskArn))
	*stopped = append(*stopped, id)
	if aws.ToString(t.Task.LastStatus) == "DEACTIVATING" {
		*draining = append(*draining, t.Deployment+"\x00"+t.TargetGroup)
	}
}

// ecsRunEvents writes the events of one scheduler run, in ECS's words.
// drainingTGs has one "deployment\x00target group" per task that began
// draining (noteStop).
func (s *Sim) ecsRunEvents(svc *ecsService, started, stopped, drainingTGs []string) {
	name := s.ecsSvcName(svc)
	if len(stopped) > 0 {
		s.ecsEvent(svc, fmt.Sprintf("(service %s) has stopped %d running tasks: %s", name, len(stopped), taskList(stopped)))
	}
	if len(drainingTGs) > 0 {
		// ECS names the task set (the deployment) whose tasks drain, and
		// the target groups apart: "(service api, taskSet ecs-svc/27…) has
		// begun draining connections on 1 tasks." then "(service api)
		// deregistered 1 targets in (target-group arn:…)", as service
		// events read on accounts (quoted in public deployment logs; the
		// ECS guide documents no event texts). ecsctl only looks for "has
		// begun draining connections" (ops/deploy/deploy_phase.go).
		perDep, perTG := map[string]int{}, map[string]int{}
		for _, dt := range drainingTGs {
			dep, tg, _ := strings.Cut(dt, "\x00")
			perDep[dep]++
			perTG[tg]++
		}
		for _, dep := range sortedKeys(perDep) {
			who := "(service " + name + ")"
			if dep != "" {
				who = "(service " + name + ", taskSet " + dep + ")"
			}
			s.ecsEvent(svc, fmt.Sprintf("%s has begun draining connections on %d tasks", who, perDep[dep]))
		}
		for _, tg := range sortedKeys(perTG) {
			s.ecsEvent(svc, fmt.Sprintf("(service %s) deregistered %d targets in (target-group %s)", name, perTG[tg], tg))
		}
	}
	if len(started) > 0 {
		s.ecsEvent(svc, fmt.Sprintf("(service %s) has started %d tasks: %s", name, len(started), taskList(started)))
	}
}

func taskList(ids []string) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = "(task " + id + ")"
	}
	return strings.Join(parts, " ")
}

// ecsUnable writes ECS's "unable to place" event (at most every few
// minutes) and schedules a retry.
func (s *Sim) ecsUnable(svc *ecsService, detail string) {
	if svc.LastUnable.IsZero() || s.Now().Sub(svc.LastUnable) >= unableEventEvery {
		svc.LastUnable = s.Now()
		s.ecsEvent(svc, "(service "+s.ecsSvcName(svc)+") was unable to place a task because no container instance met all of its requirements. "+
			detail+" For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.")
	}
	if !svc.RetryQueued {
		svc.RetryQueued = true
		s.after(s.Timings.SchedulerInterval.D(), evRetry, aws.ToString(svc.Svc.ServiceArn))
	}
}

// ecsRunDeleted stops the tasks of a deleted (DRAINING) service; it becomes
// INACTIVE when the last one has stopped.
func (s *Sim) ecsRunDeleted(svc *ecsService) {
	alive := 0
	var stopped, draining []string
	for _, t := range s.ecsServiceTasks(svc) {
		if aws.ToString(t.Task.LastStatus) == "STOPPED" {
			continue
		}
		wasRunning := aws.ToString(t.Task.LastStatus) == "RUNNING"
		if aws.ToString(t.Task.DesiredStatus) == "RUNNING" {
			s.ecsStopTask(t, "Service "+s.ecsSvcName(svc)+" was deleted", types.TaskStopCodeServiceSchedulerInitiated, true)
			s.noteStop(t, wasRunning, &stopped, &draining)
		}
		if aws.ToString(t.Task.LastStatus) != "STOPPED" {
			alive++
		}
	}
	s.ecsRunEvents(svc, nil, stopped, draining)
	s.ecsCount(svc)
	if alive == 0 {
		svc.Svc.Status = aws.String("INACTIVE")
		svc.Svc.Deployments = []types.Deployment{}
		s.rec.timeline(s.Now(), "service-deleted", svc.Cluster+"/"+s.ecsSvcName(svc))
	}
}

// ecsSettle refreshes counts, drops finished older deployments, completes
// the PRIMARY one and notes the steady state.
func (s *Sim) ecsSettle(svc *ecsService) {
	s.ecsCount(svc)
	now := s.Now()
	name := s.ecsSvcName(svc)
	pid := aws.ToString(svc.Svc.Deployments[0].Id)
	alive := map[string]int{}
	healthyPrimary, extra := 0, 0
	stableAt := time.Time{} // when the last healthy primary task becomes stable
	for _, t := range s.ecsServiceTasks(svc) {
		if aws.ToString(t.Task.LastStatus) == "STOPPED" {
			continue
		}
		alive[t.Deployment]++
		inPlace := t.Deployment == pid && aws.ToString(t.Task.DesiredStatus) == "RUNNING" && !s.ecsTaskOutOfPlace(t)
		if !inPlace {
			extra++
		} else if s.ecsTaskHealthy(t) {
			healthyPrimary++
			if at := aws.ToTime(t.Task.StartedAt).Add(s.Timings.HealthCheckGrace.D()); at.After(stableAt) {
				stableAt = at
			}
		}
	}
	deps := svc.Svc.Deployments[:1]
	for _, d := range svc.Svc.Deployments[1:] {
		if alive[aws.ToString(d.Id)] > 0 {
			deps = append(deps, d)
		}
	}
	svc.Svc.Deployments = deps
	p := &svc.Svc.Deployments[0]
	desired := int(svc.Svc.DesiredCount)
	ready := p.RolloutState == types.DeploymentRolloutStateInProgress && len(deps) == 1 && extra == 0 &&
		healthyPrimary == desired && p.PendingCount == 0
	if ready && stableAt.After(now) {
		// A deployment completes once its tasks have stayed up for the
		// health-check grace (a task that crashes soon after starting
		// keeps it IN_PROGRESS).
		s.schedule(stableAt, evSettle, aws.ToString(svc.Svc.ServiceArn))
		ready = false
	}
	if ready {
		p.RolloutState = types.DeploymentRolloutStateCompleted
		p.RolloutStateReason = aws.String("ECS deployment " + pid + " completed.")
		p.UpdatedAt = aws.Time(now)
		svc.LastCompletedTaskDef = aws.ToString(p.TaskDefinition)
		s.ecsEvent(svc, "(service "+name+") (deployment "+pid+") deployment completed.")
		s.rec.timeline(now, "deployment-completed", svc.Cluster+"/"+name+": "+pid+" "+lastPart(aws.ToString(p.TaskDefinition)))
		s.sdOnCompleted(svc, pid)
	}
	s.sdAdvance(svc)
	steady := len(deps) == 1 && p.RolloutState == types.DeploymentRolloutStateCompleted && extra == 0 &&
		healthyPrimary == desired && p.PendingCount == 0
	if steady && !svc.Steady {
		s.ecsEvent(svc, "(service "+name+") has reached a steady state.")
		svc.StableDesire = desired
		if !svc.Observed {
			svc.Observed = true
			svc.LastHealthy = -1
		}
	}
	if steady {
		svc.StableDesire = desired
		svc.LastUnable = time.Time{}
	}
	svc.Steady = steady
	s.ecsObserve(svc, "scheduler")
}

// ecsTaskFailed counts a failed task against its deployment and trips the
// circuit breaker: min(200, max(3, ceil(desired/2))) failures of the PRIMARY
// deployment mark it FAILED; with rollback a new PRIMARY deployment runs the
// last completed task definition.
func (s *Sim) ecsTaskFailed(t *ecsTask) {
	svc := s.ecsTaskService(t)
	if svc == nil || aws.ToString(svc.Svc.Status) != "ACTIVE" {
		return
	}
	idx := -1
	for i := range svc.Svc.Deployments {
		if aws.ToString(svc.Svc.Deployments[i].Id) == t.Deployment {
			idx = i
		}
	}
	if idx < 0 {
		return
	}
	d := &svc.Svc.Deployments[idx]
	d.FailedTasks++
	d.UpdatedAt = aws.Time(s.Now())
	cb := svc.Svc.DeploymentConfiguration.DeploymentCircuitBreaker
	if idx != 0 || cb == nil || !cb.Enable || d.RolloutState != types.DeploymentRolloutStateInProgress {
		return
	}
	threshold := int32(math.Ceil(float64(svc.Svc.DesiredCount) / 2))
	threshold = max(3, min(200, threshold))
	if d.FailedTasks < threshold {
		return
	}
	name := s.ecsSvcName(svc)
	id := aws.ToString(d.Id)
	d.RolloutState = types.DeploymentRolloutStateFailed
	d.RolloutStateReason = aws.String("ECS deployment circuit breaker: tasks failed to start.")
	s.ecsEvent(svc, "(service "+name+") (deployment "+id+") deployment failed: tasks failed to start.")
	s.rec.timeline(s.Now(), "deployment-failed", svc.Cluster+"/"+name+": "+id+" circuit breaker tripped after "+fmt.Sprint(d.FailedTasks)+" failed tasks")
	if s.sdOnFailed(svc, id, d.FailedTasks, cb.Rollback) {
		s.ecsKickService(svc)
		return
	}
	if cb.Rollback && svc.LastCompletedTaskDef != "" {
		nd := s.ecsNewDeploymentRaw(svc, svc.LastCompletedTaskDef)
		s.sdOnBreakerRollback(svc, id, nd)
		nd.RolloutStateReason = aws.String("ECS deployment circuit breaker: rolling back to deploymentId " + id + ".")
		s.ecsEvent(svc, "(service "+name+") rolling back to deployment "+aws.ToString(nd.Id)+".")
		s.rec.timeline(s.Now(), "deployment-rolled-back", svc.Cluster+"/"+name+": "+id+" rolled back to "+lastPart(svc.LastCompletedTaskDef)+" ("+aws.ToString(nd.Id)+")")
	}
	s.ecsKickService(svc)
}

// ---- daemon services ----

// ecsDaemonTarget is a daemon service's desired count: one per ACTIVE instance.
func (s *Sim) ecsDaemonTarget(c *ecsCluster) int {
	n := 0
	for _, a := range c.Instances {
		if in := s.ecs.Instances[a]; aws.ToString(in.CI.Status) == "ACTIVE" && in.CI.AgentConnected {
			n++
		}
	}
	return n
}

// ecsRunDaemon keeps one task of the PRIMARY deployment on every ACTIVE
// instance. On a DRAINING instance the daemon task stops last, once the
// instance has no other service tasks.
func (s *Sim) ecsRunDaemon(svc *ecsService, c *ecsCluster) {
	svc.Svc.DesiredCount = int32(s.ecsDaemonTarget(c))
	pid := aws.ToString(svc.Svc.Deployments[0].Id)
	td := s.ecsLookupTaskDef(aws.ToString(svc.Svc.Deployments[0].TaskDefinition))
	name := s.ecsSvcName(svc)
	reason := "Scaling activity initiated by (deployment " + pid + ")"
	arn := aws.ToString(svc.Svc.ServiceArn)
	var started, stopped, draining []string
	onInst := map[string]bool{}
	for _, t := range s.ecsServiceTasks(svc) {
		if aws.ToString(t.Task.LastStatus) == "STOPPED" {
			continue
		}
		in := s.ecs.Instances[t.Instance]
		if aws.ToString(t.Task.DesiredStatus) != "RUNNING" {
			onInst[t.Instance] = true // still holds its ports
			continue
		}
		stop := t.Deployment != pid
		if in != nil && aws.ToString(in.CI.Status) == "DRAINING" {
			stop = !s.ecsInstanceHasOtherServices(in, arn)
		}
		if stop {
			wasRunning := aws.ToString(t.Task.LastStatus) == "RUNNING"
			s.ecsStopTask(t, reason, types.TaskStopCodeServiceSchedulerInitiated, true)
			s.noteStop(t, wasRunning, &stopped, &draining)
		}
		onInst[t.Instance] = true
	}
	if td != nil && svc.Svc.Deployments[0].RolloutState != types.DeploymentRolloutStateFailed {
		req := s.ecsPlaceReq(td, svc.Svc.PlacementConstraints, svc)
		for _, a := range c.Instances {
			in := s.ecs.Instances[a]
			if onInst[a] || aws.ToString(in.CI.Status) != "ACTIVE" || !in.CI.AgentConnected || req.err != nil {
				continue
			}
			one := &ecsCluster{Name: c.Name, Arn: c.Arn, Instances: []string{a}}
			if got, _ := s.ecsPlace(one, req, nil); got != nil {
				t := s.ecsCreateTask(c, td, got, "service:"+name, pid, svc, pid, svcTaskTags(svc, td))
				started = append(started, lastPart(aws.ToString(t.Task.TaskArn)))
			}
		}
	}
	s.ecsRunEvents(svc, started, stopped, draining)
}

func (s *Sim) ecsInstanceHasOtherServices(in *ecsInstance, svcArn string) bool {
	for ta := range s.ecs.instTasks[aws.ToString(in.CI.ContainerInstanceArn)] {
		if t := s.ecs.Tasks[ta]; t != nil && t.Service != "" && t.Service != svcArn {
			if sv := s.ecsTaskService(t); sv == nil || sv.Svc.SchedulingStrategy != types.SchedulingStrategyDaemon {
				return true
			}
		}
	}
	return false
}

// ---- usage for CloudWatch ----

// ecsUsage reports reservations per cluster and service, with a utilization
// that wanders deterministically between about 20 and 70 % of what each
// service reserves.
func (s *Sim) ecsUsage() []ClusterUsage {
	var out []ClusterUsage
	now := s.Now()
	for _, cn := range sortedKeys(s.ecs.Clusters) {
		c := s.ecs.Clusters[cn]
		if c.Status != "ACTIVE" {
			continue
		}
		u := ClusterUsage{Cluster: cn}
		for _, a := range c.Instances {
			in := s.ecs.Instances[a]
			if aws.ToString(in.CI.Status) == "INACTIVE" {
				continue
			}
			u.CPURegistered += in.CPU
			u.MemRegistered += in.Memory
			u.CPUReserved += in.CPUUsed
			u.MemReserved += in.MemUsed
		}
		var cpuUsed, memUsed float64
		for _, sn := range sortedKeys(c.Services) {
			svc := c.Services[sn]
			if aws.ToString(svc.Svc.Status) == "INACTIVE" {
				continue
			}
			su := ServiceUsage{Service: sn}
			for a := range s.ecs.svcTasks[aws.ToString(svc.Svc.ServiceArn)] {
				t := s.ecs.Tasks[a]
				if t != nil && aws.ToString(t.Task.LastStatus) == "RUNNING" {
					su.RunningTasks++
					su.CPUReserved += t.CPU
					su.MemReserved += t.Memory
				}
			}
			su.CPUUtilization = wander(cn+"/"+sn+"/cpu", now)
			su.MemUtilization = wander(cn+"/"+sn+"/mem", now)
			// The cluster's figures are over its instances' reservation,
			// which Fargate tasks are no part of.
			if !ecsFargateService(svc) {
				cpuUsed += su.CPUUtilization * float64(su.CPUReserved) / 100
				memUsed += su.MemUtilization * float64(su.MemReserved) / 100
			}
			u.Services = append(u.Services, su)
		}
		if u.CPUReserved > 0 {
			u.CPUUtilization = 100 * cpuUsed / float64(u.CPUReserved)
		}
		if u.MemReserved > 0 {
			u.MemUtilization = 100 * memUsed / float64(u.MemReserved)
		}
		out = append(out, u)
	}
	return out
}

// wander is a smooth deterministic walk in [20, 70] for key at time t.
func wander(key string, t time.Time) float64 {
	h := fnv.New64a()
	h.Write([]byte(key))
	seed := h.Sum64()
	phase1 := float64(seed%1000) / 1000 * 2 * math.Pi
	phase2 := float64((seed/1000)%1000) / 1000 * 2 * math.Pi
	x := float64(t.Unix()) / 60
	v := 0.6*math.Sin(x/47+phase1) + 0.4*math.Sin(x/13+phase2)
	return 45 + 25*v
}

func fnv64(key string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(key))
	return h.Sum64()
}
