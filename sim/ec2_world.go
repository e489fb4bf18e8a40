package sim

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

func init() {
	registerWorldLoader(loadOrderEC2, "ec2", (*Sim).loadEC2World)
	registerWorldLoader(loadOrderASG, "autoscaling", (*Sim).loadASGWorld)
	registerAfterLoad((*Sim).ec2AfterLoad)
}

// ec2AfterLoad restores the empty maps JSON leaves out.
func (s *Sim) ec2AfterLoad() {
	st := s.ec2
	fresh := newEC2State()
	if st.Subnets == nil {
		st.Subnets = fresh.Subnets
	}
	if st.IPNext == nil {
		st.IPNext = fresh.IPNext
	}
	if st.Images == nil {
		st.Images = fresh.Images
	}
	if st.InstanceTypes == nil {
		st.InstanceTypes = fresh.InstanceTypes
	}
	if st.LaunchTemplates == nil {
		st.LaunchTemplates = fresh.LaunchTemplates
	}
	if st.Instances == nil {
		st.Instances = fresh.Instances
	}
}

// amazonImageOwner is the account that owns Amazon's ECS-optimized AMIs.
const amazonImageOwner = "591542846629"

// isAmazonImageName reports whether an AMI name is one of Amazon's public
// images (Amazon Linux, ECS-optimized, Bottlerocket); those are owned by
// "amazon", the rest by the account itself.
func isAmazonImageName(name string) bool {
	for _, p := range []string{"amzn", "al2023-ami", "al2-ami", "bottlerocket-aws"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

func (s *Sim) loadEC2World(w *World) error {
	st := s.ec2
	st.AZs = append([]string(nil), w.AvailabilityZones...)
	st.VpcID = s.newID("vpc")
	for _, az := range st.AZs {
		s.subnetFor(az)
	}
	for i, a := range w.AMIs {
		if a.ID == "" {
			return fmt.Errorf("amis[%d]: id is required", i)
		}
		if st.Images[a.ID] != nil {
			return fmt.Errorf("amis[%d]: duplicate id %s", i, a.ID)
		}
		created := a.CreationDate
		if created == "" {
			created = s.now.Add(-30 * 24 * time.Hour).UTC().Format("2006-01-02T15:04:05.000Z")
		} else if t, err := time.Parse(time.RFC3339, created); err != nil {
			return fmt.Errorf("amis[%d] (%s): creationDate %q is not RFC 3339", i, a.ID, created)
		} else {
			created = t.UTC().Format("2006-01-02T15:04:05.000Z")
		}
		im := &ec2Image{ID: a.ID, Name: a.Name, Description: a.Description, CreationDate: created,
			OwnerID: s.AccountID, Architecture: archOfImage(a.Name), Registered: s.now}
		if a.Architecture != "" {
			im.Architecture = a.Architecture
		}
		if im.Name == "" {
			im.Name = a.ID
		}
		if isAmazonImageName(im.Name) {
			im.OwnerID, im.OwnerAlias = amazonImageOwner, "amazon"
		}
		st.Images[a.ID] = im
	}
	for i, t := range w.InstanceTypes {
		if t.Name == "" || t.VCPU <= 0 || t.MemoryMiB <= 0 {
			return fmt.Errorf("instanceTypes[%d]: name, vcpu and memoryMiB are required", i)
		}
		st.InstanceTypes[t.Name] = t
	}
	for i, spec := range w.LaunchTemplates {
		if spec.Name == "" {
			return fmt.Errorf("launchTemplates[%d]: name is required", i)
		}
		if s.launchTemplateByName(spec.Name) != nil {
			return fmt.Errorf("launchTemplates[%d]: duplicate name %s", i, spec.Name)
		}
		if len(spec.Versions) == 0 {
			return fmt.Errorf("launch template %s: at least one version is required", spec.Name)
		}
		id := spec.ID
		if id == "" {
			id = s.newID("lt")
		}
		if st.LaunchTemplates[id] != nil {
			return fmt.Errorf("launch template %s: duplicate id %s", spec.Name, id)
		}
		def := spec.DefaultVersion
		if def == 0 {
			def = 1
		}
		if def < 1 || def > len(spec.Versions) {
			return fmt.Errorf("launch template %s: defaultVersion %d does not exist (it has %d versions)", spec.Name, def, len(spec.Versions))
		}
		lt := &ec2LaunchTemplate{ID: id, Name: spec.Name, DefaultVersion: int64(def),
			CreateTime: s.now.Add(-time.Duration(len(spec.Versions)+1) * 24 * time.Hour)}
		for j, v := range spec.Versions {
			if _, ok := s.instanceType(v.InstanceType); !ok {
				return fmt.Errorf("launch template %s version %d: unknown instance type %q (add it to instanceTypes)", spec.Name, j+1, v.InstanceType)
			}
			lt.Versions = append(lt.Versions, ec2LTVersion{
				Number:        int64(j + 1),
				Description:   v.Description,
				CreateTime:    s.now.Add(-time.Duration(len(spec.Versions)-j) * 24 * time.Hour),
				ImageID:       v.ImageID,
				InstanceType:  v.InstanceType,
				UserData:      ecsUserDataSpot(v.Cluster, v.SpotDraining),
				IamProfileArn: "arn:aws:iam::" + s.AccountID + ":instance-profile/ecsInstanceRole",
			})
		}
		st.LaunchTemplates[id] = lt
	}
	return nil
}

func (s *Sim) loadASGWorld(w *World) error {
	for i, spec := range w.AutoScalingGroups {
		if err := s.loadGroup(w, spec); err != nil {
			if spec.Name == "" {
				return fmt.Errorf("autoScalingGroups[%d]: %w", i, err)
			}
			return fmt.Errorf("auto scaling group %s: %w", spec.Name, err)
		}
	}
	return nil
}

func (s *Sim) loadGroup(w *World, spec ASGSpec) error {
	lt, version, azs, err := s.loadGroupChecks(w, spec)
	if err != nil {
		return err
	}
	g := &asgGroup{
		Name:                             spec.Name,
		ARN:                              s.arn("autoscaling", "autoScalingGroup:"+s.newID("uuid")+":autoScalingGroupName/"+spec.Name),
		CreatedTime:                      s.now.Add(-30 * 24 * time.Hour),
		LaunchTemplateID:                 lt.ID,
		Version:                          version,
		Min:                              spec.Min,
		Max:                              spec.Max,
		Desired:                          spec.Desired,
		AZs:                              append([]string(nil), azs...),
		Suspended:                        map[string]string{},
		NewInstancesProtectedFromScaleIn: spec.NewInstancesProtectedFromScaleIn,
		HealthCheckType:                  "EC2",
		HealthCheckGracePeriod:           300,
		DefaultCooldown:                  300,
		TerminationPolicies:              []string{"Default"},
		Members:                          map[string]*asgMember{},
	}
	g.Tags = loadGroupTags(spec)
	if err := s.loadGroupSettings(spec, g); err != nil {
		return err
	}
	s.asg.Groups[g.Name] = g
	if err := s.loadGroupFleetOps(spec, g, lt, version); err != nil {
		return err
	}
	return s.loadGroupInstances(spec, g, lt, version)
}

// loadGroupChecks validates a group's spec against the world: its launch
// template and version, its sizes and zones (default: the world's).
func (s *Sim) loadGroupChecks(w *World, spec ASGSpec) (lt *ec2LaunchTemplate, version string, azs []string, err error) {
	if spec.Name == "" {
		return nil, "", nil, fmt.Errorf("name is required")
	}
	if s.asg.Groups[spec.Name] != nil {
		return nil, "", nil, fmt.Errorf("duplicate name")
	}
	lt = s.launchTemplateByName(spec.LaunchTemplate)
	if lt == nil {
		return nil, "", nil, fmt.Errorf("launch template %q does not exist", spec.LaunchTemplate)
	}
	version = spec.Version
	if version == "" {
		version = "$Default"
	}
	if _, ok := lt.resolve(version); !ok {
		return nil, "", nil, fmt.Errorf("launch template %s has no version %q", lt.Name, version)
	}
	if spec.Min < 0 || spec.Min > spec.Max || spec.Desired < spec.Min || spec.Desired > spec.Max {
		return nil, "", nil, fmt.Errorf("want 0 <= min <= desired <= max, got min %d, desired %d, max %d", spec.Min, spec.Desired, spec.Max)
	}
	azs = spec.AvailabilityZones
	if len(azs) == 0 {
		azs = w.AvailabilityZones
	}
	for _, az := range azs {
		if s.azIndex(az) < 0 {
			return nil, "", nil, fmt.Errorf("availability zone %s is not one of the world's %v", az, s.ec2.AZs)
		}
	}
	return lt, version, azs, nil
}

// loadGroupTags is the spec's tags in key order, all propagated at launch,
// plus Name (the group's name) unless the spec sets it.
func loadGroupTags(spec ASGSpec) []kvTag {
	keys := make([]string, 0, len(spec.Tags))
	for k := range spec.Tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var tags []kvTag
	for _, k := range keys {
		tags = append(tags, kvTag{Key: k, Value: spec.Tags[k], Propagate: true})
	}
	if _, ok := tagValue(tags, "Name"); !ok {
		tags = append(tags, kvTag{Key: "Name", Value: spec.Name, Propagate: true})
	}
	return tags
}

// loadGroupSettings applies the spec's suspended processes, lifecycle
// hooks, mixed instances policy and Spot interruption.
func (s *Sim) loadGroupSettings(spec ASGSpec, g *asgGroup) error {
	for _, p := range spec.SuspendedProcesses {
		if indexOf(asgProcesses, p) < 0 {
			return fmt.Errorf("unknown process %q in suspendedProcesses (want one of %s)", p, strings.Join(asgProcesses, ", "))
		}
		g.Suspended[p] = "User suspended at " + stamp(s.now)
	}
	for _, h := range spec.LifecycleHooks {
		tr := hookTerminating
		if strings.Contains(strings.ToLower(h), "launch") {
			tr = hookLaunching
		}
		g.Hooks = append(g.Hooks, asgHook{Name: h, Transition: tr})
	}
	if spec.MixedInstancesPolicy != nil {
		m, err := s.loadMixed(spec.MixedInstancesPolicy)
		if err != nil {
			return err
		}
		g.Mixed = m
	}
	if si := spec.SpotInterruption; si != nil {
		if si.Launch < 1 {
			return fmt.Errorf("spotInterruption: launch must be 1 or more (the n-th Spot instance launched)")
		}
		g.InterruptLaunch, g.InterruptAfter = si.Launch, si.After.D()
		if g.InterruptAfter <= 0 {
			g.InterruptAfter = time.Minute
		}
	}
	return nil
}

// groupLaunch counts a group's launches across its instance groups: the
// zones are used round-robin and a mixed group fills its On-Demand base
// first.
type groupLaunch struct {
	next, onDemand int
}

// loadGroupInstances launches the spec's instance groups (default: desired
// instances from the group's template), which must add up to desired.
func (s *Sim) loadGroupInstances(spec ASGSpec, g *asgGroup, lt *ec2LaunchTemplate, version string) error {
	groups := spec.Instances
	if len(groups) == 0 && spec.Desired > 0 {
		groups = []InstanceGroupSpec{{Count: spec.Desired}}
	}
	total := 0
	for _, ig := range groups {
		total += ig.Count
	}
	if total != spec.Desired {
		return fmt.Errorf("instances add up to %d, want desired %d", total, spec.Desired)
	}
	var n groupLaunch
	for gi, ig := range groups {
		glt, num, itype, err := s.instanceGroupTemplate(g, ig, lt, version)
		if err != nil {
			return fmt.Errorf("instances[%d]: %w", gi, err)
		}
		for k := 0; k < ig.Count; k++ {
			s.loadGroupMember(g, ig, glt, num, itype, &n)
		}
	}
	return nil
}

// instanceGroupTemplate is the launch template, version number and
// instance type an instance group launches with: its own version, else a
// mixed policy override's template for its type, else the group's.
func (s *Sim) instanceGroupTemplate(g *asgGroup, ig InstanceGroupSpec, lt *ec2LaunchTemplate, version string) (*ec2LaunchTemplate, int64, string, error) {
	ver := ig.LaunchTemplateVersion
	if ver == "" {
		ver = version
	}
	itype := ig.InstanceType
	if g.Mixed != nil {
		if itype == "" {
			itype = g.Mixed.Overrides[0].InstanceType
		}
		o := g.Mixed.overrideFor(itype)
		if o == nil {
			return nil, 0, "", fmt.Errorf("instance type %s is not one of the mixed instances policy's overrides", itype)
		}
		if o.LaunchTemplateID != "" {
			lt = s.ec2.LaunchTemplates[o.LaunchTemplateID]
			if ig.LaunchTemplateVersion == "" {
				ver = o.Version
			}
		}
	}
	num, ok := lt.resolve(ver)
	if !ok {
		return nil, 0, "", fmt.Errorf("launch template %s has no version %q", lt.Name, ver)
	}
	if itype == "" {
		itype = lt.version(num).InstanceType
	}
	if _, ok := s.instanceType(itype); !ok {
		return nil, 0, "", fmt.Errorf("unknown instance type %q", itype)
	}
	return lt, num, itype, nil
}

// loadGroupMember launches one in-service member of g and registers it
// with ECS.
func (s *Sim) loadGroupMember(g *asgGroup, ig InstanceGroupSpec, lt *ec2LaunchTemplate, num int64, itype string, n *groupLaunch) {
	v := lt.version(num)
	az := g.AZs[n.next%len(g.AZs)]
	n.next++
	tags := append([]kvTag(nil), v.InstanceTags...)
	for _, t := range g.Tags {
		if t.Propagate {
			tags = setTag(tags, kvTag{Key: t.Key, Value: t.Value})
		}
	}
	launched := s.now.Add(-time.Duration(ig.AgeHours * float64(time.Hour)))
	// A mixed group's first instances fill its On-Demand base; the
	// rest are Spot (the worlds use 0 % On-Demand above the base).
	spot := g.Mixed != nil && n.onDemand >= g.Mixed.OnDemandBase && g.Mixed.OnDemandPct < 100
	if !spot {
		n.onDemand++
	}
	inst := s.ec2NewInstance(newInstance{AZ: az, LT: lt, Version: v, ImageID: ig.AMI, InstanceType: itype,
		ASG: g.Name, Tags: tags, LaunchTime: launched, Running: true, Spot: spot})
	g.Members[inst.ID] = &asgMember{InstanceID: inst.ID, AZ: az, Lifecycle: "InService", Health: "Healthy",
		Protected: ig.ProtectedFromScaleIn, ImageID: inst.ImageID, InstanceType: inst.InstanceType,
		LTVersion: num, LaunchTime: launched, Seq: inst.Seq}
	s.ec2RegisterWithECS(inst)
}

// newInstance says how to create an instance.
type newInstance struct {
	AZ      string
	LT      *ec2LaunchTemplate
	Version *ec2LTVersion
	// ImageID and InstanceType override the version's when set.
	ImageID      string
	InstanceType string
	ASG          string
	Tags         []kvTag
	LaunchTime   time.Time
	// Running creates it running (world load); otherwise it is pending and
	// boots InstanceBoot later.
	Running bool
	// Spot launches a Spot instance.
	Spot bool
}

// ec2NewInstance creates an instance from a launch template version.
func (s *Sim) ec2NewInstance(spec newInstance) *ec2Instance {
	v := spec.Version
	image := spec.ImageID
	if image == "" {
		image = v.ImageID
	}
	if resolved, err := s.resolveImageAlias(image); err == nil {
		image = resolved // EC2 resolves resolve:ssm: at launch
	}
	itype := spec.InstanceType
	if itype == "" {
		itype = v.InstanceType
	}
	arch := archOfType(itype)
	s.ec2.InstanceSeq++
	inst := &ec2Instance{
		ID:                    s.newID("i"),
		Seq:                   s.ec2.InstanceSeq,
		ReservationID:         s.newID("r"),
		ImageID:               image,
		InstanceType:          itype,
		Architecture:          arch,
		AZ:                    spec.AZ,
		SubnetID:              s.subnetFor(spec.AZ),
		PrivateIP:             s.nextPrivateIP(spec.AZ),
		LaunchTime:            spec.LaunchTime,
		State:                 "pending",
		KeyName:               v.KeyName,
		IamProfileArn:         v.IamProfileArn,
		LaunchTemplateID:      spec.LT.ID,
		LaunchTemplateVersion: v.Number,
		Cluster:               clusterFromUserData(v.UserData),
		ASG:                   spec.ASG,
	}
	if spec.Spot {
		inst.Lifecycle = "spot"
	}
	if inst.IamProfileArn == "" && v.IamProfileName != "" {
		inst.IamProfileArn = "arn:aws:iam::" + s.AccountID + ":instance-profile/" + v.IamProfileName
	}
	tags := append([]kvTag(nil), spec.Tags...)
	if spec.ASG != "" {
		tags = setTag(tags, kvTag{Key: "aws:autoscaling:groupName", Value: spec.ASG})
	}
	tags = setTag(tags, kvTag{Key: "aws:ec2launchtemplate:id", Value: spec.LT.ID})
	tags = setTag(tags, kvTag{Key: "aws:ec2launchtemplate:version", Value: strconv.FormatInt(v.Number, 10)})
	inst.Tags = tags
	s.ec2.Instances[inst.ID] = inst
	if spec.Running {
		inst.State = "running"
		return inst
	}
	boot := s.Timings.InstanceBoot.D()
	s.after(boot/3, "ec2.instanceRunning", inst.ID)
	s.after(boot, "ec2.instanceBooted", inst.ID)
	return inst
}
