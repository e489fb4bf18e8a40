package sim

import (
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

func init() {
	register(SvcEC2, "DeleteLaunchTemplateVersions", (*Sim).ec2DeleteLaunchTemplateVersions)
}

// ec2DeleteLaunchTemplateVersions deletes versions one by one, reporting
// each failure in the output rather than failing the call, as EC2 does
// (API reference, DeleteLaunchTemplateVersions: "You can't delete the
// default version ... up to 200 launch template version numbers"). A
// deleted number is not reused, and $Latest falls back to the highest
// version left.
func (s *Sim) ec2DeleteLaunchTemplateVersions(in *ec2.DeleteLaunchTemplateVersionsInput) (*ec2.DeleteLaunchTemplateVersionsOutput, error) {
	lt, err := s.lookupLaunchTemplate(in.LaunchTemplateId, in.LaunchTemplateName)
	if err != nil {
		return nil, err
	}
	if len(in.Versions) == 0 {
		return nil, apiErr("MissingParameter", "The request must contain the parameter LaunchTemplateVersion")
	}
	if len(in.Versions) > 200 {
		return nil, apiErr("InvalidParameterValue", "You can specify up to 200 launch template version numbers.")
	}
	if aws.ToBool(in.DryRun) {
		return nil, dryRunOK()
	}
	out := &ec2.DeleteLaunchTemplateVersionsOutput{
		SuccessfullyDeletedLaunchTemplateVersions:   []ec2types.DeleteLaunchTemplateVersionsResponseSuccessItem{},
		UnsuccessfullyDeletedLaunchTemplateVersions: []ec2types.DeleteLaunchTemplateVersionsResponseErrorItem{},
	}
	for _, v := range in.Versions {
		n, perr := strconv.ParseInt(v, 10, 64)
		fail := func(code ec2types.LaunchTemplateErrorCode, msg string) {
			out.UnsuccessfullyDeletedLaunchTemplateVersions = append(out.UnsuccessfullyDeletedLaunchTemplateVersions, ec2types.DeleteLaunchTemplateVersionsResponseErrorItem{
				LaunchTemplateId: aws.String(lt.ID), LaunchTemplateName: aws.String(lt.Name), VersionNumber: aws.Int64(n),
				ResponseError: &ec2types.ResponseError{Code: code, Message: aws.String(msg)}})
		}
		switch {
		case perr != nil || lt.version(n) == nil:
			fail(ec2types.LaunchTemplateErrorCodeLaunchTemplateVersionDoesNotExist, "The specified launch template version does not exist.")
			continue
		case n == lt.DefaultVersion:
			fail(ec2types.LaunchTemplateErrorCodeUnexpectedError, "Cannot delete the default version of a launch template.")
			continue
		}
		lt.Versions[n-1].Deleted = true
		s.rec.timeline(s.now, "ec2.launchTemplateVersion", fmt.Sprintf("%s (%s) version %d deleted", lt.ID, lt.Name, n))
		out.SuccessfullyDeletedLaunchTemplateVersions = append(out.SuccessfullyDeletedLaunchTemplateVersions, ec2types.DeleteLaunchTemplateVersionsResponseSuccessItem{
			LaunchTemplateId: aws.String(lt.ID), LaunchTemplateName: aws.String(lt.Name), VersionNumber: aws.Int64(n)})
	}
	return out, nil
}
