package cmd

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"ecsctl/ops/fleet"
	"ecsctl/render"
	"ecsctl/sim"
)

// checkGroupClean: no ecsctl tag, nothing suspended, nothing protected by
// the run, and live members = desired, all InService.
func (sb *sandbox) checkGroupClean(t *testing.T, name string, desired, minSize, maxSize int) astypes.AutoScalingGroup {
	t.Helper()
	g := sb.rotateASG(name).AutoScalingGroups[0]
	if aws.ToInt32(g.DesiredCapacity) != int32(desired) || aws.ToInt32(g.MinSize) != int32(minSize) || aws.ToInt32(g.MaxSize) != int32(maxSize) {
		t.Errorf("%s desired/min/max = %d/%d/%d, want %d/%d/%d", name, aws.ToInt32(g.DesiredCapacity), aws.ToInt32(g.MinSize), aws.ToInt32(g.MaxSize), desired, minSize, maxSize)
	}
	for _, tg := range g.Tags {
		if strings.HasPrefix(aws.ToString(tg.Key), "ecsctl:") {
			t.Errorf("tag left on %s: %s=%s", name, aws.ToString(tg.Key), aws.ToString(tg.Value))
		}
	}
	if len(g.SuspendedProcesses) != 0 {
		t.Errorf("processes left suspended on %s: %+v", name, g.SuspendedProcesses)
	}
	live := 0
	for _, m := range g.Instances {
		if m.LifecycleState == astypes.LifecycleStateInService || m.LifecycleState == astypes.LifecycleStatePending {
			live++
			if m.LifecycleState != astypes.LifecycleStateInService {
				t.Errorf("%s member %s is %s", name, aws.ToString(m.InstanceId), m.LifecycleState)
			}
		}
	}
	if live != desired {
		t.Errorf("%s has %d live members, want %d", name, live, desired)
	}
	return g
}

func (sb *sandbox) checkInvariants(t *testing.T) {
	t.Helper()
	rep := sb.sim.Report()
	if len(rep.Violations) != 0 || len(rep.TerminatedWithTasks) != 0 || len(rep.KilledNoReplacement) != 0 {
		t.Errorf("invariants broken: below minimum %v, terminated with tasks %+v, killed %+v", rep.Violations, rep.TerminatedWithTasks, rep.KilledNoReplacement)
	}
}

// Issue 15 item 9: a rotation with no old instance leaves no trace.
func TestE2ERotateNothingToDoChangesNothing(t *testing.T) {
	parallel(t)
	w, _ := sim.BuiltinWorld("small")
	w.AutoScalingGroups[0].Instances = []sim.InstanceGroupSpec{{Count: 3, AMI: sim.DemoNewAMI, LaunchTemplateVersion: "2"}}
	sb := startSandboxWorld(t, w, "")
	sb.sim.ResetRequests()
	code, stdout, stderr := run(t, rotateArgs("small", "--yes")...)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	if res := decodeRotate(t, stdout); res.Outcome != fleet.RotateUnchanged || len(res.Replaced) != 0 {
		t.Errorf("outcome %s, replaced %v", res.Outcome, res.Replaced)
	}
	if m := sb.mutations(); len(m) != 0 {
		t.Errorf("a rotation with nothing to do made mutating calls: %v", m)
	}
	sb.checkGroupClean(t, "small-ecs", 3, 3, 6)
}

// Issue 15 item 6: killed while the surge boots, --abort removes the surge
// and puts the launch template back as it was.
func TestE2ERotateAbortWhileSurgeBootsUndoesEverything(t *testing.T) {
	parallel(t)
	w, _ := sim.BuiltinWorld("edge")
	w.AutoScalingGroups[0].Version = "1" // the old AMI: the run makes a version 3
	sb := startSandboxWorld(t, w, "")
	sb.sim.ResetReport()
	code, stdout, stderr := runCancelAt(t, "waiting for new instances", rotateArgs(sim.EdgeCluster, "--yes", "--update-launch-template")...)
	if code != ExitInterrupted {
		t.Fatalf("exit %d, want 130\n%s\n%s", code, stdout, stderr)
	}
	g := sb.rotateASG(sim.EdgeASG).AutoScalingGroups[0]
	if aws.ToInt32(g.DesiredCapacity) != 6 || aws.ToString(g.LaunchTemplate.Version) != "3" {
		t.Fatalf("before the abort: desired %d version %s, want the surge asked for (6) on version 3", aws.ToInt32(g.DesiredCapacity), aws.ToString(g.LaunchTemplate.Version))
	}
	code, stdout, stderr = run(t, rotateArgs(sim.EdgeCluster, "--abort", "--yes")...)
	if code != ExitOK {
		t.Fatalf("abort: exit %d\n%s\n%s", code, stdout, stderr)
	}
	res := decodeRotate(t, stdout)
	if res.Outcome != fleet.RotateAborted || len(res.Replaced) != 2 {
		t.Errorf("abort: outcome %s, surge removed %v", res.Outcome, res.Replaced)
	}
	for _, n := range res.Notes {
		if strings.Contains(n, "changed during the run") {
			t.Errorf("abort blames an outside change for its own surge: %s", n)
		}
	}
	g = sb.checkGroupClean(t, sim.EdgeASG, 4, 4, 8)
	if v := aws.ToString(g.LaunchTemplate.Version); v != "1" {
		t.Errorf("group launches version %s after the abort, want 1 again", v)
	}
	lts, err := sb.ec2Client().DescribeLaunchTemplateVersions(context.Background(), &ec2.DescribeLaunchTemplateVersionsInput{LaunchTemplateId: g.LaunchTemplate.LaunchTemplateId})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range lts.LaunchTemplateVersions {
		if aws.ToInt64(v.VersionNumber) > 2 {
			t.Errorf("version %d (%s) made by the run is left", aws.ToInt64(v.VersionNumber), aws.ToString(v.VersionDescription))
		}
	}
	if amis := sb.rotateAMIs(sim.EdgeCluster); amis["ACTIVE "+sim.DemoOldAMI] != 2 || amis["ACTIVE "+sim.DemoNewAMI] != 2 || len(amis) != 2 {
		t.Errorf("container instances after the abort: %v, want the 2 old and 2 new of before", amis)
	}
	sb.checkInvariants(t)
}

// Issue 15 item 4: managed scaling sets the group's desired capacity
// itself; rotate-ami and scale cluster refuse before any change, saying
// what to do instead.
func TestE2EManagedScalingRefusedBeforeAnyChange(t *testing.T) {
	parallel(t)
	sb := startSandbox(t, "edge", "")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"rotate-ami", rotateArgs(sim.EdgeManagedCluster, "--yes"), "start-instance-refresh"},
		{"scale cluster out", scaleClusterArgs(sim.EdgeManagedCluster, "--count", "5", "--yes"), "scale the services"},
		{"scale cluster in", scaleClusterArgs(sim.EdgeManagedCluster, "--count", "2", "--yes"), "scale the services"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sb.sim.ResetRequests()
			code, stdout, stderr := run(t, tc.args...)
			if code != ExitUsage || !strings.Contains(stderr, "capacity provider "+sim.EdgeManagedCP+" has managed scaling") || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d, want 2 and the managed scaling refusal\n%s\n%s", code, stdout, stderr)
			}
			if m := sb.mutations(); len(m) != 0 {
				t.Errorf("refusal made mutating calls: %v", m)
			}
		})
	}
	sb.checkGroupClean(t, sim.EdgeManagedASG, 3, 1, 6)
}

// The sandbox's managed scaling really takes a manual change back (what
// ecsctl would be fighting), and DescribeCapacityProviders is read to its
// last page: a cluster whose managed provider is the 11th is refused too.
func TestE2EManagedScalingOnTheEleventhCapacityProvider(t *testing.T) {
	parallel(t)
	w, _ := sim.BuiltinWorld("small")
	g := w.AutoScalingGroups[0]
	var groups []sim.ASGSpec
	for i := 0; i < 10; i++ {
		filler := sim.ASGSpec{Name: "small-spare-" + string(rune('a'+i)), LaunchTemplate: g.LaunchTemplate, Version: "$Latest", Min: 0, Max: 2, Desired: 0,
			CapacityProvider: &sim.CapacityProviderSpec{Name: "spare-" + string(rune('a'+i))}}
		groups = append(groups, filler)
	}
	g.CapacityProvider = &sim.CapacityProviderSpec{Name: "small-cp", ManagedScaling: true, TargetCapacity: 100}
	w.AutoScalingGroups = append(groups, g)
	sb := startSandboxWorld(t, w, "")
	sb.sim.ResetRequests()
	code, stdout, stderr := run(t, rotateArgs("small", "--yes", "--standalone-tasks", "stop")...)
	if code != ExitUsage || !strings.Contains(stderr, "capacity provider small-cp has managed scaling") {
		t.Fatalf("exit %d, want 2\n%s\n%s", code, stdout, stderr)
	}
	if m := sb.mutations(); len(m) != 0 {
		t.Errorf("refusal made mutating calls: %v", m)
	}
}

// edgeWithHooked is the edge world with hooked-ecs's scheduled action due
// at after the start, with or without its warm pool.
func edgeWithHooked(at time.Duration, warmPool bool) *sim.World {
	w, _ := sim.BuiltinWorld("edge")
	for i := range w.AutoScalingGroups {
		if w.AutoScalingGroups[i].Name == sim.EdgeHookedASG {
			w.AutoScalingGroups[i] = sim.HookedGroup(at, warmPool)
		}
	}
	return w
}

// Issue 15 item 5: a warm pool on the old AMI is refused before any change
// (its instances would join the group on the old AMI mid-run).
func TestE2ERotateRefusesWarmPoolOnOldAMI(t *testing.T) {
	parallel(t)
	sb := startSandbox(t, "edge", "")
	sb.sim.ResetRequests()
	code, stdout, stderr := run(t, rotateArgs(sim.EdgeHookedCluster, "--yes")...)
	if code != ExitUsage || !strings.Contains(stderr, "warm pool of "+sim.EdgeHookedASG+" holds 2 on "+sim.DemoOldAMI) || !strings.Contains(stderr, "delete-warm-pool") {
		t.Fatalf("exit %d, want 2 and the warm pool refusal\n%s\n%s", code, stdout, stderr)
	}
	if m := sb.mutations(); len(m) != 0 {
		t.Errorf("refusal made mutating calls: %v", m)
	}
	// scale cluster runs the same preflight: a scale-out would bring the
	// pool's old instances in.
	code, stdout, stderr = run(t, scaleClusterArgs(sim.EdgeHookedCluster, "--count", "4", "--yes")...)
	if code != ExitUsage || !strings.Contains(stderr, "warm pool of "+sim.EdgeHookedASG) {
		t.Fatalf("scale cluster: exit %d, want 2\n%s\n%s", code, stdout, stderr)
	}
	if m := sb.mutations(); len(m) != 0 {
		t.Errorf("refusal made mutating calls: %v", m)
	}
}

// Issue 15 item 5: the group's scheduled action falls due mid-rotation; the
// run suspends ScheduledActions and AlarmNotification so that the group's
// own scale-in never picks an old instance with tasks, follows the
// instances its terminating hook holds to the end, and resumes them after.
func TestE2ERotateSuspendsScaleInAndFollowsHooks(t *testing.T) {
	parallel(t)
	sb := startSandboxWorld(t, edgeWithHooked(24*time.Hour, false), "")
	sb.sim.ResetReport()
	// The action falls due once the surge is asked for: old instances
	// still run their tasks, the new ones are not yet protected.
	code, stdout, stderr := runAtMarker(t, "waiting for new instances", func() {
		if err := sb.sim.PerformScheduledAction(sim.EdgeHookedASG, sim.EdgeHookedSchedule); err != nil {
			t.Error(err)
		}
	}, rotateArgs(sim.EdgeHookedCluster, "--yes")...)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	res := decodeRotate(t, stdout)
	if res.Outcome != fleet.RotateCompleted || len(res.Replaced) != 2 {
		t.Fatalf("outcome %s replaced %v", res.Outcome, res.Replaced)
	}
	if !strings.Contains(stderr, "ScheduledActions") || !strings.Contains(stderr, "AlarmNotification") {
		t.Errorf("the run did not say it suspends ScheduledActions and AlarmNotification:\n%s", stderr)
	}
	g := sb.checkGroupClean(t, sim.EdgeHookedASG, 3, 2, 6)
	for _, m := range g.Instances {
		if strings.HasPrefix(string(m.LifecycleState), "Terminating") {
			t.Errorf("instance %s still %s when the run ended", aws.ToString(m.InstanceId), m.LifecycleState)
		}
	}
	if amis := sb.rotateAMIs(sim.EdgeHookedCluster); amis["ACTIVE "+sim.DemoNewAMI] != 3 || len(amis) != 1 {
		t.Errorf("container instances %v, want 3 ACTIVE on the new AMI", amis)
	}
	// The group never chose an instance itself: its action was skipped.
	skipped := false
	for _, e := range sb.sim.Report().Timeline {
		if strings.HasPrefix(e.Detail, sim.EdgeHookedASG+":") && e.Kind == "asg.terminate" && strings.Contains(e.Detail, "(scale-in)") {
			t.Errorf("the group's own scale-in picked an instance mid-run: %s", e.Detail)
		}
		skipped = skipped || e.Kind == "asg.scheduledAction" && strings.Contains(e.Detail, "skipped")
	}
	if !skipped {
		t.Error("the scheduled action due mid-run was not skipped")
	}
	sb.checkInvariants(t)
}

// markerWriter calls fn the first time a line containing marker is written.
type markerWriter struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	marker string
	fn     func()
	fired  bool
}

func (w *markerWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if !w.fired && strings.Contains(w.buf.String(), w.marker) {
		w.fired = true
		w.fn()
	}
	return len(p), nil
}

// runAtMarker runs ecsctl and calls fn at its first progress line
// containing marker.
func runAtMarker(t *testing.T, marker string, fn func(), args ...string) (int, string, string) {
	t.Helper()
	ios, _, out, _ := render.Test()
	mw := &markerWriter{marker: marker, fn: fn}
	ios.Err = mw
	code := Run(e2eContext(t, context.Background(), ios), append([]string{"ecsctl"}, args...), ios)
	if !mw.fired {
		t.Fatalf("marker %q never seen:\n%s", marker, mw.buf.String())
	}
	return code, out.String(), mw.buf.String()
}

// Issue 15 item 8: tasks whose task definition has only container-level
// sizes reserve those; the drain room check counts them (a rotation whose
// new instances cannot hold them is refused before any change).
func TestE2ERotateRoomFromContainerLevelSizes(t *testing.T) {
	parallel(t)
	w := smallPinned()
	w.LaunchTemplates[0].Versions[1].InstanceType = "t3.micro" // 1 GiB: api's containers (960 + 64 MiB) do not fit
	for i := range w.Clusters[0].Services {
		s := &w.Clusters[0].Services[i]
		s.CPU, s.Memory = 0, 0 // no task-level size: the containers' only
	}
	sb := startSandboxWorld(t, w, "")
	if svc := sb.service("small", "api"); svc.TaskDefinition != nil {
		td, _ := sb.taskDef(aws.ToString(svc.TaskDefinition))
		if td.Cpu != nil || td.Memory != nil {
			t.Fatalf("task definition has a task-level size %v/%v", aws.ToString(td.Cpu), aws.ToString(td.Memory))
		}
	}
	sb.sim.ResetRequests()
	code, stdout, stderr := run(t, rotateArgs("small", "--yes", "--standalone-tasks", "stop")...)
	if code != ExitUsage || !strings.Contains(stderr, "not enough spare capacity") || !strings.Contains(stderr, "api") {
		t.Fatalf("exit %d, want 2 and the room refusal naming api\n%s\n%s", code, stdout, stderr)
	}
	if m := sb.mutations(); len(m) != 0 {
		t.Fatalf("refusal made mutating calls: %v", m)
	}
}

// Issue 15 item 9: every wait honours the command's limit: instances that
// take an hour to boot (6 s of real time here) make `scale cluster
// --timeout 1s` pause after 1 s, not after the fixed 15 minutes of before.
func TestE2EScaleClusterWaitHonoursTimeout(t *testing.T) {
	parallel(t)
	w, _ := sim.BuiltinWorld("small")
	w.Timings = &sim.Timings{InstanceBoot: sim.Duration(time.Hour)}
	sb := startSandboxWorld(t, w, "")
	code, stdout, stderr := run(t, scaleClusterArgs("small", "--count", "4", "--yes", "--timeout", "1s")...)
	if code != ExitFailed || !strings.Contains(stderr, "not ready after 1s") {
		t.Fatalf("exit %d, want 1 and a pause after the 1s timeout\n%s\n%s", code, stdout, stderr)
	}
	if g := sb.rotateASG("small-ecs").AutoScalingGroups[0]; aws.ToInt32(g.DesiredCapacity) != 4 {
		t.Errorf("desired %d, want the 4 asked for", aws.ToInt32(g.DesiredCapacity))
	}
}

// --abort of a run on a mixed-instances group puts the policy's template
// specs back — the group's and the overrides' — in one update that keeps the
// policy, and deletes the versions the run made.
func TestE2ERotateAbortRestoresAMixedInstancesPolicy(t *testing.T) {
	parallel(t)
	sb := startSandbox(t, "edge", "")
	sb.sim.ResetReport()
	specs := func(g astypes.AutoScalingGroup) []string {
		if g.LaunchTemplate != nil || g.MixedInstancesPolicy == nil || g.MixedInstancesPolicy.LaunchTemplate == nil {
			t.Fatalf("group lost its mixed instances policy: launch template %+v", g.LaunchTemplate)
		}
		lt := g.MixedInstancesPolicy.LaunchTemplate
		out := []string{aws.ToString(lt.LaunchTemplateSpecification.LaunchTemplateId) + ":" + aws.ToString(lt.LaunchTemplateSpecification.Version)}
		for _, o := range lt.Overrides {
			if s := o.LaunchTemplateSpecification; s != nil {
				out = append(out, aws.ToString(o.InstanceType)+"="+aws.ToString(s.LaunchTemplateId)+":"+aws.ToString(s.Version))
			}
		}
		return out
	}
	before := specs(sb.rotateASG(sim.EdgeMixedASG).AutoScalingGroups[0])
	code, stdout, stderr := runCancelAt(t, "waiting for new instances", rotateArgs(sim.EdgeMixedCluster, "--yes", "--update-launch-template")...)
	if code != ExitInterrupted {
		t.Fatalf("exit %d, want 130\n%s\n%s", code, stdout, stderr)
	}
	during := specs(sb.rotateASG(sim.EdgeMixedASG).AutoScalingGroups[0])
	if strings.Join(during, " ") == strings.Join(before, " ") {
		t.Fatalf("the run did not update the policy's templates: %v", during)
	}
	code, stdout, stderr = run(t, rotateArgs(sim.EdgeMixedCluster, "--abort", "--yes")...)
	if code != ExitOK {
		t.Fatalf("abort: exit %d\n%s\n%s", code, stdout, stderr)
	}
	g := sb.rotateASG(sim.EdgeMixedASG).AutoScalingGroups[0]
	if after := specs(g); strings.Join(after, " ") != strings.Join(before, " ") {
		t.Errorf("policy after the abort %v, want %v as before the run", after, before)
	}
	for _, s := range during {
		id, v, _ := strings.Cut(s[strings.Index(s, "=")+1:], ":")
		lts, err := sb.ec2Client().DescribeLaunchTemplateVersions(context.Background(), &ec2.DescribeLaunchTemplateVersionsInput{LaunchTemplateId: aws.String(id)})
		if err != nil {
			t.Fatal(err)
		}
		for _, lv := range lts.LaunchTemplateVersions {
			if strconv.FormatInt(aws.ToInt64(lv.VersionNumber), 10) == v && strings.HasPrefix(aws.ToString(lv.VersionDescription), "ecsctl rotate-ami") {
				t.Errorf("launch template %s version %s made by the run is left", id, v)
			}
		}
	}
	sb.checkInvariants(t)
}
