package fleet

import (
	"context"
	"ecsctl/ops"
	"ecsctl/ops/awsapi"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
)

// Instances that leave the group while a rotation runs, without ecsctl: a
// Spot instance EC2 reclaims (two minutes' notice, then terminated with the
// state reason Server.SpotInstanceTermination), an instance someone
// terminates by hand. The group finds it gone at its health check and
// launches a replacement without changing desired capacity (EC2 Auto Scaling
// user guide, "Health checks for instances in an Auto Scaling group"). When
// the lost instance was in the batch being drained, the decrement ecsctl
// would have made with its termination never happens, so the group ends one
// above its original capacity; trimSurplus drains that extra instance away
// (drained first: never one with tasks).

// rotateWatch remembers the group's live members between checks.
type rotateWatch struct {
	seen map[string]bool
	// spot are the instances EC2 reclaimed (Spot interruptions): a plan
	// instance among them is absorbed, not a fleet change.
	spot map[string]bool
	// lost counts instances that left without ecsctl.
	lost int
}

// noticeLost reports the members seen before that left the group without
// ecsctl terminating them.
func (r *Rotator) noticeLost(ctx context.Context, plan *RotatePlan, g astypes.AutoScalingGroup, w *rotateWatch, res *RotateResult) {
	live := map[string]bool{}
	for _, m := range g.Instances {
		if liveMember(m) {
			live[aws.ToString(m.InstanceId)] = true
		}
	}
	var gone []string
	for id := range w.seen {
		if !live[id] {
			gone = append(gone, id)
		}
	}
	w.seen = live
	if len(gone) == 0 {
		return
	}
	sort.Strings(gone)
	out, err := r.EC2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: gone})
	if err != nil {
		return // only a report: the run goes on from what the group says
	}
	for _, rsv := range out.Reservations {
		for _, in := range rsv.Instances {
			if in.StateReason == nil || aws.ToString(in.StateReason.Code) == "Client.UserInitiatedShutdown" {
				continue // terminated through the group or by a user: ecsctl's batches, or a user's
			}
			w.lost++
			why := aws.ToString(in.StateReason.Message)
			if aws.ToString(in.StateReason.Code) == "Server.SpotInstanceTermination" {
				why = "Spot interruption"
				if w.spot == nil {
					w.spot = map[string]bool{}
				}
				w.spot[aws.ToString(in.InstanceId)] = true
			}
			msg := fmt.Sprintf("instance %s left %s during the run (%s); the group launches a replacement", aws.ToString(in.InstanceId), plan.ASG, why)
			r.emit(plan.Cluster, ops.EventWarning, "%s", msg)
			res.Notes = append(res.Notes, msg)
		}
	}
}

// absorbLost notices members that left the group and marks the plan's
// instances EC2 reclaimed as lost: the group launches their replacements,
// and the batches go on without them.
func (r *Rotator) absorbLost(ctx context.Context, plan *RotatePlan, g astypes.AutoScalingGroup, w *rotateWatch, res *RotateResult) {
	r.noticeLost(ctx, plan, g, w, res)
	for i, pi := range plan.Instances {
		if w.spot[pi.InstanceID] && pi.State != "replaced" {
			plan.Instances[i].State = "lost"
		}
	}
}

// acceptLostSurplus takes the group's desired capacity as expected when it
// is above the expectation by no more than the instances lost without
// ecsctl: an instance reclaimed mid-drain is replaced by the group, and the
// decrement its termination would have made never happens (trimSurplus
// drains the surplus away at the end). Anything else is a changed fleet.
func (w *rotateWatch) acceptLostSurplus(g astypes.AutoScalingGroup, want *groupExpect) {
	if w == nil || w.lost == 0 {
		return
	}
	got := groupCapacity(g)
	if d := got.Desired - want.cap.Desired; d > 0 && d <= w.lost && got.Min == want.cap.Min && got.Max == want.cap.Max {
		want.cap.Desired = got.Desired
	}
}

// trimSurplus brings the group back to its original desired capacity when
// instances lost mid-drain left it above (at most one instance per lost
// one: a raise by someone else is left alone). It drains the surplus new
// instances with the fewest tasks, then terminates them with decrement.
func (r *Rotator) trimSurplus(ctx context.Context, req RotateRequest, plan *RotatePlan, run rotateRun, w *rotateWatch, res *RotateResult) error {
	if w.lost == 0 {
		return nil
	}
	g, err := r.describeGroup(ctx, plan.ASG)
	if err != nil {
		return interrupted(ctx, err)
	}
	surplus := min(int(aws.ToInt32(g.DesiredCapacity))-run.Orig.Desired, w.lost)
	if surplus <= 0 {
		return nil
	}
	// The group's replacement must be up first: its room takes the tasks.
	if _, err := r.waitInstances(ctx, plan.Cluster, plan.ASG, map[string]bool{}, run.AMI, -1, req.TimeoutPerBatch); err != nil {
		return err
	}
	dc, err := snapshotCluster(ctx, r.ECS, r.ECS, plan.Cluster)
	if err != nil {
		return interrupted(ctx, err)
	}
	var cands []*drainInstance
	for _, in := range dc.Instances {
		if m, ok := findMember(g, in.EC2ID); ok && liveMember(m) && in.Status == "ACTIVE" && in.AMI == run.AMI {
			cands = append(cands, in)
		}
	}
	sort.SliceStable(cands, func(i, j int) bool { return len(movingTasks(cands[i])) < len(movingTasks(cands[j])) })
	pick := map[string]string{}
	for _, in := range cands[:min(surplus, len(cands))] {
		pick[in.EC2ID] = in.Arn
	}
	if len(pick) == 0 {
		return nil
	}
	r.emit(plan.Cluster, ops.EventInfo, "%s is %d above its original desired capacity %d after losing an instance mid-drain: draining %s",
		plan.ASG, len(pick), run.Orig.Desired, strings.Join(slices.Sorted(maps.Keys(pick)), ", "))
	if _, err := r.drainer().Drain(ctx, DrainBatch{Cluster: plan.Cluster, ASG: plan.ASG, Instances: pick, Standalone: req.Standalone,
		Timeout: req.TimeoutPerBatch, Batch: 1, Batches: 1}); err != nil {
		return err
	}
	var arns []string
	for _, id := range slices.Sorted(maps.Keys(pick)) {
		arns = append(arns, pick[id])
	}
	res.Notes = append(res.Notes, fmt.Sprintf("drained %s away to restore the original desired capacity %d", strings.Join(slices.Sorted(maps.Keys(pick)), ", "), run.Orig.Desired))
	return r.drainer().WaitDeregistered(ctx, plan.Cluster, arns, 10*time.Minute)
}

// setProtection sets scale-in protection on members of a group. An instance
// that left the group in the meantime (a Spot interruption between reading
// the group and this call) makes Auto Scaling refuse the whole call ("The
// instance … is not part of Auto Scaling group …"): the calls are made
// again for the instances still in it and not yet set. done gets each
// call's instances once it succeeded.
func (r *Rotator) setProtection(ctx context.Context, group string, ids []string, on bool, done func(batch []string)) error {
	set := map[string]bool{}
	mark := func(batch []string) {
		for _, id := range batch {
			set[id] = true
		}
		if done != nil {
			done(batch)
		}
	}
	err := awsapi.SetInstanceProtection(ctx, r.ASG, group, ids, on, mark)
	if err == nil || !strings.Contains(err.Error(), "is not part of Auto Scaling group") {
		return err
	}
	g, derr := r.describeGroup(ctx, group)
	if derr != nil {
		return err
	}
	var still []string
	for _, id := range ids {
		if m, ok := findMember(g, id); ok && liveMember(m) && !set[id] {
			still = append(still, id)
		}
	}
	return awsapi.SetInstanceProtection(ctx, r.ASG, group, still, on, mark)
}
