package sim

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// A CreateLaunchTemplateVersion retried with the same ClientToken (the SDK
// fills one per call and keeps it across retries) answers with the version
// the first attempt made; another token makes another version.
func TestCreateLaunchTemplateVersionClientTokenIsIdempotent(t *testing.T) {
	s := newEC2TestSim(t, testWorld(1), 0)
	in := func(token string) *ec2.CreateLaunchTemplateVersionInput {
		return &ec2.CreateLaunchTemplateVersionInput{LaunchTemplateName: aws.String("ecs-prod"), SourceVersion: aws.String("1"),
			ClientToken: aws.String(token), LaunchTemplateData: &ec2types.RequestLaunchTemplateData{ImageId: aws.String(amiCustom)}}
	}
	first := ec2MustCall(t, s, (*Sim).ec2CreateLaunchTemplateVersion, in("tok-1")).LaunchTemplateVersion
	again := ec2MustCall(t, s, (*Sim).ec2CreateLaunchTemplateVersion, in("tok-1")).LaunchTemplateVersion
	other := ec2MustCall(t, s, (*Sim).ec2CreateLaunchTemplateVersion, in("tok-2")).LaunchTemplateVersion
	if aws.ToInt64(first.VersionNumber) != 3 || aws.ToInt64(again.VersionNumber) != 3 || aws.ToInt64(other.VersionNumber) != 4 {
		t.Fatalf("versions %d, %d (same token), %d (another token); want 3, 3, 4",
			aws.ToInt64(first.VersionNumber), aws.ToInt64(again.VersionNumber), aws.ToInt64(other.VersionNumber))
	}
	all := ec2MustCall(t, s, (*Sim).ec2DescribeLaunchTemplateVersions, &ec2.DescribeLaunchTemplateVersionsInput{LaunchTemplateName: aws.String("ecs-prod")})
	if len(all.LaunchTemplateVersions) != 4 {
		t.Errorf("%d versions, want 4", len(all.LaunchTemplateVersions))
	}
}
