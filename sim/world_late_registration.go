package sim

import (
	"fmt"
	"sort"
	"time"
)

// Late registration: an instance a world lists under an Auto Scaling group
// with RegisterAfter is running and InService from the start, but its ECS
// agent registers only later. On AWS the group puts an instance InService
// when EC2 reports it running and its health checks pass, which says
// nothing about the ECS agent: the agent registers the container instance
// when it has started (ContainerInstance, ECS API Reference: an instance
// "running the Amazon ECS agent and has been registered with a cluster"),
// a minute or more later on a slow boot, and an instance whose agent
// cannot reach ECS never appears in the cluster (aws/amazon-ecs-agent
// issue 605). Tools that walk the cluster see a member of the group that
// is not there yet.

func init() {
	// After the groups' instances exist, before ECS creates the clusters
	// (which registers the agents that were waiting for them).
	registerWorldLoader(loadOrderASG+1, "late registration", (*Sim).loadLateRegistration)
	registerEvent("ec2.agentRegisters", (*Sim).ec2OnAgentRegisters)
}

// loadLateRegistration holds back the registration of the instance groups
// with RegisterAfter. A group's instances were created group by group in
// launch order (loadASGWorld), so its members by launch sequence, taken
// Count at a time, are the instance groups' instances.
func (s *Sim) loadLateRegistration(w *World) error {
	for _, spec := range w.AutoScalingGroups {
		late := false
		for _, ig := range spec.Instances {
			late = late || ig.RegisterAfter > 0
		}
		g := s.asg.Groups[spec.Name]
		if !late || g == nil {
			continue
		}
		var members []*asgMember
		for _, m := range g.Members {
			members = append(members, m)
		}
		sort.Slice(members, func(i, j int) bool { return members[i].Seq < members[j].Seq })
		next := 0
		for gi, ig := range spec.Instances {
			if next+ig.Count > len(members) {
				return fmt.Errorf("auto scaling group %s: instances[%d]: %d members, want %d", spec.Name, gi, len(members)-next, ig.Count)
			}
			for _, m := range members[next : next+ig.Count] {
				if ig.RegisterAfter > 0 {
					if err := s.holdRegistration(m.InstanceID, ig.RegisterAfter.D()); err != nil {
						return fmt.Errorf("auto scaling group %s: instances[%d]: %w", spec.Name, gi, err)
					}
				}
			}
			next += ig.Count
		}
	}
	return nil
}

// holdRegistration takes back the registration an instance's agent made at
// load (it waits for its cluster, which does not exist yet) and has it
// register after d.
func (s *Sim) holdRegistration(id string, d time.Duration) error {
	inst := s.ec2.Instances[id]
	if inst == nil {
		return fmt.Errorf("instance %s not found", id)
	}
	if _, ok := s.ecs.EC2Index[id]; ok {
		return fmt.Errorf("instance %s is registered in a cluster already", id)
	}
	s.ecs.dropUnregistered(id)
	inst.Registered = false
	s.after(d, "ec2.agentRegisters", id)
	return nil
}

// ec2OnAgentRegisters: the held agent has started and registers, if its
// instance still runs.
func (s *Sim) ec2OnAgentRegisters(id string) {
	if inst := s.ec2.Instances[id]; inst != nil && inst.State == "running" {
		s.ec2RegisterWithECS(inst)
	}
}
