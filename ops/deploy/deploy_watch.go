package deploy

import (
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwltypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"ecsctl/fmtx"
	"ecsctl/ops"
	"ecsctl/ops/awsapi"
)

type phase int

const (
	phaseDeploy          phase = iota // following the deployment this command created
	phaseRollback                     // following ecsctl's own rollback
	phaseBreakerRollback              // following the circuit breaker's rollback
)

// watch follows one service's deployment to a verdict.
type watch struct {
	res        *ServiceResult
	depID      string // the deployment being followed now
	tdArn      string
	depCreated time.Time
	phase      phase
	deadline   time.Time
	timeout    time.Duration
	noRollback bool
	// rollbackTimeout is the limit of a rollback phase (--rollback-timeout).
	rollbackTimeout time.Duration
	// last is the followed deployment as last seen (for the timeout's look
	// at a deployment that is complete while older tasks drain).
	last   *types.Deployment
	others int                  // older deployments still there when last seen
	lbs    []types.LoadBalancer // the service's target groups when last seen

	seenEvents   map[string]bool
	lastProgress string
	lastRunning  int32
	unableSince  time.Time
	unableMsg    string
	stoppedSeen  map[string]bool
	polls        int
	lastFailed   int32
	stopping     int // failed tasks of ours seen STOPPING, not STOPPED yet
	breaker      bool
	logConfigs   map[string]logTarget
	done         bool
	phaseInfo    *phaseState // what describePhase remembers
	lastPhase    string
	// sd follows the service deployment of a BLUE_GREEN, LINEAR or CANARY
	// deployment (deploy_strategy.go).
	sd *sdFollow
}

type logTarget struct{ group, prefix string }

func (d *Deployer) newWatch(req Request, r *ServiceResult, svc types.Service, depID, tdArn string, ph phase) *watch {
	now := d.clock().Now()
	w := &watch{
		res: r, depID: depID, tdArn: tdArn, phase: ph, deadline: now.Add(req.Timeout), timeout: req.Timeout,
		noRollback: req.NoRollback, seenEvents: map[string]bool{}, stoppedSeen: map[string]bool{}, depCreated: now,
		rollbackTimeout: req.rollbackTimeout(),
	}
	if ph != phaseDeploy {
		w.timeout = w.rollbackTimeout
		w.deadline = now.Add(w.timeout)
	}
	for _, e := range svc.Events {
		w.seenEvents[aws.ToString(e.Id)] = true
	}
	for _, dep := range svc.Deployments {
		if aws.ToString(dep.Id) == depID && dep.CreatedAt != nil {
			w.depCreated = *dep.CreatedAt
		}
	}
	if dc := svc.DeploymentConfiguration; dc != nil && dc.DeploymentCircuitBreaker != nil {
		w.breaker = dc.DeploymentCircuitBreaker.Enable
	}
	return w
}

// unableFor is how long "unable to place" may persist without progress.
func (d *Deployer) unableFor(timeout time.Duration) time.Duration {
	if d.UnableToPlaceFor > 0 {
		return d.UnableToPlaceFor
	}
	return min(5*time.Minute, timeout/2)
}

// failureThreshold mirrors the circuit breaker's: half the desired count,
// at least 3, at most 200.
func failureThreshold(desired int32) int {
	t := int(math.Ceil(float64(desired) * 0.5))
	return max(3, min(200, t))
}

// follow polls every watched service with one DescribeServices per 10
// services per round until each has a verdict, ctx ends, or its deadline.
func (d *Deployer) follow(ctx context.Context, req Request, watches []*watch) {
	interval := d.interval()
	wait := interval
	throttled := false
	for {
		var active []*watch
		for _, w := range watches {
			if !w.done {
				active = append(active, w)
			}
		}
		if len(active) == 0 {
			return
		}
		select {
		case <-ctx.Done():
			for _, w := range active {
				d.interrupt(w)
			}
			return
		case <-d.clock().After(wait):
		}
		wait = interval
		byName := map[string]*watch{}
		names := make([]string, len(active))
		for i, w := range active {
			names[i] = w.res.Service
			byName[w.res.Service] = w
		}
		awsapi.EachServiceBatch(ctx, d.ECS, req.Cluster, names, func(names []string, out *ecs.DescribeServicesOutput, err error) bool {
			batch := make([]*watch, len(names))
			for j, n := range names {
				batch[j] = byName[n]
			}
			if err != nil {
				if ctx.Err() != nil {
					return false
				}
				if awsapi.Transient(err) {
					wait = min(4*interval, max(2*interval, wait*2))
					if !throttled {
						for _, w := range batch {
							d.note(w.res, ops.EventWarning, "AWS is throttling or failing (%s); backing off to %s between polls", awsapi.ErrorCode(err), wait)
						}
					}
					throttled = true
					for _, w := range batch {
						d.checkDeadline(ctx, req, w)
					}
					return true
				}
				for _, w := range batch {
					d.finish(w, OutcomeFailed, fmt.Sprintf("describe services %s/%s: %v", req.Cluster, w.res.Service, err))
				}
				return true
			}
			throttled = false
			for _, s := range out.Services {
				if w := byName[aws.ToString(s.ServiceName)]; w != nil {
					d.evaluate(ctx, req, w, s)
				}
			}
			for _, f := range out.Failures {
				name := fmtx.ShortARN(aws.ToString(f.Arn))
				if w := byName[name]; w != nil && !w.done {
					d.finish(w, OutcomeFailed, fmt.Sprintf("service %s/%s disappeared while deploying (%s)", req.Cluster, name, aws.ToString(f.Reason)))
				}
			}
			return true
		})
	}
}

func findDeployment(s types.Service, id string) *types.Deployment {
	for i := range s.Deployments {
		if aws.ToString(s.Deployments[i].Id) == id {
			return &s.Deployments[i]
		}
	}
	return nil
}

// evaluate looks at one service's state for the watched deployment.
func (d *Deployer) evaluate(ctx context.Context, req Request, w *watch, s types.Service) {
	if w.sd != nil && !w.sd.off && ops.ShiftingStrategy(w.sd.strategy) && d.evaluateStrategy(ctx, req, w, s) {
		return
	}
	now := d.clock().Now()
	w.polls++
	w.res.Desired, w.res.Running = s.DesiredCount, s.RunningCount
	newEvents := d.emitServiceEvents(w, s)
	ours := findDeployment(s, w.depID)
	if ours == nil && d.rollingGone(ctx, req, w, s) {
		return
	}
	if ours == nil {
		d.deploymentReplaced(ctx, req, w, s)
		return
	}
	w.last, w.others, w.lbs = ours, len(s.Deployments)-1, s.LoadBalancers
	d.reportProgress(ctx, req, w, s, ours)
	if w.phase == phaseDeploy {
		d.noteFailedTasks(w, ours)
	}
	if ours.RolloutState == types.DeploymentRolloutStateFailed {
		d.rolloutFailed(ctx, req, w, s, ours)
		return
	}
	if aws.ToString(ours.Status) == "PRIMARY" && len(s.Deployments) == 1 && ours.RunningCount == ours.DesiredCount &&
		(ours.RolloutState == types.DeploymentRolloutStateCompleted || ours.RolloutState == "") {
		d.finishPhase(ctx, req, w, true, "")
		return
	}
	if w.phase == phaseDeploy && d.tooManyFailures(ctx, req, w, ours) {
		return
	}
	if d.placementStalled(ctx, req, w, ours, newEvents, now) {
		return
	}
	d.checkDeadline(ctx, req, w)
}

// deploymentReplaced decides what it means that the followed deployment is
// no longer in the service's list: the breaker's rollback to the previous
// revision is followed; any other replacement ends the phase as failed.
func (d *Deployer) deploymentReplaced(ctx context.Context, req Request, w *watch, s types.Service) {
	primary := ops.PrimaryDeployment(s)
	switch {
	case w.phase == phaseDeploy && primary != nil && aws.ToString(primary.TaskDefinition) == w.res.OldTaskDefinition:
		d.collectStoppedTasks(ctx, req, w, &types.Deployment{Id: aws.String(w.depID), TaskDefinition: aws.String(w.tdArn)})
		d.followBreakerRollback(w, primary, "the deployment was replaced by a deployment of the previous revision")
		d.fetchLogLines(ctx, req, w)
	case primary != nil:
		d.finishPhase(ctx, req, w, false, fmt.Sprintf("deployment %s was replaced by %s (%s), not by ecsctl", w.depID, aws.ToString(primary.Id), ops.ShortTaskDef(aws.ToString(primary.TaskDefinition))))
	default:
		d.finishPhase(ctx, req, w, false, fmt.Sprintf("deployment %s is gone and the service has no PRIMARY deployment", w.depID))
	}
}

// reportProgress emits a progress event when the followed deployment's
// counts or phase changed since the last one.
func (d *Deployer) reportProgress(ctx context.Context, req Request, w *watch, s types.Service, ours *types.Deployment) {
	progress := fmt.Sprintf("deployment %s: %d/%d running, %d pending", w.depID, ours.RunningCount, ours.DesiredCount, ours.PendingCount)
	if ours.FailedTasks > 0 {
		progress += fmt.Sprintf(", %d failed", ours.FailedTasks)
	}
	if others := len(s.Deployments) - 1; others > 0 {
		progress += fmt.Sprintf(" (%d older deployment(s) draining)", others)
	}
	phaseText, left, leftKnown := d.describePhase(ctx, req, w, s, ours)
	if progress+phaseText != w.lastProgress+w.lastPhase {
		w.lastProgress, w.lastPhase = progress, phaseText
		d.emit(ops.Event{Cluster: w.res.Cluster, Service: w.res.Service, Kind: ops.EventProgress, Message: progress, DeploymentID: w.depID,
			Desired: ours.DesiredCount, Running: ours.RunningCount, Pending: ours.PendingCount, Failed: ours.FailedTasks, RolloutState: string(ours.RolloutState),
			Phase: phaseText, PhaseLeft: left, PhaseLeftKnown: leftKnown})
	}
}

// rolloutFailed handles a deployment ECS marked FAILED: either the breaker
// rolled back (followed) or the phase failed.
func (d *Deployer) rolloutFailed(ctx context.Context, req Request, w *watch, s types.Service, ours *types.Deployment) {
	reason := aws.ToString(ours.RolloutStateReason)
	if primary := ops.PrimaryDeployment(s); w.phase == phaseDeploy && primary != nil && aws.ToString(primary.Id) != w.depID {
		// The breaker rolled back: the failed tasks still explain why.
		d.collectStoppedTasks(ctx, req, w, ours)
		d.followBreakerRollback(w, primary, reason)
		d.fetchLogLines(ctx, req, w)
		return
	}
	d.collectStoppedTasks(ctx, req, w, ours)
	d.finishPhase(ctx, req, w, false, "deployment failed: "+reason)
}

// tooManyFailures collects the new deployment's stopped tasks when there
// may be new ones and fails the phase once enough of them failed; it says
// whether it did.
func (d *Deployer) tooManyFailures(ctx context.Context, req Request, w *watch, ours *types.Deployment) bool {
	if ours.FailedTasks > w.lastFailed || (w.polls%3 == 0 && (w.stopping > 0 || ours.RunningCount < ours.DesiredCount)) {
		d.collectStoppedTasks(ctx, req, w, ours)
		w.lastFailed = ours.FailedTasks
	}
	limit := failureThreshold(ours.DesiredCount)
	if w.breaker {
		limit *= 2 // the breaker decides first; this is a safety net
	}
	// ECS's count is the truth; the tasks ecsctl has seen stop may lag
	// (a failed task is STOPPING while its target drains).
	if failed := max(countFailures(w.res.StoppedTasks), int(w.res.FailedTasks)); failed >= limit {
		last := "their tasks are still stopping"
		if n := len(w.res.StoppedTasks); n > 0 {
			last = describeStop(w.res.StoppedTasks[n-1])
		}
		d.finishPhase(ctx, req, w, false, fmt.Sprintf("%d task(s) of the new deployment failed (last: %s)", failed, last))
		return true
	}
	return false
}

// placementStalled tracks how long ECS has reported "unable to place a
// task" without a new task running, and fails the phase once that lasted
// too long; it says whether it did. now is the time the poll was evaluated.
func (d *Deployer) placementStalled(ctx context.Context, req Request, w *watch, ours *types.Deployment, newEvents []string, now time.Time) bool {
	if ours.RunningCount > w.lastRunning {
		w.unableSince = time.Time{}
	}
	w.lastRunning = ours.RunningCount
	for _, m := range newEvents {
		if strings.Contains(m, "unable to place a task") && w.unableSince.IsZero() {
			w.unableSince, w.unableMsg = now, m
		}
	}
	if !w.unableSince.IsZero() && now.Sub(w.unableSince) >= d.unableFor(w.timeout) {
		d.finishPhase(ctx, req, w, false, fmt.Sprintf("tasks could not be placed for %s: %s", now.Sub(w.unableSince).Round(time.Second), w.unableMsg))
		return true
	}
	return false
}

func (d *Deployer) checkDeadline(ctx context.Context, req Request, w *watch) {
	if w.done || d.clock().Now().Before(w.deadline) {
		return
	}
	if w.phase == phaseDeploy && w.others > 0 {
		if ok, why := d.completeAndHealthy(ctx, req, w); ok {
			// Only older tasks are left, draining from the load balancer:
			// rolling back now would replace healthy tasks with old ones.
			note := fmt.Sprintf("at the %s (%s) the new deployment was complete and healthy (%s); %d older deployment(s) were still draining", ops.Opt(ctx, "Timeout"), w.timeout, why, w.others)
			w.res.Notes = append(w.res.Notes, note)
			d.note(w.res, ops.EventNote, "%s", note)
			d.finish(w, OutcomeSucceeded, "")
			return
		}
	}
	w.res.timedOut = true
	d.finishPhase(ctx, req, w, false, fmt.Sprintf("no verdict within %s (%s)", w.timeout, w.lastProgress))
}

// completeAndHealthy says whether the followed deployment, as last seen,
// has all its tasks running and none pending or failing now, and every one
// of its RUNNING tasks passes its container health checks (HEALTHY where
// the task definition has one, not UNHEALTHY otherwise).
func (d *Deployer) completeAndHealthy(ctx context.Context, req Request, w *watch) (bool, string) {
	dep := w.last
	if dep == nil || aws.ToString(dep.Status) != "PRIMARY" || dep.RolloutState == types.DeploymentRolloutStateFailed ||
		dep.DesiredCount == 0 || dep.RunningCount != dep.DesiredCount || dep.PendingCount != 0 {
		return false, ""
	}
	td, err := d.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(w.tdArn)})
	if err != nil {
		return false, ""
	}
	checked := false
	for _, c := range td.TaskDefinition.ContainerDefinitions {
		if c.HealthCheck != nil && (c.Essential == nil || aws.ToBool(c.Essential)) {
			checked = true
		}
	}
	arns, err := awsapi.ListTasks(ctx, d.ECS, &ecs.ListTasksInput{Cluster: aws.String(req.Cluster), ServiceName: aws.String(w.res.Service), DesiredStatus: types.DesiredStatusRunning}, 0)
	if err != nil {
		return false, ""
	}
	tasks, err := awsapi.DescribeTasks(ctx, d.ECS, req.Cluster, arns)
	if err != nil {
		return false, ""
	}
	running := int32(0)
	for _, t := range tasks {
		if aws.ToString(t.StartedBy) != w.depID {
			continue
		}
		if aws.ToString(t.LastStatus) != "RUNNING" || t.HealthStatus == types.HealthStatusUnhealthy ||
			(checked && t.HealthStatus != types.HealthStatusHealthy) {
			return false, ""
		}
		running++
	}
	if running != dep.DesiredCount {
		return false, ""
	}
	if ok, why := d.targetsHealthy(ctx, w, running); !ok {
		return false, ""
	} else if why != "" {
		return true, fmt.Sprintf("%d/%d tasks running, %s", running, dep.DesiredCount, why)
	}
	if checked {
		return true, fmt.Sprintf("%d/%d tasks running and HEALTHY", running, dep.DesiredCount)
	}
	return true, fmt.Sprintf("%d/%d tasks running", running, dep.DesiredCount)
}

// targetsHealthy checks the service's target groups: every target not
// draining is healthy, and they are as many as the new deployment's running
// tasks (the old tasks' targets have all left or are draining, so the
// healthy ones are the new tasks'). Without an ELB client a load-balanced
// service is never proven healthy.
func (d *Deployer) targetsHealthy(ctx context.Context, w *watch, running int32) (bool, string) {
	var tgs []string
	for _, lb := range w.lbs {
		if tg := aws.ToString(lb.TargetGroupArn); tg != "" {
			tgs = append(tgs, tg)
		}
	}
	if len(tgs) == 0 {
		return true, ""
	}
	if d.ELB == nil {
		return false, ""
	}
	for _, tg := range tgs {
		health, err := awsapi.NewELB(d.ELB).TargetHealth(ctx, tg)
		if err != nil {
			return false, ""
		}
		live := int32(0)
		for _, th := range health {
			if th.TargetHealth == nil {
				return false, ""
			}
			switch th.TargetHealth.State {
			case elbtypes.TargetHealthStateEnumDraining:
			case elbtypes.TargetHealthStateEnumHealthy:
				live++
			default:
				return false, ""
			}
		}
		if live != running {
			return false, ""
		}
	}
	return true, "their load-balancer targets healthy"
}

// emitServiceEvents sends every service event not seen yet, oldest first,
// and returns their messages.
func (d *Deployer) emitServiceEvents(w *watch, s types.Service) []string {
	var fresh []types.ServiceEvent
	for _, e := range s.Events { // newest first
		id := aws.ToString(e.Id)
		if w.seenEvents[id] {
			continue
		}
		w.seenEvents[id] = true
		fresh = append(fresh, e)
	}
	var msgs []string
	for i := len(fresh) - 1; i >= 0; i-- {
		m := aws.ToString(fresh[i].Message)
		msgs = append(msgs, m)
		// Stamped when seen, like every other line: a log read top to
		// bottom stays in order (the event's own time is in ECS).
		d.emit(ops.Event{Cluster: w.res.Cluster, Service: w.res.Service, Kind: ops.EventService, Message: m})
	}
	return msgs
}

// noteFailedTasks reports ECS's failed-task count of the deployment as soon
// as it grows, and keeps the highest for the verdict (ECS counts a task as
// failed before it is STOPPED, so this comes before the stopped tasks).
func (d *Deployer) noteFailedTasks(w *watch, dep *types.Deployment) {
	if dep.FailedTasks <= w.res.FailedTasks {
		return
	}
	w.res.FailedTasks = dep.FailedTasks
	d.emit(ops.Event{Cluster: w.res.Cluster, Service: w.res.Service, Kind: ops.EventWarning, DeploymentID: w.depID, Failed: dep.FailedTasks,
		Message: fmt.Sprintf("deployment %s: %d task(s) failed so far (ECS count)", w.depID, dep.FailedTasks)})
}

// maxStoppedTaskPages bounds the ListTasks pages read per look at stopped tasks.
const maxStoppedTaskPages = 5

// collectStoppedTasks records tasks of the followed deployment that stopped.
func (d *Deployer) collectStoppedTasks(ctx context.Context, req Request, w *watch, dep *types.Deployment) {
	// ECS keeps stopped tasks for about an hour: follow every page, but
	// stop at a bound so that a service that has churned for an hour does
	// not turn one poll into dozens of calls.
	var fresh []string
	w.stopping = 0
	list, err := awsapi.ListTasks(ctx, d.ECS, &ecs.ListTasksInput{Cluster: aws.String(req.Cluster), ServiceName: aws.String(w.res.Service), DesiredStatus: types.DesiredStatusStopped}, maxStoppedTaskPages)
	if err != nil {
		return // best effort; the next round tries again
	}
	for _, arn := range list {
		if !w.stoppedSeen[arn] {
			fresh = append(fresh, arn)
		}
	}
	// On an error the tasks described so far still count; the next round
	// describes the rest again.
	tasks, _ := awsapi.DescribeTasks(ctx, d.ECS, req.Cluster, fresh)
	for _, t := range tasks {
		if t.LastStatus == nil || aws.ToString(t.LastStatus) != "STOPPED" {
			w.stopping++
			continue // still stopping: look again next time
		}
		w.stoppedSeen[aws.ToString(t.TaskArn)] = true
		ofOurs := aws.ToString(t.StartedBy) == w.depID ||
			(aws.ToString(t.TaskDefinitionArn) == aws.ToString(dep.TaskDefinition) && !aws.ToTime(t.CreatedAt).Before(w.depCreated))
		if !ofOurs || !isFailure(t) {
			continue
		}
		st := StoppedTask{TaskID: fmtx.ShortARN(aws.ToString(t.TaskArn)), StoppedReason: aws.ToString(t.StoppedReason), StopCode: string(t.StopCode), StoppedAt: aws.ToTime(t.StoppedAt), ExitCodes: map[string]int{}}
		for _, c := range t.Containers {
			if c.ExitCode != nil {
				st.ExitCodes[aws.ToString(c.Name)] = int(*c.ExitCode)
			}
			if c.Reason != nil {
				st.Reasons = append(st.Reasons, aws.ToString(c.Name)+": "+aws.ToString(c.Reason))
			}
		}
		w.res.StoppedTasks = append(w.res.StoppedTasks, st)
		d.emit(ops.Event{Cluster: w.res.Cluster, Service: w.res.Service, Kind: ops.EventTaskStopped, Message: "task " + st.TaskID + " stopped: " + describeStop(st)})
	}
}

// isFailure tells a failed task from one the scheduler stopped on purpose.
func isFailure(t types.Task) bool {
	switch t.StopCode {
	case types.TaskStopCodeTaskFailedToStart, types.TaskStopCodeEssentialContainerExited:
		return true
	case types.TaskStopCodeUserInitiated, types.TaskStopCodeSpotInterruption, types.TaskStopCodeTerminationNotice:
		return false
	}
	reason := strings.ToLower(aws.ToString(t.StoppedReason))
	if strings.Contains(reason, "health check") || strings.Contains(reason, "cannotpull") || strings.Contains(reason, "essential container") {
		return true
	}
	for _, c := range t.Containers {
		if c.ExitCode != nil && *c.ExitCode != 0 {
			return true
		}
	}
	return false
}

func countFailures(st []StoppedTask) int { return len(st) }

func describeStop(st StoppedTask) string {
	s := st.StoppedReason
	var codes []string
	for _, c := range slices.Sorted(maps.Keys(st.ExitCodes)) {
		codes = append(codes, fmt.Sprintf("%s exit %d", c, st.ExitCodes[c]))
	}
	if len(codes) > 0 {
		s += " (" + strings.Join(codes, ", ") + ")"
	}
	return s
}

// followBreakerRollback switches to following the deployment the circuit
// breaker started on the previous revision.
func (d *Deployer) followBreakerRollback(w *watch, primary *types.Deployment, reason string) {
	w.res.Reason = reason
	w.res.Rollback = &RollbackInfo{By: "circuit-breaker", TaskDefinition: aws.ToString(primary.TaskDefinition), DeploymentID: aws.ToString(primary.Id)}
	d.emit(ops.Event{Cluster: w.res.Cluster, Service: w.res.Service, Kind: ops.EventRollback,
		Message: fmt.Sprintf("deployment %s failed (%s); the circuit breaker is rolling back to %s in %s", w.depID, reason, ops.ShortTaskDef(aws.ToString(primary.TaskDefinition)), aws.ToString(primary.Id))})
	w.phase = phaseBreakerRollback
	w.depID = aws.ToString(primary.Id)
	w.timeout = w.rollbackTimeout
	w.deadline = d.clock().Now().Add(w.timeout)
	w.lastProgress = ""
}

// finishPhase ends the current phase: a deploy's success or failure (which
// may start a rollback), or a rollback's outcome.
func (d *Deployer) finishPhase(ctx context.Context, req Request, w *watch, ok bool, reason string) {
	switch w.phase {
	case phaseDeploy:
		if ok {
			d.finish(w, OutcomeSucceeded, "")
			return
		}
		w.res.Reason = reason
		if w.noRollback {
			d.fetchLogLines(ctx, req, w)
			outcome := OutcomeFailed
			if w.res.timedOut {
				outcome = OutcomeTimedOut
			}
			d.finish(w, outcome, reason+noRollbackSuffix(ctx))
			return
		}
		// The rollback first: reading the failed container's last lines
		// may wait for CloudWatch Logs, and must not delay it.
		d.startRollback(ctx, req, w)
		d.fetchLogLines(ctx, req, w)
	case phaseRollback, phaseBreakerRollback:
		rb := w.res.Rollback
		if ok {
			rb.Outcome = OutcomeSucceeded
			outcome := OutcomeRolledBack
			if w.phase == phaseBreakerRollback {
				outcome = OutcomeBreakerRolledBack
			}
			d.finish(w, outcome, w.res.Reason)
			return
		}
		rb.Outcome, rb.Reason = OutcomeFailed, reason
		if w.res.timedOut {
			rb.Outcome = OutcomeTimedOut
		}
		d.finish(w, OutcomeRollbackFailed, w.res.Reason)
	}
}

// startRollback puts the service back on the revision it ran before.
func (d *Deployer) startRollback(ctx context.Context, req Request, w *watch) {
	if d.stopServiceDeploymentRollback(ctx, req, w) {
		return
	}
	old := w.res.OldTaskDefinition
	w.res.Rollback = &RollbackInfo{By: "ecsctl", TaskDefinition: old}
	d.emit(ops.Event{Cluster: w.res.Cluster, Service: w.res.Service, Kind: ops.EventRollback, Message: fmt.Sprintf("deploy failed (%s); rolling back to %s", w.res.Reason, ops.ShortTaskDef(old))})
	rctx := context.WithoutCancel(ctx) // a rollback is not abandoned half-sent
	upd, err := d.ECS.UpdateService(rctx, &ecs.UpdateServiceInput{Cluster: aws.String(req.Cluster), Service: aws.String(w.res.Service), TaskDefinition: aws.String(old)})
	if err != nil {
		w.res.Rollback.Outcome, w.res.Rollback.Reason = OutcomeFailed, fmt.Sprintf("update service %s/%s: %v", req.Cluster, w.res.Service, err)
		d.finish(w, OutcomeRollbackFailed, w.res.Reason)
		return
	}
	dep := ops.PrimaryDeployment(*upd.Service)
	if dep == nil {
		w.res.Rollback.Outcome, w.res.Rollback.Reason = OutcomeFailed, "no PRIMARY deployment after the rollback update"
		d.finish(w, OutcomeRollbackFailed, w.res.Reason)
		return
	}
	w.res.Rollback.DeploymentID = aws.ToString(dep.Id)
	w.phase = phaseRollback
	w.depID = aws.ToString(dep.Id)
	w.timeout = w.rollbackTimeout
	w.deadline = d.clock().Now().Add(w.timeout)
	w.lastProgress = ""
}

func (d *Deployer) finish(w *watch, outcome, reason string) {
	w.done = true
	w.res.Outcome = outcome
	if reason != "" {
		w.res.Reason = reason
	}
	w.res.FinishedAt = d.clock().Now()
	msg := outcome
	if w.res.Reason != "" && outcome != OutcomeSucceeded {
		msg += ": " + w.res.Reason
	}
	if rb := w.res.Rollback; rb != nil && rb.Outcome != "" {
		msg += fmt.Sprintf("; rollback by %s to %s %s", rb.By, ops.ShortTaskDef(rb.TaskDefinition), rb.Outcome)
	}
	d.note(w.res, ops.EventVerdict, "%s", msg)
}

func (d *Deployer) interrupt(w *watch) {
	w.done = true
	w.res.Outcome = OutcomeInterrupted
	state := w.lastProgress
	if state == "" {
		state = "deployment " + w.depID + " in progress"
	}
	if rb := w.res.Rollback; rb != nil && w.phase != phaseDeploy {
		rb.Outcome = OutcomeInterrupted
		w.res.Reason = fmt.Sprintf("deploy failed (%s); stopped waiting for the rollback by %s to %s: %s", w.res.Reason, rb.By, ops.ShortTaskDef(rb.TaskDefinition), state)
	} else {
		w.res.Reason = "stopped waiting; " + state
	}
	w.res.FinishedAt = d.clock().Now()
}

// logLinesRounds and logLinesWait bound how long fetchLogLines reads
// again, one poll interval apart, while the failed container's last lines
// are not in CloudWatch Logs yet (awslogs flushes a dying container's
// output late): at least this many rounds, and until the account's clock is
// logLinesWait past the newest stop. Counting on the account's clock, not
// rounds alone, keeps the bound the same however fast the rounds come.
const (
	logLinesRounds = 4
	logLinesWait   = 2 * time.Minute
)

// logLinesSettled: the newest line of a failed task's stream counts as its
// last when it is at most this long before the task stopped.
const logLinesSettled = 5 * time.Second

// fetchLogLines reads the last lines of the container that failed, from its
// awslogs stream: of the newest stopped task whose stream already holds
// lines from its end (else the newest lines seen), so that the fatal line
// and the panic show rather than the start-up lines.
func (d *Deployer) fetchLogLines(ctx context.Context, req Request, w *watch) {
	if d.Logs == nil || len(w.res.StoppedTasks) == 0 || len(w.res.LogLines) > 0 {
		return
	}
	if w.logConfigs == nil {
		w.logConfigs = map[string]logTarget{}
		td, err := d.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(w.tdArn)})
		if err != nil {
			return
		}
		for _, c := range td.TaskDefinition.ContainerDefinitions {
			if lc := c.LogConfiguration; lc != nil && lc.LogDriver == types.LogDriverAwslogs {
				w.logConfigs[aws.ToString(c.Name)] = logTarget{group: lc.Options["awslogs-group"], prefix: lc.Options["awslogs-stream-prefix"]}
			}
		}
	}
	// Newest stopped first; a few are enough.
	tasks := append([]StoppedTask(nil), w.res.StoppedTasks...)
	sort.SliceStable(tasks, func(i, j int) bool { return tasks[i].StoppedAt.After(tasks[j].StoppedAt) })
	tasks = tasks[:min(3, len(tasks))]
	var best []string
	var bestAt int64
	// Until logLinesWait past the newest stop, and never longer than that
	// from now (a stop time from a skewed clock cannot hold the verdict).
	waitUntil := d.awsNow().Add(logLinesWait)
	if stop := tasks[0].StoppedAt; !stop.IsZero() && stop.Add(logLinesWait).Before(waitUntil) {
		waitUntil = stop.Add(logLinesWait)
	}
	for round := 0; round < logLinesRounds || d.awsNow().Before(waitUntil); round++ {
		if round > 0 {
			select {
			case <-ctx.Done():
				return
			case <-d.clock().After(d.interval()):
			}
		}
		for _, st := range tasks {
			lines, lastAt, ok := d.lastLogLines(ctx, w, st)
			if !ok {
				continue
			}
			if st.StoppedAt.IsZero() || lastAt >= st.StoppedAt.Add(-logLinesSettled).UnixMilli() {
				w.res.LogLines = lines
				return
			}
			if best == nil || lastAt > bestAt {
				best, bestAt = lines, lastAt
			}
		}
	}
	w.res.LogLines = best
}

// lastLogLines reads the last 20 lines of a stopped task's failing
// container and the time of the newest. GetLogEvents from the tail may
// answer empty pages with a token while older events exist: it follows the
// backward token a few times.
func (d *Deployer) lastLogLines(ctx context.Context, w *watch, last StoppedTask) ([]string, int64, bool) {
	container := ""
	for _, c := range slices.Sorted(maps.Keys(last.ExitCodes)) {
		if last.ExitCodes[c] != 0 {
			container = c
			break
		}
	}
	if container == "" {
		for _, c := range w.res.Images {
			container = c.Container
			break
		}
	}
	lt, ok := w.logConfigs[container]
	if !ok || lt.group == "" || lt.prefix == "" {
		return nil, 0, false
	}
	in := &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String(lt.group), LogStreamName: aws.String(lt.prefix + "/" + container + "/" + last.TaskID),
		Limit: aws.Int32(20), StartFromHead: aws.Bool(false)}
	for page := 0; page < 5; page++ {
		out, err := d.Logs.GetLogEvents(ctx, in)
		if err != nil {
			return nil, 0, false
		}
		if len(out.Events) == 0 {
			if out.NextBackwardToken == nil || aws.ToString(out.NextBackwardToken) == aws.ToString(in.NextToken) {
				return nil, 0, false
			}
			in.NextToken = out.NextBackwardToken
			continue
		}
		events := append([]cwltypes.OutputLogEvent(nil), out.Events...)
		sort.SliceStable(events, func(i, j int) bool { return aws.ToInt64(events[i].Timestamp) < aws.ToInt64(events[j].Timestamp) })
		var lines []string
		for _, e := range events {
			lines = append(lines, container+": "+strings.TrimRight(aws.ToString(e.Message), "\n"))
		}
		return lines, aws.ToInt64(events[len(events)-1].Timestamp), true
	}
	return nil, 0, false
}
