package fleet

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
)

// An old instance awaiting its agent goes last in its zone, so the
// batches before it give the agent time to register.
func TestRotateOrderPutsAnInstanceAwaitingItsAgentLast(t *testing.T) {
	held := &drainInstance{EC2ID: "i-0000a", AZ: "a"} // no container instance ARN
	a2 := &drainInstance{EC2ID: "i-0000b", AZ: "a", Arn: "arn:ci/b"}
	a3 := &drainInstance{EC2ID: "i-0000c", AZ: "a", Arn: "arn:ci/c"}
	batches := rotateOrder([]*drainInstance{held, a2, a3}, map[string]int{"a": 3}, 1, 1, 0)
	if len(batches) != 3 || batches[2][0] != held {
		t.Fatalf("batches %v: want %s in the last", batches, held.EC2ID)
	}
	if !awaitingAgent(held) || awaitingAgent(a2) {
		t.Error("awaitingAgent: an instance awaits its agent exactly when it has no container instance")
	}
}

// The fleet check takes a planned instance awaiting its agent, not yet in
// the cluster, as planned; any other planned instance missing from the
// cluster is a change, and so is the held one once it left the group.
func TestFleetChangesLeavesInstancesAwaitingTheirAgent(t *testing.T) {
	member := func(id string, st astypes.LifecycleState) astypes.Instance {
		return astypes.Instance{InstanceId: aws.String(id), LifecycleState: st}
	}
	g := astypes.AutoScalingGroup{AutoScalingGroupName: aws.String("web"), Instances: []astypes.Instance{
		member("i-held", astypes.LifecycleStateInService), member("i-gone", astypes.LifecycleStateInService)}}
	dc := &drainCluster{Name: "prod", ByEC2: map[string]*drainInstance{}}
	planned := map[string]bool{"i-held": true, "i-gone": true}
	got := fleetChanges(g, dc, "ami-new", planned, []string{"i-held", "i-gone"}, map[string]bool{"i-held": true})
	if len(got) != 1 || !strings.Contains(got[0], "i-gone of the plan is no longer registered") {
		t.Errorf("changes %q: want only i-gone's", got)
	}
	g.Instances = g.Instances[1:]
	got = fleetChanges(g, dc, "ami-new", planned, []string{"i-held", "i-gone"}, map[string]bool{"i-held": true})
	if len(got) != 2 || !strings.Contains(got[0], "i-held of the plan is no longer in web") {
		t.Errorf("changes %q: want the held instance gone from the group", got)
	}
}
