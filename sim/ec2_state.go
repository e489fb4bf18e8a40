package sim

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
)

// EC2, EC2 Auto Scaling and STS live in ec2_*.go, asg_*.go and sts_*.go.
// EC2's state is s.ec2 and Auto Scaling's s.asg (asg_state.go), both plain
// records; the SDK's output types are built fresh from them on every call, so
// nothing an operation returns aliases the state the simulation goes on
// changing.

type ec2State struct {
	// AZs are the region's availability zones, in order.
	AZs []string `json:"azs"`
	// Subnets maps an availability zone to the subnet instances use there.
	Subnets map[string]string `json:"subnets"`
	VpcID   string            `json:"vpcId"`
	// IPNext counts the private addresses handed out per zone.
	IPNext map[string]int `json:"ipNext"`

	Images          map[string]*ec2Image          `json:"images"`
	InstanceTypes   map[string]InstanceTypeSpec   `json:"instanceTypes"`
	LaunchTemplates map[string]*ec2LaunchTemplate `json:"launchTemplates"` // by ID
	Instances       map[string]*ec2Instance       `json:"instances"`
	// InstanceSeq orders instances by launch.
	InstanceSeq uint64 `json:"instanceSeq"`
}

func newEC2State() *ec2State {
	return &ec2State{
		Subnets:         map[string]string{},
		IPNext:          map[string]int{},
		Images:          map[string]*ec2Image{},
		InstanceTypes:   map[string]InstanceTypeSpec{},
		LaunchTemplates: map[string]*ec2LaunchTemplate{},
		Instances:       map[string]*ec2Instance{},
	}
}

// ec2Image is an AMI.
type ec2Image struct {
	ID           string    `json:"id"`
	Name         string    `json:"name"`
	Description  string    `json:"description,omitempty"`
	CreationDate string    `json:"creationDate"`
	OwnerID      string    `json:"ownerId"`
	OwnerAlias   string    `json:"ownerAlias,omitempty"` // "amazon" for Amazon's images
	Architecture string    `json:"architecture"`
	Tags         []kvTag   `json:"tags,omitempty"`
	Registered   time.Time `json:"registered"`
}

// ec2LaunchTemplate is a launch template; Versions[i] is version i+1.
type ec2LaunchTemplate struct {
	ID             string         `json:"id"`
	Name           string         `json:"name"`
	CreateTime     time.Time      `json:"createTime"`
	DefaultVersion int64          `json:"defaultVersion"`
	Versions       []ec2LTVersion `json:"versions"`
	Tags           []kvTag        `json:"tags,omitempty"`
}

// latest is the highest version number not deleted.
func (lt *ec2LaunchTemplate) latest() int64 {
	for n := int64(len(lt.Versions)); n > 1; n-- {
		if !lt.Versions[n-1].Deleted {
			return n
		}
	}
	return min(1, int64(len(lt.Versions)))
}

// version returns version n, or nil (also when it was deleted).
func (lt *ec2LaunchTemplate) version(n int64) *ec2LTVersion {
	if n < 1 || n > int64(len(lt.Versions)) || lt.Versions[n-1].Deleted {
		return nil
	}
	return &lt.Versions[n-1]
}

// resolve turns "$Latest", "$Default" or a number into a version number; ok
// is false when the version does not exist.
func (lt *ec2LaunchTemplate) resolve(v string) (int64, bool) {
	switch v {
	case "", "$Default":
		return lt.DefaultVersion, true
	case "$Latest":
		return lt.latest(), true
	}
	var n int64
	if _, err := fmt.Sscanf(v, "%d", &n); err != nil || fmt.Sprint(n) != v {
		return 0, false
	}
	return n, lt.version(n) != nil
}

// ec2LTVersion is the data of one launch template version that the sandbox
// models. Other fields of a request are accepted and not kept.
type ec2LTVersion struct {
	Number           int64     `json:"number"`
	Description      string    `json:"description,omitempty"`
	CreateTime       time.Time `json:"createTime"`
	ImageID          string    `json:"imageId,omitempty"`
	InstanceType     string    `json:"instanceType,omitempty"`
	UserData         string    `json:"userData,omitempty"` // base64, as EC2 keeps it
	KeyName          string    `json:"keyName,omitempty"`
	IamProfileArn    string    `json:"iamProfileArn,omitempty"`
	IamProfileName   string    `json:"iamProfileName,omitempty"`
	SecurityGroupIDs []string  `json:"securityGroupIds,omitempty"`
	// InstanceTags are the tag specifications for resource type "instance".
	InstanceTags []kvTag `json:"instanceTags,omitempty"`
	// VolumeTags are the tag specifications for resource type "volume".
	VolumeTags []kvTag `json:"volumeTags,omitempty"`
	// ClientToken is the idempotency token of the call that created it.
	ClientToken string `json:"clientToken,omitempty"`
	// Deleted by DeleteLaunchTemplateVersions; its number is not reused.
	Deleted bool `json:"deleted,omitempty"`
}

// ec2Instance is an EC2 instance.
type ec2Instance struct {
	ID            string    `json:"id"`
	Seq           uint64    `json:"seq"`
	ReservationID string    `json:"reservationId"`
	ImageID       string    `json:"imageId"`
	InstanceType  string    `json:"instanceType"`
	Architecture  string    `json:"architecture"`
	AZ            string    `json:"az"`
	SubnetID      string    `json:"subnetId"`
	PrivateIP     string    `json:"privateIp"`
	LaunchTime    time.Time `json:"launchTime"`
	// State is pending, running, shutting-down or terminated.
	State string `json:"state"`
	// TransitionReason and ReasonCode explain the last state change.
	TransitionReason string    `json:"transitionReason,omitempty"`
	ReasonCode       string    `json:"reasonCode,omitempty"`
	TerminatedAt     time.Time `json:"terminatedAt,omitempty"`
	// TerminationCause says who terminated it and why (for the recorder).
	TerminationCause string  `json:"terminationCause,omitempty"`
	Tags             []kvTag `json:"tags,omitempty"`
	KeyName          string  `json:"keyName,omitempty"`
	IamProfileArn    string  `json:"iamProfileArn,omitempty"`
	// LaunchTemplateID and LaunchTemplateVersion record what launched it.
	LaunchTemplateID      string `json:"launchTemplateId,omitempty"`
	LaunchTemplateVersion int64  `json:"launchTemplateVersion,omitempty"`
	// Cluster is the ECS_CLUSTER its user data names ("" for none).
	Cluster string `json:"cluster,omitempty"`
	// ASG is the group it belongs to ("" when launched outside one or detached).
	ASG string `json:"asg,omitempty"`
	// Registered is true once its ECS agent registered.
	Registered bool `json:"registered,omitempty"`
	// Lifecycle is "spot" for a Spot instance ("" On-Demand), as
	// DescribeInstances' InstanceLifecycle.
	Lifecycle string `json:"lifecycle,omitempty"`
	// SpotNoticeAt is when a Spot interruption notice arrived (zero: none).
	SpotNoticeAt time.Time `json:"spotNoticeAt,omitempty"`
}

// kvTag is a tag (EC2 tags, Auto Scaling tags with PropagateAtLaunch).
type kvTag struct {
	Key       string `json:"key"`
	Value     string `json:"value"`
	Propagate bool   `json:"propagate,omitempty"`
}

// setTag adds or replaces key in tags.
func setTag(tags []kvTag, t kvTag) []kvTag {
	for i := range tags {
		if tags[i].Key == t.Key {
			out := append([]kvTag(nil), tags...)
			out[i] = t
			return out
		}
	}
	return append(append([]kvTag(nil), tags...), t)
}

// tagValue returns the value of key and whether it is set.
func tagValue(tags []kvTag, key string) (string, bool) {
	for _, t := range tags {
		if t.Key == key {
			return t.Value, true
		}
	}
	return "", false
}

// Instance state codes as EC2 reports them.
var ec2StateCodes = map[string]int32{"pending": 0, "running": 16, "shutting-down": 32, "terminated": 48, "stopping": 64, "stopped": 80}

// builtinInstanceTypes are common instance types (vCPU, MiB); worlds add more.
var builtinInstanceTypes = func() map[string]InstanceTypeSpec {
	m := map[string]InstanceTypeSpec{}
	add := func(family string, sizes map[string][2]int) {
		for size, v := range sizes {
			n := family + "." + size
			m[n] = InstanceTypeSpec{Name: n, VCPU: v[0], MemoryMiB: v[1]}
		}
	}
	add("t3", map[string][2]int{"nano": {2, 512}, "micro": {2, 1024}, "small": {2, 2048}, "medium": {2, 4096},
		"large": {2, 8192}, "xlarge": {4, 16384}, "2xlarge": {8, 32768}})
	general := map[string][2]int{"large": {2, 8192}, "xlarge": {4, 16384}, "2xlarge": {8, 32768}, "4xlarge": {16, 65536},
		"8xlarge": {32, 131072}, "12xlarge": {48, 196608}, "16xlarge": {64, 262144}, "24xlarge": {96, 393216}}
	add("m5", general)
	add("m6i", general)
	m["m6i.32xlarge"] = InstanceTypeSpec{Name: "m6i.32xlarge", VCPU: 128, MemoryMiB: 524288}
	add("c5", map[string][2]int{"large": {2, 4096}, "xlarge": {4, 8192}, "2xlarge": {8, 16384}, "4xlarge": {16, 32768},
		"9xlarge": {36, 73728}, "12xlarge": {48, 98304}, "18xlarge": {72, 147456}, "24xlarge": {96, 196608}})
	add("r5", map[string][2]int{"large": {2, 16384}, "xlarge": {4, 32768}, "2xlarge": {8, 65536}, "4xlarge": {16, 131072},
		"8xlarge": {32, 262144}, "12xlarge": {48, 393216}, "16xlarge": {64, 524288}, "24xlarge": {96, 786432}})
	return m
}()

// instanceType looks a type up in the world's table, then the built-in one.
func (s *Sim) instanceType(name string) (InstanceTypeSpec, bool) {
	if t, ok := s.ec2.InstanceTypes[name]; ok {
		return t, true
	}
	t, ok := builtinInstanceTypes[name]
	return t, ok
}

// allInstanceTypes lists the known types sorted by name.
func (s *Sim) allInstanceTypes() []InstanceTypeSpec {
	seen := map[string]InstanceTypeSpec{}
	for n, t := range builtinInstanceTypes {
		seen[n] = t
	}
	for n, t := range s.ec2.InstanceTypes {
		seen[n] = t
	}
	out := make([]InstanceTypeSpec, 0, len(seen))
	for _, t := range seen {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// archOfType guesses the CPU architecture of an instance type: Graviton
// families (m6g, c7g, t4g, ...) are arm64.
func archOfType(name string) string {
	family, _, _ := strings.Cut(name, ".")
	if family == "a1" || gravitonFamily.MatchString(family) {
		return "arm64"
	}
	return "x86_64"
}

var gravitonFamily = regexp.MustCompile(`^[a-z]+[0-9]+g[a-z]*$`)

// archOfImage reads the architecture from an AMI name.
func archOfImage(name string) string {
	if strings.Contains(name, "arm64") || strings.Contains(name, "aarch64") {
		return "arm64"
	}
	return "x86_64"
}

// ecsUserData is the user data the sandbox writes for a cluster, base64.
func ecsUserData(cluster string) string {
	if cluster == "" {
		return ""
	}
	return base64.StdEncoding.EncodeToString([]byte("#!/bin/bash\necho ECS_CLUSTER=" + cluster + " >> /etc/ecs/ecs.config\n"))
}

var ecsClusterLine = regexp.MustCompile(`ECS_CLUSTER=["']?([A-Za-z0-9_-]+)`)

// clusterFromUserData finds ECS_CLUSTER in base64 user data, as the ECS agent
// would; "" when the user data names none (the instance then runs no agent
// the sandbox knows of).
func clusterFromUserData(userData string) string {
	raw, err := base64.StdEncoding.DecodeString(userData)
	if err != nil {
		return ""
	}
	m := ecsClusterLine.FindSubmatch(raw)
	if m == nil {
		return ""
	}
	return string(m[1])
}

// azIndex is the position of az in the region's zones (-1 if unknown).
func (s *Sim) azIndex(az string) int {
	for i, z := range s.ec2.AZs {
		if z == az {
			return i
		}
	}
	return -1
}

// nextPrivateIP hands out the next address of the zone's /20 (10.0.16·i.0/20).
func (s *Sim) nextPrivateIP(az string) string {
	i := s.azIndex(az)
	if i < 0 {
		i = len(s.ec2.AZs)
	}
	n := s.ec2.IPNext[az] + 4 // the first four addresses of a subnet are AWS's
	s.ec2.IPNext[az]++
	return fmt.Sprintf("10.%d.%d.%d", n/4096, (i*16+n/256%16)%256, n%256)
}

// subnetFor returns (creating) the subnet of a zone.
func (s *Sim) subnetFor(az string) string {
	if id, ok := s.ec2.Subnets[az]; ok {
		return id
	}
	id := s.newID("subnet")
	s.ec2.Subnets[az] = id
	return id
}

// zoneID is the zone's ID, use1-az1 style.
func (s *Sim) zoneID(az string) string {
	parts := strings.Split(s.Region, "-")
	short := ""
	if len(parts) == 3 && len(parts[0]) >= 2 && parts[1] != "" {
		short = parts[0][:2] + parts[1][:1] + parts[2]
	} else {
		short = strings.ReplaceAll(s.Region, "-", "")
	}
	return fmt.Sprintf("%s-az%d", short, s.azIndex(az)+1)
}

// Calls into ECS go through these so that tests can watch them.
var (
	callECSRegisterInstance = (*Sim).ecsRegisterInstance
	callECSInstanceGone     = (*Sim).ecsInstanceGone
)

// ec2InstanceTerminationCause says who terminated an instance and why ("" if
// it is not terminating). ECS may use it for the recorder's "by".
func (s *Sim) ec2InstanceTerminationCause(instanceID string) string {
	if in := s.ec2.Instances[instanceID]; in != nil {
		return in.TerminationCause
	}
	return ""
}
