package deploy_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"ecsctl/ops"
	"ecsctl/ops/deploy"
	"ecsctl/sim"
	"ecsctl/sim/simtest"
)

// Deploys against the sandbox in virtual time: the real SDK clients over
// HTTP, the sim's clock moved only by the deployer's own waits (package
// simtest), so a rollout that takes minutes of account time runs in
// milliseconds and always the same way.

var _ ops.Clock = (*simtest.Clock)(nil)

// simDeployer is a Deployer wired the way `ecsctl deploy` wires it, with
// the sandbox's clients and clock and the default 5 s poll interval.
func simDeployer(sb *simtest.Sandbox) (*deploy.Deployer, *ecs.Client) {
	c := ecs.NewFromConfig(sb.Config)
	return &deploy.Deployer{
		ECS: c, ECR: ecr.NewFromConfig(sb.Config), Logs: cloudwatchlogs.NewFromConfig(sb.Config),
		ELB: elasticloadbalancingv2.NewFromConfig(sb.Config), History: c,
		Region: sb.Config.Region, Clock: sb.Clock,
	}, c
}

func describeService(t *testing.T, c *ecs.Client, cluster, name string) types.Service {
	t.Helper()
	out, err := c.DescribeServices(t.Context(), &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: []string{name}})
	if err != nil || len(out.Services) != 1 {
		t.Fatalf("describe service %s/%s: %v %+v", cluster, name, err, out)
	}
	return out.Services[0]
}

// runningTaskDefs counts the service's RUNNING tasks by task definition.
func runningTaskDefs(t *testing.T, c *ecs.Client, cluster, name string) map[string]int {
	t.Helper()
	list, err := c.ListTasks(t.Context(), &ecs.ListTasksInput{Cluster: aws.String(cluster), ServiceName: aws.String(name), DesiredStatus: types.DesiredStatusRunning})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	if len(list.TaskArns) == 0 {
		return got
	}
	out, err := c.DescribeTasks(t.Context(), &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: list.TaskArns})
	if err != nil {
		t.Fatal(err)
	}
	for _, tk := range out.Tasks {
		if aws.ToString(tk.LastStatus) == "RUNNING" {
			got[aws.ToString(tk.TaskDefinitionArn)]++
		}
	}
	return got
}

func checkInvariants(t *testing.T, sb *simtest.Sandbox, key string) {
	t.Helper()
	rep := sb.Sim.Report()
	if len(rep.Violations) != 0 || len(rep.TerminatedWithTasks) != 0 {
		t.Errorf("invariants broken: %+v %+v", rep.Violations, rep.TerminatedWithTasks)
	}
	if r, ok := rep.Services[key]; ok && r.MinHealthy < r.Required {
		t.Errorf("%s went below minimum healthy: %+v", key, r)
	}
}

func TestSimDeploySucceeds(t *testing.T) {
	t.Parallel()
	sb := simtest.Start(t, "small", simtest.Options{})
	d, c := simDeployer(sb)
	before := describeService(t, c, "small", "api")
	sb.Sim.ResetReport()
	start := sb.Clock.Now()

	res, err := d.Deploy(t.Context(), deploy.Request{Cluster: "small", Services: []string{"api"}, Tag: sim.DemoNextTag, Timeout: 30 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	r := res.Services[0]
	if r.Outcome != deploy.OutcomeSucceeded {
		t.Fatalf("outcome %s (%s)", r.Outcome, r.Reason)
	}
	after := describeService(t, c, "small", "api")
	if len(after.Deployments) != 1 || aws.ToString(after.Deployments[0].Id) != r.DeploymentID ||
		after.Deployments[0].RolloutState != types.DeploymentRolloutStateCompleted {
		t.Fatalf("service not on the deploy's completed deployment %s: %+v", r.DeploymentID, after.Deployments)
	}
	newTD := aws.ToString(after.TaskDefinition)
	if newTD == aws.ToString(before.TaskDefinition) || newTD != r.NewTaskDefinition {
		t.Fatalf("service runs %s, result says %s, before %s", newTD, r.NewTaskDefinition, aws.ToString(before.TaskDefinition))
	}
	// Every running task is on the new revision, as many as desired.
	if got := runningTaskDefs(t, c, "small", "api"); len(got) != 1 || got[newTD] != int(after.DesiredCount) {
		t.Errorf("running tasks by revision %v, want %d on %s", got, after.DesiredCount, newTD)
	}
	td, err := c.DescribeTaskDefinition(t.Context(), &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(newTD)})
	if err != nil {
		t.Fatal(err)
	}
	if img := aws.ToString(td.TaskDefinition.ContainerDefinitions[0].Image); !strings.HasSuffix(img, "/api:"+sim.DemoNextTag) {
		t.Errorf("app image %s", img)
	}
	// The old tasks drained their targets (300 s) in account time, which
	// only the deployer's waits moved.
	if took := sb.Clock.Now().Sub(start); took < 5*time.Minute {
		t.Errorf("deploy took %s of account time, less than the deregistration delay", took)
	}
	checkInvariants(t, sb, "small/api")
}

func TestSimDeployCrashIsRolledBackByTheCircuitBreaker(t *testing.T) {
	t.Parallel()
	sb := simtest.Start(t, "small", simtest.Options{})
	d, c := simDeployer(sb)
	before := describeService(t, c, "small", "api")

	res, err := d.Deploy(t.Context(), deploy.Request{Cluster: "small", Services: []string{"api"}, Tag: sim.DemoCrashTag, Timeout: 30 * time.Minute})
	if !errors.Is(err, ops.ErrFailed) || res == nil {
		t.Fatalf("err %v, want a failed deploy", err)
	}
	r := res.Services[0]
	if r.Outcome != deploy.OutcomeBreakerRolledBack || r.Rollback == nil || r.Rollback.By != "circuit-breaker" {
		t.Fatalf("outcome %s (%s) rollback %+v", r.Outcome, r.Reason, r.Rollback)
	}
	if r.Rollback.TaskDefinition != aws.ToString(before.TaskDefinition) {
		t.Errorf("rollback target %s, want the previous %s", r.Rollback.TaskDefinition, aws.ToString(before.TaskDefinition))
	}
	if len(r.StoppedTasks) == 0 {
		t.Errorf("no stopped task in the verdict")
	}
	// The breaker's rollback has run to the end in the account: one
	// deployment, on the old revision, all tasks running it.
	after := describeService(t, c, "small", "api")
	oldTD := aws.ToString(before.TaskDefinition)
	if aws.ToString(after.TaskDefinition) != oldTD {
		t.Errorf("service runs %s, want %s", aws.ToString(after.TaskDefinition), oldTD)
	}
	for _, dep := range after.Deployments {
		if aws.ToString(dep.TaskDefinition) == r.NewTaskDefinition && dep.RolloutState != types.DeploymentRolloutStateFailed {
			t.Errorf("crashing deployment still %s", dep.RolloutState)
		}
	}
	if got := runningTaskDefs(t, c, "small", "api"); got[r.NewTaskDefinition] != 0 || got[oldTD] == 0 {
		t.Errorf("running tasks by revision %v", got)
	}
}

func TestSimDeployTimeoutRollsBack(t *testing.T) {
	t.Parallel()
	w, err := sim.BuiltinWorld("small")
	if err != nil {
		t.Fatal(err)
	}
	sb := simtest.StartWorld(t, w, simtest.Options{})
	// From now on new tasks take 20 minutes to start: the rollout cannot
	// finish within the 3-minute timeout. The world's tasks already run.
	sb.Sim.Lock()
	sb.Sim.Timings.TaskStart = sim.Duration(20 * time.Minute)
	sb.Sim.Unlock()
	d, c := simDeployer(sb)
	before := describeService(t, c, "small", "api")
	start := sb.Clock.Now()

	res, err := d.Deploy(t.Context(), deploy.Request{Cluster: "small", Services: []string{"api"}, Tag: sim.DemoNextTag,
		Timeout: 3 * time.Minute, RollbackTimeout: time.Hour})
	if !errors.Is(err, ops.ErrTimeout) || res == nil {
		t.Fatalf("err %v, want a timeout", err)
	}
	r := res.Services[0]
	if r.Rollback == nil || r.Rollback.By != "ecsctl" || r.Rollback.Outcome != deploy.OutcomeSucceeded {
		t.Fatalf("outcome %s (%s) rollback %+v", r.Outcome, r.Reason, r.Rollback)
	}
	if took := r.FinishedAt.Sub(start); took < 3*time.Minute {
		t.Errorf("verdict after %s of account time, before the timeout", took)
	}
	after := describeService(t, c, "small", "api")
	oldTD := aws.ToString(before.TaskDefinition)
	if aws.ToString(after.TaskDefinition) != oldTD || after.RunningCount != after.DesiredCount {
		t.Errorf("service runs %s (%d/%d), want %s", aws.ToString(after.TaskDefinition), after.RunningCount, after.DesiredCount, oldTD)
	}
	if got := runningTaskDefs(t, c, "small", "api"); len(got) != 1 || got[oldTD] != int(after.DesiredCount) {
		t.Errorf("running tasks by revision %v, want all on %s", got, oldTD)
	}
}

func TestSimDeployCrashWithoutBreakerEcsctlRollsBack(t *testing.T) {
	t.Parallel()
	sb := simtest.Start(t, "small", simtest.Options{})
	d, c := simDeployer(sb)
	before := describeService(t, c, "small", "worker")

	res, err := d.Deploy(t.Context(), deploy.Request{Cluster: "small", Services: []string{"worker"}, Tag: sim.DemoCrashTag, Timeout: 30 * time.Minute})
	if !errors.Is(err, ops.ErrFailed) || res == nil {
		t.Fatalf("err %v, want a failed deploy", err)
	}
	r := res.Services[0]
	if r.Outcome != deploy.OutcomeRolledBack || r.Rollback == nil || r.Rollback.By != "ecsctl" || r.Rollback.Outcome != deploy.OutcomeSucceeded {
		t.Fatalf("outcome %s (%s) rollback %+v", r.Outcome, r.Reason, r.Rollback)
	}
	if len(r.StoppedTasks) == 0 || r.StoppedTasks[0].ExitCodes["app"] != 1 {
		t.Errorf("stopped tasks %+v", r.StoppedTasks)
	}
	// The last lines are read after waiting (in account time) for the
	// crashed container's logs to arrive.
	if len(r.LogLines) == 0 {
		t.Errorf("no log lines of the crashed container")
	}
	after := describeService(t, c, "small", "worker")
	oldTD := aws.ToString(before.TaskDefinition)
	if aws.ToString(after.TaskDefinition) != oldTD || after.RunningCount != after.DesiredCount {
		t.Errorf("worker runs %s (%d/%d), want %s", aws.ToString(after.TaskDefinition), after.RunningCount, after.DesiredCount, oldTD)
	}
	if got := runningTaskDefs(t, c, "small", "worker"); len(got) != 1 || got[oldTD] != int(after.DesiredCount) {
		t.Errorf("running tasks by revision %v, want all on %s", got, oldTD)
	}
}

// The same deploy in two sandboxes makes the same calls at the same account
// times and reaches the same verdict: nothing depends on real time.
func TestSimDeployIsDeterministic(t *testing.T) {
	t.Parallel()
	trace := func() []string {
		sb := simtest.Start(t, "small", simtest.Options{})
		d, _ := simDeployer(sb)
		var lines []string
		d.Progress = func(ev ops.Event) { lines = append(lines, ev.Time.Format(time.RFC3339)+" "+ev.Message) }
		res, _ := d.Deploy(t.Context(), deploy.Request{Cluster: "small", Services: []string{"api"}, Tag: sim.DemoCrashTag, Timeout: 30 * time.Minute})
		lines = append(lines, "verdict "+res.Services[0].Outcome)
		for _, rq := range sb.Sim.Requests() {
			lines = append(lines, rq.Virtual.Format(time.RFC3339Nano)+" "+rq.Service+"."+rq.Op)
		}
		return lines
	}
	a, b := trace(), trace()
	if strings.Join(a, "\n") != strings.Join(b, "\n") {
		t.Fatalf("two runs differ:\n%s\n---\n%s", strings.Join(a, "\n"), strings.Join(b, "\n"))
	}
	if len(a) < 20 {
		t.Fatalf("trace too short to mean anything: %v", a)
	}
}

// Under throttling the SDK retries at once and the deployer backs off in
// account time: the deploy still succeeds, in the same virtual time frame.
func TestSimDeployUnderThrottling(t *testing.T) {
	t.Parallel()
	sb := simtest.Start(t, "small", simtest.Options{Faults: "throttle=0.3", MaxAttempts: 8})
	d, c := simDeployer(sb)
	res, err := d.Deploy(t.Context(), deploy.Request{Cluster: "small", Services: []string{"api"}, Tag: sim.DemoNextTag, Timeout: 30 * time.Minute})
	if err != nil || res.Services[0].Outcome != deploy.OutcomeSucceeded {
		t.Fatalf("err %v result %+v", err, res)
	}
	after := describeService(t, c, "small", "api")
	if aws.ToString(after.TaskDefinition) != res.Services[0].NewTaskDefinition || len(after.Deployments) != 1 {
		t.Fatalf("service on %s with %d deployments, want %s alone", aws.ToString(after.TaskDefinition), len(after.Deployments), res.Services[0].NewTaskDefinition)
	}
	throttled := 0
	for _, r := range sb.Sim.Requests() {
		if r.Fault == "throttle" {
			throttled++
		}
	}
	if throttled == 0 {
		t.Fatal("no request was throttled: the fault injection did not apply")
	}
}
