package ops

import (
	"errors"
	"testing"
)

func isInput(err error) bool {
	var ie *InputError
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
	_, err := f.defaultParameter("web", func(string) string { return "" })
	if !isInput(err) {
		t.Fatalf("mixed families: %v, want an input error", err)
	}
	f = &rotateFleet{families: map[amiFamily][]string{{"al2", "", "arm64"}: {"i-1"}}, unknown: map[string]rotateImage{}}
	if p, err := f.defaultParameter("web", func(string) string { return "" }); err != nil || p != "/aws/service/ecs/optimized-ami/amazon-linux-2/arm64/recommended/image_id" {
		t.Errorf("one family: %q %v", p, err)
	}
	f = &rotateFleet{families: map[amiFamily][]string{}, unknown: map[string]rotateImage{"ami-1": {ID: "ami-1", Name: "team-base"}}}
	if _, err := f.defaultParameter("web", func(string) string { return "" }); !isInput(err) {
		t.Errorf("custom AMI: %v, want an input error", err)
	}
}
