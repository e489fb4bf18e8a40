package sim

import (
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
)

// Mixed instances groups: a MixedInstancesPolicy names the group's launch
// template inside the policy (there is then no top-level LaunchTemplate),
// lists instance types as overrides — each may name its own launch
// template — and splits the capacity between On-Demand and Spot.
//
// As the Auto Scaling API reference and user guide describe them
// (UpdateAutoScalingGroupInput.LaunchTemplate in the SDK: "If you specify
// LaunchTemplate in your update request, you can't specify
// LaunchConfigurationName or MixedInstancesPolicy"; LaunchTemplateOverrides.
// LaunchTemplateSpecification: "If not provided, Amazon EC2 Auto Scaling uses
// the launch template that's specified in the LaunchTemplate definition";
// InstancesDistribution: OnDemandBaseCapacity is filled by On-Demand first,
// OnDemandPercentageAboveBaseCapacity splits what is above it).

// MixedInstancesPolicySpec is a world's MixedInstancesPolicy.
type MixedInstancesPolicySpec struct {
	// OnDemandBaseCapacity instances are On-Demand before anything is Spot.
	OnDemandBaseCapacity int `json:"onDemandBaseCapacity"`
	// OnDemandPercentageAboveBaseCapacity of the rest are On-Demand (0: all Spot).
	OnDemandPercentageAboveBaseCapacity int `json:"onDemandPercentageAboveBaseCapacity"`
	// SpotAllocationStrategy as AWS names them (default price-capacity-optimized).
	SpotAllocationStrategy string `json:"spotAllocationStrategy,omitempty"`
	// Overrides are the instance types, in priority order.
	Overrides []LaunchTemplateOverrideSpec `json:"overrides"`
}

// LaunchTemplateOverrideSpec is one instance type of a mixed group, with its
// own launch template when it needs one (another AMI, say).
type LaunchTemplateOverrideSpec struct {
	InstanceType string `json:"instanceType"`
	// LaunchTemplate (name) and Version ("$Latest", "$Default" or a number;
	// default "$Default") when the type launches from another template.
	LaunchTemplate string `json:"launchTemplate,omitempty"`
	Version        string `json:"version,omitempty"`
}

// asgMixed is a group's mixed instances policy; the policy's own launch
// template is the group's LaunchTemplateID and Version.
type asgMixed struct {
	OnDemandBase      int           `json:"onDemandBase"`
	OnDemandPct       int           `json:"onDemandPct"`
	OnDemandStrategy  string        `json:"onDemandStrategy"`
	SpotStrategy      string        `json:"spotStrategy"`
	SpotInstancePools int32         `json:"spotInstancePools,omitempty"`
	Overrides         []asgOverride `json:"overrides"`
}

// asgOverride is one override; LaunchTemplateID "" means the policy's.
type asgOverride struct {
	InstanceType     string `json:"instanceType"`
	LaunchTemplateID string `json:"launchTemplateId,omitempty"`
	Version          string `json:"version,omitempty"`
}

// loadMixed turns a world's policy into the group's.
func (s *Sim) loadMixed(spec *MixedInstancesPolicySpec) (*asgMixed, error) {
	m := &asgMixed{OnDemandBase: spec.OnDemandBaseCapacity, OnDemandPct: spec.OnDemandPercentageAboveBaseCapacity,
		OnDemandStrategy: "prioritized", SpotStrategy: spec.SpotAllocationStrategy}
	if m.SpotStrategy == "" {
		m.SpotStrategy = "price-capacity-optimized"
	}
	if m.OnDemandBase < 0 || m.OnDemandPct < 0 || m.OnDemandPct > 100 {
		return nil, fmt.Errorf("mixedInstancesPolicy: want onDemandBaseCapacity >= 0 and onDemandPercentageAboveBaseCapacity 0..100")
	}
	if len(spec.Overrides) == 0 {
		return nil, fmt.Errorf("mixedInstancesPolicy: at least one override (instance type) is required")
	}
	for i, o := range spec.Overrides {
		if _, ok := s.instanceType(o.InstanceType); !ok {
			return nil, fmt.Errorf("mixedInstancesPolicy.overrides[%d]: unknown instance type %q", i, o.InstanceType)
		}
		ov := asgOverride{InstanceType: o.InstanceType}
		if o.LaunchTemplate != "" {
			lt := s.launchTemplateByName(o.LaunchTemplate)
			if lt == nil {
				return nil, fmt.Errorf("mixedInstancesPolicy.overrides[%d]: launch template %q does not exist", i, o.LaunchTemplate)
			}
			ov.LaunchTemplateID, ov.Version = lt.ID, o.Version
			if ov.Version == "" {
				ov.Version = "$Default"
			}
			if _, ok := lt.resolve(ov.Version); !ok {
				return nil, fmt.Errorf("mixedInstancesPolicy.overrides[%d]: launch template %s has no version %q", i, lt.Name, ov.Version)
			}
		}
		m.Overrides = append(m.Overrides, ov)
	}
	return m, nil
}

// overrideFor returns the override of an instance type, or nil.
func (m *asgMixed) overrideFor(itype string) *asgOverride {
	for i := range m.Overrides {
		if m.Overrides[i].InstanceType == itype {
			return &m.Overrides[i]
		}
	}
	return nil
}

// templateFor is the launch template and version an instance type of the
// group launches from: its override's template, else the group's.
func (g *asgGroup) templateFor(itype string) (ltID, version string) {
	ltID, version = g.launchConfig()
	if g.Mixed == nil {
		return ltID, version
	}
	if o := g.Mixed.overrideFor(itype); o != nil && o.LaunchTemplateID != "" {
		return o.LaunchTemplateID, o.Version
	}
	return ltID, version
}

// spotMember reports whether a member runs on a Spot instance.
func (s *Sim) spotMember(m *asgMember) bool {
	in := s.ec2.Instances[m.InstanceID]
	return in != nil && in.Lifecycle == "spot"
}

// mixedNextLaunch picks what the next launch of a mixed group is: On-Demand
// until the base is filled, then the percentage above it; On-Demand takes
// the first override (the "prioritized" strategy), Spot the override with
// the fewest running instances (the sandbox's deterministic stand-in for
// price-capacity-optimized, which spreads over pools).
func (s *Sim) mixedNextLaunch(g *asgGroup) (itype string, spot bool) {
	m := g.Mixed
	onDemand, spotN := 0, 0
	perType := map[string]int{}
	for _, mem := range g.Members {
		if !mem.active() {
			continue
		}
		perType[mem.InstanceType]++
		if s.spotMember(mem) {
			spotN++
		} else {
			onDemand++
		}
	}
	spot = true
	if onDemand < m.OnDemandBase {
		spot = false
	} else {
		above := onDemand - m.OnDemandBase
		// On-Demand when the share above the base would fall short of the
		// percentage with this launch counted.
		if above*100 < m.OnDemandPct*(above+spotN+1) {
			spot = false
		}
	}
	if !spot {
		return m.Overrides[0].InstanceType, false
	}
	best := m.Overrides[0].InstanceType
	for _, o := range m.Overrides[1:] {
		if perType[o.InstanceType] < perType[best] {
			best = o.InstanceType
		}
	}
	return best, true
}

// mixedPolicyOut is the policy as DescribeAutoScalingGroups returns it.
func (s *Sim) mixedPolicyOut(g *asgGroup) *astypes.MixedInstancesPolicy {
	m := g.Mixed
	out := &astypes.MixedInstancesPolicy{
		InstancesDistribution: &astypes.InstancesDistribution{
			OnDemandAllocationStrategy:          aws.String(m.OnDemandStrategy),
			OnDemandBaseCapacity:                aws.Int32(int32(m.OnDemandBase)),
			OnDemandPercentageAboveBaseCapacity: aws.Int32(int32(m.OnDemandPct)),
			SpotAllocationStrategy:              aws.String(m.SpotStrategy),
		},
		LaunchTemplate: &astypes.LaunchTemplate{Overrides: []astypes.LaunchTemplateOverrides{}},
	}
	if m.SpotInstancePools > 0 {
		out.InstancesDistribution.SpotInstancePools = aws.Int32(m.SpotInstancePools)
	}
	if lt := s.ec2.LaunchTemplates[g.LaunchTemplateID]; lt != nil {
		out.LaunchTemplate.LaunchTemplateSpecification = &astypes.LaunchTemplateSpecification{
			LaunchTemplateId: aws.String(lt.ID), LaunchTemplateName: aws.String(lt.Name), Version: aws.String(g.Version)}
	}
	for _, o := range m.Overrides {
		ov := astypes.LaunchTemplateOverrides{InstanceType: aws.String(o.InstanceType)}
		if lt := s.ec2.LaunchTemplates[o.LaunchTemplateID]; lt != nil {
			ov.LaunchTemplateSpecification = &astypes.LaunchTemplateSpecification{
				LaunchTemplateId: aws.String(lt.ID), LaunchTemplateName: aws.String(lt.Name), Version: aws.String(o.Version)}
		}
		out.LaunchTemplate.Overrides = append(out.LaunchTemplate.Overrides, ov)
	}
	return out
}

// errLaunchSources is Auto Scaling's answer to a request naming more than one
// launch source (or none where one is needed). The wording is the one AWS
// returns for CreateAutoScalingGroup; UpdateAutoScalingGroup refuses
// LaunchTemplate together with MixedInstancesPolicy the same way.
func errLaunchSources() error {
	return validationError("Valid requests must contain either LaunchTemplate, LaunchConfigurationName, InstanceId or MixedInstancesPolicy parameter.")
}

// parseMixedUpdate validates an UpdateAutoScalingGroup MixedInstancesPolicy
// against the group's current policy: parts left out are kept (the
// distribution, the overrides), parts given replace. It returns the new
// policy and the policy's launch template and version.
func (s *Sim) parseMixedUpdate(g *asgGroup, p *astypes.MixedInstancesPolicy) (*asgMixed, string, string, error) {
	m := &asgMixed{OnDemandStrategy: "prioritized", SpotStrategy: "price-capacity-optimized"}
	if g.Mixed != nil {
		cp := *g.Mixed
		cp.Overrides = append([]asgOverride(nil), g.Mixed.Overrides...)
		m = &cp
	}
	ltID, version := g.LaunchTemplateID, g.Version
	resolveSpec := func(spec *astypes.LaunchTemplateSpecification) (string, string, error) {
		if spec.LaunchTemplateId == nil && spec.LaunchTemplateName == nil {
			return "", "", validationError("Valid requests must contain either launchTemplateId or LaunchTemplateName")
		}
		return s.asgTemplateVersion(spec)
	}
	if p.LaunchTemplate != nil {
		if spec := p.LaunchTemplate.LaunchTemplateSpecification; spec != nil {
			var err error
			if ltID, version, err = resolveSpec(spec); err != nil {
				return nil, "", "", err
			}
		}
		if p.LaunchTemplate.Overrides != nil {
			m.Overrides = nil
			for _, o := range p.LaunchTemplate.Overrides {
				it := aws.ToString(o.InstanceType)
				if _, ok := s.instanceType(it); !ok {
					return nil, "", "", validationError("Invalid instance type %s in the overrides", it)
				}
				ov := asgOverride{InstanceType: it}
				if o.LaunchTemplateSpecification != nil {
					id, v, err := resolveSpec(o.LaunchTemplateSpecification)
					if err != nil {
						return nil, "", "", err
					}
					ov.LaunchTemplateID, ov.Version = id, v
				}
				m.Overrides = append(m.Overrides, ov)
			}
		}
	}
	if ltID == "" {
		return nil, "", "", validationError("Valid requests must contain either launchTemplateId or LaunchTemplateName")
	}
	if len(m.Overrides) == 0 {
		return nil, "", "", validationError("At least one override (instance type) is required in a mixed instances policy")
	}
	if d := p.InstancesDistribution; d != nil {
		if err := m.setDistribution(d); err != nil {
			return nil, "", "", err
		}
	}
	return m, ltID, version, nil
}

// setDistribution applies the members an update gives of an instances
// distribution (those it leaves out keep their values).
func (m *asgMixed) setDistribution(d *astypes.InstancesDistribution) error {
	if d.OnDemandBaseCapacity != nil {
		m.OnDemandBase = int(*d.OnDemandBaseCapacity)
	}
	if d.OnDemandPercentageAboveBaseCapacity != nil {
		m.OnDemandPct = int(*d.OnDemandPercentageAboveBaseCapacity)
	}
	if d.OnDemandAllocationStrategy != nil {
		m.OnDemandStrategy = *d.OnDemandAllocationStrategy
	}
	if d.SpotAllocationStrategy != nil {
		m.SpotStrategy = *d.SpotAllocationStrategy
	}
	if d.SpotInstancePools != nil {
		m.SpotInstancePools = *d.SpotInstancePools
	}
	if m.OnDemandBase < 0 || m.OnDemandPct < 0 || m.OnDemandPct > 100 {
		return validationError("OnDemandPercentageAboveBaseCapacity must be between 0 and 100 and OnDemandBaseCapacity at least 0")
	}
	return nil
}

// describeMixed is a short description for the timeline.
func (s *Sim) describeMixed(m *asgMixed) string {
	var parts []string
	for _, o := range m.Overrides {
		p := o.InstanceType
		if lt := s.ec2.LaunchTemplates[o.LaunchTemplateID]; lt != nil {
			p += " (" + lt.Name + " " + o.Version + ")"
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, ", ")
}
