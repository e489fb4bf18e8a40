package fleet

import (
	"context"
	"ecsctl/fmtx"
	"ecsctl/ops"
	"ecsctl/ops/awsapi"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// DrainECS is the part of the ECS API draining uses.
type DrainECS interface {
	ListContainerInstances(ctx context.Context, in *ecs.ListContainerInstancesInput, optFns ...func(*ecs.Options)) (*ecs.ListContainerInstancesOutput, error)
	DescribeContainerInstances(ctx context.Context, in *ecs.DescribeContainerInstancesInput, optFns ...func(*ecs.Options)) (*ecs.DescribeContainerInstancesOutput, error)
	UpdateContainerInstancesState(ctx context.Context, in *ecs.UpdateContainerInstancesStateInput, optFns ...func(*ecs.Options)) (*ecs.UpdateContainerInstancesStateOutput, error)
	ListTasks(ctx context.Context, in *ecs.ListTasksInput, optFns ...func(*ecs.Options)) (*ecs.ListTasksOutput, error)
	DescribeTasks(ctx context.Context, in *ecs.DescribeTasksInput, optFns ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error)
	StopTask(ctx context.Context, in *ecs.StopTaskInput, optFns ...func(*ecs.Options)) (*ecs.StopTaskOutput, error)
	DescribeServices(ctx context.Context, in *ecs.DescribeServicesInput, optFns ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error)
}

// DrainASG removes drained instances through their Auto Scaling group.
type DrainASG interface {
	TerminateInstanceInAutoScalingGroup(ctx context.Context, in *autoscaling.TerminateInstanceInAutoScalingGroupInput, optFns ...func(*autoscaling.Options)) (*autoscaling.TerminateInstanceInAutoScalingGroupOutput, error)
}

// DrainELB reads load-balancer target health of the affected services.
type DrainELB interface {
	DescribeTargetHealth(ctx context.Context, in *elasticloadbalancingv2.DescribeTargetHealthInput, optFns ...func(*elasticloadbalancingv2.Options)) (*elasticloadbalancingv2.DescribeTargetHealthOutput, error)
	// The deregistration delay sets how long moved tasks drain (the phase
	// and its estimate).
	DescribeTargetGroupAttributes(ctx context.Context, in *elasticloadbalancingv2.DescribeTargetGroupAttributesInput, optFns ...func(*elasticloadbalancingv2.Options)) (*elasticloadbalancingv2.DescribeTargetGroupAttributesOutput, error)
}

// Standalone-task policies while draining.
const (
	StandaloneWait  = "wait"  // wait for standalone tasks to end by themselves
	StandaloneStop  = "stop"  // stop them (StopTask) once the instance is DRAINING
	StandaloneAbort = "abort" // refuse to drain an instance that runs one
)

// Drainer drains container instances and removes them through their Auto
// Scaling group, never while they run service tasks. rotate-ami and scale
// cluster both use it.
type Drainer struct {
	ECS   DrainECS
	ASG   DrainASG
	ELB   DrainELB // nil skips target-health checks
	Clock ops.Clock
	// PollInterval between checks (default 5s).
	PollInterval time.Duration
	Progress     func(ops.Event)

	seen *runObserved // what this run's earlier batches took (nil: nothing yet)
}

// DrainBatch is a set of instances to drain and remove together.
type DrainBatch struct {
	Cluster string
	ASG     string
	// Instances: EC2 instance id → container instance ARN.
	Instances  map[string]string
	Standalone string // StandaloneWait (default), StandaloneStop, StandaloneAbort
	Timeout    time.Duration
	Batch      int
	Batches    int
	// Order is the termination order (default: by instance id). Scale-in
	// passes its victims fullest zone first, so that the group stays
	// balanced between terminations and AZRebalance has nothing to undo.
	Order []string
	// Overlap, when set, is called while the batch waits for its tasks to
	// stop once its services are steady again (the moved tasks run
	// elsewhere; what is left is the load balancer's deregistration delay):
	// the time a rotation starts draining its next batch. Once it returns
	// true it is not called again.
	Overlap func(ctx context.Context) (bool, error)
}

// DrainResult tells what a batch did.
type DrainResult struct {
	Instances         []string       `json:"instances"`
	Services          []string       `json:"services"`
	StoppedStandalone []string       `json:"stoppedStandaloneTasks,omitempty"`
	StartedAt         time.Time      `json:"startedAt"`
	DrainedAt         time.Time      `json:"drainedAt"`
	DurationSeconds   float64        `json:"durationSeconds"`
	MinHealthy        map[string]int `json:"minHealthyObserved"` // service → fewest running seen

	steady bool // the last check found the affected services steady
	// What the last check saw, for the phase: tasks still meant to run on
	// the batch, tasks told to stop there and not STOPPED yet, the
	// affected services.
	moving, stopping int
	svcs             []types.Service
}

func (d *Drainer) clock() ops.Clock {
	if d.Clock == nil {
		return ops.RealClock{}
	}
	return d.Clock
}

func (d *Drainer) interval() time.Duration {
	if d.PollInterval <= 0 {
		return 5 * time.Second
	}
	return d.PollInterval
}

func (d *Drainer) emit(ev ops.Event) {
	if ev.Time.IsZero() {
		ev.Time = d.clock().Now()
	}
	if d.Progress != nil {
		d.Progress(ev)
	}
}

// PauseError is a drain that stopped without removing anything: instances
// stay DRAINING, nothing is terminated. It wraps ops.ErrFailed (exit 1).
type PauseError struct {
	Reason string
	Advice string
}

func (e *PauseError) Error() string {
	return "paused: " + e.Reason + "; " + e.Advice
}

func (e *PauseError) Unwrap() error { return ops.ErrFailed }

// interrupted turns a cancelled context into ops.ErrInterrupted.
func interrupted(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%w: %v", ops.ErrInterrupted, err)
	}
	return err
}

// sleep waits one interval or until ctx ends.
func (d *Drainer) sleep(ctx context.Context, dur time.Duration) error {
	select {
	case <-ctx.Done():
		return fmt.Errorf("%w while waiting", ops.ErrInterrupted)
	case <-d.clock().After(dur):
		return nil
	}
}

// Drain sets the batch DRAINING (at most 10 per call), applies the
// standalone-task policy, waits until every task listed on the instances is
// STOPPED and the affected services are steady with healthy targets, and
// then terminates the instances through the ASG with desired-capacity
// decrement. On timeout or a service below its minimum healthy it pauses
// (PauseError) and leaves the instances DRAINING.
func (d *Drainer) Drain(ctx context.Context, b DrainBatch) (*DrainResult, error) {
	res := &DrainResult{StartedAt: d.clock().Now(), MinHealthy: map[string]int{}}
	ids := slices.Sorted(maps.Keys(b.Instances))
	res.Instances = ids
	arns := make([]string, 0, len(ids))
	byArn := map[string]string{}
	for _, id := range ids {
		arns = append(arns, b.Instances[id])
		byArn[b.Instances[id]] = id
	}
	ev := func(kind ops.EventKind, inst, state, format string, args ...any) {
		d.emit(ops.Event{Cluster: b.Cluster, Batch: b.Batch, Batches: b.Batches, Instance: inst, State: state, Kind: kind, Message: fmt.Sprintf(format, args...)})
	}
	services, err := d.startDrain(ctx, b, arns, byArn, res, ev)
	if err != nil {
		return res, err
	}
	return res, d.waitDrained(ctx, b, ids, arns, services, res, ev)
}

// drainEvent reports a step of a batch's drain.
type drainEvent func(kind ops.EventKind, inst, state, format string, args ...any)

// startDrain reads what runs on the batch (desired RUNNING), refuses
// standalone tasks under the abort policy, sets the batch DRAINING and
// applies the standalone policy. It returns the affected services.
func (d *Drainer) startDrain(ctx context.Context, b DrainBatch, arns []string, byArn map[string]string, res *DrainResult, ev drainEvent) (map[string]bool, error) {
	tasks, err := drainListTasks(ctx, d.ECS, b.Cluster, arns, "")
	if err != nil {
		return nil, interrupted(ctx, err)
	}
	services := map[string]bool{}
	var standalone []types.Task
	for _, t := range tasks {
		if svc, ok := strings.CutPrefix(aws.ToString(t.Group), "service:"); ok {
			services[svc] = true
		} else if aws.ToString(t.LastStatus) != "STOPPED" {
			standalone = append(standalone, t)
		}
	}
	if len(standalone) > 0 && b.Standalone == StandaloneAbort {
		return nil, &PauseError{
			Reason: fmt.Sprintf("%d standalone task(s) run on the batch's instances (%s)", len(standalone), taskGroups(standalone)),
			Advice: "nothing was drained; re-run with " + ops.Opt(ctx, "Standalone") + " wait (let them finish) or stop (stop them)",
		}
	}
	if err := d.setDraining(ctx, b, arns, byArn, ev); err != nil {
		return nil, err
	}
	if len(standalone) == 0 {
		return services, nil
	}
	if b.Standalone != StandaloneStop {
		ev(ops.EventNote, "", "", "waiting for %d standalone task(s) to end by themselves (%s)", len(standalone), taskGroups(standalone))
		return services, nil
	}
	for _, t := range standalone {
		_, err := d.ECS.StopTask(ctx, &ecs.StopTaskInput{Cluster: aws.String(b.Cluster), Task: t.TaskArn,
			Reason: aws.String("ecsctl: instance drained for replacement (" + ops.Opt(ctx, "Standalone") + " stop)")})
		if err != nil {
			return nil, interrupted(ctx, fmt.Errorf("stop standalone task %s in cluster %s: %w", fmtx.ShortARN(aws.ToString(t.TaskArn)), b.Cluster, err))
		}
		res.StoppedStandalone = append(res.StoppedStandalone, aws.ToString(t.TaskArn))
		ev(ops.EventNote, "", "", "stopped standalone task %s (%s)", fmtx.ShortARN(aws.ToString(t.TaskArn)), aws.ToString(t.Group))
	}
	return services, nil
}

// setDraining sets the batch's ACTIVE container instances DRAINING, ten
// at a time; already DRAINING ones are left as they are.
func (d *Drainer) setDraining(ctx context.Context, b DrainBatch, arns []string, byArn map[string]string, ev drainEvent) error {
	cis, err := awsapi.NewECSReads(d.ECS).DescribeContainerInstances(ctx, b.Cluster, arns)
	if err != nil {
		return interrupted(ctx, err)
	}
	var toDrain []string
	for _, ci := range cis {
		if aws.ToString(ci.Status) == "ACTIVE" {
			toDrain = append(toDrain, aws.ToString(ci.ContainerInstanceArn))
		}
	}
	var failed error
	err = awsapi.SetContainerInstancesState(ctx, d.ECS, b.Cluster, toDrain, types.ContainerInstanceStatusDraining, func(batch []string, failures []types.Failure) bool {
		if failed = drainFailure(b.Cluster, failures); failed != nil {
			return false
		}
		for _, a := range batch {
			ev(ops.EventInfo, byArn[a], "draining", "%s DRAINING", byArn[a])
		}
		return true
	})
	if err != nil {
		return interrupted(ctx, err)
	}
	return failed
}

// drainFailure is the first container instance ECS did not set DRAINING.
func drainFailure(cluster string, failures []types.Failure) error {
	if len(failures) == 0 {
		return nil
	}
	f := failures[0]
	return fmt.Errorf("set container instance %s DRAINING in cluster %s: %s %s", aws.ToString(f.Arn), cluster, aws.ToString(f.Reason), aws.ToString(f.Detail))
}

// waitDrained polls drainCheck until the batch can be removed, then
// terminates it; it backs off while AWS throttles, calls the batch's
// Overlap once its services are steady, and pauses at the timeout.
func (d *Drainer) waitDrained(ctx context.Context, b DrainBatch, ids, arns []string, services map[string]bool, res *DrainResult, ev drainEvent) error {
	deadline := d.clock().Now().Add(b.Timeout)
	if b.Timeout <= 0 {
		deadline = d.clock().Now().Add(30 * time.Minute)
	}
	backoff := d.interval()
	lastWhy, lastPhase := "", ""
	ph := &drainPhaseState{began: d.clock().Now(), delays: map[string]time.Duration{}}
	belowStreak := map[string]int{}
	for {
		why, err := d.drainCheck(ctx, b, arns, services, res, belowStreak)
		switch {
		case err != nil && ctx.Err() != nil:
			return fmt.Errorf("%w while draining: %v", ops.ErrInterrupted, err)
		case err != nil && awsapi.Transient(err):
			backoff = min(backoff*2, 30*time.Second)
			ev(ops.EventWarning, "", "", "AWS is throttling or failing (%s); backing off to %s", awsapi.ErrorCode(err), backoff)
		case err != nil:
			return err // a PauseError among them
		case why == "":
			res.DrainedAt = d.clock().Now()
			res.DurationSeconds = res.DrainedAt.Sub(res.StartedAt).Seconds()
			res.Services = slices.Sorted(maps.Keys(services))
			return d.terminate(ctx, b, ids, ev)
		default:
			backoff = d.interval()
			text, left, known := d.drainPhase(ctx, b, res, ph)
			if why != lastWhy || text != lastPhase {
				d.emit(ops.Event{Cluster: b.Cluster, Batch: b.Batch, Batches: b.Batches, Kind: ops.EventProgress, Message: "waiting: " + why,
					Phase: text, PhaseLeft: left, PhaseLeftKnown: known})
				lastWhy, lastPhase = why, text
			}
			if err := d.overlap(ctx, &b, res); err != nil {
				return err
			}
		}
		if d.clock().Now().After(deadline) {
			return &PauseError{
				Reason: fmt.Sprintf("batch %d not drained after %s (%s)", b.Batch, b.Timeout, lastWhy),
				Advice: "its instances stay DRAINING and nothing was terminated; find out why (ecsctl status, service events), then re-run the same command to continue or use " + ops.Opt(ctx, "Abort"),
			}
		}
		if err := d.sleep(ctx, backoff); err != nil {
			return err
		}
	}
}

// overlap calls the batch's Overlap while its services are steady, until
// it says it is done.
func (d *Drainer) overlap(ctx context.Context, b *DrainBatch, res *DrainResult) error {
	if b.Overlap == nil || !res.steady {
		return nil
	}
	done, err := b.Overlap(ctx)
	if err != nil {
		return err
	}
	if done {
		b.Overlap = nil
	}
	return nil
}

// drainCheck returns "" when the batch can be removed, else what it waits for.
func (d *Drainer) drainCheck(ctx context.Context, b DrainBatch, arns []string, services map[string]bool, res *DrainResult, belowStreak map[string]int) (string, error) {
	// Services first: a service below its minimum pauses the run.
	svcs, err := awsapi.NewECSReads(d.ECS).DescribeServices(ctx, b.Cluster, slices.Sorted(maps.Keys(services)))
	if err != nil {
		return "", err
	}
	notSteady, err := checkServiceHealth(ctx, b, svcs, res, belowStreak)
	if err != nil {
		return "", err
	}
	res.steady = len(notSteady) == 0
	if why, err := d.tasksLeft(ctx, b, arns, services, res, svcs); why != "" || err != nil {
		return why, err
	}
	if len(notSteady) > 0 {
		sort.Strings(notSteady)
		return fmt.Sprintf("services not steady: %s", strings.Join(limitList(notSteady, 5), ", ")), nil
	}
	if d.ELB != nil {
		return d.targetsLeft(ctx, b, svcs)
	}
	return "", nil
}

// checkServiceHealth records the fewest running tasks seen per service and
// pauses the drain when a service stays below its minimum healthy for
// three checks; it returns the services not steady.
func checkServiceHealth(ctx context.Context, b DrainBatch, svcs []types.Service, res *DrainResult, belowStreak map[string]int) ([]string, error) {
	var notSteady []string
	for _, s := range svcs {
		name := aws.ToString(s.ServiceName)
		if s.SchedulingStrategy == types.SchedulingStrategyDaemon {
			continue
		}
		running := int(s.RunningCount)
		if m, ok := res.MinHealthy[name]; !ok || running < m {
			res.MinHealthy[name] = running
		}
		required := requiredHealthy(s)
		if running < required {
			belowStreak[name]++
			if belowStreak[name] >= 3 {
				return nil, &PauseError{
					Reason: fmt.Sprintf("service %s/%s has %d running, below its minimum healthy %d", b.Cluster, name, running, required),
					Advice: "the batch's instances stay DRAINING and nothing was terminated; fix the service (ecsctl status), then re-run the same command to continue, or " + ops.Opt(ctx, "Abort") + " to return the instances to ACTIVE",
				}
			}
		} else {
			belowStreak[name] = 0
		}
		if !serviceSteady(s) {
			notSteady = append(notSteady, name)
		}
	}
	return notSteady, nil
}

// tasksLeft says what still runs on the batch: the cheap count first, then
// every listed task must be STOPPED. A service found there that the drain
// did not know joins the affected ones.
func (d *Drainer) tasksLeft(ctx context.Context, b DrainBatch, arns []string, services map[string]bool, res *DrainResult, svcs []types.Service) (string, error) {
	cis, err := awsapi.NewECSReads(d.ECS).DescribeContainerInstances(ctx, b.Cluster, arns)
	if err != nil {
		return "", err
	}
	busy := 0
	for _, ci := range cis {
		busy += int(ci.RunningTasksCount + ci.PendingTasksCount)
	}
	res.moving, res.stopping, res.svcs = busy, 0, svcs
	if busy > 0 {
		return fmt.Sprintf("%d task(s) still running on the batch", busy), nil
	}
	tasks, err := drainListTasks(ctx, d.ECS, b.Cluster, arns, "all")
	if err != nil {
		return "", err
	}
	live := 0
	var found []string // all at once: a batch resumed DRAINING finds its services here, one poll each was slow
	for _, t := range tasks {
		if aws.ToString(t.LastStatus) != "STOPPED" {
			live++
		}
		if svc, ok := strings.CutPrefix(aws.ToString(t.Group), "service:"); ok && !services[svc] {
			services[svc] = true
			found = append(found, svc)
		}
	}
	if len(found) > 0 {
		sort.Strings(found)
		return "new affected services " + strings.Join(limitList(found, 5), ", "), nil
	}
	res.stopping = live
	if live > 0 {
		return fmt.Sprintf("%d task(s) on the batch not yet STOPPED", live), nil
	}
	return "", nil
}

// targetsLeft says which load-balanced service has fewer healthy targets
// than its desired count.
func (d *Drainer) targetsLeft(ctx context.Context, b DrainBatch, svcs []types.Service) (string, error) {
	type check struct {
		svc types.Service
		tg  string
	}
	var checks []check
	for _, s := range svcs {
		for _, lb := range s.LoadBalancers {
			if tg := aws.ToString(lb.TargetGroupArn); tg != "" {
				checks = append(checks, check{s, tg})
			}
		}
	}
	why := make([]string, len(checks))
	err := eachParallel(len(checks), 8, func(i int) error {
		c := checks[i]
		out, err := d.ELB.DescribeTargetHealth(ctx, &elasticloadbalancingv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(c.tg)})
		if err != nil {
			return fmt.Errorf("describe target health of %s (service %s/%s): %w", c.tg, b.Cluster, aws.ToString(c.svc.ServiceName), err)
		}
		healthy := 0
		for _, th := range out.TargetHealthDescriptions {
			if th.TargetHealth != nil && th.TargetHealth.State == elbtypes.TargetHealthStateEnumHealthy {
				healthy++
			}
		}
		if healthy < int(c.svc.DesiredCount) {
			why[i] = fmt.Sprintf("service %s: %d/%d targets healthy", aws.ToString(c.svc.ServiceName), healthy, c.svc.DesiredCount)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	for _, w := range why {
		if w != "" {
			return w, nil
		}
	}
	return "", nil
}

// terminate removes drained instances through the ASG, decrementing desired.
// It re-checks that none runs a service task first.
func (d *Drainer) terminate(ctx context.Context, b DrainBatch, ids []string, ev func(ops.EventKind, string, string, string, ...any)) error {
	arns := make([]string, 0, len(ids))
	for _, id := range ids {
		arns = append(arns, b.Instances[id])
	}
	// runningTasksCount and pendingTasksCount count the tasks whose desired
	// status is RUNNING (ECS API Reference, ContainerInstance): all zero, no
	// task is meant to run there and one call replaces a listing per instance.
	cis, err := awsapi.NewECSReads(d.ECS).DescribeContainerInstances(ctx, b.Cluster, arns)
	if err != nil {
		return interrupted(ctx, err)
	}
	busy := len(cis) != len(arns)
	for _, ci := range cis {
		busy = busy || ci.RunningTasksCount+ci.PendingTasksCount > 0
	}
	var tasks []types.Task
	if busy {
		if tasks, err = drainListTasks(ctx, d.ECS, b.Cluster, arns, ""); err != nil {
			return interrupted(ctx, err)
		}
	}
	for _, t := range tasks {
		if strings.HasPrefix(aws.ToString(t.Group), "service:") && aws.ToString(t.LastStatus) != "STOPPED" {
			return &PauseError{Reason: fmt.Sprintf("service task %s appeared on a drained instance", fmtx.ShortARN(aws.ToString(t.TaskArn))),
				Advice: "nothing was terminated; re-run the same command to continue"}
		}
	}
	if len(b.Order) == len(ids) {
		ids = b.Order
	}
	for _, id := range ids {
		_, err := d.ASG.TerminateInstanceInAutoScalingGroup(ctx, &autoscaling.TerminateInstanceInAutoScalingGroupInput{
			InstanceId: aws.String(id), ShouldDecrementDesiredCapacity: aws.Bool(true)})
		if err != nil {
			if strings.Contains(err.Error(), "not found") || strings.Contains(err.Error(), "is not part of") {
				ev(ops.EventNote, id, "terminated", "%s is already out of the group", id)
				continue
			}
			return interrupted(ctx, fmt.Errorf("terminate instance %s in auto scaling group %s: %w", id, b.ASG, err))
		}
		ev(ops.EventInfo, id, "terminated", "%s terminated through %s (desired capacity decremented)", id, b.ASG)
	}
	return nil
}

// WaitDeregistered waits until the given container instances have left the
// cluster (INACTIVE or gone) after their termination, at most limit.
func (d *Drainer) WaitDeregistered(ctx context.Context, cluster string, arns []string, limit time.Duration) error {
	if len(arns) == 0 {
		return nil
	}
	deadline := d.clock().Now().Add(limit)
	for {
		cis, err := awsapi.NewECSReads(d.ECS).DescribeContainerInstances(ctx, cluster, arns)
		if err != nil && !awsapi.Transient(err) {
			return interrupted(ctx, err)
		}
		gone := err == nil
		for _, ci := range cis {
			if s := aws.ToString(ci.Status); s == "ACTIVE" || s == "DRAINING" {
				gone = false
			}
		}
		if gone {
			return nil
		}
		if d.clock().Now().After(deadline) {
			d.emit(ops.Event{Cluster: cluster, Kind: ops.EventWarning, Message: fmt.Sprintf("terminated instances still registered after %s; going on", limit)})
			return nil
		}
		if err := d.sleep(ctx, d.interval()); err != nil {
			return err
		}
	}
}

// requiredHealthy is ceil(desired × minimumHealthyPercent / 100).
func requiredHealthy(s types.Service) int {
	minP := int32(100)
	if s.DeploymentConfiguration != nil && s.DeploymentConfiguration.MinimumHealthyPercent != nil {
		minP = *s.DeploymentConfiguration.MinimumHealthyPercent
	}
	return int(math.Ceil(float64(s.DesiredCount) * float64(minP) / 100))
}

// serviceSteady: one deployment (or, for the CODE_DEPLOY and EXTERNAL
// controllers, whose deployments list is empty, one task set), everything
// running, nothing pending.
func serviceSteady(s types.Service) bool {
	n := len(s.Deployments)
	if n == 0 {
		n = len(s.TaskSets)
	}
	return n == 1 && s.RunningCount == s.DesiredCount && s.PendingCount == 0
}

// drainListTasks lists the tasks on the given container instances and
// describes them. which "" lists desired RUNNING; "all" adds desired STOPPED
// (tasks stopping, or stopped recently).
func drainListTasks(ctx context.Context, api DrainECS, cluster string, arns []string, which string) ([]types.Task, error) {
	var taskArns []string
	seen := map[string]bool{}
	statuses := []types.DesiredStatus{types.DesiredStatusRunning}
	if which == "all" {
		statuses = append(statuses, types.DesiredStatusStopped)
	}
	// One listing per instance and status, eight at a time; merged in order.
	reads := awsapi.NewECSReads(api)
	lists := make([][]string, len(arns)*len(statuses))
	err := eachParallel(len(lists), 8, func(i int) error {
		ci, st := arns[i/len(statuses)], statuses[i%len(statuses)]
		var err error
		lists[i], err = reads.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String(cluster), ContainerInstance: aws.String(ci), DesiredStatus: st}, 0)
		return err
	})
	if err != nil {
		return nil, err
	}
	for _, l := range lists {
		for _, a := range l {
			if !seen[a] {
				seen[a] = true
				taskArns = append(taskArns, a)
			}
		}
	}
	return reads.DescribeTasks(ctx, cluster, taskArns)
}

func taskGroups(ts []types.Task) string {
	n := map[string]int{}
	for _, t := range ts {
		n[aws.ToString(t.Group)]++
	}
	var parts []string
	for _, g := range slices.Sorted(maps.Keys(n)) {
		parts = append(parts, g+"×"+strconv.Itoa(n[g]))
	}
	return strings.Join(parts, ", ")
}

func limitList(s []string, n int) []string {
	if len(s) <= n {
		return s
	}
	return append(append([]string{}, s[:n]...), fmt.Sprintf("and %d more", len(s)-n))
}
