package sim

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

func newEdgeSim(t *testing.T) *Sim {
	t.Helper()
	s := New(Options{ManualClock: true, Start: testStart})
	if err := s.LoadWorld(edgeWorld()); err != nil {
		t.Fatal(err)
	}
	s.Advance(0)
	return s
}

func edgeTasks(t *testing.T, s *Sim, service string) []types.Task {
	t.Helper()
	l := mustCall(t, s, (*Sim).ecsListTasks, &ecs.ListTasksInput{Cluster: aws.String(EdgeCluster), ServiceName: aws.String(service)})
	if len(l.TaskArns) == 0 {
		return nil
	}
	d := mustCall(t, s, (*Sim).ecsDescribeTasks, &ecs.DescribeTasksInput{Cluster: aws.String(EdgeCluster), Tasks: l.TaskArns})
	return d.Tasks
}

func edgeService(t *testing.T, s *Sim, name string) types.Service {
	t.Helper()
	out := mustCall(t, s, (*Sim).ecsDescribeServices, &ecs.DescribeServicesInput{Cluster: aws.String(EdgeCluster), Services: []string{name}})
	if len(out.Services) != 1 {
		t.Fatalf("describe %s: %+v", name, out.Failures)
	}
	return out.Services[0]
}

// reserved sums what the edge cluster's container instances have reserved.
func edgeReserved(s *Sim) (cpu, mem int) {
	s.Lock()
	defer s.Unlock()
	for _, a := range s.ecs.Clusters[EdgeCluster].Instances {
		in := s.ecs.Instances[a]
		cpu += in.CPUUsed
		mem += in.MemUsed
	}
	return cpu, mem
}

func checkFargateTask(t *testing.T, task types.Task, provider string) {
	t.Helper()
	id := lastPart(aws.ToString(task.TaskArn))
	if task.ContainerInstanceArn != nil {
		t.Errorf("task %s: containerInstanceArn %s, want none on Fargate", id, *task.ContainerInstanceArn)
	}
	if task.LaunchType != types.LaunchTypeFargate || aws.ToString(task.PlatformVersion) == "" || aws.ToString(task.PlatformFamily) == "" {
		t.Errorf("task %s: launchType %q platform %q/%q", id, task.LaunchType, aws.ToString(task.PlatformVersion), aws.ToString(task.PlatformFamily))
	}
	if got := aws.ToString(task.CapacityProviderName); got != provider && !(provider == "*" && got != "") {
		t.Errorf("task %s: capacityProviderName %q, want %q", id, got, provider)
	}
	if len(task.Attachments) != 1 || aws.ToString(task.Attachments[0].Type) != "ElasticNetworkInterface" {
		t.Fatalf("task %s: attachments %+v", id, task.Attachments)
	}
	det := map[string]string{}
	for _, kv := range task.Attachments[0].Details {
		det[aws.ToString(kv.Name)] = aws.ToString(kv.Value)
	}
	for _, k := range []string{"subnetId", "networkInterfaceId", "macAddress", "privateIPv4Address"} {
		if det[k] == "" {
			t.Errorf("task %s: ENI detail %s missing: %v", id, k, det)
		}
	}
	for _, c := range task.Containers {
		if len(c.NetworkInterfaces) != 1 || aws.ToString(c.NetworkInterfaces[0].PrivateIpv4Address) != det["privateIPv4Address"] {
			t.Errorf("task %s container %s: networkInterfaces %+v", id, aws.ToString(c.Name), c.NetworkInterfaces)
		}
	}
}

func TestEdgeFargateShapes(t *testing.T) {
	s := newEdgeSim(t)
	cpu0, mem0 := edgeReserved(s)

	api := edgeService(t, s, "fargate-api")
	if api.LaunchType != types.LaunchTypeFargate || len(api.CapacityProviderStrategy) != 0 || api.RunningCount != 3 {
		t.Fatalf("fargate-api: launchType %q strategy %v running %d", api.LaunchType, api.CapacityProviderStrategy, api.RunningCount)
	}
	if nc := api.NetworkConfiguration; nc == nil || nc.AwsvpcConfiguration == nil || len(nc.AwsvpcConfiguration.Subnets) != 3 || len(nc.AwsvpcConfiguration.SecurityGroups) != 1 {
		t.Fatalf("fargate-api: networkConfiguration %+v", api.NetworkConfiguration)
	}
	azs := map[string]bool{}
	for _, task := range edgeTasks(t, s, "fargate-api") {
		checkFargateTask(t, task, "")
		azs[aws.ToString(task.AvailabilityZone)] = true
	}
	if len(azs) != 3 {
		t.Errorf("fargate-api tasks in zones %v, want spread over 3", azs)
	}

	spot := edgeService(t, s, "spot-worker")
	if spot.LaunchType != "" || len(spot.CapacityProviderStrategy) != 2 || spot.Deployments[0].LaunchType != "" || len(spot.Deployments[0].CapacityProviderStrategy) != 2 {
		t.Fatalf("spot-worker: launchType %q strategy %+v", spot.LaunchType, spot.CapacityProviderStrategy)
	}
	per := map[string]int{}
	for _, task := range edgeTasks(t, s, "spot-worker") {
		checkFargateTask(t, task, "*")
		per[aws.ToString(task.CapacityProviderName)]++
	}
	// 4 tasks: the base 1 on FARGATE, then 3:1 → 3 FARGATE_SPOT; FARGATE's
	// weighted share of the 3 is below one task.
	if per["FARGATE"] != 1 || per["FARGATE_SPOT"] != 3 {
		t.Errorf("spot-worker providers %v, want FARGATE 1, FARGATE_SPOT 3", per)
	}

	cl := mustCall(t, s, (*Sim).ecsDescribeClusters, &ecs.DescribeClustersInput{Clusters: []string{EdgeCluster}, Include: []types.ClusterField{types.ClusterFieldStatistics}})
	if got := cl.Clusters[0].CapacityProviders; len(got) != 2 || got[0] != "FARGATE" || got[1] != "FARGATE_SPOT" {
		t.Errorf("edge capacity providers %v", got)
	}
	stats := map[string]string{}
	for _, kv := range cl.Clusters[0].Statistics {
		stats[aws.ToString(kv.Name)] = aws.ToString(kv.Value)
	}
	if stats["runningFargateTasksCount"] != "7" || stats["activeFargateServiceCount"] != "2" {
		t.Errorf("statistics %v", stats)
	}

	nocpu := mustCall(t, s, (*Sim).ecsDescribeTaskDefinition, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("nocpu-api")}).TaskDefinition
	if nocpu.Cpu != nil || nocpu.Memory != nil || nocpu.ContainerDefinitions[0].Cpu != 256 || aws.ToInt32(nocpu.ContainerDefinitions[0].Memory) != 512 {
		t.Errorf("nocpu-api: task cpu %v memory %v, containers %+v", nocpu.Cpu, nocpu.Memory, nocpu.ContainerDefinitions[0])
	}

	// A deploy of each Fargate service: new tasks provision longer than an
	// EC2 task, stay off the instances, and the old ones go.
	for _, name := range []string{"fargate-api", "spot-worker"} {
		arn := newRevisionIn(t, s, name, name+":"+DemoNextTag)
		mustCall(t, s, (*Sim).ecsUpdateService, &ecs.UpdateServiceInput{Cluster: aws.String(EdgeCluster), Service: aws.String(name), TaskDefinition: aws.String(arn)})
		s.Advance(s.Timings.TaskStart.D() + time.Second)
		for _, task := range edgeTasks(t, s, name) {
			if aws.ToString(task.TaskDefinitionArn) == arn && aws.ToString(task.LastStatus) == "RUNNING" {
				t.Fatalf("%s: a Fargate task ran after one EC2 start time", name)
			}
		}
		ok := s.RunUntil(30*time.Minute, 5*time.Second, func() bool {
			svc := s.ecs.Clusters[EdgeCluster].Services[name]
			s.ecsCount(svc)
			d := svc.Svc.Deployments
			return len(d) == 1 && d[0].RolloutState == types.DeploymentRolloutStateCompleted && aws.ToString(d[0].TaskDefinition) == arn && svc.Steady
		})
		if !ok {
			t.Fatalf("%s: deploy did not complete: %s", name, eventsText(edgeService(t, s, name)))
		}
		for _, task := range edgeTasks(t, s, name) {
			if aws.ToString(task.TaskDefinitionArn) != arn {
				t.Errorf("%s: task of %s still running", name, aws.ToString(task.TaskDefinitionArn))
			}
			checkFargateTask(t, task, map[string]string{"fargate-api": "", "spot-worker": "*"}[name])
		}
	}
	if cpu, mem := edgeReserved(s); cpu != cpu0 || mem != mem0 {
		t.Errorf("instance reservation moved from %d/%d to %d/%d", cpu0, mem0, cpu, mem)
	}
}

// newRevisionIn is newRevision for any family (the helper's cluster-free part).
func newRevisionIn(t *testing.T, s *Sim, family, image string) string {
	t.Helper()
	if repo, tag, ok := strings.Cut(image, ":"); ok {
		_, _ = s.PushImage(repo, tag)
	}
	cur := mustCall(t, s, (*Sim).ecsDescribeTaskDefinition, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(family)})
	td := cur.TaskDefinition
	defs := append([]types.ContainerDefinition(nil), td.ContainerDefinitions...)
	defs[0].Image = aws.String(s.FullImage(image))
	out := mustCall(t, s, (*Sim).ecsRegisterTaskDefinition, &ecs.RegisterTaskDefinitionInput{
		Family: td.Family, ContainerDefinitions: defs, NetworkMode: td.NetworkMode, ExecutionRoleArn: td.ExecutionRoleArn,
		Cpu: td.Cpu, Memory: td.Memory, RequiresCompatibilities: td.RequiresCompatibilities,
	})
	return aws.ToString(out.TaskDefinition.TaskDefinitionArn)
}

func TestStrategyPick(t *testing.T) {
	cp := func(n string, w, b int32) types.CapacityProviderStrategyItem {
		return types.CapacityProviderStrategyItem{CapacityProvider: aws.String(n), Weight: w, Base: b}
	}
	spot := []types.CapacityProviderStrategyItem{cp("FARGATE_SPOT", 3, 0), cp("FARGATE", 1, 1)}
	place := func(strat []types.CapacityProviderStrategyItem, n int) map[string]int {
		have := map[string]int{}
		for i := 0; i < n; i++ {
			have[strategyPick(strat, have)]++
		}
		return have
	}
	for _, tc := range []struct {
		name  string
		strat []types.CapacityProviderStrategyItem
		n     int
		want  map[string]int
	}{
		{"the base first", spot, 1, map[string]int{"FARGATE": 1}},
		{"then by weight", spot, 5, map[string]int{"FARGATE": 2, "FARGATE_SPOT": 3}},
		{"weight 3:1 above the base", spot, 9, map[string]int{"FARGATE": 3, "FARGATE_SPOT": 6}},
		{"weight 0 gets only its base", []types.CapacityProviderStrategyItem{cp("FARGATE", 0, 2), cp("FARGATE_SPOT", 1, 0)}, 6, map[string]int{"FARGATE": 2, "FARGATE_SPOT": 4}},
		{"no strategy", nil, 2, map[string]int{"": 2}},
	} {
		got := place(tc.strat, tc.n)
		if len(got) != len(tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
			continue
		}
		for k, v := range tc.want {
			if got[k] != v {
				t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
			}
		}
	}
}

func TestFargateValidation(t *testing.T) {
	s := newEdgeSim(t)
	c := func() *ecsCluster { return s.ecs.Clusters[EdgeCluster] }
	api := func() *ecsTaskDef { return s.ecsLookupTaskDef("fargate-api") }
	web := func() *ecsTaskDef { return s.ecsLookupTaskDef("web") }
	nc := &types.NetworkConfiguration{AwsvpcConfiguration: &types.AwsVpcConfiguration{Subnets: []string{ecsSubnetFor("us-east-1a")}}}
	for _, tc := range []struct {
		name string
		td   func() *ecsTaskDef
		in   ecs.CreateServiceInput
		want string // "" = accepted
	}{
		{"fargate", api, ecs.CreateServiceInput{LaunchType: types.LaunchTypeFargate, NetworkConfiguration: nc}, ""},
		{"both", api, ecs.CreateServiceInput{LaunchType: types.LaunchTypeFargate, NetworkConfiguration: nc,
			CapacityProviderStrategy: []types.CapacityProviderStrategyItem{{CapacityProvider: aws.String("FARGATE"), Weight: 1}}}, "Specifying both"},
		{"no network configuration", api, ecs.CreateServiceInput{LaunchType: types.LaunchTypeFargate}, "Network Configuration must be provided"},
		{"bridge task definition", web, ecs.CreateServiceInput{LaunchType: types.LaunchTypeFargate, NetworkConfiguration: nc}, "does not support launch_type FARGATE"},
		{"provider not associated", api, ecs.CreateServiceInput{NetworkConfiguration: nc,
			CapacityProviderStrategy: []types.CapacityProviderStrategyItem{{CapacityProvider: aws.String("other-cp"), Weight: 1}}}, "not associated"},
		{"two bases", api, ecs.CreateServiceInput{NetworkConfiguration: nc, CapacityProviderStrategy: []types.CapacityProviderStrategyItem{
			{CapacityProvider: aws.String("FARGATE"), Weight: 1, Base: 1}, {CapacityProvider: aws.String("FARGATE_SPOT"), Weight: 1, Base: 1}}}, "Only one capacity provider"},
		{"placement strategy", api, ecs.CreateServiceInput{LaunchType: types.LaunchTypeFargate, NetworkConfiguration: nc,
			PlacementStrategy: []types.PlacementStrategy{{Type: types.PlacementStrategyTypeBinpack, Field: aws.String("memory")}}}, "not supported with FARGATE"},
	} {
		s.Lock()
		err := s.ecsCheckCompute(c(), tc.td(), &tc.in)
		s.Unlock()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: refused: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
	// RegisterTaskDefinition: FARGATE needs awsvpc and a task-level size.
	_, err := lockedCall(s, (*Sim).ecsRegisterTaskDefinition, &ecs.RegisterTaskDefinitionInput{Family: aws.String("x"),
		RequiresCompatibilities: []types.Compatibility{types.CompatibilityFargate}, NetworkMode: types.NetworkModeAwsvpc, Memory: aws.String("512"),
		ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("a"), Image: aws.String("a:1")}}})
	if err == nil || !strings.Contains(err.Error(), "'cpu' be defined at the task level") {
		t.Errorf("Fargate task definition without cpu: %v", err)
	}
}

func TestFargateStrategyUpdateAppliesFromTheNextDeployment(t *testing.T) {
	s := newEdgeSim(t)
	only := []types.CapacityProviderStrategyItem{{CapacityProvider: aws.String("FARGATE"), Weight: 1}}
	_, err := lockedCall(s, (*Sim).ecsUpdateService, &ecs.UpdateServiceInput{Cluster: aws.String(EdgeCluster), Service: aws.String("web"), CapacityProviderStrategy: only})
	if err == nil || !strings.Contains(err.Error(), "does not support launch_type FARGATE") {
		t.Fatalf("web (bridge) moved to Fargate: %v", err)
	}
	before := edgeService(t, s, "spot-worker")
	mustCall(t, s, (*Sim).ecsUpdateService, &ecs.UpdateServiceInput{Cluster: aws.String(EdgeCluster), Service: aws.String("spot-worker"), CapacityProviderStrategy: only})
	if got := edgeService(t, s, "spot-worker"); len(got.Deployments) != 1 || aws.ToString(got.Deployments[0].Id) != aws.ToString(before.Deployments[0].Id) {
		t.Fatalf("a strategy update started a deployment: %+v", got.Deployments)
	}
	mustCall(t, s, (*Sim).ecsUpdateService, &ecs.UpdateServiceInput{Cluster: aws.String(EdgeCluster), Service: aws.String("spot-worker"), ForceNewDeployment: true})
	ok := s.RunUntil(30*time.Minute, 5*time.Second, func() bool {
		svc := s.ecs.Clusters[EdgeCluster].Services["spot-worker"]
		return len(svc.Svc.Deployments) == 1 && svc.Steady
	})
	if !ok {
		t.Fatal("forced deployment never completed")
	}
	for _, task := range edgeTasks(t, s, "spot-worker") {
		checkFargateTask(t, task, "FARGATE")
	}
}
