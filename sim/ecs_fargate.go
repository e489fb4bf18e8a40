package sim

import (
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// Fargate: services with launch type FARGATE, or with a capacity provider
// strategy of FARGATE and FARGATE_SPOT, and their tasks. What AWS documents
// and the sandbox models:
//   - A Fargate task has no container instance (Task.containerInstanceArn is
//     absent), launchType FARGATE, platformVersion and platformFamily
//     ("specified only for tasks that use the Fargate launch type": the SDK's
//     types.Task doc), and one ElasticNetworkInterface attachment whose
//     details carry subnetId, networkInterfaceId, macAddress and
//     privateIPv4Address; each container's networkInterfaces[] carries the
//     privateIpv4Address (ECS developer guide, "Fargate task networking").
//   - It goes PROVISIONING (ENI being created) → PENDING (image pull) →
//     RUNNING (developer guide, "Task lifecycle"); Fargate also provisions
//     the compute, so it takes longer than an EC2 task: here twice
//     Timings.TaskStart.
//   - It consumes no container instance resources, so instance reservation
//     (remaining/registered resources, cluster CPUReservation) never counts it.
//   - A strategy task also carries capacityProviderName (FARGATE or
//     FARGATE_SPOT). The service has capacityProviderStrategy and no
//     launchType: "If a capacityProviderStrategy is specified, the launchType
//     parameter must be omitted" (CreateServiceInput.LaunchType doc).
//   - A strategy places the base first, then splits the rest by weight
//     (CapacityProviderStrategyItem doc: "Only one capacity provider in a
//     strategy can have a base defined"; weight is "the relative percentage
//     of the total number of launched tasks").
//   - Only providers associated with the cluster may be used in a strategy,
//     and a strategy holds either Auto Scaling group providers or Fargate
//     ones, not both (CapacityProviderStrategyItem doc; developer guide,
//     "Amazon ECS clusters for Fargate").
//   - A Fargate task definition needs networkMode awsvpc and task-level cpu
//     and memory (developer guide, "Task definition differences for
//     Fargate"); a Fargate service needs an awsvpcConfiguration, and takes no
//     placement constraints or strategies and no DAEMON scheduling.

// FargatePlatformVersion is the version LATEST resolves to for Linux tasks.
const FargatePlatformVersion = "1.4.0"

// evFargateProvisioned: the task's ENI is attached, it moves to PENDING.
const evFargateProvisioned = "ecs.fargateProvisioned" // key: task ARN

func init() {
	registerEvent(evFargateProvisioned, func(s *Sim, key string) {
		t := s.ecs.Tasks[key]
		if t == nil || aws.ToString(t.Task.LastStatus) != "PROVISIONING" || aws.ToString(t.Task.DesiredStatus) != "RUNNING" {
			return
		}
		t.Task.LastStatus = aws.String("PENDING")
		t.Task.Version++
		s.after(s.Timings.TaskStart.D(), evTaskStart, key)
		if svc := s.ecsTaskService(t); svc != nil {
			s.ecsKickService(svc)
		}
	})
}

// fargateHost marks the capacity one Fargate task runs on: the provider
// that supplied it ("" for launch type FARGATE). Its subnet and zone are
// the stand-in instance's ecs.subnet-id and AZ, which the task's ENI takes.
type fargateHost struct {
	provider string
}

// ecsOnFargate reports whether the task runs on Fargate (no container instance).
func ecsOnFargate(t *ecsTask) bool {
	return t.Task.LaunchType == types.LaunchTypeFargate
}

// ecsFargateService reports whether the service's tasks run on Fargate.
func ecsFargateService(svc *ecsService) bool {
	if svc.Svc.LaunchType == types.LaunchTypeFargate {
		return true
	}
	for _, it := range svc.Svc.CapacityProviderStrategy {
		if isFargateProvider(aws.ToString(it.CapacityProvider)) {
			return true
		}
	}
	return false
}

func isFargateProvider(name string) bool { return name == "FARGATE" || name == "FARGATE_SPOT" }

// ecsSubnetFor is the sandbox's subnet in an Availability Zone (the one the
// EC2 side reports as an instance's ecs.subnet-id).
func ecsSubnetFor(az string) string { return "subnet-0" + strings.Repeat(lastRune(az), 16) }

// ecsSubnetAZ is the zone of a subnet: the sandbox's own subnets are named
// after their zone; any other subnet is put in one of the region's zones.
func (s *Sim) ecsSubnetAZ(subnet string) string {
	for _, az := range s.ec2.AZs {
		if ecsSubnetFor(az) == subnet {
			return az
		}
	}
	if len(s.ec2.AZs) == 0 {
		return s.Region + "a"
	}
	return s.ec2.AZs[fnv64(subnet)%uint64(len(s.ec2.AZs))]
}

// ecsSecurityGroupFor is the security group the world gives a service's tasks.
func (s *Sim) ecsSecurityGroupFor(cluster, service string) string {
	return "sg-0" + fnvHex(cluster+"/"+service, 16)
}

// ecsPlaceService places one task of svc: on Fargate capacity for a Fargate
// service, otherwise on a container instance.
// The PRIMARY deployment decides: a strategy changed by UpdateService
// applies from the next deployment on.
func (s *Sim) ecsPlaceService(svc *ecsService, c *ecsCluster, req placeReq, counts *placeCounts) (*ecsInstance, types.Failure) {
	if svc == nil || len(svc.Svc.Deployments) == 0 || !ecsFargateDeployment(&svc.Svc.Deployments[0]) {
		return s.ecsPlace(c, req, counts)
	}
	return s.fargatePlace(svc), types.Failure{}
}

// ecsFargateDeployment reports whether a deployment's tasks run on Fargate.
func ecsFargateDeployment(d *types.Deployment) bool {
	if d.LaunchType == types.LaunchTypeFargate {
		return true
	}
	for _, it := range d.CapacityProviderStrategy {
		if isFargateProvider(aws.ToString(it.CapacityProvider)) {
			return true
		}
	}
	return false
}

// fargatePlace picks the provider (by the strategy) and the subnet (spread
// over the service's subnets' zones) of the next task of svc's PRIMARY
// deployment, counting the tasks it already has.
func (s *Sim) fargatePlace(svc *ecsService) *ecsInstance {
	primary := &svc.Svc.Deployments[0]
	pid := aws.ToString(primary.Id)
	perProvider, perSubnet := map[string]int{}, map[string]int{}
	for _, t := range s.ecsServiceTasks(svc) {
		if t.Deployment != pid || aws.ToString(t.Task.DesiredStatus) != "RUNNING" {
			continue
		}
		perProvider[aws.ToString(t.Task.CapacityProviderName)]++
		if len(t.Task.Attachments) > 0 {
			for _, d := range t.Task.Attachments[0].Details {
				if aws.ToString(d.Name) == "subnetId" {
					perSubnet[aws.ToString(d.Value)]++
				}
			}
		}
	}
	var subnets []string
	if nc := primary.NetworkConfiguration; nc != nil && nc.AwsvpcConfiguration != nil {
		subnets = nc.AwsvpcConfiguration.Subnets
	}
	if len(subnets) == 0 {
		subnets = []string{ecsSubnetFor(s.Region + "a")}
	}
	subnet := subnets[0]
	for _, sn := range subnets[1:] {
		if perSubnet[sn] < perSubnet[subnet] {
			subnet = sn
		}
	}
	return &ecsInstance{
		AZ: s.ecsSubnetAZ(subnet),
		CI: types.ContainerInstance{Attributes: []types.Attribute{
			{Name: aws.String("ecs.cpu-architecture"), Value: aws.String("x86_64")},
			{Name: aws.String("ecs.subnet-id"), Value: aws.String(subnet)},
		}},
		fargate: &fargateHost{provider: strategyPick(primary.CapacityProviderStrategy, perProvider)},
	}
}

// strategyPick chooses the provider of the next task: a provider below its
// base first, then the one furthest below its weighted share of the tasks
// above the bases ("" when there is no strategy).
func strategyPick(strat []types.CapacityProviderStrategyItem, have map[string]int) string {
	for _, it := range strat {
		if n := aws.ToString(it.CapacityProvider); have[n] < int(it.Base) {
			return n
		}
	}
	best, bestScore := "", 0.0
	for _, it := range strat {
		if it.Weight <= 0 {
			continue
		}
		n := aws.ToString(it.CapacityProvider)
		score := float64(have[n]-int(it.Base)+1) / float64(it.Weight)
		if best == "" || score < bestScore {
			best, bestScore = n, score
		}
	}
	if best == "" && len(strat) > 0 {
		best = aws.ToString(strat[0].CapacityProvider)
	}
	return best
}

// fargateTaskCreated gives a new task its Fargate shape and starts its
// provisioning (ecsCreateTask made it PROVISIONING with an ENI, as for any
// awsvpc task, and without a container instance).
func (s *Sim) fargateTaskCreated(t *ecsTask, h *fargateHost) {
	t.Task.LaunchType = types.LaunchTypeFargate
	t.Task.ContainerInstanceArn = nil
	if h.provider != "" {
		t.Task.CapacityProviderName = aws.String(h.provider)
	}
	t.Task.PlatformVersion = aws.String(FargatePlatformVersion)
	t.Task.PlatformFamily = aws.String("Linux")
	t.Task.EphemeralStorage = &types.EphemeralStorage{SizeInGiB: 20}
	t.Task.Attributes = []types.Attribute{{Name: aws.String("ecs.cpu-architecture"), Value: aws.String("x86_64")}}
	s.after(s.Timings.TaskStart.D(), evFargateProvisioned, aws.ToString(t.Task.TaskArn))
}

// ecsENIDeleted: a stopped task's network interface is released.
func ecsENIDeleted(t *ecsTask) {
	for i := range t.Task.Attachments {
		if aws.ToString(t.Task.Attachments[i].Type) == "ElasticNetworkInterface" {
			t.Task.Attachments[i].Status = aws.String("DELETED")
		}
	}
}

// ecsCheckCompute validates a CreateService's launch type, capacity
// provider strategy and network configuration against the cluster and the
// task definition, with ECS's messages.
func (s *Sim) ecsCheckCompute(c *ecsCluster, td *ecsTaskDef, in *ecs.CreateServiceInput) error {
	strat := in.CapacityProviderStrategy
	if in.LaunchType != "" && len(strat) > 0 {
		return apiErr("InvalidParameterException", "Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again.")
	}
	switch in.LaunchType {
	case "", types.LaunchTypeEc2, types.LaunchTypeFargate:
	default:
		return apiErr("InvalidParameterException", "The sandbox has no %s capacity; use launch type EC2 or FARGATE.", in.LaunchType)
	}
	fargate := in.LaunchType == types.LaunchTypeFargate
	if len(strat) > 0 {
		var err error
		if fargate, err = checkStrategy(c, strat); err != nil {
			return err
		}
	}
	if !fargate {
		return nil
	}
	if err := fargateTaskDefOK(td); err != nil {
		return err
	}
	if in.SchedulingStrategy == types.SchedulingStrategyDaemon {
		return apiErr("InvalidParameterException", "The daemon scheduling strategy is not supported with the FARGATE launch type.")
	}
	if len(in.PlacementConstraints) > 0 || len(in.PlacementStrategy) > 0 {
		return apiErr("InvalidParameterException", "Placement constraints and strategies are not supported with FARGATE launch type.")
	}
	return awsvpcConfigOK(in.NetworkConfiguration)
}

// ecsCheckComputeUpdate validates an UpdateService of a Fargate service: a
// new task definition must be Fargate-compatible.
func (s *Sim) ecsCheckComputeUpdate(svc *ecsService, td *ecsTaskDef, in *ecs.UpdateServiceInput) error {
	fargate := ecsFargateService(svc)
	if in.CapacityProviderStrategy != nil {
		if len(in.CapacityProviderStrategy) == 0 {
			// Back to a launch type: which one AWS picks is not modelled.
			return apiErr("InvalidParameterException", "The sandbox does not model moving a service from a capacity provider strategy back to a launch type.")
		}
		var err error
		if fargate, err = checkStrategy(s.ecs.Clusters[svc.Cluster], in.CapacityProviderStrategy); err != nil {
			return err
		}
	}
	if !fargate {
		return nil
	}
	if td == nil {
		td = s.ecsLookupTaskDef(aws.ToString(svc.Svc.TaskDefinition))
	}
	if td != nil {
		if err := fargateTaskDefOK(td); err != nil {
			return err
		}
	}
	nc := svc.Svc.NetworkConfiguration
	if in.NetworkConfiguration != nil {
		nc = in.NetworkConfiguration
	}
	return awsvpcConfigOK(nc)
}

// ecsUpdateCompute applies an UpdateService's network configuration
// (a new deployment) and capacity provider strategy. A new strategy "doesn't
// trigger a new service deployment" (UpdateServiceInput doc): the next
// deployment uses it.
func (s *Sim) ecsUpdateCompute(svc *ecsService, in *ecs.UpdateServiceInput) (newDeployment bool) {
	if len(in.CapacityProviderStrategy) > 0 {
		svc.Svc.LaunchType = ""
		svc.Svc.CapacityProviderStrategy = append([]types.CapacityProviderStrategyItem(nil), in.CapacityProviderStrategy...)
		if ecsFargateService(svc) {
			svc.Svc.PlatformVersion, svc.Svc.PlatformFamily = aws.String("LATEST"), aws.String("Linux")
		}
	}
	if in.NetworkConfiguration != nil {
		svc.Svc.NetworkConfiguration = in.NetworkConfiguration
		return true
	}
	return false
}

func checkStrategy(c *ecsCluster, strat []types.CapacityProviderStrategyItem) (fargate bool, err error) {
	if len(strat) > 20 {
		return false, apiErr("InvalidParameterException", "A capacity provider strategy can contain a maximum of 20 capacity providers.")
	}
	bases, kinds := 0, map[bool]bool{}
	for _, it := range strat {
		n := aws.ToString(it.CapacityProvider)
		associated := false
		for _, a := range c.CapacityProviders {
			associated = associated || a == n
		}
		if !associated {
			return false, apiErr("InvalidParameterException", "The specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster. Associate the capacity provider with the cluster or specify a valid capacity provider and try again.")
		}
		if it.Base > 0 {
			bases++
		}
		if it.Weight < 0 || it.Weight > 1000 || it.Base < 0 || it.Base > 100000 {
			return false, apiErr("InvalidParameterException", "Capacity provider weight must be between 0 and 1000 and base between 0 and 100000.")
		}
		kinds[isFargateProvider(n)] = true
	}
	if bases > 1 {
		return false, apiErr("InvalidParameterException", "Only one capacity provider in a capacity provider strategy can have a base defined.")
	}
	if len(kinds) > 1 {
		return false, apiErr("InvalidParameterException", "A capacity provider strategy cannot contain a mix of capacity providers using Auto Scaling groups and Fargate providers. Specify one or the other and try again.")
	}
	return kinds[true], nil
}

func fargateTaskDefOK(td *ecsTaskDef) error {
	if td.TD.NetworkMode != types.NetworkModeAwsvpc {
		return apiErr("InvalidParameterException", "Task definition does not support launch_type FARGATE.")
	}
	for _, c := range td.TD.Compatibilities {
		if c == types.CompatibilityFargate {
			return nil
		}
	}
	return apiErr("InvalidParameterException", "Task definition does not support launch_type FARGATE.")
}

func awsvpcConfigOK(nc *types.NetworkConfiguration) error {
	if nc == nil || nc.AwsvpcConfiguration == nil {
		return apiErr("InvalidParameterException", "Network Configuration must be provided when networkMode 'awsvpc' is specified.")
	}
	if len(nc.AwsvpcConfiguration.Subnets) == 0 {
		return apiErr("InvalidParameterException", "subnets can not be empty.")
	}
	for _, sn := range nc.AwsvpcConfiguration.Subnets {
		if !strings.HasPrefix(sn, "subnet-") {
			return apiErr("InvalidParameterException", "Error retrieving subnet information for [%s]: The subnet ID '%s' is malformed", sn, sn)
		}
	}
	return nil
}

// ecsServiceCompute records a new service's launch type or strategy and
// its network configuration.
func (s *Sim) ecsServiceCompute(svc *ecsService, in *ecs.CreateServiceInput) {
	svc.Svc.NetworkConfiguration = in.NetworkConfiguration
	switch {
	case len(in.CapacityProviderStrategy) > 0:
		svc.Svc.LaunchType = ""
		svc.Svc.CapacityProviderStrategy = append([]types.CapacityProviderStrategyItem(nil), in.CapacityProviderStrategy...)
	case in.LaunchType == types.LaunchTypeFargate:
		svc.Svc.LaunchType = types.LaunchTypeFargate
	}
	if ecsFargateService(svc) {
		svc.Svc.PlatformVersion = aws.String("LATEST")
		svc.Svc.PlatformFamily = aws.String("Linux")
	}
}

// ecsDeploymentCompute gives a new deployment the service's launch type or
// strategy (a strategy deployment has no launch type) and, on Fargate, the
// platform version LATEST resolved to.
func ecsDeploymentCompute(svc *ecsService, d *types.Deployment) {
	d.LaunchType = svc.Svc.LaunchType
	if len(svc.Svc.CapacityProviderStrategy) > 0 {
		d.CapacityProviderStrategy = append([]types.CapacityProviderStrategyItem(nil), svc.Svc.CapacityProviderStrategy...)
	}
	d.NetworkConfiguration = svc.Svc.NetworkConfiguration
	if ecsFargateService(svc) {
		d.PlatformVersion = aws.String(FargatePlatformVersion)
		d.PlatformFamily = aws.String("Linux")
	}
}

// ecsLoadCompute fills a world service's CreateService input with its
// launch type, strategy and (awsvpc) network configuration.
func (s *Sim) ecsLoadCompute(c *ecsCluster, ss ServiceSpec, in *ecs.CreateServiceInput) {
	if ss.LaunchType != "" {
		in.LaunchType = types.LaunchType(ss.LaunchType)
	}
	for _, it := range ss.CapacityProviderStrategy {
		in.CapacityProviderStrategy = append(in.CapacityProviderStrategy, types.CapacityProviderStrategyItem{
			CapacityProvider: aws.String(it.Provider), Weight: int32(it.Weight), Base: int32(it.Base)})
	}
	if ss.NetworkMode == "awsvpc" {
		var subnets []string
		for _, az := range s.ec2.AZs {
			subnets = append(subnets, ecsSubnetFor(az))
		}
		in.NetworkConfiguration = &types.NetworkConfiguration{AwsvpcConfiguration: &types.AwsVpcConfiguration{
			Subnets: subnets, SecurityGroups: []string{s.ecsSecurityGroupFor(c.Name, ss.Name)}, AssignPublicIp: types.AssignPublicIpDisabled}}
	}
}

// ecsLoadClusterProviders associates the Fargate providers a world cluster names.
func (s *Sim) ecsLoadClusterProviders(cs ClusterSpec) error {
	c := s.ecs.Clusters[cs.Name]
	for _, n := range cs.CapacityProviders {
		if !isFargateProvider(n) {
			return fmt.Errorf("cluster %q: capacity provider %q: only FARGATE and FARGATE_SPOT are associated by name (an ASG's provider comes with its group)", cs.Name, n)
		}
		dup := false
		for _, a := range c.CapacityProviders {
			dup = dup || a == n
		}
		if !dup {
			c.CapacityProviders = append(c.CapacityProviders, n)
		}
	}
	return nil
}

// ecsLoadFargateFamily marks a Fargate world service's revisions as
// requiring FARGATE, as a family registered for Fargate is.
func (s *Sim) ecsLoadFargateFamily(family string, ss ServiceSpec) {
	fargate := ss.LaunchType == "FARGATE"
	for _, it := range ss.CapacityProviderStrategy {
		fargate = fargate || isFargateProvider(it.Provider)
	}
	if !fargate || s.ecs.Families[family] == nil {
		return
	}
	for _, td := range s.ecs.Families[family].Revisions {
		td.TD.RequiresCompatibilities = []types.Compatibility{types.CompatibilityFargate}
	}
}

// fargateRegisterOK refuses a task definition that requires FARGATE without
// what Fargate needs, with ECS's ClientException messages (the cpu one as
// users report it, e.g. mongodb/terraform-aws-ecs-task-definition#38).
func fargateRegisterOK(in *ecs.RegisterTaskDefinitionInput) error {
	wants := false
	for _, c := range in.RequiresCompatibilities {
		wants = wants || c == types.CompatibilityFargate
	}
	switch {
	case !wants:
		return nil
	case in.NetworkMode != types.NetworkModeAwsvpc:
		return apiErr("ClientException", "Fargate only supports network mode 'awsvpc'.")
	case aws.ToString(in.Cpu) == "":
		return apiErr("ClientException", "Fargate requires that 'cpu' be defined at the task level.")
	case aws.ToString(in.Memory) == "":
		return apiErr("ClientException", "Fargate requires that 'memory' be defined at the task level.")
	}
	return nil
}
