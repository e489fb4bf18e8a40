package ops

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
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

	seenEvents   map[string]bool
	lastProgress string
	lastRunning  int32
	unableSince  time.Time
	unableMsg    string
	stoppedSeen  map[string]bool
	polls        int
	lastFailed   int32
	breaker      bool
	logConfigs   map[string]logTarget
	done         bool
	// sd follows the service deployment of a BLUE_GREEN, LINEAR or CANARY
	// deployment (deploy_strategy.go).
	sd *sdFollow
}

type logTarget struct{ group, prefix string }

func (d *Deployer) newWatch(req DeployRequest, r *ServiceResult, svc types.Service, depID, tdArn string, ph phase) *watch {
	now := d.clock().Now()
	w := &watch{
		res: r, depID: depID, tdArn: tdArn, phase: ph, deadline: now.Add(req.Timeout), timeout: req.Timeout,
		noRollback: req.NoRollback, seenEvents: map[string]bool{}, stoppedSeen: map[string]bool{}, depCreated: now,
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
func (d *Deployer) follow(ctx context.Context, req DeployRequest, watches []*watch) {
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
		for i := 0; i < len(active); i += 10 {
			batch := active[i:min(i+10, len(active))]
			names := make([]string, len(batch))
			byName := map[string]*watch{}
			for j, w := range batch {
				names[j] = w.res.Service
				byName[w.res.Service] = w
			}
			out, err := d.ECS.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(req.Cluster), Services: names})
			if err != nil {
				if ctx.Err() != nil {
					break
				}
				if transient(err) {
					wait = min(4*interval, max(2*interval, wait*2))
					if !throttled {
						for _, w := range batch {
							d.note(w.res, EventWarning, "AWS is throttling or failing (%s); backing off to %s between polls", errCode(err), wait)
						}
					}
					throttled = true
					for _, w := range batch {
						d.checkDeadline(ctx, req, w)
					}
					continue
				}
				for _, w := range batch {
					d.finish(w, OutcomeFailed, fmt.Sprintf("describe services %s/%s: %v", req.Cluster, w.res.Service, err))
				}
				continue
			}
			throttled = false
			for _, s := range out.Services {
				if w := byName[aws.ToString(s.ServiceName)]; w != nil {
					d.evaluate(ctx, req, w, s)
				}
			}
			for _, f := range out.Failures {
				name := aws.ToString(f.Arn)
				if i := strings.LastIndex(name, "/"); i >= 0 {
					name = name[i+1:]
				}
				if w := byName[name]; w != nil && !w.done {
					d.finish(w, OutcomeFailed, fmt.Sprintf("service %s/%s disappeared while deploying (%s)", req.Cluster, name, aws.ToString(f.Reason)))
				}
			}
		}
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
func (d *Deployer) evaluate(ctx context.Context, req DeployRequest, w *watch, s types.Service) {
	if w.sd != nil && !w.sd.off && ShiftingStrategy(w.sd.strategy) && d.evaluateStrategy(ctx, req, w, s) {
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
		primary := primaryDeployment(s)
		switch {
		case w.phase == phaseDeploy && primary != nil && aws.ToString(primary.TaskDefinition) == w.res.OldTaskDefinition:
			d.followBreakerRollback(w, primary, "the deployment was replaced by one of the previous revision")
		case primary != nil:
			d.finishPhase(ctx, req, w, false, fmt.Sprintf("deployment %s was replaced by %s (%s), not by ecsctl", w.depID, aws.ToString(primary.Id), shortTaskDef(aws.ToString(primary.TaskDefinition))))
		default:
			d.finishPhase(ctx, req, w, false, fmt.Sprintf("deployment %s is gone and the service has no PRIMARY deployment", w.depID))
		}
		return
	}
	progress := fmt.Sprintf("deployment %s: %d/%d running, %d pending", w.depID, ours.RunningCount, ours.DesiredCount, ours.PendingCount)
	if ours.FailedTasks > 0 {
		progress += fmt.Sprintf(", %d failed", ours.FailedTasks)
	}
	if others := len(s.Deployments) - 1; others > 0 {
		progress += fmt.Sprintf(" (%d older deployment(s) draining)", others)
	}
	if progress != w.lastProgress {
		w.lastProgress = progress
		d.emit(Event{Cluster: w.res.Cluster, Service: w.res.Service, Kind: EventProgress, Message: progress, DeploymentID: w.depID,
			Desired: ours.DesiredCount, Running: ours.RunningCount, Pending: ours.PendingCount, Failed: ours.FailedTasks, RolloutState: string(ours.RolloutState)})
	}
	if ours.RolloutState == types.DeploymentRolloutStateFailed {
		reason := aws.ToString(ours.RolloutStateReason)
		if primary := primaryDeployment(s); w.phase == phaseDeploy && primary != nil && aws.ToString(primary.Id) != w.depID {
			d.followBreakerRollback(w, primary, reason)
			return
		}
		d.collectStoppedTasks(ctx, req, w, ours)
		d.finishPhase(ctx, req, w, false, "deployment failed: "+reason)
		return
	}
	if aws.ToString(ours.Status) == "PRIMARY" && len(s.Deployments) == 1 && ours.RunningCount == ours.DesiredCount &&
		(ours.RolloutState == types.DeploymentRolloutStateCompleted || ours.RolloutState == "") {
		d.finishPhase(ctx, req, w, true, "")
		return
	}
	if w.phase == phaseDeploy {
		if ours.FailedTasks > w.lastFailed || (w.polls%3 == 0 && ours.RunningCount < ours.DesiredCount) {
			d.collectStoppedTasks(ctx, req, w, ours)
			w.lastFailed = ours.FailedTasks
		}
		limit := failureThreshold(ours.DesiredCount)
		if w.breaker {
			limit *= 2 // the breaker decides first; this is a safety net
		}
		if failed := countFailures(w.res.StoppedTasks); failed >= limit {
			last := w.res.StoppedTasks[len(w.res.StoppedTasks)-1]
			d.finishPhase(ctx, req, w, false, fmt.Sprintf("%d tasks of the new deployment stopped (last: %s)", failed, describeStop(last)))
			return
		}
	}
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
		return
	}
	d.checkDeadline(ctx, req, w)
}

func (d *Deployer) checkDeadline(ctx context.Context, req DeployRequest, w *watch) {
	if w.done || d.clock().Now().Before(w.deadline) {
		return
	}
	w.res.timedOut = true
	d.finishPhase(ctx, req, w, false, fmt.Sprintf("no verdict within %s (%s)", w.timeout, w.lastProgress))
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
		d.emit(Event{Cluster: w.res.Cluster, Service: w.res.Service, Kind: EventService, Message: m})
	}
	return msgs
}

// maxStoppedTaskPages bounds the ListTasks pages read per look at stopped tasks.
const maxStoppedTaskPages = 5

// collectStoppedTasks records tasks of the followed deployment that stopped.
func (d *Deployer) collectStoppedTasks(ctx context.Context, req DeployRequest, w *watch, dep *types.Deployment) {
	// ECS keeps stopped tasks for about an hour: follow every page, but
	// stop at a bound so that a service that has churned for an hour does
	// not turn one poll into dozens of calls.
	var fresh []string
	p := ecs.NewListTasksPaginator(d.ECS, &ecs.ListTasksInput{Cluster: aws.String(req.Cluster), ServiceName: aws.String(w.res.Service), DesiredStatus: types.DesiredStatusStopped})
	for pages := 0; p.HasMorePages() && pages < maxStoppedTaskPages; pages++ {
		list, err := p.NextPage(ctx)
		if err != nil {
			return // best effort; the next round tries again
		}
		for _, arn := range list.TaskArns {
			if !w.stoppedSeen[arn] {
				fresh = append(fresh, arn)
			}
		}
	}
	for i := 0; i < len(fresh); i += 100 {
		out, err := d.ECS.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(req.Cluster), Tasks: fresh[i:min(i+100, len(fresh))]})
		if err != nil {
			return
		}
		for _, t := range out.Tasks {
			if t.LastStatus == nil || aws.ToString(t.LastStatus) != "STOPPED" {
				continue // still stopping: look again next time
			}
			w.stoppedSeen[aws.ToString(t.TaskArn)] = true
			ofOurs := aws.ToString(t.StartedBy) == w.depID ||
				(aws.ToString(t.TaskDefinitionArn) == aws.ToString(dep.TaskDefinition) && !aws.ToTime(t.CreatedAt).Before(w.depCreated))
			if !ofOurs || !isFailure(t) {
				continue
			}
			st := StoppedTask{TaskID: taskID(aws.ToString(t.TaskArn)), StoppedReason: aws.ToString(t.StoppedReason), StopCode: string(t.StopCode), StoppedAt: aws.ToTime(t.StoppedAt), ExitCodes: map[string]int{}}
			for _, c := range t.Containers {
				if c.ExitCode != nil {
					st.ExitCodes[aws.ToString(c.Name)] = int(*c.ExitCode)
				}
				if c.Reason != nil {
					st.Reasons = append(st.Reasons, aws.ToString(c.Name)+": "+aws.ToString(c.Reason))
				}
			}
			w.res.StoppedTasks = append(w.res.StoppedTasks, st)
			d.emit(Event{Cluster: w.res.Cluster, Service: w.res.Service, Kind: EventTaskStopped, Message: "task " + st.TaskID + " stopped: " + describeStop(st)})
		}
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
	for _, c := range sortedKeys(st.ExitCodes) {
		codes = append(codes, fmt.Sprintf("%s exit %d", c, st.ExitCodes[c]))
	}
	if len(codes) > 0 {
		s += " (" + strings.Join(codes, ", ") + ")"
	}
	return s
}

func taskID(arn string) string {
	if i := strings.LastIndex(arn, "/"); i >= 0 {
		return arn[i+1:]
	}
	return arn
}

// followBreakerRollback switches to following the deployment the circuit
// breaker started on the previous revision.
func (d *Deployer) followBreakerRollback(w *watch, primary *types.Deployment, reason string) {
	w.res.Reason = reason
	w.res.Rollback = &RollbackInfo{By: "circuit-breaker", TaskDefinition: aws.ToString(primary.TaskDefinition), DeploymentID: aws.ToString(primary.Id)}
	d.emit(Event{Cluster: w.res.Cluster, Service: w.res.Service, Kind: EventRollback,
		Message: fmt.Sprintf("deployment %s failed (%s); the circuit breaker is rolling back to %s in %s", w.depID, reason, shortTaskDef(aws.ToString(primary.TaskDefinition)), aws.ToString(primary.Id))})
	w.phase = phaseBreakerRollback
	w.depID = aws.ToString(primary.Id)
	w.deadline = d.clock().Now().Add(w.timeout)
	w.lastProgress = ""
}

// finishPhase ends the current phase: a deploy's success or failure (which
// may start a rollback), or a rollback's outcome.
func (d *Deployer) finishPhase(ctx context.Context, req DeployRequest, w *watch, ok bool, reason string) {
	switch w.phase {
	case phaseDeploy:
		if ok {
			d.finish(w, OutcomeSucceeded, "")
			return
		}
		w.res.Reason = reason
		d.fetchLogLines(ctx, req, w)
		if w.noRollback {
			outcome := OutcomeFailed
			if w.res.timedOut {
				outcome = OutcomeTimedOut
			}
			d.finish(w, outcome, reason+" — not rolled back (--no-rollback)")
			return
		}
		d.startRollback(ctx, req, w)
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
func (d *Deployer) startRollback(ctx context.Context, req DeployRequest, w *watch) {
	if d.stopServiceDeploymentRollback(ctx, req, w) {
		return
	}
	old := w.res.OldTaskDefinition
	w.res.Rollback = &RollbackInfo{By: "ecsctl", TaskDefinition: old}
	d.emit(Event{Cluster: w.res.Cluster, Service: w.res.Service, Kind: EventRollback, Message: fmt.Sprintf("deploy failed (%s); rolling back to %s", w.res.Reason, shortTaskDef(old))})
	rctx := context.WithoutCancel(ctx) // a rollback is not abandoned half-sent
	upd, err := d.ECS.UpdateService(rctx, &ecs.UpdateServiceInput{Cluster: aws.String(req.Cluster), Service: aws.String(w.res.Service), TaskDefinition: aws.String(old)})
	if err != nil {
		w.res.Rollback.Outcome, w.res.Rollback.Reason = OutcomeFailed, fmt.Sprintf("update service %s/%s: %v", req.Cluster, w.res.Service, err)
		d.finish(w, OutcomeRollbackFailed, w.res.Reason)
		return
	}
	dep := primaryDeployment(*upd.Service)
	if dep == nil {
		w.res.Rollback.Outcome, w.res.Rollback.Reason = OutcomeFailed, "no PRIMARY deployment after the rollback update"
		d.finish(w, OutcomeRollbackFailed, w.res.Reason)
		return
	}
	w.res.Rollback.DeploymentID = aws.ToString(dep.Id)
	w.phase = phaseRollback
	w.depID = aws.ToString(dep.Id)
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
		msg += fmt.Sprintf("; rollback by %s to %s %s", rb.By, shortTaskDef(rb.TaskDefinition), rb.Outcome)
	}
	d.note(w.res, EventVerdict, "%s", msg)
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
		w.res.Reason = fmt.Sprintf("deploy failed (%s); stopped waiting for the rollback by %s to %s: %s", w.res.Reason, rb.By, shortTaskDef(rb.TaskDefinition), state)
	} else {
		w.res.Reason = "stopped waiting; " + state
	}
	w.res.FinishedAt = d.clock().Now()
}

// fetchLogLines reads the last lines of the container that failed in the
// last stopped task, from its awslogs stream.
func (d *Deployer) fetchLogLines(ctx context.Context, req DeployRequest, w *watch) {
	if d.Logs == nil || len(w.res.StoppedTasks) == 0 {
		return
	}
	last := w.res.StoppedTasks[len(w.res.StoppedTasks)-1]
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
	container := ""
	for _, c := range sortedKeys(last.ExitCodes) {
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
		return
	}
	stream := lt.prefix + "/" + container + "/" + last.TaskID
	out, err := d.Logs.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String(lt.group), LogStreamName: aws.String(stream), Limit: aws.Int32(20), StartFromHead: aws.Bool(false)})
	if err != nil {
		return
	}
	for _, e := range out.Events {
		w.res.LogLines = append(w.res.LogLines, container+": "+strings.TrimRight(aws.ToString(e.Message), "\n"))
	}
}
