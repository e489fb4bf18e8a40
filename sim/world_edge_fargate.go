package sim

// edgeFargate adds fargate-api, spot-worker and nocpu-api in the edge cluster.
//
//   - fargate-api: launch type FARGATE, awsvpc, 3 tasks behind an ip target
//     group. Fargate requires networkMode awsvpc and task-level cpu and
//     memory (ECS developer guide, "Amazon ECS task definition differences
//     for Fargate"); 512/1024 is one of the valid Fargate size pairs.
//   - spot-worker: capacity provider strategy FARGATE_SPOT weight 3 plus
//     FARGATE weight 1 base 1, no launch type (a service has either one or
//     the other: CreateService's launchType doc in the SDK).
//   - nocpu-api: EC2, a task definition with container-level cpu/memory only
//     and no task-level size (CPU and Memory 0 leave the task definition's
//     cpu and memory unset; ECS then sizes the task from its containers).
//
// The Fargate providers are associated with the cluster, as
// PutClusterCapacityProviders does: a strategy may only name providers
// associated with the cluster (CapacityProviderStrategyItem doc in the SDK).
func edgeFargate(w *World, edge *ClusterSpec) {
	api := appService("fargate-api", 3, 512, 1024, DemoAPITag, true)
	api.Revision = 7
	api.LaunchType = "FARGATE"
	api.NetworkMode = "awsvpc"
	api.Tags["env"] = "edge"

	spot := appService("spot-worker", 4, 256, 512, DemoAPITag, false)
	spot.Revision = 4
	spot.NetworkMode = "awsvpc"
	spot.CapacityProviderStrategy = []CapacityProviderStrategySpec{
		{Provider: "FARGATE_SPOT", Weight: 3},
		{Provider: "FARGATE", Weight: 1, Base: 1},
	}
	spot.Tags["env"] = "edge"

	nocpu := appService("nocpu-api", 2, 0, 0, DemoAPITag, true)
	nocpu.Revision = 9
	nocpu.Containers[0].CPU, nocpu.Containers[0].Memory = 256, 512
	nocpu.Tags["env"] = "edge"

	edge.CapacityProviders = append(edge.CapacityProviders, "FARGATE", "FARGATE_SPOT")
	edge.Services = append(edge.Services, api, spot, nocpu)
}
