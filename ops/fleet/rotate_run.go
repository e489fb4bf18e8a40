package fleet

import (
	"context"
	"ecsctl/fmtx"
	"ecsctl/ops"
	"ecsctl/ops/awsapi"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// Rotate outcomes.
const (
	RotateDryRun      = "dry-run"
	RotateCompleted   = "completed"
	RotatePaused      = "paused"
	RotateAborted     = "aborted"
	RotateInterrupted = "interrupted"
	RotateFailed      = "failed"
	// RotateUnchanged: no instance was old, so nothing was done at all.
	RotateUnchanged = "unchanged"
)

// Rotate runs rotate-ami: preflight (the plan; --dry-run stops there), then
// the run of that plan, resumed from the ASG's tags when one is in
// progress, or --abort.
func (r *Rotator) Rotate(ctx context.Context, req RotateRequest) (*RotateResult, error) {
	if err := ValidateRotateRequest(ctx, req); err != nil {
		return nil, err
	}
	st, err := r.preflight(ctx, req)
	if err != nil {
		return nil, interrupted(ctx, err)
	}
	return r.apply(ctx, req, st)
}

// Apply executes a plan Preflight returned (the one the user confirmed),
// batch by batch as planned. Before each batch it re-reads the fleet and
// stops with a FleetChangedError when it no longer matches the plan.
func (r *Rotator) Apply(ctx context.Context, req RotateRequest, plan *RotatePlan) (*RotateResult, error) {
	if err := ValidateRotateRequest(ctx, req); err != nil {
		return nil, err
	}
	if plan == nil || plan.st == nil {
		return nil, errors.New("rotate-ami: apply needs a plan made by Preflight")
	}
	return r.apply(ctx, req, plan.st)
}

func (r *Rotator) apply(ctx context.Context, req RotateRequest, st *rotateState) (*RotateResult, error) {
	if req.TimeoutPerBatch <= 0 {
		req.TimeoutPerBatch = 30 * time.Minute
	}
	req.Standalone = st.standalone // a resumed run keeps its recorded policy unless told otherwise
	res := &RotateResult{Plan: st.plan, StartedAt: r.clock().Now(), MinHealthy: map[string]int{}}
	var err error
	switch {
	case req.DryRun:
		res.Outcome = RotateDryRun
	case req.Abort:
		err = r.abort(ctx, req, st, res)
	case st.run == nil && len(st.plan.Instances) == 0:
		// Nothing to replace: no run record, no suspended process, no
		// launch template version — a no-op must leave no trace in AWS.
		res.Outcome = RotateUnchanged
		res.Notes = append(res.Notes, fmt.Sprintf("every instance of %s in cluster %s already runs %s: nothing to do", st.plan.ASG, st.plan.Cluster, st.plan.TargetAMI))
	default:
		err = r.execute(ctx, req, st, res)
	}
	res.FinishedAt = r.clock().Now()
	res.DurationSeconds = res.FinishedAt.Sub(res.StartedAt).Seconds()
	res.Outcome, res.Reason, err = runVerdict(ctx, res.Outcome, err)
	return res, err
}

// runVerdict is how a rotation or a cluster scale ended: its outcome, the
// reason, and the error to return. An interruption always wraps
// ops.ErrInterrupted (exit 130), whatever call it surfaced in.
func runVerdict(ctx context.Context, outcome string, err error) (string, string, error) {
	var pe *PauseError
	switch {
	case err == nil:
		if outcome == "" {
			outcome = RotateCompleted
		}
		return outcome, "", nil
	case errors.Is(err, ops.ErrInterrupted) || ctx.Err() != nil:
		reason := err.Error()
		if !errors.Is(err, ops.ErrInterrupted) {
			err = fmt.Errorf("%w: %v", ops.ErrInterrupted, err)
		}
		return RotateInterrupted, reason, err
	case errors.As(err, &pe):
		return RotatePaused, err.Error(), err
	}
	return RotateFailed, err.Error(), err
}

func (r *Rotator) describeGroup(ctx context.Context, name string) (astypes.AutoScalingGroup, error) {
	out, err := r.ASG.DescribeAutoScalingGroups(ctx, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{name}})
	if err != nil {
		return astypes.AutoScalingGroup{}, fmt.Errorf("describe auto scaling group %s: %w", name, err)
	}
	if len(out.AutoScalingGroups) == 0 {
		return astypes.AutoScalingGroup{}, ops.NotFound(ctx, "auto scaling group", name)
	}
	return out.AutoScalingGroups[0], nil
}

// start records the run in AWS before the first change that matters.
func (r *Rotator) start(ctx context.Context, req RotateRequest, st *rotateState) (rotateRun, error) {
	plan := st.plan
	suspended := false
	for _, p := range st.group.SuspendedProcesses {
		if aws.ToString(p.ProcessName) == "AZRebalance" {
			suspended = true
		}
	}
	run := rotateRun{ID: plan.RunID, AMI: plan.TargetAMI, Orig: plan.Original, Suspended: !suspended,
		Batch: plan.Batch, Surge: plan.Surge, Standalone: req.Standalone}
	if plan.UpdateLaunchTemplate {
		run.LT, run.LTVer = st.ltID, st.ltSpec
	}
	run.Procs = strings.Join(st.suspend, ",")
	if err := r.recordRun(ctx, plan, run); err != nil {
		return run, err
	}
	if plan.UpdateLaunchTemplate {
		if err := r.updateLaunchTemplate(ctx, st); err != nil {
			return run, err
		}
	}
	var ids []string
	for _, pi := range plan.Instances {
		ids = append(ids, pi.InstanceID)
	}
	if err := awsapi.CreateTags(ctx, r.EC2, ids, ec2Tag(rotateTagOld, run.ID)); err != nil {
		return run, fmt.Errorf("tag the old instances of %s: %w", plan.ASG, err)
	}
	if err := r.recordBatches(ctx, plan, nil); err != nil {
		return run, err
	}
	if procs := runSuspends(run); len(procs) > 0 {
		if _, err := r.ASG.SuspendProcesses(ctx, &autoscaling.SuspendProcessesInput{AutoScalingGroupName: aws.String(plan.ASG), ScalingProcesses: procs}); err != nil {
			return run, fmt.Errorf("suspend %s on %s: %w", strings.Join(procs, ", "), plan.ASG, err)
		}
	}
	r.emit(plan.Cluster, ops.EventInfo, "run %s recorded on %s (desired %d, min %d, max %d); %s suspended; %d old instance(s) to replace with %s",
		run.ID, plan.ASG, run.Orig.Desired, run.Orig.Min, run.Orig.Max, suspendedList(run), len(ids), run.AMI)
	return run, nil
}

// rotateExec is one execution of a plan: what the batches share and
// change as they go.
type rotateExec struct {
	req RotateRequest
	st  *rotateState
	res *RotateResult
	run rotateRun
	// expect is the group as the run's own changes leave it.
	expect groupExpect
	// planned: the plan's instances; oldSet: them and the instances the
	// killed run marked old (none of which counts as a new instance).
	planned, oldSet map[string]bool
	drainer         *Drainer
	gone            []string // container instances of terminated batches
}

// execute runs a plan: the group re-checked, the run recorded (or the
// killed one resumed), the batches one by one, then the wrap-up — wait for
// the terminations and deregistrations, trim a surplus, balance the zones
// and restore the group.
func (r *Rotator) execute(ctx context.Context, req RotateRequest, st *rotateState, res *RotateResult) error {
	plan := st.plan
	x := &rotateExec{req: req, st: st, res: res, expect: groupExpect{cap: plan.Current, lt: launchTemplateKey(st.group)},
		planned: map[string]bool{}, oldSet: map[string]bool{}}
	for _, pi := range plan.Instances {
		x.planned[pi.InstanceID] = true
	}
	// What was confirmed may be minutes old: check the group still holds
	// it before the first change (the cluster is read again, fully, before
	// the first batch drains).
	if _, err := r.recheckWith(ctx, st.cluster, st, x.expect, x.planned, pendingFrom(plan, 1), 1, st.run != nil); err != nil {
		return err
	}
	if err := r.beginRun(ctx, x); err != nil {
		return interrupted(ctx, err)
	}
	x.drainer = r.drainer()
	st.watch, st.res = &rotateWatch{}, res
	for b := 1; b <= plan.Batches; b++ {
		if err := r.runBatch(ctx, x, b); err != nil {
			return err
		}
	}
	if err := r.followTerminations(ctx, plan.Cluster, plan.ASG, res.Replaced, req.TimeoutPerBatch, &res.Notes); err != nil {
		return err
	}
	if err := x.drainer.WaitDeregistered(ctx, plan.Cluster, x.gone, req.TimeoutPerBatch); err != nil {
		return err
	}
	if err := r.trimSurplus(ctx, req, plan, x.run, st.watch, res); err != nil {
		return err
	}
	if x.run.Suspended {
		if err := r.balance(ctx, req, plan, x.run, res); err != nil {
			return err
		}
	}
	return r.finish(ctx, x.run, plan, res)
}

// beginRun records a new run (start) or takes up the killed one
// (resumeRun), then notes the launch template the group now launches and
// the instances that are old for the run.
func (r *Rotator) beginRun(ctx context.Context, x *rotateExec) error {
	st, plan := x.st, x.st.plan
	if st.run != nil {
		if err := r.resumeRun(ctx, x); err != nil {
			return err
		}
	} else {
		run, err := r.start(ctx, x.req, st)
		if err != nil {
			return err
		}
		x.run = run
	}
	if plan.UpdateLaunchTemplate { // a new run's update, or a resumed one's
		g, err := r.describeGroup(ctx, plan.ASG)
		if err != nil {
			return err
		}
		x.expect.lt = launchTemplateKey(g)
	}
	for _, pi := range plan.Instances {
		x.oldSet[pi.InstanceID] = true
	}
	return nil
}

// resumeRun takes up a killed run where it stopped: whatever of the run's
// first steps it may have died before (the launch template update, the
// suspension, the batch records) is done now.
func (r *Rotator) resumeRun(ctx context.Context, x *rotateExec) error {
	st, plan := x.st, x.st.plan
	x.run = *st.run
	for id := range st.oldTags {
		x.oldSet[id] = true
	}
	r.emit(plan.Cluster, ops.EventInfo, "resuming run %s on %s: %d old instance(s) left", x.run.ID, plan.ASG, len(plan.Instances))
	if plan.UpdateLaunchTemplate { // the killed run died before the group launched the target
		if x.run.LT == "" {
			x.run.LT, x.run.LTVer = st.ltID, st.ltSpec
			if err := r.recordRun(ctx, plan, x.run); err != nil {
				return err
			}
		}
		if err := r.updateLaunchTemplate(ctx, st); err != nil {
			return err
		}
	}
	if procs := runSuspends(x.run); len(procs) > 0 { // the killed run may have died between recording the run and suspending
		if _, err := r.ASG.SuspendProcesses(ctx, &autoscaling.SuspendProcessesInput{AutoScalingGroupName: aws.String(plan.ASG), ScalingProcesses: procs}); err != nil {
			return fmt.Errorf("suspend %s on %s: %w", strings.Join(procs, ", "), plan.ASG, err)
		}
	}
	unrecorded := map[string]bool{}
	for _, pi := range plan.Instances {
		if st.batchTags[pi.InstanceID] == 0 {
			unrecorded[pi.InstanceID] = true
		}
	}
	if len(unrecorded) > 0 {
		return r.recordBatches(ctx, plan, unrecorded)
	}
	return nil
}

// runBatch replaces batch b: the fleet checked against the plan, the
// surge launched, the batch's replacements (and any instance it holds for
// registration) waited for, then the batch drained and terminated.
func (r *Rotator) runBatch(ctx context.Context, x *rotateExec, b int) error {
	g, err := r.checkBeforeBatch(ctx, x, b)
	if err != nil {
		return err
	}
	batchIDs := batchOf(x.st.plan, b)
	if len(batchIDs) == 0 {
		return nil // done before a resume, or every instance of it reclaimed
	}
	before := map[string]bool{}
	for _, m := range g.Instances {
		before[aws.ToString(m.InstanceId)] = true
	}
	pending := pendingFrom(x.st.plan, b)
	if err := r.surgeFor(ctx, x, g, len(pending)); err != nil {
		return interrupted(ctx, err)
	}
	dc, batch, err := r.batchReady(ctx, x, before, pending, batchIDs, b)
	if err != nil || len(batch) == 0 {
		return err
	}
	return r.drainBatch(ctx, x, dc, batch, batchIDs, b)
}

// checkBeforeBatch reads the group and stops the run when it or the plan's
// instances changed, before any scale-out for batch b (the cluster is read
// again once the instances are up). Instances EC2 reclaimed (Spot) are
// absorbed, not a changed fleet: the group replaces them and the batch
// goes on without them.
func (r *Rotator) checkBeforeBatch(ctx context.Context, x *rotateExec, b int) (astypes.AutoScalingGroup, error) {
	st, plan := x.st, x.st.plan
	g, err := r.describeGroup(ctx, plan.ASG)
	if err != nil {
		return g, interrupted(ctx, err)
	}
	r.absorbLost(ctx, plan, g, st.watch, x.res)
	st.watch.acceptLostSurplus(g, &x.expect)
	if len(batchOf(plan, b)) == 0 {
		return g, nil
	}
	changed, _, err := r.confirmedFleetChanges(ctx, g, st.cluster, plan.TargetAMI, x.planned, pendingFrom(plan, b), st.awaiting)
	if err != nil {
		return g, interrupted(ctx, err)
	}
	if ch := append(capacityChanges(g, x.expect), changed...); len(ch) > 0 {
		r.emit(plan.Cluster, ops.EventWarning, "the fleet changed since the plan: %s", strings.Join(limitList(ch, 5), "; "))
		return g, st.fleetChanged(ctx, ch, true, b)
	}
	return g, nil
}

// surgeFor tops the group up to original + surge (at most the instances
// left to replace), recording the surge first.
func (r *Rotator) surgeFor(ctx context.Context, x *rotateExec, g astypes.AutoScalingGroup, pending int) error {
	want := x.run.Orig.Desired + min(x.run.Surge, pending)
	if cur := int(aws.ToInt32(g.DesiredCapacity)); cur >= want {
		return nil
	}
	if err := r.recordSurge(ctx, x.st.plan, &x.run, want); err != nil {
		return err
	}
	if err := r.scaleTo(ctx, x.st.plan, g, want); err != nil {
		return err
	}
	x.expect.cap.Desired, x.expect.cap.Max = want, max(x.expect.cap.Max, want)
	return nil
}

// batchReady waits for enough new instances for batch b (with a surge
// above the batch size the next batch's instances boot while this one
// drains), protects them, reads the cluster, waits for the batch's
// instances held for registration and re-checks the fleet. It returns the
// cluster and the batch's instances still to drain (less any reclaimed
// while the new instances booted).
func (r *Rotator) batchReady(ctx context.Context, x *rotateExec, before map[string]bool, pending, batchIDs []string, b int) (*drainCluster, []*drainInstance, error) {
	st, plan := x.st, x.st.plan
	need := x.run.Orig.Desired - len(pending) + len(batchIDs)
	launched, err := r.waitInstances(ctx, plan.Cluster, plan.ASG, x.oldSet, x.run.AMI, need, x.req.TimeoutPerBatch)
	if err != nil {
		return nil, nil, err
	}
	for _, id := range launched {
		if !before[id] {
			x.res.Launched = append(x.res.Launched, id)
		}
	}
	if err := r.protect(ctx, plan, x.run, launched); err != nil {
		return nil, nil, interrupted(ctx, err)
	}
	dc, err := snapshotCluster(ctx, r.ECS, r.ECS, plan.Cluster)
	if err != nil {
		return nil, nil, interrupted(ctx, err)
	}
	if dc, err = r.awaitAgents(ctx, st, dc, batchIDs, b, x.req.TimeoutPerBatch); err != nil {
		return nil, nil, err
	}
	if dc, err = r.recheckWith(ctx, dc, st, x.expect, x.planned, pending, b, true); err != nil {
		return nil, nil, err
	}
	var batch []*drainInstance
	for _, id := range batchOf(plan, b) {
		if in := dc.ByEC2[id]; in != nil {
			batch = append(batch, in)
		}
	}
	return dc, batch, nil
}

// drainBatch gates batch b, drains it (overlapping the next batch's drain
// when it can: drainEarly) and records what it replaced.
func (r *Rotator) drainBatch(ctx context.Context, x *rotateExec, dc *drainCluster, batch []*drainInstance, batchIDs []string, b int) error {
	st, plan, res := x.st, x.st.plan, x.res
	if err := r.gate(ctx, x.req, dc, x.oldSet, batch, b); err != nil {
		return err
	}
	ids := map[string]string{}
	for _, in := range batch {
		ids[in.EC2ID] = in.Arn
	}
	r.emit(plan.Cluster, ops.EventInfo, "batch %d/%d: draining %s", b, plan.Batches, strings.Join(slices.Sorted(maps.Keys(ids)), ", "))
	var overlap func(context.Context) (bool, error)
	if b < plan.Batches {
		expect := x.expect
		overlap = func(ctx context.Context) (bool, error) {
			return r.drainEarly(ctx, st, x.req.Standalone, expect, x.planned, x.oldSet, batchIDs, b)
		}
	}
	dres, err := x.drainer.Drain(ctx, DrainBatch{Cluster: plan.Cluster, ASG: plan.ASG, Instances: ids, Standalone: x.req.Standalone,
		Timeout: x.req.TimeoutPerBatch, Batch: b, Batches: plan.Batches, Overlap: overlap})
	if dres != nil {
		for svc, n := range dres.MinHealthy {
			if m, ok := res.MinHealthy[svc]; !ok || n < m {
				res.MinHealthy[svc] = n
			}
		}
	}
	if err != nil {
		return err
	}
	x.expect.cap.Desired -= len(dres.Instances)
	res.Batches = append(res.Batches, RotateBatchResult{Batch: b, Instances: dres.Instances, DurationSeconds: r.clock().Now().Sub(dres.StartedAt).Seconds()})
	res.Replaced = append(res.Replaced, dres.Instances...)
	for _, id := range dres.Instances {
		x.gone = append(x.gone, ids[id])
	}
	for i := range plan.Instances {
		if ids[plan.Instances[i].InstanceID] != "" {
			plan.Instances[i].State = "replaced"
		}
	}
	return nil
}

// pendingFrom lists the plan's instances not yet replaced (nor reclaimed)
// in batches b and later.
func pendingFrom(plan *RotatePlan, b int) []string {
	var out []string
	for _, pi := range plan.Instances {
		if pi.Batch >= b && !planInstanceDone(pi) {
			out = append(out, pi.InstanceID)
		}
	}
	return out
}

// batchOf lists batch b's instances still to drain.
func batchOf(plan *RotatePlan, b int) []string {
	var out []string
	for _, pi := range plan.Instances {
		if pi.Batch == b && !planInstanceDone(pi) {
			out = append(out, pi.InstanceID)
		}
	}
	return out
}

// planInstanceDone: replaced by the run, or lost to a Spot interruption.
func planInstanceDone(pi RotatePlanInstance) bool {
	return pi.State == "replaced" || pi.State == "lost"
}

// drainEarly overlaps batch b+1's drain with the end of batch b's: once
// b's service tasks all run elsewhere (what is left on b is the load
// balancer's deregistration delay and the daemons), b+1 is set DRAINING if
// its moving tasks fit, now, on the new instances outside both batches and
// its services are steady. Its replacements are launched after b's
// terminations make room under the max size, and it is terminated only
// after they run, as any batch. Capacity never falls below what runs: the
// placement check is the one a batch passes before it drains. It returns
// true when it is done (drained early, or cannot be), false to be asked
// again at the next poll.
func (r *Rotator) drainEarly(ctx context.Context, st *rotateState, standalone string, expect groupExpect, planned, oldSet map[string]bool, batch []string, b int) (bool, error) {
	plan := st.plan
	next := batchOf(plan, b+1)
	if len(next) == 0 {
		return true, nil
	}
	dc, err := snapshotCluster(ctx, r.ECS, r.ECS, plan.Cluster)
	if err != nil {
		if awsapi.Transient(err) {
			return false, nil
		}
		return false, interrupted(ctx, err)
	}
	for _, id := range batch {
		if in := dc.ByEC2[id]; in != nil && len(movingTasks(in)) > 0 {
			return false, nil // still being replaced
		}
	}
	e, giveUp := collectEarly(dc, next, standalone)
	if giveUp || len(e.arns) == 0 {
		return true, nil
	}
	if ready, done := r.earlyReady(ctx, st, dc, e, append(slices.Clone(batch), next...), oldSet, expect, planned, b); !ready {
		return done, nil
	}
	if err := r.setEarlyDraining(ctx, plan, e, standalone); err != nil {
		return false, err
	}
	r.emit(plan.Cluster, ops.EventInfo, "batch %d/%d: draining %s alongside batch %d (its tasks fit on the instances that stay while batch %d's old tasks deregister)",
		b+1, plan.Batches, strings.Join(next, ", "), b, b)
	st.drainedEarly = b + 1
	return true, nil
}

// earlyBatch is what drainEarly would set DRAINING: the next batch's
// ACTIVE container instances, the tasks that would move and their
// services, and the standalone tasks to stop.
type earlyBatch struct {
	arns, stop []string
	moving     []drainTask
	affected   map[string]bool
}

// collectEarly reads the next batch off the cluster. It gives up (the
// batch drains in its turn) when an instance of it is not registered (the
// batch's own check reports it) or runs a standalone task under the abort
// policy (the batch's own drain refuses, with its message).
func collectEarly(dc *drainCluster, next []string, standalone string) (*earlyBatch, bool) {
	e := &earlyBatch{affected: map[string]bool{}}
	for _, id := range next {
		in := dc.ByEC2[id]
		if in == nil {
			return nil, true
		}
		if in.Status != "ACTIVE" {
			continue
		}
		e.arns = append(e.arns, in.Arn)
		for _, t := range movingTasks(in) {
			e.moving = append(e.moving, t)
			e.affected[t.Service] = true
		}
		for _, t := range in.Tasks {
			if t.Service == "" {
				if standalone == StandaloneAbort {
					return nil, true
				}
				e.stop = append(e.stop, t.Arn)
			}
		}
	}
	return e, false
}

// earlyReady: the next batch's tasks fit now on the instances outside both
// batches (skip) and the old ones, its services are steady and the fleet
// is as planned. Not ready, done says whether to stop asking (it does not
// fit, or the fleet changed: batch b finishes, and the check before batch
// b+1 stops the run and says what changed) or to ask again at the next poll.
func (r *Rotator) earlyReady(ctx context.Context, st *rotateState, dc *drainCluster, e *earlyBatch, skip []string, oldSet map[string]bool, expect groupExpect, planned map[string]bool, b int) (ready, done bool) {
	plan := st.plan
	p := &drainPlacement{services: dc.Services, notes: map[string]bool{}}
	for _, in := range dc.Instances {
		if !slices.Contains(skip, in.EC2ID) && !oldSet[in.EC2ID] && in.Status == "ACTIVE" && in.AgentConnected {
			p.rooms = append(p.rooms, newRoom(in))
		}
	}
	if miss := p.place(e.moving); len(miss) > 0 {
		r.emit(plan.Cluster, ops.EventInfo, "batch %d drains after batch %d, not alongside: its tasks do not fit yet (%s)", b+1, b, strings.Join(limitList(miss, 2), "; "))
		return false, true
	}
	svcs, err := awsapi.NewECSReads(r.ECS).DescribeServices(ctx, plan.Cluster, slices.Sorted(maps.Keys(e.affected)))
	if err != nil {
		return false, false
	}
	for _, s := range svcs {
		if s.SchedulingStrategy != types.SchedulingStrategyDaemon && !serviceSteady(s) {
			return false, false
		}
	}
	if g, err := r.describeGroup(ctx, plan.ASG); err != nil || len(capacityChanges(g, expect))+len(fleetChanges(g, dc, plan.TargetAMI, planned, pendingFrom(plan, b+1), st.awaiting)) > 0 {
		return false, err == nil
	}
	return true, false
}

// setEarlyDraining sets the next batch DRAINING, ten at a time, and stops
// its standalone tasks under the stop policy, as the batch's own drain
// would, so that it has nothing left to wait for.
func (r *Rotator) setEarlyDraining(ctx context.Context, plan *RotatePlan, e *earlyBatch, standalone string) error {
	var failed error
	err := awsapi.SetContainerInstancesState(ctx, r.ECS, plan.Cluster, e.arns, types.ContainerInstanceStatusDraining, func(_ []string, failures []types.Failure) bool {
		failed = drainFailure(plan.Cluster, failures)
		return failed == nil
	})
	if err != nil {
		return interrupted(ctx, err)
	}
	if failed != nil {
		return failed
	}
	if standalone != StandaloneStop {
		return nil
	}
	for _, arn := range e.stop {
		if _, err := r.ECS.StopTask(ctx, &ecs.StopTaskInput{Cluster: aws.String(plan.Cluster), Task: aws.String(arn),
			Reason: aws.String("ecsctl: instance drained for replacement (" + ops.Opt(ctx, "Standalone") + " stop)")}); err != nil {
			return interrupted(ctx, fmt.Errorf("stop standalone task %s in cluster %s: %w", fmtx.ShortARN(arn), plan.Cluster, err))
		}
		r.emit(plan.Cluster, ops.EventNote, "stopped standalone task %s", fmtx.ShortARN(arn))
	}
	return nil
}

// fleetChanged is the stop before batch b: its advice says whether b was
// already draining alongside the batch before it (its instances stay
// DRAINING; a re-run finishes them).
func (st *rotateState) fleetChanged(ctx context.Context, changes []string, started bool, b int) *FleetChangedError {
	fc := newFleetChanged(ctx, changes, started, b)
	if started && st.drainedEarly == b {
		fc.pause.Advice = fmt.Sprintf("batch %d was already draining alongside batch %d and its instances stay DRAINING; re-run the same command to see the plan for the fleet as it is now and finish it, or %s", b, b-1, ops.Opt(ctx, "Abort"))
	}
	return fc
}

// recheckWith re-reads the group and stops the run when it or the cluster
// (dc) no longer match the plan (FleetChangedError).
func (r *Rotator) recheckWith(ctx context.Context, dc *drainCluster, st *rotateState, expect groupExpect, planned map[string]bool, pending []string, b int, started bool) (*drainCluster, error) {
	g, err := r.describeGroup(ctx, st.plan.ASG)
	if err != nil {
		return dc, interrupted(ctx, err)
	}
	if st.watch != nil {
		r.absorbLost(ctx, st.plan, g, st.watch, st.res)
		var still []string
		for _, id := range pending {
			if !st.watch.spot[id] {
				still = append(still, id)
			}
		}
		pending = still
		st.watch.acceptLostSurplus(g, &expect)
	}
	changed, dc, err := r.confirmedFleetChanges(ctx, g, dc, st.plan.TargetAMI, planned, pending, st.awaiting)
	if err != nil {
		return dc, interrupted(ctx, err)
	}
	if changes := append(capacityChanges(g, expect), changed...); len(changes) > 0 {
		r.emit(st.plan.Cluster, ops.EventWarning, "the fleet changed since the plan: %s", strings.Join(limitList(changes, 5), "; "))
		return dc, st.fleetChanged(ctx, changes, started, b)
	}
	return dc, nil
}

// confirmedFleetChanges is fleetChanges over dc, confirmed by a fresh read
// of the cluster when it finds any, and that read. A listing that pages
// while instances come and go can miss one (ListContainerInstances pages
// a changing list; its nextToken is "an opaque identifier" and the ECS API
// Reference promises nothing about a list that changes between pages; the
// sandbox's offset tokens skip an instance when one before it left), and
// a planned instance missed that way would pause a healthy rotation or
// drop out of its batch. A change that is real is there on the second
// read too.
func (r *Rotator) confirmedFleetChanges(ctx context.Context, g astypes.AutoScalingGroup, dc *drainCluster, target string, planned map[string]bool, pending []string, awaiting map[string]bool) ([]string, *drainCluster, error) {
	if ch := fleetChanges(g, dc, target, planned, pending, awaiting); len(ch) == 0 {
		return nil, dc, nil
	}
	fresh, err := snapshotCluster(ctx, r.ECS, r.ECS, dc.Name)
	if err != nil {
		return nil, dc, err
	}
	return fleetChanges(g, fresh, target, planned, pending, awaiting), fresh, nil
}

// memberZones counts a group's live members per zone.
func memberZones(g astypes.AutoScalingGroup) map[string]int {
	out := map[string]int{}
	for _, z := range g.AvailabilityZones {
		out[z] = 0
	}
	for _, m := range g.Instances {
		if liveMember(m) {
			out[aws.ToString(m.AvailabilityZone)]++
		}
	}
	return out
}

// balance evens out the group's zones after the run (so that AZRebalance,
// once resumed, does not terminate undrained instances): while the fullest
// zone has two more instances than the emptiest, it marks the instance with
// the fewest tasks there as old for the run, launches one (Auto Scaling
// puts it in the emptiest zone), then drains and removes the marked one.
// Marked first, a balancing step killed half-way is finished by the resumed
// run like any old instance: nothing is left DRAINING or above the
// original capacity.
func (r *Rotator) balance(ctx context.Context, req RotateRequest, plan *RotatePlan, run rotateRun, res *RotateResult) error {
	drainer := r.drainer()
	for round := 0; round < 6; round++ {
		g, err := r.describeGroup(ctx, plan.ASG)
		if err != nil {
			return interrupted(ctx, err)
		}
		zones := memberZones(g)
		lo, hi := "", ""
		for _, z := range slices.Sorted(maps.Keys(zones)) {
			if lo == "" || zones[z] < zones[lo] {
				lo = z
			}
			if hi == "" || zones[z] > zones[hi] {
				hi = z
			}
		}
		if zones[hi]-zones[lo] <= 1 {
			return nil
		}
		dc, err := snapshotCluster(ctx, r.ECS, r.ECS, plan.Cluster)
		if err != nil {
			return interrupted(ctx, err)
		}
		var victim *drainInstance
		for _, in := range dc.Instances {
			m, ok := findMember(g, in.EC2ID)
			if !ok || !liveMember(m) || aws.ToString(m.AvailabilityZone) != hi || in.Status != "ACTIVE" {
				continue
			}
			if victim == nil || len(movingTasks(in)) < len(movingTasks(victim)) {
				victim = in
			}
		}
		if victim == nil {
			return nil
		}
		r.emit(plan.Cluster, ops.EventInfo, "zones uneven (%s %d, %s %d): replacing %s of %s before AZRebalance resumes", hi, zones[hi], lo, zones[lo], victim.EC2ID, hi)
		if _, err := r.EC2.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{victim.EC2ID}, Tags: ec2Tag(rotateTagOld, run.ID)}); err != nil {
			return interrupted(ctx, fmt.Errorf("tag %s of %s for replacement: %w", victim.EC2ID, plan.ASG, err))
		}
		if err := r.scaleTo(ctx, plan, g, int(aws.ToInt32(g.DesiredCapacity))+1); err != nil {
			return interrupted(ctx, err)
		}
		if _, err := r.waitInstances(ctx, plan.Cluster, plan.ASG, map[string]bool{}, plan.TargetAMI, -1, req.TimeoutPerBatch); err != nil {
			return err
		}
		if _, err := drainer.Drain(ctx, DrainBatch{Cluster: plan.Cluster, ASG: plan.ASG, Instances: map[string]string{victim.EC2ID: victim.Arn},
			Standalone: req.Standalone, Timeout: req.TimeoutPerBatch, Batch: 1, Batches: 1}); err != nil {
			return err
		}
		res.Notes = append(res.Notes, fmt.Sprintf("replaced %s to balance zones %s/%s", victim.EC2ID, hi, lo))
		if err := drainer.WaitDeregistered(ctx, plan.Cluster, []string{victim.Arn}, req.TimeoutPerBatch); err != nil {
			return err
		}
	}
	return nil
}

func findMember(g astypes.AutoScalingGroup, id string) (astypes.Instance, bool) {
	for _, m := range g.Instances {
		if aws.ToString(m.InstanceId) == id {
			return m, true
		}
	}
	return astypes.Instance{}, false
}

// scaleTo raises desired capacity (and max, when needed).
func (r *Rotator) scaleTo(ctx context.Context, plan *RotatePlan, g astypes.AutoScalingGroup, want int) error {
	if want > int(aws.ToInt32(g.MaxSize)) {
		if _, err := r.ASG.UpdateAutoScalingGroup(ctx, &autoscaling.UpdateAutoScalingGroupInput{AutoScalingGroupName: aws.String(plan.ASG), MaxSize: aws.Int32(int32(want))}); err != nil {
			return fmt.Errorf("raise max size of %s to %d: %w", plan.ASG, want, err)
		}
		r.emit(plan.Cluster, ops.EventInfo, "%s max size %d → %d for the surge", plan.ASG, aws.ToInt32(g.MaxSize), want)
	}
	if _, err := r.ASG.SetDesiredCapacity(ctx, &autoscaling.SetDesiredCapacityInput{AutoScalingGroupName: aws.String(plan.ASG), DesiredCapacity: aws.Int32(int32(want)), HonorCooldown: aws.Bool(false)}); err != nil {
		return fmt.Errorf("set desired capacity of %s to %d: %w", plan.ASG, want, err)
	}
	r.emit(plan.Cluster, ops.EventInfo, "%s desired capacity %d → %d", plan.ASG, aws.ToInt32(g.DesiredCapacity), want)
	return nil
}

// waitInstances waits until the group has its desired count of live
// members, all InService and registered ACTIVE (or DRAINING) with a
// connected agent; it fails before anything drains when a new instance
// does not run the target AMI. It returns the new (not old) members. It
// waits BootTimeout (default 15m) at most, and never longer than the
// command's own limit.
func (r *Rotator) waitInstances(ctx context.Context, cluster, group string, oldSet map[string]bool, ami string, need int, limit time.Duration) ([]string, error) {
	timeout := r.bootWait(limit)
	start := r.clock().Now()
	deadline := start.Add(timeout)
	d := r.drainer()
	last, lastPhase := "", ""
	waited := false
	for {
		why, waiting, fresh, err := r.instancesReady(ctx, cluster, group, oldSet, ami, need)
		var phase string
		var left time.Duration
		var known bool
		if err == nil && why != "" {
			waited = true
			phase, left, known = bootPhase(waiting, r.clock().Now().Sub(start), &r.observed)
		}
		switch {
		case err != nil && ctx.Err() != nil:
			return nil, fmt.Errorf("%w while waiting for new instances: %v", ops.ErrInterrupted, err)
		case err != nil && !awsapi.Transient(err):
			return nil, err
		case err == nil && why == "":
			if waited { // how long this run's instances take: the next waits' estimate
				r.observed.boot, r.observed.bootSeen = r.clock().Now().Sub(start), true
			}
			return fresh, nil
		case err == nil && (why != last || phase != lastPhase):
			r.emitEvent(ops.Event{Time: r.clock().Now(), Cluster: cluster, Kind: ops.EventProgress, Message: "waiting for new instances: " + why,
				Phase: phase, PhaseLeft: left, PhaseLeftKnown: known})
			last, lastPhase = why, phase
		}
		if r.clock().Now().After(deadline) {
			return nil, &PauseError{Reason: fmt.Sprintf("new instances of %s not ready after %s (%s)", group, timeout, last),
				Advice: "nothing was drained; check the group's scaling activities, then re-run the same command or " + ops.Opt(ctx, "Abort")}
		}
		if err := d.sleep(ctx, d.interval()); err != nil {
			return nil, err
		}
	}
}

// With need ≥ 0 it is enough that need new instances are ready (the rest
// may still boot while a batch drains).
// waiting is how many instances it waits for.
func (r *Rotator) instancesReady(ctx context.Context, cluster, group string, oldSet map[string]bool, ami string, need int) (why string, waiting int, fresh []string, err error) {
	g, err := r.describeGroup(ctx, group)
	if err != nil {
		return "", 0, nil, err
	}
	live, inService := liveMembers(g)
	notInService := len(live) - len(inService)
	desired := int(aws.ToInt32(g.DesiredCapacity))
	if need < 0 {
		if len(live) < desired {
			return fmt.Sprintf("%d/%d instances launched", len(live), desired), desired - len(live) + notInService, nil, nil
		}
		if notInService > 0 {
			return fmt.Sprintf("%d instance(s) not yet InService", notInService), notInService, nil, nil
		}
	}
	registered, err := r.registeredInstances(ctx, cluster)
	if err != nil {
		return "", 0, nil, err
	}
	for _, id := range live {
		if oldSet[id] {
			continue
		}
		ci, ok := registered[id]
		if !ok || !ci.AgentConnected || !inService[id] {
			waiting++
			continue
		}
		fresh = append(fresh, id)
		if got := agentAMI(ci); ami != "" && got != ami {
			return "", 0, nil, fmt.Errorf("%w: new instance %s of %s runs %s, not the target %s; nothing was drained: fix the launch template (or %s), then %s and run again", ops.ErrFailed, id, group, got, ami, ops.Opt(ctx, "UpdateLaunchTemplate"), ops.Opt(ctx, "Abort"))
		}
	}
	if need < 0 && waiting > 0 || need >= 0 && len(fresh) < need {
		if need >= 0 { // the group may not have launched them yet
			waiting = max(waiting, need-len(fresh))
		}
		return fmt.Sprintf("%d new instance(s) not yet InService and registered in cluster %s", waiting, cluster), waiting, nil, nil
	}
	sort.Strings(fresh)
	return "", 0, fresh, nil
}

// liveMembers lists the group's live members, and those InService.
func liveMembers(g astypes.AutoScalingGroup) (live []string, inService map[string]bool) {
	inService = map[string]bool{}
	for _, m := range g.Instances {
		if !liveMember(m) {
			continue
		}
		live = append(live, aws.ToString(m.InstanceId))
		if m.LifecycleState == astypes.LifecycleStateInService {
			inService[aws.ToString(m.InstanceId)] = true
		}
	}
	return live, inService
}

// registeredInstances reads the cluster's ACTIVE and DRAINING container
// instances by EC2 instance id.
func (r *Rotator) registeredInstances(ctx context.Context, cluster string) (map[string]types.ContainerInstance, error) {
	registered := map[string]types.ContainerInstance{}
	reads := awsapi.NewECSReads(r.ECS)
	for _, st := range []types.ContainerInstanceStatus{types.ContainerInstanceStatusActive, types.ContainerInstanceStatusDraining} {
		arns, err := reads.ListContainerInstances(ctx, cluster, st)
		if err != nil {
			return nil, err
		}
		cis, err := reads.DescribeContainerInstances(ctx, cluster, arns)
		if err != nil {
			return nil, err
		}
		for _, ci := range cis {
			registered[aws.ToString(ci.Ec2InstanceId)] = ci
		}
	}
	return registered, nil
}

// agentAMI is the AMI the instance's agent reports (ecs.ami-id).
func agentAMI(ci types.ContainerInstance) string {
	got := ""
	for _, a := range ci.Attributes {
		if aws.ToString(a.Name) == "ecs.ami-id" {
			got = aws.ToString(a.Value)
		}
	}
	return got
}

// protect shields the new instances from scale-in and marks the ones it
// protected (so that the end of the run removes only that protection).
func (r *Rotator) protect(ctx context.Context, plan *RotatePlan, run rotateRun, fresh []string) error {
	g, err := r.describeGroup(ctx, plan.ASG)
	if err != nil {
		return err
	}
	isFresh := map[string]bool{}
	for _, id := range fresh {
		isFresh[id] = true
	}
	var ids []string
	for _, m := range g.Instances {
		if id := aws.ToString(m.InstanceId); isFresh[id] && !aws.ToBool(m.ProtectedFromScaleIn) {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	// Mark first: a run killed in between then still removes the protection.
	if err := awsapi.CreateTags(ctx, r.EC2, ids, ec2Tag(rotateTagProtected, run.ID)); err != nil {
		return fmt.Errorf("tag new instances of %s: %w", plan.ASG, err)
	}
	err = r.setProtection(ctx, plan.ASG, ids, true, func(batch []string) {
		r.emit(plan.Cluster, ops.EventInfo, "protected %d instance(s) on %s from scale-in for the run: %s", len(batch), run.AMI, strings.Join(limitList(batch, 6), ", "))
	})
	if err != nil {
		return fmt.Errorf("protect new instances of %s from scale-in: %w", plan.ASG, err)
	}
	return nil
}

// gate re-checks a batch before it drains: its moving tasks fit on the
// instances that stay, and the services it touches are steady (waiting for
// them up to the batch timeout).
func (r *Rotator) gate(ctx context.Context, req RotateRequest, dc *drainCluster, oldSet map[string]bool, batch []*drainInstance, batchNo int) error {
	inBatch := map[string]bool{}
	resumed := false
	for _, in := range batch {
		inBatch[in.EC2ID] = true
		resumed = resumed || in.Status == "DRAINING"
	}
	if resumed {
		return nil // already draining: the drain's own checks apply
	}
	p := &drainPlacement{services: dc.Services, notes: map[string]bool{}}
	for _, in := range dc.Instances {
		if !inBatch[in.EC2ID] && !oldSet[in.EC2ID] && in.Status == "ACTIVE" && in.AgentConnected {
			p.rooms = append(p.rooms, newRoom(in))
		}
	}
	var moving []drainTask
	affected := map[string]bool{}
	for _, in := range batch {
		for _, t := range movingTasks(in) {
			moving = append(moving, t)
			affected[t.Service] = true
		}
	}
	if miss := p.place(moving); len(miss) > 0 {
		return &PauseError{Reason: fmt.Sprintf("batch %d's tasks do not fit on the new instances: %s", batchNo, strings.Join(limitList(miss, 4), "; ")),
			Advice: "nothing was drained; re-run with a larger " + ops.Opt(ctx, "Surge") + ", or " + ops.Opt(ctx, "Abort")}
	}
	deadline := r.clock().Now().Add(req.TimeoutPerBatch)
	d := r.drainer()
	for {
		svcs, err := awsapi.NewECSReads(r.ECS).DescribeServices(ctx, dc.Name, slices.Sorted(maps.Keys(affected)))
		if err != nil && !awsapi.Transient(err) {
			return interrupted(ctx, err)
		}
		var unsteady []string
		for _, s := range svcs {
			if !serviceSteady(s) {
				unsteady = append(unsteady, aws.ToString(s.ServiceName))
			}
		}
		if err == nil && len(unsteady) == 0 {
			return nil
		}
		if r.clock().Now().After(deadline) {
			return &PauseError{Reason: fmt.Sprintf("services %s not steady before batch %d", strings.Join(limitList(unsteady, 5), ", "), batchNo),
				Advice: "nothing of this batch was drained; let the services settle, then re-run the same command, or " + ops.Opt(ctx, "Abort")}
		}
		if err := d.sleep(ctx, d.interval()); err != nil {
			return err
		}
	}
}

// finish restores what the run changed on the group and removes its marks.
func (r *Rotator) finish(ctx context.Context, run rotateRun, plan *RotatePlan, res *RotateResult) error {
	g, err := r.describeGroup(ctx, plan.ASG)
	if err != nil {
		return interrupted(ctx, err)
	}
	cur := groupCapacity(g)
	if cur.Desired != run.Orig.Desired {
		res.Notes = append(res.Notes, fmt.Sprintf("desired capacity of %s is %d, not the original %d: it was changed during the run, and ecsctl leaves it as it is", plan.ASG, cur.Desired, run.Orig.Desired))
	}
	in := &autoscaling.UpdateAutoScalingGroupInput{AutoScalingGroupName: aws.String(plan.ASG)}
	change := false
	if cur.Min != run.Orig.Min && run.Orig.Min <= cur.Desired {
		in.MinSize, change = aws.Int32(int32(run.Orig.Min)), true
	}
	if wantMax := max(run.Orig.Max, cur.Desired); cur.Max != wantMax {
		in.MaxSize, change = aws.Int32(int32(wantMax)), true
		if wantMax != run.Orig.Max {
			res.Notes = append(res.Notes, fmt.Sprintf("max size of %s left at %d (the desired capacity), not the original %d", plan.ASG, wantMax, run.Orig.Max))
		}
	}
	if change {
		if _, err := r.ASG.UpdateAutoScalingGroup(ctx, in); err != nil {
			return interrupted(ctx, fmt.Errorf("restore min/max of %s: %w", plan.ASG, err))
		}
	}
	if procs := runSuspends(run); len(procs) > 0 {
		if _, err := r.ASG.ResumeProcesses(ctx, &autoscaling.ResumeProcessesInput{AutoScalingGroupName: aws.String(plan.ASG), ScalingProcesses: procs}); err != nil {
			return interrupted(ctx, fmt.Errorf("resume %s on %s: %w", strings.Join(procs, ", "), plan.ASG, err))
		}
	}
	var ids []string
	for _, m := range g.Instances {
		if liveMember(m) {
			ids = append(ids, aws.ToString(m.InstanceId))
		}
	}
	marked, err := instanceTags(ctx, r.EC2, ids, rotateTagProtected)
	if err != nil {
		return interrupted(ctx, err)
	}
	var unprotect []string
	for id, v := range marked {
		if v == run.ID {
			unprotect = append(unprotect, id)
		}
	}
	sort.Strings(unprotect)
	// Protection off first: a run killed in between still finds the marks.
	if err := r.setProtection(ctx, plan.ASG, unprotect, false, nil); err != nil {
		return interrupted(ctx, fmt.Errorf("remove scale-in protection from new instances of %s: %w", plan.ASG, err))
	}
	if err := awsapi.DeleteTags(ctx, r.EC2, unprotect, []ec2types.Tag{{Key: aws.String(rotateTagProtected)}}); err != nil {
		return interrupted(ctx, fmt.Errorf("untag new instances of %s: %w", plan.ASG, err))
	}
	if _, err := r.ASG.DeleteTags(ctx, &autoscaling.DeleteTagsInput{Tags: []astypes.Tag{{ResourceId: aws.String(plan.ASG),
		ResourceType: aws.String("auto-scaling-group"), Key: aws.String(rotateTagRun)}}}); err != nil {
		return interrupted(ctx, fmt.Errorf("remove the run record from %s: %w", plan.ASG, err))
	}
	g, err = r.describeGroup(ctx, plan.ASG)
	if err != nil {
		return interrupted(ctx, err)
	}
	final := groupCapacity(g)
	res.Final = &final
	r.emit(plan.Cluster, ops.EventInfo, "run %s finished: %s desired %d, min %d, max %d; AZRebalance resumed; protection removed from %d instance(s)",
		run.ID, plan.ASG, final.Desired, final.Min, final.Max, len(unprotect))
	return nil
}

// abort returns DRAINING old instances to ACTIVE, drains away the surge
// beyond the original desired count, and restores the group.
func (r *Rotator) abort(ctx context.Context, req RotateRequest, st *rotateState, res *RotateResult) error {
	plan, run := st.plan, *st.run
	dc := st.cluster
	var back []string
	for _, in := range dc.Instances {
		if st.oldTags[in.EC2ID] && in.Status == "DRAINING" {
			back = append(back, in.Arn)
		}
	}
	if err := awsapi.SetContainerInstancesState(ctx, r.ECS, plan.Cluster, back, types.ContainerInstanceStatusActive, nil); err != nil {
		return interrupted(ctx, err)
	}
	if len(back) > 0 {
		r.emit(plan.Cluster, ops.EventInfo, "%d drained instance(s) back to ACTIVE", len(back))
	}
	if err := r.restoreLaunchTemplate(ctx, plan, run, res); err != nil {
		return err
	}
	if err := r.removeSurge(ctx, req, st, res); err != nil {
		return err
	}
	if err := r.followTerminations(ctx, plan.Cluster, plan.ASG, res.Replaced, req.TimeoutPerBatch, &res.Notes); err != nil {
		return err
	}
	// Old instances stay; their marks go.
	var oldIDs []string
	for id := range st.oldTags {
		oldIDs = append(oldIDs, id)
	}
	sort.Strings(oldIDs)
	if err := awsapi.DeleteTags(ctx, r.EC2, oldIDs, []ec2types.Tag{{Key: aws.String(rotateTagOld)}, {Key: aws.String(rotateTagBatch)}}); err != nil {
		return interrupted(ctx, fmt.Errorf("untag old instances of %s: %w", plan.ASG, err))
	}
	if err := r.finish(ctx, run, plan, res); err != nil {
		return err
	}
	res.Outcome = RotateAborted
	return nil
}
