package sim

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// newEdgeSim and edgeService are in ecs_fargate_test.go.

func currentSD(t *testing.T, s *Sim, name string) types.ServiceDeployment {
	t.Helper()
	svc := edgeService(t, s, name)
	out := mustCall(t, s, (*Sim).ecsDescribeServiceDeployments, &ecs.DescribeServiceDeploymentsInput{ServiceDeploymentArns: []string{aws.ToString(svc.CurrentServiceDeployment)}})
	if len(out.ServiceDeployments) != 1 {
		t.Fatalf("describe service deployment of %s: %+v", name, out.Failures)
	}
	return out.ServiceDeployments[0]
}

func edgeDeploy(t *testing.T, s *Sim, name, tag string) string {
	t.Helper()
	cur := mustCall(t, s, (*Sim).ecsDescribeTaskDefinition, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(name)})
	td := cur.TaskDefinition
	defs := append([]types.ContainerDefinition(nil), td.ContainerDefinitions...)
	defs[0].Image = aws.String(s.FullImage(name + ":" + tag))
	reg := mustCall(t, s, (*Sim).ecsRegisterTaskDefinition, &ecs.RegisterTaskDefinitionInput{
		Family: td.Family, ContainerDefinitions: defs, NetworkMode: td.NetworkMode, ExecutionRoleArn: td.ExecutionRoleArn, Cpu: td.Cpu, Memory: td.Memory,
	})
	return aws.ToString(reg.TaskDefinition.TaskDefinitionArn)
}

func TestEdgeControllersLoad(t *testing.T) {
	s := newEdgeSim(t)
	cd := edgeService(t, s, EdgeCodeDeployService)
	if cd.DeploymentController.Type != types.DeploymentControllerTypeCodeDeploy || len(cd.TaskSets) != 1 || len(cd.Deployments) != 0 ||
		aws.ToString(cd.TaskSets[0].Status) != "PRIMARY" || cd.TaskSets[0].RunningCount != 2 {
		t.Fatalf("cd-api: controller %+v task sets %+v deployments %d", cd.DeploymentController, cd.TaskSets, len(cd.Deployments))
	}
	ts := mustCall(t, s, (*Sim).ecsDescribeTaskSets, &ecs.DescribeTaskSetsInput{Cluster: aws.String(EdgeCluster), Service: aws.String(EdgeExternalService)})
	if len(ts.TaskSets) != 1 {
		t.Fatalf("ext-api task sets: %+v", ts)
	}
	_, err := lockedCall(s, (*Sim).ecsUpdateService, &ecs.UpdateServiceInput{Cluster: aws.String(EdgeCluster), Service: aws.String(EdgeCodeDeployService), TaskDefinition: aws.String(EdgeCodeDeployService + ":6")})
	if err == nil || !strings.Contains(err.Error(), "Unable to update task definition on services with a CODE_DEPLOY deployment controller") {
		t.Fatalf("update cd-api task definition: %v", err)
	}
	bg := edgeService(t, s, EdgeBlueGreenService)
	dc := bg.DeploymentConfiguration
	if dc.Strategy != types.DeploymentStrategyBlueGreen || aws.ToInt32(dc.BakeTimeInMinutes) != 5 || bg.LoadBalancers[0].AdvancedConfiguration == nil ||
		aws.ToString(bg.LoadBalancers[0].AdvancedConfiguration.TestListenerRule) == "" {
		t.Fatalf("bg-api: %+v %+v", dc, bg.LoadBalancers)
	}
	can := edgeService(t, s, EdgeCanaryService)
	if c := can.DeploymentConfiguration.CanaryConfiguration; can.DeploymentConfiguration.Strategy != types.DeploymentStrategyCanary || c == nil || aws.ToFloat64(c.CanaryPercent) != 10 || aws.ToInt32(c.CanaryBakeTimeInMinutes) != 3 {
		t.Fatalf("canary-api: %+v", can.DeploymentConfiguration)
	}
	if sd := currentSD(t, s, "web"); sd.Status != types.ServiceDeploymentStatusSuccessful {
		t.Fatalf("web's loaded service deployment: %s", sd.Status)
	}
}

func TestEdgeBlueGreenRunsBothRevisionsThroughBakeTime(t *testing.T) {
	s := newEdgeSim(t)
	arn := edgeDeploy(t, s, EdgeBlueGreenService, DemoNextTag)
	mustCall(t, s, (*Sim).ecsUpdateService, &ecs.UpdateServiceInput{Cluster: aws.String(EdgeCluster), Service: aws.String(EdgeBlueGreenService), TaskDefinition: aws.String(arn)})
	seen := map[types.ServiceDeploymentLifecycleStage]bool{}
	var bakeStart time.Time
	ok := s.RunUntil(30*time.Minute, 5*time.Second, func() bool {
		svc := s.ecs.Clusters[EdgeCluster].Services[EdgeBlueGreenService]
		sd := sdCurrent(svc)
		seen[sd.SD.LifecycleStage] = true
		if sd.SD.LifecycleStage == types.ServiceDeploymentLifecycleStageBakeTime {
			if bakeStart.IsZero() {
				bakeStart = s.Now()
			}
			s.ecsCount(svc)
			if len(svc.Svc.Deployments) != 2 || svc.Svc.Deployments[0].RunningCount != 3 || svc.Svc.Deployments[1].RunningCount != 3 {
				t.Fatalf("during bake time: %+v", svc.Svc.Deployments)
			}
		}
		return sd.SD.Status == types.ServiceDeploymentStatusSuccessful
	})
	if !ok {
		t.Fatalf("never successful: %+v (stages %v)", currentSD(t, s, EdgeBlueGreenService), seen)
	}
	if s.Now().Sub(bakeStart) < 5*time.Minute {
		t.Fatalf("successful %s after bake time started", s.Now().Sub(bakeStart))
	}
	for _, st := range []types.ServiceDeploymentLifecycleStage{"SCALE_UP", "TEST_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT", "BAKE_TIME", "CLEAN_UP"} {
		if !seen[st] {
			t.Errorf("stage %s never seen (%v)", st, seen)
		}
	}
	svc := edgeService(t, s, EdgeBlueGreenService)
	if len(svc.Deployments) != 1 || aws.ToString(svc.Deployments[0].TaskDefinition) != arn || svc.RunningCount != 3 {
		t.Fatalf("after: %+v", svc.Deployments)
	}
}

func TestEdgeBlueGreenStopRollsBackToBlue(t *testing.T) {
	s := newEdgeSim(t)
	old := aws.ToString(edgeService(t, s, EdgeBlueGreenService).TaskDefinition)
	arn := edgeDeploy(t, s, EdgeBlueGreenService, DemoNextTag)
	mustCall(t, s, (*Sim).ecsUpdateService, &ecs.UpdateServiceInput{Cluster: aws.String(EdgeCluster), Service: aws.String(EdgeBlueGreenService), TaskDefinition: aws.String(arn)})
	if !s.RunUntil(30*time.Minute, 5*time.Second, func() bool {
		return sdCurrent(s.ecs.Clusters[EdgeCluster].Services[EdgeBlueGreenService]).SD.LifecycleStage == types.ServiceDeploymentLifecycleStageBakeTime
	}) {
		t.Fatal("never reached bake time")
	}
	sd := currentSD(t, s, EdgeBlueGreenService)
	mustCall(t, s, (*Sim).ecsStopServiceDeployment, &ecs.StopServiceDeploymentInput{ServiceDeploymentArn: sd.ServiceDeploymentArn, StopType: types.StopServiceDeploymentStopTypeRollback})
	if !s.RunUntil(30*time.Minute, 5*time.Second, func() bool {
		return sdCurrent(s.ecs.Clusters[EdgeCluster].Services[EdgeBlueGreenService]).SD.Status == types.ServiceDeploymentStatusRollbackSuccessful
	}) {
		t.Fatalf("rollback never finished: %+v", currentSD(t, s, EdgeBlueGreenService))
	}
	svc := edgeService(t, s, EdgeBlueGreenService)
	if len(svc.Deployments) != 1 || aws.ToString(svc.Deployments[0].TaskDefinition) != old || svc.RunningCount != 3 {
		t.Fatalf("after rollback: %+v", svc.Deployments)
	}
	if _, err := lockedCall(s, (*Sim).ecsStopServiceDeployment, &ecs.StopServiceDeploymentInput{ServiceDeploymentArn: sd.ServiceDeploymentArn, StopType: types.StopServiceDeploymentStopTypeRollback}); err == nil {
		t.Fatal("stopping a finished service deployment succeeded")
	}
}

func TestEdgeBlueGreenCrashIsRolledBackByBreaker(t *testing.T) {
	s := newEdgeSim(t)
	old := aws.ToString(edgeService(t, s, EdgeBlueGreenService).TaskDefinition)
	arn := edgeDeploy(t, s, EdgeBlueGreenService, DemoCrashTag)
	mustCall(t, s, (*Sim).ecsUpdateService, &ecs.UpdateServiceInput{Cluster: aws.String(EdgeCluster), Service: aws.String(EdgeBlueGreenService), TaskDefinition: aws.String(arn)})
	if !s.RunUntil(60*time.Minute, 5*time.Second, func() bool {
		return sdCurrent(s.ecs.Clusters[EdgeCluster].Services[EdgeBlueGreenService]).SD.Status == types.ServiceDeploymentStatusRollbackSuccessful
	}) {
		t.Fatalf("never rolled back: %+v", currentSD(t, s, EdgeBlueGreenService))
	}
	sd := currentSD(t, s, EdgeBlueGreenService)
	if sd.Rollback == nil || !strings.Contains(aws.ToString(sd.Rollback.Reason), "Circuit breaker") {
		t.Fatalf("rollback: %+v", sd.Rollback)
	}
	svc := edgeService(t, s, EdgeBlueGreenService)
	if len(svc.Deployments) != 1 || aws.ToString(svc.Deployments[0].TaskDefinition) != old {
		t.Fatalf("after: %+v", svc.Deployments)
	}
}

func TestEdgeLinearShiftsInSteps(t *testing.T) {
	w, err := BuiltinWorld("edge")
	if err != nil {
		t.Fatal(err)
	}
	for i := range w.Clusters[0].Services {
		if s := &w.Clusters[0].Services[i]; s.Name == EdgeCanaryService {
			s.Strategy, s.Canary, s.Linear = "LINEAR", nil, &LinearSpec{StepPercent: 25, StepBakeMinutes: 1}
		}
	}
	s := New(Options{ManualClock: true, Start: testStart})
	if err := s.LoadWorld(w); err != nil {
		t.Fatal(err)
	}
	s.Advance(0)
	arn := edgeDeploy(t, s, EdgeCanaryService, DemoNextTag)
	mustCall(t, s, (*Sim).ecsUpdateService, &ecs.UpdateServiceInput{Cluster: aws.String(EdgeCluster), Service: aws.String(EdgeCanaryService), TaskDefinition: aws.String(arn)})
	var weights []float64
	ok := s.RunUntil(60*time.Minute, 5*time.Second, func() bool {
		sd := sdCurrent(s.ecs.Clusters[EdgeCluster].Services[EdgeCanaryService])
		if sd.SD.LifecycleStage == types.ServiceDeploymentLifecycleStageProductionTrafficShift && (len(weights) == 0 || weights[len(weights)-1] != sd.Weight) {
			weights = append(weights, sd.Weight)
		}
		return sd.SD.Status == types.ServiceDeploymentStatusSuccessful
	})
	if !ok || fmt.Sprint(weights) != "[25 50 75 100]" {
		t.Fatalf("successful %v, production weights %v", ok, weights)
	}
}

// A sandbox saved in the middle of a blue/green deployment resumes it.
func TestEdgeBlueGreenSurvivesSaveAndLoad(t *testing.T) {
	s := newEdgeSim(t)
	arn := edgeDeploy(t, s, EdgeBlueGreenService, DemoNextTag)
	mustCall(t, s, (*Sim).ecsUpdateService, &ecs.UpdateServiceInput{Cluster: aws.String(EdgeCluster), Service: aws.String(EdgeBlueGreenService), TaskDefinition: aws.String(arn)})
	if !s.RunUntil(30*time.Minute, 5*time.Second, func() bool {
		return sdCurrent(s.ecs.Clusters[EdgeCluster].Services[EdgeBlueGreenService]).SD.LifecycleStage == types.ServiceDeploymentLifecycleStageBakeTime
	}) {
		t.Fatal("never reached bake time")
	}
	var buf bytes.Buffer
	if err := s.Save(&buf); err != nil {
		t.Fatal(err)
	}
	s2, err := Load(&buf, Options{ManualClock: true})
	if err != nil {
		t.Fatal(err)
	}
	if !s2.RunUntil(30*time.Minute, 5*time.Second, func() bool {
		return sdCurrent(s2.ecs.Clusters[EdgeCluster].Services[EdgeBlueGreenService]).SD.Status == types.ServiceDeploymentStatusSuccessful
	}) {
		t.Fatalf("loaded sandbox never finished: %+v", currentSD(t, s2, EdgeBlueGreenService))
	}
	if svc := edgeService(t, s2, EdgeBlueGreenService); len(svc.Deployments) != 1 || aws.ToString(svc.TaskDefinition) != arn {
		t.Fatalf("after: %+v", svc.Deployments)
	}
}

// A rolling deployment stopped with ROLLBACK redeploys the revision that ran
// before (no new revision); the history lists both records, newest first,
// and the revisions name their task definitions and images.
func TestRollingStopServiceDeploymentRollsBack(t *testing.T) {
	s := newEdgeSim(t)
	old := aws.ToString(edgeService(t, s, "web").TaskDefinition)
	arn := edgeDeploy(t, s, "web", DemoNextTag)
	mustCall(t, s, (*Sim).ecsUpdateService, &ecs.UpdateServiceInput{Cluster: aws.String(EdgeCluster), Service: aws.String("web"), TaskDefinition: aws.String(arn)})
	sd := currentSD(t, s, "web")
	if sd.Status != types.ServiceDeploymentStatusInProgress || sd.LifecycleStage != "" {
		t.Fatalf("new rolling service deployment: %s %q", sd.Status, sd.LifecycleStage)
	}
	if _, err := lockedCall(s, (*Sim).ecsStopServiceDeployment, &ecs.StopServiceDeploymentInput{ServiceDeploymentArn: sd.ServiceDeploymentArn, StopType: "SIDEWAYS"}); err == nil {
		t.Fatal("an unknown stopType was accepted")
	}
	mustCall(t, s, (*Sim).ecsStopServiceDeployment, &ecs.StopServiceDeploymentInput{ServiceDeploymentArn: sd.ServiceDeploymentArn, StopType: types.StopServiceDeploymentStopTypeRollback})
	if !s.RunUntil(30*time.Minute, 5*time.Second, func() bool {
		return sdCurrent(s.ecs.Clusters[EdgeCluster].Services["web"]).SD.Status == types.ServiceDeploymentStatusRollbackSuccessful
	}) {
		t.Fatalf("never rolled back: %+v", currentSD(t, s, "web"))
	}
	if svc := edgeService(t, s, "web"); aws.ToString(svc.TaskDefinition) != old || len(svc.Deployments) != 1 {
		t.Fatalf("after: %s %+v", aws.ToString(svc.TaskDefinition), svc.Deployments)
	}
	list := mustCall(t, s, (*Sim).ecsListServiceDeployments, &ecs.ListServiceDeploymentsInput{Cluster: aws.String(EdgeCluster), Service: aws.String("web")})
	if len(list.ServiceDeployments) != 2 || list.ServiceDeployments[0].Status != types.ServiceDeploymentStatusRollbackSuccessful ||
		list.ServiceDeployments[1].Status != types.ServiceDeploymentStatusSuccessful {
		t.Fatalf("history: %+v", list.ServiceDeployments)
	}
	ok := mustCall(t, s, (*Sim).ecsListServiceDeployments, &ecs.ListServiceDeploymentsInput{Cluster: aws.String(EdgeCluster), Service: aws.String("web"),
		Status: []types.ServiceDeploymentStatus{types.ServiceDeploymentStatusSuccessful}})
	if len(ok.ServiceDeployments) != 1 {
		t.Fatalf("status filter: %+v", ok.ServiceDeployments)
	}
	revs := mustCall(t, s, (*Sim).ecsDescribeServiceRevisions, &ecs.DescribeServiceRevisionsInput{ServiceRevisionArns: []string{
		aws.ToString(ok.ServiceDeployments[0].TargetServiceRevisionArn), aws.ToString(list.ServiceDeployments[0].TargetServiceRevisionArn)}})
	if len(revs.ServiceRevisions) != 2 || aws.ToString(revs.ServiceRevisions[0].TaskDefinition) != old || aws.ToString(revs.ServiceRevisions[1].TaskDefinition) != arn ||
		!strings.HasSuffix(aws.ToString(revs.ServiceRevisions[1].ContainerImages[0].Image), ":"+DemoNextTag) {
		t.Fatalf("revisions: %+v", revs)
	}
	rb := currentSD(t, s, "web").Rollback
	if rb == nil || aws.ToString(rb.ServiceRevisionArn) != aws.ToString(ok.ServiceDeployments[0].TargetServiceRevisionArn) {
		t.Fatalf("rollback names revision %+v, want the one that ran before", rb)
	}
}
