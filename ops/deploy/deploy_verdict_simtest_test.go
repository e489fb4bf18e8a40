package deploy_test

import (
	"errors"
	"strings"
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

// Deploy verdicts, rollback targets and Fargate deploys in virtual time
// (they were cmd end-to-end tests at 600× speed; cmd keeps the exit codes
// and the text).

// settle lets the account run until a service is steady (one COMPLETED
// deployment, running == desired), within an hour of account time.
func settle(t *testing.T, sb *simtest.Sandbox, c *ecs.Client, cluster, name string) types.Service {
	t.Helper()
	deadline := sb.Clock.Now().Add(time.Hour)
	for {
		s := describeService(t, c, cluster, name)
		if len(s.Deployments) == 1 && s.Deployments[0].RolloutState == types.DeploymentRolloutStateCompleted && s.RunningCount == s.DesiredCount {
			return s
		}
		if sb.Clock.Now().After(deadline) {
			t.Fatalf("%s/%s never steady: %+v", cluster, name, s.Deployments)
		}
		<-sb.Clock.After(10 * time.Second)
	}
}

func hasLine(lines []string, sub string) bool {
	for _, l := range lines {
		if strings.Contains(l, sub) {
			return true
		}
	}
	return false
}

// A deploy whose new deployment is complete and healthy when the timeout
// passes, with only the old tasks still draining from the load balancer,
// succeeds: the timeout does not roll it back.
func TestSimDeployTimeoutWhileOldTasksDrainIsNotRolledBack(t *testing.T) {
	t.Parallel()
	w, err := sim.BuiltinWorld("small")
	if err != nil {
		t.Fatal(err)
	}
	// Old targets drain for four hours: long after the new tasks are up
	// and the timeout has passed.
	w.Timings = &sim.Timings{DeregistrationDelay: sim.Duration(4 * time.Hour)}
	sb := simtest.StartWorld(t, w, simtest.Options{})
	d, c := simDeployer(sb)
	before := describeService(t, c, "small", "api")
	sb.Sim.ResetRequests()
	start := sb.Clock.Now()

	res, err := d.Deploy(t.Context(), deploy.Request{Cluster: "small", Services: []string{"api"}, Tag: sim.DemoNextTag, Timeout: 30 * time.Minute})
	if err != nil {
		t.Fatalf("err %v, want success", err)
	}
	r := res.Services[0]
	if r.Outcome != deploy.OutcomeSucceeded || r.Rollback != nil || !hasLine(r.Notes, "complete and healthy") {
		t.Errorf("outcome %s rollback %+v notes %v", r.Outcome, r.Rollback, r.Notes)
	}
	if took := r.FinishedAt.Sub(start); took < 30*time.Minute || took > 4*time.Hour {
		t.Errorf("verdict after %s of account time, want at the 30m timeout, before the drain ends", took)
	}
	if n := mutationCount(sb, "ecs.UpdateService"); n != 1 {
		t.Errorf("%d UpdateService calls: the timeout rolled back", n)
	}
	after := describeService(t, c, "small", "api")
	if p := after.Deployments[0]; aws.ToString(p.Status) != "PRIMARY" || aws.ToString(p.TaskDefinition) == aws.ToString(before.TaskDefinition) || p.RunningCount != p.DesiredCount {
		t.Errorf("service deployments after the deploy: %+v", after.Deployments)
	}
}

// When the circuit breaker rolls back, the verdict shows the stopped tasks
// (reason, exit codes) and the failing container's last lines.
func TestSimDeployBreakerRollbackHasStoppedTasksAndLastLines(t *testing.T) {
	t.Parallel()
	sb := simtest.Start(t, "small", simtest.Options{})
	d, _ := simDeployer(sb)
	res, err := d.Deploy(t.Context(), deploy.Request{Cluster: "small", Services: []string{"api"}, Tag: sim.DemoCrashTag, Timeout: 30 * time.Minute})
	if !errors.Is(err, ops.ErrFailed) || res == nil {
		t.Fatalf("err %v, want a failed deploy", err)
	}
	r := res.Services[0]
	if r.Outcome != deploy.OutcomeBreakerRolledBack {
		t.Fatalf("outcome %s", r.Outcome)
	}
	if len(r.StoppedTasks) == 0 || r.StoppedTasks[0].ExitCodes["app"] != 1 || r.StoppedTasks[0].StoppedReason == "" {
		t.Errorf("stopped tasks: %+v", r.StoppedTasks)
	}
	if !hasLine(r.LogLines, "panic: startup failed") {
		t.Errorf("last log lines:\n%s", strings.Join(r.LogLines, "\n"))
	}
}

// A rollback goes to the revision the service last ran successfully: after
// a deploy the circuit breaker rolled back (api:6) and a good one (api:7),
// it goes to api:5, not to the previous number. The dry run shows the
// images of both sides and changes nothing; a --to of another family is
// bad input.
func TestSimRollbackGoesToTheLastSuccessfulRevision(t *testing.T) {
	t.Parallel()
	sb := simtest.Start(t, "small", simtest.Options{})
	d, c := simDeployer(sb)
	good := aws.ToString(describeService(t, c, "small", "api").TaskDefinition)
	if !strings.HasSuffix(good, ":task-definition/api:5") {
		t.Fatalf("the small world's api runs %s, want api:5", good)
	}
	if _, err := d.Deploy(t.Context(), deploy.Request{Cluster: "small", Services: []string{"api"}, Tag: sim.DemoCrashTag, Timeout: 30 * time.Minute}); !errors.Is(err, ops.ErrFailed) {
		t.Fatalf("crash deploy: %v", err)
	}
	settle(t, sb, c, "small", "api")
	if _, err := d.Deploy(t.Context(), deploy.Request{Cluster: "small", Services: []string{"api"}, Tag: sim.DemoNextTag, Timeout: 30 * time.Minute}); err != nil {
		t.Fatalf("deploy: %v", err)
	}
	if now := aws.ToString(describeService(t, c, "small", "api").TaskDefinition); !strings.HasSuffix(now, "api:7") {
		t.Fatalf("after the good deploy the service runs %s, want api:7", now)
	}
	mutated := len(sb.Sim.MutatingRequests())

	res, err := d.Rollback(t.Context(), deploy.RollbackRequest{Cluster: "small", Service: "api", Timeout: 30 * time.Minute, DryRun: true})
	if err != nil {
		t.Fatalf("dry run: %v", err)
	}
	r := res.Services[0]
	if r.NewTaskDefinition != good {
		t.Errorf("rollback would go to %s, want %s (api:6 was rolled back by the circuit breaker)", r.NewTaskDefinition, good)
	}
	if len(r.Images) == 0 || !strings.HasSuffix(r.Images[0].From, ":"+sim.DemoNextTag) || !strings.HasSuffix(r.Images[0].To, ":"+sim.DemoAPITag) {
		t.Errorf("images of the plan: %+v", r.Images)
	}
	var input *ops.InputError
	if _, err := d.Rollback(t.Context(), deploy.RollbackRequest{Cluster: "small", Service: "api", Timeout: 30 * time.Minute, ToFamily: "worker", ToRevision: 5, DryRun: true}); !errors.As(err, &input) {
		t.Errorf("a target of family worker: err %v, want bad input", err)
	}
	if m := sb.Sim.MutatingRequests()[mutated:]; len(m) != 0 {
		t.Fatalf("dry runs and refusals made mutating calls: %v", m)
	}

	res, err = d.Rollback(t.Context(), deploy.RollbackRequest{Cluster: "small", Service: "api", Timeout: 30 * time.Minute, ToFamily: "api", ToRevision: 5})
	if err != nil {
		t.Fatalf("rollback: %v", err)
	}
	if r := res.Services[0]; r.Outcome != deploy.OutcomeSucceeded || r.NewTaskDefinition != good {
		t.Errorf("rollback outcome %s to %s (%s)", r.Outcome, r.NewTaskDefinition, r.Reason)
	}
	after := describeService(t, c, "small", "api")
	if aws.ToString(after.TaskDefinition) != good {
		t.Errorf("service runs %s, want %s", aws.ToString(after.TaskDefinition), good)
	}
	if got := runningTaskDefs(t, c, "small", "api"); got[good] != int(after.DesiredCount) {
		t.Errorf("running tasks by revision %v, want %d on %s", got, after.DesiredCount, good)
	}
}

// reservedOn sums what the cluster's container instances have reserved
// (registered minus remaining), as ECS reports it.
func reservedOn(t *testing.T, c *ecs.Client, cluster string) (cpu, mem int) {
	t.Helper()
	l, err := c.ListContainerInstances(t.Context(), &ecs.ListContainerInstancesInput{Cluster: aws.String(cluster)})
	if err != nil {
		t.Fatal(err)
	}
	d, err := c.DescribeContainerInstances(t.Context(), &ecs.DescribeContainerInstancesInput{Cluster: aws.String(cluster), ContainerInstances: l.ContainerInstanceArns})
	if err != nil {
		t.Fatal(err)
	}
	val := func(rs []types.Resource, name string) int {
		for _, r := range rs {
			if aws.ToString(r.Name) == name {
				return int(r.IntegerValue)
			}
		}
		return 0
	}
	for _, ci := range d.ContainerInstances {
		cpu += val(ci.RegisteredResources, "CPU") - val(ci.RemainingResources, "CPU")
		mem += val(ci.RegisteredResources, "MEMORY") - val(ci.RemainingResources, "MEMORY")
	}
	return cpu, mem
}

// checkOnFargate fails unless every running task of the service runs
// wantTD on Fargate as AWS shows it: no container instance, an ENI with a
// private IP, and the given capacity providers (nil: none).
func checkOnFargate(t *testing.T, c *ecs.Client, cluster, service, wantTD string, providers map[string]int) {
	t.Helper()
	l, err := c.ListTasks(t.Context(), &ecs.ListTasksInput{Cluster: aws.String(cluster), ServiceName: aws.String(service)})
	if err != nil || len(l.TaskArns) == 0 {
		t.Fatalf("list tasks of %s/%s: %v %v", cluster, service, err, l)
	}
	out, err := c.DescribeTasks(t.Context(), &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: l.TaskArns})
	if err != nil {
		t.Fatal(err)
	}
	simtest.CheckOnFargate(t, out.Tasks, wantTD, providers)
}

// A deploy and a rollback of a Fargate service and of a capacity provider
// strategy service: the new revision stays a Fargate one, the service keeps
// its launch, every task runs on Fargate, and the instances reserve what
// they did before.
func TestSimFargateDeployAndRollback(t *testing.T) {
	t.Parallel()
	sb := simtest.Start(t, "edge", simtest.Options{})
	d, c := simDeployer(sb)
	cpu0, mem0 := reservedOn(t, c, sim.EdgeCluster)
	for _, tc := range []struct {
		service   string
		providers map[string]int
	}{
		{"fargate-api", nil},
		{"spot-worker", map[string]int{"FARGATE": 1, "FARGATE_SPOT": 3}},
	} {
		t.Run(tc.service, func(t *testing.T) {
			before := settle(t, sb, c, sim.EdgeCluster, tc.service)
			oldTD := aws.ToString(before.TaskDefinition)
			res, err := d.Deploy(t.Context(), deploy.Request{Cluster: sim.EdgeCluster, Services: []string{tc.service}, Tag: sim.DemoNextTag, Timeout: 30 * time.Minute})
			if err != nil {
				t.Fatalf("deploy: %v", err)
			}
			if len(res.Services) != 1 || res.Services[0].Outcome != deploy.OutcomeSucceeded {
				t.Fatalf("deploy result %+v", res.Services)
			}
			after := settle(t, sb, c, sim.EdgeCluster, tc.service)
			newTD := aws.ToString(after.TaskDefinition)
			if newTD == oldTD || aws.ToString(after.Deployments[0].Id) != res.Services[0].DeploymentID {
				t.Fatalf("service on %s (deployment %s), want a new revision from deployment %s", newTD, aws.ToString(after.Deployments[0].Id), res.Services[0].DeploymentID)
			}
			out, err := c.DescribeTaskDefinition(t.Context(), &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(newTD)})
			if err != nil {
				t.Fatal(err)
			}
			if td := out.TaskDefinition; td.NetworkMode != types.NetworkModeAwsvpc || aws.ToString(td.Cpu) == "" || aws.ToString(td.Memory) == "" {
				t.Errorf("new revision: networkMode %q cpu %q memory %q", td.NetworkMode, aws.ToString(td.Cpu), aws.ToString(td.Memory))
			}
			if after.LaunchType != before.LaunchType || len(after.CapacityProviderStrategy) != len(before.CapacityProviderStrategy) {
				t.Errorf("launch changed: %q %v → %q %v", before.LaunchType, before.CapacityProviderStrategy, after.LaunchType, after.CapacityProviderStrategy)
			}
			checkOnFargate(t, c, sim.EdgeCluster, tc.service, newTD, tc.providers)

			rb, err := d.Rollback(t.Context(), deploy.RollbackRequest{Cluster: sim.EdgeCluster, Service: tc.service, Timeout: 30 * time.Minute})
			if err != nil {
				t.Fatalf("rollback: %v", err)
			}
			if r := rb.Services[0]; r.Outcome != deploy.OutcomeSucceeded || r.NewTaskDefinition != oldTD {
				t.Errorf("rollback outcome %s to %s, want %s", r.Outcome, r.NewTaskDefinition, oldTD)
			}
			back := settle(t, sb, c, sim.EdgeCluster, tc.service)
			if aws.ToString(back.TaskDefinition) != oldTD {
				t.Fatalf("rolled back to %s, want %s", aws.ToString(back.TaskDefinition), oldTD)
			}
			checkOnFargate(t, c, sim.EdgeCluster, tc.service, oldTD, tc.providers)
		})
	}
	// Seven Fargate tasks were replaced twice: the instances reserve what
	// they did before (web and nocpu-api only).
	if cpu, mem := reservedOn(t, c, sim.EdgeCluster); cpu != cpu0 || mem != mem0 {
		t.Errorf("instance reservation went from %d/%d to %d/%d", cpu0, mem0, cpu, mem)
	}
}
