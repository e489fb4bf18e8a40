package sim

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

func init() {
	register(SvcAutoScaling, "DescribeAutoScalingGroups", (*Sim).asgDescribeAutoScalingGroups)
	register(SvcAutoScaling, "DescribeAutoScalingInstances", (*Sim).asgDescribeAutoScalingInstances)
	register(SvcAutoScaling, "UpdateAutoScalingGroup", (*Sim).asgUpdateAutoScalingGroup)
	register(SvcAutoScaling, "SetDesiredCapacity", (*Sim).asgSetDesiredCapacity)
	register(SvcAutoScaling, "TerminateInstanceInAutoScalingGroup", (*Sim).asgTerminateInstanceInAutoScalingGroup)
	register(SvcAutoScaling, "DetachInstances", (*Sim).asgDetachInstances)
	register(SvcAutoScaling, "SetInstanceProtection", (*Sim).asgSetInstanceProtection)
	register(SvcAutoScaling, "SuspendProcesses", (*Sim).asgSuspendProcesses)
	register(SvcAutoScaling, "ResumeProcesses", (*Sim).asgResumeProcesses)
	register(SvcAutoScaling, "CreateOrUpdateTags", (*Sim).asgCreateOrUpdateTags)
	register(SvcAutoScaling, "DeleteTags", (*Sim).asgDeleteTags)
	register(SvcAutoScaling, "DescribeTags", (*Sim).asgDescribeTags)
	register(SvcAutoScaling, "DescribeLifecycleHooks", (*Sim).asgDescribeLifecycleHooks)
	register(SvcAutoScaling, "CompleteLifecycleAction", (*Sim).asgCompleteLifecycleAction)
	register(SvcAutoScaling, "DescribeScalingActivities", (*Sim).asgDescribeScalingActivities)
}

func validationError(format string, args ...any) error {
	return apiErr("ValidationError", format, args...)
}

// lookupGroup finds a group by name, with Auto Scaling's error when missing.
func (s *Sim) lookupGroup(name *string) (*asgGroup, error) {
	if name == nil || *name == "" {
		return nil, validationError("1 validation error detected: Value null at 'autoScalingGroupName' failed to satisfy constraint: Member must not be null")
	}
	g := s.asg.Groups[*name]
	if g == nil {
		return nil, validationError("AutoScalingGroup name not found - AutoScalingGroup %s not found", *name)
	}
	return g, nil
}

// groupsNamed is the named group, or every group by name when name is nil
// (the Describe* calls whose AutoScalingGroupName is optional).
func (s *Sim) groupsNamed(name *string) ([]*asgGroup, error) {
	if name != nil {
		g, err := s.lookupGroup(name)
		if err != nil {
			return nil, err
		}
		return []*asgGroup{g}, nil
	}
	var groups []*asgGroup
	for _, n := range sortedKeys(s.asg.Groups) {
		groups = append(groups, s.asg.Groups[n])
	}
	return groups, nil
}

// asgLimit validates MaxRecords (1..max) and returns the page size.
func (s *Sim) asgLimit(maxRecords *int32, def, max int) (int, error) {
	limit := def
	if maxRecords != nil {
		v := int(*maxRecords)
		if v < 1 || v > max {
			return 0, validationError("1 validation error detected: Value '%d' at 'maxRecords' failed to satisfy constraint: Member must have value less than or equal to %d", v, max)
		}
		limit = v
	}
	return min(limit, s.PageSize()), nil
}

// asgPage is the paging prologue of the Describe* calls: the page size
// (MaxRecords, def when unset, at most max) and where the token of kind
// resumes.
func (s *Sim) asgPage(maxRecords *int32, def, max int, kind string, tok *string) (int, string, error) {
	limit, err := s.asgLimit(maxRecords, def, max)
	if err != nil {
		return 0, "", err
	}
	last, err := asgToken(kind, tok)
	if err != nil {
		return 0, "", err
	}
	return limit, last, nil
}

func asgToken(kind string, tok *string) (string, error) {
	last, ok := parsePageToken(kind, tok)
	if !ok {
		return "", apiErr("InvalidNextToken", "The token '%s' is invalid.", aws.ToString(tok))
	}
	return last, nil
}

// requireBool is Auto Scaling's check of a required boolean parameter.
func requireBool(v *bool, name string) error {
	if v == nil {
		return validationError("1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", name)
	}
	return nil
}

func (s *Sim) asgGroupOut(g *asgGroup, withInstances bool) astypes.AutoScalingGroup {
	out := astypes.AutoScalingGroup{
		AutoScalingGroupName:             aws.String(g.Name),
		AutoScalingGroupARN:              aws.String(g.ARN),
		AvailabilityZones:                append([]string(nil), g.AZs...),
		CreatedTime:                      aws.Time(g.CreatedTime),
		DefaultCooldown:                  aws.Int32(g.DefaultCooldown),
		DesiredCapacity:                  aws.Int32(int32(g.Desired)),
		MinSize:                          aws.Int32(int32(g.Min)),
		MaxSize:                          aws.Int32(int32(g.Max)),
		HealthCheckType:                  aws.String(g.HealthCheckType),
		HealthCheckGracePeriod:           aws.Int32(g.HealthCheckGracePeriod),
		NewInstancesProtectedFromScaleIn: aws.Bool(g.NewInstancesProtectedFromScaleIn),
		CapacityRebalance:                aws.Bool(g.CapacityRebalance),
		ServiceLinkedRoleARN:             aws.String("arn:aws:iam::" + s.AccountID + ":role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"),
		TerminationPolicies:              append([]string(nil), g.TerminationPolicies...),
		LoadBalancerNames:                []string{},
		TargetGroupARNs:                  []string{},
		EnabledMetrics:                   []astypes.EnabledMetric{},
		TrafficSources:                   []astypes.TrafficSourceIdentifier{},
		SuspendedProcesses:               []astypes.SuspendedProcess{},
		Tags:                             []astypes.TagDescription{},
		Instances:                        []astypes.Instance{},
	}
	if g.MaxInstanceLifetime > 0 {
		out.MaxInstanceLifetime = aws.Int32(g.MaxInstanceLifetime)
	}
	if wp := g.WarmPool; wp != nil {
		out.WarmPoolConfiguration = &astypes.WarmPoolConfiguration{MinSize: aws.Int32(int32(wp.MinSize)), PoolState: astypes.WarmPoolState(wp.State),
			InstanceReusePolicy: &astypes.InstanceReusePolicy{ReuseOnScaleIn: aws.Bool(wp.ReuseOnScaleIn)}}
		out.WarmPoolSize = aws.Int32(int32(len(wp.Instances)))
	}
	if g.Mixed != nil {
		out.MixedInstancesPolicy = s.mixedPolicyOut(g)
	} else if lt := s.ec2.LaunchTemplates[g.LaunchTemplateID]; lt != nil {
		out.LaunchTemplate = &astypes.LaunchTemplateSpecification{LaunchTemplateId: aws.String(lt.ID), LaunchTemplateName: aws.String(lt.Name), Version: aws.String(g.Version)}
	}
	var subnets []string
	for _, az := range g.AZs {
		subnets = append(subnets, s.subnetFor(az))
	}
	out.VPCZoneIdentifier = aws.String(strings.Join(subnets, ","))
	procs := make([]string, 0, len(g.Suspended))
	for p := range g.Suspended {
		procs = append(procs, p)
	}
	sort.Strings(procs)
	for _, p := range procs {
		out.SuspendedProcesses = append(out.SuspendedProcesses, astypes.SuspendedProcess{ProcessName: aws.String(p), SuspensionReason: aws.String(g.Suspended[p])})
	}
	out.Tags = s.asgTagsOut(g)
	if withInstances {
		for _, m := range g.sortedMembers() {
			out.Instances = append(out.Instances, s.asgInstanceOut(g, m))
		}
	}
	return out
}

func (s *Sim) asgTagsOut(g *asgGroup) []astypes.TagDescription {
	tags := append([]kvTag(nil), g.Tags...)
	sort.Slice(tags, func(i, j int) bool { return tags[i].Key < tags[j].Key })
	out := []astypes.TagDescription{}
	for _, t := range tags {
		out = append(out, astypes.TagDescription{ResourceId: aws.String(g.Name), ResourceType: aws.String("auto-scaling-group"),
			Key: aws.String(t.Key), Value: aws.String(t.Value), PropagateAtLaunch: aws.Bool(t.Propagate)})
	}
	return out
}

func (s *Sim) memberLT(g *asgGroup, m *asgMember) *astypes.LaunchTemplateSpecification {
	lt := s.ec2.LaunchTemplates[g.LaunchTemplateID]
	if in := s.ec2.Instances[m.InstanceID]; in != nil && s.ec2.LaunchTemplates[in.LaunchTemplateID] != nil {
		lt = s.ec2.LaunchTemplates[in.LaunchTemplateID]
	}
	if lt == nil {
		return nil
	}
	return &astypes.LaunchTemplateSpecification{LaunchTemplateId: aws.String(lt.ID), LaunchTemplateName: aws.String(lt.Name),
		Version: aws.String(strconv.FormatInt(m.LTVersion, 10))}
}

func (s *Sim) asgInstanceOut(g *asgGroup, m *asgMember) astypes.Instance {
	return astypes.Instance{
		InstanceId:           aws.String(m.InstanceID),
		AvailabilityZone:     aws.String(m.AZ),
		AvailabilityZoneId:   aws.String(s.zoneID(m.AZ)),
		LifecycleState:       astypes.LifecycleState(m.Lifecycle),
		HealthStatus:         aws.String(m.Health),
		ProtectedFromScaleIn: aws.Bool(m.Protected),
		InstanceType:         aws.String(m.InstanceType),
		ImageId:              aws.String(m.ImageID),
		LaunchTemplate:       s.memberLT(g, m),
	}
}

// asgGroupFilter answers DescribeAutoScalingGroups' filters.
func asgGroupFilter(g *asgGroup) filterFields {
	return func(name string) ([]string, bool) {
		return tagFilterFields(g.Tags, name)
	}
}

func (s *Sim) asgDescribeAutoScalingGroups(in *autoscaling.DescribeAutoScalingGroupsInput) (*autoscaling.DescribeAutoScalingGroupsOutput, error) {
	limit, last, err := s.asgPage(in.MaxRecords, 50, 100, "groups", in.NextToken)
	if err != nil {
		return nil, err
	}
	filters := asFilters(in.Filters)
	if bad := checkFilterNames(filters, asgGroupFilter(&asgGroup{})); bad != "" {
		return nil, validationError("Filter name '%s' is not valid.", bad)
	}
	var keys []string
	if len(in.AutoScalingGroupNames) > 0 {
		for _, n := range in.AutoScalingGroupNames {
			if s.asg.Groups[n] != nil {
				keys = append(keys, n)
			}
		}
		keys = dedupSorted(keys)
	} else {
		for n := range s.asg.Groups {
			keys = append(keys, n)
		}
		sort.Strings(keys)
	}
	page, more := pageMatching(keys, last, limit, func(n string) bool {
		ok, _ := matchFilters(filters, asgGroupFilter(s.asg.Groups[n]))
		return ok
	})
	out := &autoscaling.DescribeAutoScalingGroupsOutput{AutoScalingGroups: []astypes.AutoScalingGroup{}}
	for _, n := range page {
		out.AutoScalingGroups = append(out.AutoScalingGroups, s.asgGroupOut(s.asg.Groups[n], in.IncludeInstances == nil || *in.IncludeInstances))
	}
	if more {
		out.NextToken = pageToken("groups", page[len(page)-1])
	}
	return out, nil
}

// asFilters converts Auto Scaling filters to the EC2 shape matchFilters takes.
func asFilters(fs []astypes.Filter) []ec2types.Filter {
	out := make([]ec2types.Filter, len(fs))
	for i, f := range fs {
		out[i] = ec2types.Filter{Name: f.Name, Values: f.Values}
	}
	return out
}

func (s *Sim) asgDescribeAutoScalingInstances(in *autoscaling.DescribeAutoScalingInstancesInput) (*autoscaling.DescribeAutoScalingInstancesOutput, error) {
	if len(in.InstanceIds) > 50 {
		return nil, validationError("The number of instance ids that may be passed in is limited to 50")
	}
	limit, last, err := s.asgPage(in.MaxRecords, 50, 50, "asg-instances", in.NextToken)
	if err != nil {
		return nil, err
	}
	var keys []string
	if len(in.InstanceIds) > 0 {
		for _, id := range in.InstanceIds {
			if g, _ := s.memberGroup(id); g != nil {
				keys = append(keys, id)
			}
		}
		keys = dedupSorted(keys)
	} else {
		for _, g := range s.asg.Groups {
			for id := range g.Members {
				keys = append(keys, id)
			}
		}
		sort.Strings(keys)
	}
	page, more := pageMatching(keys, last, limit, func(string) bool { return true })
	out := &autoscaling.DescribeAutoScalingInstancesOutput{AutoScalingInstances: []astypes.AutoScalingInstanceDetails{}}
	for _, id := range page {
		g, m := s.memberGroup(id)
		i := s.asgInstanceOut(g, m)
		out.AutoScalingInstances = append(out.AutoScalingInstances, astypes.AutoScalingInstanceDetails{
			AutoScalingGroupName: aws.String(g.Name),
			InstanceId:           i.InstanceId,
			AvailabilityZone:     i.AvailabilityZone,
			AvailabilityZoneId:   i.AvailabilityZoneId,
			LifecycleState:       aws.String(m.Lifecycle),
			HealthStatus:         aws.String(strings.ToUpper(m.Health)),
			ProtectedFromScaleIn: i.ProtectedFromScaleIn,
			InstanceType:         i.InstanceType,
			ImageId:              i.ImageId,
			LaunchTemplate:       i.LaunchTemplate,
		})
	}
	if more {
		out.NextToken = pageToken("asg-instances", page[len(page)-1])
	}
	return out, nil
}

// setDesired changes a group's desired capacity, records why and kicks it.
func (s *Sim) setDesired(g *asgGroup, desired int, cause string) {
	if desired == g.Desired {
		return
	}
	s.rec.timeline(s.now, "asg.desired", fmt.Sprintf("%s: desired %d → %d", g.Name, g.Desired, desired))
	g.Desired = desired
	g.DesiredCause = cause
	s.asgKick(g, asgReactDelay)
}

var terminationPolicies = []string{"Default", "OldestInstance", "NewestInstance", "OldestLaunchConfiguration", "OldestLaunchTemplate", "ClosestToNextInstanceHour", "AllocationStrategy"}

func (s *Sim) asgUpdateAutoScalingGroup(in *autoscaling.UpdateAutoScalingGroupInput) (*autoscaling.UpdateAutoScalingGroupOutput, error) {
	g, err := s.lookupGroup(in.AutoScalingGroupName)
	if err != nil {
		return nil, err
	}
	if in.LaunchConfigurationName != nil {
		return nil, validationError("The sandbox's groups launch from launch templates only; LaunchConfigurationName is not supported.")
	}
	if in.LaunchTemplate != nil && in.MixedInstancesPolicy != nil {
		return nil, errLaunchSources() // mutually exclusive (see asg_mixed.go)
	}
	var mixed *asgMixed
	var mixedLT, mixedVersion string
	if in.MixedInstancesPolicy != nil {
		if mixed, mixedLT, mixedVersion, err = s.parseMixedUpdate(g, in.MixedInstancesPolicy); err != nil {
			return nil, err
		}
	}
	newMin, newMax, desired, err := asgUpdatedSizes(g, in)
	if err != nil {
		return nil, err
	}
	ltID, version, err := s.asgUpdatedTemplate(g, in.LaunchTemplate)
	if err != nil {
		return nil, err
	}
	if mixed != nil {
		ltID, version = mixedLT, mixedVersion
	}
	azs, err := s.asgUpdatedZones(g, in)
	if err != nil {
		return nil, err
	}
	if err := asgUpdatePoliciesOK(in); err != nil {
		return nil, err
	}

	s.asgApplyTemplate(g, ltID, version, mixed, in.LaunchTemplate != nil)
	g.Min, g.Max = newMin, newMax
	if !sameStrings(azs, g.AZs) {
		g.AZs = azs
		g.RebalanceDueAt = s.now // a change of zones rebalances at once
		s.asgKick(g, asgReactDelay)
	}
	asgApplySettings(g, in)
	if desired != g.Desired {
		s.setDesired(g, desired, fmt.Sprintf("At %s a user request update of AutoScalingGroup constraints to min: %d, max: %d, desired: %d changing the desired capacity from %d to %d.",
			stamp(s.now), newMin, newMax, desired, g.Desired, desired))
	}
	return &autoscaling.UpdateAutoScalingGroupOutput{}, nil
}

// asgUpdatedSizes is the group's min, max and desired after the update. A
// desired capacity left out is clamped into the new bounds; one given must
// lie within them.
func asgUpdatedSizes(g *asgGroup, in *autoscaling.UpdateAutoScalingGroupInput) (newMin, newMax, desired int, err error) {
	newMin, newMax = g.Min, g.Max
	if in.MinSize != nil {
		newMin = int(*in.MinSize)
	}
	if in.MaxSize != nil {
		newMax = int(*in.MaxSize)
	}
	if newMin < 0 || newMax < 0 {
		return 0, 0, 0, validationError("Min and max sizes must be non-negative")
	}
	if newMin > newMax {
		return 0, 0, 0, validationError("Max bound, %d, must be greater than or equal to min bound, %d", newMax, newMin)
	}
	if in.DesiredCapacity == nil {
		return newMin, newMax, max(newMin, min(newMax, g.Desired)), nil
	}
	desired = int(*in.DesiredCapacity)
	if desired < newMin || desired > newMax {
		return 0, 0, 0, validationError("Desired capacity:%d must be between the specified min size:%d and max size:%d", desired, newMin, newMax)
	}
	return newMin, newMax, desired, nil
}

// asgUpdatedTemplate is the launch template and version the group launches
// from after the update (spec nil: unchanged; version default $Default).
func (s *Sim) asgUpdatedTemplate(g *asgGroup, spec *astypes.LaunchTemplateSpecification) (string, string, error) {
	if spec == nil {
		return g.LaunchTemplateID, g.Version, nil
	}
	return s.asgTemplateVersion(spec)
}

// asgTemplateVersion resolves a group's launch template specification to
// the template's id and the version named ($Default when none), refusing
// as Auto Scaling does one that does not resolve.
func (s *Sim) asgTemplateVersion(spec *astypes.LaunchTemplateSpecification) (string, string, error) {
	lt, err := s.lookupLaunchTemplate(spec.LaunchTemplateId, spec.LaunchTemplateName)
	if err != nil {
		msg := err.Error()
		if ae, ok := err.(*APIError); ok {
			msg = ae.Message
		}
		return "", "", validationError("You must use a valid fully-formed launch template. %s", msg)
	}
	version := aws.ToString(spec.Version)
	if version == "" {
		version = "$Default"
	}
	if _, ok := lt.resolve(version); !ok {
		return "", "", validationError("You must use a valid fully-formed launch template. Could not find launch template version %s for template %s", version, lt.ID)
	}
	return lt.ID, version, nil
}

// asgUpdatedZones is the group's zones after the update.
func (s *Sim) asgUpdatedZones(g *asgGroup, in *autoscaling.UpdateAutoScalingGroupInput) ([]string, error) {
	if len(in.AvailabilityZones) == 0 {
		return g.AZs, nil
	}
	for _, az := range in.AvailabilityZones {
		if s.azIndex(az) < 0 {
			return nil, validationError("The availability zone(s) [%s] are not valid for this region", az)
		}
	}
	return append([]string(nil), in.AvailabilityZones...), nil
}

// asgUpdatePoliciesOK checks the termination policies and health check
// type an update names.
func asgUpdatePoliciesOK(in *autoscaling.UpdateAutoScalingGroupInput) error {
	for _, p := range in.TerminationPolicies {
		if indexOf(terminationPolicies, p) < 0 {
			return validationError("Termination policy %s is not valid", p)
		}
	}
	if hc := in.HealthCheckType; hc != nil && *hc != "EC2" && *hc != "ELB" && *hc != "VPC_LATTICE" && *hc != "EBS" {
		return validationError("Health check type %s is not valid", *hc)
	}
	return nil
}

// asgApplyTemplate switches the group's launch template, version and mixed
// instances policy, noting each change on the timeline.
func (s *Sim) asgApplyTemplate(g *asgGroup, ltID, version string, mixed *asgMixed, topLevelTemplate bool) {
	if ltID != g.LaunchTemplateID || version != g.Version {
		lt := s.ec2.LaunchTemplates[ltID]
		s.rec.timeline(s.now, "asg.launchTemplate", fmt.Sprintf("%s: launch template %s (%s) version %s", g.Name, lt.ID, lt.Name, version))
	}
	g.LaunchTemplateID, g.Version = ltID, version
	switch {
	case mixed != nil:
		s.rec.timeline(s.now, "asg.mixedInstancesPolicy", fmt.Sprintf("%s: mixed instances policy overrides %s", g.Name, s.describeMixed(mixed)))
		g.Mixed = mixed
	case topLevelTemplate && g.Mixed != nil:
		// A top-level launch template replaces the policy: the group
		// launches one type, On-Demand only, from then on.
		s.rec.timeline(s.now, "asg.mixedInstancesPolicy", g.Name+": mixed instances policy replaced by a launch template")
		g.Mixed = nil
	}
}

// asgApplySettings sets the update's optional scalar settings.
func asgApplySettings(g *asgGroup, in *autoscaling.UpdateAutoScalingGroupInput) {
	if in.NewInstancesProtectedFromScaleIn != nil {
		g.NewInstancesProtectedFromScaleIn = *in.NewInstancesProtectedFromScaleIn
	}
	if in.HealthCheckType != nil {
		g.HealthCheckType = *in.HealthCheckType
	}
	if in.HealthCheckGracePeriod != nil {
		g.HealthCheckGracePeriod = *in.HealthCheckGracePeriod
	}
	if in.DefaultCooldown != nil {
		g.DefaultCooldown = *in.DefaultCooldown
	}
	if in.TerminationPolicies != nil {
		g.TerminationPolicies = append([]string(nil), in.TerminationPolicies...)
	}
	if in.MaxInstanceLifetime != nil {
		g.MaxInstanceLifetime = *in.MaxInstanceLifetime
	}
	if in.CapacityRebalance != nil {
		g.CapacityRebalance = *in.CapacityRebalance
	}
}

func sameStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func (s *Sim) asgSetDesiredCapacity(in *autoscaling.SetDesiredCapacityInput) (*autoscaling.SetDesiredCapacityOutput, error) {
	g, err := s.lookupGroup(in.AutoScalingGroupName)
	if err != nil {
		return nil, err
	}
	if in.DesiredCapacity == nil {
		return nil, validationError("1 validation error detected: Value null at 'desiredCapacity' failed to satisfy constraint: Member must not be null")
	}
	d := int(*in.DesiredCapacity)
	if d > g.Max {
		return nil, validationError("New SetDesiredCapacity value %d is above max value %d for the AutoScalingGroup.", d, g.Max)
	}
	if d < g.Min {
		return nil, validationError("New SetDesiredCapacity value %d is below min value %d for the AutoScalingGroup.", d, g.Min)
	}
	s.setDesired(g, d, fmt.Sprintf("At %s a user request explicitly set group desired capacity changing the desired capacity from %d to %d.", stamp(s.now), g.Desired, d))
	return &autoscaling.SetDesiredCapacityOutput{}, nil
}

func (s *Sim) activityOut(g *asgGroup, a *asgActivity) astypes.Activity {
	out := astypes.Activity{
		ActivityId:           aws.String(a.ID),
		AutoScalingGroupName: aws.String(g.Name),
		AutoScalingGroupARN:  aws.String(g.ARN),
		Description:          aws.String(a.Description),
		Cause:                aws.String(a.Cause),
		StartTime:            aws.Time(a.StartTime),
		StatusCode:           astypes.ScalingActivityStatusCode(a.Status),
		Progress:             aws.Int32(a.Progress),
	}
	if a.Details != "" {
		out.Details = aws.String(a.Details)
	} else {
		out.Details = aws.String("{}")
	}
	if !a.EndTime.IsZero() {
		out.EndTime = aws.Time(a.EndTime)
	}
	if a.Message != "" {
		out.StatusMessage = aws.String(a.Message)
	}
	return out
}

func errNotManaged(id string) error {
	return validationError("Instance Id not found - No managed instance found for instance ID: %s", id)
}

func (s *Sim) asgTerminateInstanceInAutoScalingGroup(in *autoscaling.TerminateInstanceInAutoScalingGroupInput) (*autoscaling.TerminateInstanceInAutoScalingGroupOutput, error) {
	if err := requireBool(in.ShouldDecrementDesiredCapacity, "shouldDecrementDesiredCapacity"); err != nil {
		return nil, err
	}
	ids := in.InstanceIds
	switch {
	case in.InstanceId != nil && len(in.InstanceIds) > 0:
		return nil, validationError("Only one of InstanceId or InstanceIds may be specified.")
	case in.InstanceId != nil:
		ids = []string{*in.InstanceId}
	case len(ids) == 0:
		return nil, validationError("Either InstanceId or InstanceIds must be specified.")
	case in.AutoScalingGroupName == nil:
		return nil, validationError("AutoScalingGroupName is required when InstanceIds is specified.")
	case len(ids) > 100:
		return nil, validationError("The number of instance ids that may be passed in is limited to 100")
	}
	decrement := *in.ShouldDecrementDesiredCapacity
	type target struct {
		g *asgGroup
		m *asgMember
	}
	var targets []target
	perGroup := map[string]int{}
	for _, id := range ids {
		g, m := s.memberGroup(id)
		if g == nil || (in.AutoScalingGroupName != nil && g.Name != *in.AutoScalingGroupName) {
			return nil, errNotManaged(id)
		}
		targets = append(targets, target{g, m})
		if m.active() {
			perGroup[g.Name]++
		}
	}
	if decrement {
		for name, n := range perGroup {
			g := s.asg.Groups[name]
			if g.Desired-n < g.Min {
				return nil, validationError("Currently, desiredSize equals minSize (%d). Terminating instance without replacement will violate group's min size constraint. Either set shouldDecrementDesiredCapacity flag to false or lower group's min size.", g.Min)
			}
		}
	}
	out := &autoscaling.TerminateInstanceInAutoScalingGroupOutput{}
	for _, t := range targets {
		g, m := t.g, t.m
		var actID string
		if !m.active() {
			actID = m.ActivityID // already on its way out
		} else {
			var cause string
			if decrement {
				cause = fmt.Sprintf("At %s instance %s was taken out of service in response to a user request, shrinking the capacity from %d to %d.", stamp(s.now), m.InstanceID, g.Desired, g.Desired-1)
				s.rec.timeline(s.now, "asg.desired", fmt.Sprintf("%s: desired %d → %d (TerminateInstanceInAutoScalingGroup %s)", g.Name, g.Desired, g.Desired-1, m.InstanceID))
				g.Desired--
				g.DesiredCause = ""
			} else {
				cause = fmt.Sprintf("At %s instance %s was taken out of service in response to a user request.", stamp(s.now), m.InstanceID)
			}
			actID = s.asgTerminateMember(g, m, cause, "TerminateInstanceInAutoScalingGroup")
			s.asgKick(g, asgReactDelay)
		}
		if a := g.activity(actID); a != nil {
			ao := s.activityOut(g, a)
			out.Activities = append(out.Activities, ao)
		}
	}
	if in.InstanceId != nil && len(out.Activities) == 1 {
		a := out.Activities[0]
		out.Activity = &a
		out.Activities = nil
	}
	return out, nil
}

// memberOp is the prologue of the calls on some of a group's instances
// (DetachInstances, SetInstanceProtection): the group, its required boolean
// flag, and the members named (at most max), checked in that order.
func (s *Sim) memberOp(group *string, flag *bool, flagName string, ids []string, max int) (*asgGroup, []*asgMember, error) {
	g, err := s.lookupGroup(group)
	if err != nil {
		return nil, nil, err
	}
	if err := requireBool(flag, flagName); err != nil {
		return nil, nil, err
	}
	members, err := s.checkMembers(g, ids, max)
	if err != nil {
		return nil, nil, err
	}
	return g, members, nil
}

// checkMembers verifies that every ID is a member of g (limit max IDs).
func (s *Sim) checkMembers(g *asgGroup, ids []string, max int) ([]*asgMember, error) {
	if len(ids) == 0 {
		return nil, validationError("1 validation error detected: Value null at 'instanceIds' failed to satisfy constraint: Member must not be null")
	}
	if len(ids) > max {
		return nil, validationError("The number of instance ids that may be passed in is limited to %d", max)
	}
	var out []*asgMember
	for _, id := range ids {
		m := g.Members[id]
		if m == nil {
			return nil, validationError("The instance %s is not part of Auto Scaling group %s.", id, g.Name)
		}
		out = append(out, m)
	}
	return out, nil
}

func (s *Sim) asgDetachInstances(in *autoscaling.DetachInstancesInput) (*autoscaling.DetachInstancesOutput, error) {
	g, members, err := s.memberOp(in.AutoScalingGroupName, in.ShouldDecrementDesiredCapacity, "shouldDecrementDesiredCapacity", in.InstanceIds, 20)
	if err != nil {
		return nil, err
	}
	for _, m := range members {
		if !m.active() {
			return nil, validationError("The instance %s is not in a state from which it can be detached (%s).", m.InstanceID, m.Lifecycle)
		}
	}
	decrement := *in.ShouldDecrementDesiredCapacity
	if decrement && g.Desired-len(members) < g.Min {
		return nil, validationError("Currently, desiredSize equals minSize (%d). Detaching instances with shouldDecrementDesiredCapacity flag set to true will violate group's min size constraint. Either set shouldDecrementDesiredCapacity flag to false or lower group's min size.", g.Min)
	}
	out := &autoscaling.DetachInstancesOutput{Activities: []astypes.Activity{}}
	for _, m := range members {
		var cause string
		if decrement {
			cause = fmt.Sprintf("At %s instance %s was detached in response to a user request, shrinking the capacity from %d to %d.", stamp(s.now), m.InstanceID, g.Desired, g.Desired-1)
			s.rec.timeline(s.now, "asg.desired", fmt.Sprintf("%s: desired %d → %d (DetachInstances %s)", g.Name, g.Desired, g.Desired-1, m.InstanceID))
			g.Desired--
			g.DesiredCause = ""
		} else {
			cause = fmt.Sprintf("At %s instance %s was detached in response to a user request.", stamp(s.now), m.InstanceID)
		}
		id := s.asgAddActivity(g, "Detaching EC2 instance: "+m.InstanceID, cause, s.activityDetails(m.AZ))
		out.Activities = append(out.Activities, s.activityOut(g, g.activity(id)))
		s.asgFinishActivity(g, id, "Successful", "")
		s.rec.timeline(s.now, "asg.detach", fmt.Sprintf("%s: detached %s", g.Name, m.InstanceID))
		delete(g.Members, m.InstanceID)
		if inst := s.ec2.Instances[m.InstanceID]; inst != nil {
			inst.ASG = ""
		}
	}
	s.asgKick(g, asgReactDelay)
	return out, nil
}

func (s *Sim) asgSetInstanceProtection(in *autoscaling.SetInstanceProtectionInput) (*autoscaling.SetInstanceProtectionOutput, error) {
	g, members, err := s.memberOp(in.AutoScalingGroupName, in.ProtectedFromScaleIn, "protectedFromScaleIn", in.InstanceIds, 50)
	if err != nil {
		return nil, err
	}
	for _, m := range members {
		m.Protected = *in.ProtectedFromScaleIn
	}
	if !*in.ProtectedFromScaleIn && g.BlockedScaleIn {
		s.asgKick(g, asgReactDelay)
	}
	return &autoscaling.SetInstanceProtectionOutput{}, nil
}

// processesOf validates process names (none: all of them).
func processesOf(names []string) ([]string, error) {
	if len(names) == 0 {
		return asgProcesses, nil
	}
	for _, p := range names {
		if indexOf(asgProcesses, p) < 0 {
			return nil, validationError("Process names must be one of: %s. Unrecognized process name: %s", strings.Join(asgProcesses, ", "), p)
		}
	}
	return names, nil
}

// processOp is the prologue of SuspendProcesses and ResumeProcesses: the
// group and the processes named (none: all of them).
func (s *Sim) processOp(group *string, names []string) (*asgGroup, []string, error) {
	g, err := s.lookupGroup(group)
	if err != nil {
		return nil, nil, err
	}
	procs, err := processesOf(names)
	if err != nil {
		return nil, nil, err
	}
	return g, procs, nil
}

func (s *Sim) asgSuspendProcesses(in *autoscaling.SuspendProcessesInput) (*autoscaling.SuspendProcessesOutput, error) {
	g, procs, err := s.processOp(in.AutoScalingGroupName, in.ScalingProcesses)
	if err != nil {
		return nil, err
	}
	var added []string
	for _, p := range procs {
		if !g.suspended(p) {
			g.Suspended[p] = "User suspended at " + stamp(s.now)
			added = append(added, p)
		}
	}
	if len(added) > 0 {
		s.rec.timeline(s.now, "asg.suspend", fmt.Sprintf("%s: suspended %s", g.Name, strings.Join(added, ", ")))
	}
	return &autoscaling.SuspendProcessesOutput{}, nil
}

func (s *Sim) asgResumeProcesses(in *autoscaling.ResumeProcessesInput) (*autoscaling.ResumeProcessesOutput, error) {
	g, procs, err := s.processOp(in.AutoScalingGroupName, in.ScalingProcesses)
	if err != nil {
		return nil, err
	}
	var resumed []string
	for _, p := range procs {
		if g.suspended(p) {
			delete(g.Suspended, p)
			resumed = append(resumed, p)
		}
	}
	if len(resumed) > 0 {
		s.rec.timeline(s.now, "asg.resume", fmt.Sprintf("%s: resumed %s", g.Name, strings.Join(resumed, ", ")))
		if contains(resumed, "HealthCheck") || contains(resumed, "ReplaceUnhealthy") {
			s.asgRecheckHealth(g)
		}
		s.asgKick(g, asgReactDelay)
	}
	return &autoscaling.ResumeProcessesOutput{}, nil
}

// asgTagTargets validates Auto Scaling tags and groups them by group.
func (s *Sim) asgTagTargets(tags []astypes.Tag) (map[*asgGroup][]astypes.Tag, error) {
	if len(tags) == 0 {
		return nil, validationError("1 validation error detected: Value null at 'tags' failed to satisfy constraint: Member must not be null")
	}
	out := map[*asgGroup][]astypes.Tag{}
	for _, t := range tags {
		if t.ResourceType != nil && *t.ResourceType != "auto-scaling-group" {
			return nil, validationError("Invalid resource type %s; only auto-scaling-group is supported", *t.ResourceType)
		}
		key := aws.ToString(t.Key)
		if key == "" {
			return nil, validationError("Tag key must not be empty")
		}
		if strings.HasPrefix(strings.ToLower(key), "aws:") {
			return nil, validationError("Tag keys starting with 'aws:' are reserved for internal use")
		}
		g, err := s.lookupGroup(t.ResourceId)
		if err != nil {
			return nil, err
		}
		out[g] = append(out[g], t)
	}
	return out, nil
}

func (s *Sim) asgCreateOrUpdateTags(in *autoscaling.CreateOrUpdateTagsInput) (*autoscaling.CreateOrUpdateTagsOutput, error) {
	targets, err := s.asgTagTargets(in.Tags)
	if err != nil {
		return nil, err
	}
	for g, tags := range targets {
		next := g.Tags
		for _, t := range tags {
			next = setTag(next, kvTag{Key: aws.ToString(t.Key), Value: aws.ToString(t.Value), Propagate: aws.ToBool(t.PropagateAtLaunch)})
		}
		if len(next) > 50 {
			return nil, apiErr("LimitExceeded", "The maximum number of tags for an Auto Scaling group (50) has been reached.")
		}
	}
	for g, tags := range targets {
		for _, t := range tags {
			g.Tags = setTag(g.Tags, kvTag{Key: aws.ToString(t.Key), Value: aws.ToString(t.Value), Propagate: aws.ToBool(t.PropagateAtLaunch)})
		}
	}
	return &autoscaling.CreateOrUpdateTagsOutput{}, nil
}

func (s *Sim) asgDeleteTags(in *autoscaling.DeleteTagsInput) (*autoscaling.DeleteTagsOutput, error) {
	targets, err := s.asgTagTargets(in.Tags)
	if err != nil {
		return nil, err
	}
	for g, tags := range targets {
		var kept []kvTag
		for _, have := range g.Tags {
			drop := false
			for _, t := range tags {
				drop = drop || aws.ToString(t.Key) == have.Key
			}
			if !drop {
				kept = append(kept, have)
			}
		}
		g.Tags = kept
	}
	return &autoscaling.DeleteTagsOutput{}, nil
}

func (s *Sim) asgDescribeTags(in *autoscaling.DescribeTagsInput) (*autoscaling.DescribeTagsOutput, error) {
	limit, last, err := s.asgPage(in.MaxRecords, 50, 100, "asg-tags", in.NextToken)
	if err != nil {
		return nil, err
	}
	type row struct {
		group string
		tag   kvTag
	}
	fields := func(r row) filterFields {
		return func(name string) ([]string, bool) {
			switch name {
			case "auto-scaling-group":
				return []string{r.group}, true
			case "key":
				return []string{r.tag.Key}, true
			case "value":
				return []string{r.tag.Value}, true
			case "propagate-at-launch":
				return []string{strconv.FormatBool(r.tag.Propagate)}, true
			}
			return nil, false
		}
	}
	filters := asFilters(in.Filters)
	if bad := checkFilterNames(filters, fields(row{})); bad != "" {
		return nil, validationError("Filter name '%s' is not valid.", bad)
	}
	rows := map[string]row{}
	var keys []string
	for name, g := range s.asg.Groups {
		for _, t := range g.Tags {
			k := name + "\x00" + t.Key
			rows[k] = row{name, t}
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	page, more := pageMatching(keys, last, limit, func(k string) bool {
		// Auto Scaling filters match exactly (no wildcards).
		r := rows[k]
		for _, f := range filters {
			have, _ := fields(r)(aws.ToString(f.Name))
			if !anyEqual(f.Values, have) {
				return false
			}
		}
		return true
	})
	out := &autoscaling.DescribeTagsOutput{Tags: []astypes.TagDescription{}}
	for _, k := range page {
		r := rows[k]
		out.Tags = append(out.Tags, astypes.TagDescription{ResourceId: aws.String(r.group), ResourceType: aws.String("auto-scaling-group"),
			Key: aws.String(r.tag.Key), Value: aws.String(r.tag.Value), PropagateAtLaunch: aws.Bool(r.tag.Propagate)})
	}
	if more {
		out.NextToken = pageToken("asg-tags", page[len(page)-1])
	}
	return out, nil
}

func anyEqual(want, have []string) bool {
	for _, w := range want {
		if contains(have, w) {
			return true
		}
	}
	return false
}

func (s *Sim) asgDescribeLifecycleHooks(in *autoscaling.DescribeLifecycleHooksInput) (*autoscaling.DescribeLifecycleHooksOutput, error) {
	g, err := s.lookupGroup(in.AutoScalingGroupName)
	if err != nil {
		return nil, err
	}
	out := &autoscaling.DescribeLifecycleHooksOutput{LifecycleHooks: []astypes.LifecycleHook{}}
	for _, h := range g.Hooks {
		if len(in.LifecycleHookNames) > 0 && !contains(in.LifecycleHookNames, h.Name) {
			continue
		}
		hb, def := asgHookDelay, "CONTINUE"
		if h.Heartbeat > 0 {
			hb, def = h.Heartbeat, h.DefaultResult
		}
		out.LifecycleHooks = append(out.LifecycleHooks, astypes.LifecycleHook{
			AutoScalingGroupName: aws.String(g.Name),
			LifecycleHookName:    aws.String(h.Name),
			LifecycleTransition:  aws.String(h.Transition),
			HeartbeatTimeout:     aws.Int32(int32(hb.Seconds())),
			GlobalTimeout:        aws.Int32(int32(min(hb.Seconds()*100, 172800))),
			DefaultResult:        aws.String(def),
		})
	}
	return out, nil
}

// asgCompleteLifecycleAction lets an instance waiting on a terminating hook
// proceed at once.
func (s *Sim) asgCompleteLifecycleAction(in *autoscaling.CompleteLifecycleActionInput) (*autoscaling.CompleteLifecycleActionOutput, error) {
	g, err := s.lookupGroup(in.AutoScalingGroupName)
	if err != nil {
		return nil, err
	}
	name := aws.ToString(in.LifecycleHookName)
	found := false
	for _, h := range g.Hooks {
		found = found || h.Name == name
	}
	if !found {
		return nil, validationError("No Lifecycle Hook found with name %s for group %s", name, g.Name)
	}
	if r := aws.ToString(in.LifecycleActionResult); r != "CONTINUE" && r != "ABANDON" {
		return nil, validationError("Lifecycle action result must be CONTINUE or ABANDON")
	}
	id := aws.ToString(in.InstanceId)
	m := g.Members[id]
	if m == nil || m.Lifecycle != "Terminating:Wait" {
		return nil, validationError("No active Lifecycle Action found with instance ID %s", id)
	}
	s.asgShutdown(g, m)
	return &autoscaling.CompleteLifecycleActionOutput{}, nil
}

func (s *Sim) asgDescribeScalingActivities(in *autoscaling.DescribeScalingActivitiesInput) (*autoscaling.DescribeScalingActivitiesOutput, error) {
	limit, last, err := s.asgPage(in.MaxRecords, 100, 100, "activities", in.NextToken)
	if err != nil {
		return nil, err
	}
	var groups []*asgGroup
	if in.AutoScalingGroupName != nil {
		if g := s.asg.Groups[*in.AutoScalingGroupName]; g != nil {
			groups = append(groups, g)
		}
	} else {
		for _, g := range s.asg.Groups {
			groups = append(groups, g)
		}
	}
	type ref struct {
		g *asgGroup
		i int
	}
	refs := map[string]ref{}
	var keys []string
	for _, g := range groups {
		for i, a := range g.Activities {
			if len(in.ActivityIds) > 0 && !contains(in.ActivityIds, a.ID) {
				continue
			}
			k := fmt.Sprintf("%020d|%s|%s", math.MaxInt64-a.StartTime.UnixNano(), g.Name, a.ID)
			refs[k] = ref{g, i}
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	page, more := pageMatching(keys, last, limit, func(string) bool { return true })
	out := &autoscaling.DescribeScalingActivitiesOutput{Activities: []astypes.Activity{}}
	for _, k := range page {
		r := refs[k]
		out.Activities = append(out.Activities, s.activityOut(r.g, &r.g.Activities[r.i]))
	}
	if more {
		out.NextToken = pageToken("activities", page[len(page)-1])
	}
	return out, nil
}
