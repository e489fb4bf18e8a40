package sim

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
)

func edgeSim(t *testing.T) *Sim {
	t.Helper()
	s := New(Options{ManualClock: true, Start: ec2TestStart})
	if err := s.LoadWorld(edgeWorld()); err != nil {
		t.Fatal(err)
	}
	return s
}

func groupDesired(t *testing.T, s *Sim, name string) int32 {
	t.Helper()
	out := ec2MustCall(t, s, (*Sim).asgDescribeAutoScalingGroups, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{name}})
	return aws.ToInt32(out.AutoScalingGroups[0].DesiredCapacity)
}

// ECS managed scaling takes a manual scale-out back once the extra
// instances have been idle for 15 minutes, and not before.
func TestManagedScalingTakesBackIdleCapacity(t *testing.T) {
	s := edgeSim(t)
	ec2MustCall(t, s, (*Sim).asgSetDesiredCapacity, &autoscaling.SetDesiredCapacityInput{AutoScalingGroupName: aws.String(EdgeManagedASG), DesiredCapacity: aws.Int32(5)})
	s.Advance(10 * time.Minute)
	if d := groupDesired(t, s, EdgeManagedASG); d != 5 {
		t.Fatalf("desired %d after 10 minutes, want the 5 asked for (scale-in waits 15 minutes)", d)
	}
	s.Advance(10 * time.Minute)
	if d := groupDesired(t, s, EdgeManagedASG); d != 3 {
		t.Fatalf("desired %d after 20 minutes, want 3 (the instances running tasks)", d)
	}
	if d := groupDesired(t, s, "hooked-ecs"); d != 3 {
		t.Errorf("a group without managed scaling changed: desired %d", d)
	}
}

// The hooked group: hook with its own timeout, policy, scheduled action and
// a warm pool of stopped instances on the old AMI.
func TestHookedGroupShapes(t *testing.T) {
	s := New(Options{ManualClock: true, Start: ec2TestStart})
	w := edgeWorld()
	for i := range w.AutoScalingGroups {
		if w.AutoScalingGroups[i].Name == EdgeHookedASG {
			w.AutoScalingGroups[i] = HookedGroup(time.Hour, true)
		}
	}
	if err := s.LoadWorld(w); err != nil {
		t.Fatal(err)
	}
	name := aws.String(EdgeHookedASG)
	hooks := ec2MustCall(t, s, (*Sim).asgDescribeLifecycleHooks, &autoscaling.DescribeLifecycleHooksInput{AutoScalingGroupName: name})
	if len(hooks.LifecycleHooks) != 1 || aws.ToInt32(hooks.LifecycleHooks[0].HeartbeatTimeout) != 300 || aws.ToString(hooks.LifecycleHooks[0].DefaultResult) != "CONTINUE" {
		t.Errorf("hooks %+v", hooks.LifecycleHooks)
	}
	pol := ec2MustCall(t, s, (*Sim).asgDescribePolicies, &autoscaling.DescribePoliciesInput{AutoScalingGroupName: name})
	if len(pol.ScalingPolicies) != 1 || aws.ToFloat64(pol.ScalingPolicies[0].TargetTrackingConfiguration.TargetValue) != 50 {
		t.Errorf("policies %+v", pol.ScalingPolicies)
	}
	wp := ec2MustCall(t, s, (*Sim).asgDescribeWarmPool, &autoscaling.DescribeWarmPoolInput{AutoScalingGroupName: name})
	if len(wp.Instances) != 2 || wp.WarmPoolConfiguration == nil || string(wp.Instances[0].LifecycleState) != "Warmed:Stopped" {
		t.Fatalf("warm pool %+v %+v", wp.WarmPoolConfiguration, wp.Instances)
	}
	inst := ec2MustCall(t, s, (*Sim).ec2DescribeInstances, &ec2.DescribeInstancesInput{InstanceIds: []string{aws.ToString(wp.Instances[0].InstanceId)}})
	if i := inst.Reservations[0].Instances[0]; aws.ToString(i.ImageId) != DemoOldAMI || i.State.Name != "stopped" {
		t.Errorf("pooled instance %s %s", aws.ToString(i.ImageId), i.State.Name)
	}

	// A scale-out takes the pooled instances first, on their old AMI.
	ec2MustCall(t, s, (*Sim).asgSetDesiredCapacity, &autoscaling.SetDesiredCapacityInput{AutoScalingGroupName: name, DesiredCapacity: aws.Int32(4)})
	s.Advance(5 * time.Minute)
	var joined []*asgMember
	for _, p := range wp.Instances {
		if m := s.asg.Groups[EdgeHookedASG].Members[aws.ToString(p.InstanceId)]; m != nil {
			joined = append(joined, m)
		}
	}
	if len(joined) != 1 || joined[0].Lifecycle != "InService" || joined[0].ImageID != DemoOldAMI || s.ecs.EC2Index[joined[0].InstanceID] == "" {
		t.Fatalf("after a scale-out of one: %d pooled instance(s) joined (%+v), want one InService on the old AMI and registered", len(joined), joined)
	}
	if wp := ec2MustCall(t, s, (*Sim).asgDescribeWarmPool, &autoscaling.DescribeWarmPoolInput{AutoScalingGroupName: name}); len(wp.Instances) != 1 {
		t.Errorf("warm pool has %d instances after one left it, want 1", len(wp.Instances))
	}
	ec2MustCall(t, s, (*Sim).asgSetDesiredCapacity, &autoscaling.SetDesiredCapacityInput{AutoScalingGroupName: name, DesiredCapacity: aws.Int32(3)})
	s.Advance(10 * time.Minute)

	// Terminating:Wait lasts the hook's heartbeat unless completed.
	ec2MustCall(t, s, (*Sim).asgSetDesiredCapacity, &autoscaling.SetDesiredCapacityInput{AutoScalingGroupName: name, DesiredCapacity: aws.Int32(2)})
	s.Advance(time.Minute)
	waiting := func() int {
		n := 0
		for _, m := range s.asg.Groups[EdgeHookedASG].Members {
			if m.Lifecycle == "Terminating:Wait" {
				n++
			}
		}
		return n
	}
	if waiting() != 1 {
		t.Fatalf("%d members in Terminating:Wait a minute after a scale-in, want 1", waiting())
	}
	s.Advance(5 * time.Minute)
	if waiting() != 0 {
		t.Fatalf("still in Terminating:Wait after the 300 s heartbeat")
	}

	// The scheduled action sets desired 3 at its time; a suspended
	// ScheduledActions process skips it.
	s.Advance(time.Hour)
	if d := groupDesired(t, s, EdgeHookedASG); d != 3 {
		t.Errorf("desired %d after the scheduled action, want 3", d)
	}
	acts := ec2MustCall(t, s, (*Sim).asgDescribeScheduledActions, &autoscaling.DescribeScheduledActionsInput{AutoScalingGroupName: name})
	if len(acts.ScheduledUpdateGroupActions) != 1 {
		t.Errorf("scheduled actions %+v (a recurring one stays)", acts.ScheduledUpdateGroupActions)
	}
}
