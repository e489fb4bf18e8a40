package sim

import (
	"bytes"
	"encoding/base64"
	"errors"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

const (
	amiOld    = "ami-0aaaaaaaaaaaaaaa1"
	amiNew    = "ami-0bbbbbbbbbbbbbbb2"
	amiCustom = "ami-0ccccccccccccccc3"
)

var ec2TestStart = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// testWorld has one cluster's group of desired instances on launch template
// "ecs-prod" (version 1: the old AMI, the default; version 2: the new one).
func testWorld(desired int) *World {
	return &World{
		AMIs: []AMISpec{
			{ID: amiOld, Name: "al2023-ami-ecs-hvm-2023.0.20250101-kernel-6.1-x86_64"},
			{ID: amiNew, Name: "al2023-ami-ecs-hvm-2023.0.20250201-kernel-6.1-x86_64"},
			{ID: amiCustom, Name: "team-base-arm64", CreationDate: "2025-12-01T00:00:00Z"},
		},
		InstanceTypes: []InstanceTypeSpec{{Name: "m7g.large", VCPU: 2, MemoryMiB: 8192}},
		LaunchTemplates: []LaunchTemplateSpec{{
			Name: "ecs-prod",
			Versions: []LaunchTemplateVersionSpec{
				{ImageID: amiOld, InstanceType: "m5.large", Cluster: "prod"},
				{ImageID: amiNew, InstanceType: "m5.large", Cluster: "prod"},
			},
		}},
		AutoScalingGroups: []ASGSpec{{
			Name: "ecs-prod", LaunchTemplate: "ecs-prod", Min: 1, Max: 10, Desired: desired,
			Tags:      map[string]string{"team": "platform"},
			Instances: []InstanceGroupSpec{{Count: desired, AgeHours: 48}},
		}},
	}
}

// ecsCalls records the calls the EC2 side makes into ECS.
type ecsCalls struct {
	registered []InstanceInfo
	gone       []string
}

// watchECS wraps the ECS hooks for the duration of a test.
func watchECS(t *testing.T) *ecsCalls {
	t.Helper()
	c := &ecsCalls{}
	reg, gone := callECSRegisterInstance, callECSInstanceGone
	callECSRegisterInstance = func(s *Sim, info InstanceInfo) {
		c.registered = append(c.registered, info)
		reg(s, info)
	}
	callECSInstanceGone = func(s *Sim, id string) {
		c.gone = append(c.gone, id)
		gone(s, id)
	}
	t.Cleanup(func() { callECSRegisterInstance, callECSInstanceGone = reg, gone })
	return c
}

func newEC2TestSim(t *testing.T, w *World, pageSize int) *Sim {
	t.Helper()
	s := New(Options{ManualClock: true, Start: ec2TestStart, PageSize: pageSize})
	if err := s.LoadWorld(w); err != nil {
		t.Fatalf("load world: %v", err)
	}
	return s
}

// ec2MustCall is call for a request that must succeed.
func ec2MustCall[I, O any](t *testing.T, s *Sim, fn func(*Sim, *I) (*O, error), in *I) *O {
	t.Helper()
	out, err := lockedCall(s, fn, in)
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
	return out
}

func wantAPIError(t *testing.T, err error, code, msgPart string) {
	t.Helper()
	var ae *APIError
	if !errors.As(err, &ae) {
		t.Fatalf("got error %v, want %s", err, code)
	}
	if ae.Code != code || !strings.Contains(ae.Message, msgPart) {
		t.Fatalf("got %s: %q, want %s containing %q", ae.Code, ae.Message, code, msgPart)
	}
}

// instanceIDs lists the group's instance IDs in a state, sorted.
func instancesIn(s *Sim, state string) []string {
	s.Lock()
	defer s.Unlock()
	var ids []string
	for id, in := range s.ec2.Instances {
		if in.State == state {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

func describeAll(t *testing.T, s *Sim, in *ec2.DescribeInstancesInput) []ec2types.Instance {
	t.Helper()
	var all []ec2types.Instance
	req := *in
	for {
		out := ec2MustCall(t, s, (*Sim).ec2DescribeInstances, &req)
		for _, r := range out.Reservations {
			all = append(all, r.Instances...)
		}
		if out.NextToken == nil {
			return all
		}
		req.NextToken = out.NextToken
	}
}

func TestOperationsAreRegistered(t *testing.T) {
	for svc, names := range map[string][]string{
		SvcEC2: {"DescribeInstances", "DescribeImages", "DescribeInstanceTypes", "DescribeLaunchTemplates",
			"DescribeLaunchTemplateVersions", "CreateLaunchTemplateVersion", "ModifyLaunchTemplate",
			"TerminateInstances", "CreateTags", "DeleteTags", "DescribeTags", "DescribeAvailabilityZones"},
		SvcAutoScaling: {"DescribeAutoScalingGroups", "DescribeAutoScalingInstances", "UpdateAutoScalingGroup",
			"SetDesiredCapacity", "TerminateInstanceInAutoScalingGroup", "DetachInstances", "SetInstanceProtection",
			"SuspendProcesses", "ResumeProcesses", "CreateOrUpdateTags", "DeleteTags", "DescribeTags",
			"DescribeInstanceRefreshes", "StartInstanceRefresh", "CancelInstanceRefresh", "DescribeLifecycleHooks",
			"CompleteLifecycleAction", "DescribeScalingActivities"},
		SvcSTS: {"GetCallerIdentity"},
	} {
		for _, n := range names {
			if DefaultRegistry.Lookup(svc, n) == nil {
				t.Errorf("%s.%s is not registered", svc, n)
			}
		}
	}
}

func TestWorldLoadCreatesAndRegistersInstances(t *testing.T) {
	calls := watchECS(t)
	s := newEC2TestSim(t, testWorld(4), 0)
	all := describeAll(t, s, &ec2.DescribeInstancesInput{})
	if len(all) != 4 || len(calls.registered) != 4 {
		t.Fatalf("instances %d, registered with ECS %d; want 4 and 4", len(all), len(calls.registered))
	}
	zones := map[string]int{}
	for _, in := range all {
		zones[aws.ToString(in.Placement.AvailabilityZone)]++
		if in.State.Name != ec2types.InstanceStateNameRunning || aws.ToInt32(in.State.Code) != 16 {
			t.Errorf("%s state %v", aws.ToString(in.InstanceId), in.State.Name)
		}
		if !strings.HasPrefix(aws.ToString(in.PrivateIpAddress), "10.") {
			t.Errorf("private IP %q", aws.ToString(in.PrivateIpAddress))
		}
		if got := aws.ToString(in.ImageId); got != amiOld {
			t.Errorf("image %s, want the default version's %s", got, amiOld)
		}
		if !in.LaunchTime.Equal(ec2TestStart.Add(-48 * time.Hour)) {
			t.Errorf("launch time %v", in.LaunchTime)
		}
		tags := map[string]string{}
		for _, tg := range in.Tags {
			tags[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
		}
		for k, v := range map[string]string{"Name": "ecs-prod", "team": "platform", "aws:autoscaling:groupName": "ecs-prod", "aws:ec2launchtemplate:version": "1"} {
			if tags[k] != v {
				t.Errorf("tag %s = %q, want %q", k, tags[k], v)
			}
		}
		if in.IamInstanceProfile == nil || !strings.HasSuffix(aws.ToString(in.IamInstanceProfile.Arn), "instance-profile/ecsInstanceRole") {
			t.Errorf("instance profile %+v", in.IamInstanceProfile)
		}
	}
	if zones["us-east-1a"] != 2 || zones["us-east-1b"] != 1 || zones["us-east-1c"] != 1 {
		t.Errorf("zones %v, want round-robin 2/1/1", zones)
	}
	r := calls.registered[0]
	if r.Cluster != "prod" || r.VCPU != 2 || r.MemoryMiB != 8192 || r.ASGName != "ecs-prod" || r.ImageID != amiOld {
		t.Errorf("registered %+v", r)
	}
}

func TestWorldLoadErrors(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(w *World)
		wants string
	}{
		{"counts do not add up", func(w *World) { w.AutoScalingGroups[0].Instances[0].Count = 2 }, "add up to 2"},
		{"unknown template", func(w *World) { w.AutoScalingGroups[0].LaunchTemplate = "nope" }, `"nope" does not exist`},
		{"desired above max", func(w *World) { w.AutoScalingGroups[0].Max = 2 }, "min <= desired <= max"},
		{"unknown type", func(w *World) { w.LaunchTemplates[0].Versions[0].InstanceType = "z9.huge" }, "unknown instance type"},
		{"bad process", func(w *World) { w.AutoScalingGroups[0].SuspendedProcesses = []string{"Launching"} }, "unknown process"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := testWorld(3)
			tt.edit(w)
			err := New(Options{ManualClock: true, Start: ec2TestStart}).LoadWorld(w)
			if err == nil || !strings.Contains(err.Error(), tt.wants) {
				t.Fatalf("got %v, want an error containing %q", err, tt.wants)
			}
		})
	}
}

func TestDescribeInstancesFilters(t *testing.T) {
	s := newEC2TestSim(t, testWorld(6), 0)
	first := instancesIn(s, "running")[0]
	s.Lock()
	firstAZ := s.ec2.Instances[first].AZ
	s.Unlock()
	ec2MustCall(t, s, (*Sim).ec2CreateTags, &ec2.CreateTagsInput{Resources: []string{first}, Tags: []ec2types.Tag{{Key: aws.String("rotate"), Value: aws.String("old")}}})
	ec2MustCall(t, s, (*Sim).ec2TerminateInstances, &ec2.TerminateInstancesInput{InstanceIds: []string{instancesIn(s, "running")[1]}})
	f := func(name string, values ...string) ec2types.Filter {
		return ec2types.Filter{Name: aws.String(name), Values: values}
	}
	tests := []struct {
		name    string
		filters []ec2types.Filter
		ids     []string
		want    int
	}{
		{"no filter", nil, nil, 6},
		{"running", []ec2types.Filter{f("instance-state-name", "running")}, nil, 5},
		{"running or shutting down", []ec2types.Filter{f("instance-state-name", "running", "shutting-down")}, nil, 6},
		{"state code", []ec2types.Filter{f("instance-state-code", "32")}, nil, 1},
		{"tag:Name", []ec2types.Filter{f("tag:Name", "ecs-prod")}, nil, 6},
		{"tag:Name wildcard", []ec2types.Filter{f("tag:Name", "ecs-*")}, nil, 6},
		{"tag:Name other", []ec2types.Filter{f("tag:Name", "other")}, nil, 0},
		{"tag-key", []ec2types.Filter{f("tag-key", "rotate")}, nil, 1},
		{"group tag", []ec2types.Filter{f("tag:aws:autoscaling:groupName", "ecs-prod")}, nil, 6},
		{"image", []ec2types.Filter{f("image-id", amiOld)}, nil, 6},
		{"image other", []ec2types.Filter{f("image-id", amiNew)}, nil, 0},
		{"zone", []ec2types.Filter{f("availability-zone", "us-east-1b")}, nil, 2},
		{"instance-id", []ec2types.Filter{f("instance-id", first)}, nil, 1},
		{"two filters AND", []ec2types.Filter{f("availability-zone", firstAZ), f("tag-key", "rotate")}, nil, 1},
		{"two filters AND, none", []ec2types.Filter{f("availability-zone", "us-east-1x"), f("tag-key", "rotate")}, nil, 0},
		{"ids and filter", []ec2types.Filter{f("instance-state-name", "running")}, []string{first}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := describeAll(t, s, &ec2.DescribeInstancesInput{Filters: tt.filters, InstanceIds: tt.ids})
			if len(got) != tt.want {
				t.Fatalf("got %d instances, want %d", len(got), tt.want)
			}
		})
	}
}

func TestDescribeInstancesPaging(t *testing.T) {
	s := newEC2TestSim(t, testWorld(10), 0)
	out := ec2MustCall(t, s, (*Sim).ec2DescribeInstances, &ec2.DescribeInstancesInput{MaxResults: aws.Int32(5)})
	if len(out.Reservations) != 5 || out.NextToken == nil {
		t.Fatalf("first page: %d reservations, token %v", len(out.Reservations), out.NextToken)
	}
	all := describeAll(t, s, &ec2.DescribeInstancesInput{MaxResults: aws.Int32(5)})
	seen := map[string]bool{}
	for _, in := range all {
		seen[aws.ToString(in.InstanceId)] = true
	}
	if len(all) != 10 || len(seen) != 10 {
		t.Fatalf("paged through %d (%d distinct), want 10", len(all), len(seen))
	}
	// The account's page size caps a call that names no MaxResults.
	small := newEC2TestSim(t, testWorld(7), 3)
	out = ec2MustCall(t, small, (*Sim).ec2DescribeInstances, &ec2.DescribeInstancesInput{})
	if len(out.Reservations) != 3 || out.NextToken == nil {
		t.Fatalf("page size 3: got %d, token %v", len(out.Reservations), out.NextToken)
	}
	if n := len(describeAll(t, small, &ec2.DescribeInstancesInput{})); n != 7 {
		t.Fatalf("paged %d, want 7", n)
	}
}

func TestDescribeInstancesErrors(t *testing.T) {
	s := newEC2TestSim(t, testWorld(2), 0)
	id := instancesIn(s, "running")[0]
	tests := []struct {
		name string
		in   *ec2.DescribeInstancesInput
		code string
		msg  string
	}{
		{"malformed", &ec2.DescribeInstancesInput{InstanceIds: []string{"i-xyz"}}, "InvalidInstanceID.Malformed", `Invalid id: "i-xyz"`},
		{"not found", &ec2.DescribeInstancesInput{InstanceIds: []string{id, "i-0123456789abcdef0"}}, "InvalidInstanceID.NotFound", "The instance ID 'i-0123456789abcdef0' does not exist"},
		{"two not found", &ec2.DescribeInstancesInput{InstanceIds: []string{"i-0123456789abcdef0", "i-0123456789abcdef1"}}, "InvalidInstanceID.NotFound", "The instance IDs 'i-0123456789abcdef0, i-0123456789abcdef1' do not exist"},
		{"max results too small", &ec2.DescribeInstancesInput{MaxResults: aws.Int32(2)}, "InvalidParameterValue", "maxResults"},
		{"ids with max results", &ec2.DescribeInstancesInput{InstanceIds: []string{id}, MaxResults: aws.Int32(5)}, "InvalidParameterCombination", "instancesSet"},
		{"unknown filter", &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{{Name: aws.String("colour"), Values: []string{"red"}}}}, "InvalidParameterValue", "The filter 'colour' is invalid"},
		{"bad token", &ec2.DescribeInstancesInput{NextToken: aws.String("garbage")}, "InvalidPaginationToken", "pagination token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := lockedCall(s, (*Sim).ec2DescribeInstances, tt.in)
			wantAPIError(t, err, tt.code, tt.msg)
		})
	}
}

func TestTerminatedInstancesStayVisibleForAnHour(t *testing.T) {
	calls := watchECS(t)
	s := newEC2TestSim(t, testWorld(2), 0)
	id := instancesIn(s, "running")[0]
	out := ec2MustCall(t, s, (*Sim).ec2TerminateInstances, &ec2.TerminateInstancesInput{InstanceIds: []string{id}})
	ch := out.TerminatingInstances[0]
	if ch.PreviousState.Name != "running" || ch.CurrentState.Name != "shutting-down" || aws.ToInt32(ch.CurrentState.Code) != 32 {
		t.Fatalf("state change %+v -> %+v", ch.PreviousState, ch.CurrentState)
	}
	if len(calls.gone) != 1 || calls.gone[0] != id {
		t.Fatalf("ecsInstanceGone calls %v, want [%s]", calls.gone, id)
	}
	s.Advance(31 * time.Second)
	if got := instancesIn(s, "terminated"); len(got) != 1 || got[0] != id {
		t.Fatalf("terminated %v", got)
	}
	s.Advance(time.Hour)
	_, err := lockedCall(s, (*Sim).ec2DescribeInstances, &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
	wantAPIError(t, err, "InvalidInstanceID.NotFound", id)
}

func TestDescribeImages(t *testing.T) {
	s := newEC2TestSim(t, testWorld(1), 0)
	tests := []struct {
		name string
		in   *ec2.DescribeImagesInput
		want []string
		code string
	}{
		{"all", &ec2.DescribeImagesInput{}, []string{amiOld, amiNew, amiCustom}, ""},
		{"owner amazon", &ec2.DescribeImagesInput{Owners: []string{"amazon"}}, []string{amiOld, amiNew}, ""},
		{"owner self", &ec2.DescribeImagesInput{Owners: []string{"self"}}, []string{amiCustom}, ""},
		{"name wildcard", &ec2.DescribeImagesInput{Filters: []ec2types.Filter{{Name: aws.String("name"), Values: []string{"al2023-ami-ecs-hvm-*.2025020?-*"}}}}, []string{amiNew}, ""},
		{"by id", &ec2.DescribeImagesInput{ImageIds: []string{amiNew}}, []string{amiNew}, ""},
		{"arch filter", &ec2.DescribeImagesInput{Filters: []ec2types.Filter{{Name: aws.String("architecture"), Values: []string{"arm64"}}}}, []string{amiCustom}, ""},
		{"not found", &ec2.DescribeImagesInput{ImageIds: []string{"ami-0123456789abcdef0"}}, nil, "InvalidAMIID.NotFound"},
		{"malformed", &ec2.DescribeImagesInput{ImageIds: []string{"ami-nope"}}, nil, "InvalidAMIID.Malformed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := lockedCall(s, (*Sim).ec2DescribeImages, tt.in)
			if tt.code != "" {
				wantAPIError(t, err, tt.code, "")
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, im := range out.Images {
				got = append(got, aws.ToString(im.ImageId))
			}
			sort.Strings(got)
			want := append([]string(nil), tt.want...)
			sort.Strings(want)
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Fatalf("got %v, want %v", got, want)
			}
		})
	}
}

func TestDescribeInstanceTypes(t *testing.T) {
	s := newEC2TestSim(t, testWorld(1), 0)
	out := ec2MustCall(t, s, (*Sim).ec2DescribeInstanceTypes, &ec2.DescribeInstanceTypesInput{InstanceTypes: []ec2types.InstanceType{"m5.large", "c5.xlarge", "m7g.large"}})
	got := map[string][2]int64{}
	for _, it := range out.InstanceTypes {
		got[string(it.InstanceType)] = [2]int64{int64(aws.ToInt32(it.VCpuInfo.DefaultVCpus)), aws.ToInt64(it.MemoryInfo.SizeInMiB)}
	}
	want := map[string][2]int64{"m5.large": {2, 8192}, "c5.xlarge": {4, 8192}, "m7g.large": {2, 8192}}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: got %v, want %v", k, got[k], v)
		}
	}
	_, err := lockedCall(s, (*Sim).ec2DescribeInstanceTypes, &ec2.DescribeInstanceTypesInput{InstanceTypes: []ec2types.InstanceType{"z9.huge"}})
	wantAPIError(t, err, "InvalidInstanceType", "z9.huge")
	// Paging through the whole table ends.
	req := &ec2.DescribeInstanceTypesInput{MaxResults: aws.Int32(20)}
	n := 0
	for {
		page := ec2MustCall(t, s, (*Sim).ec2DescribeInstanceTypes, req)
		n += len(page.InstanceTypes)
		if page.NextToken == nil {
			break
		}
		req.NextToken = page.NextToken
	}
	if n < 40 {
		t.Fatalf("paged %d types, want the whole table", n)
	}
}

func TestAvailabilityZonesAndCallerIdentity(t *testing.T) {
	s := newEC2TestSim(t, testWorld(1), 0)
	azs := ec2MustCall(t, s, (*Sim).ec2DescribeAvailabilityZones, &ec2.DescribeAvailabilityZonesInput{})
	if len(azs.AvailabilityZones) != 3 || aws.ToString(azs.AvailabilityZones[0].ZoneId) != "use1-az1" {
		t.Fatalf("zones %+v", azs.AvailabilityZones)
	}
	_, err := lockedCall(s, (*Sim).ec2DescribeAvailabilityZones, &ec2.DescribeAvailabilityZonesInput{ZoneNames: []string{"us-east-1z"}})
	wantAPIError(t, err, "InvalidParameterValue", "us-east-1z")
	id := ec2MustCall(t, s, (*Sim).stsGetCallerIdentity, &sts.GetCallerIdentityInput{})
	if aws.ToString(id.Account) != "123456789012" || aws.ToString(id.Arn) != "arn:aws:iam::123456789012:user/sandbox" || !strings.HasPrefix(aws.ToString(id.UserId), "AIDA") {
		t.Fatalf("identity %s %s %s", aws.ToString(id.Account), aws.ToString(id.Arn), aws.ToString(id.UserId))
	}
}

func TestTags(t *testing.T) {
	s := newEC2TestSim(t, testWorld(2), 0)
	ids := instancesIn(s, "running")
	ec2MustCall(t, s, (*Sim).ec2CreateTags, &ec2.CreateTagsInput{Resources: ids, Tags: []ec2types.Tag{{Key: aws.String("ecsctl:rotate"), Value: aws.String("run-1")}}})
	out := ec2MustCall(t, s, (*Sim).ec2DescribeTags, &ec2.DescribeTagsInput{Filters: []ec2types.Filter{{Name: aws.String("key"), Values: []string{"ecsctl:rotate"}}}})
	if len(out.Tags) != 2 {
		t.Fatalf("tags %d, want 2", len(out.Tags))
	}
	ec2MustCall(t, s, (*Sim).ec2DeleteTags, &ec2.DeleteTagsInput{Resources: ids[:1], Tags: []ec2types.Tag{{Key: aws.String("ecsctl:rotate")}}})
	got := describeAll(t, s, &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{{Name: aws.String("tag-key"), Values: []string{"ecsctl:rotate"}}}})
	if len(got) != 1 || aws.ToString(got[0].InstanceId) != ids[1] {
		t.Fatalf("after delete: %d tagged", len(got))
	}
	_, err := lockedCall(s, (*Sim).ec2CreateTags, &ec2.CreateTagsInput{Resources: ids, Tags: []ec2types.Tag{{Key: aws.String("aws:mine"), Value: aws.String("x")}}})
	wantAPIError(t, err, "InvalidParameterValue", "aws:")
	_, err = lockedCall(s, (*Sim).ec2CreateTags, &ec2.CreateTagsInput{Resources: []string{"i-0123456789abcdef0"}, Tags: []ec2types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
	wantAPIError(t, err, "InvalidInstanceID.NotFound", "i-0123456789abcdef0")
}

func TestLaunchTemplates(t *testing.T) {
	s := newEC2TestSim(t, testWorld(1), 0)
	lts := ec2MustCall(t, s, (*Sim).ec2DescribeLaunchTemplates, &ec2.DescribeLaunchTemplatesInput{LaunchTemplateNames: []string{"ecs-prod"}})
	lt := lts.LaunchTemplates[0]
	if aws.ToInt64(lt.DefaultVersionNumber) != 1 || aws.ToInt64(lt.LatestVersionNumber) != 2 {
		t.Fatalf("template %+v", lt)
	}
	ltID := lt.LaunchTemplateId
	versions := func(vs ...string) []ec2types.LaunchTemplateVersion {
		return ec2MustCall(t, s, (*Sim).ec2DescribeLaunchTemplateVersions, &ec2.DescribeLaunchTemplateVersionsInput{LaunchTemplateId: ltID, Versions: vs}).LaunchTemplateVersions
	}
	for _, tt := range []struct {
		version string
		num     int64
		image   string
	}{{"$Default", 1, amiOld}, {"$Latest", 2, amiNew}, {"2", 2, amiNew}} {
		v := versions(tt.version)
		if len(v) != 1 || aws.ToInt64(v[0].VersionNumber) != tt.num || aws.ToString(v[0].LaunchTemplateData.ImageId) != tt.image {
			t.Errorf("%s: got %+v", tt.version, v)
		}
	}
	ud, _ := base64.StdEncoding.DecodeString(aws.ToString(versions("1")[0].LaunchTemplateData.UserData))
	if string(ud) != "#!/bin/bash\necho ECS_CLUSTER=prod >> /etc/ecs/ecs.config\n" {
		t.Errorf("user data %q", ud)
	}
	all := ec2MustCall(t, s, (*Sim).ec2DescribeLaunchTemplateVersions, &ec2.DescribeLaunchTemplateVersionsInput{LaunchTemplateName: aws.String("ecs-prod")}).LaunchTemplateVersions
	if len(all) != 2 || aws.ToInt64(all[0].VersionNumber) != 2 {
		t.Errorf("all versions: %d, first %d (want newest first)", len(all), aws.ToInt64(all[0].VersionNumber))
	}
	_, err := lockedCall(s, (*Sim).ec2DescribeLaunchTemplateVersions, &ec2.DescribeLaunchTemplateVersionsInput{LaunchTemplateId: ltID, Versions: []string{"9"}})
	wantAPIError(t, err, "InvalidLaunchTemplateId.VersionNotFound", "9")
	_, err = lockedCall(s, (*Sim).ec2DescribeLaunchTemplateVersions, &ec2.DescribeLaunchTemplateVersionsInput{LaunchTemplateName: aws.String("nope")})
	wantAPIError(t, err, "InvalidLaunchTemplateName.NotFoundException", "nope")

	// A new version from version 1 with only the image changed keeps the rest.
	created := ec2MustCall(t, s, (*Sim).ec2CreateLaunchTemplateVersion, &ec2.CreateLaunchTemplateVersionInput{
		LaunchTemplateId: ltID, SourceVersion: aws.String("1"), VersionDescription: aws.String("rotate"),
		LaunchTemplateData: &ec2types.RequestLaunchTemplateData{ImageId: aws.String(amiCustom)},
	})
	nv := created.LaunchTemplateVersion
	if aws.ToInt64(nv.VersionNumber) != 3 || nv.LaunchTemplateData.InstanceType != "m5.large" || aws.ToString(nv.LaunchTemplateData.ImageId) != amiCustom ||
		aws.ToString(nv.LaunchTemplateData.UserData) != aws.ToString(versions("1")[0].LaunchTemplateData.UserData) || created.Warning != nil {
		t.Fatalf("new version %+v, warning %+v", nv, created.Warning)
	}
	// An image EC2 does not know is accepted with a warning.
	created = ec2MustCall(t, s, (*Sim).ec2CreateLaunchTemplateVersion, &ec2.CreateLaunchTemplateVersionInput{
		LaunchTemplateId: ltID, SourceVersion: aws.String("$Latest"),
		LaunchTemplateData: &ec2types.RequestLaunchTemplateData{ImageId: aws.String("ami-0123456789abcdef0")},
	})
	if created.Warning == nil || aws.ToString(created.Warning.Errors[0].Code) != "InvalidAMIID.NotFound" {
		t.Fatalf("want an InvalidAMIID.NotFound warning, got %+v", created.Warning)
	}
	mod := ec2MustCall(t, s, (*Sim).ec2ModifyLaunchTemplate, &ec2.ModifyLaunchTemplateInput{LaunchTemplateId: ltID, DefaultVersion: aws.String("3")})
	if aws.ToInt64(mod.LaunchTemplate.DefaultVersionNumber) != 3 || aws.ToString(versions("$Default")[0].LaunchTemplateData.ImageId) != amiCustom {
		t.Fatalf("default not moved: %+v", mod.LaunchTemplate)
	}
	_, err = lockedCall(s, (*Sim).ec2ModifyLaunchTemplate, &ec2.ModifyLaunchTemplateInput{LaunchTemplateId: ltID, DefaultVersion: aws.String("12")})
	wantAPIError(t, err, "InvalidLaunchTemplateId.VersionNotFound", "12")
	_, err = lockedCall(s, (*Sim).ec2CreateLaunchTemplateVersion, &ec2.CreateLaunchTemplateVersionInput{LaunchTemplateId: ltID})
	wantAPIError(t, err, "MissingParameter", "LaunchTemplateData")
}

func TestSaveLoadKeepsEC2State(t *testing.T) {
	calls := watchECS(t)
	s := newEC2TestSim(t, testWorld(2), 0)
	s.Lock()
	s.setDesired(s.asg.Groups["ecs-prod"], 3, "test")
	s.Unlock()
	s.Advance(10 * time.Second) // launched, still booting
	var buf bytes.Buffer
	if err := s.Save(&buf); err != nil {
		t.Fatal(err)
	}
	s2, err := Load(&buf, Options{ManualClock: true})
	if err != nil {
		t.Fatal(err)
	}
	// Maps that were empty when saved work after loading.
	ec2MustCall(t, s2, (*Sim).asgSuspendProcesses, &autoscaling.SuspendProcessesInput{AutoScalingGroupName: aws.String("ecs-prod"), ScalingProcesses: []string{"AZRebalance"}})
	before := len(calls.registered)
	s2.Advance(2 * time.Minute)
	if got := len(calls.registered) - before; got != 1 {
		t.Fatalf("registrations after load: %d, want 1", got)
	}
	if n := len(describeAll(t, s2, &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{{Name: aws.String("instance-state-name"), Values: []string{"running"}}}})); n != 3 {
		t.Fatalf("running after load: %d, want 3", n)
	}
}

func TestGlobMatch(t *testing.T) {
	tests := []struct {
		pattern, v string
		want       bool
	}{
		{"abc", "abc", true},
		{"abc", "abd", false},
		{"a*", "a", true},
		{"a*", "abc", true},
		{"*c", "abc", true},
		{"*c", "abd", false},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"*-ecs-*-x86_64", "al2023-ami-ecs-hvm-2023.0-kernel-6.1-x86_64", true},
		{"a*b*c", "aXbYbZc", true},
		{"a*b*c", "aXbYbZ", false},
		{`a\*`, "a*", true},
		{`a\*`, "ab", false},
		{"*", "", true},
		{"?", "", false},
	}
	for _, tt := range tests {
		if got := globMatch(tt.pattern, tt.v); got != tt.want {
			t.Errorf("globMatch(%q, %q) = %v, want %v", tt.pattern, tt.v, got, tt.want)
		}
	}
}

func TestOperationsRunThroughTheRegistry(t *testing.T) {
	s := newEC2TestSim(t, testWorld(2), 0)
	op := DefaultRegistry.Lookup(SvcEC2, "DescribeInstances")
	in := op.NewInput().(*ec2.DescribeInstancesInput)
	in.Filters = []ec2types.Filter{{Name: aws.String("instance-state-name"), Values: []string{"running"}}}
	s.Lock()
	out, err := op.Call(s, in)
	s.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	if n := len(out.(*ec2.DescribeInstancesOutput).Reservations); n != 2 {
		t.Fatalf("reservations %d, want 2", n)
	}
	if op.Mutating || !DefaultRegistry.Lookup(SvcAutoScaling, "SetDesiredCapacity").Mutating {
		t.Fatal("mutating flags wrong")
	}
}
