package sim

import (
	"fmt"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Spot interruptions. EC2 gives a Spot instance a two-minute warning (the
// instance metadata's spot/instance-action and the EventBridge event "EC2
// Spot Instance Interruption Warning"), then terminates it with the state
// reason Server.SpotInstanceTermination (EC2 User Guide, "Spot Instance
// interruption notices"). Its Auto Scaling group finds the instance gone at
// its next health check and launches a replacement (the group's desired
// capacity is unchanged). The ECS agent, when ECS_ENABLE_SPOT_INSTANCE_DRAINING
// is true, sets the container instance DRAINING on the warning, so that the
// services move their tasks before it goes; without it the tasks die with the
// instance (ECS developer guide, "Spot Instance draining").

// SpotNotice is how long before termination the interruption notice comes.
const SpotNotice = 2 * time.Minute

func init() {
	registerEvent("ec2.spotInterruption", (*Sim).ec2OnSpotInterruption)
	registerEvent("ec2.spotNotice", func(s *Sim, id string) { _ = s.interruptSpot(id) })
}

// SpotInterruptionSpec has EC2 reclaim the Launch-th Spot instance a group
// launches after the world loads, After (default 1m) once it has booted: a
// Spot interruption that lands mid-rotation, at the same point of the run
// whatever the speed of the calls.
type SpotInterruptionSpec struct {
	Launch int      `json:"launch"`
	After  Duration `json:"after,omitempty"`
}

// countSpotLaunch counts a group's Spot launch and schedules the world's
// interruption when it is the one.
func (s *Sim) countSpotLaunch(g *asgGroup, id string) {
	g.SpotLaunches++
	if g.InterruptLaunch > 0 && g.SpotLaunches == g.InterruptLaunch {
		s.after(s.Timings.InstanceBoot.D()+g.InterruptAfter, "ec2.spotNotice", id)
	}
}

// InterruptSpotInstance sends the interruption notice to a running Spot
// instance; EC2 terminates it SpotNotice later.
func (s *Sim) InterruptSpotInstance(id string) error {
	s.Lock()
	defer s.Unlock()
	return s.interruptSpot(id)
}

// InterruptSpotInGroup interrupts one running Spot member of a group: the
// one with the most service tasks, a tie going to the newest launch (the
// pool a new instance landed in is as likely to be reclaimed as any). It
// returns the instance id.
func (s *Sim) InterruptSpotInGroup(group string) (string, error) {
	s.Lock()
	defer s.Unlock()
	g := s.asg.Groups[group]
	if g == nil {
		return "", fmt.Errorf("no auto scaling group %s", group)
	}
	var cands []*asgMember
	for _, m := range g.Members {
		in := s.ec2.Instances[m.InstanceID]
		if m.Lifecycle == "InService" && in != nil && in.Lifecycle == "spot" && in.State == "running" && in.SpotNoticeAt.IsZero() {
			cands = append(cands, m)
		}
	}
	if len(cands) == 0 {
		return "", fmt.Errorf("auto scaling group %s has no running Spot instance to interrupt", group)
	}
	tasks := func(m *asgMember) int { return len(s.ecs.instTasks[s.ecs.EC2Index[m.InstanceID]]) }
	sort.Slice(cands, func(i, j int) bool {
		if a, b := tasks(cands[i]), tasks(cands[j]); a != b {
			return a > b
		}
		return cands[i].Seq > cands[j].Seq
	})
	id := cands[0].InstanceID
	return id, s.interruptSpot(id)
}

func (s *Sim) interruptSpot(id string) error {
	inst := s.ec2.Instances[id]
	switch {
	case inst == nil:
		return fmt.Errorf("no instance %s", id)
	case inst.Lifecycle != "spot":
		return fmt.Errorf("instance %s is On-Demand: only Spot instances are interrupted", id)
	case inst.State != "running" && inst.State != "pending":
		return fmt.Errorf("instance %s is %s", id, inst.State)
	case !inst.SpotNoticeAt.IsZero():
		return nil
	}
	inst.SpotNoticeAt = s.now
	s.rec.timeline(s.now, "ec2.spotInterruptionWarning", fmt.Sprintf("%s: Spot interruption notice, terminating at %s", id, s.now.Add(SpotNotice).UTC().Format(time.RFC3339)))
	if lt := s.ec2.LaunchTemplates[inst.LaunchTemplateID]; lt != nil {
		if v := lt.version(inst.LaunchTemplateVersion); v != nil && spotDrainingEnabled(v.UserData) {
			s.ecsAgentSpotDrain(id)
		}
	}
	s.after(SpotNotice, "ec2.spotInterruption", id)
	return nil
}

// ecsAgentSpotDrain is the agent setting its own container instance
// DRAINING, as UpdateContainerInstancesState would.
func (s *Sim) ecsAgentSpotDrain(instanceID string) {
	arn, ok := s.ecs.EC2Index[instanceID]
	if !ok {
		return
	}
	ci := s.ecs.Instances[arn]
	if ci == nil || aws.ToString(ci.CI.Status) != "ACTIVE" {
		return
	}
	ci.CI.Status = aws.String("DRAINING")
	ci.CI.Version++
	ci.DrainedLogged = false
	s.rec.timeline(s.Now(), "instance-draining", ci.Cluster+": "+instanceID+" (ECS agent: Spot interruption notice)")
	s.ecsKickInstanceServices(ci)
	if c := s.ecs.Clusters[ci.Cluster]; c != nil {
		s.ecsKickCluster(c)
	}
	s.ecsCheckDrained(ci)
}

func (s *Sim) ec2OnSpotInterruption(id string) {
	inst := s.ec2.Instances[id]
	if inst == nil || (inst.State != "running" && inst.State != "pending") {
		return
	}
	s.ec2Terminate(inst, spotInterruptionCause)
	inst.TransitionReason = "Service initiated (" + s.now.UTC().Format("2006-01-02 15:04:05 GMT") + ")"
	inst.ReasonCode = "Server.SpotInstanceTermination"
}

// spotInterruptionCause is the termination cause (and the recorder's "by")
// of an interrupted Spot instance.
const spotInterruptionCause = "spot interruption"
