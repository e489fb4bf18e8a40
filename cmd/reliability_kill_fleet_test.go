package cmd

import (
	"syscall"
	"testing"

	"ecsctl/ops/fleet"
	"ecsctl/sim"
)

// Kill and resume on the edge world's fleet shapes: a Graviton rotation
// (the resumed run keeps the arm64 target) and a mixed-instances rotation
// that EC2 interrupts a Spot instance of (the world's spotInterruption),
// killed between its two launch template versions and mid-drain.
func killFleetCases(t *testing.T) {
	pf := []string{"--yes", "--poll-interval", "20ms", "-o", "json"}
	for _, tc := range []struct {
		name, cluster, group, ami string
		desired                   int32
		spot                      bool
		args                      []string
		trigger                   killTrigger
	}{
		{name: "graviton after the first drain", cluster: sim.EdgeGravitonCluster, group: sim.EdgeGravitonASG, ami: sim.ArmNewAMI, desired: 3,
			args: append([]string{"rotate-ami", "-c", sim.EdgeGravitonCluster}, pf...), trigger: killAfter("ecs.UpdateContainerInstancesState", 1)},
		{name: "mixed spot between the launch template versions", cluster: sim.EdgeMixedCluster, group: sim.EdgeMixedASG, ami: sim.DemoNewAMI, desired: 4, spot: true,
			args:    append([]string{"rotate-ami", "-c", sim.EdgeMixedCluster, "--update-launch-template"}, pf...),
			trigger: killAfter("ec2.CreateLaunchTemplateVersion", 1)},
		{name: "mixed spot after the first drain", cluster: sim.EdgeMixedCluster, group: sim.EdgeMixedASG, ami: sim.DemoNewAMI, desired: 4, spot: true,
			args:    append([]string{"rotate-ami", "-c", sim.EdgeMixedCluster, "--update-launch-template"}, pf...),
			trigger: killAfter("ecs.UpdateContainerInstancesState", 1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, err := sim.BuiltinWorld("edge")
			if err != nil {
				t.Fatal(err)
			}
			if tc.spot {
				edgeSpotInterruption(w)
			}
			sb := startSandboxWorld(t, w, "")
			sb.sim.SetSpeed(killRotateSpeed)
			gate := killServe(t, sb)
			sb.sim.ResetReport()
			gate.arm(syscall.SIGKILL, tc.trigger)
			code, _, stderr := gate.run(t, killLimit, tc.args...)
			if gate.firedOn() == "" || code != -int(syscall.SIGKILL) {
				t.Fatalf("the kill point was never reached (exit %d)\n%s", code, stderr)
			}
			gate.arm(0, nil)
			code, stdout, stderr := gate.run(t, killLimit, tc.args...)
			if code != ExitOK {
				t.Fatalf("re-run: exit %d\n%s\n%s", code, stdout, stderr)
			}
			if res := decodeRotate(t, stdout); res.Outcome != fleet.RotateCompleted || res.Plan.TargetAMI != tc.ami {
				t.Errorf("re-run outcome %s (%s), target %s", res.Outcome, res.Reason, res.Plan.TargetAMI)
			}
			sb.checkFleetRotated(t, tc.cluster, tc.group, tc.ami, tc.desired)
			if tc.spot {
				g := sb.rotateASG(tc.group).AutoScalingGroups[0]
				if g.MixedInstancesPolicy == nil || g.LaunchTemplate != nil {
					t.Errorf("group lost its mixed instances policy")
				}
				interrupted := false
				for _, e := range sb.sim.Report().Timeline {
					interrupted = interrupted || e.Kind == "ec2.spotInterruptionWarning"
				}
				if !interrupted {
					t.Errorf("no Spot instance was interrupted: the case proves nothing")
				}
			}
		})
	}
}
