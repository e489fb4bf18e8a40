package sim

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// The ECS part of a world: clusters (their instances were registered by the
// EC2 side, which loads first), capacity providers of the groups that
// declare one, task definition families with their older revisions,
// services already steady with RUNNING tasks placed as the scheduler would,
// target groups of load-balanced services, and standalone tasks.

func init() {
	registerWorldLoader(loadOrderECS, "ecs", (*Sim).ecsLoadWorld)
}

func (s *Sim) ecsLoadWorld(w *World) error {
	names := map[string]bool{}
	for _, cs := range w.Clusters {
		if !validName(cs.Name, 255) {
			return fmt.Errorf("cluster %q: invalid name (letters, digits, - and _)", cs.Name)
		}
		if names[cs.Name] {
			return fmt.Errorf("cluster %q listed twice", cs.Name)
		}
		names[cs.Name] = true
		if c := s.ecs.Clusters[cs.Name]; c != nil {
			c.Tags = tagsFromMap(cs.Tags)
			continue
		}
		s.ecsNewCluster(cs.Name, tagsFromMap(cs.Tags))
	}
	if err := s.ecsLoadCapacityProviders(w); err != nil {
		return err
	}
	for _, cs := range w.Clusters {
		if err := s.ecsLoadClusterProviders(cs); err != nil {
			return err
		}
	}
	for _, cs := range w.Clusters {
		c := s.ecs.Clusters[cs.Name]
		seen := map[string]bool{}
		for _, ss := range cs.Services {
			if seen[ss.Name] {
				return fmt.Errorf("cluster %q: service %q listed twice", cs.Name, ss.Name)
			}
			seen[ss.Name] = true
			if err := s.ecsLoadService(c, ss); err != nil {
				return fmt.Errorf("cluster %q: service %q: %w", cs.Name, ss.Name, err)
			}
		}
		for i, ts := range cs.Tasks {
			if err := s.ecsLoadStandalone(c, ts); err != nil {
				return fmt.Errorf("cluster %q: tasks[%d]: %w", cs.Name, i, err)
			}
		}
	}
	return nil
}

// asgARN is the ARN ECS shows for an Auto Scaling group. The group's UUID is
// derived from its name so that both sides of the sandbox can build it.
func (s *Sim) asgARN(name string) string {
	h := fnvHex(name, 32)
	uuid := h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
	return "arn:aws:autoscaling:" + s.Region + ":" + s.AccountID + ":autoScalingGroup:" + uuid + ":autoScalingGroupName/" + name
}

func fnvHex(key string, n int) string {
	var out string
	for i := 0; len(out) < n; i++ {
		out += fmt.Sprintf("%016x", fnv64(key+"#"+strconv.Itoa(i)))
	}
	return out[:n]
}

func (s *Sim) ecsLoadCapacityProviders(w *World) error {
	for _, g := range w.AutoScalingGroups {
		cp := g.CapacityProvider
		if cp == nil {
			continue
		}
		cluster := ""
		for _, lt := range w.LaunchTemplates {
			if lt.Name != g.LaunchTemplate || len(lt.Versions) == 0 {
				continue
			}
			v := lt.DefaultVersion
			switch g.Version {
			case "$Latest":
				v = len(lt.Versions)
			case "", "$Default":
			default:
				if n, err := strconv.Atoi(g.Version); err == nil {
					v = n
				}
			}
			if v < 1 || v > len(lt.Versions) {
				v = 1
			}
			cluster = lt.Versions[v-1].Cluster
		}
		c := s.ecs.Clusters[cluster]
		if c == nil {
			return fmt.Errorf("capacity provider %q: group %q launches into cluster %q, which the world does not define", cp.Name, g.Name, cluster)
		}
		if !validName(cp.Name, 255) || strings.HasPrefix(strings.ToLower(cp.Name), "aws") || strings.HasPrefix(strings.ToLower(cp.Name), "ecs") || strings.HasPrefix(strings.ToLower(cp.Name), "fargate") {
			return fmt.Errorf("capacity provider %q: invalid name (letters, digits, - and _; not starting with aws, ecs or fargate)", cp.Name)
		}
		ms := &types.ManagedScaling{Status: types.ManagedScalingStatusDisabled, TargetCapacity: aws.Int32(100),
			MinimumScalingStepSize: aws.Int32(1), MaximumScalingStepSize: aws.Int32(10000), InstanceWarmupPeriod: aws.Int32(300)}
		if cp.ManagedScaling {
			ms.Status = types.ManagedScalingStatusEnabled
		}
		if cp.TargetCapacity > 0 {
			ms.TargetCapacity = aws.Int32(int32(cp.TargetCapacity))
		}
		mtp := types.ManagedTerminationProtectionDisabled
		if cp.ManagedTerminationProtection {
			mtp = types.ManagedTerminationProtectionEnabled
		}
		s.ecs.CapacityProviders[cp.Name] = &types.CapacityProvider{
			Name: aws.String(cp.Name), CapacityProviderArn: aws.String(s.arn("ecs", "capacity-provider/"+cp.Name)),
			Status: types.CapacityProviderStatusActive, Type: types.CapacityProviderTypeEc2Autoscaling,
			AutoScalingGroupProvider: &types.AutoScalingGroupProvider{AutoScalingGroupArn: aws.String(s.asgARN(g.Name)),
				ManagedScaling: ms, ManagedTerminationProtection: mtp, ManagedDraining: types.ManagedDrainingEnabled},
			Tags: []types.Tag{},
		}
		c.CapacityProviders = append(c.CapacityProviders, cp.Name)
		for _, a := range c.Instances {
			if in := s.ecs.Instances[a]; in.ASGName == g.Name {
				in.CI.CapacityProviderName = aws.String(cp.Name)
			}
		}
	}
	return nil
}

// ecsContainerDefs builds container definitions from the world's spec;
// tagSuffix != "" marks an older revision (its images carry another tag).
func (s *Sim) ecsContainerDefs(cluster, group string, specs []ContainerSpec, taskMem int, tagSuffix string, awsvpcOrHost bool) ([]types.ContainerDefinition, error) {
	if len(specs) == 0 {
		return nil, fmt.Errorf("no containers")
	}
	var defs []types.ContainerDefinition
	for _, c := range specs {
		if c.Name == "" || c.Image == "" {
			return nil, fmt.Errorf("container needs a name and an image")
		}
		img := s.FullImage(c.Image)
		if tagSuffix != "" {
			if tag := imageTag(img); tag != "" {
				img = img[:len(img)-len(tag)] + tag + tagSuffix
			}
		}
		d := types.ContainerDefinition{
			Name: aws.String(c.Name), Image: aws.String(img), Essential: aws.Bool(c.IsEssential()), Cpu: int32(c.CPU),
			Environment: []types.KeyValuePair{}, MountPoints: []types.MountPoint{}, VolumesFrom: []types.VolumeFrom{},
			PortMappings: []types.PortMapping{}, SystemControls: []types.SystemControl{},
		}
		if c.Memory > 0 {
			d.Memory = aws.Int32(int32(c.Memory))
		} else if taskMem == 0 {
			d.MemoryReservation = aws.Int32(128)
		}
		for _, p := range c.Ports {
			pm := types.PortMapping{ContainerPort: aws.Int32(int32(p)), HostPort: aws.Int32(0), Protocol: types.TransportProtocolTcp}
			if awsvpcOrHost {
				pm.HostPort = aws.Int32(int32(p))
			}
			d.PortMappings = append(d.PortMappings, pm)
		}
		for _, k := range sortedKeys(c.Environment) {
			d.Environment = append(d.Environment, types.KeyValuePair{Name: aws.String(k), Value: aws.String(c.Environment[k])})
		}
		for _, k := range sortedKeys(c.Secrets) {
			d.Secrets = append(d.Secrets, types.Secret{Name: aws.String(k), ValueFrom: aws.String(c.Secrets[k])})
		}
		for _, dep := range c.DependsOn {
			d.DependsOn = append(d.DependsOn, types.ContainerDependency{ContainerName: aws.String(dep), Condition: types.ContainerConditionStart})
		}
		switch drv := c.LogDriverOrDefault(); drv {
		case "none":
		case "awslogs":
			d.LogConfiguration = &types.LogConfiguration{LogDriver: types.LogDriverAwslogs, Options: map[string]string{
				"awslogs-group": c.LogGroupFor(cluster, group), "awslogs-region": s.Region,
				"awslogs-stream-prefix": c.StreamPrefixOrDefault(),
			}, SecretOptions: []types.Secret{}}
		default:
			d.LogConfiguration = &types.LogConfiguration{LogDriver: types.LogDriver(drv), Options: map[string]string{}, SecretOptions: []types.Secret{}}
		}
		defs = append(defs, d)
	}
	return defs, nil
}

// ecsLoadFamily registers revisions of family up to rev (keeping existing ones).
func (s *Sim) ecsLoadFamily(cluster, group, family string, rev int, specs []ContainerSpec, cpu, mem int, netMode, taskRole, execRole string, tags map[string]string) (*ecsTaskDef, error) {
	if rev < 1 {
		rev = 1
	}
	nm := types.NetworkMode(netMode)
	switch nm {
	case "":
		nm = types.NetworkModeBridge
	case types.NetworkModeBridge, types.NetworkModeHost, types.NetworkModeAwsvpc:
	default:
		return nil, fmt.Errorf("networkMode %q: want bridge, host or awsvpc", netMode)
	}
	if execRole == "" {
		execRole = "arn:aws:iam::" + s.AccountID + ":role/ecsTaskExecutionRole"
	}
	f := s.ecs.Families[family]
	for f == nil || len(f.Revisions) < rev {
		n := 1
		if f != nil {
			n = len(f.Revisions) + 1
		}
		suffix := ""
		if n < rev {
			suffix = "-rev" + strconv.Itoa(n)
		}
		defs, err := s.ecsContainerDefs(cluster, group, specs, mem, suffix, nm != types.NetworkModeBridge)
		if err != nil {
			return nil, err
		}
		in := &ecs.RegisterTaskDefinitionInput{Family: aws.String(family), ContainerDefinitions: defs, NetworkMode: nm,
			ExecutionRoleArn: aws.String(execRole), Tags: tagsFromMap(tags), RequiresCompatibilities: []types.Compatibility{types.CompatibilityEc2}}
		if taskRole != "" {
			in.TaskRoleArn = aws.String(taskRole)
		}
		if cpu > 0 {
			in.Cpu = aws.String(strconv.Itoa(cpu))
		}
		if mem > 0 {
			in.Memory = aws.String(strconv.Itoa(mem))
		}
		td := s.ecsNewTaskDef(in)
		td.TD.RegisteredAt = aws.Time(s.Now().Add(-time.Duration(rev-n+1) * 24 * time.Hour))
		f = s.ecs.Families[family]
	}
	return f.Revisions[rev-1], nil
}

func (s *Sim) ecsLoadService(c *ecsCluster, ss ServiceSpec) error {
	if !validName(ss.Name, 255) {
		return fmt.Errorf("invalid name")
	}
	if ss.Desired < 0 || ss.Desired > 5000 {
		return fmt.Errorf("desired %d: want 0 to 5000 tasks", ss.Desired)
	}
	family := ss.Family
	if family == "" {
		family = ss.Name
	}
	td, err := s.ecsLoadFamily(c.Name, ss.Name, family, ss.Revision, ss.Containers, ss.CPU, ss.Memory, ss.NetworkMode, ss.TaskRoleArn, ss.ExecutionRoleArn, nil)
	if err != nil {
		return err
	}
	s.ecsLoadFargateFamily(family, ss)
	in := &ecs.CreateServiceInput{ServiceName: aws.String(ss.Name), DesiredCount: aws.Int32(int32(ss.Desired)),
		Tags: tagsFromMap(ss.Tags), PropagateTags: types.PropagateTagsService, EnableECSManagedTags: true,
		DeploymentConfiguration: &types.DeploymentConfiguration{}}
	if ss.MinimumHealthyPercent != nil {
		in.DeploymentConfiguration.MinimumHealthyPercent = aws.Int32(int32(*ss.MinimumHealthyPercent))
	}
	if ss.MaximumPercent != nil {
		in.DeploymentConfiguration.MaximumPercent = aws.Int32(int32(*ss.MaximumPercent))
	}
	if cb := ss.CircuitBreaker; cb != nil {
		in.DeploymentConfiguration.DeploymentCircuitBreaker = &types.DeploymentCircuitBreaker{Enable: cb.Enable, Rollback: cb.Rollback}
	}
	if ss.Daemon {
		in.SchedulingStrategy = types.SchedulingStrategyDaemon
		in.DesiredCount = nil
	}
	for _, pc := range ss.PlacementConstraints {
		p := types.PlacementConstraint{Type: types.PlacementConstraintType(pc.Type)}
		if pc.Expression != "" {
			p.Expression = aws.String(pc.Expression)
		}
		in.PlacementConstraints = append(in.PlacementConstraints, p)
	}
	if err := validateDeploymentConfig(in.DeploymentConfiguration, ss.Daemon); err != nil {
		return err
	}
	s.ecsLoadCompute(c, ss, in)
	if err := s.ecsCheckCompute(c, td, in); err != nil {
		return err
	}
	if req := s.ecsPlaceReq(td, in.PlacementConstraints, nil); req.err != nil {
		return req.err
	}
	if ss.LoadBalanced {
		if err := s.ecsLoadTargetGroup(c, ss, in); err != nil {
			return err
		}
	}
	if err := s.ecsLoadControllerSpec(c, ss, in); err != nil {
		return err
	}
	svc := s.ecsNewService(c, ss.Name, td, in)
	created := s.Now().Add(-time.Duration(24+s.rng.Intn(24*30)) * time.Hour)
	svc.Svc.CreatedAt = aws.Time(created)
	d := &svc.Svc.Deployments[0]
	d.CreatedAt = aws.Time(s.Now().Add(-time.Duration(1+s.rng.Intn(72)) * time.Hour))
	d.UpdatedAt = d.CreatedAt
	s.ecsLoadPlace(c, svc, td, ss, aws.ToString(d.Id))
	s.ecsSettle(svc)
	// The deployment finished a few minutes after it started.
	done := d.CreatedAt.Add(5 * time.Minute)
	if svc.Svc.Deployments[0].RolloutState == types.DeploymentRolloutStateCompleted {
		svc.Svc.Deployments[0].UpdatedAt = aws.Time(done)
		for i := range svc.Svc.Events {
			svc.Svc.Events[i].CreatedAt = aws.Time(done)
		}
	}
	s.sdBackdate(svc, *d.CreatedAt, done)
	return nil
}

// ecsLoadTargetGroup gives a load-balanced world service its target group
// (instance targets, or ip for awsvpc) on the first container's first port.
func (s *Sim) ecsLoadTargetGroup(c *ecsCluster, ss ServiceSpec, in *ecs.CreateServiceInput) error {
	first := ss.Containers[0]
	if len(first.Ports) == 0 {
		return fmt.Errorf("loadBalanced needs a port on the first container")
	}
	tt := elbtypes.TargetTypeEnumInstance
	if ss.NetworkMode == "awsvpc" {
		tt = elbtypes.TargetTypeEnumIp
	}
	tg := s.elbNewTargetGroup(c.Name, c.Name+"-"+ss.Name, int32(first.Ports[0]), tt)
	in.LoadBalancers = []types.LoadBalancer{{TargetGroupArn: tg.TG.TargetGroupArn, ContainerName: aws.String(first.Name), ContainerPort: aws.Int32(int32(first.Ports[0]))}}
	in.HealthCheckGracePeriodSeconds = aws.Int32(int32(s.Timings.HealthCheckGrace.D() / time.Second))
	return nil
}

// ecsLoadPlace places a world service's tasks as the scheduler would (one
// per ACTIVE instance for a daemon) and makes them RUNNING in deployment pid.
func (s *Sim) ecsLoadPlace(c *ecsCluster, svc *ecsService, td *ecsTaskDef, ss ServiceSpec, pid string) {
	req := s.ecsPlaceReq(td, svc.Svc.PlacementConstraints, svc)
	if ss.Daemon {
		for _, a := range c.Instances {
			in := s.ecs.Instances[a]
			if aws.ToString(in.CI.Status) != "ACTIVE" {
				continue
			}
			one := &ecsCluster{Name: c.Name, Arn: c.Arn, Instances: []string{a}}
			if got, _ := s.ecsPlace(one, req, nil); got != nil {
				s.ecsLoadRunning(c, svc, td, got, "service:"+ss.Name, pid)
			}
		}
		return
	}
	counts := newPlaceCounts()
	for i := 0; i < ss.Desired; i++ {
		got, _ := s.ecsPlaceService(svc, c, req, counts)
		if got == nil {
			return // the scheduler keeps trying and says why
		}
		counts.add(got)
		s.ecsLoadRunning(c, svc, td, got, "service:"+ss.Name, pid)
	}
}

// ecsLoadRunning creates a task that has been running for a while.
func (s *Sim) ecsLoadRunning(c *ecsCluster, svc *ecsService, td *ecsTaskDef, in *ecsInstance, group, deployment string) *ecsTask {
	var tags []types.Tag
	startedBy := ""
	if svc != nil {
		tags = svcTaskTags(svc, td)
		startedBy = deployment
	}
	t := s.ecsCreateTask(c, td, in, group, startedBy, svc, deployment, tags)
	age := time.Duration(10+s.rng.Intn(60*24)) * time.Minute
	if svc != nil && svc.Svc.Deployments[0].CreatedAt != nil {
		if max := s.Now().Sub(*svc.Svc.Deployments[0].CreatedAt); age > max {
			age = max
		}
	}
	at := s.Now().Add(-age)
	t.Task.CreatedAt = aws.Time(at.Add(-s.Timings.TaskStart.D()))
	t.Task.PullStartedAt = aws.Time(at.Add(-s.Timings.TaskStart.D() / 2))
	t.Task.PullStoppedAt = aws.Time(at)
	if s.ecsMarkRunning(t, at) {
		s.after(s.Timings.CrashAfter.D(), evTaskCrash, aws.ToString(t.Task.TaskArn))
	}
	if svc != nil {
		if tg, port := s.ecsTargetFor(svc, t); tg != nil {
			t.TargetGroup, t.TargetPort = aws.ToString(tg.TG.TargetGroupArn), port
			s.elbRegister(tg, t)
			tgt := tg.target(t)
			tgt.State, tgt.Reason, tgt.Description = "healthy", "", ""
			if strings.HasPrefix(imageTag(aws.ToString(t.Task.Containers[0].Image)), "unhealthy-") {
				tgt.State, tgt.Reason, tgt.Description = "initial", "Elb.RegistrationInProgress", "Target registration is in progress"
				s.after(0, evTargetCheck, aws.ToString(t.Task.TaskArn))
			}
		}
	}
	return t
}

func (s *Sim) ecsLoadStandalone(c *ecsCluster, ts StandaloneTaskSpec) error {
	if ts.Family == "" {
		return fmt.Errorf("family is required")
	}
	td, err := s.ecsLoadFamily(c.Name, ts.Family, ts.Family, 1, ts.Containers, ts.CPU, ts.Memory, "", "", "", nil)
	if err != nil {
		return err
	}
	req := s.ecsPlaceReq(td, nil, nil)
	for i := 0; i < ts.Count; i++ {
		var in *ecsInstance
		if ts.Instance != nil {
			if *ts.Instance < 0 || *ts.Instance >= len(c.Instances) {
				return fmt.Errorf("instance %d: the cluster has %d instances", *ts.Instance, len(c.Instances))
			}
			in = s.ecs.Instances[c.Instances[*ts.Instance]]
		} else if in, _ = s.ecsPlace(c, req, nil); in == nil {
			return fmt.Errorf("no room for task %d of family %q on the cluster's instances", i+1, ts.Family)
		}
		s.ecsLoadRunning(c, nil, td, in, "family:"+ts.Family, "")
	}
	return nil
}
