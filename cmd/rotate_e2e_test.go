package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"ecsctl/ops/fleet"
	"ecsctl/render"
	"ecsctl/sim"
)

func rotateArgs(cluster string, extra ...string) []string {
	return append([]string{"rotate-ami", "-c", cluster, "--poll-interval", "20ms", "-o", "json"}, extra...)
}

func decodeRotate(t *testing.T, stdout string) fleet.RotateResult {
	t.Helper()
	var r fleet.RotateResult
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("result is not JSON: %v\n%s", err, stdout)
	}
	return r
}

// rotateASG reads an Auto Scaling group through the SDK.
func (sb *sandbox) rotateASG(name string) *autoscaling.DescribeAutoScalingGroupsOutput {
	sb.t.Helper()
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""), BaseEndpoint: aws.String(sb.url)}
	out, err := autoscaling.NewFromConfig(cfg).DescribeAutoScalingGroups(context.Background(), &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{name}})
	if err != nil || len(out.AutoScalingGroups) != 1 {
		sb.t.Fatalf("describe asg %s: %v", name, err)
	}
	return out
}

// rotateAMIs counts the cluster's container instances by status and AMI.
func (sb *sandbox) rotateAMIs(cluster string) map[string]int {
	sb.t.Helper()
	ctx := context.Background()
	out := map[string]int{}
	p := ecs.NewListContainerInstancesPaginator(sb.ecs, &ecs.ListContainerInstancesInput{Cluster: aws.String(cluster)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			sb.t.Fatal(err)
		}
		if len(page.ContainerInstanceArns) == 0 {
			continue
		}
		d, err := sb.ecs.DescribeContainerInstances(ctx, &ecs.DescribeContainerInstancesInput{Cluster: aws.String(cluster), ContainerInstances: page.ContainerInstanceArns})
		if err != nil {
			sb.t.Fatal(err)
		}
		for _, ci := range d.ContainerInstances {
			ami := ""
			for _, a := range ci.Attributes {
				if aws.ToString(a.Name) == "ecs.ami-id" {
					ami = aws.ToString(a.Value)
				}
			}
			out[aws.ToString(ci.Status)+" "+ami]++
		}
	}
	return out
}

// checkRotated asserts the end state of a completed prod rotation.
func (sb *sandbox) checkRotated(t *testing.T) {
	t.Helper()
	g := sb.rotateASG("prod-ecs").AutoScalingGroups[0]
	if aws.ToInt32(g.DesiredCapacity) != 50 || aws.ToInt32(g.MinSize) != 45 || aws.ToInt32(g.MaxSize) != 60 {
		t.Errorf("asg desired/min/max = %d/%d/%d, want 50/45/60", aws.ToInt32(g.DesiredCapacity), aws.ToInt32(g.MinSize), aws.ToInt32(g.MaxSize))
	}
	for _, tg := range g.Tags {
		if strings.HasPrefix(aws.ToString(tg.Key), "ecsctl:") {
			t.Errorf("tag left on the group: %s=%s", aws.ToString(tg.Key), aws.ToString(tg.Value))
		}
	}
	if len(g.SuspendedProcesses) != 0 {
		t.Errorf("processes left suspended: %+v", g.SuspendedProcesses)
	}
	for _, m := range g.Instances {
		if aws.ToBool(m.ProtectedFromScaleIn) && !strings.HasPrefix(string(m.LifecycleState), "Terminat") {
			t.Errorf("instance %s left protected", aws.ToString(m.InstanceId))
		}
	}
	amis := sb.rotateAMIs("prod")
	if amis["ACTIVE "+sim.DemoNewAMI] != 50 || len(amis) != 1 {
		t.Errorf("container instances by status/AMI: %v, want 50 ACTIVE on the new AMI", amis)
	}
	rep := sb.sim.Report()
	if len(rep.Violations) != 0 || len(rep.TerminatedWithTasks) != 0 || len(rep.KilledNoReplacement) != 0 {
		t.Errorf("invariants broken: below minimum %v, terminated with tasks %+v, killed %+v", rep.Violations, rep.TerminatedWithTasks, rep.KilledNoReplacement)
	}
}

func TestE2ERotateDryRunPlansAndChangesNothing(t *testing.T) {
	parallel(t)
	sb := startSandbox(t, "demo", "")
	sb.sim.ResetRequests()
	code, stdout, stderr := run(t, rotateArgs("prod", "--dry-run")...)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	res := decodeRotate(t, stdout)
	if res.Outcome != fleet.RotateDryRun || res.Plan.ASG != "prod-ecs" || res.Plan.TargetAMI != sim.DemoNewAMI || len(res.Plan.Instances) != 18 || res.Plan.Batches != 2 {
		t.Fatalf("plan: outcome %s asg %s ami %s instances %d batches %d", res.Outcome, res.Plan.ASG, res.Plan.TargetAMI, len(res.Plan.Instances), res.Plan.Batches)
	}
	// The default: the whole room under max size 60 (desired 50) as the
	// surge, batches as large as the surge; the estimate is the bound.
	if e := res.Plan.Estimate; res.Plan.Batch != 10 || res.Plan.Surge != 10 || e == nil || e.BoundBatch != 10 || e.Seconds != 2*410 || e.BoundSeconds != 2*410 {
		t.Errorf("plan shape: batch %d surge %d estimate %+v", res.Plan.Batch, res.Plan.Surge, res.Plan.Estimate)
	}
	if m := sb.mutations(); len(m) != 0 {
		t.Errorf("dry run made mutating calls: %v", m)
	}
	code, stdout, _ = run(t, "rotate-ami", "-c", "prod", "--dry-run")
	if code != ExitOK || !strings.Contains(stdout, "BATCH") || !strings.Contains(stdout, "expected final state: prod-ecs desired 50, min 45, max 60") ||
		!strings.Contains(stdout, "estimated duration 13m40s for 2 batch(es); lower bound 13m40s (batches of 10") {
		t.Errorf("text plan:\n%s", stdout)
	}
}

func TestE2ERotateDemoCompletes(t *testing.T) {
	parallel(t)
	sb := startSandbox(t, "demo", "")
	sb.sim.ResetReport()
	code, stdout, stderr := run(t, rotateArgs("prod", "--yes", "--standalone-tasks", "stop")...)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	res := decodeRotate(t, stdout)
	if res.Outcome != fleet.RotateCompleted || len(res.Replaced) != 18 {
		t.Fatalf("outcome %s replaced %d", res.Outcome, len(res.Replaced))
	}
	sb.checkRotated(t)
}

// rotateTrigger is a stderr that cancels the run the first time a line
// containing marker is written (a kill at that point of the run).
type rotateTrigger struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	marker string
	cancel func()
	fired  bool
}

func (w *rotateTrigger) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if !w.fired && strings.Contains(w.buf.String(), w.marker) {
		w.fired = true
		w.cancel()
	}
	return len(p), nil
}

// runCancelAt runs ecsctl and cancels its context at the first progress
// line containing marker.
func runCancelAt(t *testing.T, marker string, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ios, _, out, _ := render.Test()
	trig := &rotateTrigger{marker: marker, cancel: cancel}
	ios.Err = trig
	code := Run(e2eContext(t, ctx, ios), append([]string{"ecsctl"}, args...), ios)
	if !trig.fired {
		t.Fatalf("marker %q never seen:\n%s", marker, trig.buf.String())
	}
	return code, out.String(), trig.buf.String()
}

// The command killed mid-run exits 130 with the resume advice, and the
// advised command finishes the run. The kills at each stage of a rotation
// are ops/fleet's TestSimRotateResumesAfterBeingKilled (virtual time).
func TestE2ERotateResumesAfterBeingKilled(t *testing.T) {
	for _, tc := range []struct{ name, marker string }{
		{"mid-drain", "DRAINING"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sb := startSandbox(t, "demo", "")
			sb.sim.ResetReport()
			code, stdout, stderr := runCancelAt(t, tc.marker, rotateArgs("prod", "--yes", "--standalone-tasks", "stop")...)
			if code != ExitInterrupted {
				t.Fatalf("exit %d, want 130\n%s\n%s", code, stdout, stderr)
			}
			if !strings.Contains(stderr, "resume: ecsctl rotate-ami --cluster prod --asg prod-ecs --yes") {
				t.Errorf("no resume advice:\n%s", stderr)
			}
			if _, ok := groupTagValue(sb.rotateASG("prod-ecs"), "ecsctl:rotation"); !ok {
				t.Fatalf("run record not in the group's tags after the kill")
			}
			code, stdout, stderr = run(t, rotateArgs("prod", "--yes", "--standalone-tasks", "stop")...)
			if code != ExitOK {
				t.Fatalf("resume: exit %d\n%s\n%s", code, stdout, stderr)
			}
			res := decodeRotate(t, stdout)
			if !res.Plan.Resuming || res.Outcome != fleet.RotateCompleted {
				t.Errorf("resume: resuming=%v outcome %s", res.Plan.Resuming, res.Outcome)
			}
			sb.checkRotated(t)
		})
	}
}

func groupTagValue(out *autoscaling.DescribeAutoScalingGroupsOutput, key string) (string, bool) {
	for _, tg := range out.AutoScalingGroups[0].Tags {
		if aws.ToString(tg.Key) == key {
			return aws.ToString(tg.Value), true
		}
	}
	return "", false
}

// --abort with no rotation in progress is bad input: exit 2, nothing
// changed. A kill mid-run then --abort is ops/fleet's
// TestSimRotateAbortMidRunRestores; the command's abort exits 0 in
// TestE2ERotateAbortWhileSurgeBootsUndoesEverything.
func TestE2ERotateAbortWithoutARunRefuses(t *testing.T) {
	parallel(t)
	sb := startSandbox(t, "small", "")
	sb.sim.ResetRequests()
	code, _, stderr := run(t, rotateArgs("small", "--abort", "--yes")...)
	if code != ExitUsage || !strings.Contains(stderr, "no rotation in progress") {
		t.Errorf("abort without a run: exit %d %s", code, stderr)
	}
	if m := sb.mutations(); len(m) != 0 {
		t.Errorf("mutating calls: %v", m)
	}
}

func TestE2ERotateRefusesLaunchTemplateOnOldAMI(t *testing.T) {
	parallel(t)
	sb := startSandbox(t, "demo", "")
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""), BaseEndpoint: aws.String(sb.url)}
	asg := autoscaling.NewFromConfig(cfg)
	g := sb.rotateASG("prod-ecs").AutoScalingGroups[0]
	lt := *g.LaunchTemplate
	lt.Version = aws.String("$Default") // version 1: the old AMI
	lt.LaunchTemplateName = nil
	if _, err := asg.UpdateAutoScalingGroup(context.Background(), &autoscaling.UpdateAutoScalingGroupInput{AutoScalingGroupName: aws.String("prod-ecs"), LaunchTemplate: &lt}); err != nil {
		t.Fatal(err)
	}
	sb.sim.ResetRequests()
	code, stdout, stderr := run(t, rotateArgs("prod", "--yes")...)
	if code != ExitUsage || !strings.Contains(stderr, "launches "+sim.DemoOldAMI+", not the target "+sim.DemoNewAMI) || !strings.Contains(stderr, "--update-launch-template") {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	if m := sb.mutations(); len(m) != 0 {
		t.Fatalf("refusal made mutating calls: %v", m)
	}
	// With --update-launch-template it makes a new version and completes:
	// ops/fleet's TestSimRotateUpdatesALaunchTemplateOnTheOldAMI.
}

// smallPinned is the small world with its standalone task pinned to the
// first (old) instance.
func smallPinned() *sim.World {
	w, _ := sim.BuiltinWorld("small")
	zero := 0
	w.Clusters[0].Tasks[0].Instance = &zero
	return w
}

// The abort policy refuses with exit 2 before any change; the wait and
// stop policies are ops/fleet's TestSimRotateStandaloneWaitPausesThenStopFinishes.
func TestE2ERotateStandaloneTaskPolicies(t *testing.T) {
	parallel(t)
	t.Run("abort refuses before any change", func(t *testing.T) {
		sb := startSandboxWorld(t, smallPinned(), "")
		sb.sim.ResetRequests()
		code, stdout, stderr := run(t, rotateArgs("small", "--yes", "--batch", "1", "--standalone-tasks", "abort")...)
		if code != ExitUsage || !strings.Contains(stderr, "standalone task") {
			t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
		}
		if m := sb.mutations(); len(m) != 0 {
			t.Fatalf("mutating calls: %v", m)
		}
	})
}

func TestE2ERotateRefusesWithoutSpareCapacity(t *testing.T) {
	parallel(t)
	w := smallPinned()
	w.LaunchTemplates[0].Versions[1].InstanceType = "t3.micro" // new instances too small for api (512 CPU, 1 GiB)
	sb := startSandboxWorld(t, w, "")
	sb.sim.ResetRequests()
	code, stdout, stderr := run(t, rotateArgs("small", "--yes", "--standalone-tasks", "stop")...)
	if code != ExitUsage || !strings.Contains(stderr, "not enough spare capacity") {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	if m := sb.mutations(); len(m) != 0 {
		t.Fatalf("mutating calls: %v", m)
	}
}

func TestE2ERotateUnderThrottling(t *testing.T) {
	parallel(t)
	sb := startSandbox(t, "small", "throttle=0.3")
	sb.sim.ResetReport()
	code, stdout, stderr := run(t, rotateArgs("small", "--yes", "--standalone-tasks", "stop", "--batch", "1")...)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	sb.sim.SetFaults(&sim.Faults{})
	throttled := 0
	for _, r := range sb.sim.Requests() {
		if r.Fault == "throttle" {
			throttled++
		}
	}
	if throttled == 0 {
		t.Fatal("no request was throttled")
	}
	g := sb.rotateASG("small-ecs").AutoScalingGroups[0]
	if aws.ToInt32(g.DesiredCapacity) != 3 || aws.ToInt32(g.MinSize) != 3 || aws.ToInt32(g.MaxSize) != 6 || len(g.SuspendedProcesses) != 0 {
		t.Errorf("asg %d/%d/%d suspended %v", aws.ToInt32(g.DesiredCapacity), aws.ToInt32(g.MinSize), aws.ToInt32(g.MaxSize), g.SuspendedProcesses)
	}
	for _, tg := range g.Tags {
		if strings.HasPrefix(aws.ToString(tg.Key), "ecsctl:") {
			t.Errorf("tag left: %s=%s", aws.ToString(tg.Key), aws.ToString(tg.Value))
		}
	}
	if amis := sb.rotateAMIs("small"); amis["ACTIVE "+sim.DemoNewAMI] != 3 || len(amis) != 1 {
		t.Errorf("instances: %v", amis)
	}
	rep := sb.sim.Report()
	if len(rep.Violations) != 0 || len(rep.TerminatedWithTasks) != 0 {
		t.Errorf("invariants: %v %+v", rep.Violations, rep.TerminatedWithTasks)
	}
}
