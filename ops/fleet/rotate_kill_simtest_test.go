package fleet_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"ecsctl/ops"
	"ecsctl/ops/fleet"
	"ecsctl/sim"
	"ecsctl/sim/simtest"
)

// checkDemoRotated asserts the end state of a completed rotation of the
// demo world's prod cluster: the group back to 50/45/60 with nothing of
// ecsctl's left on it, 50 ACTIVE container instances on the new AMI, and
// no service below its minimum, no instance terminated with tasks, no
// task killed without a replacement.
func (c simCluster) checkDemoRotated(sb *simtest.Sandbox) {
	t := c.t
	t.Helper()
	g := c.group("prod-ecs")
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
	byState := map[string]int{}
	for _, ci := range c.instances("prod") {
		byState[aws.ToString(ci.Status)+" "+amiOf(ci.Attributes)]++
	}
	if byState["ACTIVE "+sim.DemoNewAMI] != 50 || len(byState) != 1 {
		t.Errorf("container instances by status and AMI: %v, want 50 ACTIVE on the new AMI", byState)
	}
	rep := sb.Sim.Report()
	if len(rep.Violations) != 0 || len(rep.TerminatedWithTasks) != 0 || len(rep.KilledNoReplacement) != 0 {
		t.Errorf("invariants broken: below minimum %v, terminated with tasks %+v, killed %+v", rep.Violations, rep.TerminatedWithTasks, rep.KilledNoReplacement)
	}
}

// A rotation of the demo world killed at each stage resumes from the
// group's tags and completes: the kill is the context cancelled at the
// first progress event of the stage (what Ctrl-C does to the command).
// Moved down from cmd (TestE2ERotateResumesAfterBeingKilled keeps the
// command's exit code and resume advice); in virtual time it no longer
// depends on how loaded the machine is.
func TestSimRotateResumesAfterBeingKilled(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		kill func(ops.Event) bool
	}{
		{"after scale-out", func(ev ops.Event) bool { return strings.Contains(ev.Message, "desired capacity 50 → 60") }},
		{"mid-drain", func(ev ops.Event) bool { return strings.Contains(ev.Message, "DRAINING") }},
		{"after a termination", func(ev ops.Event) bool { return strings.Contains(ev.Message, "terminated through prod-ecs") }},
		{"in the second batch", func(ev ops.Event) bool {
			return ev.Batch == 2 && ev.Batches == 2 && ev.Kind == ops.EventProgress && strings.HasPrefix(ev.Message, "waiting")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sb := simtest.Start(t, "demo", simtest.Options{})
			c := simCluster{t: t, ecs: ecs.NewFromConfig(sb.Config), asg: autoscaling.NewFromConfig(sb.Config), ec2: ec2.NewFromConfig(sb.Config)}
			sb.Sim.ResetReport()
			req := fleet.RotateRequest{Cluster: "prod", Standalone: fleet.StandaloneStop, Surge: -1}

			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			killed := false
			res, err := simRotator(sb, func(ev ops.Event) {
				if !killed && tc.kill(ev) {
					killed = true
					cancel()
				}
			}).Rotate(ctx, req)
			if !killed || !errors.Is(err, ops.ErrInterrupted) || res.Outcome != fleet.RotateInterrupted {
				t.Fatalf("first run: killed %v, %v (outcome %s), want interrupted", killed, err, res.Outcome)
			}
			recorded := false
			for _, tg := range c.group("prod-ecs").Tags {
				recorded = recorded || aws.ToString(tg.Key) == "ecsctl:rotation"
			}
			if !recorded {
				t.Fatal("run record not in the group's tags after the kill")
			}

			res, err = simRotator(sb, nil).Rotate(t.Context(), req)
			if err != nil || res.Outcome != fleet.RotateCompleted || !res.Plan.Resuming {
				t.Fatalf("resume: %v (outcome %s: %s, resuming %v)", err, res.Outcome, res.Reason, res.Plan.Resuming)
			}
			c.checkDemoRotated(sb)
		})
	}
}

// A run killed in its second batch and then aborted: the DRAINING old
// instances go back to ACTIVE, the surge is drained away, the group is
// restored with nothing of ecsctl's left, the first batch stays replaced;
// a second abort finds nothing to abort (moved from cmd's
// TestE2ERotateAbortMidRunRestores; cmd keeps the exit codes).
func TestSimRotateAbortMidRunRestores(t *testing.T) {
	t.Parallel()
	sb := simtest.Start(t, "demo", simtest.Options{})
	c := simCluster{t: t, ecs: ecs.NewFromConfig(sb.Config), asg: autoscaling.NewFromConfig(sb.Config), ec2: ec2.NewFromConfig(sb.Config)}
	sb.Sim.ResetReport()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	_, err := simRotator(sb, func(ev ops.Event) {
		if ev.Batch == 2 && ev.Kind == ops.EventProgress && strings.HasPrefix(ev.Message, "waiting") {
			cancel()
		}
	}).Rotate(ctx, fleet.RotateRequest{Cluster: "prod", Standalone: fleet.StandaloneStop, Surge: -1})
	if !errors.Is(err, ops.ErrInterrupted) {
		t.Fatalf("first run: %v, want interrupted in batch 2", err)
	}

	res, err := simRotator(sb, nil).Rotate(t.Context(), fleet.RotateRequest{Cluster: "prod", Abort: true, Surge: -1})
	if err != nil {
		t.Fatalf("abort: %v", err)
	}
	if res.Outcome != fleet.RotateAborted {
		t.Fatalf("abort: outcome %s (%s)", res.Outcome, res.Reason)
	}
	g := c.group("prod-ecs")
	if aws.ToInt32(g.DesiredCapacity) != 50 || aws.ToInt32(g.MinSize) != 45 || aws.ToInt32(g.MaxSize) != 60 || len(g.SuspendedProcesses) != 0 {
		t.Errorf("asg %d/%d/%d suspended %v", aws.ToInt32(g.DesiredCapacity), aws.ToInt32(g.MinSize), aws.ToInt32(g.MaxSize), g.SuspendedProcesses)
	}
	for _, tg := range g.Tags {
		if strings.HasPrefix(aws.ToString(tg.Key), "ecsctl:") {
			t.Errorf("tag left on the group: %s", aws.ToString(tg.Key))
		}
	}
	byState := map[string]int{}
	for _, ci := range c.instances("prod") {
		byState[aws.ToString(ci.Status)+" "+amiOf(ci.Attributes)]++
	}
	if byState["DRAINING "+sim.DemoOldAMI] != 0 || byState["ACTIVE "+sim.DemoOldAMI] != 8 || byState["ACTIVE "+sim.DemoNewAMI] != 42 {
		t.Errorf("container instances after abort: %v (want batch 1 replaced, the rest back ACTIVE)", byState)
	}
	rep := sb.Sim.Report()
	if len(rep.Violations) != 0 || len(rep.TerminatedWithTasks) != 0 {
		t.Errorf("invariants broken: %v %+v", rep.Violations, rep.TerminatedWithTasks)
	}
	_, err = simRotator(sb, nil).Rotate(t.Context(), fleet.RotateRequest{Cluster: "prod", Abort: true, Surge: -1})
	var in *ops.InputError
	if !errors.As(err, &in) || !strings.Contains(err.Error(), "no rotation in progress") {
		t.Errorf("second abort: %v, want nothing to abort", err)
	}
}
