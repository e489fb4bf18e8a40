package cmd

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"ecsctl/ops"
	"ecsctl/sim"
)

// asgClient and ec2Client read the sandbox's groups and templates.
func (sb *sandbox) asgClient() *autoscaling.Client {
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""), BaseEndpoint: aws.String(sb.url)}
	return autoscaling.NewFromConfig(cfg)
}

func (sb *sandbox) ec2Client() *ec2.Client {
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""), BaseEndpoint: aws.String(sb.url)}
	return ec2.NewFromConfig(cfg)
}

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
	w, _ := sim.BuiltinWorld("small")
	w.AutoScalingGroups[0].Instances = []sim.InstanceGroupSpec{{Count: 3, AMI: sim.DemoNewAMI, LaunchTemplateVersion: "2"}}
	sb := startSandboxWorld(t, w, "")
	sb.sim.ResetRequests()
	code, stdout, stderr := run(t, rotateArgs("small", "--yes")...)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	if res := decodeRotate(t, stdout); res.Outcome != ops.RotateUnchanged || len(res.Replaced) != 0 {
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
	if res.Outcome != ops.RotateAborted || len(res.Replaced) != 2 {
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
