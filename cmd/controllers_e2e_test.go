package cmd

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"ecsctl/ops/deploy"
	"ecsctl/ops/overview"
	"ecsctl/sim"
)

// Deployment controllers and strategies on the edge world: cd-api
// (CODE_DEPLOY), ext-api (EXTERNAL), bg-api (BLUE_GREEN, bake time 5
// minutes, circuit breaker with rollback) and canary-api (CANARY).

func edgeDeployArgs(extra ...string) []string {
	return append([]string{"deploy", "-c", sim.EdgeCluster, "--poll-interval", "20ms", "-o", "json"}, extra...)
}

// latestServiceDeployment is the newest service deployment of a service,
// described.
func (sb *sandbox) latestServiceDeployment(service string) types.ServiceDeployment {
	sb.t.Helper()
	ctx := context.Background()
	list, err := sb.ecs.ListServiceDeployments(ctx, &ecs.ListServiceDeploymentsInput{Cluster: aws.String(sim.EdgeCluster), Service: aws.String(service)})
	if err != nil || len(list.ServiceDeployments) == 0 {
		sb.t.Fatalf("list service deployments of %s: %v %+v", service, err, list)
	}
	out, err := sb.ecs.DescribeServiceDeployments(ctx, &ecs.DescribeServiceDeploymentsInput{ServiceDeploymentArns: []string{aws.ToString(list.ServiceDeployments[0].ServiceDeploymentArn)}})
	if err != nil || len(out.ServiceDeployments) != 1 {
		sb.t.Fatalf("describe service deployment of %s: %v", service, err)
	}
	return out.ServiceDeployments[0]
}

// edgeWorldWith is the edge world with one service changed.
func edgeWorldWith(t *testing.T, service string, change func(*sim.ServiceSpec)) *sim.World {
	t.Helper()
	w, err := sim.BuiltinWorld("edge")
	if err != nil {
		t.Fatal(err)
	}
	for i := range w.Clusters[0].Services {
		if s := &w.Clusters[0].Services[i]; s.Name == service {
			change(s)
			return w
		}
	}
	t.Fatalf("the edge world has no service %s", service)
	return nil
}

func countCalls(calls []string, op string) int {
	n := 0
	for _, c := range calls {
		if c == op {
			n++
		}
	}
	return n
}

func TestE2EDeployAndRollbackRefuseOtherControllers(t *testing.T) {
	parallel(t)
	sb := startSandbox(t, "edge", "")
	for _, tc := range []struct{ service, controller, fix string }{
		{sim.EdgeCodeDeployService, "CODE_DEPLOY", "CodeDeploy"},
		{sim.EdgeExternalService, "EXTERNAL", "external controller"},
	} {
		for _, args := range [][]string{
			edgeDeployArgs("--service", tc.service, "--tag", sim.DemoNextTag),
			{"rollback", "-c", sim.EdgeCluster, "--service", tc.service},
		} {
			code, stdout, stderr := run(t, args...)
			if code != ExitUsage {
				t.Fatalf("%s %s: exit %d, want 2\n%s\n%s", args[0], tc.service, code, stdout, stderr)
			}
			line := strings.TrimSpace(stderr)
			if strings.Count(line, "\n") != 0 || !strings.HasPrefix(line, "ecsctl: ") || !strings.Contains(line, tc.controller) || !strings.Contains(line, tc.fix) {
				t.Errorf("%s %s: want one line naming %s and %s, got:\n%s", args[0], tc.service, tc.controller, tc.fix, stderr)
			}
		}
	}
	if m := sb.mutations(); len(m) != 0 {
		t.Fatalf("refusals made mutating calls: %v", m)
	}
}

func TestE2EServicesAndStatusShowControllerAndStrategy(t *testing.T) {
	parallel(t)
	startSandbox(t, "edge", "")
	code, stdout, stderr := run(t, "services", "-c", sim.EdgeCluster, "-o", "json")
	if code != 0 {
		t.Fatalf("services exit %d\n%s", code, stderr)
	}
	var rows []overview.ServiceRow
	if err := json.Unmarshal([]byte(stdout), &rows); err != nil {
		t.Fatalf("services JSON: %v\n%s", err, stdout)
	}
	want := map[string][2]string{
		sim.EdgeCodeDeployService: {"CODE_DEPLOY", ""}, sim.EdgeExternalService: {"EXTERNAL", ""},
		sim.EdgeBlueGreenService: {"ECS", "BLUE_GREEN"}, sim.EdgeCanaryService: {"ECS", "CANARY"}, "web": {"ECS", "ROLLING"},
	}
	for _, r := range rows {
		if w, ok := want[r.Name]; ok {
			if r.Controller != w[0] || r.Strategy != w[1] {
				t.Errorf("%s: controller %q strategy %q, want %v", r.Name, r.Controller, r.Strategy, w)
			}
			if r.AgeSeconds <= 0 {
				t.Errorf("%s: no age (a task-set service's is its PRIMARY task set's)", r.Name)
			}
			delete(want, r.Name)
		}
	}
	if len(want) != 0 {
		t.Fatalf("services missing: %v", want)
	}
	_, text, _ := run(t, "services", "-c", sim.EdgeCluster)
	for _, s := range []string{"[CODE_DEPLOY]", "[EXTERNAL]", "[BLUE_GREEN]", "[CANARY]"} {
		if !strings.Contains(text, s) {
			t.Errorf("services table lacks %s:\n%s", s, text)
		}
	}
	code, text, stderr = run(t, "status", "-c", sim.EdgeCluster, "--service", sim.EdgeCodeDeployService)
	if code != 0 || !strings.Contains(text, "CODE_DEPLOY controller") || !strings.Contains(text, "PRIMARY") {
		t.Fatalf("status of cd-api (exit %d) lacks the controller or its task set:\n%s\n%s", code, text, stderr)
	}
}

func TestE2EBlueGreenCrashRollbackReadFromServiceDeployment(t *testing.T) {
	parallel(t)
	sb := startSandbox(t, "edge", "")
	before := sb.service(sim.EdgeCluster, sim.EdgeBlueGreenService)
	code, stdout, stderr := run(t, edgeDeployArgs("--service", sim.EdgeBlueGreenService, "--tag", sim.DemoCrashTag)...)
	if code != ExitFailed {
		t.Fatalf("exit %d, want 1\n%s\n%s", code, stdout, stderr)
	}
	r := decodeResult(t, stdout).Services[0]
	if r.Outcome != deploy.OutcomeBreakerRolledBack || r.Rollback == nil || r.Rollback.By != "circuit-breaker" || r.Rollback.Outcome != deploy.OutcomeSucceeded {
		t.Fatalf("result %+v rollback %+v", r, r.Rollback)
	}
	// The reason is the service deployment's rollback reason.
	if !strings.Contains(r.Reason, "Circuit breaker triggered a rollback") {
		t.Errorf("reason %q is not the service deployment's", r.Reason)
	}
	if len(r.StoppedTasks) == 0 || r.StoppedTasks[0].ExitCodes["app"] != 1 {
		t.Errorf("stopped tasks: %+v\n%s", r.StoppedTasks, stderr)
	}
	sd := sb.latestServiceDeployment(sim.EdgeBlueGreenService)
	if sd.Status != types.ServiceDeploymentStatusRollbackSuccessful {
		t.Fatalf("service deployment %s", sd.Status)
	}
	after := sb.service(sim.EdgeCluster, sim.EdgeBlueGreenService)
	if aws.ToString(after.TaskDefinition) != aws.ToString(before.TaskDefinition) || len(after.Deployments) != 1 {
		t.Fatalf("after: %s %+v", aws.ToString(after.TaskDefinition), after.Deployments)
	}
	if m := sb.mutations(); countCalls(m, "ecs.StopServiceDeployment") != 0 || countCalls(m, "ecs.UpdateService") != 1 {
		t.Fatalf("ECS rolled back, ecsctl must not have: %v", m)
	}
}

func TestE2EBlueGreenEcsctlRollbackStopsServiceDeployment(t *testing.T) {
	parallel(t)
	// Without the breaker, ECS would keep trying: ecsctl's own failure
	// count decides, and its rollback must not be an UpdateService
	// in the middle of the blue/green deployment.
	sb := startSandboxWorld(t, edgeWorldWith(t, sim.EdgeBlueGreenService, func(s *sim.ServiceSpec) { s.CircuitBreaker = nil }), "")
	before := sb.service(sim.EdgeCluster, sim.EdgeBlueGreenService)
	code, stdout, stderr := run(t, edgeDeployArgs("--service", sim.EdgeBlueGreenService, "--tag", sim.DemoCrashTag)...)
	if code != ExitFailed {
		t.Fatalf("exit %d, want 1\n%s\n%s", code, stdout, stderr)
	}
	r := decodeResult(t, stdout).Services[0]
	if r.Outcome != deploy.OutcomeRolledBack || r.Rollback == nil || r.Rollback.By != "ecsctl" || r.Rollback.Outcome != deploy.OutcomeSucceeded {
		t.Fatalf("result %+v rollback %+v", r, r.Rollback)
	}
	m := sb.mutations()
	if countCalls(m, "ecs.StopServiceDeployment") != 1 || countCalls(m, "ecs.UpdateService") != 1 {
		t.Fatalf("want the deploy's one UpdateService and one StopServiceDeployment, got %v", m)
	}
	if sd := sb.latestServiceDeployment(sim.EdgeBlueGreenService); sd.Status != types.ServiceDeploymentStatusRollbackSuccessful {
		t.Fatalf("service deployment %s", sd.Status)
	}
	after := sb.service(sim.EdgeCluster, sim.EdgeBlueGreenService)
	if aws.ToString(after.TaskDefinition) != aws.ToString(before.TaskDefinition) || len(after.Deployments) != 1 {
		t.Fatalf("after: %s %+v", aws.ToString(after.TaskDefinition), after.Deployments)
	}
}

func TestE2ERollbackCommandStopsBlueGreenInBakeTime(t *testing.T) {
	parallel(t)
	// A bake time of an hour (six seconds of real time) leaves room for
	// the status and the rollback to land in it on a slow machine.
	hour := 60
	sb := startSandboxWorld(t, edgeWorldWith(t, sim.EdgeBlueGreenService, func(s *sim.ServiceSpec) { s.BakeTimeMinutes = &hour }), "")
	before := sb.service(sim.EdgeCluster, sim.EdgeBlueGreenService)
	if code, stdout, stderr := run(t, edgeDeployArgs("--service", sim.EdgeBlueGreenService, "--tag", sim.DemoNextTag, "--no-wait")...); code != 0 {
		t.Fatalf("deploy exit %d\n%s\n%s", code, stdout, stderr)
	}
	deadline := time.Now().Add(20 * time.Second)
	for sb.latestServiceDeployment(sim.EdgeBlueGreenService).LifecycleStage != types.ServiceDeploymentLifecycleStageBakeTime {
		if time.Now().After(deadline) {
			t.Fatalf("never in bake time: %+v", sb.latestServiceDeployment(sim.EdgeBlueGreenService))
		}
		time.Sleep(5 * time.Millisecond)
	}
	// status names the stage while both revisions run.
	if code, text, stderr := run(t, "status", "-c", sim.EdgeCluster, "--service", sim.EdgeBlueGreenService); code != 0 ||
		!strings.Contains(text, "deploying   IN_PROGRESS BAKE_TIME, production traffic 100% on the new revision") {
		t.Errorf("status in bake time (exit %d):\n%s\n%s", code, text, stderr)
	}
	code, stdout, stderr := run(t, "rollback", "-c", sim.EdgeCluster, "--service", sim.EdgeBlueGreenService, "--poll-interval", "20ms", "-o", "json")
	if code != 0 {
		t.Fatalf("rollback exit %d\n%s\n%s", code, stdout, stderr)
	}
	r := decodeResult(t, stdout).Services[0]
	if r.Outcome != deploy.OutcomeSucceeded {
		t.Fatalf("rollback outcome %s: %s", r.Outcome, r.Reason)
	}
	m := sb.mutations()
	if countCalls(m, "ecs.StopServiceDeployment") != 1 || countCalls(m, "ecs.UpdateService") != 1 {
		t.Fatalf("want the deploy's one UpdateService and the rollback's StopServiceDeployment, got %v", m)
	}
	if sd := sb.latestServiceDeployment(sim.EdgeBlueGreenService); sd.Status != types.ServiceDeploymentStatusRollbackSuccessful {
		t.Fatalf("service deployment %s", sd.Status)
	}
	after := sb.service(sim.EdgeCluster, sim.EdgeBlueGreenService)
	if aws.ToString(after.TaskDefinition) != aws.ToString(before.TaskDefinition) || len(after.Deployments) != 1 {
		t.Fatalf("after: %s %+v", aws.ToString(after.TaskDefinition), after.Deployments)
	}
}

// A cluster holding CODE_DEPLOY and EXTERNAL services (task sets, no
// deployments) is steady for rotate-ami: its plan is not refused.
func TestE2ERotatePlanAcceptsTaskSetServices(t *testing.T) {
	parallel(t)
	sb := startSandbox(t, "edge", "")
	code, stdout, stderr := run(t, "rotate-ami", "-c", sim.EdgeCluster, "--dry-run")
	if code != 0 || !strings.Contains(stdout, sim.EdgeCodeDeployService) || strings.Contains(stderr, "not steady") {
		t.Fatalf("rotate-ami --dry-run on edge: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if m := sb.mutations(); len(m) != 0 {
		t.Fatalf("a dry run changed something: %v", m)
	}
}
