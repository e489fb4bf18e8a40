package deploy

import (
	"context"
	"ecsctl/ops/awsapi"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
)

// phaseState is what a watch remembers to name its phase.
type phaseState struct {
	dep        string        // the deployment this is about
	delay      time.Duration // target group deregistration delay; 0 when unknown
	delayRead  bool
	drainSince time.Time // AWS time the old tasks were first seen draining
	drainText  string
	drainLeft  time.Duration
	drainKnown bool
	checkedAt  time.Time
}

// drainRecheck bounds how often the draining old tasks are listed again.
const drainRecheck = 30 * time.Second

// awsNow is the account's clock, for differences with AWS timestamps.
func (d *Deployer) awsNow() time.Time {
	if d.AWSNow != nil {
		return d.AWSNow()
	}
	return d.clock().Now()
}

// describePhase names what ECS is doing for the followed deployment and,
// when it can be estimated, how long that takes yet (known false when not).
func (d *Deployer) describePhase(ctx context.Context, req Request, w *watch, s types.Service, ours *types.Deployment) (text string, left time.Duration, known bool) {
	if w.phaseInfo == nil || w.phaseInfo.dep != w.depID { // a rollback is followed afresh
		w.phaseInfo = &phaseState{dep: w.depID}
	}
	ps := w.phaseInfo
	lb := len(s.LoadBalancers) > 0
	if ours.RunningCount < ours.DesiredCount {
		ps.drainSince = time.Time{}
		missing := ours.DesiredCount - ours.RunningCount
		switch {
		case !w.unableSince.IsZero():
			return fmt.Sprintf("ECS cannot place %d new task(s) (no instance has room) · failing after %s of this", missing, d.unableFor(w.timeout)), 0, false
		case ours.PendingCount > 0 && lb:
			return fmt.Sprintf("starting %d new task(s) · old tasks keep serving until the new ones pass the load balancer's health check", ours.PendingCount), 0, false
		case ours.PendingCount > 0:
			return fmt.Sprintf("starting %d new task(s)", ours.PendingCount), 0, false
		default:
			return fmt.Sprintf("waiting for ECS to start %d more new task(s) (within the service's minimum/maximum healthy percent)", missing), 0, false
		}
	}
	if len(s.Deployments) <= 1 {
		if ours.RolloutState == types.DeploymentRolloutStateCompleted || ours.RolloutState == "" {
			return "", 0, false // the verdict follows at once
		}
		return "all new tasks running · waiting for ECS to mark the deployment COMPLETED", 0, false
	}
	now := d.awsNow()
	if ps.drainSince.IsZero() {
		ps.drainSince = now
		ps.checkedAt = time.Time{}
	}
	if !ps.checkedAt.IsZero() && now.Sub(ps.checkedAt) < drainRecheck {
		left := ps.drainLeft - now.Sub(ps.checkedAt)
		return ps.drainText, max(0, left), ps.drainKnown
	}
	ps.checkedAt = now
	if lb && !ps.delayRead {
		ps.delayRead = true
		ps.delay = d.deregistrationDelay(ctx, s)
	}
	old, deregistering := d.drainingOldTasks(ctx, req, w, s)
	head := "new tasks running"
	if lb {
		head = "new tasks healthy"
	}
	// A task's stoppingAt is when it moved from RUNNING to STOPPING (ECS API
	// Reference, Task.stoppingAt), so a load-balanced task has none while it
	// drains (DEACTIVATING) and its target's delay has run out once it has
	// one. The drain began with ECS's "has begun draining connections"
	// service event; without one, when this phase was first seen.
	since := ps.drainSince
	if at := drainBegan(s, ours); !at.IsZero() {
		since = at
	}
	ps.drainKnown = false
	switch {
	case old == 0:
		ps.drainText = head + " · old deployment finishing (its tasks have stopped)"
	case lb && ps.delay > 0 && deregistering == 0:
		ps.drainText = fmt.Sprintf("%s · stopping %d old task(s) (their targets have drained)", head, old)
	case lb && ps.delay > 0:
		ps.drainText = fmt.Sprintf("%s · draining %d old task(s) · deregistration delay %s", head, old, secondsText(ps.delay))
		ps.drainLeft, ps.drainKnown = min(ps.delay, max(0, ps.delay-now.Sub(since))), true
	case lb:
		ps.drainText = fmt.Sprintf("%s · draining %d old task(s) from the load balancer", head, old)
	default:
		ps.drainText = fmt.Sprintf("%s · stopping %d old task(s)", head, old)
	}
	return ps.drainText, ps.drainLeft, ps.drainKnown
}

func secondsText(d time.Duration) string { return strconv.Itoa(int(d.Seconds())) + "s" }

// deregistrationDelay reads deregistration_delay.timeout_seconds of the
// service's first target group (0 when it cannot be read: no ELB client,
// or the call is denied).
func (d *Deployer) deregistrationDelay(ctx context.Context, s types.Service) time.Duration {
	if d.ELB == nil {
		return 0
	}
	for _, lb := range s.LoadBalancers {
		tg := aws.ToString(lb.TargetGroupArn)
		if tg == "" {
			continue
		}
		out, err := d.ELB.DescribeTargetGroupAttributes(ctx, &elb.DescribeTargetGroupAttributesInput{TargetGroupArn: aws.String(tg)})
		if err != nil {
			return 0
		}
		for _, a := range out.Attributes {
			if aws.ToString(a.Key) == "deregistration_delay.timeout_seconds" {
				if n, err := strconv.Atoi(aws.ToString(a.Value)); err == nil {
					return time.Duration(n) * time.Second
				}
			}
		}
	}
	return 0
}

// drainBegan is when ECS last said it "has begun draining connections" on
// the service's tasks since the followed deployment was created (zero when
// it has not): the start of the deregistration delay.
func drainBegan(s types.Service, ours *types.Deployment) time.Time {
	var at time.Time
	for _, e := range s.Events {
		t := aws.ToTime(e.CreatedAt)
		if strings.Contains(aws.ToString(e.Message), "has begun draining connections") && t.After(at) && !t.Before(aws.ToTime(ours.CreatedAt)) {
			at = t
		}
	}
	return at
}

// drainingOldTasks counts the service's tasks that ECS told to stop but that
// have not stopped yet (DEACTIVATING while their target drains, then
// STOPPING), plus old deployments' tasks still running, and how many of
// them are still DEACTIVATING. runningCount leaves DEACTIVATING tasks out
// (ECS-SEMANTICS §4), so the deployment counts alone would say 0.
// drainListPages bounds the stopping tasks the drain phase reads per poll
// (100 a page).
const drainListPages = 3

func (d *Deployer) drainingOldTasks(ctx context.Context, req Request, w *watch, s types.Service) (int, int) {
	n := 0
	for _, dep := range s.Deployments {
		if aws.ToString(dep.Id) != w.depID {
			n += int(dep.RunningCount)
		}
	}
	// Tasks told to stop stay listed (desired STOPPED) after they stopped
	// ("stopped tasks appear in the returned results for at least one
	// hour": DescribeTasks, ECS API Reference), so a large service lists
	// many: the phase reads
	// at most drainListPages pages of them each poll (it only words the
	// wait; the verdict never depends on it).
	arns, err := awsapi.ListTasks(ctx, d.ECS, &ecs.ListTasksInput{Cluster: aws.String(req.Cluster), ServiceName: aws.String(w.res.Service), DesiredStatus: types.DesiredStatusStopped}, drainListPages)
	if err != nil || len(arns) == 0 {
		return n, n // old running tasks only: their drain is still ahead
	}
	tasks, err := awsapi.DescribeTasks(ctx, d.ECS, req.Cluster, arns)
	if err != nil {
		return n, n
	}
	dereg := n
	for _, t := range tasks {
		if aws.ToString(t.LastStatus) == "STOPPED" || aws.ToString(t.StartedBy) == w.depID {
			continue
		}
		n++
		if aws.ToString(t.LastStatus) == "DEACTIVATING" {
			dereg++
		}
	}
	return n, dereg
}
