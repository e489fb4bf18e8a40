package deploy

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"ecsctl/fmtx"
	"ecsctl/ops"
	"ecsctl/ops/awsapi"
)

// ControllerRefusal is the one-line refusal for a service whose controller
// ecsctl cannot drive (verb: "deploy" or "roll back").
func ControllerRefusal(cluster string, s types.Service, verb string) error {
	name := cluster + "/" + aws.ToString(s.ServiceName)
	switch ops.ServiceController(s) {
	case string(types.DeploymentControllerTypeCodeDeploy):
		fix := "start a CodeDeploy deployment (aws deploy create-deployment) whose AppSpec names the new task definition"
		if verb == "roll back" {
			fix = "roll back in CodeDeploy (aws deploy stop-deployment --auto-rollback-enabled, or a new CodeDeploy deployment of the previous task definition)"
		}
		return ops.Inputf("service %s uses the CODE_DEPLOY deployment controller, which ecsctl does not %s (ECS refuses a task definition change outside CodeDeploy): %s", name, verb, fix)
	case string(types.DeploymentControllerTypeExternal):
		return ops.Inputf("service %s uses the EXTERNAL deployment controller, which ecsctl does not %s (its task sets belong to your controller): use your external controller (CreateTaskSet, UpdateServicePrimaryTaskSet)", name, verb)
	}
	return nil
}

// sdFollow is what a watch knows of the service deployment it follows.
type sdFollow struct {
	api      ops.ServiceDeploymentAPI
	arn      string
	strategy string
	// off: the API is denied or unavailable; DescribeServices decides.
	off       bool
	stage     types.ServiceDeploymentLifecycleStage
	stageSeen time.Time
	status    types.ServiceDeploymentStatus
	weight    float64
	// rollbackOnly: `ecsctl rollback` follows a stopped deployment's
	// rollback; its success is the verdict.
	rollbackOnly bool
}

// attachServiceDeployment finds the service deployment of the deployment
// just started (or adopted) and makes the watch follow it. Without the API
// (denied, or a client that lacks it) the watch keeps polling
// DescribeServices alone, with a note.
func (d *Deployer) attachServiceDeployment(ctx context.Context, w *watch, svc types.Service) {
	strategy := ops.ServiceStrategy(svc)
	api, ok := d.ECS.(ops.ServiceDeploymentAPI)
	if !ops.ShiftingStrategy(strategy) {
		// A rolling deploy reads its service deployment only when its
		// deployment is gone from DescribeServices (rollingGone).
		if ok && svc.CurrentServiceDeployment != nil {
			w.sd = &sdFollow{api: api, strategy: strategy, arn: aws.ToString(svc.CurrentServiceDeployment)}
		}
		return
	}
	f := &sdFollow{api: api, strategy: strategy, off: !ok}
	w.sd = f
	if f.off {
		d.note(w.res, ops.EventNote, "%s deployment: the service deployment API is not available to this client; following DescribeServices only", strategy)
		return
	}
	f.arn = aws.ToString(svc.CurrentServiceDeployment)
	if f.arn == "" {
		arn, err := d.findServiceDeployment(ctx, w.res.Cluster, w.res.Service, w.depCreated)
		if err != nil {
			f.off = true
			d.note(w.res, ops.EventNote, "%s deployment: cannot read its service deployment (%v); following DescribeServices only", strategy, err)
			return
		}
		f.arn = arn
	}
	d.note(w.res, ops.EventInfo, "%s deployment: following service deployment %s", strategy, ops.ShortTaskDef(f.arn))
}

// findServiceDeployment picks the newest ongoing service deployment created
// no earlier than the deployment (less a minute of clock skew).
func (d *Deployer) findServiceDeployment(ctx context.Context, cluster, service string, since time.Time) (string, error) {
	api := d.ECS.(ops.ServiceDeploymentAPI)
	out, err := api.ListServiceDeployments(ctx, &ecs.ListServiceDeploymentsInput{Cluster: aws.String(cluster), Service: aws.String(service),
		Status: []types.ServiceDeploymentStatus{types.ServiceDeploymentStatusPending, types.ServiceDeploymentStatusInProgress}})
	if err != nil {
		return "", fmt.Errorf("list service deployments of %s/%s: %w", cluster, service, err)
	}
	best, bestAt := "", time.Time{}
	for _, b := range out.ServiceDeployments {
		at := aws.ToTime(b.CreatedAt)
		if at.Before(since.Add(-time.Minute)) || at.Before(bestAt) {
			continue
		}
		best, bestAt = aws.ToString(b.ServiceDeploymentArn), at
	}
	if best == "" {
		return "", fmt.Errorf("no ongoing service deployment of %s/%s", cluster, service)
	}
	return best, nil
}

// evaluateStrategy decides one round of a strategy deployment from its
// service deployment. It returns false when the API failed for good, so
// that the DescribeServices logic decides from then on.
func (d *Deployer) evaluateStrategy(ctx context.Context, req Request, w *watch, s types.Service) bool {
	f := w.sd
	out, err := f.api.DescribeServiceDeployments(ctx, &ecs.DescribeServiceDeploymentsInput{ServiceDeploymentArns: []string{f.arn}})
	if err == nil && len(out.ServiceDeployments) == 0 {
		err = fmt.Errorf("service deployment %s not found", f.arn)
	}
	if err != nil {
		if awsapi.Transient(err) || ctx.Err() != nil {
			d.checkDeadline(ctx, req, w)
			return true
		}
		f.off = true
		d.note(w.res, ops.EventWarning, "describe service deployment %s: %v; following DescribeServices only", ops.ShortTaskDef(f.arn), err)
		return false
	}
	sd := out.ServiceDeployments[0]
	now := d.clock().Now()
	w.polls++
	w.res.Desired, w.res.Running = s.DesiredCount, s.RunningCount
	d.emitServiceEvents(w, s)
	d.trackStrategyStage(w, sd, now)
	d.emitStrategyProgress(w, sd, now)
	if f.rollbackOnly {
		d.rollbackOnlyVerdict(ctx, req, w, sd)
		return true
	}
	if d.strategyStatusVerdict(ctx, req, w, s, sd) {
		return true
	}
	if w.phase == phaseDeploy && sd.Status == types.ServiceDeploymentStatusInProgress && d.strategyTooManyFailures(ctx, req, w, s) {
		return true
	}
	d.checkDeadline(ctx, req, w)
	return true
}

// trackStrategyStage records the service deployment's lifecycle stage,
// status and requested traffic weight, extending the deadline when a timed
// stage starts.
func (d *Deployer) trackStrategyStage(w *watch, sd types.ServiceDeployment, now time.Time) {
	f := w.sd
	if sd.LifecycleStage != f.stage {
		f.stage, f.stageSeen = sd.LifecycleStage, now
		// Both revisions running through a timed stage is the strategy
		// working: the wait for a verdict starts over after it.
		if wait := stageDuration(sd, f.strategy); wait > 0 {
			w.deadline = maxTime(w.deadline, now.Add(wait+w.timeout))
		}
	}
	f.status = sd.Status
	if t := sd.TargetServiceRevision; t != nil && t.RequestedProductionTrafficWeight != nil {
		f.weight = *t.RequestedProductionTrafficWeight
	}
}

// rollbackOnlyVerdict decides a round while ecsctl follows only the
// rollback of a service deployment it stopped.
func (d *Deployer) rollbackOnlyVerdict(ctx context.Context, req Request, w *watch, sd types.ServiceDeployment) {
	f := w.sd
	reason := aws.ToString(sd.StatusReason)
	switch sd.Status {
	case types.ServiceDeploymentStatusRollbackSuccessful:
		d.finishPhase(ctx, req, w, true, "")
	case types.ServiceDeploymentStatusRollbackFailed, types.ServiceDeploymentStatusStopped:
		d.finishPhase(ctx, req, w, false, fmt.Sprintf("service deployment %s ended %s: %s", ops.ShortTaskDef(f.arn), sd.Status, reason))
	case types.ServiceDeploymentStatusSuccessful:
		d.finishPhase(ctx, req, w, false, fmt.Sprintf("service deployment %s ended SUCCESSFUL before the rollback took hold: the new revision stayed", ops.ShortTaskDef(f.arn)))
	default:
		d.checkDeadline(ctx, req, w)
	}
}

// strategyStatusVerdict acts on the service deployment's status: it
// switches to following a rollback ECS started, and finishes the phase on
// a final status; it says whether the round is decided.
func (d *Deployer) strategyStatusVerdict(ctx context.Context, req Request, w *watch, s types.Service, sd types.ServiceDeployment) bool {
	reason := aws.ToString(sd.StatusReason)
	switch sd.Status {
	case types.ServiceDeploymentStatusSuccessful:
		if w.phase == phaseDeploy {
			d.finishPhase(ctx, req, w, true, "")
		} else {
			d.finishPhase(ctx, req, w, false, "the service deployment ended SUCCESSFUL, not rolled back")
		}
		return true
	case types.ServiceDeploymentStatusRollbackRequested, types.ServiceDeploymentStatusRollbackInProgress:
		if w.phase == phaseDeploy {
			d.strategyRolledBackByECS(ctx, req, w, s, sd)
		}
	case types.ServiceDeploymentStatusRollbackSuccessful:
		if w.phase == phaseDeploy {
			d.strategyRolledBackByECS(ctx, req, w, s, sd)
		}
		d.finishPhase(ctx, req, w, true, "")
		return true
	case types.ServiceDeploymentStatusRollbackFailed:
		if w.phase == phaseDeploy {
			d.strategyRolledBackByECS(ctx, req, w, s, sd)
		}
		d.finishPhase(ctx, req, w, false, "the rollback failed: "+reason)
		return true
	case types.ServiceDeploymentStatusStopped:
		if reason == "" {
			reason = "stopped"
		}
		d.collectStoppedTasksOf(ctx, req, w, s)
		d.finishPhase(ctx, req, w, false, "service deployment "+ops.ShortTaskDef(w.sd.arn)+" STOPPED: "+reason)
		return true
	}
	return false
}

// strategyTooManyFailures is ecsctl's own safety net for a service without
// the breaker: it collects the new revision's stopped tasks and fails the
// phase once enough of them failed; it says whether it did.
func (d *Deployer) strategyTooManyFailures(ctx context.Context, req Request, w *watch, s types.Service) bool {
	if dep := findDeployment(s, w.depID); dep != nil && (dep.FailedTasks > w.lastFailed || w.polls%3 == 0) {
		d.collectStoppedTasks(ctx, req, w, dep)
		w.lastFailed = dep.FailedTasks
	}
	limit := failureThreshold(s.DesiredCount)
	if w.breaker {
		limit *= 2
	}
	if failed := countFailures(w.res.StoppedTasks); failed >= limit {
		last := w.res.StoppedTasks[len(w.res.StoppedTasks)-1]
		d.finishPhase(ctx, req, w, false, fmt.Sprintf("%s of the new revision stopped (last: %s)", fmtx.Count(failed, "task"), describeStop(last)))
		return true
	}
	return false
}

// collectStoppedTasksOf collects the failed tasks of the followed
// deployment, which DescribeServices may no longer list once ECS rolled
// it back.
func (d *Deployer) collectStoppedTasksOf(ctx context.Context, req Request, w *watch, s types.Service) {
	dep := findDeployment(s, w.depID)
	if dep == nil {
		dep = &types.Deployment{Id: aws.String(w.depID), TaskDefinition: aws.String(w.tdArn)}
	}
	d.collectStoppedTasks(ctx, req, w, dep)
}

// strategyRolledBackByECS switches a deploy to following the rollback ECS
// started (circuit breaker or alarms), as read from the service deployment.
func (d *Deployer) strategyRolledBackByECS(ctx context.Context, req Request, w *watch, s types.Service, sd types.ServiceDeployment) {
	reason := aws.ToString(sd.StatusReason)
	if rb := sd.Rollback; rb != nil && aws.ToString(rb.Reason) != "" {
		reason = aws.ToString(rb.Reason)
	}
	by := "ecs"
	if strings.Contains(strings.ToLower(reason), "circuit breaker") || (sd.DeploymentCircuitBreaker != nil && sd.DeploymentCircuitBreaker.FailureCount > 0) {
		by = "circuit-breaker"
	}
	d.collectStoppedTasksOf(ctx, req, w, s)
	w.res.Reason = reason
	w.res.Rollback = &RollbackInfo{By: by, TaskDefinition: w.res.OldTaskDefinition}
	if rb := sd.Rollback; rb != nil {
		w.res.Rollback.DeploymentID = ops.ShortTaskDef(aws.ToString(rb.ServiceRevisionArn))
	}
	d.emit(ops.Event{Cluster: w.res.Cluster, Service: w.res.Service, Kind: ops.EventRollback,
		Message: fmt.Sprintf("service deployment %s failed (%s); ECS is rolling back to %s", ops.ShortTaskDef(w.sd.arn), reason, ops.ShortTaskDef(w.res.OldTaskDefinition))})
	d.fetchLogLines(ctx, req, w)
	w.phase = phaseBreakerRollback
	w.deadline = d.clock().Now().Add(w.timeout)
	w.lastProgress = ""
}

// stageDuration is how long a timed stage of the strategy lasts.
func stageDuration(sd types.ServiceDeployment, strategy string) time.Duration {
	dc := sd.DeploymentConfiguration
	if dc == nil {
		return 0
	}
	switch sd.LifecycleStage {
	case types.ServiceDeploymentLifecycleStageBakeTime:
		return time.Duration(aws.ToInt32(dc.BakeTimeInMinutes)) * time.Minute
	case types.ServiceDeploymentLifecycleStageProductionTrafficShift:
		switch types.DeploymentStrategy(strategy) {
		case types.DeploymentStrategyCanary:
			if c := dc.CanaryConfiguration; c != nil {
				return time.Duration(aws.ToInt32(c.CanaryBakeTimeInMinutes)) * time.Minute
			}
			return 10 * time.Minute // the API's default
		case types.DeploymentStrategyLinear:
			step, pct := 6*time.Minute, 10.0 // the API's defaults
			if l := dc.LinearConfiguration; l != nil {
				step = time.Duration(aws.ToInt32(l.StepBakeTimeInMinutes)) * time.Minute
				if l.StepPercent != nil && *l.StepPercent > 0 {
					pct = *l.StepPercent
				}
			}
			return time.Duration(100/pct) * step
		}
	}
	return 0
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// emitStrategyProgress names the stage, the time left of a timed one, the
// revisions' counts and the traffic share.
func (d *Deployer) emitStrategyProgress(w *watch, sd types.ServiceDeployment, now time.Time) {
	f := w.sd
	stage := string(sd.LifecycleStage)
	if stage == "" {
		stage = string(sd.Status)
	}
	if wait := stageDuration(sd, f.strategy); wait > 0 {
		left := wait - now.Sub(f.stageSeen)
		if left < 0 {
			left = 0
		}
		stage += " " + fmtLeft(left) + " left"
	}
	msg := fmt.Sprintf("deployment %s: %s %s", w.depID, f.strategy, stage)
	var desired, running, pending int32
	if sd.Status != types.ServiceDeploymentStatusInProgress && sd.Status != types.ServiceDeploymentStatusPending &&
		sd.Status != types.ServiceDeploymentStatusRollbackInProgress && sd.Status != types.ServiceDeploymentStatusRollbackRequested {
		// Ended: the counts and the stage are the record's last word,
		// not the service's state.
		msg = fmt.Sprintf("deployment %s: %s service deployment %s", w.depID, f.strategy, sd.Status)
		if msg != w.lastProgress {
			w.lastProgress = msg
			d.emit(ops.Event{Cluster: w.res.Cluster, Service: w.res.Service, Kind: ops.EventProgress, Message: msg, DeploymentID: w.depID, RolloutState: string(sd.Status)})
		}
		return
	}
	if t := sd.TargetServiceRevision; t != nil {
		desired, running, pending = t.RequestedTaskCount, t.RunningTaskCount, t.PendingTaskCount
		msg += fmt.Sprintf("; new %d/%d running", running, desired)
		if pending > 0 {
			msg += fmt.Sprintf(", %d pending", pending)
		}
	}
	var old int32
	for _, src := range sd.SourceServiceRevisions {
		old += src.RunningTaskCount
	}
	if len(sd.SourceServiceRevisions) > 0 {
		msg += fmt.Sprintf(", old %d running", old)
	}
	if t := sd.TargetServiceRevision; t != nil && t.RequestedProductionTrafficWeight != nil {
		msg += fmt.Sprintf("; production traffic %g%%", *t.RequestedProductionTrafficWeight)
	}
	if sd.Status != types.ServiceDeploymentStatusInProgress {
		msg += " (" + string(sd.Status) + ")"
	}
	if msg == w.lastProgress {
		return
	}
	w.lastProgress = msg
	d.emit(ops.Event{Cluster: w.res.Cluster, Service: w.res.Service, Kind: ops.EventProgress, Message: msg, DeploymentID: w.depID,
		Desired: desired, Running: running, Pending: pending, RolloutState: string(sd.Status)})
}

// fmtLeft rounds a remaining time up to whole minutes (seconds under one).
func fmtLeft(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%ds", int((d+time.Second-1)/time.Second))
	}
	return fmt.Sprintf("%dm", int((d+time.Minute-1)/time.Minute))
}

// stopServiceDeploymentRollback is ecsctl's rollback of a strategy
// deployment still in progress: StopServiceDeployment(ROLLBACK), so that ECS
// returns production traffic to the old revision, which still runs. It
// returns false when the deployment is not such a case (the caller rolls
// back with UpdateService).
func (d *Deployer) stopServiceDeploymentRollback(ctx context.Context, req Request, w *watch) bool {
	f := w.sd
	if f == nil || !ops.ShiftingStrategy(f.strategy) {
		return false
	}
	if f.off || f.arn == "" {
		// Without the service deployment, ecsctl cannot tell where the
		// traffic shift is; another UpdateService could land in the middle
		// of it. Leave the decision to the operator.
		d.finish(w, OutcomeFailed, fmt.Sprintf("%s — not rolled back: the %s deployment's service deployment cannot be read, and a rollback must stop it (aws ecs list-service-deployments, then aws ecs stop-service-deployment --stop-type ROLLBACK)", w.res.Reason, f.strategy))
		return true
	}
	if f.status != types.ServiceDeploymentStatusInProgress && f.status != types.ServiceDeploymentStatusPending && f.status != "" {
		return false
	}
	old := w.res.OldTaskDefinition
	w.res.Rollback = &RollbackInfo{By: "ecsctl", TaskDefinition: old}
	d.emit(ops.Event{Cluster: w.res.Cluster, Service: w.res.Service, Kind: ops.EventRollback,
		Message: fmt.Sprintf("deploy failed (%s); stopping service deployment %s with rollback to %s", w.res.Reason, ops.ShortTaskDef(f.arn), ops.ShortTaskDef(old))})
	rctx := context.WithoutCancel(ctx) // a rollback is not abandoned half-sent
	_, err := f.api.StopServiceDeployment(rctx, &ecs.StopServiceDeploymentInput{ServiceDeploymentArn: aws.String(f.arn), StopType: types.StopServiceDeploymentStopTypeRollback})
	if err != nil {
		w.res.Rollback.Outcome, w.res.Rollback.Reason = OutcomeFailed, fmt.Sprintf("stop service deployment %s of %s/%s: %v", f.arn, req.Cluster, w.res.Service, err)
		d.finish(w, OutcomeRollbackFailed, w.res.Reason)
		return true
	}
	w.phase = phaseRollback
	w.deadline = d.clock().Now().Add(w.timeout)
	w.lastProgress = ""
	return true
}

// rollbackStrategyInFlight is `ecsctl rollback` of a strategy service whose
// service deployment is still in progress: it stops that deployment with
// rollback instead of starting another one mid-shift, and returns its ARN
// ("" when there is no such deployment; nothing is stopped on a dry run).
func (d *Deployer) rollbackStrategyInFlight(ctx context.Context, req RollbackRequest, svc types.Service, res *ServiceResult) (string, error) {
	strategy := ops.ServiceStrategy(svc)
	api, ok := d.ECS.(ops.ServiceDeploymentAPI)
	if !ops.ShiftingStrategy(strategy) || !ok {
		return "", nil
	}
	out, err := api.ListServiceDeployments(ctx, &ecs.ListServiceDeploymentsInput{Cluster: aws.String(req.Cluster), Service: aws.String(req.Service),
		Status: []types.ServiceDeploymentStatus{types.ServiceDeploymentStatusPending, types.ServiceDeploymentStatusInProgress}})
	if err != nil {
		if awsapi.ErrorCode(err) == "AccessDeniedException" {
			return "", ops.Inputf("service %s/%s is a %s service and the service deployment API is denied (ecs:ListServiceDeployments), so ecsctl cannot tell whether a traffic shift is in progress: allow ecs:ListServiceDeployments, ecs:DescribeServiceDeployments and ecs:StopServiceDeployment", req.Cluster, req.Service, strategy)
		}
		return "", fmt.Errorf("list service deployments of %s/%s: %w", req.Cluster, req.Service, err)
	}
	if len(out.ServiceDeployments) == 0 {
		return "", nil
	}
	arn := aws.ToString(out.ServiceDeployments[0].ServiceDeploymentArn)
	res.DeploymentID = ops.ShortTaskDef(arn)
	if req.DryRun {
		res.Reason = fmt.Sprintf("would stop service deployment %s with rollback (StopServiceDeployment ROLLBACK)", ops.ShortTaskDef(arn))
		return arn, nil
	}
	if _, err := api.StopServiceDeployment(ctx, &ecs.StopServiceDeploymentInput{ServiceDeploymentArn: aws.String(arn), StopType: types.StopServiceDeploymentStopTypeRollback}); err != nil {
		return "", fmt.Errorf("stop service deployment %s of %s/%s: %w", arn, req.Cluster, req.Service, err)
	}
	d.note(res, ops.EventInfo, "%s deployment in progress: stopped service deployment %s with rollback to %s", strategy, ops.ShortTaskDef(arn), ops.ShortTaskDef(res.NewTaskDefinition))
	return arn, nil
}

// followStrategyRollback waits for the service deployment's rollback.
func (d *Deployer) followStrategyRollback(ctx context.Context, req RollbackRequest, svc types.Service, res *ServiceResult, arn string) {
	dreq := Request{Cluster: req.Cluster, Timeout: req.Timeout, NoRollback: true}
	depID := ""
	if p := ops.PrimaryDeployment(svc); p != nil {
		depID = aws.ToString(p.Id)
	}
	w := d.newWatch(dreq, res, svc, depID, res.NewTaskDefinition, phaseDeploy)
	w.noRollback = true
	w.sd = &sdFollow{api: d.ECS.(ops.ServiceDeploymentAPI), arn: arn, strategy: ops.ServiceStrategy(svc), status: types.ServiceDeploymentStatusRollbackRequested, rollbackOnly: true}
	d.follow(ctx, dreq, []*watch{w})
	if res.Outcome == OutcomeFailed {
		res.Reason = trimNoRollbackSuffix(ctx, res.Reason)
	}
}

// rollingGone explains a rolling deployment that vanished from
// DescribeServices from its service deployment: ECS rolled it back (the
// record says why), or it was stopped. It returns false when the record
// says neither or cannot be read; DescribeServices then decides as before.
func (d *Deployer) rollingGone(ctx context.Context, req Request, w *watch, s types.Service) bool {
	f := w.sd
	if f == nil || f.off || f.arn == "" || ops.ShiftingStrategy(f.strategy) || w.phase != phaseDeploy {
		return false
	}
	out, err := f.api.DescribeServiceDeployments(ctx, &ecs.DescribeServiceDeploymentsInput{ServiceDeploymentArns: []string{f.arn}})
	if err != nil || len(out.ServiceDeployments) == 0 {
		if err != nil && !awsapi.Transient(err) {
			f.off = true
		}
		return false
	}
	sd := out.ServiceDeployments[0]
	reason := aws.ToString(sd.StatusReason)
	switch sd.Status {
	case types.ServiceDeploymentStatusRollbackRequested, types.ServiceDeploymentStatusRollbackInProgress,
		types.ServiceDeploymentStatusRollbackSuccessful, types.ServiceDeploymentStatusRollbackFailed:
		primary := ops.PrimaryDeployment(s)
		if primary == nil {
			return false
		}
		if rb := sd.Rollback; rb != nil && aws.ToString(rb.Reason) != "" {
			reason = aws.ToString(rb.Reason)
		}
		d.collectStoppedTasksOf(ctx, req, w, s)
		d.followBreakerRollback(w, primary, reason)
		d.fetchLogLines(ctx, req, w)
		return true
	case types.ServiceDeploymentStatusStopped:
		if reason == "" {
			reason = "stopped"
		}
		d.finishPhase(ctx, req, w, false, fmt.Sprintf("deployment %s is gone: its service deployment was STOPPED (%s)", w.depID, reason))
		return true
	}
	return false
}
