package deploy_test

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"ecsctl/ops"
	"ecsctl/ops/deploy"
	"ecsctl/sim"
	"ecsctl/sim/simtest"
)

// Deployment strategies and controllers on the edge world, in virtual
// time: bg-api (BLUE_GREEN, circuit breaker with rollback) and canary-api
// (CANARY). A bake time of minutes passes in the deployer's own waits, so
// these need no real-time margin for a slow machine (they were cmd
// end-to-end tests at 600× speed).

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

// progressLog collects a deployer's progress messages.
type progressLog struct {
	mu   sync.Mutex
	msgs []string
}

func (l *progressLog) event(ev ops.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.msgs = append(l.msgs, ev.Message)
}

func (l *progressLog) text() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.msgs, "\n")
}

// latestServiceDeployment is the newest service deployment of a service,
// described.
func latestServiceDeployment(t *testing.T, c *ecs.Client, cluster, service string) types.ServiceDeployment {
	t.Helper()
	list, err := c.ListServiceDeployments(t.Context(), &ecs.ListServiceDeploymentsInput{Cluster: aws.String(cluster), Service: aws.String(service)})
	if err != nil || len(list.ServiceDeployments) == 0 {
		t.Fatalf("list service deployments of %s: %v %+v", service, err, list)
	}
	out, err := c.DescribeServiceDeployments(t.Context(), &ecs.DescribeServiceDeploymentsInput{ServiceDeploymentArns: []string{aws.ToString(list.ServiceDeployments[0].ServiceDeploymentArn)}})
	if err != nil || len(out.ServiceDeployments) != 1 {
		t.Fatalf("describe service deployment of %s: %v", service, err)
	}
	return out.ServiceDeployments[0]
}

// mutationCount counts the sandbox's answered mutating calls of op ("ecs.UpdateService").
func mutationCount(sb *simtest.Sandbox, op string) int {
	n := 0
	for _, r := range sb.Sim.MutatingRequests() {
		if r.Service+"."+r.Op == op {
			n++
		}
	}
	return n
}

func TestSimBlueGreenDeploySucceedsAfterBakeTime(t *testing.T) {
	t.Parallel()
	bake := 15
	sb := simtest.StartWorld(t, edgeWorldWith(t, sim.EdgeBlueGreenService, func(s *sim.ServiceSpec) { s.BakeTimeMinutes = &bake }), simtest.Options{})
	d, c := simDeployer(sb)
	var log progressLog
	d.Progress = log.event

	res, err := d.Deploy(t.Context(), deploy.Request{Cluster: sim.EdgeCluster, Services: []string{sim.EdgeBlueGreenService}, Tag: sim.DemoNextTag, Timeout: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	r := res.Services[0]
	if r.Outcome != deploy.OutcomeSucceeded {
		t.Fatalf("outcome %s: %s", r.Outcome, r.Reason)
	}
	// The verdict waited for the service deployment: SUCCESSFUL, after the
	// bake time with both revisions running, and the old one gone.
	sd := latestServiceDeployment(t, c, sim.EdgeCluster, sim.EdgeBlueGreenService)
	if sd.Status != types.ServiceDeploymentStatusSuccessful || aws.ToTime(sd.FinishedAt).Sub(aws.ToTime(sd.StartedAt)) < 15*time.Minute {
		t.Fatalf("service deployment %s, %s → %s", sd.Status, aws.ToTime(sd.StartedAt), aws.ToTime(sd.FinishedAt))
	}
	if want := "BLUE_GREEN BAKE_TIME 15m left; new 3/3 running, old 3 running; production traffic 100%"; !strings.Contains(log.text(), want) {
		t.Errorf("progress never named %q:\n%s", want, log.text())
	}
	svc := describeService(t, c, sim.EdgeCluster, sim.EdgeBlueGreenService)
	if len(svc.Deployments) != 1 || aws.ToString(svc.TaskDefinition) != r.NewTaskDefinition || svc.RunningCount != svc.DesiredCount {
		t.Fatalf("after the verdict: %s, %+v", aws.ToString(svc.TaskDefinition), svc.Deployments)
	}
}

func TestSimCanaryDeployShiftsTenPercentThenSucceeds(t *testing.T) {
	t.Parallel()
	ten := 10
	sb := simtest.StartWorld(t, edgeWorldWith(t, sim.EdgeCanaryService, func(s *sim.ServiceSpec) {
		s.BakeTimeMinutes = &ten
		s.Canary.BakeMinutes = ten
	}), simtest.Options{})
	d, c := simDeployer(sb)
	var log progressLog
	d.Progress = log.event

	res, err := d.Deploy(t.Context(), deploy.Request{Cluster: sim.EdgeCluster, Services: []string{sim.EdgeCanaryService}, Tag: sim.DemoNextTag, Timeout: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if r := res.Services[0]; r.Outcome != deploy.OutcomeSucceeded {
		t.Fatalf("outcome %s: %s", r.Outcome, r.Reason)
	}
	// The canary step (10 % for 10 minutes), then all traffic, then the
	// bake time: each named in the progress.
	for _, want := range []string{"CANARY PRODUCTION_TRAFFIC_SHIFT 10m left", "production traffic 10%", "BAKE_TIME 10m left", "production traffic 100%"} {
		if !strings.Contains(log.text(), want) {
			t.Errorf("progress never said %q:\n%s", want, log.text())
		}
	}
	sd := latestServiceDeployment(t, c, sim.EdgeCluster, sim.EdgeCanaryService)
	if sd.Status != types.ServiceDeploymentStatusSuccessful || aws.ToTime(sd.FinishedAt).Sub(aws.ToTime(sd.StartedAt)) < 20*time.Minute {
		t.Fatalf("service deployment %s after %s", sd.Status, aws.ToTime(sd.FinishedAt).Sub(aws.ToTime(sd.StartedAt)))
	}
	svc := describeService(t, c, sim.EdgeCluster, sim.EdgeCanaryService)
	if got := runningTaskDefs(t, c, sim.EdgeCluster, sim.EdgeCanaryService); len(got) != 1 || got[aws.ToString(svc.TaskDefinition)] != int(svc.DesiredCount) {
		t.Errorf("running tasks by revision %v, want %d on %s", got, svc.DesiredCount, aws.ToString(svc.TaskDefinition))
	}
}

// A rolling deploy that the deployer looks at only after ECS has rolled it
// back and the failed deployment is gone from DescribeServices: the service
// deployment says what happened and why.
func TestSimRollingRollbackReasonFromServiceDeployment(t *testing.T) {
	t.Parallel()
	sb := simtest.Start(t, "small", simtest.Options{})
	d, c := simDeployer(sb)
	// One poll every 5 minutes: by the first, the breaker has rolled back
	// and the failed deployment's tasks are gone.
	d.PollInterval = 5 * time.Minute
	before := describeService(t, c, "small", "api")

	res, err := d.Deploy(t.Context(), deploy.Request{Cluster: "small", Services: []string{"api"}, Tag: sim.DemoCrashTag, Timeout: time.Hour})
	if !errors.Is(err, ops.ErrFailed) || res == nil {
		t.Fatalf("err %v, want a failed deploy", err)
	}
	r := res.Services[0]
	if r.Outcome != deploy.OutcomeBreakerRolledBack || r.Rollback == nil || r.Rollback.By != "circuit-breaker" {
		t.Fatalf("result %+v rollback %+v", r, r.Rollback)
	}
	if !strings.Contains(r.Reason, "Circuit breaker triggered a rollback") {
		t.Errorf("reason %q is not the service deployment's", r.Reason)
	}
	if after := describeService(t, c, "small", "api"); aws.ToString(after.TaskDefinition) != aws.ToString(before.TaskDefinition) {
		t.Errorf("service runs %s, want %s", aws.ToString(after.TaskDefinition), aws.ToString(before.TaskDefinition))
	}
}
