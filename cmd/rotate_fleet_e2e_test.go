package cmd

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"ecsctl/ops/fleet"
	"ecsctl/render"
	"ecsctl/sim"
)

// Rotations on the edge world's fleet shapes (issue 15 items 1–3): the
// target AMI matches the fleet's family and architecture, resolve:ssm:
// templates keep their alias, mixed-instances groups are updated through
// their policy and survive a Spot interruption mid-run.

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

// spotTrigger is a stderr that interrupts a Spot instance the first time a
// line containing marker is written.
type spotTrigger struct {
	mu          sync.Mutex
	buf         bytes.Buffer
	marker      string
	fire        func(text string) (string, error)
	interrupted string
	err         error
}

func (w *spotTrigger) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if w.interrupted == "" && strings.Contains(w.buf.String(), w.marker) {
		w.interrupted, w.err = w.fire(w.buf.String())
	}
	return len(p), nil
}

var instanceIDs = regexp.MustCompile(`i-[0-9a-f]{17}`)

// interruptDraining interrupts the first Spot instance the run's log shows
// DRAINING in the given batch.
func interruptDraining(batch string) func(sb *sandbox, text string) (string, error) {
	return func(sb *sandbox, text string) (string, error) {
		err := fmt.Errorf("no instance of %s DRAINING yet", batch)
		for _, line := range strings.Split(text, "\n") {
			// "batch 2/2 i-… DRAINING", or "batch 2/2: draining i-…, i-…
			// alongside batch 1" when it drains early.
			if strings.Contains(line, batch) && strings.HasSuffix(line, "DRAINING") ||
				strings.Contains(line, strings.TrimSpace(batch)+": draining ") {
				for _, id := range instanceIDs.FindAllString(line, -1) {
					if err = sb.sim.InterruptSpotInstance(id); err == nil {
						return id, nil
					}
				}
			}
		}
		return "", err
	}
}

// A Spot interruption during the rotation: of a new instance the run just
// protected, and of an old instance of the batch being drained (the group
// replaces it, and the decrement the run would have made with its
// termination never happens). Either way the run completes on the new AMI,
// at the original capacity, never terminating an instance with tasks.
func TestE2ERotateMixedInstancesWithSpotInterruption(t *testing.T) {
	parallel(t)
	for _, tc := range []struct {
		name, marker string
		fire         func(sb *sandbox, text string) (string, error)
	}{
		{"new instance", "batch 2/", func(sb *sandbox, _ string) (string, error) { return sb.sim.InterruptSpotInGroup(sim.EdgeMixedASG) }},
		{"draining old instance, first batch", "batch 1/2 i-", interruptDraining("batch 1/2 ")},
		{"draining old instance, last batch", "batch 2/2", interruptDraining("batch 2/2 ")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sb := startSandbox(t, "edge", "")
			sb.sim.ResetReport()
			ios, _, out, _ := render.Test()
			trig := &spotTrigger{marker: tc.marker, fire: func(text string) (string, error) { return tc.fire(sb, text) }}
			ios.Err = trig
			code := Run(e2eContext(t, context.Background(), ios), append([]string{"ecsctl"}, rotateArgs(sim.EdgeMixedCluster, "--update-launch-template", "--yes", "--batch", "2", "--surge", "2")...), ios)
			stdout, stderr := out.String(), trig.buf.String()
			if trig.interrupted == "" {
				t.Fatalf("no Spot instance interrupted (%v)\n%s", trig.err, stderr)
			}
			if code != ExitOK {
				t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
			}
			res := decodeRotate(t, stdout)
			if res.Outcome != fleet.RotateCompleted || res.Plan.TargetAMI != sim.DemoNewAMI {
				t.Fatalf("outcome %s target %s", res.Outcome, res.Plan.TargetAMI)
			}
			g := sb.rotateASG(sim.EdgeMixedASG).AutoScalingGroups[0]
			if g.LaunchTemplate != nil || g.MixedInstancesPolicy == nil || g.MixedInstancesPolicy.LaunchTemplate == nil {
				t.Fatalf("group lost its mixed instances policy: launch template %+v, policy %+v", g.LaunchTemplate, g.MixedInstancesPolicy)
			}
			lt := g.MixedInstancesPolicy.LaunchTemplate
			if v := aws.ToString(lt.LaunchTemplateSpecification.Version); v != "2" {
				t.Errorf("policy's launch template version %s, want 2 (the new one)", v)
			}
			if len(lt.Overrides) != 2 || lt.Overrides[1].LaunchTemplateSpecification == nil || aws.ToString(lt.Overrides[1].LaunchTemplateSpecification.Version) != "2" {
				t.Errorf("overrides %+v: want m6i.large on %s version 2", lt.Overrides, sim.EdgeMixedOverrideLT)
			}
			if d := g.MixedInstancesPolicy.InstancesDistribution; d == nil || aws.ToInt32(d.OnDemandBaseCapacity) != 1 || aws.ToInt32(d.OnDemandPercentageAboveBaseCapacity) != 0 {
				t.Errorf("instances distribution changed: %+v", d)
			}
			for _, name := range []string{sim.EdgeMixedASG, sim.EdgeMixedOverrideLT} {
				if images := sb.ltImages(name); len(images) != 2 || images[0] != sim.DemoNewAMI {
					t.Errorf("launch template %s images (newest first) %v, want a new version on %s", name, images, sim.DemoNewAMI)
				}
			}
			if !strings.Contains(stderr, "instance "+trig.interrupted+" left "+sim.EdgeMixedASG+" during the run (Spot interruption)") {
				t.Errorf("the run never reports the interrupted instance %s:\n%s", trig.interrupted, stderr)
			}
			sb.checkFleetRotated(t, sim.EdgeMixedCluster, sim.EdgeMixedASG, sim.DemoNewAMI, 4)
		})
	}
}
