package sim

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
)

// An instance group with RegisterAfter is InService in its group from the
// start, holds no task, and joins its cluster only after the delay.
func TestWorldRegisterAfterDelaysTheAgent(t *testing.T) {
	w := smallWorld()
	g := &w.AutoScalingGroups[0]
	g.Desired, g.Max = g.Desired+1, g.Max+1
	g.Instances = append(g.Instances, InstanceGroupSpec{Count: 1, AMI: DemoOldAMI, LaunchTemplateVersion: "1", AgeHours: 1, RegisterAfter: Duration(20 * time.Minute)})
	s := New(Options{Seed: 7, ManualClock: true})
	if err := s.LoadWorld(w); err != nil {
		t.Fatal(err)
	}
	registered := func() map[string]bool {
		list := ec2MustCall(t, s, (*Sim).ecsListContainerInstances, &ecs.ListContainerInstancesInput{Cluster: aws.String("small")})
		d := ec2MustCall(t, s, (*Sim).ecsDescribeContainerInstances, &ecs.DescribeContainerInstancesInput{Cluster: aws.String("small"), ContainerInstances: list.ContainerInstanceArns})
		out := map[string]bool{}
		for _, ci := range d.ContainerInstances {
			out[aws.ToString(ci.Ec2InstanceId)] = true
		}
		return out
	}
	s.Advance(10 * time.Minute)
	grp := edgeGroup(t, s, "small-ecs")
	var late []string
	reg := registered()
	for _, m := range grp.Instances {
		if string(m.LifecycleState) != "InService" {
			t.Errorf("member %s is %s, want InService", aws.ToString(m.InstanceId), m.LifecycleState)
		}
		if !reg[aws.ToString(m.InstanceId)] {
			late = append(late, aws.ToString(m.InstanceId))
		}
	}
	if len(grp.Instances) != 4 || len(late) != 1 || len(reg) != 3 {
		t.Fatalf("%d members, %d registered, not registered %v: want 4, 3 and the last instance group's one", len(grp.Instances), len(reg), late)
	}
	s.Advance(11 * time.Minute)
	if !registered()[late[0]] {
		t.Fatalf("%s not registered 21 minutes after the load", late[0])
	}
	if got := ecsAttrOf(t, s, "small", late[0], "ecs.ami-id"); got != DemoOldAMI {
		t.Errorf("late instance registered with AMI %q, want %s", got, DemoOldAMI)
	}
}
