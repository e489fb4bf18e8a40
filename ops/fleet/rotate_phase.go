package fleet

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"ecsctl/fmtx"
)

// runObserved is what a rotation or cluster scale has seen its own
// instances and tasks take. Its estimates use these once there are any, and
// DefaultRotateTimings before.
type runObserved struct {
	boot     time.Duration // the last wait for new instances: capacity raised → registered
	bootSeen bool
	move     time.Duration // the last batch's tasks: DRAINING → none left to run on it
	moveSeen bool
}

func (o *runObserved) bootEstimate() (time.Duration, string) {
	if o != nil && o.bootSeen {
		return o.boot, "this run's took " + fmtx.Elapsed(o.boot)
	}
	return DefaultRotateTimings().Boot, "usually about " + fmtx.Elapsed(DefaultRotateTimings().Boot)
}

func (o *runObserved) moveEstimate() time.Duration {
	if o != nil && o.moveSeen {
		return o.move
	}
	return DefaultRotateTimings().TaskStart
}

// bootPhase names the wait for new instances: how many, and how long they
// should take yet, from how long this run's earlier ones took since the
// wait began (elapsed).
func bootPhase(waiting int, elapsed time.Duration, seen *runObserved) (string, time.Duration, bool) {
	if waiting <= 0 {
		return "", 0, false
	}
	boot, basis := seen.bootEstimate()
	return fmt.Sprintf("waiting for %s to boot and register (%s)", fmtx.Count(waiting, "new instance"), basis), max(0, boot-elapsed), true
}

// drainPhaseState is what one batch's drain remembers for its phase.
type drainPhaseState struct {
	began     time.Time                // the batch was set DRAINING
	movedAt   time.Time                // no task left to run on the batch (zero: not yet)
	delays    map[string]time.Duration // target group → deregistration delay (read once)
	unknown   bool                     // a delay could not be read
	sawMoving bool                     // tasks ran on the batch at some check
}

// drainPhase names what ECS does with a batch being drained and estimates
// how long that takes yet. While tasks still run on the batch ECS starts
// their replacements elsewhere (daemon tasks, counted with them, just stop
// last: hence "to move or stop") (as long as this run's earlier batches took,
// or DefaultRotateTimings' task start), then the moved tasks drain from
// their target groups for the longest deregistration delay of the
// affected services (ELB User Guide, "Deregistration delay"), counted from
// when the last of them left the batch's running count. (runningTasksCount
// leaves DEACTIVATING tasks out, ECS-SEMANTICS §4; and a DEACTIVATING task
// carries no stoppingAt, ECS API Reference, Task.stoppingAt. The local
// clock is compared with the local clock only.)
func (d *Drainer) drainPhase(ctx context.Context, b DrainBatch, res *DrainResult, ph *drainPhaseState) (string, time.Duration, bool) {
	now := d.clock().Now()
	if res.moving > 0 {
		ph.sawMoving = true
	}
	if res.moving == 0 && ph.movedAt.IsZero() {
		ph.movedAt = now
		if d.seen != nil && ph.sawMoving { // a batch with nothing to move says nothing of the next
			d.seen.move, d.seen.moveSeen = now.Sub(ph.began), true
		}
	}
	delay, lb := d.drainDelay(ctx, res.svcs, ph)
	return drainPhaseText(len(b.Instances), res.moving, res.stopping, delay, lb, !ph.unknown, now.Sub(ph.began), now.Sub(ph.movedAt), d.seen.moveEstimate())
}

// drainPhaseText is drainPhase's wording and arithmetic: n instances,
// moving tasks still to run elsewhere, stopping ones not STOPPED yet;
// delay is the deregistration delay (lb: some service is behind a load
// balancer; delayKnown: it was read); elapsed is the time since the batch
// was set DRAINING, draining the time since its tasks began to drain;
// move how long moving the tasks should take.
func drainPhaseText(n, moving, stopping int, delay time.Duration, lb, delayKnown bool, elapsed, draining, move time.Duration) (string, time.Duration, bool) {
	head := "draining " + fmtx.Count(n, "instance")
	tail := ""
	if lb && delayKnown {
		tail = " · deregistration delay " + strconv.Itoa(int(delay.Seconds())) + "s"
	}
	known := !lb || delayKnown
	switch {
	case moving > 0:
		return head + " · " + fmtx.Count(moving, "task") + " to move or stop" + tail, max(0, move-elapsed) + delay, known
	case stopping > 0 && lb:
		return head + " · " + fmtx.Count(stopping, "task") + " stopping, their targets draining" + tail, max(0, delay-draining), known
	case stopping > 0:
		return head + " · " + fmtx.Count(stopping, "task") + " stopping", 0, false
	}
	return "", 0, false
}

// drainDelay is the longest deregistration delay of the services' target
// groups, each read once (lb: any has one).
func (d *Drainer) drainDelay(ctx context.Context, svcs []types.Service, ph *drainPhaseState) (time.Duration, bool) {
	var longest time.Duration
	lb := false
	for _, s := range svcs {
		for _, l := range s.LoadBalancers {
			tg := aws.ToString(l.TargetGroupArn)
			if tg == "" {
				continue
			}
			lb = true
			v, ok := ph.delays[tg]
			if !ok {
				v = d.readDelay(ctx, tg)
				if v < 0 {
					ph.unknown = true
				}
				ph.delays[tg] = v
			}
			longest = max(longest, v)
		}
	}
	return longest, lb
}

// readDelay reads deregistration_delay.timeout_seconds (-1 when it cannot:
// no ELB client, or the call is denied).
func (d *Drainer) readDelay(ctx context.Context, tg string) time.Duration {
	if d.ELB == nil {
		return -1
	}
	out, err := d.ELB.DescribeTargetGroupAttributes(ctx, &elb.DescribeTargetGroupAttributesInput{TargetGroupArn: aws.String(tg)})
	if err != nil {
		return -1
	}
	for _, a := range out.Attributes {
		if aws.ToString(a.Key) == "deregistration_delay.timeout_seconds" {
			if n, err := strconv.Atoi(aws.ToString(a.Value)); err == nil {
				return time.Duration(n) * time.Second
			}
		}
	}
	return -1
}

// planTimings are the plan estimate's timings: r.Timings when set, else the
// defaults with the deregistration delay the account gives, the longest of
// the target groups of the services whose tasks the old instances run
// (none behind a load balancer: no delay). When a delay cannot be read
// the default 300 s stands.
func (r *Rotator) planTimings(ctx context.Context, dc *drainCluster, old []*drainInstance) *RotateTimings {
	if r.Timings != nil {
		return r.Timings
	}
	t := DefaultRotateTimings()
	var svcs []types.Service
	seen := map[string]bool{}
	for _, in := range old {
		for _, task := range in.Tasks {
			if s, ok := dc.Services[task.Service]; ok && task.Service != "" && !seen[task.Service] {
				seen[task.Service] = true
				svcs = append(svcs, s)
			}
		}
	}
	if len(svcs) == 0 {
		return &t
	}
	ph := &drainPhaseState{delays: map[string]time.Duration{}}
	delay, lb := r.drainer().drainDelay(ctx, svcs, ph)
	switch {
	case !lb:
		t.Deregistration = 0
	case !ph.unknown:
		t.Deregistration = delay
	}
	return &t
}
