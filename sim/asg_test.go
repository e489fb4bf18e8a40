package sim

import (
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

const group = "ecs-prod"

func describeGroup(t *testing.T, s *Sim) astypes.AutoScalingGroup {
	t.Helper()
	out := ec2MustCall(t, s, (*Sim).asgDescribeAutoScalingGroups, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{group}})
	if len(out.AutoScalingGroups) != 1 {
		t.Fatalf("group %s not found", group)
	}
	return out.AutoScalingGroups[0]
}

// members lists the group's instances by lifecycle state.
func members(t *testing.T, s *Sim) map[string][]astypes.Instance {
	t.Helper()
	out := map[string][]astypes.Instance{}
	for _, in := range describeGroup(t, s).Instances {
		out[string(in.LifecycleState)] = append(out[string(in.LifecycleState)], in)
	}
	return out
}

// zonesOf counts in-service members per zone.
func zonesOf(t *testing.T, s *Sim) map[string]int {
	t.Helper()
	z := map[string]int{}
	for _, in := range members(t, s)["InService"] {
		z[aws.ToString(in.AvailabilityZone)]++
	}
	return z
}

func timelineHas(s *Sim, kind, part string) bool {
	for _, e := range s.Report().Timeline {
		if e.Kind == kind && strings.Contains(e.Detail, part) {
			return true
		}
	}
	return false
}

func setDesired(t *testing.T, s *Sim, n int32) {
	t.Helper()
	ec2MustCall(t, s, (*Sim).asgSetDesiredCapacity, &autoscaling.SetDesiredCapacityInput{AutoScalingGroupName: aws.String(group), DesiredCapacity: aws.Int32(n)})
}

func TestScaleOutLaunchesFromTheGroupsTemplateVersion(t *testing.T) {
	tests := []struct {
		name        string
		version     string
		moveDefault string // ModifyLaunchTemplate after load, before the launch
		wantImage   string
		wantVersion string
	}{
		{"default", "$Default", "", amiOld, "1"},
		{"latest", "$Latest", "", amiNew, "2"},
		{"number", "2", "", amiNew, "2"},
		{"pinned old", "1", "2", amiOld, "1"},
		{"default resolved at launch time", "$Default", "2", amiNew, "2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := watchECS(t)
			w := testWorld(2)
			w.AutoScalingGroups[0].Version = tt.version
			w.AutoScalingGroups[0].Instances[0].LaunchTemplateVersion = "1"
			s := newEC2TestSim(t, w, 0)
			if tt.moveDefault != "" {
				ec2MustCall(t, s, (*Sim).ec2ModifyLaunchTemplate, &ec2.ModifyLaunchTemplateInput{LaunchTemplateName: aws.String("ecs-prod"), DefaultVersion: aws.String(tt.moveDefault)})
			}
			registeredAtLoad := len(calls.registered)
			setDesired(t, s, 3)
			s.Advance(6 * time.Second)
			pending := members(t, s)["Pending"]
			if len(pending) != 1 {
				t.Fatalf("pending members %d, want 1", len(pending))
			}
			p := pending[0]
			if aws.ToString(p.ImageId) != tt.wantImage || aws.ToString(p.LaunchTemplate.Version) != tt.wantVersion {
				t.Fatalf("launched image %s version %s, want %s version %s", aws.ToString(p.ImageId), aws.ToString(p.LaunchTemplate.Version), tt.wantImage, tt.wantVersion)
			}
			if len(calls.registered) != registeredAtLoad {
				t.Fatalf("registered with ECS before booting")
			}
			s.Advance(s.Timings.InstanceBoot.D())
			if len(calls.registered) != registeredAtLoad+1 {
				t.Fatalf("registrations %d, want %d", len(calls.registered), registeredAtLoad+1)
			}
			r := calls.registered[len(calls.registered)-1]
			if r.InstanceID != aws.ToString(p.InstanceId) || r.ImageID != tt.wantImage || r.Cluster != "prod" || r.ASGName != group {
				t.Fatalf("registered %+v", r)
			}
			if n := len(members(t, s)["InService"]); n != 3 {
				t.Fatalf("in service %d, want 3", n)
			}
			if !timelineHas(s, "asg.launch", aws.ToString(p.InstanceId)) || !timelineHas(s, "asg.desired", "2 → 3") {
				t.Fatalf("timeline lacks the launch or the desired change: %+v", s.Report().Timeline)
			}
		})
	}
}

func TestScaleOutSpreadsOverZones(t *testing.T) {
	s := newEC2TestSim(t, testWorld(1), 0)
	setDesired(t, s, 7)
	s.Advance(3 * time.Minute)
	z := zonesOf(t, s)
	if z["us-east-1a"] != 3 || z["us-east-1b"] != 2 || z["us-east-1c"] != 2 {
		t.Fatalf("zones %v, want 3/2/2", z)
	}
}

func TestDesiredCapacityValidation(t *testing.T) {
	s := newEC2TestSim(t, testWorld(3), 0)
	tests := []struct {
		name string
		run  func() error
		msg  string
	}{
		{"set above max", func() error {
			_, err := lockedCall(s, (*Sim).asgSetDesiredCapacity, &autoscaling.SetDesiredCapacityInput{AutoScalingGroupName: aws.String(group), DesiredCapacity: aws.Int32(11)})
			return err
		}, "New SetDesiredCapacity value 11 is above max value 10 for the AutoScalingGroup."},
		{"set below min", func() error {
			_, err := lockedCall(s, (*Sim).asgSetDesiredCapacity, &autoscaling.SetDesiredCapacityInput{AutoScalingGroupName: aws.String(group), DesiredCapacity: aws.Int32(0)})
			return err
		}, "New SetDesiredCapacity value 0 is below min value 1 for the AutoScalingGroup."},
		{"update outside bounds", func() error {
			_, err := lockedCall(s, (*Sim).asgUpdateAutoScalingGroup, &autoscaling.UpdateAutoScalingGroupInput{AutoScalingGroupName: aws.String(group), DesiredCapacity: aws.Int32(11)})
			return err
		}, "Desired capacity:11 must be between the specified min size:1 and max size:10"},
		{"update min above max", func() error {
			_, err := lockedCall(s, (*Sim).asgUpdateAutoScalingGroup, &autoscaling.UpdateAutoScalingGroupInput{AutoScalingGroupName: aws.String(group), MinSize: aws.Int32(5), MaxSize: aws.Int32(4)})
			return err
		}, "Max bound, 4, must be greater than or equal to min bound, 5"},
		{"unknown group", func() error {
			_, err := lockedCall(s, (*Sim).asgSetDesiredCapacity, &autoscaling.SetDesiredCapacityInput{AutoScalingGroupName: aws.String("nope"), DesiredCapacity: aws.Int32(1)})
			return err
		}, "AutoScalingGroup name not found"},
		{"unknown template version", func() error {
			_, err := lockedCall(s, (*Sim).asgUpdateAutoScalingGroup, &autoscaling.UpdateAutoScalingGroupInput{AutoScalingGroupName: aws.String(group),
				LaunchTemplate: &astypes.LaunchTemplateSpecification{LaunchTemplateName: aws.String("ecs-prod"), Version: aws.String("7")}})
			return err
		}, "Could not find launch template version 7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantAPIError(t, tt.run(), "ValidationError", tt.msg)
		})
	}
	// A new minimum above the desired capacity raises it, as AWS does.
	ec2MustCall(t, s, (*Sim).asgUpdateAutoScalingGroup, &autoscaling.UpdateAutoScalingGroupInput{AutoScalingGroupName: aws.String(group), MinSize: aws.Int32(4)})
	if d := aws.ToInt32(describeGroup(t, s).DesiredCapacity); d != 4 {
		t.Fatalf("desired %d, want 4", d)
	}
}

func TestTerminateInstanceInAutoScalingGroup(t *testing.T) {
	tests := []struct {
		name        string
		decrement   bool
		wantDesired int32
		wantLaunch  bool
	}{
		{"with decrement", true, 2, false},
		{"without decrement", false, 3, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := watchECS(t)
			s := newEC2TestSim(t, testWorld(3), 0)
			victim := instancesIn(s, "running")[0]
			out := ec2MustCall(t, s, (*Sim).asgTerminateInstanceInAutoScalingGroup, &autoscaling.TerminateInstanceInAutoScalingGroupInput{
				InstanceId: aws.String(victim), ShouldDecrementDesiredCapacity: aws.Bool(tt.decrement)})
			if out.Activity == nil || aws.ToString(out.Activity.Description) != "Terminating EC2 instance: "+victim ||
				!strings.Contains(aws.ToString(out.Activity.Cause), "in response to a user request") || out.Activity.StatusCode != astypes.ScalingActivityStatusCodeInProgress {
				t.Fatalf("activity %+v", out.Activity)
			}
			if d := aws.ToInt32(describeGroup(t, s).DesiredCapacity); d != tt.wantDesired {
				t.Fatalf("desired %d, want %d", d, tt.wantDesired)
			}
			if len(calls.gone) != 1 || calls.gone[0] != victim {
				t.Fatalf("ecsInstanceGone %v, want [%s]", calls.gone, victim)
			}
			before := len(calls.registered)
			s.Advance(5 * time.Minute)
			if got := instancesIn(s, "terminated"); len(got) != 1 || got[0] != victim {
				t.Fatalf("terminated %v", got)
			}
			m := members(t, s)
			if len(m["InService"]) != int(tt.wantDesired) || len(m) != 1 {
				t.Fatalf("members %v, want %d in service only", m, tt.wantDesired)
			}
			if launched := len(calls.registered) > before; launched != tt.wantLaunch {
				t.Fatalf("replacement launched %v, want %v", launched, tt.wantLaunch)
			}
			acts := ec2MustCall(t, s, (*Sim).asgDescribeScalingActivities, &autoscaling.DescribeScalingActivitiesInput{AutoScalingGroupName: aws.String(group)}).Activities
			if len(acts) == 0 {
				t.Fatal("no scaling activities")
			}
			var term *astypes.Activity
			for i := range acts {
				if strings.Contains(aws.ToString(acts[i].Description), victim) {
					term = &acts[i]
				}
			}
			if term == nil || term.StatusCode != astypes.ScalingActivityStatusCodeSuccessful {
				t.Fatalf("termination activity %+v", term)
			}
		})
	}
}

func TestTerminateInstanceInAutoScalingGroupErrors(t *testing.T) {
	w := testWorld(1)
	s := newEC2TestSim(t, w, 0)
	only := instancesIn(s, "running")[0]
	_, err := lockedCall(s, (*Sim).asgTerminateInstanceInAutoScalingGroup, &autoscaling.TerminateInstanceInAutoScalingGroupInput{
		InstanceId: aws.String(only), ShouldDecrementDesiredCapacity: aws.Bool(true)})
	wantAPIError(t, err, "ValidationError", "Currently, desiredSize equals minSize (1). Terminating instance without replacement will violate group's min size constraint.")
	_, err = lockedCall(s, (*Sim).asgTerminateInstanceInAutoScalingGroup, &autoscaling.TerminateInstanceInAutoScalingGroupInput{
		InstanceId: aws.String("i-0123456789abcdef0"), ShouldDecrementDesiredCapacity: aws.Bool(false)})
	wantAPIError(t, err, "ValidationError", "Instance Id not found - No managed instance found for instance ID: i-0123456789abcdef0")
	_, err = lockedCall(s, (*Sim).asgTerminateInstanceInAutoScalingGroup, &autoscaling.TerminateInstanceInAutoScalingGroupInput{InstanceId: aws.String(only)})
	wantAPIError(t, err, "ValidationError", "shouldDecrementDesiredCapacity")
}

func TestSetInstanceProtection(t *testing.T) {
	s := newEC2TestSim(t, testWorld(3), 0)
	ids := instancesIn(s, "running")
	_, err := lockedCall(s, (*Sim).asgSetInstanceProtection, &autoscaling.SetInstanceProtectionInput{AutoScalingGroupName: aws.String(group),
		InstanceIds: []string{ids[0], "i-0123456789abcdef0"}, ProtectedFromScaleIn: aws.Bool(true)})
	wantAPIError(t, err, "ValidationError", "The instance i-0123456789abcdef0 is not part of Auto Scaling group ecs-prod.")
	many := make([]string, 51)
	for i := range many {
		many[i] = ids[0]
	}
	_, err = lockedCall(s, (*Sim).asgSetInstanceProtection, &autoscaling.SetInstanceProtectionInput{AutoScalingGroupName: aws.String(group), InstanceIds: many, ProtectedFromScaleIn: aws.Bool(true)})
	wantAPIError(t, err, "ValidationError", "limited to 50")

	// Protect two; scaling in to one must take the third.
	ec2MustCall(t, s, (*Sim).asgSetInstanceProtection, &autoscaling.SetInstanceProtectionInput{AutoScalingGroupName: aws.String(group), InstanceIds: ids[:2], ProtectedFromScaleIn: aws.Bool(true)})
	setDesired(t, s, 1)
	s.Advance(2 * time.Minute)
	if got := instancesIn(s, "terminated"); len(got) != 1 || got[0] != ids[2] {
		t.Fatalf("terminated %v, want only the unprotected %s", got, ids[2])
	}
	if n := len(members(t, s)["InService"]); n != 2 {
		t.Fatalf("in service %d, want the 2 protected ones", n)
	}
	if !timelineHas(s, "asg.scaleInBlocked", group) {
		t.Fatal("want the blocked scale-in on the timeline")
	}
	// Unprotecting lets the group finish scaling in.
	ec2MustCall(t, s, (*Sim).asgSetInstanceProtection, &autoscaling.SetInstanceProtectionInput{AutoScalingGroupName: aws.String(group), InstanceIds: ids[:1], ProtectedFromScaleIn: aws.Bool(false)})
	s.Advance(2 * time.Minute)
	if got := members(t, s)["InService"]; len(got) != 1 || aws.ToString(got[0].InstanceId) != ids[1] {
		t.Fatalf("in service %v, want %s", got, ids[1])
	}
}

func TestSuspendedProcessesStopTheGroup(t *testing.T) {
	tests := []struct {
		name      string
		process   string
		desired   int32
		wantStuck int // in-service count while suspended
		wantAfter int // after resuming
	}{
		{"Launch stops scale-out", "Launch", 5, 3, 5},
		{"Terminate stops scale-in", "Terminate", 1, 3, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := watchECS(t)
			s := newEC2TestSim(t, testWorld(3), 0)
			ec2MustCall(t, s, (*Sim).asgSuspendProcesses, &autoscaling.SuspendProcessesInput{AutoScalingGroupName: aws.String(group), ScalingProcesses: []string{tt.process}})
			sp := describeGroup(t, s).SuspendedProcesses
			if len(sp) != 1 || aws.ToString(sp[0].ProcessName) != tt.process || !strings.HasPrefix(aws.ToString(sp[0].SuspensionReason), "User suspended at ") {
				t.Fatalf("suspended processes %+v", sp)
			}
			registered, gone := len(calls.registered), len(calls.gone)
			setDesired(t, s, tt.desired)
			s.Advance(10 * time.Minute)
			if n := len(members(t, s)["InService"]); n != tt.wantStuck || len(calls.registered) != registered || len(calls.gone) != gone {
				t.Fatalf("while suspended: %d in service, %d registrations, %d gone", n, len(calls.registered)-registered, len(calls.gone)-gone)
			}
			ec2MustCall(t, s, (*Sim).asgResumeProcesses, &autoscaling.ResumeProcessesInput{AutoScalingGroupName: aws.String(group)})
			s.Advance(5 * time.Minute)
			if n := len(members(t, s)["InService"]); n != tt.wantAfter {
				t.Fatalf("after resume: %d in service, want %d", n, tt.wantAfter)
			}
		})
	}
	s := newEC2TestSim(t, testWorld(1), 0)
	_, err := lockedCall(s, (*Sim).asgSuspendProcesses, &autoscaling.SuspendProcessesInput{AutoScalingGroupName: aws.String(group), ScalingProcesses: []string{"Launching"}})
	wantAPIError(t, err, "ValidationError", "Launching")
}

func TestAZRebalanceTerminatesWithoutDraining(t *testing.T) {
	tests := []struct {
		name    string
		suspend []string
		want    bool
	}{
		{"rebalances", nil, true},
		{"AZRebalance suspended", []string{"AZRebalance"}, false},
		{"Launch suspended", []string{"Launch"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := watchECS(t)
			s := newEC2TestSim(t, testWorld(6), 0) // 2/2/2
			if tt.suspend != nil {
				ec2MustCall(t, s, (*Sim).asgSuspendProcesses, &autoscaling.SuspendProcessesInput{AutoScalingGroupName: aws.String(group), ScalingProcesses: tt.suspend})
			}
			// An operator removes both instances of zone a, decrementing: 0/2/2.
			var inA []string
			for _, in := range members(t, s)["InService"] {
				if aws.ToString(in.AvailabilityZone) == "us-east-1a" {
					inA = append(inA, aws.ToString(in.InstanceId))
				}
			}
			for _, id := range inA {
				ec2MustCall(t, s, (*Sim).asgTerminateInstanceInAutoScalingGroup, &autoscaling.TerminateInstanceInAutoScalingGroupInput{
					InstanceId: aws.String(id), ShouldDecrementDesiredCapacity: aws.Bool(true)})
			}
			s.Advance(10 * time.Minute)
			z := zonesOf(t, s)
			extraGone := len(calls.gone) - len(inA)
			if !tt.want {
				if z["us-east-1a"] != 0 || extraGone != 0 {
					t.Fatalf("zones %v, %d further terminations; want none", z, extraGone)
				}
				return
			}
			if z["us-east-1a"] != 1 || z["us-east-1b"]+z["us-east-1c"] != 3 {
				t.Fatalf("zones %v, want one back in us-east-1a and 3 elsewhere", z)
			}
			if extraGone != 1 || contains(inA, calls.gone[len(calls.gone)-1]) {
				t.Fatalf("ecsInstanceGone calls %v; want one more, for an instance outside zone a", calls.gone)
			}
			if d := aws.ToInt32(describeGroup(t, s).DesiredCapacity); d != 4 {
				t.Fatalf("desired %d, want 4", d)
			}
			if !timelineHas(s, "asg.terminate", "AZRebalance") || !timelineHas(s, "asg.launch", "AZRebalance") {
				t.Fatal("timeline lacks the rebalancing launch and termination")
			}
		})
	}
}

func TestEC2TerminateOfAMemberIsReplaced(t *testing.T) {
	tests := []struct {
		name        string
		suspend     string
		wantHealth  string
		wantReplace bool
	}{
		{"replaced", "", "", true},
		{"ReplaceUnhealthy suspended", "ReplaceUnhealthy", "Unhealthy", false},
		{"HealthCheck suspended", "HealthCheck", "Healthy", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := watchECS(t)
			s := newEC2TestSim(t, testWorld(3), 0)
			if tt.suspend != "" {
				ec2MustCall(t, s, (*Sim).asgSuspendProcesses, &autoscaling.SuspendProcessesInput{AutoScalingGroupName: aws.String(group), ScalingProcesses: []string{tt.suspend}})
			}
			victim := instancesIn(s, "running")[0]
			ec2MustCall(t, s, (*Sim).ec2TerminateInstances, &ec2.TerminateInstancesInput{InstanceIds: []string{victim}})
			before := len(calls.registered)
			s.Advance(5 * time.Minute)
			if d := aws.ToInt32(describeGroup(t, s).DesiredCapacity); d != 3 {
				t.Fatalf("desired %d, want 3 (EC2 termination does not decrement)", d)
			}
			replaced := len(calls.registered) > before
			if replaced != tt.wantReplace {
				t.Fatalf("replaced %v, want %v", replaced, tt.wantReplace)
			}
			if !tt.wantReplace {
				var health string
				for _, in := range members(t, s)["InService"] {
					if aws.ToString(in.InstanceId) == victim {
						health = aws.ToString(in.HealthStatus)
					}
				}
				if health != tt.wantHealth {
					t.Fatalf("victim health %q, want %q still in service", health, tt.wantHealth)
				}
				ec2MustCall(t, s, (*Sim).asgResumeProcesses, &autoscaling.ResumeProcessesInput{AutoScalingGroupName: aws.String(group)})
				s.Advance(5 * time.Minute)
				if len(calls.registered) == before {
					t.Fatal("not replaced after resuming")
				}
			}
			m := members(t, s)
			if len(m["InService"]) != 3 || len(m) != 1 {
				t.Fatalf("members %v, want 3 in service", m)
			}
		})
	}
}

func TestLifecycleHookDelaysTermination(t *testing.T) {
	calls := watchECS(t)
	w := testWorld(3)
	w.AutoScalingGroups[0].LifecycleHooks = []string{"drain-on-terminate"}
	s := newEC2TestSim(t, w, 0)
	hooks := ec2MustCall(t, s, (*Sim).asgDescribeLifecycleHooks, &autoscaling.DescribeLifecycleHooksInput{AutoScalingGroupName: aws.String(group)}).LifecycleHooks
	if len(hooks) != 1 || aws.ToString(hooks[0].LifecycleTransition) != "autoscaling:EC2_INSTANCE_TERMINATING" {
		t.Fatalf("hooks %+v", hooks)
	}
	ids := instancesIn(s, "running")
	for _, id := range ids[:2] {
		ec2MustCall(t, s, (*Sim).asgTerminateInstanceInAutoScalingGroup, &autoscaling.TerminateInstanceInAutoScalingGroupInput{
			InstanceId: aws.String(id), ShouldDecrementDesiredCapacity: aws.Bool(true)})
	}
	if n := len(members(t, s)["Terminating:Wait"]); n != 2 || len(calls.gone) != 0 {
		t.Fatalf("%d waiting, %d gone; want 2 waiting on the hook and none gone", n, len(calls.gone))
	}
	acts := ec2MustCall(t, s, (*Sim).asgDescribeScalingActivities, &autoscaling.DescribeScalingActivitiesInput{AutoScalingGroupName: aws.String(group)}).Activities
	if len(acts) != 2 || acts[0].StatusCode != astypes.ScalingActivityStatusCodeMidLifecycleAction {
		t.Fatalf("activities %+v, want 2 in MidLifecycleAction", acts)
	}
	// Completing the action lets one go at once; the other waits out the delay.
	ec2MustCall(t, s, (*Sim).asgCompleteLifecycleAction, &autoscaling.CompleteLifecycleActionInput{AutoScalingGroupName: aws.String(group),
		LifecycleHookName: aws.String("drain-on-terminate"), LifecycleActionResult: aws.String("CONTINUE"), InstanceId: aws.String(ids[0])})
	if len(calls.gone) != 1 || calls.gone[0] != ids[0] {
		t.Fatalf("gone %v, want [%s]", calls.gone, ids[0])
	}
	s.Advance(asgHookDelay - time.Second)
	if len(calls.gone) != 1 {
		t.Fatalf("gone %v before the hook delay", calls.gone)
	}
	s.Advance(2 * time.Second)
	if len(calls.gone) != 2 || calls.gone[1] != ids[1] {
		t.Fatalf("gone %v, want %s after the hook delay", calls.gone, ids[1])
	}
}

func TestDetachInstances(t *testing.T) {
	calls := watchECS(t)
	s := newEC2TestSim(t, testWorld(3), 0)
	ids := instancesIn(s, "running")
	_, err := lockedCall(s, (*Sim).asgDetachInstances, &autoscaling.DetachInstancesInput{AutoScalingGroupName: aws.String(group),
		InstanceIds: []string{"i-0123456789abcdef0"}, ShouldDecrementDesiredCapacity: aws.Bool(true)})
	wantAPIError(t, err, "ValidationError", "is not part of Auto Scaling group")
	ec2MustCall(t, s, (*Sim).asgDetachInstances, &autoscaling.DetachInstancesInput{AutoScalingGroupName: aws.String(group),
		InstanceIds: ids[:1], ShouldDecrementDesiredCapacity: aws.Bool(false)})
	before := len(calls.registered)
	s.Advance(3 * time.Minute)
	if len(calls.registered) != before+1 || len(calls.gone) != 0 {
		t.Fatalf("registrations %d, gone %v; want one replacement and nothing terminated", len(calls.registered)-before, calls.gone)
	}
	if got := instancesIn(s, "running"); len(got) != 4 {
		t.Fatalf("running %d, want 4 (the detached one keeps running)", len(got))
	}
	out := ec2MustCall(t, s, (*Sim).asgDescribeAutoScalingInstances, &autoscaling.DescribeAutoScalingInstancesInput{InstanceIds: ids})
	if len(out.AutoScalingInstances) != 2 {
		t.Fatalf("described %d members, want the 2 still in the group", len(out.AutoScalingInstances))
	}
}

func TestScaleInFollowsTheDefaultTerminationPolicy(t *testing.T) {
	w := testWorld(4)
	g := &w.AutoScalingGroups[0]
	g.Version = "2"
	// Round-robin: the old ones land in a and b, the new ones in c and a.
	g.Instances = []InstanceGroupSpec{{Count: 2, LaunchTemplateVersion: "1", AgeHours: 48}, {Count: 2, AgeHours: 1}}
	s := newEC2TestSim(t, w, 0)
	setDesired(t, s, 2)
	s.Advance(2 * time.Minute)
	var left []string
	for _, in := range members(t, s)["InService"] {
		left = append(left, aws.ToString(in.LaunchTemplate.Version)+"@"+aws.ToString(in.AvailabilityZone))
	}
	sort.Strings(left)
	if strings.Join(left, ",") != "2@us-east-1a,2@us-east-1c" {
		t.Fatalf("left %v, want the two on version 2", left)
	}
}

func TestDescribeAutoScalingGroupsPagingAndFilters(t *testing.T) {
	w := testWorld(1)
	for _, n := range []string{"a-batch", "b-web"} {
		w.AutoScalingGroups = append(w.AutoScalingGroups, ASGSpec{Name: n, LaunchTemplate: "ecs-prod", Min: 0, Max: 2, Desired: 0, Tags: map[string]string{"role": n}})
	}
	s := newEC2TestSim(t, w, 2)
	out := ec2MustCall(t, s, (*Sim).asgDescribeAutoScalingGroups, &autoscaling.DescribeAutoScalingGroupsInput{})
	if len(out.AutoScalingGroups) != 2 || out.NextToken == nil || aws.ToString(out.AutoScalingGroups[0].AutoScalingGroupName) != "a-batch" {
		t.Fatalf("first page %d groups, token %v", len(out.AutoScalingGroups), out.NextToken)
	}
	out = ec2MustCall(t, s, (*Sim).asgDescribeAutoScalingGroups, &autoscaling.DescribeAutoScalingGroupsInput{NextToken: out.NextToken})
	if len(out.AutoScalingGroups) != 1 || out.NextToken != nil || aws.ToString(out.AutoScalingGroups[0].AutoScalingGroupName) != group {
		t.Fatalf("second page %+v", out)
	}
	tests := []struct {
		filter astypes.Filter
		want   int
	}{
		{astypes.Filter{Name: aws.String("tag-key"), Values: []string{"role"}}, 2},
		{astypes.Filter{Name: aws.String("tag-value"), Values: []string{"b-web"}}, 1},
		{astypes.Filter{Name: aws.String("tag:team"), Values: []string{"platform"}}, 1},
	}
	for _, tt := range tests {
		var n int
		req := &autoscaling.DescribeAutoScalingGroupsInput{Filters: []astypes.Filter{tt.filter}}
		for {
			page := ec2MustCall(t, s, (*Sim).asgDescribeAutoScalingGroups, req)
			n += len(page.AutoScalingGroups)
			if page.NextToken == nil {
				break
			}
			req.NextToken = page.NextToken
		}
		if n != tt.want {
			t.Errorf("filter %s=%v: %d groups, want %d", aws.ToString(tt.filter.Name), tt.filter.Values, n, tt.want)
		}
	}
	_, err := lockedCall(s, (*Sim).asgDescribeAutoScalingGroups, &autoscaling.DescribeAutoScalingGroupsInput{MaxRecords: aws.Int32(101)})
	wantAPIError(t, err, "ValidationError", "maxRecords")
	_, err = lockedCall(s, (*Sim).asgDescribeAutoScalingGroups, &autoscaling.DescribeAutoScalingGroupsInput{NextToken: aws.String("x")})
	wantAPIError(t, err, "InvalidNextToken", "")
	g := describeGroup(t, s)
	if g.LaunchTemplate == nil || aws.ToString(g.LaunchTemplate.Version) != "$Default" || len(g.Instances) != 1 || len(g.Tags) != 2 {
		t.Fatalf("group %+v", g)
	}
}

func TestGroupTags(t *testing.T) {
	s := newEC2TestSim(t, testWorld(1), 0)
	ec2MustCall(t, s, (*Sim).asgCreateOrUpdateTags, &autoscaling.CreateOrUpdateTagsInput{Tags: []astypes.Tag{{
		ResourceId: aws.String(group), ResourceType: aws.String("auto-scaling-group"), Key: aws.String("ecsctl:rotation"), Value: aws.String("run-7"), PropagateAtLaunch: aws.Bool(false)}}})
	tags := ec2MustCall(t, s, (*Sim).asgDescribeTags, &autoscaling.DescribeTagsInput{Filters: []astypes.Filter{{Name: aws.String("key"), Values: []string{"ecsctl:rotation"}}}}).Tags
	if len(tags) != 1 || aws.ToString(tags[0].Value) != "run-7" || aws.ToBool(tags[0].PropagateAtLaunch) {
		t.Fatalf("tags %+v", tags)
	}
	ec2MustCall(t, s, (*Sim).asgDeleteTags, &autoscaling.DeleteTagsInput{Tags: []astypes.Tag{{ResourceId: aws.String(group), ResourceType: aws.String("auto-scaling-group"), Key: aws.String("ecsctl:rotation")}}})
	if n := len(describeGroup(t, s).Tags); n != 2 {
		t.Fatalf("tags after delete %d, want 2", n)
	}
	_, err := lockedCall(s, (*Sim).asgCreateOrUpdateTags, &autoscaling.CreateOrUpdateTagsInput{Tags: []astypes.Tag{{ResourceId: aws.String("nope"), Key: aws.String("k"), Value: aws.String("v")}}})
	wantAPIError(t, err, "ValidationError", "nope")
}

func TestInstanceRefresh(t *testing.T) {
	calls := watchECS(t)
	s := newEC2TestSim(t, testWorld(3), 0)
	none := ec2MustCall(t, s, (*Sim).asgDescribeInstanceRefreshes, &autoscaling.DescribeInstanceRefreshesInput{AutoScalingGroupName: aws.String(group)})
	if len(none.InstanceRefreshes) != 0 {
		t.Fatalf("refreshes %+v, want none", none.InstanceRefreshes)
	}
	started := ec2MustCall(t, s, (*Sim).asgStartInstanceRefresh, &autoscaling.StartInstanceRefreshInput{AutoScalingGroupName: aws.String(group),
		DesiredConfiguration: &astypes.DesiredConfiguration{LaunchTemplate: &astypes.LaunchTemplateSpecification{LaunchTemplateName: aws.String("ecs-prod"), Version: aws.String("2")}},
		Preferences:          &astypes.RefreshPreferences{MinHealthyPercentage: aws.Int32(66), InstanceWarmup: aws.Int32(60)}})
	_, err := lockedCall(s, (*Sim).asgStartInstanceRefresh, &autoscaling.StartInstanceRefreshInput{AutoScalingGroupName: aws.String(group)})
	wantAPIError(t, err, "InstanceRefreshInProgress", "already in progress")
	status := func() astypes.InstanceRefreshStatus {
		out, _ := s.asgDescribeInstanceRefreshes(&autoscaling.DescribeInstanceRefreshesInput{AutoScalingGroupName: aws.String(group)})
		return out.InstanceRefreshes[0].Status
	}
	maxTerminating := 0
	done := s.RunUntil(time.Hour, 10*time.Second, func() bool {
		n := 0
		for _, m := range s.asg.Groups[group].Members {
			if !m.active() {
				n++
			}
		}
		maxTerminating = max(maxTerminating, n)
		return status() == astypes.InstanceRefreshStatusSuccessful
	})
	if !done {
		t.Fatalf("refresh %s not successful after an hour", aws.ToString(started.InstanceRefreshId))
	}
	if maxTerminating > 1 {
		t.Fatalf("%d instances out of service at once, want at most 1 (66%% healthy of 3)", maxTerminating)
	}
	for _, in := range members(t, s)["InService"] {
		if aws.ToString(in.ImageId) != amiNew {
			t.Fatalf("instance %s still on %s", aws.ToString(in.InstanceId), aws.ToString(in.ImageId))
		}
	}
	if v := aws.ToString(describeGroup(t, s).LaunchTemplate.Version); v != "2" {
		t.Fatalf("group version %s, want 2 after a successful refresh", v)
	}
	if len(calls.gone) != 3 {
		t.Fatalf("gone %v, want the 3 old instances", calls.gone)
	}
	_, err = lockedCall(s, (*Sim).asgCancelInstanceRefresh, &autoscaling.CancelInstanceRefreshInput{AutoScalingGroupName: aws.String(group)})
	wantAPIError(t, err, "ActiveInstanceRefreshNotFound", group)
}

func TestLaunchFailsOnAMissingImage(t *testing.T) {
	s := newEC2TestSim(t, testWorld(1), 0)
	ec2MustCall(t, s, (*Sim).ec2CreateLaunchTemplateVersion, &ec2.CreateLaunchTemplateVersionInput{LaunchTemplateName: aws.String("ecs-prod"),
		SourceVersion: aws.String("1"), LaunchTemplateData: &ec2types.RequestLaunchTemplateData{ImageId: aws.String("ami-0123456789abcdef0")}})
	ec2MustCall(t, s, (*Sim).asgUpdateAutoScalingGroup, &autoscaling.UpdateAutoScalingGroupInput{AutoScalingGroupName: aws.String(group),
		LaunchTemplate: &astypes.LaunchTemplateSpecification{LaunchTemplateName: aws.String("ecs-prod"), Version: aws.String("$Latest")}})
	setDesired(t, s, 2)
	s.Advance(3 * time.Minute)
	if n := len(describeGroup(t, s).Instances); n != 1 {
		t.Fatalf("members %d, want 1 (launches fail)", n)
	}
	acts := ec2MustCall(t, s, (*Sim).asgDescribeScalingActivities, &autoscaling.DescribeScalingActivitiesInput{AutoScalingGroupName: aws.String(group)}).Activities
	if len(acts) == 0 || acts[0].StatusCode != astypes.ScalingActivityStatusCodeFailed || !strings.Contains(aws.ToString(acts[0].StatusMessage), "ami-0123456789abcdef0") {
		t.Fatalf("latest activity %+v", acts)
	}
	if len(acts) > 5 {
		t.Fatalf("%d activities in 3 minutes: failed launches are not backed off", len(acts))
	}
}

func TestRemovingAZMovesItsInstances(t *testing.T) {
	calls := watchECS(t)
	s := newEC2TestSim(t, testWorld(3), 0) // one per zone
	ec2MustCall(t, s, (*Sim).asgUpdateAutoScalingGroup, &autoscaling.UpdateAutoScalingGroupInput{AutoScalingGroupName: aws.String(group),
		AvailabilityZones: []string{"us-east-1a", "us-east-1b"}})
	s.Advance(10 * time.Minute)
	z := zonesOf(t, s)
	if z["us-east-1c"] != 0 || z["us-east-1a"]+z["us-east-1b"] != 3 {
		t.Fatalf("zones %v, want the us-east-1c instance moved", z)
	}
	if len(calls.gone) != 1 {
		t.Fatalf("gone %v, want the one instance of us-east-1c", calls.gone)
	}
}
