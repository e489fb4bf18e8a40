package fleet

import (
	"context"
	"ecsctl/ops"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

func isInput(err error) bool {
	var ie *ops.InputError
	return errors.As(err, &ie)
}

func TestClassifyAMIAndItsParameter(t *testing.T) {
	for _, tc := range []struct {
		name, arch string
		want       amiFamily
		param      string
	}{
		{"al2023-ami-ecs-hvm-2023.0.20251105-kernel-6.1-x86_64", "x86_64", amiFamily{"al2023", "", "x86_64"}, "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id"},
		{"al2023-ami-ecs-hvm-2023.0.20251105-kernel-6.1-arm64", "arm64", amiFamily{"al2023", "", "arm64"}, "/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id"},
		{"al2023-ami-ecs-gpu-hvm-2023.0.20251105-kernel-6.1-x86_64", "x86_64", amiFamily{"al2023", "gpu", "x86_64"}, "/aws/service/ecs/optimized-ami/amazon-linux-2023/gpu/recommended/image_id"},
		{"al2023-ami-ecs-neuron-hvm-2023.0.20251105-kernel-6.1-x86_64", "x86_64", amiFamily{"al2023", "neuron", "x86_64"}, "/aws/service/ecs/optimized-ami/amazon-linux-2023/neuron/recommended/image_id"},
		{"amzn2-ami-ecs-hvm-2.0.20251105-x86_64-ebs", "x86_64", amiFamily{"al2", "", "x86_64"}, "/aws/service/ecs/optimized-ami/amazon-linux-2/recommended/image_id"},
		{"amzn2-ami-ecs-hvm-2.0.20251105-arm64-ebs", "arm64", amiFamily{"al2", "", "arm64"}, "/aws/service/ecs/optimized-ami/amazon-linux-2/arm64/recommended/image_id"},
		{"amzn2-ami-ecs-gpu-hvm-2.0.20251105-x86_64-ebs", "x86_64", amiFamily{"al2", "gpu", "x86_64"}, "/aws/service/ecs/optimized-ami/amazon-linux-2/gpu/recommended/image_id"},
		{"amzn2-ami-ecs-inf-hvm-2.0.20251105-x86_64-ebs", "x86_64", amiFamily{"al2", "inf", "x86_64"}, "/aws/service/ecs/optimized-ami/amazon-linux-2/inf/recommended/image_id"},
		{"amzn2-ami-ecs-kernel-5.10-hvm-2.0.20251105-arm64-ebs", "arm64", amiFamily{"al2", "kernel-5.10", "arm64"}, "/aws/service/ecs/optimized-ami/amazon-linux-2/kernel-5.10/arm64/recommended/image_id"},
		{"bottlerocket-aws-ecs-2-x86_64-v1.49.0-8e2d4f6a", "x86_64", amiFamily{"bottlerocket", "aws-ecs-2", "x86_64"}, "/aws/service/bottlerocket/aws-ecs-2/x86_64/latest/image_id"},
		{"bottlerocket-aws-ecs-2-aarch64-v1.49.0-8e2d4f6a", "arm64", amiFamily{"bottlerocket", "aws-ecs-2", "arm64"}, "/aws/service/bottlerocket/aws-ecs-2/arm64/latest/image_id"},
		{"bottlerocket-aws-ecs-2-nvidia-x86_64-v1.49.0-8e2d4f6a", "x86_64", amiFamily{"bottlerocket", "aws-ecs-2-nvidia", "x86_64"}, "/aws/service/bottlerocket/aws-ecs-2-nvidia/x86_64/latest/image_id"},
		{"al2023-ami-ecs-gpu-hvm-2023.0.20251105-kernel-6.1-arm64", "arm64", amiFamily{"al2023", "gpu", "arm64"}, ""},
	} {
		got, ok := classifyAMI(tc.name, tc.arch)
		if !ok || got != tc.want || got.parameter() != tc.param {
			t.Errorf("%s: %+v %v, parameter %q; want %+v, %q", tc.name, got, ok, got.parameter(), tc.want, tc.param)
		}
	}
	for _, name := range []string{"team-base-2025-11", "amzn-ami-2018.03.20231018-amazon-ecs-optimized", "al2023-ami-2023.6.20251105.0-kernel-6.1-x86_64"} {
		if f, ok := classifyAMI(name, "x86_64"); ok {
			t.Errorf("%s classified as %v: not an ECS-optimized AMI ecsctl can follow", name, f)
		}
	}
}

func TestFleetDefaultParameterRefusesMixedFamilies(t *testing.T) {
	f := &rotateFleet{families: map[amiFamily][]string{
		{"al2023", "", "x86_64"}:                {"i-1", "i-2"},
		{"bottlerocket", "aws-ecs-2", "x86_64"}: {"i-3"},
	}, unknown: map[string]rotateImage{}}
	_, err := f.defaultParameter(context.Background(), "web", func(string) string { return "" })
	if !isInput(err) {
		t.Fatalf("mixed families: %v, want an input error", err)
	}
	f = &rotateFleet{families: map[amiFamily][]string{{"al2", "", "arm64"}: {"i-1"}}, unknown: map[string]rotateImage{}}
	if p, err := f.defaultParameter(context.Background(), "web", func(string) string { return "" }); err != nil || p != "/aws/service/ecs/optimized-ami/amazon-linux-2/arm64/recommended/image_id" {
		t.Errorf("one family: %q %v", p, err)
	}
	f = &rotateFleet{families: map[amiFamily][]string{}, unknown: map[string]rotateImage{"ami-1": {ID: "ami-1", Name: "team-base"}}}
	if _, err := f.defaultParameter(context.Background(), "web", func(string) string { return "" }); !isInput(err) {
		t.Errorf("custom AMI: %v, want an input error", err)
	}
}

// fakeTemplateEC2 records the launch template versions created.
type fakeTemplateEC2 struct {
	RotateEC2
	created []*ec2.CreateLaunchTemplateVersionInput
}

func (f *fakeTemplateEC2) CreateLaunchTemplateVersion(_ context.Context, in *ec2.CreateLaunchTemplateVersionInput, _ ...func(*ec2.Options)) (*ec2.CreateLaunchTemplateVersionOutput, error) {
	f.created = append(f.created, in)
	return &ec2.CreateLaunchTemplateVersionOutput{LaunchTemplateVersion: &ec2types.LaunchTemplateVersion{VersionNumber: aws.Int64(2)}}, nil
}

type fakeUpdateASG struct {
	RotateASG
	updates []*autoscaling.UpdateAutoScalingGroupInput
}

func (f *fakeUpdateASG) UpdateAutoScalingGroup(_ context.Context, in *autoscaling.UpdateAutoScalingGroupInput, _ ...func(*autoscaling.Options)) (*autoscaling.UpdateAutoScalingGroupOutput, error) {
	f.updates = append(f.updates, in)
	return &autoscaling.UpdateAutoScalingGroupOutput{}, nil
}

// A mixed group is pointed at new versions through its policy — its own
// template and its overrides', the other overrides untouched — never with
// LaunchTemplate (Auto Scaling refuses both together).
func TestUpdateTemplatesGoesThroughTheMixedInstancesPolicy(t *testing.T) {
	ec2f, asgf := &fakeTemplateEC2{}, &fakeUpdateASG{}
	r := &Rotator{EC2: ec2f, ASG: asgf}
	g := astypes.AutoScalingGroup{AutoScalingGroupName: aws.String("mixed-ecs"), MixedInstancesPolicy: &astypes.MixedInstancesPolicy{
		LaunchTemplate: &astypes.LaunchTemplate{
			LaunchTemplateSpecification: &astypes.LaunchTemplateSpecification{LaunchTemplateId: aws.String("lt-main"), Version: aws.String("$Default")},
			Overrides: []astypes.LaunchTemplateOverrides{
				{InstanceType: aws.String("m5.large")},
				{InstanceType: aws.String("m6i.large"), LaunchTemplateSpecification: &astypes.LaunchTemplateSpecification{LaunchTemplateId: aws.String("lt-m6i"), Version: aws.String("1")}},
				{InstanceType: aws.String("c6i.large"), LaunchTemplateSpecification: &astypes.LaunchTemplateSpecification{LaunchTemplateId: aws.String("lt-c6i"), Version: aws.String("4")}},
			}}}}
	st := &rotateState{group: g, plan: &RotatePlan{ASG: "mixed-ecs", TargetAMI: "ami-new", RunID: "rot-1"}, templates: []rotateTemplate{
		{ID: "lt-main", Name: "main", Version: "1", Image: "ami-old", NewVersion: "pending"},
		{Role: "override m6i.large", ID: "lt-m6i", Name: "m6i", Version: "1", Image: "ami-old", NewVersion: "pending"},
		{Role: "override c6i.large", ID: "lt-c6i", Name: "c6i", Version: "4", Image: "ami-new"},
	}}
	if err := r.updateTemplates(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	if len(ec2f.created) != 2 || aws.ToString(ec2f.created[0].LaunchTemplateId) != "lt-main" || aws.ToString(ec2f.created[1].LaunchTemplateId) != "lt-m6i" {
		t.Fatalf("created versions %+v: want one of lt-main and one of lt-m6i", ec2f.created)
	}
	if len(asgf.updates) != 1 {
		t.Fatalf("%d UpdateAutoScalingGroup calls, want 1", len(asgf.updates))
	}
	in := asgf.updates[0]
	if in.LaunchTemplate != nil || in.MixedInstancesPolicy == nil {
		t.Fatalf("update with LaunchTemplate %+v and policy %+v: want the policy only", in.LaunchTemplate, in.MixedInstancesPolicy)
	}
	lt := in.MixedInstancesPolicy.LaunchTemplate
	if aws.ToString(lt.LaunchTemplateSpecification.Version) != "2" || aws.ToString(lt.LaunchTemplateSpecification.LaunchTemplateId) != "lt-main" {
		t.Errorf("policy template %+v, want lt-main version 2", lt.LaunchTemplateSpecification)
	}
	want := map[string]string{"m5.large": "", "m6i.large": "lt-m6i@2", "c6i.large": "lt-c6i@4"}
	for _, o := range lt.Overrides {
		got := ""
		if s := o.LaunchTemplateSpecification; s != nil {
			got = aws.ToString(s.LaunchTemplateId) + "@" + aws.ToString(s.Version)
		}
		if got != want[aws.ToString(o.InstanceType)] {
			t.Errorf("override %s: %q, want %q", aws.ToString(o.InstanceType), got, want[aws.ToString(o.InstanceType)])
		}
	}
	if len(lt.Overrides) != 3 {
		t.Errorf("%d overrides, want the 3 of the group", len(lt.Overrides))
	}
}

// A resolve:ssm: template that resolves to the target needs nothing; one
// that resolves elsewhere is refused even with --update-launch-template.
func TestCheckTemplatesKeepsTheAlias(t *testing.T) {
	alias := rotateTemplate{ID: "lt-a", Name: "alias", Asked: "$Latest", Version: "1", RawImage: "resolve:ssm:/p", Image: "ami-new", Alias: "/p"}
	st := &rotateState{plan: &RotatePlan{TargetAMI: "ami-new"}, templates: []rotateTemplate{alias}}
	r := &Rotator{}
	if err := r.checkTemplates(context.Background(), RotateRequest{UpdateLaunchTemplate: true}, st); err != nil || st.plan.UpdateLaunchTemplate || st.templates[0].NewVersion != "" {
		t.Errorf("alias on the target: %v, update %v", err, st.plan.UpdateLaunchTemplate)
	}
	st = &rotateState{plan: &RotatePlan{TargetAMI: "ami-other"}, templates: []rotateTemplate{alias}}
	if err := r.checkTemplates(context.Background(), RotateRequest{UpdateLaunchTemplate: true}, st); !isInput(err) || st.plan.UpdateLaunchTemplate {
		t.Errorf("alias elsewhere: %v, update %v; want an input error and no update", err, st.plan.UpdateLaunchTemplate)
	}
}
