package fleet_test

import (
	"regexp"
	"strconv"
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

var instanceIDs = regexp.MustCompile(`i-[0-9a-f]{17}`)

// drainingIn is the instances an event shows set DRAINING in batch b:
// a drain's own ("i-… DRAINING"), or the next batch drained early
// ("batch 2/2: draining i-…, i-… alongside batch 1").
func drainingIn(ev ops.Event, b int) []string {
	if ev.Batch == b && ev.State == "draining" && ev.Instance != "" {
		return []string{ev.Instance}
	}
	if strings.Contains(ev.Message, "batch "+strconv.Itoa(b)+"/2: draining ") {
		return instanceIDs.FindAllString(ev.Message, -1)
	}
	return nil
}

// A Spot interruption during the rotation of the edge world's mixed
// instances group: of a new instance the run just protected, and of an old
// instance of the batch being drained (the group replaces it, and the
// decrement the run would have made with its termination never happens).
// Either way the run completes on the new AMI at the original capacity,
// keeps the group's mixed instances policy (its launch templates on a new
// version), and never terminates an instance with tasks. Moved from cmd's
// TestE2ERotateMixedInstancesWithSpotInterruption; the interruption fires
// at a progress event instead of a line of the command's log.
func TestSimRotateMixedInstancesWithSpotInterruption(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		fire func(sb *simtest.Sandbox, ev ops.Event) (string, bool)
	}{
		{"new instance", func(sb *simtest.Sandbox, ev ops.Event) (string, bool) {
			if ev.Batch != 2 && !strings.Contains(ev.Message, "batch 2/") {
				return "", false
			}
			id, err := sb.Sim.InterruptSpotInGroup(sim.EdgeMixedASG)
			return id, err == nil
		}},
		{"draining old instance, first batch", interruptDrainingIn(1)},
		{"draining old instance, last batch", interruptDrainingIn(2)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sb := simtest.Start(t, "edge", simtest.Options{})
			c := simCluster{t: t, ecs: ecs.NewFromConfig(sb.Config), asg: autoscaling.NewFromConfig(sb.Config), ec2: ec2.NewFromConfig(sb.Config)}
			sb.Sim.ResetReport()
			interrupted := ""
			r := simRotator(sb, func(ev ops.Event) {
				if interrupted == "" {
					if id, ok := tc.fire(sb, ev); ok {
						interrupted = id
					}
				}
			})
			res, err := r.Rotate(t.Context(), fleet.RotateRequest{Cluster: sim.EdgeMixedCluster, UpdateLaunchTemplate: true, Standalone: fleet.StandaloneWait, Batch: 2, Surge: 2})
			if interrupted == "" {
				t.Fatalf("no Spot instance interrupted (outcome %s, %v)", res.Outcome, err)
			}
			if err != nil || res.Outcome != fleet.RotateCompleted || res.Plan.TargetAMI != sim.DemoNewAMI {
				t.Fatalf("rotate: %v (outcome %s: %s, target %s)", err, res.Outcome, res.Reason, res.Plan.TargetAMI)
			}
			g := c.group(sim.EdgeMixedASG)
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
				out, err := c.ec2.DescribeLaunchTemplateVersions(t.Context(), &ec2.DescribeLaunchTemplateVersionsInput{LaunchTemplateName: aws.String(name)})
				if err != nil {
					t.Fatal(err)
				}
				var images []string
				for _, v := range out.LaunchTemplateVersions {
					images = append(images, aws.ToString(v.LaunchTemplateData.ImageId))
				}
				if len(images) != 2 || images[0] != sim.DemoNewAMI {
					t.Errorf("launch template %s images (newest first) %v, want a new version on %s", name, images, sim.DemoNewAMI)
				}
			}
			if !strings.Contains(strings.Join(res.Notes, "\n"), "instance "+interrupted+" left "+sim.EdgeMixedASG+" during the run (Spot interruption)") {
				t.Errorf("the run never reports the interrupted instance %s: %q", interrupted, res.Notes)
			}
			c.checkFleetRotated(sb, sim.EdgeMixedCluster, sim.EdgeMixedASG, sim.DemoNewAMI, 4)
		})
	}
}

// interruptDrainingIn interrupts the first Spot instance an event shows
// DRAINING in batch b.
func interruptDrainingIn(b int) func(sb *simtest.Sandbox, ev ops.Event) (string, bool) {
	return func(sb *simtest.Sandbox, ev ops.Event) (string, bool) {
		for _, id := range drainingIn(ev, b) {
			if sb.Sim.InterruptSpotInstance(id) == nil {
				return id, true
			}
		}
		return "", false
	}
}

// checkFleetRotated: the group at its desired capacity with nothing of
// ecsctl's left, every container instance ACTIVE on ami, and no instance
// terminated with tasks but by the Spot interruption itself.
func (c simCluster) checkFleetRotated(sb *simtest.Sandbox, cluster, group, ami string, desired int32) {
	t := c.t
	t.Helper()
	g := c.group(group)
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
	byState := map[string]int{}
	for _, ci := range c.instances(cluster) {
		byState[aws.ToString(ci.Status)+" "+amiOf(ci.Attributes)]++
	}
	if byState["ACTIVE "+ami] != int(desired) || len(byState) != 1 {
		t.Errorf("container instances of %s by status/AMI: %v, want %d ACTIVE on %s", cluster, byState, desired, ami)
	}
	rep := sb.Sim.Report()
	for _, tr := range rep.TerminatedWithTasks {
		if tr.By != "spot interruption" {
			t.Errorf("instance terminated with service tasks: %+v", tr)
		}
	}
	if len(rep.Violations) != 0 || len(rep.KilledNoReplacement) != 0 {
		t.Errorf("invariants broken: below minimum %v, killed %+v", rep.Violations, rep.KilledNoReplacement)
	}
}
