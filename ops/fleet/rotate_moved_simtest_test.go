package fleet_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"ecsctl/ops"
	"ecsctl/ops/fleet"
	"ecsctl/sim"
	"ecsctl/sim/simtest"
)

// Behaviour tests of rotate-ami moved down from cmd (issue 17): the same
// assertions on the sandbox's state, in virtual time.

// The batches a run drains are the batches its dry run planned for the
// same state (moved from cmd's TestE2ERotateRunsThePlanItShowed).
func TestSimRotateRunsThePlanItShowed(t *testing.T) {
	t.Parallel()
	sb := simtest.Start(t, "demo", simtest.Options{})
	c := simCluster{t: t, ecs: ecs.NewFromConfig(sb.Config), asg: autoscaling.NewFromConfig(sb.Config), ec2: ec2.NewFromConfig(sb.Config)}
	sb.Sim.ResetReport()
	req := fleet.RotateRequest{Cluster: "prod", Standalone: fleet.StandaloneStop, Batch: 5, Surge: -1}
	dry := req
	dry.DryRun = true
	res, err := simRotator(sb, nil).Rotate(t.Context(), dry)
	if err != nil || res.Outcome != fleet.RotateDryRun {
		t.Fatalf("dry run: %v (outcome %s)", err, res.Outcome)
	}
	plan := res.Plan
	want := map[int][]string{}
	for _, in := range plan.Instances {
		want[in.Batch] = append(want[in.Batch], in.InstanceID)
	}
	res, err = simRotator(sb, nil).Rotate(t.Context(), req)
	if err != nil || res.Outcome != fleet.RotateCompleted {
		t.Fatalf("run: %v (outcome %s: %s)", err, res.Outcome, res.Reason)
	}
	if len(res.Batches) != plan.Batches || plan.Batches < 2 {
		t.Fatalf("ran %d batches, the plan had %d", len(res.Batches), plan.Batches)
	}
	for _, b := range res.Batches {
		got, exp := slices.Sorted(slices.Values(b.Instances)), slices.Sorted(slices.Values(want[b.Batch]))
		if !slices.Equal(got, exp) {
			t.Errorf("batch %d drained %v, the plan showed %v", b.Batch, got, exp)
		}
	}
	c.checkDemoRotated(sb)
}

// Under the wait policy a batch whose instance runs a standalone task
// pauses at the batch timeout with the instance DRAINING and nothing
// terminated; re-run with the stop policy, the run stops the task and
// finishes (moved from cmd's TestE2ERotateStandaloneTaskPolicies, which
// keeps the abort policy's refusal and its exit code).
func TestSimRotateStandaloneWaitPausesThenStopFinishes(t *testing.T) {
	t.Parallel()
	w, err := sim.BuiltinWorld("small")
	if err != nil {
		t.Fatal(err)
	}
	zero := 0
	w.Clusters[0].Tasks[0].Instance = &zero // the standalone task on the first (old) instance
	sb := simtest.StartWorld(t, w, simtest.Options{})
	c := simCluster{t: t, ecs: ecs.NewFromConfig(sb.Config), asg: autoscaling.NewFromConfig(sb.Config), ec2: ec2.NewFromConfig(sb.Config)}
	sb.Sim.ResetReport()

	res, err := simRotator(sb, nil).Rotate(t.Context(), fleet.RotateRequest{Cluster: "small", Batch: 1, Surge: -1, TimeoutPerBatch: 10 * time.Minute})
	if err == nil || res.Outcome != fleet.RotatePaused || !strings.Contains(res.Reason, "not drained after 10m0s") {
		t.Fatalf("wait policy: %v (outcome %s: %s), want a pause at the batch timeout", err, res.Outcome, res.Reason)
	}
	byState := map[string]int{}
	for _, ci := range c.instances("small") {
		byState[aws.ToString(ci.Status)+" "+amiOf(ci.Attributes)]++
	}
	if byState["DRAINING "+sim.DemoOldAMI] != 1 {
		t.Errorf("container instances %v, want the paused one DRAINING", byState)
	}

	stopped := false
	res, err = simRotator(sb, func(ev ops.Event) {
		stopped = stopped || strings.Contains(ev.Message, "stopped standalone task")
	}).Rotate(t.Context(), fleet.RotateRequest{Cluster: "small", Standalone: fleet.StandaloneStop, Surge: -1})
	if err != nil || res.Outcome != fleet.RotateCompleted || !res.Plan.Resuming {
		t.Fatalf("stop policy: %v (outcome %s: %s)", err, res.Outcome, res.Reason)
	}
	if !stopped {
		t.Error("no standalone stop reported")
	}
	byState = map[string]int{}
	for _, ci := range c.instances("small") {
		byState[aws.ToString(ci.Status)+" "+amiOf(ci.Attributes)]++
	}
	if byState["ACTIVE "+sim.DemoNewAMI] != 3 || len(byState) != 1 {
		t.Errorf("container instances %v, want 3 ACTIVE on the new AMI", byState)
	}
	rep := sb.Sim.Report()
	if len(rep.Violations) != 0 || len(rep.TerminatedWithTasks) != 0 {
		t.Errorf("invariants: %v %+v", rep.Violations, rep.TerminatedWithTasks)
	}
}

// A group whose launch template launches the old AMI is rotated with
// UpdateLaunchTemplate: a new template version on the target, then the
// batches (moved from cmd's TestE2ERotateRefusesLaunchTemplateOnOldAMI,
// which keeps the refusal without the flag and its exit code).
func TestSimRotateUpdatesALaunchTemplateOnTheOldAMI(t *testing.T) {
	t.Parallel()
	sb := simtest.Start(t, "demo", simtest.Options{})
	c := simCluster{t: t, ecs: ecs.NewFromConfig(sb.Config), asg: autoscaling.NewFromConfig(sb.Config), ec2: ec2.NewFromConfig(sb.Config)}
	lt := *c.group("prod-ecs").LaunchTemplate
	lt.Version = aws.String("$Default") // version 1: the old AMI
	lt.LaunchTemplateName = nil
	if _, err := c.asg.UpdateAutoScalingGroup(t.Context(), &autoscaling.UpdateAutoScalingGroupInput{AutoScalingGroupName: aws.String("prod-ecs"), LaunchTemplate: &lt}); err != nil {
		t.Fatal(err)
	}
	sb.Sim.ResetReport()
	res, err := simRotator(sb, nil).Rotate(t.Context(), fleet.RotateRequest{Cluster: "prod", UpdateLaunchTemplate: true, Standalone: fleet.StandaloneStop, Batch: 5, Surge: -1})
	if err != nil || res.Outcome != fleet.RotateCompleted || !res.Plan.UpdateLaunchTemplate {
		t.Fatalf("rotate: %v (outcome %s: %s)", err, res.Outcome, res.Reason)
	}
	g := c.group("prod-ecs")
	if v := aws.ToString(g.LaunchTemplate.Version); v == "$Default" || v == "1" {
		t.Errorf("group launches launch template version %s, want the new one", v)
	}
	c.checkDemoRotated(sb)
}
