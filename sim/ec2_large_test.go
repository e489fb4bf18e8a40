package sim

import (
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
)

// TestLargeWorldScales loads 500 instances in 5 groups, pages through them
// and scales every group, the way the large world is driven.
func TestLargeWorldScales(t *testing.T) {
	w := testWorld(1)
	w.AutoScalingGroups = nil
	for i := 0; i < 5; i++ {
		w.AutoScalingGroups = append(w.AutoScalingGroups, ASGSpec{Name: fmt.Sprintf("g%d", i), LaunchTemplate: "ecs-prod",
			Min: 0, Max: 200, Desired: 100, Instances: []InstanceGroupSpec{{Count: 100, AgeHours: 24}}})
	}
	s := newEC2TestSim(t, w, 0)
	if n := len(describeAll(t, s, &ec2.DescribeInstancesInput{})); n != 500 {
		t.Fatalf("described %d, want 500", n)
	}
	for i := 0; i < 5; i++ {
		ec2MustCall(t, s, (*Sim).asgSetDesiredCapacity, &autoscaling.SetDesiredCapacityInput{AutoScalingGroupName: aws.String(fmt.Sprintf("g%d", i)), DesiredCapacity: aws.Int32(int32(100 + 20*(i%2*2-1)))})
	}
	s.Advance(15 * time.Minute)
	if n := len(instancesIn(s, "running")); n != 500+20*2-20*3 {
		t.Fatalf("running %d, want %d", n, 500+20*2-20*3)
	}
}
