package sim

// The fleet shapes that decide which AMI a rotation targets (issue 15 items
// 1–3): Graviton instances on arm64 AMIs, a mixed-instances group with Spot,
// a launch template whose ImageId is a resolve:ssm: alias, and a Bottlerocket
// fleet. Each has its own cluster and group; the names are fixed.
const (
	EdgeGravitonCluster = "graviton"
	EdgeGravitonASG     = "graviton-ecs"
	EdgeMixedCluster    = "mixed"
	EdgeMixedASG        = "mixed-ecs"
	// EdgeMixedOverrideLT is the launch template of the mixed group's
	// m6i.large override (its own, as an override may have).
	EdgeMixedOverrideLT   = "mixed-ecs-m6i"
	EdgeAliasCluster      = "alias"
	EdgeAliasASG          = "alias-ecs"
	EdgeBottlerocketASG   = "bottlerocket-ecs"
	EdgeBottlerocketClust = "bottlerocket"
)

// AMIs of the other ECS-optimized families, old and new, named as
// DescribeImages shows Amazon's (al2023-ami-ecs-hvm-…-arm64,
// amzn2-ami-ecs-hvm-…-x86_64-ebs, bottlerocket-aws-ecs-2-x86_64-v…).
const (
	ArmOldAMI          = "ami-0b1c2d3e4f5a60001"
	ArmNewAMI          = "ami-0b1c2d3e4f5a60002"
	AL2OldAMI          = "ami-0c2d3e4f5a6b70001"
	AL2NewAMI          = "ami-0c2d3e4f5a6b70002"
	BottlerocketOldAMI = "ami-0d3e4f5a6b7c80001"
	BottlerocketNewAMI = "ami-0d3e4f5a6b7c80002"
)

// The ECS-optimized SSM parameters of those families (ECS developer guide,
// "Retrieving Amazon ECS-optimized Linux AMI metadata"; Bottlerocket's under
// /aws/service/bottlerocket/<variant>/<arch>/latest).
const (
	ArmAMIParam          = "/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id"
	AL2AMIParam          = "/aws/service/ecs/optimized-ami/amazon-linux-2/recommended/image_id"
	BottlerocketAMIParam = "/aws/service/bottlerocket/aws-ecs-2/x86_64/latest/image_id"
)

// edgeFleetAMI adds clusters graviton, mixed, alias and bottlerocket.
func edgeFleetAMI(w *World) {
	w.AMIs = append(w.AMIs,
		AMISpec{ID: ArmOldAMI, Name: "al2023-ami-ecs-hvm-2023.0.20250910-kernel-6.1-arm64", CreationDate: "2025-09-10T18:00:00Z", Description: "Amazon Linux AMI 2023.0.20250910 arm64 ECS HVM EBS"},
		AMISpec{ID: ArmNewAMI, Name: "al2023-ami-ecs-hvm-2023.0.20251105-kernel-6.1-arm64", CreationDate: "2025-11-05T18:00:00Z", Description: "Amazon Linux AMI 2023.0.20251105 arm64 ECS HVM EBS"},
		AMISpec{ID: AL2OldAMI, Name: "amzn2-ami-ecs-hvm-2.0.20250910-x86_64-ebs", CreationDate: "2025-09-10T18:00:00Z", Description: "Amazon Linux AMI 2.0.20250910 x86_64 ECS HVM GP2"},
		AMISpec{ID: AL2NewAMI, Name: "amzn2-ami-ecs-hvm-2.0.20251105-x86_64-ebs", CreationDate: "2025-11-05T18:00:00Z", Description: "Amazon Linux AMI 2.0.20251105 x86_64 ECS HVM GP2"},
		AMISpec{ID: BottlerocketOldAMI, Name: "bottlerocket-aws-ecs-2-x86_64-v1.46.0-5f1c2a3b", CreationDate: "2025-09-10T18:00:00Z", Description: "bottlerocket-aws-ecs-2-x86_64-v1.46.0-5f1c2a3b"},
		AMISpec{ID: BottlerocketNewAMI, Name: "bottlerocket-aws-ecs-2-x86_64-v1.49.0-8e2d4f6a", CreationDate: "2025-11-05T18:00:00Z", Description: "bottlerocket-aws-ecs-2-x86_64-v1.49.0-8e2d4f6a"},
	)
	if w.SSMParameters == nil {
		w.SSMParameters = map[string]string{}
	}
	for k, v := range map[string]string{
		ArmAMIParam: ArmNewAMI,
		"/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended": `{"ecs_agent_version":"1.99.0","ecs_runtime_version":"Docker version 25.0.8","image_id":"` + ArmNewAMI + `","image_name":"al2023-ami-ecs-hvm-2023.0.20251105-kernel-6.1-arm64","image_version":"2023.0.20251105","os":"Amazon Linux 2023","schema_version":1,"source_image_name":"al2023-ami-minimal-2023.6.20251105.0-kernel-6.1-arm64"}`,
		AL2AMIParam: AL2NewAMI,
		"/aws/service/ecs/optimized-ami/amazon-linux-2/recommended": `{"ecs_agent_version":"1.99.0","ecs_runtime_version":"Docker version 25.0.8","image_id":"` + AL2NewAMI + `","image_name":"amzn2-ami-ecs-hvm-2.0.20251105-x86_64-ebs","image_version":"2.0.20251105","os":"Amazon Linux 2","schema_version":1,"source_image_name":"amzn2-ami-minimal-hvm-2.0.20251105.0-x86_64-ebs"}`,
		BottlerocketAMIParam: BottlerocketNewAMI,
		"/aws/service/bottlerocket/aws-ecs-2/x86_64/latest/image_version": "1.49.0-8e2d4f6a",
	} {
		w.SSMParameters[k] = v
	}
	w.InstanceTypes = append(w.InstanceTypes,
		InstanceTypeSpec{Name: "m7g.large", VCPU: 2, MemoryMiB: 8192},
		InstanceTypeSpec{Name: "m7g.xlarge", VCPU: 4, MemoryMiB: 16384},
		InstanceTypeSpec{Name: "c7g.large", VCPU: 2, MemoryMiB: 4096},
		InstanceTypeSpec{Name: "c7g.xlarge", VCPU: 4, MemoryMiB: 8192},
	)

	svc := func(name string, desired int) ServiceSpec {
		s := appService(name, desired, 512, 1024, DemoAPITag, true)
		s.Tags["env"] = "edge"
		return s
	}
	version := func(ami, itype, cluster, desc string, spot bool) LaunchTemplateVersionSpec {
		return LaunchTemplateVersionSpec{ImageID: ami, InstanceType: itype, Cluster: cluster, Description: desc, SpotDraining: spot}
	}

	// Graviton: m7g and c7g on arm64 AL2023; version 2 already on the new AMI.
	graviton := ClusterSpec{Name: EdgeGravitonCluster, Tags: map[string]string{"env": "edge"}, Services: []ServiceSpec{svc("graviton-api", 3)}}
	w.LaunchTemplates = append(w.LaunchTemplates, LaunchTemplateSpec{Name: EdgeGravitonASG, DefaultVersion: 1, Versions: []LaunchTemplateVersionSpec{
		version(ArmOldAMI, "m7g.large", EdgeGravitonCluster, "ECS AL2023 arm64 2025-09", false),
		version(ArmNewAMI, "m7g.large", EdgeGravitonCluster, "ECS AL2023 arm64 2025-11", false),
	}})
	w.AutoScalingGroups = append(w.AutoScalingGroups, ASGSpec{
		Name: EdgeGravitonASG, LaunchTemplate: EdgeGravitonASG, Version: "$Latest", Min: 3, Max: 6, Desired: 3,
		Tags: map[string]string{"env": "edge", "team": "platform"},
		Instances: []InstanceGroupSpec{
			{Count: 1, AMI: ArmOldAMI, LaunchTemplateVersion: "1", AgeHours: 24 * 30},
			{Count: 1, AMI: ArmOldAMI, InstanceType: "c7g.large", LaunchTemplateVersion: "1", AgeHours: 24 * 30},
			{Count: 1, AMI: ArmNewAMI, LaunchTemplateVersion: "2", AgeHours: 24 * 3},
		},
	})

	// Mixed instances: one On-Demand m5.large as the base, the rest Spot over
	// m5.large and m6i.large; m6i.large launches from its own template. Both
	// templates are still on the old AMI (the group's on $Default = 1, the
	// override pinned to version 1), and the agents drain on a Spot notice.
	mixed := ClusterSpec{Name: EdgeMixedCluster, Tags: map[string]string{"env": "edge"}, Services: []ServiceSpec{svc("mixed-api", 4)}}
	w.LaunchTemplates = append(w.LaunchTemplates,
		LaunchTemplateSpec{Name: EdgeMixedASG, DefaultVersion: 1, Versions: []LaunchTemplateVersionSpec{
			version(DemoOldAMI, "m5.large", EdgeMixedCluster, "ECS AL2023 2025-09", true),
		}},
		LaunchTemplateSpec{Name: EdgeMixedOverrideLT, DefaultVersion: 1, Versions: []LaunchTemplateVersionSpec{
			version(DemoOldAMI, "m6i.large", EdgeMixedCluster, "ECS AL2023 2025-09 (m6i)", true),
		}},
	)
	w.AutoScalingGroups = append(w.AutoScalingGroups, ASGSpec{
		Name: EdgeMixedASG, LaunchTemplate: EdgeMixedASG, Version: "$Default", Min: 4, Max: 8, Desired: 4,
		Tags: map[string]string{"env": "edge", "team": "platform"},
		Instances: []InstanceGroupSpec{
			{Count: 1, InstanceType: "m5.large", AgeHours: 24 * 30},
			{Count: 1, InstanceType: "m6i.large", AgeHours: 24 * 20},
			{Count: 1, InstanceType: "m5.large", AgeHours: 24 * 10},
			{Count: 1, InstanceType: "m6i.large", AgeHours: 24 * 5},
		},
		MixedInstancesPolicy: &MixedInstancesPolicySpec{
			OnDemandBaseCapacity: 1, OnDemandPercentageAboveBaseCapacity: 0, SpotAllocationStrategy: "price-capacity-optimized",
			Overrides: []LaunchTemplateOverrideSpec{
				{InstanceType: "m5.large"},
				{InstanceType: "m6i.large", LaunchTemplate: EdgeMixedOverrideLT, Version: "1"},
			},
		},
	})

	// resolve:ssm: the template names the AL2023 parameter, which has moved
	// on to the new AMI since the instances launched.
	alias := ClusterSpec{Name: EdgeAliasCluster, Tags: map[string]string{"env": "edge"}, Services: []ServiceSpec{svc("alias-api", 2)}}
	w.LaunchTemplates = append(w.LaunchTemplates, LaunchTemplateSpec{Name: EdgeAliasASG, DefaultVersion: 1, Versions: []LaunchTemplateVersionSpec{
		version("resolve:ssm:"+RecommendedAMIParam, "m5.large", EdgeAliasCluster, "ECS AL2023 recommended (SSM)", false),
	}})
	w.AutoScalingGroups = append(w.AutoScalingGroups, ASGSpec{
		Name: EdgeAliasASG, LaunchTemplate: EdgeAliasASG, Version: "$Latest", Min: 2, Max: 4, Desired: 2,
		Tags:      map[string]string{"env": "edge", "team": "platform"},
		Instances: []InstanceGroupSpec{{Count: 2, AMI: DemoOldAMI, AgeHours: 24 * 30}},
	})

	// Bottlerocket (aws-ecs-2 variant, x86_64).
	br := ClusterSpec{Name: EdgeBottlerocketClust, Tags: map[string]string{"env": "edge"}, Services: []ServiceSpec{svc("br-api", 2)}}
	w.LaunchTemplates = append(w.LaunchTemplates, LaunchTemplateSpec{Name: EdgeBottlerocketASG, DefaultVersion: 1, Versions: []LaunchTemplateVersionSpec{
		version(BottlerocketOldAMI, "m5.large", EdgeBottlerocketClust, "Bottlerocket aws-ecs-2 1.46", false),
		version(BottlerocketNewAMI, "m5.large", EdgeBottlerocketClust, "Bottlerocket aws-ecs-2 1.49", false),
	}})
	w.AutoScalingGroups = append(w.AutoScalingGroups, ASGSpec{
		Name: EdgeBottlerocketASG, LaunchTemplate: EdgeBottlerocketASG, Version: "$Latest", Min: 2, Max: 4, Desired: 2,
		Tags:      map[string]string{"env": "edge", "team": "platform"},
		Instances: []InstanceGroupSpec{{Count: 2, AMI: BottlerocketOldAMI, LaunchTemplateVersion: "1", AgeHours: 24 * 30}},
	})

	clusters := []ClusterSpec{graviton, mixed, alias, br}
	w.Clusters = append(w.Clusters, clusters...)
	w.Repositories = append(w.Repositories, repositories(clusters)...)
}
