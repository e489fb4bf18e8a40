package sim

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// ECS managed scaling of an Auto Scaling group capacity provider (ECS
// developer guide, "Automatically manage Amazon ECS capacity with cluster
// auto scaling"): ECS publishes CapacityProviderReservation = M / N × 100
// each minute, N the group's instances and M the ones needed — here the
// instances running at least one task that is not a daemon task — and a
// target tracking policy it owns sets desired capacity so that the metric
// meets targetCapacity: scale-out after one datapoint above the target,
// scale-in after 15 consecutive minutes below it. With managed termination
// protection ECS also protects from scale-in the instances running such
// tasks and unprotects idle ones, so that the group's own scale-in only
// picks idle instances.
//
// The sandbox does not model tasks waiting in PROVISIONING for capacity
// (capacity provider strategies), so M never exceeds N here.

const (
	ecsManagedScalingPeriod  = time.Minute
	ecsManagedScaleInPeriods = 15
)

func init() {
	registerEvent("ecs.managedScaling", (*Sim).ecsOnManagedScaling)
	registerWorldLoader(loadOrderRest, "ecs managed scaling", func(s *Sim, w *World) error {
		for _, n := range sortedKeys(s.ecs.CapacityProviders) {
			if managedScalingOn(s.ecs.CapacityProviders[n]) {
				s.after(ecsManagedScalingPeriod, "ecs.managedScaling", n)
			}
		}
		return nil
	})
}

func managedScalingOn(cp *types.CapacityProvider) bool {
	ap := cp.AutoScalingGroupProvider
	return ap != nil && ap.ManagedScaling != nil && ap.ManagedScaling.Status == types.ManagedScalingStatusEnabled
}

// ecsOnManagedScaling is one minute of a capacity provider's managed scaling.
func (s *Sim) ecsOnManagedScaling(name string) {
	cp := s.ecs.CapacityProviders[name]
	if cp == nil || !managedScalingOn(cp) {
		return
	}
	s.after(ecsManagedScalingPeriod, "ecs.managedScaling", name)
	ap := cp.AutoScalingGroupProvider
	arn := aws.ToString(ap.AutoScalingGroupArn)
	g := s.asg.Groups[arn[strings.LastIndex(arn, "/")+1:]]
	if g == nil {
		return
	}
	busy := map[string]bool{}
	for _, a := range sortedKeys(s.ecs.Instances) {
		in := s.ecs.Instances[a]
		if in.ASGName != g.Name || aws.ToString(in.CI.Status) == "INACTIVE" {
			continue
		}
		for ta := range s.ecs.instTasks[a] {
			t := s.ecs.Tasks[ta]
			if t == nil {
				continue
			}
			if svc := s.ecsTaskService(t); svc != nil && svc.Svc.SchedulingStrategy == types.SchedulingStrategyDaemon {
				continue
			}
			busy[aws.ToString(in.CI.Ec2InstanceId)] = true
		}
	}
	if ap.ManagedTerminationProtection == types.ManagedTerminationProtectionEnabled {
		for _, m := range g.sortedMembers() {
			if m.active() {
				m.Protected = busy[m.InstanceID]
			}
		}
	}
	n, need := g.capacity(), 0
	for _, m := range g.Members {
		if m.active() && busy[m.InstanceID] {
			need++
		}
	}
	target := 100.0
	if tc := ap.ManagedScaling.TargetCapacity; tc != nil && *tc > 0 {
		target = float64(*tc)
	}
	want := int(math.Ceil(float64(need) * 100 / target))
	want = max(g.Min, min(g.Max, want))
	reservation := 0.0
	if n > 0 {
		reservation = float64(need) * 100 / float64(n)
	}
	policy := "ECSManagedAutoScalingPolicy-" + fnvHex(name, 8)
	switch {
	case want > g.Desired:
		g.ManagedLowSince = time.Time{}
		s.setDesired(g, want, fmt.Sprintf("At %s a monitor alarm TargetTracking-%s-AlarmHigh in state ALARM triggered policy %s changing the desired capacity from %d to %d.",
			stamp(s.now), g.Name, policy, g.Desired, want))
	case want < g.Desired:
		if g.ManagedLowSince.IsZero() {
			g.ManagedLowSince = s.now
		}
		if s.now.Sub(g.ManagedLowSince) >= ecsManagedScaleInPeriods*ecsManagedScalingPeriod {
			g.ManagedLowSince = time.Time{}
			s.rec.timeline(s.now, "ecs.managedScaling", fmt.Sprintf("%s: CapacityProviderReservation %.0f below target %.0f for 15 minutes", name, reservation, target))
			s.setDesired(g, want, fmt.Sprintf("At %s a monitor alarm TargetTracking-%s-AlarmLow in state ALARM triggered policy %s changing the desired capacity from %d to %d.",
				stamp(s.now), g.Name, policy, g.Desired, want))
		}
	default:
		g.ManagedLowSince = time.Time{}
	}
}
