package fleet

import (
	"context"
	"ecsctl/ops"
	"ecsctl/ops/awsapi"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// Which AMI a rotation targets, and how the group's launch templates are
// brought to it.
//
// The ECS-optimized AMIs come in families — Amazon Linux 2023 and 2 (with
// GPU, Neuron/Inferentia and kernel variants) and Bottlerocket (aws-ecs-1,
// aws-ecs-2, -nvidia) — each for x86_64 and arm64, each with its own SSM
// parameter (ECS developer guide, "Retrieving Amazon ECS-optimized Linux
// AMI metadata" and "Retrieving Amazon ECS-optimized Bottlerocket AMI
// metadata"). The default target is the parameter of the family the
// instances run now, read from their AMIs' names (DescribeImages) and their
// agents' ecs.cpu-architecture, never assumed.
//
// A launch template's ImageId may be "resolve:ssm:<parameter>": EC2 resolves
// it at each launch, and DescribeLaunchTemplateVersions shows the AMI it
// resolves to with ResolveAlias (EC2 User Guide, "Use a Systems Manager
// parameter instead of an AMI ID"). Such a template is never rewritten to a
// fixed AMI.
//
// A group with a MixedInstancesPolicy names its template inside the policy,
// and each override may name its own; UpdateAutoScalingGroup takes the
// policy, never LaunchTemplate with it (the two are mutually exclusive).

// amiFamily is an ECS-optimized AMI family.
type amiFamily struct {
	OS      string // al2023, al2, bottlerocket
	Variant string // "", gpu, neuron, inf, kernel-5.10 (Amazon Linux); aws-ecs-2, aws-ecs-2-nvidia, ... (Bottlerocket)
	Arch    string // x86_64, arm64
}

func (f amiFamily) String() string {
	os := map[string]string{"al2023": "Amazon Linux 2023", "al2": "Amazon Linux 2", "bottlerocket": "Bottlerocket"}[f.OS]
	if f.Variant != "" {
		os += " " + f.Variant
	}
	return os + " " + f.Arch
}

var (
	al2023Name       = regexp.MustCompile(`^al2023-ami-ecs(?:-(gpu|neuron))?-hvm-`)
	al2Name          = regexp.MustCompile(`^amzn2-ami-ecs(?:-(gpu|inf|kernel-5\.10))?-hvm-`)
	bottlerocketName = regexp.MustCompile(`^bottlerocket-(aws-ecs-[0-9]+(?:-nvidia)?)-(x86_64|aarch64|arm64)-`)
)

// classifyAMI reads an image's family from its name and architecture; ok is
// false for an image that is not one of Amazon's ECS-optimized AMIs.
func classifyAMI(name, arch string) (amiFamily, bool) {
	if arch == "aarch64" {
		arch = "arm64"
	}
	if m := al2023Name.FindStringSubmatch(name); m != nil {
		return amiFamily{OS: "al2023", Variant: m[1], Arch: arch}, true
	}
	if m := al2Name.FindStringSubmatch(name); m != nil {
		return amiFamily{OS: "al2", Variant: m[1], Arch: arch}, true
	}
	if m := bottlerocketName.FindStringSubmatch(name); m != nil {
		a := m[2]
		if a == "aarch64" {
			a = "arm64"
		}
		return amiFamily{OS: "bottlerocket", Variant: m[1], Arch: a}, true
	}
	return amiFamily{}, false
}

// parameter is the family's recommended-AMI SSM parameter ("" when AWS
// publishes none for that combination).
func (f amiFamily) parameter() string {
	switch f.OS {
	case "al2023", "al2":
		base := "/aws/service/ecs/optimized-ami/amazon-linux-2023/"
		if f.OS == "al2" {
			base = "/aws/service/ecs/optimized-ami/amazon-linux-2/"
		}
		switch {
		case f.Variant == "" && f.Arch == "x86_64":
			return base + "recommended/image_id"
		case f.Variant == "" && f.Arch == "arm64":
			return base + "arm64/recommended/image_id"
		case f.Variant == "kernel-5.10" && f.Arch == "x86_64":
			return base + "kernel-5.10/recommended/image_id"
		case f.Variant == "kernel-5.10" && f.Arch == "arm64":
			return base + "kernel-5.10/arm64/recommended/image_id"
		case f.Arch == "x86_64": // gpu, neuron, inf
			return base + f.Variant + "/recommended/image_id"
		}
	case "bottlerocket":
		return "/aws/service/bottlerocket/" + f.Variant + "/" + f.Arch + "/latest/image_id"
	}
	return ""
}

// rotateImage is what DescribeImages says of an AMI.
type rotateImage struct {
	ID, Name, Arch string
}

// describeImages reads the given AMIs; an AMI EC2 does not know (deregistered)
// is left out of the answer.
func (r *Rotator) describeImages(ctx context.Context, ids []string) (map[string]rotateImage, error) {
	out := map[string]rotateImage{}
	if len(ids) == 0 {
		return out, nil
	}
	res, err := r.EC2.DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: ids})
	if err != nil && awsapi.ErrorCode(err) == "InvalidAMIID.NotFound" && len(ids) > 1 {
		for _, id := range ids { // find which ones exist
			one, err := r.describeImages(ctx, []string{id})
			if err != nil {
				return nil, err
			}
			for k, v := range one {
				out[k] = v
			}
		}
		return out, nil
	}
	if err != nil {
		if awsapi.ErrorCode(err) == "InvalidAMIID.NotFound" || awsapi.ErrorCode(err) == "InvalidAMIID.Malformed" {
			return out, nil
		}
		return nil, fmt.Errorf("describe images %s: %w", strings.Join(limitList(ids, 5), ", "), err)
	}
	for _, im := range res.Images {
		out[aws.ToString(im.ImageId)] = rotateImage{ID: aws.ToString(im.ImageId), Name: aws.ToString(im.Name), Arch: string(im.Architecture)}
	}
	return out, nil
}

// rotateTemplate is one launch template the group launches from: the
// group's own (the policy's, for a mixed group) or an override's.
type rotateTemplate struct {
	Role     string // "" for the group's, else "override <type>"
	ID, Name string
	Asked    string // the version the group names ($Latest, $Default, 7)
	Version  string // its number
	RawImage string // ImageId as stored (a resolve:ssm: alias or an AMI)
	Image    string // the AMI it launches now
	Type     string
	// Alias is the SSM parameter of a resolve:ssm: ImageId ("" for none).
	Alias string
	// NewVersion is the version the run created for the target ("" none).
	NewVersion string
}

func (t rotateTemplate) label() string {
	if t.Role == "" {
		return "launch template " + t.Name
	}
	return "launch template " + t.Name + " (" + t.Role + ")"
}

// readTemplates reads every launch template the group launches from.
func (r *Rotator) readTemplates(ctx context.Context, st *rotateState) error {
	g := st.group
	type ref struct {
		role string
		spec *astypes.LaunchTemplateSpecification
	}
	var refs []ref
	switch {
	case g.LaunchTemplate != nil:
		refs = append(refs, ref{"", g.LaunchTemplate})
	case g.MixedInstancesPolicy != nil && g.MixedInstancesPolicy.LaunchTemplate != nil && g.MixedInstancesPolicy.LaunchTemplate.LaunchTemplateSpecification != nil:
		lt := g.MixedInstancesPolicy.LaunchTemplate
		refs = append(refs, ref{"", lt.LaunchTemplateSpecification})
		for _, o := range lt.Overrides {
			if o.LaunchTemplateSpecification != nil {
				refs = append(refs, ref{"override " + aws.ToString(o.InstanceType), o.LaunchTemplateSpecification})
			}
		}
	default:
		return ops.Inputf("auto scaling group %s has no launch template (launch configurations are not supported): move it to a launch template", aws.ToString(g.AutoScalingGroupName))
	}
	st.templates = nil
	for _, rf := range refs {
		t, err := r.readTemplate(ctx, rf.spec)
		if err != nil {
			return err
		}
		t.Role = rf.role
		st.templates = append(st.templates, t)
	}
	return nil
}

func (r *Rotator) readTemplate(ctx context.Context, spec *astypes.LaunchTemplateSpecification) (rotateTemplate, error) {
	version := aws.ToString(spec.Version)
	if version == "" {
		version = "$Default"
	}
	name := aws.ToString(spec.LaunchTemplateName) + aws.ToString(spec.LaunchTemplateId)
	read := func(resolve bool) (ec2types.LaunchTemplateVersion, error) {
		in := &ec2.DescribeLaunchTemplateVersionsInput{Versions: []string{version}}
		if resolve {
			in.ResolveAlias = aws.Bool(true)
		}
		if spec.LaunchTemplateId != nil {
			in.LaunchTemplateId = spec.LaunchTemplateId
		} else {
			in.LaunchTemplateName = spec.LaunchTemplateName
		}
		out, err := r.EC2.DescribeLaunchTemplateVersions(ctx, in)
		if err != nil {
			return ec2types.LaunchTemplateVersion{}, fmt.Errorf("describe launch template %s version %s: %w", name, version, err)
		}
		if len(out.LaunchTemplateVersions) == 0 || out.LaunchTemplateVersions[0].LaunchTemplateData == nil {
			return ec2types.LaunchTemplateVersion{}, fmt.Errorf("launch template %s has no version %s", name, version)
		}
		return out.LaunchTemplateVersions[0], nil
	}
	v, err := read(false)
	if err != nil {
		return rotateTemplate{}, err
	}
	t := rotateTemplate{ID: aws.ToString(v.LaunchTemplateId), Name: aws.ToString(v.LaunchTemplateName), Asked: version,
		Version: strconv.FormatInt(aws.ToInt64(v.VersionNumber), 10), RawImage: aws.ToString(v.LaunchTemplateData.ImageId),
		Type: string(v.LaunchTemplateData.InstanceType)}
	t.Image = t.RawImage
	if p, ok := strings.CutPrefix(t.RawImage, "resolve:ssm:"); ok {
		t.Alias = p
		rv, err := read(true)
		if err != nil {
			return rotateTemplate{}, err
		}
		t.Image = aws.ToString(rv.LaunchTemplateData.ImageId)
		if strings.HasPrefix(t.Image, "resolve:ssm:") || t.Image == "" {
			return rotateTemplate{}, fmt.Errorf("launch template %s version %s: EC2 did not resolve %s", t.Name, t.Version, t.RawImage)
		}
	}
	return t, nil
}

// resolveTarget reads the group's launch templates and the fleet's AMIs and
// pins the target AMI: --ami, --ssm-parameter, the template's resolve:ssm:
// alias, else the parameter of the family the instances run. The target's
// architecture must be the instances'.
func (r *Rotator) resolveTarget(ctx context.Context, req RotateRequest, st *rotateState) (string, string, error) {
	if err := r.readTemplates(ctx, st); err != nil {
		return "", "", err
	}
	fleet, err := r.fleetImages(ctx, st)
	if err != nil {
		return "", "", err
	}
	var ami, source string
	switch {
	case req.AMI != "":
		ami, source = req.AMI, ops.Opt(ctx, "AMI")
	case req.SSMParameter != "":
		if ami, err = r.parameterAMI(ctx, req.SSMParameter); err != nil {
			return "", "", err
		}
		source = "SSM " + req.SSMParameter
	case st.templates[0].Alias != "":
		t := st.templates[0]
		ami, source = t.Image, fmt.Sprintf("%s resolve:ssm:%s", t.label(), t.Alias)
	default:
		param, err := fleet.defaultParameter(ctx, st.plan.Cluster, func(p string) string {
			ami, _ := r.parameterAMI(ctx, p)
			return ami
		})
		if err != nil {
			return "", "", err
		}
		if ami, err = r.parameterAMI(ctx, param); err != nil {
			return "", "", err
		}
		source = "SSM " + param + ", for " + fleet.only().String() + " as the instances run"
	}
	// The target's architecture must be the instances'.
	imgs, err := r.describeImages(ctx, []string{ami})
	if err != nil {
		return "", "", err
	}
	im, ok := imgs[ami]
	if !ok {
		return "", "", ops.Inputf("target AMI %s (%s) does not exist in this account and region: check the id, or name another with %s", ami, source, ops.Opt(ctx, "AMI"))
	}
	arch := normArch(im.Arch)
	launch := r.launchArchs(ctx, st)
	switch {
	case len(launch) > 1:
		return "", "", ops.Inputf("auto scaling group %s launches instance types of two architectures (%s): one AMI cannot serve both; rotate with one template per architecture, or split the group", st.plan.ASG, launchArchList(launch))
	case len(launch) == 1 && launch[arch] == nil:
		return "", "", ops.Inputf("target AMI %s (%s, from %s) is %s but auto scaling group %s launches %s: name an AMI of that architecture with %s (or %s)",
			ami, im.Name, source, arch, st.plan.ASG, launchArchList(launch), ops.Opt(ctx, "AMI"), ops.Opt(ctx, "SSMParameter"))
	case len(launch) == 0 && len(fleet.archs) > 1:
		return "", "", ops.Inputf("the instances of cluster %s are %s: one AMI cannot serve both; rotate each architecture's group on its own", st.plan.Cluster, strings.Join(slices.Sorted(maps.Keys(fleet.archs)), " and "))
	case len(launch) == 0 && len(fleet.archs) == 1 && !fleet.archs[arch]:
		return "", "", ops.Inputf("target AMI %s (%s, from %s) is %s but the instances of cluster %s are %s: name an AMI of their architecture with %s (or %s)",
			ami, im.Name, source, arch, st.plan.Cluster, strings.Join(slices.Sorted(maps.Keys(fleet.archs)), ""), ops.Opt(ctx, "AMI"), ops.Opt(ctx, "SSMParameter"))
	}
	return ami, source, nil
}

// launchArchs is the architecture of every instance type the group
// launches (its templates' and its overrides'), with the types; empty when
// EC2 does not say (the instances' architecture is then the check).
func (r *Rotator) launchArchs(ctx context.Context, st *rotateState) map[string][]string {
	types := map[string]bool{}
	for _, t := range st.templates {
		if t.Type != "" && t.Role == "" {
			types[t.Type] = true
		}
	}
	if mp := st.group.MixedInstancesPolicy; mp != nil && mp.LaunchTemplate != nil && len(mp.LaunchTemplate.Overrides) > 0 {
		types = map[string]bool{} // the overrides' types replace the template's
		for _, o := range mp.LaunchTemplate.Overrides {
			if it := aws.ToString(o.InstanceType); it != "" {
				types[it] = true
			}
		}
	}
	out := map[string][]string{}
	if len(types) == 0 {
		return out
	}
	var its []ec2types.InstanceType
	for _, t := range slices.Sorted(maps.Keys(types)) {
		its = append(its, ec2types.InstanceType(t))
	}
	var all []ec2types.InstanceTypeInfo
	p := ec2.NewDescribeInstanceTypesPaginator(r.EC2, &ec2.DescribeInstanceTypesInput{InstanceTypes: its})
	for p.HasMorePages() {
		res, err := p.NextPage(ctx)
		if err != nil {
			return map[string][]string{}
		}
		all = append(all, res.InstanceTypes...)
	}
	for _, it := range all {
		if it.ProcessorInfo == nil {
			continue
		}
		for _, a := range it.ProcessorInfo.SupportedArchitectures {
			switch a := normArch(string(a)); a {
			case "x86_64", "arm64":
				out[a] = append(out[a], string(it.InstanceType))
			}
		}
	}
	return out
}

func launchArchList(m map[string][]string) string {
	var parts []string
	for _, a := range slices.Sorted(maps.Keys(m)) {
		sort.Strings(m[a])
		parts = append(parts, fmt.Sprintf("%s (%s)", a, strings.Join(m[a], ", ")))
	}
	return strings.Join(parts, " and ")
}

func normArch(a string) string {
	if a == "aarch64" {
		return "arm64"
	}
	return a
}

// parameterAMI reads an AMI id from an SSM parameter.
func (r *Rotator) parameterAMI(ctx context.Context, param string) (string, error) {
	out, err := r.SSM.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(param)})
	if err != nil {
		if awsapi.ErrorCode(err) == "ParameterNotFound" {
			return "", ops.Inputf("SSM parameter %s not found: name the target with %s or %s", param, ops.Opt(ctx, "AMI"), ops.Opt(ctx, "SSMParameter"))
		}
		return "", fmt.Errorf("get SSM parameter %s: %w", param, err)
	}
	v := strings.TrimSpace(aws.ToString(out.Parameter.Value))
	if !strings.HasPrefix(v, "ami-") {
		return "", ops.Inputf("SSM parameter %s holds %q, not an AMI id: name the image_id parameter or use %s", param, truncateRunes(v, 60), ops.Opt(ctx, "AMI"))
	}
	return v, nil
}

// rotateFleet is what the group's registered instances run.
type rotateFleet struct {
	archs    map[string]bool
	families map[amiFamily][]string // family → instances
	unknown  map[string]rotateImage // AMI → image (Name "" when EC2 no longer knows it)
	byAMI    map[string][]string    // AMI → instances
}

// fleetImages classifies the AMIs of the group's instances registered in
// the cluster (the launch template's image when there are none).
func (r *Rotator) fleetImages(ctx context.Context, st *rotateState) (*rotateFleet, error) {
	f := &rotateFleet{archs: map[string]bool{}, families: map[amiFamily][]string{}, unknown: map[string]rotateImage{}, byAMI: map[string][]string{}}
	arch := map[string]string{}
	for _, in := range st.cluster.Instances {
		if m, ok := st.members[in.EC2ID]; !ok || !liveMember(m) || in.AMI == "" {
			continue
		}
		f.byAMI[in.AMI] = append(f.byAMI[in.AMI], in.EC2ID)
		arch[in.EC2ID] = in.Arch
	}
	if len(f.byAMI) == 0 {
		t := st.templates[0]
		f.byAMI[t.Image] = nil
	}
	imgs, err := r.describeImages(ctx, slices.Sorted(maps.Keys(f.byAMI)))
	if err != nil {
		return nil, err
	}
	for ami, ids := range f.byAMI {
		im, ok := imgs[ami]
		for _, id := range ids {
			a := arch[id]
			if a == "" {
				a = normArch(im.Arch)
			}
			if a != "" {
				f.archs[normArch(a)] = true
			}
		}
		if !ok {
			f.unknown[ami] = rotateImage{ID: ami}
			continue
		}
		fam, ok := classifyAMI(im.Name, normArch(im.Arch))
		if !ok {
			f.unknown[ami] = im
			continue
		}
		f.families[fam] = append(f.families[fam], ids...)
	}
	return f, nil
}

func (f *rotateFleet) only() amiFamily {
	for fam := range f.families {
		return fam
	}
	return amiFamily{}
}

// defaultParameter is the SSM parameter of the one family the fleet runs,
// or the reason there is none.
func (f *rotateFleet) defaultParameter(ctx context.Context, cluster string, amiOf func(param string) string) (string, error) {
	if len(f.unknown) > 0 {
		var parts []string
		for _, ami := range slices.Sorted(maps.Keys(f.unknown)) {
			im := f.unknown[ami]
			if im.Name == "" {
				parts = append(parts, ami+" (no longer in EC2)")
			} else {
				parts = append(parts, fmt.Sprintf("%s (%s)", ami, im.Name))
			}
		}
		return "", ops.Inputf("cluster %s runs AMIs that are not Amazon ECS-optimized AMIs ecsctl recognises: %s: name the target with %s or %s", cluster, strings.Join(limitList(parts, 4), ", "), ops.Opt(ctx, "AMI"), ops.Opt(ctx, "SSMParameter"))
	}
	if len(f.families) > 1 {
		fams := make([]amiFamily, 0, len(f.families))
		for fam := range f.families {
			fams = append(fams, fam)
		}
		sort.Slice(fams, func(i, j int) bool { return fams[i].String() < fams[j].String() })
		var parts []string
		for _, fam := range fams {
			p := fam.parameter()
			if p == "" {
				p = "no SSM parameter"
			}
			use := p
			if ami := amiOf(p); ami != "" {
				use = ops.Opt(ctx, "AMI") + " " + ami
			}
			parts = append(parts, fmt.Sprintf("%s on %d instance(s) (%s)", fam, len(f.families[fam]), use))
		}
		return "", ops.Inputf("cluster %s mixes AMI families: %s: ecsctl does not pick one; re-run with the %s of the family to keep", cluster, strings.Join(parts, "; "), ops.Opt(ctx, "AMI"))
	}
	fam := f.only()
	p := fam.parameter()
	if p == "" {
		return "", ops.Inputf("cluster %s runs %s, for which AWS publishes no recommended-AMI parameter: name the target with %s", cluster, fam, ops.Opt(ctx, "AMI"))
	}
	return p, nil
}

// checkTemplates plans what the group's launch templates need for the
// target: nothing when they launch it (an alias that resolves to it
// included), a new version with --update-launch-template, else a refusal.
// A resolve:ssm: template that resolves elsewhere is refused either way:
// ecsctl does not replace the alias with a fixed AMI.
func (r *Rotator) checkTemplates(ctx context.Context, req RotateRequest, st *rotateState) error {
	plan := st.plan
	if len(st.templates) == 0 {
		if err := r.readTemplates(ctx, st); err != nil {
			return err
		}
	}
	main := st.templates[0]
	st.ltID, st.ltSource, st.ltAMI, st.ltType = main.ID, main.Version, main.Image, main.Type
	st.ltSpec = main.Asked
	if st.ltSpec == "" {
		st.ltSpec = "$Default"
	}
	plan.LaunchTemplate = main.Name
	plan.LaunchTemplateVersion = main.versionLabel()
	var stale []string
	for i, t := range st.templates {
		if t.Alias != "" {
			if t.Image != plan.TargetAMI {
				return ops.Inputf("%s version %s launches resolve:ssm:%s, which resolves to %s, not the target %s: ecsctl does not replace the parameter with a fixed AMI; rotate without %s/%s to go to %s, or change the template's parameter yourself",
					t.label(), t.Version, t.Alias, t.Image, plan.TargetAMI, ops.Opt(ctx, "AMI"), ops.Opt(ctx, "SSMParameter"), t.Image)
			}
			plan.Notes = append(plan.Notes, fmt.Sprintf("%s resolves resolve:ssm:%s at launch (now %s): left as it is", t.label(), t.Alias, t.Image))
			continue
		}
		if t.Image == plan.TargetAMI {
			continue
		}
		if !req.UpdateLaunchTemplate {
			stale = append(stale, fmt.Sprintf("%s version %s launches %s", t.label(), t.versionLabel(), t.Image))
			continue
		}
		st.templates[i].NewVersion = "pending"
		plan.UpdateLaunchTemplate = true
		plan.Notes = append(plan.Notes, fmt.Sprintf("%s: a new version from version %s with image %s, and the group set to launch it", t.label(), t.Version, plan.TargetAMI))
	}
	if len(stale) > 0 {
		return ops.Inputf("%s, not the target %s: new instances would come up old; re-run with %s (new version, group pointed at it) or fix the template", strings.Join(stale, "; "), plan.TargetAMI, ops.Opt(ctx, "UpdateLaunchTemplate"))
	}
	return nil
}

// versionLabel shows a template's version as the plan does ("$Latest → 7").
func (t rotateTemplate) versionLabel() string {
	if t.Asked != t.Version {
		return t.Asked + " → " + t.Version
	}
	return t.Version
}

// updateTemplates creates the planned launch template versions and points
// the group at them in one UpdateAutoScalingGroup: through LaunchTemplate,
// or through the MixedInstancesPolicy (its template and its overrides') for
// a mixed group — never both.
func (r *Rotator) updateTemplates(ctx context.Context, st *rotateState) error {
	plan := st.plan
	changed := false
	for i, t := range st.templates {
		if t.NewVersion == "" {
			continue
		}
		out, err := r.EC2.CreateLaunchTemplateVersion(ctx, &ec2.CreateLaunchTemplateVersionInput{
			LaunchTemplateId: aws.String(t.ID), SourceVersion: aws.String(t.Version),
			VersionDescription: aws.String(runVersionDescription(plan.RunID, plan.TargetAMI) + versionFrom + t.Asked),
			LaunchTemplateData: &ec2types.RequestLaunchTemplateData{ImageId: aws.String(plan.TargetAMI)}})
		if err != nil {
			return fmt.Errorf("create a version of %s with %s: %w", t.label(), plan.TargetAMI, err)
		}
		st.templates[i].NewVersion = strconv.FormatInt(aws.ToInt64(out.LaunchTemplateVersion.VersionNumber), 10)
		changed = true
	}
	if !changed {
		return nil
	}
	spec := func(role string, s *astypes.LaunchTemplateSpecification) *astypes.LaunchTemplateSpecification {
		if s == nil {
			return nil
		}
		for _, t := range st.templates {
			if t.Role == role && (aws.ToString(s.LaunchTemplateId) == t.ID || aws.ToString(s.LaunchTemplateName) == t.Name) && t.NewVersion != "" {
				return &astypes.LaunchTemplateSpecification{LaunchTemplateId: aws.String(t.ID), Version: aws.String(t.NewVersion)}
			}
		}
		return &astypes.LaunchTemplateSpecification{LaunchTemplateId: s.LaunchTemplateId, LaunchTemplateName: keepName(s), Version: s.Version}
	}
	in := &autoscaling.UpdateAutoScalingGroupInput{AutoScalingGroupName: aws.String(plan.ASG)}
	g := st.group
	if mp := g.MixedInstancesPolicy; mp != nil && mp.LaunchTemplate != nil {
		lt := &astypes.LaunchTemplate{LaunchTemplateSpecification: spec("", mp.LaunchTemplate.LaunchTemplateSpecification)}
		for _, o := range mp.LaunchTemplate.Overrides {
			o.LaunchTemplateSpecification = spec("override "+aws.ToString(o.InstanceType), o.LaunchTemplateSpecification)
			lt.Overrides = append(lt.Overrides, o)
		}
		in.MixedInstancesPolicy = &astypes.MixedInstancesPolicy{LaunchTemplate: lt}
	} else {
		in.LaunchTemplate = spec("", g.LaunchTemplate)
	}
	if _, err := r.ASG.UpdateAutoScalingGroup(ctx, in); err != nil {
		return fmt.Errorf("point auto scaling group %s at the new launch template versions: %w", plan.ASG, err)
	}
	for _, t := range st.templates {
		if t.NewVersion != "" {
			r.emit(plan.Cluster, ops.EventInfo, "%s version %s launches %s; %s now uses it", t.label(), t.NewVersion, plan.TargetAMI, plan.ASG)
		}
	}
	return nil
}

// keepName keeps a spec's name only when it has no id (a spec names one).
func keepName(s *astypes.LaunchTemplateSpecification) *string {
	if s.LaunchTemplateId != nil {
		return nil
	}
	return s.LaunchTemplateName
}
