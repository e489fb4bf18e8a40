package cmd

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"ecsctl/sim"
)

// Rotations on the edge world's fleet shapes (issue 15 items 1–3): the
// target AMI matches the fleet's family and architecture, resolve:ssm:
// templates keep their alias, mixed-instances groups are updated through
// their policy (a Spot interruption mid-run is ops/fleet's
// TestSimRotateMixedInstancesWithSpotInterruption).

// checkFleetRotated asserts that a rotated group's instances all run ami,
// its capacity is back and the run left no marks or broken invariants
// (Spot interruptions are EC2's doing and are allowed in the report).
func (sb *sandbox) checkFleetRotated(t *testing.T, cluster, group, ami string, desired int32) {
	t.Helper()
	g := sb.rotateASG(group).AutoScalingGroups[0]
	if aws.ToInt32(g.DesiredCapacity) != desired {
		t.Errorf("%s desired %d, want %d", group, aws.ToInt32(g.DesiredCapacity), desired)
	}
	for _, tg := range g.Tags {
		if strings.HasPrefix(aws.ToString(tg.Key), "ecsctl:") {
			t.Errorf("tag left on %s: %s", group, aws.ToString(tg.Key))
		}
	}
	if len(g.SuspendedProcesses) != 0 {
		t.Errorf("processes left suspended on %s: %+v", group, g.SuspendedProcesses)
	}
	amis := sb.rotateAMIs(cluster)
	if amis["ACTIVE "+ami] != int(desired) || len(amis) != 1 {
		t.Errorf("container instances of %s by status/AMI: %v, want %d ACTIVE on %s", cluster, amis, desired, ami)
	}
	rep := sb.sim.Report()
	for _, tr := range rep.TerminatedWithTasks {
		if tr.By != "spot interruption" {
			t.Errorf("instance terminated with service tasks: %+v", tr)
		}
	}
	if len(rep.Violations) != 0 || len(rep.KilledNoReplacement) != 0 {
		t.Errorf("invariants broken: below minimum %v, killed %+v", rep.Violations, rep.KilledNoReplacement)
	}
}

func (sb *sandbox) ec2Client() *ec2.Client {
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""), BaseEndpoint: aws.String(sb.url)}
	return ec2.NewFromConfig(cfg)
}

func TestE2ERotateGravitonGetsArm64AMI(t *testing.T) {
	parallel(t)
	sb := startSandbox(t, "edge", "")
	sb.sim.ResetReport()
	code, stdout, stderr := run(t, rotateArgs(sim.EdgeGravitonCluster, "--yes")...)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	res := decodeRotate(t, stdout)
	if res.Plan.TargetAMI != sim.ArmNewAMI || !strings.Contains(res.Plan.AMISource, sim.ArmAMIParam) || len(res.Replaced) != 2 {
		t.Fatalf("target %s from %q, replaced %v: want %s from %s, 2 replaced", res.Plan.TargetAMI, res.Plan.AMISource, res.Replaced, sim.ArmNewAMI, sim.ArmAMIParam)
	}
	sb.checkFleetRotated(t, sim.EdgeGravitonCluster, sim.EdgeGravitonASG, sim.ArmNewAMI, 3)
}

func TestE2ERotateGravitonRefusesX86AMI(t *testing.T) {
	parallel(t)
	sb := startSandbox(t, "edge", "")
	sb.sim.ResetRequests()
	code, stdout, stderr := run(t, rotateArgs(sim.EdgeGravitonCluster, "--ami", sim.DemoNewAMI, "--update-launch-template", "--yes")...)
	if code != ExitUsage || !strings.Contains(stderr, "x86_64") || !strings.Contains(stderr, "arm64") || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
		t.Fatalf("exit %d, want 2 with one line naming both architectures\n%s\n%s", code, stdout, stderr)
	}
	if m := sb.mutations(); len(m) != 0 {
		t.Errorf("refusal made mutating calls: %v", m)
	}
}

func TestE2ERotateBottlerocketTargetsItsFamily(t *testing.T) {
	parallel(t)
	_ = startSandbox(t, "edge", "")
	code, stdout, stderr := run(t, rotateArgs(sim.EdgeBottlerocketClust, "--dry-run")...)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	res := decodeRotate(t, stdout)
	if res.Plan.TargetAMI != sim.BottlerocketNewAMI || !strings.Contains(res.Plan.AMISource, sim.BottlerocketAMIParam) || len(res.Plan.Instances) != 2 {
		t.Fatalf("target %s from %q (%d instances), want %s from %s", res.Plan.TargetAMI, res.Plan.AMISource, len(res.Plan.Instances), sim.BottlerocketNewAMI, sim.BottlerocketAMIParam)
	}
}

func TestE2ERotateRefusesMixedFamilies(t *testing.T) {
	parallel(t)
	w, err := sim.BuiltinWorld("edge")
	if err != nil {
		t.Fatal(err)
	}
	for i := range w.AutoScalingGroups {
		if g := &w.AutoScalingGroups[i]; g.Name == sim.EdgeBottlerocketASG {
			g.Desired, g.Max = 3, 6
			g.Instances = append(g.Instances, sim.InstanceGroupSpec{Count: 1, AMI: sim.DemoOldAMI, LaunchTemplateVersion: "1", AgeHours: 24 * 60})
		}
	}
	sb := startSandboxWorld(t, w, "")
	sb.sim.ResetRequests()
	code, stdout, stderr := run(t, rotateArgs(sim.EdgeBottlerocketClust, "--update-launch-template", "--yes")...)
	if code != ExitUsage || !strings.Contains(stderr, "Bottlerocket aws-ecs-2 x86_64") || !strings.Contains(stderr, "Amazon Linux 2023 x86_64") || !strings.Contains(stderr, "--ami") {
		t.Fatalf("exit %d, want 2 naming both families and --ami\n%s\n%s", code, stdout, stderr)
	}
	if m := sb.mutations(); len(m) != 0 {
		t.Errorf("refusal made mutating calls: %v", m)
	}
}

// ltImages lists a launch template's versions' ImageIds as stored.
func (sb *sandbox) ltImages(name string) []string {
	sb.t.Helper()
	out, err := sb.ec2Client().DescribeLaunchTemplateVersions(context.Background(), &ec2.DescribeLaunchTemplateVersionsInput{LaunchTemplateName: aws.String(name)})
	if err != nil {
		sb.t.Fatal(err)
	}
	var images []string
	for _, v := range out.LaunchTemplateVersions {
		images = append(images, aws.ToString(v.LaunchTemplateData.ImageId))
	}
	return images
}

func TestE2ERotateAliasTemplateKeepsTheAlias(t *testing.T) {
	parallel(t)
	sb := startSandbox(t, "edge", "")
	alias := "resolve:ssm:" + sim.RecommendedAMIParam
	sb.sim.ResetRequests()
	code, stdout, stderr := run(t, rotateArgs(sim.EdgeAliasCluster, "--ami", sim.DemoOldAMI, "--yes")...)
	if code != ExitUsage || !strings.Contains(stderr, "resolve:ssm:") {
		t.Fatalf("--ami other than the alias's AMI: exit %d, want 2\n%s\n%s", code, stdout, stderr)
	}
	if m := sb.mutations(); len(m) != 0 {
		t.Errorf("refusal made mutating calls: %v", m)
	}

	sb.sim.ResetReport()
	code, stdout, stderr = run(t, rotateArgs(sim.EdgeAliasCluster, "--update-launch-template", "--yes")...)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	res := decodeRotate(t, stdout)
	if res.Plan.TargetAMI != sim.DemoNewAMI || res.Plan.UpdateLaunchTemplate || !strings.Contains(res.Plan.AMISource, alias) {
		t.Errorf("plan: target %s from %q, update template %v; want %s from the alias, no update", res.Plan.TargetAMI, res.Plan.AMISource, res.Plan.UpdateLaunchTemplate, sim.DemoNewAMI)
	}
	if images := sb.ltImages(sim.EdgeAliasASG); len(images) != 1 || images[0] != alias {
		t.Errorf("launch template %s versions' images %v, want only the alias %s", sim.EdgeAliasASG, images, alias)
	}
	sb.checkFleetRotated(t, sim.EdgeAliasCluster, sim.EdgeAliasASG, sim.DemoNewAMI, 2)
}
