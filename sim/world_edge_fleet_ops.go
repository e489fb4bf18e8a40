package sim

import "time"

// The fleet shapes that decide how a rotation may change a group (issue 15
// items 4 and 5): a capacity provider whose managed scaling sets the
// group's desired capacity on its own, and a group with a terminating
// lifecycle hook, a warm pool on the old AMI, a target tracking policy and a
// scheduled action. Each has its own cluster and group; the names are fixed.
const (
	EdgeManagedCluster = "managed"
	EdgeManagedASG     = "managed-ecs"
	// EdgeManagedCP is the capacity provider of managed-ecs.
	EdgeManagedCP      = "managed-cp"
	EdgeHookedCluster  = "hooked"
	EdgeHookedASG      = "hooked-ecs"
	EdgeHookedHook     = "hooked-drain-hook"
	EdgeHookedPolicy   = "hooked-cpu50"
	EdgeHookedSchedule = "hooked-nightly"
)

// edgeFleetOps adds clusters managed and hooked.
func edgeFleetOps(w *World) {
	// managed: ECS managed scaling at target capacity 100 with managed
	// termination protection, which requires the group to protect new
	// instances from scale-in (ECS then unprotects the idle ones).
	app := appService("app", 3, 512, 1024, DemoAPITag, false)
	app.Containers = app.Containers[:1]
	app.Containers[0].Ports = nil
	app.Tags["env"] = "edge"
	w.LaunchTemplates = append(w.LaunchTemplates, ecsLaunchTemplate(EdgeManagedASG, EdgeManagedCluster, "m5.large"))
	w.AutoScalingGroups = append(w.AutoScalingGroups, ASGSpec{
		Name: EdgeManagedASG, LaunchTemplate: EdgeManagedASG, Version: "$Latest",
		Min: 1, Max: 6, Desired: 3,
		Tags:                             map[string]string{"env": "edge", "team": "platform"},
		NewInstancesProtectedFromScaleIn: true,
		Instances: []InstanceGroupSpec{
			{Count: 2, AMI: DemoOldAMI, LaunchTemplateVersion: "1", AgeHours: 24 * 30, ProtectedFromScaleIn: true},
			{Count: 1, AMI: DemoNewAMI, LaunchTemplateVersion: "2", AgeHours: 24 * 3, ProtectedFromScaleIn: true},
		},
		CapacityProvider: &CapacityProviderSpec{Name: EdgeManagedCP, ManagedScaling: true, TargetCapacity: 100, ManagedTerminationProtection: true},
	})
	w.Clusters = append(w.Clusters, ClusterSpec{Name: EdgeManagedCluster, Tags: map[string]string{"env": "edge"}, Services: []ServiceSpec{app}})

	// hooked: instances wait 300 s in Terminating:Wait (then CONTINUE), two
	// stopped instances wait in the pool on the old AMI, CPU target
	// tracking at 50 %, and a nightly scheduled action back to 3.
	api := appService("api", 3, 512, 1024, DemoAPITag, false)
	api.Containers = api.Containers[:1]
	api.Containers[0].Ports = nil
	api.Tags["env"] = "edge"
	w.LaunchTemplates = append(w.LaunchTemplates, ecsLaunchTemplate(EdgeHookedASG, EdgeHookedCluster, "m5.large"))
	w.AutoScalingGroups = append(w.AutoScalingGroups, HookedGroup(24*time.Hour, true))
	w.Clusters = append(w.Clusters, ClusterSpec{Name: EdgeHookedCluster, Tags: map[string]string{"env": "edge"}, Services: []ServiceSpec{api}})
}

// HookedGroup is the hooked-ecs group of the edge world, with its scheduled
// action due at after the world starts, and with or without its warm pool
// (tests reuse it in worlds of their own).
func HookedGroup(at time.Duration, warmPool bool) ASGSpec {
	three := 3
	g := ASGSpec{
		Name: EdgeHookedASG, LaunchTemplate: EdgeHookedASG, Version: "$Latest",
		Min: 2, Max: 6, Desired: 3,
		Tags: map[string]string{"env": "edge", "team": "platform"},
		Instances: []InstanceGroupSpec{
			{Count: 2, AMI: DemoOldAMI, LaunchTemplateVersion: "1", AgeHours: 24 * 30},
			{Count: 1, AMI: DemoNewAMI, LaunchTemplateVersion: "2", AgeHours: 24 * 3},
		},
		LifecycleHookSpecs: []LifecycleHookSpec{{Name: EdgeHookedHook, Transition: hookTerminating,
			HeartbeatTimeout: Duration(300 * time.Second), DefaultResult: "CONTINUE"}},
		ScalingPolicies:  []ScalingPolicySpec{{Name: EdgeHookedPolicy, Type: "TargetTrackingScaling", Metric: "ASGAverageCPUUtilization", TargetValue: 50}},
		ScheduledActions: []ScheduledActionSpec{{Name: EdgeHookedSchedule, At: Duration(at), Recurrence: "0 22 * * *", Desired: &three}},
	}
	if warmPool {
		g.WarmPool = &WarmPoolSpec{State: "Stopped", Count: 2, AMI: DemoOldAMI, LaunchTemplateVersion: "1"}
	}
	return g
}
