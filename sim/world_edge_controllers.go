package sim

// Names of the edge world's deployment-controller and strategy services.
const (
	EdgeCodeDeployService = "cd-api"
	EdgeExternalService   = "ext-api"
	EdgeBlueGreenService  = "bg-api"
	EdgeCanaryService     = "canary-api"
)

// edgeControllers adds cd-api, ext-api, bg-api and canary-api in the edge
// cluster: the two controllers other than ECS (their tasks run in a task
// set that CodeDeploy or the caller manages), and two services of the ECS
// controller with the traffic-shifting strategies (AWS::ECS::Service
// DeploymentConfiguration Strategy, BakeTimeInMinutes, CanaryConfiguration).
func edgeControllers(w *World, edge *ClusterSpec) {
	cd := appService(EdgeCodeDeployService, 2, 256, 512, DemoAPITag, true)
	cd.DeploymentController = "CODE_DEPLOY"
	cd.CircuitBreaker = nil // the breaker is for the ECS controller only
	cd.Revision = 7
	ext := appService(EdgeExternalService, 2, 256, 512, DemoAPITag, false)
	ext.DeploymentController = "EXTERNAL"
	ext.CircuitBreaker = nil
	ext.Revision = 4

	bake := 5
	bg := appService(EdgeBlueGreenService, 3, 256, 512, DemoAPITag, true)
	bg.Strategy = "BLUE_GREEN"
	bg.BakeTimeMinutes = &bake
	bg.Revision = 9

	canaryBake := 2
	canary := appService(EdgeCanaryService, 2, 256, 512, DemoAPITag, true)
	canary.Strategy = "CANARY"
	canary.BakeTimeMinutes = &canaryBake
	canary.Canary = &CanarySpec{Percent: 10, BakeMinutes: 3}
	canary.Revision = 5

	for _, s := range []*ServiceSpec{&cd, &ext, &bg, &canary} {
		s.Tags["env"] = "edge"
	}
	edge.Services = append(edge.Services, cd, ext, bg, canary)
}
