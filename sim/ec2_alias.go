package sim

import (
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// A launch template's ImageId may name a Systems Manager parameter instead
// of an AMI: "resolve:ssm:<parameter>" (optionally ":<version>"). EC2 keeps
// the alias in the template, resolves it at each launch, and returns the
// alias from DescribeLaunchTemplateVersions unless ResolveAlias is true
// (EC2 User Guide, "Use a Systems Manager parameter instead of an AMI ID";
// DescribeLaunchTemplateVersionsInput.ResolveAlias in the SDK).

const imageAliasPrefix = "resolve:ssm:"

// resolveImageAlias returns the AMI an ImageId launches: the parameter's
// current value for a resolve:ssm: alias, the id itself otherwise.
func (s *Sim) resolveImageAlias(imageID string) (string, error) {
	param, ok := strings.CutPrefix(imageID, imageAliasPrefix)
	if !ok {
		return imageID, nil
	}
	p, found, verr := s.ssmResolve(param)
	if verr != nil {
		return "", apiErr("InvalidParameter", "%s", verr.Message)
	}
	if !found {
		return "", apiErr("InvalidParameter", "The parameter %s in the launch template's ImageId does not exist or you are not allowed to access it.", param)
	}
	return aws.ToString(p.Value), nil
}

// archMismatch is EC2's refusal to launch an AMI on an instance type of the
// other architecture ("" when they match).
func (s *Sim) archMismatch(imageID, itype string) string {
	im := s.ec2.Images[imageID]
	if im == nil || im.Architecture == "" {
		return ""
	}
	if want := archOfType(itype); want != im.Architecture {
		return fmt.Sprintf("The architecture '%s' of the specified instance type does not match the architecture '%s' of the specified AMI. Specify an instance type and an AMI that have matching architectures, and try again.", want, im.Architecture)
	}
	return ""
}

// ecsUserDataSpot is ecsUserData, with the ECS agent's Spot draining turned
// on when spot is set (ECS_ENABLE_SPOT_INSTANCE_DRAINING=true: on a Spot
// interruption notice the agent sets its container instance DRAINING; ECS
// developer guide, "Spot Instance draining").
func ecsUserDataSpot(cluster string, spot bool) string {
	if !spot || cluster == "" {
		return ecsUserData(cluster)
	}
	return base64.StdEncoding.EncodeToString([]byte("#!/bin/bash\necho ECS_CLUSTER=" + cluster + " >> /etc/ecs/ecs.config\necho ECS_ENABLE_SPOT_INSTANCE_DRAINING=true >> /etc/ecs/ecs.config\n"))
}

// spotDrainingEnabled reads ECS_ENABLE_SPOT_INSTANCE_DRAINING from base64
// user data, as the agent would.
func spotDrainingEnabled(userData string) bool {
	raw, err := base64.StdEncoding.DecodeString(userData)
	return err == nil && strings.Contains(string(raw), "ECS_ENABLE_SPOT_INSTANCE_DRAINING=true")
}
