package sim

import (
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

func init() {
	register(SvcECS, "CreateService", (*Sim).ecsCreateService)
	register(SvcECS, "UpdateService", (*Sim).ecsUpdateService)
	register(SvcECS, "DeleteService", (*Sim).ecsDeleteService)
	register(SvcECS, "ListServices", (*Sim).ecsListServices)
	register(SvcECS, "DescribeServices", (*Sim).ecsDescribeServices)
}

// ecsServiceByArn finds a service by its long ARN.
func (s *Sim) ecsServiceByArn(arn string) *ecsService {
	i := strings.Index(arn, ":service/")
	if i < 0 {
		return nil
	}
	cl, name, ok := strings.Cut(arn[i+len(":service/"):], "/")
	if !ok {
		return nil
	}
	c := s.ecs.Clusters[cl]
	if c == nil {
		return nil
	}
	return c.Services[name]
}

// ecsGetService resolves a service name or ARN in c.
func (s *Sim) ecsGetService(c *ecsCluster, ref string) (*ecsService, error) {
	if cl := ecsArnCluster(ref); cl != "" && cl != c.Name {
		return nil, apiErr("ServiceNotFoundException", "Service not found.")
	}
	svc := c.Services[lastPart(ref)]
	if svc == nil {
		return nil, apiErr("ServiceNotFoundException", "Service not found.")
	}
	return svc, nil
}

// ecsEvent adds a service event (newest first, 100 kept).
func (s *Sim) ecsEvent(svc *ecsService, msg string) {
	ev := types.ServiceEvent{Id: aws.String(s.newID("uuid")), CreatedAt: aws.Time(s.Now()), Message: aws.String(msg + ".")}
	if strings.HasSuffix(msg, ".") {
		ev.Message = aws.String(msg)
	}
	evs := append([]types.ServiceEvent{ev}, svc.Svc.Events...)
	if len(evs) > 100 {
		evs = evs[:100]
	}
	svc.Svc.Events = evs
}

func (s *Sim) ecsSvcName(svc *ecsService) string { return aws.ToString(svc.Svc.ServiceName) }

func percents(svc *ecsService) (minP, maxP int) {
	minP, maxP = 100, 200
	if dc := svc.Svc.DeploymentConfiguration; dc != nil {
		if dc.MinimumHealthyPercent != nil {
			minP = int(*dc.MinimumHealthyPercent)
		}
		if dc.MaximumPercent != nil {
			maxP = int(*dc.MaximumPercent)
		}
	}
	return minP, maxP
}

// ecsNewDeployment makes tdArn the service's new PRIMARY deployment; the
// previous PRIMARY becomes ACTIVE and is scaled down by the scheduler. ECS
// records it as a new service deployment.
func (s *Sim) ecsNewDeployment(svc *ecsService, tdArn string) *types.Deployment {
	d := s.ecsNewDeploymentRaw(svc, tdArn)
	s.sdOnNewDeployment(svc, d)
	return d
}

// ecsNewDeploymentRaw starts a deployment that belongs to a service
// deployment already recorded (a rollback).
func (s *Sim) ecsNewDeploymentRaw(svc *ecsService, tdArn string) *types.Deployment {
	now := s.Now()
	for i := range svc.Svc.Deployments {
		if aws.ToString(svc.Svc.Deployments[i].Status) == "PRIMARY" {
			svc.Svc.Deployments[i].Status = aws.String("ACTIVE")
			svc.Svc.Deployments[i].UpdatedAt = aws.Time(now)
		}
	}
	id := s.newID("deployment")
	d := types.Deployment{
		Id: aws.String(id), Status: aws.String("PRIMARY"), TaskDefinition: aws.String(tdArn),
		DesiredCount: svc.Svc.DesiredCount, CreatedAt: aws.Time(now), UpdatedAt: aws.Time(now),
		LaunchType: types.LaunchTypeEc2, RolloutState: types.DeploymentRolloutStateInProgress,
		RolloutStateReason: aws.String("ECS deployment " + id + " in progress."),
	}
	ecsDeploymentCompute(svc, &d)
	svc.Svc.Deployments = append([]types.Deployment{d}, svc.Svc.Deployments...)
	svc.Svc.TaskDefinition = aws.String(tdArn)
	svc.Steady = false
	s.rec.timeline(now, "deployment-created", svc.Cluster+"/"+s.ecsSvcName(svc)+": "+id+" "+lastPart(tdArn))
	s.ecsKickService(svc)
	return &svc.Svc.Deployments[0]
}

func validateDeploymentConfig(dc *types.DeploymentConfiguration, daemon bool) error {
	if dc == nil {
		return nil
	}
	if dc.MinimumHealthyPercent != nil && (*dc.MinimumHealthyPercent < 0 || *dc.MinimumHealthyPercent > 100) {
		return apiErr("InvalidParameterException", "minimumHealthyPercent must be between 0 and 100.")
	}
	if dc.MaximumPercent != nil && !daemon && *dc.MaximumPercent < 100 {
		return apiErr("InvalidParameterException", "maximumPercent must be at least 100.")
	}
	return nil
}

func (s *Sim) ecsCheckLoadBalancers(td *ecsTaskDef, lbs []types.LoadBalancer) error {
	if len(lbs) > 5 {
		return apiErr("InvalidParameterException", "loadBalancers can have at most 5 items.")
	}
	for _, lb := range lbs {
		tg := s.elb.TargetGroups[aws.ToString(lb.TargetGroupArn)]
		if tg == nil {
			return apiErr("InvalidParameterException", "Unable to assume role and validate the specified targetGroupArn. Please verify that the ECS service role being passed has the proper permissions.")
		}
		if awsvpc, ip := td.TD.NetworkMode == types.NetworkModeAwsvpc, tg.TG.TargetType == "ip"; awsvpc != ip {
			return apiErr("InvalidParameterException", "The provided target group %s has target type %s, which is incompatible with the %s network mode specified in the task definition.",
				aws.ToString(lb.TargetGroupArn), tg.TG.TargetType, td.TD.NetworkMode)
		}
		found := false
		for _, c := range td.TD.ContainerDefinitions {
			if aws.ToString(c.Name) != aws.ToString(lb.ContainerName) {
				continue
			}
			for _, pm := range c.PortMappings {
				found = found || aws.ToInt32(pm.ContainerPort) == aws.ToInt32(lb.ContainerPort)
			}
		}
		if !found {
			return apiErr("InvalidParameterException", "The container %s did not have a container port %d defined.", aws.ToString(lb.ContainerName), aws.ToInt32(lb.ContainerPort))
		}
	}
	return nil
}

func (s *Sim) ecsCreateService(in *ecs.CreateServiceInput) (*ecs.CreateServiceOutput, error) {
	c, err := s.ecsGetCluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	name := aws.ToString(in.ServiceName)
	if !validName(name, 255) {
		return nil, apiErr("InvalidParameterException", "Service name can have up to 255 characters: letters (uppercase and lowercase), numbers, underscores and hyphens.")
	}
	if old := c.Services[name]; old != nil {
		switch aws.ToString(old.Svc.Status) {
		case "ACTIVE":
			return nil, apiErr("InvalidParameterException", "Creation of service was not idempotent.")
		case "DRAINING":
			return nil, apiErr("InvalidParameterException", "Unable to Start a service that is still Draining.")
		}
	}
	td := s.ecsLookupTaskDef(aws.ToString(in.TaskDefinition))
	if td == nil || td.TD.Status != types.TaskDefinitionStatusActive {
		return nil, apiErr("ClientException", "TaskDefinition not found.")
	}
	if err := s.ecsCheckCompute(c, td, in); err != nil {
		return nil, err
	}
	daemon := in.SchedulingStrategy == types.SchedulingStrategyDaemon
	if !daemon && in.DesiredCount == nil {
		return nil, apiErr("InvalidParameterException", "Desired count is required for the REPLICA scheduling strategy.")
	}
	if aws.ToInt32(in.DesiredCount) < 0 {
		return nil, apiErr("InvalidParameterException", "Desired count must be 0 or greater.")
	}
	if err := validateDeploymentConfig(in.DeploymentConfiguration, daemon); err != nil {
		return nil, err
	}
	if err := validateStrategyConfig(in.DeploymentConfiguration, in.LoadBalancers); err != nil {
		return nil, err
	}
	if err := s.ecsCheckLoadBalancers(td, in.LoadBalancers); err != nil {
		return nil, err
	}
	if req := s.ecsPlaceReq(td, in.PlacementConstraints, nil); req.err != nil {
		return nil, req.err
	}
	if err := validateStrategy(in.PlacementStrategy); err != nil {
		return nil, err
	}
	svc := s.ecsNewService(c, name, td, in)
	v := s.ecsServiceView(svc, false)
	return &ecs.CreateServiceOutput{Service: &v}, nil
}

// ecsNewService creates the service with its first (PRIMARY) deployment.
func (s *Sim) ecsNewService(c *ecsCluster, name string, td *ecsTaskDef, in *ecs.CreateServiceInput) *ecsService {
	dc := &types.DeploymentConfiguration{MaximumPercent: aws.Int32(200), MinimumHealthyPercent: aws.Int32(100),
		DeploymentCircuitBreaker: &types.DeploymentCircuitBreaker{}}
	strategy := in.SchedulingStrategy
	if strategy == "" {
		strategy = types.SchedulingStrategyReplica
	}
	if strategy == types.SchedulingStrategyDaemon {
		dc.MaximumPercent, dc.MinimumHealthyPercent = aws.Int32(100), aws.Int32(0)
	}
	ecsApplyDeploymentConfig(dc, in.DeploymentConfiguration)
	controller := &types.DeploymentController{Type: types.DeploymentControllerTypeEcs}
	if in.DeploymentController != nil && in.DeploymentController.Type != "" {
		controller = &types.DeploymentController{Type: in.DeploymentController.Type}
	}
	now := s.Now()
	svc := &ecsService{Cluster: c.Name, Svc: types.Service{
		ServiceArn: aws.String(s.arn("ecs", "service/"+c.Name+"/"+name)), ServiceName: aws.String(name),
		ClusterArn: aws.String(c.Arn), Status: aws.String("ACTIVE"), DesiredCount: aws.ToInt32(in.DesiredCount),
		LaunchType: types.LaunchTypeEc2, TaskDefinition: td.TD.TaskDefinitionArn, DeploymentConfiguration: dc,
		CreatedAt: aws.Time(now), CreatedBy: aws.String("arn:aws:iam::" + s.AccountID + ":role/ecsctl-sandbox"),
		PlacementConstraints: nonNilSlice(in.PlacementConstraints), PlacementStrategy: nonNilSlice(in.PlacementStrategy),
		SchedulingStrategy: strategy, DeploymentController: controller,
		EnableECSManagedTags: in.EnableECSManagedTags, EnableExecuteCommand: in.EnableExecuteCommand, PropagateTags: in.PropagateTags,
		Tags: copyTags(in.Tags), HealthCheckGracePeriodSeconds: in.HealthCheckGracePeriodSeconds,
		LoadBalancers: nonNilSlice(in.LoadBalancers), ServiceRegistries: []types.ServiceRegistry{}, Events: []types.ServiceEvent{},
	}}
	if len(in.LoadBalancers) > 0 {
		svc.Svc.RoleArn = aws.String("arn:aws:iam::" + s.AccountID + ":role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS")
		if svc.Svc.HealthCheckGracePeriodSeconds == nil {
			svc.Svc.HealthCheckGracePeriodSeconds = aws.Int32(0)
		}
	}
	if strategy == types.SchedulingStrategyDaemon {
		svc.Svc.DesiredCount = int32(s.ecsDaemonTarget(c))
	}
	s.ecsServiceCompute(svc, in)
	c.Services[name] = svc
	s.ecsNewDeployment(svc, aws.ToString(td.TD.TaskDefinitionArn))
	return svc
}

// ecsApplyDeploymentConfig copies onto a service's deployment configuration
// the members a CreateService or UpdateService request sets (a new service's
// starts from the defaults, which have no alarms).
func ecsApplyDeploymentConfig(dc, u *types.DeploymentConfiguration) {
	if u == nil {
		return
	}
	if u.MaximumPercent != nil {
		dc.MaximumPercent = u.MaximumPercent
	}
	if u.MinimumHealthyPercent != nil {
		dc.MinimumHealthyPercent = u.MinimumHealthyPercent
	}
	if u.DeploymentCircuitBreaker != nil {
		cb := *u.DeploymentCircuitBreaker
		dc.DeploymentCircuitBreaker = &cb
	}
	if u.Alarms != nil {
		dc.Alarms = u.Alarms
	}
	ecsApplyStrategyConfig(dc, u)
}

func nonNilSlice[T any](a []T) []T {
	if a == nil {
		return []T{}
	}
	return append(make([]T, 0, len(a)), a...)
}

// ecsActiveService is the prologue of UpdateService and DeleteService: the
// service, in its cluster, which must be ACTIVE.
func (s *Sim) ecsActiveService(cluster, service *string) (*ecsService, error) {
	c, err := s.ecsGetCluster(cluster)
	if err != nil {
		return nil, err
	}
	svc, err := s.ecsGetService(c, aws.ToString(service))
	if err != nil {
		return nil, err
	}
	if aws.ToString(svc.Svc.Status) != "ACTIVE" {
		return nil, apiErr("ServiceNotActiveException", "Service was not ACTIVE.")
	}
	return svc, nil
}

func (s *Sim) ecsUpdateService(in *ecs.UpdateServiceInput) (*ecs.UpdateServiceOutput, error) {
	svc, err := s.ecsActiveService(in.Cluster, in.Service)
	if err != nil {
		return nil, err
	}
	td, err := s.ecsUpdateServiceChecks(svc, in)
	if err != nil {
		return nil, err
	}
	newDeployment := in.ForceNewDeployment
	if td != nil && aws.ToString(td.TD.TaskDefinitionArn) != aws.ToString(svc.Svc.Deployments[0].TaskDefinition) {
		newDeployment = true
	}
	if ecsApplyServiceUpdate(svc, in) {
		newDeployment = true
	}
	if s.ecsUpdateCompute(svc, in) {
		newDeployment = true
	}
	if newDeployment {
		tdArn := aws.ToString(svc.Svc.TaskDefinition)
		if td != nil {
			tdArn = aws.ToString(td.TD.TaskDefinitionArn)
		}
		s.ecsNewDeployment(svc, tdArn)
	}
	s.ecsKickService(svc)
	v := s.ecsServiceView(svc, false)
	return &ecs.UpdateServiceOutput{Service: &v}, nil
}

// ecsUpdateServiceChecks validates an update before anything changes; td
// is the new task definition (nil: unchanged).
func (s *Sim) ecsUpdateServiceChecks(svc *ecsService, in *ecs.UpdateServiceInput) (*ecsTaskDef, error) {
	daemon := svc.Svc.SchedulingStrategy == types.SchedulingStrategyDaemon
	if in.TaskDefinition != nil {
		if err := ecsControllerUpdateErr(svc); err != nil {
			return nil, err
		}
	}
	if err := validateStrategyConfig(in.DeploymentConfiguration, svc.Svc.LoadBalancers); err != nil {
		return nil, err
	}
	var td *ecsTaskDef
	if in.TaskDefinition != nil {
		if td = s.ecsLookupTaskDef(*in.TaskDefinition); td == nil || td.TD.Status != types.TaskDefinitionStatusActive {
			return nil, apiErr("ClientException", "TaskDefinition not found.")
		}
	}
	if in.DesiredCount != nil {
		if *in.DesiredCount < 0 {
			return nil, apiErr("InvalidParameterException", "Desired count must be 0 or greater.")
		}
		if daemon {
			return nil, apiErr("InvalidParameterException", "The daemon scheduling strategy does not support a desired count for services.")
		}
	}
	if err := validateDeploymentConfig(in.DeploymentConfiguration, daemon); err != nil {
		return nil, err
	}
	if err := s.ecsCheckComputeUpdate(svc, td, in); err != nil {
		return nil, err
	}
	curTD := s.ecsLookupTaskDef(aws.ToString(svc.Svc.TaskDefinition))
	if td != nil {
		curTD = td
	}
	if in.LoadBalancers != nil && curTD != nil {
		if err := s.ecsCheckLoadBalancers(curTD, in.LoadBalancers); err != nil {
			return nil, err
		}
	}
	if in.PlacementConstraints != nil && curTD != nil {
		if req := s.ecsPlaceReq(curTD, in.PlacementConstraints, nil); req.err != nil {
			return nil, req.err
		}
	}
	if err := validateStrategy(in.PlacementStrategy); err != nil {
		return nil, err
	}
	return td, nil
}

// ecsApplyServiceUpdate applies a validated update's settings (not the
// task definition or compute). It reports whether one of them (placement,
// load balancers) needs a new deployment.
func ecsApplyServiceUpdate(svc *ecsService, in *ecs.UpdateServiceInput) bool {
	newDeployment := false
	if in.DesiredCount != nil {
		svc.Svc.DesiredCount = *in.DesiredCount
		svc.Svc.Deployments[0].DesiredCount = *in.DesiredCount
		svc.Steady = false
	}
	ecsApplyDeploymentConfig(svc.Svc.DeploymentConfiguration, in.DeploymentConfiguration)
	if in.PlacementConstraints != nil {
		svc.Svc.PlacementConstraints = nonNilSlice(in.PlacementConstraints)
		newDeployment = true
	}
	if in.PlacementStrategy != nil {
		svc.Svc.PlacementStrategy = nonNilSlice(in.PlacementStrategy)
		newDeployment = true
	}
	if in.LoadBalancers != nil {
		svc.Svc.LoadBalancers = nonNilSlice(in.LoadBalancers)
		newDeployment = true
	}
	if in.HealthCheckGracePeriodSeconds != nil {
		svc.Svc.HealthCheckGracePeriodSeconds = in.HealthCheckGracePeriodSeconds
	}
	if in.EnableExecuteCommand != nil {
		svc.Svc.EnableExecuteCommand = *in.EnableExecuteCommand
	}
	if in.PropagateTags != "" {
		svc.Svc.PropagateTags = in.PropagateTags
	}
	return newDeployment
}

func (s *Sim) ecsDeleteService(in *ecs.DeleteServiceInput) (*ecs.DeleteServiceOutput, error) {
	svc, err := s.ecsActiveService(in.Cluster, in.Service)
	if err != nil {
		return nil, err
	}
	if svc.Svc.DesiredCount > 0 && svc.Svc.SchedulingStrategy != types.SchedulingStrategyDaemon && !aws.ToBool(in.Force) {
		return nil, apiErr("InvalidParameterException", "The service cannot be stopped while it is scaled above 0.")
	}
	svc.Svc.Status = aws.String("DRAINING")
	svc.Svc.DesiredCount = 0
	svc.Svc.Deployments[0].DesiredCount = 0
	s.ecsKickService(svc)
	v := s.ecsServiceView(svc, false)
	return &ecs.DeleteServiceOutput{Service: &v}, nil
}

func (s *Sim) ecsListServices(in *ecs.ListServicesInput) (*ecs.ListServicesOutput, error) {
	c, err := s.ecsGetCluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	var arns []string
	for _, name := range sortedKeys(c.Services) {
		svc := c.Services[name]
		if aws.ToString(svc.Svc.Status) == "INACTIVE" {
			continue
		}
		if in.LaunchType != "" && in.LaunchType != svc.Svc.LaunchType {
			continue
		}
		if in.SchedulingStrategy != "" && in.SchedulingStrategy != svc.Svc.SchedulingStrategy {
			continue
		}
		arns = append(arns, aws.ToString(svc.Svc.ServiceArn))
	}
	page, next, err := s.ecsPageN(arns, in.NextToken, in.MaxResults, 100, 10)
	if err != nil {
		return nil, err
	}
	return &ecs.ListServicesOutput{ServiceArns: nonNil(page), NextToken: next}, nil
}

func (s *Sim) ecsDescribeServices(in *ecs.DescribeServicesInput) (*ecs.DescribeServicesOutput, error) {
	c, err := s.ecsGetCluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	if err := ecsBatch("Services", len(in.Services), 10); err != nil {
		return nil, err
	}
	out := &ecs.DescribeServicesOutput{Services: []types.Service{}, Failures: []types.Failure{}}
	tags := hasField(in.Include, "TAGS")
	for _, r := range in.Services {
		svc, err := s.ecsGetService(c, r)
		if err != nil {
			arn := r
			if !strings.HasPrefix(r, "arn:") {
				arn = s.arn("ecs", "service/"+c.Name+"/"+r)
			}
			out.Failures = append(out.Failures, types.Failure{Arn: aws.String(arn), Reason: aws.String("MISSING")})
			continue
		}
		out.Services = append(out.Services, s.ecsServiceView(svc, tags))
	}
	return out, nil
}

// ecsServiceView renders a service with fresh counts.
func (s *Sim) ecsServiceView(svc *ecsService, tags bool) types.Service {
	s.ecsCount(svc)
	v := svc.Svc
	v.Deployments = append([]types.Deployment(nil), svc.Svc.Deployments...)
	v.Events = append([]types.ServiceEvent{}, svc.Svc.Events...)
	v.LoadBalancers = nonNilSlice(svc.Svc.LoadBalancers)
	v.PlacementConstraints = nonNilSlice(svc.Svc.PlacementConstraints)
	v.PlacementStrategy = nonNilSlice(svc.Svc.PlacementStrategy)
	if sdStrategy(svc) == "-" {
		// Services of the CODE_DEPLOY and EXTERNAL controllers show task
		// sets and an empty deployments list (as aws/copilot-cli#1061
		// records of DescribeServices).
		v.TaskSets = s.ecsTaskSets(svc)
		v.Deployments = []types.Deployment{}
	} else if sd := sdCurrent(svc); sd != nil {
		v.CurrentServiceDeployment = sd.SD.ServiceDeploymentArn
	}
	if dc := svc.Svc.DeploymentConfiguration; dc != nil {
		cp := *dc
		if dc.DeploymentCircuitBreaker != nil {
			cb := *dc.DeploymentCircuitBreaker
			cp.DeploymentCircuitBreaker = &cb
		}
		v.DeploymentConfiguration = &cp
	}
	if tags {
		v.Tags = copyTags(svc.Svc.Tags)
		if v.Tags == nil {
			v.Tags = []types.Tag{}
		}
	} else {
		v.Tags = nil
	}
	return v
}

// ecsServiceTasks lists a service's tasks (any status) in creation order.
func (s *Sim) ecsServiceTasks(svc *ecsService) []*ecsTask {
	set := s.ecs.svcTasks[aws.ToString(svc.Svc.ServiceArn)]
	tasks := make([]*ecsTask, 0, len(set))
	for a := range set {
		if t := s.ecs.Tasks[a]; t != nil {
			tasks = append(tasks, t)
		}
	}
	sort.Slice(tasks, func(i, j int) bool {
		a, b := aws.ToTime(tasks[i].Task.CreatedAt), aws.ToTime(tasks[j].Task.CreatedAt)
		if !a.Equal(b) {
			return a.Before(b)
		}
		return aws.ToString(tasks[i].Task.TaskArn) < aws.ToString(tasks[j].Task.TaskArn)
	})
	return tasks
}

// ecsCount refreshes the running/pending counts of a service and its deployments.
func (s *Sim) ecsCount(svc *ecsService) {
	type cnt struct{ running, pending, active int32 }
	per := map[string]*cnt{}
	var running, pending int32
	for _, t := range s.ecsServiceTasks(svc) {
		c := per[t.Deployment]
		if c == nil {
			c = &cnt{}
			per[t.Deployment] = c
		}
		ls, ds := aws.ToString(t.Task.LastStatus), aws.ToString(t.Task.DesiredStatus)
		if ls == "RUNNING" {
			running++
			if ds == "RUNNING" {
				c.running++
			}
		}
		if ds == "RUNNING" {
			c.active++
			if ls == "PENDING" || ls == "PROVISIONING" || ls == "ACTIVATING" {
				pending++
				c.pending++
			}
		}
	}
	svc.Svc.RunningCount, svc.Svc.PendingCount = running, pending
	for i := range svc.Svc.Deployments {
		d := &svc.Svc.Deployments[i]
		c := per[aws.ToString(d.Id)]
		if c == nil {
			c = &cnt{}
		}
		d.RunningCount, d.PendingCount = c.running, c.pending
		if i == 0 {
			d.DesiredCount = svc.Svc.DesiredCount
		} else {
			d.DesiredCount = c.active
		}
	}
}
