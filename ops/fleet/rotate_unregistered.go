package fleet

import (
	"context"
	"ecsctl/ops"
	"ecsctl/ops/awsapi"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// RotatePendingRegistration is the plan state of an old-AMI member of the
// group that is InService but not registered in the cluster yet.
//
// Auto Scaling puts an instance InService once it "is fully configured and
// passes the Amazon EC2 health checks" (EC2 Auto Scaling User Guide,
// "Amazon EC2 Auto Scaling instance lifecycle"); that says nothing of the
// ECS agent. A container instance is
// an instance "running the Amazon ECS agent and has been registered with a
// cluster" (ContainerInstance, ECS API Reference): the agent registers it
// only once it has started — a minute or more on a slow boot, never when
// it cannot reach ECS (aws/amazon-ecs-agent issue 605). Such an
// instance is still on the old AMI: left out of the plan it would stay
// there, and once it registered the run would find an old instance it does
// not know (or take it for a new one). So the plan holds it: its batch
// waits for it to register and then drains it like the others. Nothing is
// terminated before ECS knows what runs on it.
const RotatePendingRegistration = "pending-registration"

// holdUnregistered looks at the group's live InService members that the
// cluster does not list (ids, sorted): those on another AMI than the
// target, or tagged old by the run being resumed, are returned as old
// instances awaiting registration (recorded in st.awaiting); the others are
// left alone, as before. Their AMI is EC2's: there is no container
// instance to read it from.
func (r *Rotator) holdUnregistered(ctx context.Context, st *rotateState, ids []string) ([]*drainInstance, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	images := map[string]string{}
	err := eachInstance(ctx, r.EC2, ids, func(in ec2types.Instance) {
		images[aws.ToString(in.InstanceId)] = aws.ToString(in.ImageId)
	})
	if err != nil {
		return nil, err
	}
	plan := st.plan
	var held []*drainInstance
	for _, id := range ids {
		image, ok := images[id]
		if !ok || image == plan.TargetAMI && !st.oldTags[id] {
			plan.Notes = append(plan.Notes, fmt.Sprintf("instance %s of %s is not registered in cluster %s (it is left alone)", id, plan.ASG, plan.Cluster))
			continue
		}
		m := st.members[id]
		held = append(held, &drainInstance{EC2ID: id, AZ: aws.ToString(m.AvailabilityZone), AMI: image, Type: aws.ToString(m.InstanceType)})
		st.awaiting[id] = true
	}
	return held, nil
}

// unregisteredMembers lists the group's live InService members the
// cluster snapshot does not hold, sorted.
func unregisteredMembers(st *rotateState) []string {
	var out []string
	for id, m := range st.members {
		if _, ok := st.cluster.ByEC2[id]; !ok && liveMember(m) && m.LifecycleState == astypes.LifecycleStateInService {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// awaitingAgent: an old instance of the plan with no container instance
// yet (held by holdUnregistered).
func awaitingAgent(in *drainInstance) bool { return in.Arn == "" }

// noteHeld says in the plan which instances are held and in which batch.
func (r *Rotator) noteHeld(plan *RotatePlan, limit time.Duration) {
	for _, pi := range plan.Instances {
		if pi.State == RotatePendingRegistration {
			plan.Notes = append(plan.Notes, fmt.Sprintf("instance %s of %s runs %s and is InService, but its ECS agent has not registered it in cluster %s yet: batch %d waits for it to register (up to %s), then drains it like the others",
				pi.InstanceID, plan.ASG, pi.AMI, plan.Cluster, pi.Batch, r.bootWait(limit)))
		}
	}
}

// bootWait is how long the run waits for an instance to come up: BootTimeout
// (default 15m), never longer than the command's own limit.
func (r *Rotator) bootWait(limit time.Duration) time.Duration {
	timeout := r.BootTimeout
	if timeout <= 0 {
		timeout = 15 * time.Minute
	}
	if limit > 0 && limit < timeout {
		timeout = limit
	}
	return timeout
}

// awaitAgents waits, before batch b drains, until the batch's instances
// that were held for registration are in the cluster, and returns the
// snapshot that shows them. An instance that left the group meanwhile is
// not waited for (the re-check after this reports it). Bounded by
// bootWait: then the run pauses with nothing of the batch drained.
func (r *Rotator) awaitAgents(ctx context.Context, st *rotateState, dc *drainCluster, batchIDs []string, b int, limit time.Duration) (*drainCluster, error) {
	plan := st.plan
	timeout := r.bootWait(limit)
	deadline := r.clock().Now().Add(timeout)
	d := r.drainer()
	last := ""
	for {
		var waiting []string
		for _, id := range batchIDs {
			if st.awaiting[id] && dc.ByEC2[id] == nil {
				waiting = append(waiting, id)
			}
		}
		if len(waiting) > 0 {
			g, err := r.describeGroup(ctx, plan.ASG)
			if err != nil && !awsapi.Transient(err) {
				return nil, interrupted(ctx, err)
			}
			if err == nil {
				waiting = slices.DeleteFunc(waiting, func(id string) bool {
					m, ok := findMember(g, id)
					return !ok || !liveMember(m)
				})
			}
		}
		if len(waiting) == 0 {
			return dc, nil
		}
		if msg := strings.Join(waiting, ", "); msg != last {
			r.emit(plan.Cluster, ops.EventProgress, "batch %d/%d waiting for old instance(s) %s to register in cluster %s (InService, ECS agent not registered yet)", b, plan.Batches, msg, plan.Cluster)
			last = msg
		}
		if r.clock().Now().After(deadline) {
			return nil, &PauseError{Reason: fmt.Sprintf("old instance(s) %s of %s not registered in cluster %s after %s", strings.Join(limitList(waiting, 4), ", "), plan.ASG, plan.Cluster, timeout),
				Advice: fmt.Sprintf("nothing of batch %d was drained; check the ECS agent on them, then re-run the same command to continue, or abort the rotation", b)}
		}
		if err := d.sleep(ctx, d.interval()); err != nil {
			return nil, err
		}
		next, err := snapshotCluster(ctx, r.ECS, r.ECS, plan.Cluster)
		switch {
		case err == nil:
			dc = next
		case !awsapi.Transient(err):
			return nil, interrupted(ctx, err)
		}
	}
}
