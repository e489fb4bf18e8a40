package sim

// The edge world: the shapes real accounts have that the demo world does not
// (issues "Real ECS" part 1 and part 2). Names are fixed: tests and users
// rely on them.
//
// It is assembled from parts, one file each, so that the deploy shapes
// (Fargate, deployment controllers and strategies, registries) and the fleet
// shapes (Graviton, mixed instances, resolve:ssm, managed scaling, hooks and
// warm pools) grow independently:
//
//	world_edge_fargate.go      fargate-api, spot-worker, nocpu-api
//	world_edge_controllers.go  cd-api, ext-api, bg-api, canary-api
//	world_edge_registries.go   cross-account ECR, pull-through cache
//	world_edge_fleet_ami.go    clusters graviton, mixed, alias, bottlerocket
//	world_edge_fleet_ops.go    clusters managed, hooked
const (
	// EdgeCluster is the EC2 cluster holding the edge deploy shapes.
	EdgeCluster = "edge"
	// EdgeASG backs the edge cluster's EC2 capacity.
	EdgeASG = "edge-ecs"
)

// edgeWorld is the built-in world "edge".
func edgeWorld() *World {
	web := appService("web", 3, 512, 1024, DemoAPITag, true)
	web.Revision = 12
	web.Tags["env"] = "edge"
	edge := ClusterSpec{
		Name:     EdgeCluster,
		Tags:     map[string]string{"env": "edge"},
		Services: []ServiceSpec{web},
	}
	w := &World{
		Name:          "edge",
		AMIs:          amis(),
		SSMParameters: ssmParams(),
		LaunchTemplates: []LaunchTemplateSpec{
			ecsLaunchTemplate(EdgeASG, EdgeCluster, "m5.xlarge"),
		},
		AutoScalingGroups: []ASGSpec{{
			Name: EdgeASG, LaunchTemplate: EdgeASG, Version: "$Latest",
			Min: 4, Max: 8, Desired: 4,
			Tags: map[string]string{"env": "edge", "team": "platform"},
			Instances: []InstanceGroupSpec{
				{Count: 2, AMI: DemoOldAMI, LaunchTemplateVersion: "1", AgeHours: 24 * 30},
				{Count: 2, AMI: DemoNewAMI, LaunchTemplateVersion: "2", AgeHours: 24 * 3},
			},
		}},
	}
	edgeFargate(w, &edge)
	edgeControllers(w, &edge)
	w.Clusters = append([]ClusterSpec{edge}, w.Clusters...)
	w.Repositories = append(repositories([]ClusterSpec{edge}), w.Repositories...)
	edgeRegistries(w)
	edgeFleetAMI(w)
	edgeFleetOps(w)
	return w
}
