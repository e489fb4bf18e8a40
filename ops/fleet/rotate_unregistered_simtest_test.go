package fleet_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"ecsctl/ops"
	"ecsctl/ops/fleet"
	"ecsctl/sim"
	"ecsctl/sim/simtest"
)

// lateWorld is the small world with one more old-AMI instance whose ECS
// agent registers registerAfter after the world loads (the sandbox settles
// 10 minutes before the test begins): InService in the group, not in the
// cluster when the plan is made.
func lateWorld(t *testing.T, maxSize int, registerAfter time.Duration) *sim.World {
	t.Helper()
	w, err := sim.BuiltinWorld("small")
	if err != nil {
		t.Fatal(err)
	}
	g := &w.AutoScalingGroups[0]
	g.Desired, g.Max = g.Desired+1, maxSize
	g.Instances = append(g.Instances, sim.InstanceGroupSpec{Count: 1, AMI: sim.DemoOldAMI, LaunchTemplateVersion: "1", AgeHours: 1,
		RegisterAfter: sim.Duration(registerAfter)})
	return w
}

// lateInstance is the group's member not registered in the cluster.
func (c simCluster) lateInstance(group, cluster string) string {
	c.t.Helper()
	reg := map[string]bool{}
	for _, ci := range c.instances(cluster) {
		reg[aws.ToString(ci.Ec2InstanceId)] = true
	}
	var late []string
	for _, m := range c.group(group).Instances {
		if !reg[aws.ToString(m.InstanceId)] {
			late = append(late, aws.ToString(m.InstanceId))
		}
	}
	if len(late) != 1 {
		c.t.Fatalf("members not registered: %v, want one", late)
	}
	return late[0]
}

// registered: the instance is in the cluster.
func (c simCluster) registered(cluster, id string) bool {
	c.t.Helper()
	for _, ci := range c.instances(cluster) {
		if aws.ToString(ci.Ec2InstanceId) == id {
			return true
		}
	}
	return false
}

// simRotator is a Rotator over the sandbox that polls every 15 s of
// account time: each poll re-reads the cluster, and on the demo world's 50
// instances the default 5 s makes a rotation three times the work (under
// -race, most of a test's time) for the same outcome.
func simRotator(sb *simtest.Sandbox, progress func(ops.Event)) *fleet.Rotator {
	return &fleet.Rotator{ECS: ecs.NewFromConfig(sb.Config), ASG: autoscaling.NewFromConfig(sb.Config), EC2: ec2.NewFromConfig(sb.Config),
		SSM: ssm.NewFromConfig(sb.Config), ELB: elasticloadbalancingv2.NewFromConfig(sb.Config), Clock: sb.Clock, Progress: progress,
		PollInterval: 15 * time.Second}
}

// checkLateReplaced: the run replaced the late instance like the others and
// left the group whole, every container instance ACTIVE on the new AMI and
// no task killed.
func (c simCluster) checkLateReplaced(sb *simtest.Sandbox, res *fleet.RotateResult, late string, desired int) {
	t := c.t
	t.Helper()
	if !slices.Contains(res.Replaced, late) {
		t.Errorf("late instance %s not among the replaced %v", late, res.Replaced)
	}
	g := c.group("small-ecs")
	if int(aws.ToInt32(g.DesiredCapacity)) != desired {
		t.Errorf("desired capacity %d, want %d", aws.ToInt32(g.DesiredCapacity), desired)
	}
	for _, m := range g.Instances {
		if aws.ToString(m.InstanceId) == late {
			t.Errorf("late instance %s still in the group (%s)", late, m.LifecycleState)
		}
	}
	byState := map[string]int{}
	for _, ci := range c.instances("small") {
		byState[aws.ToString(ci.Status)+" "+amiOf(ci.Attributes)]++
	}
	if byState["ACTIVE "+sim.DemoNewAMI] != desired || len(byState) != 1 {
		t.Errorf("container instances by status and AMI: %v, want %d ACTIVE on the new AMI", byState, desired)
	}
	rep := sb.Sim.Report()
	if len(rep.Violations) != 0 || len(rep.TerminatedWithTasks) != 0 || len(rep.KilledNoReplacement) != 0 {
		t.Errorf("invariants broken: %+v %+v %+v", rep.Violations, rep.TerminatedWithTasks, rep.KilledNoReplacement)
	}
}

// An old-AMI member of the group that is InService but whose agent has not
// registered yet is in the plan, held until it registers, then drained in
// its batch like the others: never left on the old AMI.
func TestSimRotateWaitsForAnOldInstanceNotYetRegistered(t *testing.T) {
	t.Parallel()
	sb := simtest.StartWorld(t, lateWorld(t, 6, 22*time.Minute), simtest.Options{})
	c := simCluster{t: t, ecs: ecs.NewFromConfig(sb.Config), asg: autoscaling.NewFromConfig(sb.Config), ec2: ec2.NewFromConfig(sb.Config)}
	late := c.lateInstance("small-ecs", "small")
	sb.Sim.ResetReport()

	var waited bool
	r := simRotator(sb, func(ev ops.Event) {
		waited = waited || strings.Contains(ev.Message, late) && strings.Contains(ev.Message, "register")
	})
	plan, err := r.Preflight(t.Context(), fleet.RotateRequest{Cluster: "small", Standalone: fleet.StandaloneStop, Surge: -1})
	if err != nil {
		t.Fatal(err)
	}
	var held *fleet.RotatePlanInstance
	for i, pi := range plan.Instances {
		if pi.InstanceID == late {
			held = &plan.Instances[i]
		}
	}
	if held == nil || held.State != fleet.RotatePendingRegistration || held.AMI != sim.DemoOldAMI || len(plan.Instances) != 3 {
		t.Fatalf("plan instances %+v: want the 3 old ones, %s among them pending registration", plan.Instances, late)
	}
	if !strings.Contains(strings.Join(plan.Notes, "\n"), late+" of small-ecs runs "+sim.DemoOldAMI) {
		t.Errorf("no plan note on %s: %q", late, plan.Notes)
	}
	res, err := r.Apply(t.Context(), fleet.RotateRequest{Cluster: "small", Standalone: fleet.StandaloneStop, Surge: -1}, plan)
	if err != nil || res.Outcome != fleet.RotateCompleted {
		t.Fatalf("rotate: %v (outcome %s: %s)", err, res.Outcome, res.Reason)
	}
	if !waited {
		t.Errorf("no progress event said the run waits for %s to register", late)
	}
	c.checkLateReplaced(sb, res, late, 4)
}

// The flake of TestE2ERotateResumesAfterBeingKilled: a run killed after its
// first termination is resumed while an old-AMI member of the group is
// still not registered; the resumed plan holds it and replaces it.
func TestSimRotateResumedRunReplacesAnOldInstanceNotYetRegistered(t *testing.T) {
	t.Parallel()
	sb := simtest.StartWorld(t, lateWorld(t, 6, 30*time.Minute), simtest.Options{})
	c := simCluster{t: t, ecs: ecs.NewFromConfig(sb.Config), asg: autoscaling.NewFromConfig(sb.Config), ec2: ec2.NewFromConfig(sb.Config)}
	late := c.lateInstance("small-ecs", "small")
	sb.Sim.ResetReport()
	req := fleet.RotateRequest{Cluster: "small", Standalone: fleet.StandaloneStop, Batch: 1, Surge: 1}

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	_, err := simRotator(sb, func(ev ops.Event) {
		if strings.Contains(ev.Message, "terminated through") {
			cancel()
		}
	}).Rotate(ctx, req)
	if !errors.Is(err, ops.ErrInterrupted) {
		t.Fatalf("first run: %v, want interrupted after its first termination", err)
	}
	if c.registered("small", late) {
		t.Fatal("the late instance registered before the resume: the test no longer covers the resumed plan")
	}

	res, err := simRotator(sb, nil).Rotate(t.Context(), req)
	if err != nil || res.Outcome != fleet.RotateCompleted || !res.Plan.Resuming {
		t.Fatalf("resume: %v (outcome %s: %s, resuming %v)", err, res.Outcome, res.Reason, res.Plan.Resuming)
	}
	c.checkLateReplaced(sb, res, late, 4)
}

// An agent that never registers is waited for only so long: the run
// pauses before its batch with nothing of the batch drained, and the
// instance, held, is neither terminated nor forgotten.
func TestSimRotatePausesWhenAHeldInstanceNeverRegisters(t *testing.T) {
	t.Parallel()
	sb := simtest.StartWorld(t, lateWorld(t, 6, 48*time.Hour), simtest.Options{})
	c := simCluster{t: t, ecs: ecs.NewFromConfig(sb.Config), asg: autoscaling.NewFromConfig(sb.Config), ec2: ec2.NewFromConfig(sb.Config)}
	late := c.lateInstance("small-ecs", "small")
	r := simRotator(sb, nil)
	r.BootTimeout = 10 * time.Minute
	res, err := r.Rotate(t.Context(), fleet.RotateRequest{Cluster: "small", Standalone: fleet.StandaloneStop, Surge: -1})
	var pe *fleet.PauseError
	if !errors.As(err, &pe) || res.Outcome != fleet.RotatePaused || !strings.Contains(res.Reason, late+" of small-ecs not registered in cluster small after 10m0s") {
		t.Fatalf("rotate: %v (outcome %s), want a pause on %s", err, res.Outcome, late)
	}
	if len(res.Replaced) != 2 || slices.Contains(res.Replaced, late) {
		t.Errorf("replaced %v: want the two registered old instances, not %s", res.Replaced, late)
	}
	held := false
	for _, m := range c.group("small-ecs").Instances {
		held = held || aws.ToString(m.InstanceId) == late && m.LifecycleState == "InService"
	}
	if !held {
		t.Errorf("%s is no longer InService in the group", late)
	}
	tags, err := c.ec2.DescribeTags(t.Context(), &ec2.DescribeTagsInput{Filters: []ec2types.Filter{{Name: aws.String("resource-id"), Values: []string{late}}}})
	if err != nil {
		t.Fatal(err)
	}
	marked := false
	for _, tg := range tags.Tags {
		marked = marked || aws.ToString(tg.Key) == "ecsctl:rotation-old"
	}
	if !marked {
		t.Errorf("%s not marked old for the run: a re-run would not know it", late)
	}
}
