package sim

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
)

func edgeGroup(t *testing.T, s *Sim, name string) astypes.AutoScalingGroup {
	t.Helper()
	out := ec2MustCall(t, s, (*Sim).asgDescribeAutoScalingGroups, &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{name}})
	if len(out.AutoScalingGroups) != 1 {
		t.Fatalf("group %s not found", name)
	}
	return out.AutoScalingGroups[0]
}

func ecsAttrOf(t *testing.T, s *Sim, cluster, instanceID, name string) string {
	t.Helper()
	list := ec2MustCall(t, s, (*Sim).ecsListContainerInstances, &ecs.ListContainerInstancesInput{Cluster: aws.String(cluster)})
	d := ec2MustCall(t, s, (*Sim).ecsDescribeContainerInstances, &ecs.DescribeContainerInstancesInput{Cluster: aws.String(cluster), ContainerInstances: list.ContainerInstanceArns})
	for _, ci := range d.ContainerInstances {
		if aws.ToString(ci.Ec2InstanceId) == instanceID {
			for _, a := range ci.Attributes {
				if aws.ToString(a.Name) == name {
					return aws.ToString(a.Value)
				}
			}
		}
	}
	return ""
}

func TestEdgeGravitonIsArm64Everywhere(t *testing.T) {
	s := edgeSim(t)
	g := edgeGroup(t, s, EdgeGravitonASG)
	if len(g.Instances) != 3 {
		t.Fatalf("%d instances", len(g.Instances))
	}
	for _, m := range g.Instances {
		id := aws.ToString(m.InstanceId)
		if a := ecsAttrOf(t, s, EdgeGravitonCluster, id, "ecs.cpu-architecture"); a != "arm64" {
			t.Errorf("%s (%s) ecs.cpu-architecture %q, want arm64", id, aws.ToString(m.InstanceType), a)
		}
	}
	imgs := ec2MustCall(t, s, (*Sim).ec2DescribeImages, &ec2.DescribeImagesInput{ImageIds: []string{ArmNewAMI, BottlerocketNewAMI, AL2NewAMI}})
	for _, im := range imgs.Images {
		want := "x86_64"
		if aws.ToString(im.ImageId) == ArmNewAMI {
			want = "arm64"
		}
		if string(im.Architecture) != want {
			t.Errorf("%s (%s) architecture %s, want %s", aws.ToString(im.ImageId), aws.ToString(im.Name), im.Architecture, want)
		}
	}
	// An x86 AMI in a Graviton template: EC2 refuses the launch.
	ec2MustCall(t, s, (*Sim).ec2CreateLaunchTemplateVersion, &ec2.CreateLaunchTemplateVersionInput{LaunchTemplateName: aws.String(EdgeGravitonASG),
		SourceVersion: aws.String("2"), LaunchTemplateData: &ec2types.RequestLaunchTemplateData{ImageId: aws.String(DemoNewAMI)}})
	ec2MustCall(t, s, (*Sim).asgSetDesiredCapacity, &autoscaling.SetDesiredCapacityInput{AutoScalingGroupName: aws.String(EdgeGravitonASG), DesiredCapacity: aws.Int32(4)})
	s.Advance(10 * time.Second)
	acts := ec2MustCall(t, s, (*Sim).asgDescribeScalingActivities, &autoscaling.DescribeScalingActivitiesInput{AutoScalingGroupName: aws.String(EdgeGravitonASG)})
	if len(acts.Activities) == 0 || acts.Activities[0].StatusCode != astypes.ScalingActivityStatusCodeFailed || !strings.Contains(aws.ToString(acts.Activities[0].StatusMessage), "architecture") {
		t.Errorf("launch of an x86 AMI on m7g: activities %+v, want a failed one naming the architecture", acts.Activities)
	}
}

func TestEdgeAliasTemplateResolvesAtLaunch(t *testing.T) {
	s := edgeSim(t)
	raw := ec2MustCall(t, s, (*Sim).ec2DescribeLaunchTemplateVersions, &ec2.DescribeLaunchTemplateVersionsInput{LaunchTemplateName: aws.String(EdgeAliasASG), Versions: []string{"$Latest"}})
	if got := aws.ToString(raw.LaunchTemplateVersions[0].LaunchTemplateData.ImageId); got != "resolve:ssm:"+RecommendedAMIParam {
		t.Errorf("ImageId without ResolveAlias %q, want the alias", got)
	}
	res := ec2MustCall(t, s, (*Sim).ec2DescribeLaunchTemplateVersions, &ec2.DescribeLaunchTemplateVersionsInput{LaunchTemplateName: aws.String(EdgeAliasASG), Versions: []string{"$Latest"}, ResolveAlias: aws.Bool(true)})
	if got := aws.ToString(res.LaunchTemplateVersions[0].LaunchTemplateData.ImageId); got != DemoNewAMI {
		t.Errorf("ImageId with ResolveAlias %q, want %s", got, DemoNewAMI)
	}
	ec2MustCall(t, s, (*Sim).asgSetDesiredCapacity, &autoscaling.SetDesiredCapacityInput{AutoScalingGroupName: aws.String(EdgeAliasASG), DesiredCapacity: aws.Int32(3)})
	s.Advance(10 * time.Second)
	news := 0
	for _, m := range edgeGroup(t, s, EdgeAliasASG).Instances {
		if aws.ToString(m.ImageId) == DemoNewAMI {
			news++
		}
	}
	if news != 1 {
		t.Errorf("%d members on %s after a launch, want 1 (the alias resolved at launch)", news, DemoNewAMI)
	}
}

func TestEdgeMixedGroupPolicyAndSpot(t *testing.T) {
	s := edgeSim(t)
	g := edgeGroup(t, s, EdgeMixedASG)
	if g.LaunchTemplate != nil || g.MixedInstancesPolicy == nil || len(g.MixedInstancesPolicy.LaunchTemplate.Overrides) != 2 {
		t.Fatalf("launch template %+v, policy %+v: want the policy only, with two overrides", g.LaunchTemplate, g.MixedInstancesPolicy)
	}
	var ids []string
	for _, m := range g.Instances {
		ids = append(ids, aws.ToString(m.InstanceId))
	}
	out := ec2MustCall(t, s, (*Sim).ec2DescribeInstances, &ec2.DescribeInstancesInput{InstanceIds: ids})
	spot := 0
	for _, r := range out.Reservations {
		for _, in := range r.Instances {
			if in.InstanceLifecycle == "spot" {
				spot++
			}
		}
	}
	if spot != 3 {
		t.Errorf("%d Spot instances, want 3 (On-Demand base 1 of 4)", spot)
	}

	// LaunchTemplate and MixedInstancesPolicy together: refused.
	lt := g.MixedInstancesPolicy.LaunchTemplate.LaunchTemplateSpecification
	_, err := lockedCall(s, (*Sim).asgUpdateAutoScalingGroup, &autoscaling.UpdateAutoScalingGroupInput{AutoScalingGroupName: aws.String(EdgeMixedASG),
		LaunchTemplate:       &astypes.LaunchTemplateSpecification{LaunchTemplateId: lt.LaunchTemplateId, Version: aws.String("1")},
		MixedInstancesPolicy: &astypes.MixedInstancesPolicy{LaunchTemplate: &astypes.LaunchTemplate{LaunchTemplateSpecification: lt}}})
	if ae, ok := err.(*APIError); !ok || ae.Code != "ValidationError" || !strings.Contains(ae.Message, "MixedInstancesPolicy") {
		t.Errorf("both launch sources: %v, want a ValidationError", err)
	}
	// A policy update keeps the distribution it does not name.
	ec2MustCall(t, s, (*Sim).asgUpdateAutoScalingGroup, &autoscaling.UpdateAutoScalingGroupInput{AutoScalingGroupName: aws.String(EdgeMixedASG),
		MixedInstancesPolicy: &astypes.MixedInstancesPolicy{LaunchTemplate: &astypes.LaunchTemplate{
			LaunchTemplateSpecification: &astypes.LaunchTemplateSpecification{LaunchTemplateId: lt.LaunchTemplateId, Version: aws.String("$Latest")}}}})
	g = edgeGroup(t, s, EdgeMixedASG)
	if d := g.MixedInstancesPolicy.InstancesDistribution; aws.ToInt32(d.OnDemandBaseCapacity) != 1 || len(g.MixedInstancesPolicy.LaunchTemplate.Overrides) != 2 ||
		aws.ToString(g.MixedInstancesPolicy.LaunchTemplate.LaunchTemplateSpecification.Version) != "$Latest" {
		t.Errorf("after a policy update: %+v %+v", d, g.MixedInstancesPolicy.LaunchTemplate)
	}

	// A Spot interruption: two minutes' notice (the agent drains), then
	// terminated with EC2's reason, and the group replaces it.
	id, err := s.InterruptSpotInGroup(EdgeMixedASG)
	if err != nil {
		t.Fatal(err)
	}
	if st := ecsStatusOf(t, s, EdgeMixedCluster, id); st != "DRAINING" {
		t.Errorf("container instance of %s is %s after the notice, want DRAINING (ECS_ENABLE_SPOT_INSTANCE_DRAINING)", id, st)
	}
	s.Advance(SpotNotice + time.Second)
	out = ec2MustCall(t, s, (*Sim).ec2DescribeInstances, &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
	in := out.Reservations[0].Instances[0]
	if in.StateReason == nil || aws.ToString(in.StateReason.Code) != "Server.SpotInstanceTermination" {
		t.Errorf("state reason %+v, want Server.SpotInstanceTermination", in.StateReason)
	}
	s.Advance(3 * time.Minute)
	live := 0
	for _, m := range edgeGroup(t, s, EdgeMixedASG).Instances {
		if aws.ToString(m.InstanceId) != id && m.LifecycleState == astypes.LifecycleStateInService {
			live++
		}
	}
	if live != 4 {
		t.Errorf("%d in service after the interruption, want 4 (replaced)", live)
	}
}

func ecsStatusOf(t *testing.T, s *Sim, cluster, instanceID string) string {
	t.Helper()
	out := ec2MustCall(t, s, (*Sim).ecsListContainerInstances, &ecs.ListContainerInstancesInput{Cluster: aws.String(cluster), Filter: aws.String("ec2InstanceId == " + instanceID)})
	if len(out.ContainerInstanceArns) == 0 {
		return ""
	}
	d := ec2MustCall(t, s, (*Sim).ecsDescribeContainerInstances, &ecs.DescribeContainerInstancesInput{Cluster: aws.String(cluster), ContainerInstances: out.ContainerInstanceArns})
	return aws.ToString(d.ContainerInstances[0].Status)
}
