package sim

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

func init() {
	register(SvcEC2, "DescribeInstances", (*Sim).ec2DescribeInstances)
	register(SvcEC2, "DescribeImages", (*Sim).ec2DescribeImages)
	register(SvcEC2, "DescribeInstanceTypes", (*Sim).ec2DescribeInstanceTypes)
	register(SvcEC2, "DescribeAvailabilityZones", (*Sim).ec2DescribeAvailabilityZones)
	register(SvcEC2, "TerminateInstances", (*Sim).ec2TerminateInstances)
	register(SvcEC2, "CreateTags", (*Sim).ec2CreateTags)
	register(SvcEC2, "DeleteTags", (*Sim).ec2DeleteTags)
	register(SvcEC2, "DescribeTags", (*Sim).ec2DescribeTags)

	registerEvent("ec2.instanceRunning", (*Sim).ec2OnInstanceRunning)
	registerEvent("ec2.instanceBooted", (*Sim).ec2OnInstanceBooted)
	registerEvent("ec2.instanceTerminated", (*Sim).ec2OnInstanceTerminated)
	registerEvent("ec2.instanceForget", (*Sim).ec2OnInstanceForget)
}

// terminatedVisibleFor is how long EC2 keeps listing a terminated instance.
const terminatedVisibleFor = time.Hour

var (
	instanceIDPattern = regexp.MustCompile(`^i-([0-9a-f]{8}|[0-9a-f]{17})$`)
	imageIDPattern    = regexp.MustCompile(`^ami-([0-9a-f]{8}|[0-9a-f]{17})$`)
)

// lookupInstances resolves instance IDs as EC2 does: a malformed ID fails
// the call first, then every unknown one is named in one NotFound error.
func (s *Sim) lookupInstances(ids []string) ([]*ec2Instance, error) {
	var missing []string
	var out []*ec2Instance
	seen := map[string]bool{}
	for _, id := range ids {
		in := s.ec2.Instances[id]
		if in == nil && !instanceIDPattern.MatchString(id) {
			return nil, apiErr("InvalidInstanceID.Malformed", "Invalid id: %q", id)
		}
		if in == nil {
			missing = append(missing, id)
			continue
		}
		if !seen[id] {
			seen[id] = true
			out = append(out, in)
		}
	}
	switch len(missing) {
	case 0:
		return out, nil
	case 1:
		return nil, apiErr("InvalidInstanceID.NotFound", "The instance ID '%s' does not exist", missing[0])
	default:
		return nil, apiErr("InvalidInstanceID.NotFound", "The instance IDs '%s' do not exist", strings.Join(missing, ", "))
	}
}

// instanceFilter answers DescribeInstances' filters for one instance.
func (s *Sim) instanceFilter(in *ec2Instance) filterFields {
	return func(name string) ([]string, bool) {
		one := func(v string) ([]string, bool) {
			if v == "" {
				return nil, true
			}
			return []string{v}, true
		}
		switch name {
		case "instance-id":
			return one(in.ID)
		case "instance-state-name":
			return one(in.State)
		case "instance-state-code":
			return one(strconv.Itoa(int(ec2StateCodes[in.State])))
		case "image-id":
			return one(in.ImageID)
		case "instance-type":
			return one(in.InstanceType)
		case "availability-zone":
			return one(in.AZ)
		case "availability-zone-id":
			return one(s.zoneID(in.AZ))
		case "architecture":
			return one(in.Architecture)
		case "private-ip-address", "network-interface.addresses.private-ip-address":
			return one(in.PrivateIP)
		case "private-dns-name":
			return one(s.privateDNS(in.PrivateIP))
		case "subnet-id":
			return one(in.SubnetID)
		case "vpc-id":
			return one(s.ec2.VpcID)
		case "reservation-id":
			return one(in.ReservationID)
		case "key-name":
			return one(in.KeyName)
		case "iam-instance-profile.arn":
			return one(in.IamProfileArn)
		case "owner-id":
			return one(s.AccountID)
		case "launch-time":
			return one(in.LaunchTime.UTC().Format("2006-01-02T15:04:05.000Z"))
		}
		return tagFilterFields(in.Tags, name)
	}
}

func (s *Sim) privateDNS(ip string) string {
	host := "ip-" + strings.ReplaceAll(ip, ".", "-")
	if s.Region == "us-east-1" {
		return host + ".ec2.internal"
	}
	return host + "." + s.Region + ".compute.internal"
}

func (s *Sim) ec2DescribeInstances(in *ec2.DescribeInstancesInput) (*ec2.DescribeInstancesOutput, error) {
	if len(in.InstanceIds) > 0 && in.MaxResults != nil {
		return nil, apiErr("InvalidParameterCombination", "The parameter instancesSet cannot be used with the parameter maxResults")
	}
	limit, err := s.ec2Limit(in.MaxResults, 5, 1000)
	if err != nil {
		return nil, err
	}
	last, ok := parsePageToken("instances", in.NextToken)
	if !ok {
		return nil, errBadNextToken()
	}
	if bad := checkFilterNames(in.Filters, s.instanceFilter(&ec2Instance{})); bad != "" {
		return nil, errBadFilter(bad)
	}
	if aws.ToBool(in.DryRun) {
		return nil, dryRunOK()
	}
	var keys []string
	if len(in.InstanceIds) > 0 {
		found, err := s.lookupInstances(in.InstanceIds)
		if err != nil {
			return nil, err
		}
		for _, inst := range found {
			keys = append(keys, inst.ID)
		}
		limit = len(keys) + 1 // explicit IDs come back in one page
	} else {
		keys = make([]string, 0, len(s.ec2.Instances))
		for id := range s.ec2.Instances {
			keys = append(keys, id)
		}
	}
	sort.Strings(keys)
	page, more := pageMatching(keys, last, limit, func(id string) bool {
		ok, _ := matchFilters(in.Filters, s.instanceFilter(s.ec2.Instances[id]))
		return ok
	})
	out := &ec2.DescribeInstancesOutput{Reservations: []ec2types.Reservation{}}
	for _, id := range page {
		inst := s.ec2.Instances[id]
		out.Reservations = append(out.Reservations, ec2types.Reservation{
			ReservationId: aws.String(inst.ReservationID),
			OwnerId:       aws.String(s.AccountID),
			Groups:        []ec2types.GroupIdentifier{},
			Instances:     []ec2types.Instance{s.ec2InstanceOut(inst)},
		})
	}
	if more {
		out.NextToken = pageToken("instances", page[len(page)-1])
	}
	return out, nil
}

// pageMatching walks keys (sorted) after last and returns up to limit of
// those match accepts, and whether another matching key follows.
func pageMatching(keys []string, last string, limit int, match func(string) bool) (page []string, more bool) {
	start := 0
	if last != "" {
		start = sort.SearchStrings(keys, last)
		if start < len(keys) && keys[start] == last {
			start++
		}
	}
	for _, k := range keys[start:] {
		if !match(k) {
			continue
		}
		if len(page) == limit {
			return page, true
		}
		page = append(page, k)
	}
	return page, false
}

func ec2StateOf(name string) *ec2types.InstanceState {
	return &ec2types.InstanceState{Code: aws.Int32(ec2StateCodes[name]), Name: ec2types.InstanceStateName(name)}
}

// ec2InstanceOut renders an instance as DescribeInstances shows it.
func (s *Sim) ec2InstanceOut(in *ec2Instance) ec2types.Instance {
	out := ec2types.Instance{
		InstanceId:         aws.String(in.ID),
		ImageId:            aws.String(in.ImageID),
		InstanceType:       ec2types.InstanceType(in.InstanceType),
		Architecture:       ec2types.ArchitectureValues(in.Architecture),
		LaunchTime:         aws.Time(in.LaunchTime),
		State:              ec2StateOf(in.State),
		AmiLaunchIndex:     aws.Int32(0),
		Placement:          &ec2types.Placement{AvailabilityZone: aws.String(in.AZ), AvailabilityZoneId: aws.String(s.zoneID(in.AZ)), Tenancy: ec2types.TenancyDefault, GroupName: aws.String("")},
		Monitoring:         &ec2types.Monitoring{State: ec2types.MonitoringStateDisabled},
		Hypervisor:         ec2types.HypervisorTypeXen,
		RootDeviceName:     aws.String("/dev/xvda"),
		RootDeviceType:     ec2types.DeviceTypeEbs,
		VirtualizationType: ec2types.VirtualizationTypeHvm,
		EbsOptimized:       aws.Bool(true),
		EnaSupport:         aws.Bool(true),
		PlatformDetails:    aws.String("Linux/UNIX"),
		UsageOperation:     aws.String("RunInstances"),
		ClientToken:        aws.String(""),
		Tags:               ec2Tags(in.Tags),
	}
	if in.KeyName != "" {
		out.KeyName = aws.String(in.KeyName)
	}
	if in.IamProfileArn != "" {
		out.IamInstanceProfile = &ec2types.IamInstanceProfile{Arn: aws.String(in.IamProfileArn), Id: aws.String(iamProfileID(in.IamProfileArn))}
	}
	if in.State != "terminated" {
		out.PrivateIpAddress = aws.String(in.PrivateIP)
		out.PrivateDnsName = aws.String(s.privateDNS(in.PrivateIP))
		out.SubnetId = aws.String(in.SubnetID)
		out.VpcId = aws.String(s.ec2.VpcID)
		out.SourceDestCheck = aws.Bool(true)
	} else {
		out.PrivateDnsName = aws.String("")
	}
	if in.Lifecycle == "spot" {
		out.InstanceLifecycle = ec2types.InstanceLifecycleTypeSpot
	}
	out.StateTransitionReason = aws.String(in.TransitionReason)
	if in.ReasonCode != "" {
		out.StateReason = &ec2types.StateReason{Code: aws.String(in.ReasonCode), Message: aws.String(in.ReasonCode + ": " + reasonMessage(in.ReasonCode))}
	}
	return out
}

func reasonMessage(code string) string {
	switch code {
	case "Client.UserInitiatedShutdown":
		return "User initiated shutdown"
	case "Server.InternalError":
		return "Internal error on launch"
	case "Server.SpotInstanceTermination":
		return "Spot instance termination"
	}
	return code
}

// iamProfileID is a stable AIPA… ID derived from an instance profile ARN.
func iamProfileID(arn string) string {
	var h uint64 = 1469598103934665603
	for i := 0; i < len(arn); i++ {
		h ^= uint64(arn[i])
		h *= 1099511628211
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	b := []byte("AIPA")
	for i := 0; i < 17; i++ {
		b = append(b, alphabet[h%32])
		h = h/32 + uint64(i)*7919
	}
	return string(b)
}

// imageFilter answers DescribeImages' filters for one image.
func imageFilter(im *ec2Image) filterFields {
	return func(name string) ([]string, bool) {
		switch name {
		case "image-id":
			return []string{im.ID}, true
		case "name":
			return []string{im.Name}, true
		case "description":
			return []string{im.Description}, true
		case "state":
			return []string{"available"}, true
		case "architecture":
			return []string{im.Architecture}, true
		case "owner-id":
			return []string{im.OwnerID}, true
		case "owner-alias":
			if im.OwnerAlias == "" {
				return nil, true
			}
			return []string{im.OwnerAlias}, true
		case "image-type":
			return []string{"machine"}, true
		case "is-public":
			return []string{strconv.FormatBool(im.OwnerAlias == "amazon")}, true
		case "root-device-type":
			return []string{"ebs"}, true
		case "virtualization-type":
			return []string{"hvm"}, true
		case "platform-details":
			return []string{"Linux/UNIX"}, true
		}
		return tagFilterFields(im.Tags, name)
	}
}

func (s *Sim) ec2DescribeImages(in *ec2.DescribeImagesInput) (*ec2.DescribeImagesOutput, error) {
	if len(in.ImageIds) > 0 && in.MaxResults != nil {
		return nil, apiErr("InvalidParameterCombination", "The parameter ImageIds cannot be used with the parameter maxResults")
	}
	limit, err := s.ec2Limit(in.MaxResults, 1, 1000)
	if err != nil {
		return nil, err
	}
	last, ok := parsePageToken("images", in.NextToken)
	if !ok {
		return nil, errBadNextToken()
	}
	if bad := checkFilterNames(in.Filters, imageFilter(&ec2Image{})); bad != "" {
		return nil, errBadFilter(bad)
	}
	var keys []string
	if len(in.ImageIds) > 0 {
		var missing []string
		for _, id := range in.ImageIds {
			if s.ec2.Images[id] != nil {
				keys = append(keys, id)
				continue
			}
			if !imageIDPattern.MatchString(id) {
				return nil, apiErr("InvalidAMIID.Malformed", "Invalid id: %q (expecting \"ami-...\")", id)
			}
			missing = append(missing, id)
		}
		if len(missing) > 0 {
			return nil, apiErr("InvalidAMIID.NotFound", "The image id '[%s]' does not exist", strings.Join(missing, ", "))
		}
		keys = dedupSorted(keys)
		limit = len(keys) + 1
	} else {
		for id := range s.ec2.Images {
			keys = append(keys, id)
		}
		sort.Strings(keys)
	}
	ownerOK := func(im *ec2Image) bool {
		if len(in.Owners) == 0 {
			return true
		}
		for _, o := range in.Owners {
			switch {
			case o == "self" && im.OwnerID == s.AccountID,
				o == im.OwnerAlias && o != "",
				o == im.OwnerID:
				return true
			}
		}
		return false
	}
	page, more := pageMatching(keys, last, limit, func(id string) bool {
		im := s.ec2.Images[id]
		ok, _ := matchFilters(in.Filters, imageFilter(im))
		return ok && ownerOK(im)
	})
	out := &ec2.DescribeImagesOutput{Images: []ec2types.Image{}}
	for _, id := range page {
		out.Images = append(out.Images, s.ec2ImageOut(s.ec2.Images[id]))
	}
	if more {
		out.NextToken = pageToken("images", page[len(page)-1])
	}
	return out, nil
}

func (s *Sim) ec2ImageOut(im *ec2Image) ec2types.Image {
	out := ec2types.Image{
		ImageId:            aws.String(im.ID),
		Name:               aws.String(im.Name),
		CreationDate:       aws.String(im.CreationDate),
		OwnerId:            aws.String(im.OwnerID),
		Architecture:       ec2types.ArchitectureValues(im.Architecture),
		State:              ec2types.ImageStateAvailable,
		ImageType:          ec2types.ImageTypeValuesMachine,
		Public:             aws.Bool(im.OwnerAlias == "amazon"),
		RootDeviceName:     aws.String("/dev/xvda"),
		RootDeviceType:     ec2types.DeviceTypeEbs,
		VirtualizationType: ec2types.VirtualizationTypeHvm,
		Hypervisor:         ec2types.HypervisorTypeXen,
		EnaSupport:         aws.Bool(true),
		PlatformDetails:    aws.String("Linux/UNIX"),
		UsageOperation:     aws.String("RunInstances"),
		ImageLocation:      aws.String(im.OwnerID + "/" + im.Name),
		Tags:               ec2Tags(im.Tags),
	}
	if im.OwnerAlias != "" {
		out.ImageOwnerAlias = aws.String(im.OwnerAlias)
		out.ImageLocation = aws.String(im.OwnerAlias + "/" + im.Name)
	}
	if im.Description != "" {
		out.Description = aws.String(im.Description)
	}
	return out
}

func dedupSorted(keys []string) []string {
	sort.Strings(keys)
	out := keys[:0]
	for i, k := range keys {
		if i == 0 || k != keys[i-1] {
			out = append(out, k)
		}
	}
	return out
}

func (s *Sim) ec2DescribeInstanceTypes(in *ec2.DescribeInstanceTypesInput) (*ec2.DescribeInstanceTypesOutput, error) {
	limit, err := s.ec2Limit(in.MaxResults, 5, 100)
	if err != nil {
		return nil, err
	}
	last, ok := parsePageToken("instance-types", in.NextToken)
	if !ok {
		return nil, errBadNextToken()
	}
	fields := func(t InstanceTypeSpec) filterFields {
		return func(name string) ([]string, bool) {
			switch name {
			case "instance-type":
				return []string{t.Name}, true
			case "vcpu-info.default-vcpus":
				return []string{strconv.Itoa(t.VCPU)}, true
			case "memory-info.size-in-mib":
				return []string{strconv.Itoa(t.MemoryMiB)}, true
			case "processor-info.supported-architecture":
				return []string{archOfType(t.Name)}, true
			case "current-generation":
				return []string{"true"}, true
			}
			return nil, false
		}
	}
	if bad := checkFilterNames(in.Filters, fields(InstanceTypeSpec{})); bad != "" {
		return nil, errBadFilter(bad)
	}
	var keys []string
	if len(in.InstanceTypes) > 0 {
		var missing []string
		for _, t := range in.InstanceTypes {
			if _, ok := s.instanceType(string(t)); ok {
				keys = append(keys, string(t))
			} else {
				missing = append(missing, string(t))
			}
		}
		if len(missing) > 0 {
			return nil, apiErr("InvalidInstanceType", "The following supplied instance types do not exist: [%s]", strings.Join(missing, ", "))
		}
		keys = dedupSorted(keys)
	} else {
		for _, t := range s.allInstanceTypes() {
			keys = append(keys, t.Name)
		}
	}
	page, more := pageMatching(keys, last, limit, func(k string) bool {
		t, _ := s.instanceType(k)
		ok, _ := matchFilters(in.Filters, fields(t))
		return ok
	})
	out := &ec2.DescribeInstanceTypesOutput{InstanceTypes: []ec2types.InstanceTypeInfo{}}
	for _, k := range page {
		t, _ := s.instanceType(k)
		out.InstanceTypes = append(out.InstanceTypes, instanceTypeOut(t))
	}
	if more {
		out.NextToken = pageToken("instance-types", page[len(page)-1])
	}
	return out, nil
}

func instanceTypeOut(t InstanceTypeSpec) ec2types.InstanceTypeInfo {
	threads := int32(2)
	if t.VCPU < 2 || archOfType(t.Name) == "arm64" {
		threads = 1
	}
	cores := int32(t.VCPU) / threads
	return ec2types.InstanceTypeInfo{
		InstanceType:      ec2types.InstanceType(t.Name),
		CurrentGeneration: aws.Bool(true),
		VCpuInfo: &ec2types.VCpuInfo{
			DefaultVCpus:          aws.Int32(int32(t.VCPU)),
			DefaultCores:          aws.Int32(cores),
			DefaultThreadsPerCore: aws.Int32(threads),
		},
		MemoryInfo:                    &ec2types.MemoryInfo{SizeInMiB: aws.Int64(int64(t.MemoryMiB))},
		ProcessorInfo:                 &ec2types.ProcessorInfo{SupportedArchitectures: []ec2types.ArchitectureType{ec2types.ArchitectureType(archOfType(t.Name))}},
		SupportedUsageClasses:         []ec2types.UsageClassType{ec2types.UsageClassTypeOnDemand, ec2types.UsageClassTypeSpot},
		SupportedRootDeviceTypes:      []ec2types.RootDeviceType{ec2types.RootDeviceTypeEbs},
		SupportedVirtualizationTypes:  []ec2types.VirtualizationType{ec2types.VirtualizationTypeHvm},
		Hypervisor:                    ec2types.InstanceTypeHypervisorNitro,
		BurstablePerformanceSupported: aws.Bool(strings.HasPrefix(t.Name, "t")),
		BareMetal:                     aws.Bool(false),
	}
}

func (s *Sim) ec2DescribeAvailabilityZones(in *ec2.DescribeAvailabilityZonesInput) (*ec2.DescribeAvailabilityZonesOutput, error) {
	fields := func(az string) filterFields {
		return func(name string) ([]string, bool) {
			switch name {
			case "zone-name":
				return []string{az}, true
			case "zone-id":
				return []string{s.zoneID(az)}, true
			case "state":
				return []string{"available"}, true
			case "region-name":
				return []string{s.Region}, true
			case "zone-type":
				return []string{"availability-zone"}, true
			case "opt-in-status":
				return []string{"opt-in-not-required"}, true
			case "group-name", "network-border-group":
				return []string{s.Region}, true
			}
			return nil, false
		}
	}
	if bad := checkFilterNames(in.Filters, fields("")); bad != "" {
		return nil, errBadFilter(bad)
	}
	for _, z := range in.ZoneNames {
		if s.azIndex(z) < 0 {
			return nil, apiErr("InvalidParameterValue", "Invalid availability zone: [%s]", z)
		}
	}
	for _, id := range in.ZoneIds {
		found := false
		for _, z := range s.ec2.AZs {
			found = found || s.zoneID(z) == id
		}
		if !found {
			return nil, apiErr("InvalidParameterValue", "Invalid availability zone ID: [%s]", id)
		}
	}
	out := &ec2.DescribeAvailabilityZonesOutput{AvailabilityZones: []ec2types.AvailabilityZone{}}
	for _, z := range s.ec2.AZs {
		if len(in.ZoneNames) > 0 && !contains(in.ZoneNames, z) {
			continue
		}
		if len(in.ZoneIds) > 0 && !contains(in.ZoneIds, s.zoneID(z)) {
			continue
		}
		if ok, _ := matchFilters(in.Filters, fields(z)); !ok {
			continue
		}
		out.AvailabilityZones = append(out.AvailabilityZones, ec2types.AvailabilityZone{
			ZoneName:           aws.String(z),
			ZoneId:             aws.String(s.zoneID(z)),
			RegionName:         aws.String(s.Region),
			State:              ec2types.AvailabilityZoneStateAvailable,
			OptInStatus:        ec2types.AvailabilityZoneOptInStatusOptInNotRequired,
			ZoneType:           aws.String("availability-zone"),
			GroupName:          aws.String(s.Region + "-zg-1"),
			GroupLongName:      aws.String(s.Region),
			NetworkBorderGroup: aws.String(s.Region),
			Messages:           []ec2types.AvailabilityZoneMessage{},
		})
	}
	return out, nil
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func (s *Sim) ec2TerminateInstances(in *ec2.TerminateInstancesInput) (*ec2.TerminateInstancesOutput, error) {
	if len(in.InstanceIds) == 0 {
		return nil, apiErr("MissingParameter", "The request must contain the parameter InstanceId")
	}
	if len(in.InstanceIds) > 1000 {
		return nil, apiErr("InvalidParameterValue", "The maximum number of instance IDs in a request is 1000")
	}
	found, err := s.lookupInstances(in.InstanceIds)
	if err != nil {
		return nil, err
	}
	if aws.ToBool(in.DryRun) {
		return nil, dryRunOK()
	}
	out := &ec2.TerminateInstancesOutput{TerminatingInstances: []ec2types.InstanceStateChange{}}
	for _, inst := range found {
		prev := inst.State
		s.ec2Terminate(inst, "ec2 TerminateInstances")
		out.TerminatingInstances = append(out.TerminatingInstances, ec2types.InstanceStateChange{
			InstanceId:    aws.String(inst.ID),
			PreviousState: ec2StateOf(prev),
			CurrentState:  ec2StateOf(inst.State),
		})
	}
	return out, nil
}

// dryRunOK is EC2's answer to a DryRun request that would have succeeded.
func dryRunOK() error {
	return &APIError{Code: "DryRunOperation", Message: "Request would have succeeded, but DryRun flag is set.", Status: 412}
}

// ec2Terminate starts shutting an instance down: its tasks die at once (ECS
// is told now), it is terminated InstanceShutdown later. A member of an Auto
// Scaling group that is terminated this way (not through the group) is found
// unhealthy by the group's health check and replaced.
func (s *Sim) ec2Terminate(inst *ec2Instance, cause string) {
	if inst.State == "shutting-down" || inst.State == "terminated" {
		return
	}
	inst.State = "shutting-down"
	inst.TransitionReason = "User initiated (" + s.now.UTC().Format("2006-01-02 15:04:05 GMT") + ")"
	inst.ReasonCode = "Client.UserInitiatedShutdown"
	inst.TerminationCause = cause
	inst.Registered = false
	s.rec.timeline(s.now, "ec2.terminate", fmt.Sprintf("%s shutting down (%s)", inst.ID, cause))
	callECSInstanceGone(s, inst.ID)
	s.after(s.Timings.InstanceShutdown.D(), "ec2.instanceTerminated", inst.ID)
	if g, m := s.memberGroup(inst.ID); g != nil && m.active() {
		s.after(asgHealthCheckDelay, "asg.healthCheck", inst.ID)
	}
}

func (s *Sim) ec2OnInstanceRunning(id string) {
	inst := s.ec2.Instances[id]
	if inst == nil || inst.State != "pending" {
		return
	}
	inst.State = "running"
}

// ec2OnInstanceBooted: the instance's ECS agent registers with its cluster,
// and its Auto Scaling group puts it in service.
func (s *Sim) ec2OnInstanceBooted(id string) {
	inst := s.ec2.Instances[id]
	if inst == nil || (inst.State != "pending" && inst.State != "running") {
		return
	}
	inst.State = "running"
	s.ec2RegisterWithECS(inst)
	if g, m := s.memberGroup(id); g != nil && m.Lifecycle == "Pending" {
		m.Lifecycle = "InService"
		s.asgFinishActivity(g, m.ActivityID, "Successful", "")
		m.ActivityID = ""
		s.asgKick(g, 0)
	}
}

// ec2RegisterWithECS tells ECS that an instance's agent registered.
func (s *Sim) ec2RegisterWithECS(inst *ec2Instance) {
	if inst.Cluster == "" || inst.Registered {
		return
	}
	t, _ := s.instanceType(inst.InstanceType)
	inst.Registered = true
	callECSRegisterInstance(s, InstanceInfo{
		InstanceID:       inst.ID,
		Cluster:          inst.Cluster,
		AvailabilityZone: inst.AZ,
		InstanceType:     inst.InstanceType,
		ImageID:          inst.ImageID,
		VCPU:             t.VCPU,
		MemoryMiB:        t.MemoryMiB,
		PrivateIP:        inst.PrivateIP,
		LaunchTime:       inst.LaunchTime,
		ASGName:          inst.ASG,
	})
}

func (s *Sim) ec2OnInstanceTerminated(id string) {
	inst := s.ec2.Instances[id]
	if inst == nil || inst.State != "shutting-down" {
		return
	}
	inst.State = "terminated"
	inst.TerminatedAt = s.now
	s.after(terminatedVisibleFor, "ec2.instanceForget", id)
	s.asgInstanceTerminated(inst)
}

func (s *Sim) ec2OnInstanceForget(id string) {
	inst := s.ec2.Instances[id]
	if inst == nil || inst.State != "terminated" {
		return
	}
	if g, _ := s.memberGroup(id); g != nil {
		// Still listed by a group that has not noticed (HealthCheck
		// suspended): keep it until the group lets go.
		s.after(terminatedVisibleFor, "ec2.instanceForget", id)
		return
	}
	delete(s.ec2.Instances, id)
}

// Tags on EC2 resources: instances, images and launch templates.

// taggable returns a pointer to the tags of an EC2 resource.
func (s *Sim) taggable(id string) (*[]kvTag, string, error) {
	switch {
	case strings.HasPrefix(id, "i-"):
		if in := s.ec2.Instances[id]; in != nil {
			return &in.Tags, "instance", nil
		}
		if !instanceIDPattern.MatchString(id) {
			return nil, "", apiErr("InvalidID", "The ID '%s' is not valid", id)
		}
		return nil, "", apiErr("InvalidInstanceID.NotFound", "The instance ID '%s' does not exist", id)
	case strings.HasPrefix(id, "ami-"):
		if im := s.ec2.Images[id]; im != nil {
			return &im.Tags, "image", nil
		}
		return nil, "", apiErr("InvalidAMIID.NotFound", "The image id '[%s]' does not exist", id)
	case strings.HasPrefix(id, "lt-"):
		if lt := s.ec2.LaunchTemplates[id]; lt != nil {
			return &lt.Tags, "launch-template", nil
		}
		return nil, "", apiErr("InvalidLaunchTemplateId.NotFound", "The specified launch template, with template ID %s, does not exist.", id)
	}
	return nil, "", apiErr("InvalidID", "The ID '%s' is not valid", id)
}

// ec2TagTargets resolves the resources of CreateTags and DeleteTags to their
// tag lists; a dry run stops here, with its DryRunOperation error.
func (s *Sim) ec2TagTargets(ids []string, dryRun *bool) ([]*[]kvTag, error) {
	var targets []*[]kvTag
	for _, id := range ids {
		p, _, err := s.taggable(id)
		if err != nil {
			return nil, err
		}
		targets = append(targets, p)
	}
	if aws.ToBool(dryRun) {
		return nil, dryRunOK()
	}
	return targets, nil
}

func (s *Sim) ec2CreateTags(in *ec2.CreateTagsInput) (*ec2.CreateTagsOutput, error) {
	if len(in.Resources) == 0 {
		return nil, apiErr("MissingParameter", "The request must contain the parameter resourceIdSet")
	}
	if len(in.Tags) == 0 {
		return nil, apiErr("MissingParameter", "The request must contain the parameter tagSet")
	}
	for _, t := range in.Tags {
		if err := checkEC2TagKey(aws.ToString(t.Key)); err != nil {
			return nil, err
		}
	}
	targets, err := s.ec2TagTargets(in.Resources, in.DryRun)
	if err != nil {
		return nil, err
	}
	for _, p := range targets {
		tags := *p
		for _, t := range in.Tags {
			tags = setTag(tags, kvTag{Key: aws.ToString(t.Key), Value: aws.ToString(t.Value)})
		}
		if len(tags) > 50 {
			return nil, apiErr("TagLimitExceeded", "The maximum number of Tags for a resource has been reached.")
		}
		*p = tags
	}
	return &ec2.CreateTagsOutput{}, nil
}

func checkEC2TagKey(k string) error {
	if k == "" {
		return apiErr("InvalidParameterValue", "Tag key cannot be empty")
	}
	if len(k) > 128 {
		return apiErr("InvalidParameterValue", "Tag key exceeds the maximum length of 128 characters")
	}
	if strings.HasPrefix(strings.ToLower(k), "aws:") {
		return apiErr("InvalidParameterValue", "Tag keys starting with 'aws:' are reserved for internal use")
	}
	return nil
}

func (s *Sim) ec2DeleteTags(in *ec2.DeleteTagsInput) (*ec2.DeleteTagsOutput, error) {
	if len(in.Resources) == 0 {
		return nil, apiErr("MissingParameter", "The request must contain the parameter resourceIdSet")
	}
	for _, t := range in.Tags {
		if strings.HasPrefix(strings.ToLower(aws.ToString(t.Key)), "aws:") {
			return nil, apiErr("InvalidParameterValue", "Tag keys starting with 'aws:' are reserved for internal use")
		}
	}
	targets, err := s.ec2TagTargets(in.Resources, in.DryRun)
	if err != nil {
		return nil, err
	}
	for _, p := range targets {
		var kept []kvTag
		for _, have := range *p {
			drop := false
			if len(in.Tags) == 0 {
				drop = !strings.HasPrefix(have.Key, "aws:")
			}
			for _, t := range in.Tags {
				if aws.ToString(t.Key) == have.Key && (t.Value == nil || aws.ToString(t.Value) == have.Value) {
					drop = true
				}
			}
			if !drop {
				kept = append(kept, have)
			}
		}
		*p = kept
	}
	return &ec2.DeleteTagsOutput{}, nil
}

func (s *Sim) ec2DescribeTags(in *ec2.DescribeTagsInput) (*ec2.DescribeTagsOutput, error) {
	limit, err := s.ec2Limit(in.MaxResults, 5, 1000)
	if err != nil {
		return nil, err
	}
	last, ok := parsePageToken("tags", in.NextToken)
	if !ok {
		return nil, errBadNextToken()
	}
	type row struct{ id, typ, key, value string }
	fields := func(r row) filterFields {
		return func(name string) ([]string, bool) {
			switch name {
			case "resource-id":
				return []string{r.id}, true
			case "resource-type":
				return []string{r.typ}, true
			case "key", "tag-key":
				return []string{r.key}, true
			case "value":
				return []string{r.value}, true
			}
			if strings.HasPrefix(name, "tag:") {
				if strings.TrimPrefix(name, "tag:") == r.key {
					return []string{r.value}, true
				}
				return nil, true
			}
			return nil, false
		}
	}
	if bad := checkFilterNames(in.Filters, fields(row{})); bad != "" {
		return nil, errBadFilter(bad)
	}
	rows := map[string]row{}
	add := func(id, typ string, tags []kvTag) {
		for _, t := range tags {
			rows[id+"\x00"+t.Key] = row{id, typ, t.Key, t.Value}
		}
	}
	for id, in := range s.ec2.Instances {
		add(id, "instance", in.Tags)
	}
	for id, im := range s.ec2.Images {
		add(id, "image", im.Tags)
	}
	for id, lt := range s.ec2.LaunchTemplates {
		add(id, "launch-template", lt.Tags)
	}
	keys := make([]string, 0, len(rows))
	for k := range rows {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	page, more := pageMatching(keys, last, limit, func(k string) bool {
		ok, _ := matchFilters(in.Filters, fields(rows[k]))
		return ok
	})
	out := &ec2.DescribeTagsOutput{Tags: []ec2types.TagDescription{}}
	for _, k := range page {
		r := rows[k]
		out.Tags = append(out.Tags, ec2types.TagDescription{ResourceId: aws.String(r.id),
			ResourceType: ec2types.ResourceType(r.typ), Key: aws.String(r.key), Value: aws.String(r.value)})
	}
	if more {
		out.NextToken = pageToken("tags", page[len(page)-1])
	}
	return out, nil
}
