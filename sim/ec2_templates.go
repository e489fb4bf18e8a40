package sim

import (
	"encoding/base64"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

func init() {
	register(SvcEC2, "DescribeLaunchTemplates", (*Sim).ec2DescribeLaunchTemplates)
	register(SvcEC2, "DescribeLaunchTemplateVersions", (*Sim).ec2DescribeLaunchTemplateVersions)
	register(SvcEC2, "CreateLaunchTemplateVersion", (*Sim).ec2CreateLaunchTemplateVersion)
	register(SvcEC2, "ModifyLaunchTemplate", (*Sim).ec2ModifyLaunchTemplate)
}

// launchTemplateByName finds a template by name, or nil.
func (s *Sim) launchTemplateByName(name string) *ec2LaunchTemplate {
	for _, lt := range s.ec2.LaunchTemplates {
		if lt.Name == name {
			return lt
		}
	}
	return nil
}

// lookupLaunchTemplate finds the template a request names by ID or name.
func (s *Sim) lookupLaunchTemplate(id, name *string) (*ec2LaunchTemplate, error) {
	switch {
	case id != nil && name != nil:
		return nil, apiErr("InvalidParameterCombination", "Both launch template ID and launch template name are specified; specify only one.")
	case id != nil:
		if lt := s.ec2.LaunchTemplates[*id]; lt != nil {
			return lt, nil
		}
		if !strings.HasPrefix(*id, "lt-") {
			return nil, apiErr("InvalidLaunchTemplateId.Malformed", "The specified ID for the launch template is not valid. The ID must be in the format lt-xxxxxxxxxxxxxxxxx.")
		}
		return nil, apiErr("InvalidLaunchTemplateId.NotFound", "The specified launch template, with template ID %s, does not exist.", *id)
	case name != nil:
		if lt := s.launchTemplateByName(*name); lt != nil {
			return lt, nil
		}
		return nil, apiErr("InvalidLaunchTemplateName.NotFoundException", "The specified launch template, with template name %s, does not exist.", *name)
	}
	return nil, apiErr("MissingParameter", "The request must contain the parameter LaunchTemplateName or LaunchTemplateId")
}

// errVersionNotFound is EC2's answer to a launch template version that does
// not exist.
func errVersionNotFound(lt *ec2LaunchTemplate, v string) error {
	return apiErr("InvalidLaunchTemplateId.VersionNotFound", "Could not find launch template version %s for template %s", v, lt.ID)
}

func (s *Sim) launchTemplateOut(lt *ec2LaunchTemplate) ec2types.LaunchTemplate {
	return ec2types.LaunchTemplate{
		LaunchTemplateId:     aws.String(lt.ID),
		LaunchTemplateName:   aws.String(lt.Name),
		CreateTime:           aws.Time(lt.CreateTime),
		CreatedBy:            aws.String(s.sandboxUserArn()),
		DefaultVersionNumber: aws.Int64(lt.DefaultVersion),
		LatestVersionNumber:  aws.Int64(lt.latest()),
		Tags:                 ec2Tags(lt.Tags),
	}
}

func (s *Sim) launchTemplateVersionOut(lt *ec2LaunchTemplate, v *ec2LTVersion) ec2types.LaunchTemplateVersion {
	data := &ec2types.ResponseLaunchTemplateData{}
	if v.ImageID != "" {
		data.ImageId = aws.String(v.ImageID)
	}
	data.InstanceType = ec2types.InstanceType(v.InstanceType)
	if v.UserData != "" {
		data.UserData = aws.String(v.UserData)
	}
	if v.KeyName != "" {
		data.KeyName = aws.String(v.KeyName)
	}
	if v.IamProfileArn != "" || v.IamProfileName != "" {
		data.IamInstanceProfile = &ec2types.LaunchTemplateIamInstanceProfileSpecification{}
		if v.IamProfileArn != "" {
			data.IamInstanceProfile.Arn = aws.String(v.IamProfileArn)
		}
		if v.IamProfileName != "" {
			data.IamInstanceProfile.Name = aws.String(v.IamProfileName)
		}
	}
	data.SecurityGroupIds = append([]string(nil), v.SecurityGroupIDs...)
	if len(v.InstanceTags) > 0 {
		data.TagSpecifications = append(data.TagSpecifications, ec2types.LaunchTemplateTagSpecification{ResourceType: ec2types.ResourceTypeInstance, Tags: ec2Tags(v.InstanceTags)})
	}
	if len(v.VolumeTags) > 0 {
		data.TagSpecifications = append(data.TagSpecifications, ec2types.LaunchTemplateTagSpecification{ResourceType: ec2types.ResourceTypeVolume, Tags: ec2Tags(v.VolumeTags)})
	}
	out := ec2types.LaunchTemplateVersion{
		LaunchTemplateId:   aws.String(lt.ID),
		LaunchTemplateName: aws.String(lt.Name),
		VersionNumber:      aws.Int64(v.Number),
		CreateTime:         aws.Time(v.CreateTime),
		CreatedBy:          aws.String(s.sandboxUserArn()),
		DefaultVersion:     aws.Bool(v.Number == lt.DefaultVersion),
		LaunchTemplateData: data,
	}
	if v.Description != "" {
		out.VersionDescription = aws.String(v.Description)
	}
	return out
}

func (s *Sim) ec2DescribeLaunchTemplates(in *ec2.DescribeLaunchTemplatesInput) (*ec2.DescribeLaunchTemplatesOutput, error) {
	if (len(in.LaunchTemplateIds) > 0 || len(in.LaunchTemplateNames) > 0) && in.MaxResults != nil {
		return nil, apiErr("InvalidParameterCombination", "The parameter LaunchTemplateIds or LaunchTemplateNames cannot be used with the parameter maxResults")
	}
	limit, err := s.ec2Limit(in.MaxResults, 1, 200)
	if err != nil {
		return nil, err
	}
	last, ok := parsePageToken("launch-templates", in.NextToken)
	if !ok {
		return nil, errBadNextToken()
	}
	fields := func(lt *ec2LaunchTemplate) filterFields {
		return func(name string) ([]string, bool) {
			switch name {
			case "launch-template-name":
				return []string{lt.Name}, true
			case "create-time":
				return []string{lt.CreateTime.UTC().Format("2006-01-02T15:04:05.000Z")}, true
			}
			return tagFilterFields(lt.Tags, name)
		}
	}
	if bad := checkFilterNames(in.Filters, fields(&ec2LaunchTemplate{})); bad != "" {
		return nil, errBadFilter(bad)
	}
	var keys []string
	if len(in.LaunchTemplateIds) > 0 || len(in.LaunchTemplateNames) > 0 {
		for _, id := range in.LaunchTemplateIds {
			if s.ec2.LaunchTemplates[id] == nil {
				return nil, apiErr("InvalidLaunchTemplateId.NotFound", "At least one of the launch templates specified in the request does not exist.")
			}
			keys = append(keys, id)
		}
		for _, name := range in.LaunchTemplateNames {
			lt := s.launchTemplateByName(name)
			if lt == nil {
				return nil, apiErr("InvalidLaunchTemplateName.NotFoundException", "At least one of the launch templates specified in the request does not exist.")
			}
			keys = append(keys, lt.ID)
		}
		keys = dedupSorted(keys)
		limit = len(keys) + 1
	} else {
		for id := range s.ec2.LaunchTemplates {
			keys = append(keys, id)
		}
		sort.Strings(keys)
	}
	page, more := pageMatching(keys, last, limit, func(id string) bool {
		ok, _ := matchFilters(in.Filters, fields(s.ec2.LaunchTemplates[id]))
		return ok
	})
	out := &ec2.DescribeLaunchTemplatesOutput{LaunchTemplates: []ec2types.LaunchTemplate{}}
	for _, id := range page {
		out.LaunchTemplates = append(out.LaunchTemplates, s.launchTemplateOut(s.ec2.LaunchTemplates[id]))
	}
	if more {
		out.NextToken = pageToken("launch-templates", page[len(page)-1])
	}
	return out, nil
}

// versionKey orders versions newest first within a template.
func versionKey(ltID string, n int64) string {
	return fmt.Sprintf("%s/%012d", ltID, 999999999999-n)
}

func parseVersionKey(k string) (string, int64) {
	id, num, _ := strings.Cut(k, "/")
	n, _ := strconv.ParseInt(num, 10, 64)
	return id, 999999999999 - n
}

func (s *Sim) ec2DescribeLaunchTemplateVersions(in *ec2.DescribeLaunchTemplateVersionsInput) (*ec2.DescribeLaunchTemplateVersionsOutput, error) {
	limit, err := s.ec2Limit(in.MaxResults, 1, 200)
	if err != nil {
		return nil, err
	}
	last, ok := parsePageToken("launch-template-versions", in.NextToken)
	if !ok {
		return nil, errBadNextToken()
	}
	if bad := checkFilterNames(in.Filters, ltVersionFields(&ec2LaunchTemplate{}, &ec2LTVersion{})); bad != "" {
		return nil, errBadFilter(bad)
	}
	templates, err := s.ltVersionTemplates(in)
	if err != nil {
		return nil, err
	}
	var minV, maxV int64 = 1, 1 << 40
	if len(templates) == 1 {
		if minV, err = ltVersionBound(templates[0], in.MinVersion, minV); err != nil {
			return nil, err
		}
		if maxV, err = ltVersionBound(templates[0], in.MaxVersion, maxV); err != nil {
			return nil, err
		}
	}
	keys, err := ltVersionKeys(templates, in.Versions, minV, maxV)
	if err != nil {
		return nil, err
	}
	page, more := pageMatching(keys, last, limit, func(k string) bool {
		id, n := parseVersionKey(k)
		lt := s.ec2.LaunchTemplates[id]
		ok, _ := matchFilters(in.Filters, ltVersionFields(lt, lt.version(n)))
		return ok
	})
	out := &ec2.DescribeLaunchTemplateVersionsOutput{LaunchTemplateVersions: []ec2types.LaunchTemplateVersion{}}
	for _, k := range page {
		out.LaunchTemplateVersions = append(out.LaunchTemplateVersions, s.ltVersionView(k, aws.ToBool(in.ResolveAlias)))
	}
	if more {
		out.NextToken = pageToken("launch-template-versions", page[len(page)-1])
	}
	return out, nil
}

// ltVersionFields are the filters DescribeLaunchTemplateVersions takes.
func ltVersionFields(lt *ec2LaunchTemplate, v *ec2LTVersion) filterFields {
	return func(name string) ([]string, bool) {
		switch name {
		case "is-default-version":
			return []string{strconv.FormatBool(v.Number == lt.DefaultVersion)}, true
		case "image-id":
			return []string{v.ImageID}, true
		case "instance-type":
			return []string{v.InstanceType}, true
		case "key-name":
			return []string{v.KeyName}, true
		case "iam-instance-profile":
			return []string{v.IamProfileArn, v.IamProfileName}, true
		case "create-time":
			return []string{v.CreateTime.UTC().Format("2006-01-02T15:04:05.000Z")}, true
		}
		return nil, false
	}
}

// ltVersionTemplates is the templates a call reads: the one it names, or
// every template when it names none, which only $Latest and $Default allow.
func (s *Sim) ltVersionTemplates(in *ec2.DescribeLaunchTemplateVersionsInput) ([]*ec2LaunchTemplate, error) {
	if in.LaunchTemplateId != nil || in.LaunchTemplateName != nil {
		lt, err := s.lookupLaunchTemplate(in.LaunchTemplateId, in.LaunchTemplateName)
		if err != nil {
			return nil, err
		}
		return []*ec2LaunchTemplate{lt}, nil
	}
	if len(in.Versions) == 0 {
		return nil, apiErr("MissingParameter", "The request must contain the parameter LaunchTemplateName or LaunchTemplateId")
	}
	for _, v := range in.Versions {
		if v != "$Latest" && v != "$Default" {
			return nil, apiErr("InvalidParameterCombination", "When you do not specify a launch template ID or name, you can only specify $Latest or $Default versions.")
		}
	}
	var templates []*ec2LaunchTemplate
	for _, lt := range s.ec2.LaunchTemplates {
		templates = append(templates, lt)
	}
	return templates, nil
}

// ltVersionBound reads MinVersion or MaxVersion (nil: def): a version
// alias or number; a number need not exist.
func ltVersionBound(lt *ec2LaunchTemplate, v *string, def int64) (int64, error) {
	if v == nil {
		return def, nil
	}
	n, ok := lt.resolve(*v)
	if !ok && !isNumber(*v) {
		return 0, errVersionNotFound(lt, *v)
	}
	if !ok {
		n, _ = strconv.ParseInt(*v, 10, 64)
	}
	return n, nil
}

// ltVersionKeys lists the versions a call asks for, sorted and without
// repeats: the named versions (each must exist), else every version from
// minV to maxV.
func ltVersionKeys(templates []*ec2LaunchTemplate, versions []string, minV, maxV int64) ([]string, error) {
	var keys []string
	for _, lt := range templates {
		if len(versions) > 0 {
			for _, v := range versions {
				n, ok := lt.resolve(v)
				if !ok {
					return nil, errVersionNotFound(lt, v)
				}
				keys = append(keys, versionKey(lt.ID, n))
			}
			continue
		}
		for n := int64(1); n <= lt.latest(); n++ {
			if n >= minV && n <= maxV && lt.version(n) != nil {
				keys = append(keys, versionKey(lt.ID, n))
			}
		}
	}
	return dedupSorted(keys), nil
}

// ltVersionView is one listed version; with resolveAlias a resolve:ssm:
// ImageId shows the AMI it launches now.
func (s *Sim) ltVersionView(key string, resolveAlias bool) ec2types.LaunchTemplateVersion {
	id, n := parseVersionKey(key)
	lt := s.ec2.LaunchTemplates[id]
	v := s.launchTemplateVersionOut(lt, lt.version(n))
	if resolveAlias && v.LaunchTemplateData.ImageId != nil {
		if id, err := s.resolveImageAlias(*v.LaunchTemplateData.ImageId); err == nil {
			v.LaunchTemplateData.ImageId = aws.String(id)
		}
	}
	return v
}

func isNumber(v string) bool {
	_, err := strconv.ParseInt(v, 10, 64)
	return err == nil
}

func (s *Sim) ec2CreateLaunchTemplateVersion(in *ec2.CreateLaunchTemplateVersionInput) (*ec2.CreateLaunchTemplateVersionOutput, error) {
	lt, err := s.lookupLaunchTemplate(in.LaunchTemplateId, in.LaunchTemplateName)
	if err != nil {
		return nil, err
	}
	d := in.LaunchTemplateData
	if d == nil {
		return nil, apiErr("MissingParameter", "The request must contain the parameter LaunchTemplateData")
	}
	if v := lt.byClientToken(aws.ToString(in.ClientToken)); v != nil {
		// A retried call (the SDK fills ClientToken once per call): the
		// version it made the first time, not another one.
		out := s.launchTemplateVersionOut(lt, v)
		return &ec2.CreateLaunchTemplateVersionOutput{LaunchTemplateVersion: &out}, nil
	}
	var nv ec2LTVersion
	if in.SourceVersion != nil {
		n, ok := lt.resolve(*in.SourceVersion)
		if !ok {
			return nil, errVersionNotFound(lt, *in.SourceVersion)
		}
		nv = *lt.version(n)
		nv.SecurityGroupIDs = append([]string(nil), nv.SecurityGroupIDs...)
		nv.InstanceTags = append([]kvTag(nil), nv.InstanceTags...)
		nv.VolumeTags = append([]kvTag(nil), nv.VolumeTags...)
	}
	if d.UserData != nil {
		if _, err := base64.StdEncoding.DecodeString(*d.UserData); err != nil {
			return nil, apiErr("InvalidUserData.Malformed", "Invalid BASE64 encoding of user data.")
		}
		nv.UserData = *d.UserData
	}
	if d.ImageId != nil {
		nv.ImageID = *d.ImageId
	}
	if d.InstanceType != "" {
		nv.InstanceType = string(d.InstanceType)
	}
	if d.KeyName != nil {
		nv.KeyName = *d.KeyName
	}
	if p := d.IamInstanceProfile; p != nil {
		nv.IamProfileArn, nv.IamProfileName = aws.ToString(p.Arn), aws.ToString(p.Name)
	}
	if d.SecurityGroupIds != nil {
		nv.SecurityGroupIDs = append([]string(nil), d.SecurityGroupIds...)
	}
	if d.TagSpecifications != nil {
		if err := nv.setTagSpecifications(d.TagSpecifications); err != nil {
			return nil, err
		}
	}
	if aws.ToBool(in.DryRun) {
		return nil, dryRunOK()
	}
	nv.Number = int64(len(lt.Versions)) + 1 // deleted numbers are not reused
	nv.CreateTime = s.now
	nv.Description = aws.ToString(in.VersionDescription)
	nv.ClientToken = aws.ToString(in.ClientToken)
	lt.Versions = append(lt.Versions, nv)
	s.rec.timeline(s.now, "ec2.launchTemplateVersion", fmt.Sprintf("%s (%s) version %d: image %s, type %s", lt.ID, lt.Name, nv.Number, nv.ImageID, nv.InstanceType))
	out := &ec2.CreateLaunchTemplateVersionOutput{}
	v := s.launchTemplateVersionOut(lt, lt.version(nv.Number))
	out.LaunchTemplateVersion = &v
	out.Warning = s.launchTemplateWarnings(nv)
	return out, nil
}

// setTagSpecifications replaces the version's instance and volume tags with
// the request's (the only resource types a launch template tags here).
func (nv *ec2LTVersion) setTagSpecifications(specs []ec2types.LaunchTemplateTagSpecificationRequest) error {
	nv.InstanceTags, nv.VolumeTags = nil, nil
	for _, ts := range specs {
		var tags []kvTag
		for _, t := range ts.Tags {
			if err := checkEC2TagKey(aws.ToString(t.Key)); err != nil {
				return err
			}
			tags = setTag(tags, kvTag{Key: aws.ToString(t.Key), Value: aws.ToString(t.Value)})
		}
		switch ts.ResourceType {
		case ec2types.ResourceTypeInstance:
			nv.InstanceTags = tags
		case ec2types.ResourceTypeVolume:
			nv.VolumeTags = tags
		default:
			return apiErr("InvalidParameterValue", "'%s' is not a valid taggable resource type for this operation.", ts.ResourceType)
		}
	}
	return nil
}

// launchTemplateWarnings: EC2 accepts a version whose image or type it
// cannot launch and says so in a warning (nil when there is none); launches
// from it then fail.
func (s *Sim) launchTemplateWarnings(nv ec2LTVersion) *ec2types.ValidationWarning {
	var warnings []ec2types.ValidationError
	if nv.ImageID != "" && !strings.HasPrefix(nv.ImageID, imageAliasPrefix) && s.ec2.Images[nv.ImageID] == nil {
		warnings = append(warnings, ec2types.ValidationError{Code: aws.String("InvalidAMIID.NotFound"),
			Message: aws.String(fmt.Sprintf("The image id '[%s]' does not exist", nv.ImageID))})
	}
	if _, ok := s.instanceType(nv.InstanceType); nv.InstanceType != "" && !ok {
		warnings = append(warnings, ec2types.ValidationError{Code: aws.String("InvalidInstanceType"),
			Message: aws.String(fmt.Sprintf("The instance type '%s' does not exist", nv.InstanceType))})
	}
	if len(warnings) == 0 {
		return nil
	}
	return &ec2types.ValidationWarning{Errors: warnings}
}

func (s *Sim) ec2ModifyLaunchTemplate(in *ec2.ModifyLaunchTemplateInput) (*ec2.ModifyLaunchTemplateOutput, error) {
	lt, err := s.lookupLaunchTemplate(in.LaunchTemplateId, in.LaunchTemplateName)
	if err != nil {
		return nil, err
	}
	if in.DefaultVersion != nil {
		v := *in.DefaultVersion
		if v == "$Default" {
			return nil, apiErr("InvalidParameterValue", "The default version cannot be set to $Default.")
		}
		n, ok := lt.resolve(v)
		if !ok {
			return nil, errVersionNotFound(lt, v)
		}
		if aws.ToBool(in.DryRun) {
			return nil, dryRunOK()
		}
		if n != lt.DefaultVersion {
			s.rec.timeline(s.now, "ec2.launchTemplateDefault", fmt.Sprintf("%s (%s) default version %d → %d", lt.ID, lt.Name, lt.DefaultVersion, n))
		}
		lt.DefaultVersion = n
	}
	out := s.launchTemplateOut(lt)
	return &ec2.ModifyLaunchTemplateOutput{LaunchTemplate: &out}, nil
}

// sandboxUserArn is the identity every request acts as.
func (s *Sim) sandboxUserArn() string {
	return "arn:aws:iam::" + s.AccountID + ":user/sandbox"
}
