package cmd

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"ecsctl/ops/deploy"
	"ecsctl/render"
	"ecsctl/sim"
)

// The small world: cluster "small", services api (3 tasks, load-balanced,
// circuit breaker with rollback, app + envoy sidecar), worker (2, no
// breaker) and web (2, minimum healthy 50 %). ECR holds the running tag,
// sim.DemoNextTag, sim.DemoCrashTag and an unhealthy- tag.

func deployArgs(extra ...string) []string {
	return append([]string{"deploy", "-c", "small", "--poll-interval", "20ms", "-o", "json"}, extra...)
}

func decodeResult(t *testing.T, stdout string) deploy.Result {
	t.Helper()
	var r deploy.Result
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("result is not JSON: %v\n%s", err, stdout)
	}
	return r
}

func TestE2EDeploySucceedsChangingOnlyTheMainImage(t *testing.T) {
	parallel(t)
	sb := startSandbox(t, "small", "")
	before := sb.service("small", "api")
	if _, err := sb.ecs.TagResource(context.Background(), &ecs.TagResourceInput{ResourceArn: before.TaskDefinition,
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("payments")}, {Key: aws.String("cost-center"), Value: aws.String("42")}}}); err != nil {
		t.Fatal(err)
	}
	oldTD, oldTags := sb.taskDef(aws.ToString(before.TaskDefinition))
	sb.sim.ResetReport()

	code, stdout, stderr := run(t, deployArgs("--service", "api", "--tag", sim.DemoNextTag)...)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	res := decodeResult(t, stdout)
	if len(res.Services) != 1 || res.Services[0].Outcome != deploy.OutcomeSucceeded {
		t.Fatalf("result %+v", res.Services)
	}
	// The longest phase of a rolling deploy is ECS draining the old tasks
	// from the load balancer: the CI log names it, with the target group's
	// deregistration delay (read from ELBv2) and an estimate of the time
	// left, instead of sitting on "4/4 running" with nothing said.
	var drain string
	for _, l := range strings.Split(stderr, "\n") {
		if strings.Contains(l, "draining 3 old task(s)") {
			drain = l
			break
		}
	}
	if drain == "" {
		t.Errorf("no progress line names the drain of the 3 old tasks:\n%s", stderr)
	}
	for _, want := range []string{"new tasks healthy", "deregistration delay 300s", "left"} {
		if drain != "" && !strings.Contains(drain, want) {
			t.Errorf("drain line lacks %q: %s", want, drain)
		}
	}
	after := sb.service("small", "api")
	if len(after.Deployments) != 1 || aws.ToString(after.Deployments[0].Id) != res.Services[0].DeploymentID || after.RunningCount != after.DesiredCount {
		t.Fatalf("service not on the new deployment: %+v", after.Deployments)
	}
	newTD, newTags := sb.taskDef(aws.ToString(after.TaskDefinition))
	if newTD.Revision != oldTD.Revision+1 {
		t.Errorf("revision %d after %d", newTD.Revision, oldTD.Revision)
	}
	if got := aws.ToString(newTD.ContainerDefinitions[0].Image); !strings.HasSuffix(got, "/api:"+sim.DemoNextTag) {
		t.Errorf("app image = %s", got)
	}
	if a, b := aws.ToString(oldTD.ContainerDefinitions[1].Image), aws.ToString(newTD.ContainerDefinitions[1].Image); a != b {
		t.Errorf("sidecar image changed %s → %s", a, b)
	}
	// Every other field identical.
	o, n := *oldTD, *newTD
	o.ContainerDefinitions = append([]types.ContainerDefinition(nil), o.ContainerDefinitions...)
	o.ContainerDefinitions[0].Image = n.ContainerDefinitions[0].Image
	for _, td := range []*types.TaskDefinition{&o, &n} {
		td.TaskDefinitionArn, td.Revision, td.RegisteredAt, td.RegisteredBy = nil, 0, nil, nil
	}
	if !reflect.DeepEqual(o, n) {
		t.Errorf("task definition fields changed beyond the image:\nold %+v\nnew %+v", o, n)
	}
	if !reflect.DeepEqual(oldTags, newTags) || len(newTags) == 0 {
		t.Errorf("tags %v → %v", oldTags, newTags)
	}
	rep := sb.sim.Report()
	if len(rep.Violations) != 0 || len(rep.TerminatedWithTasks) != 0 {
		t.Errorf("invariants broken: %+v", rep.Violations)
	}
	if r, ok := rep.Services["small/api"]; ok && r.MinHealthy < r.Required {
		t.Errorf("api went below minimum healthy: %+v", r)
	}
}

func TestE2EDeployCrashWithoutBreakerEcsctlRollsBack(t *testing.T) {
	parallel(t)
	sb := startSandbox(t, "small", "")
	before := sb.service("small", "worker")
	code, stdout, stderr := run(t, deployArgs("--service", "worker", "--tag", sim.DemoCrashTag)...)
	if code != ExitFailed {
		t.Fatalf("exit %d, want 1\n%s\n%s", code, stdout, stderr)
	}
	r := decodeResult(t, stdout).Services[0]
	if r.Outcome != deploy.OutcomeRolledBack || r.Rollback == nil || r.Rollback.By != "ecsctl" || r.Rollback.Outcome != deploy.OutcomeSucceeded {
		t.Fatalf("result %+v rollback %+v", r, r.Rollback)
	}
	if len(r.StoppedTasks) == 0 || r.StoppedTasks[0].ExitCodes["app"] != 1 {
		t.Errorf("stopped tasks: %+v", r.StoppedTasks)
	}
	if len(r.LogLines) == 0 {
		t.Errorf("no log lines of the failed container")
	}
	after := sb.service("small", "worker")
	if aws.ToString(after.TaskDefinition) != aws.ToString(before.TaskDefinition) || after.RunningCount != after.DesiredCount {
		t.Errorf("worker runs %s (%d/%d), want %s", aws.ToString(after.TaskDefinition), after.RunningCount, after.DesiredCount, aws.ToString(before.TaskDefinition))
	}
}

func TestE2EDeployTimeoutExit124(t *testing.T) {
	parallel(t)
	w, err := sim.BuiltinWorld("small")
	if err != nil {
		t.Fatal(err)
	}
	// New tasks take 20 minutes to start: the rollout cannot be complete
	// and healthy at the timeout (which would not be rolled back), however
	// fast the sandbox runs on a loaded machine.
	w.Timings = &sim.Timings{TaskStart: sim.Duration(20 * time.Minute)}
	sb := startSandboxWorld(t, w, "")
	before := sb.service("small", "api")
	code, stdout, stderr := run(t, deployArgs("--service", "api", "--tag", sim.DemoNextTag, "--timeout", "60ms")...)
	if code != ExitTimeout {
		t.Fatalf("exit %d, want 124\n%s\n%s", code, stdout, stderr)
	}
	r := decodeResult(t, stdout).Services[0]
	if r.Rollback == nil || r.Rollback.By != "ecsctl" {
		t.Fatalf("no rollback after the timeout: %+v", r)
	}
	after := sb.waitSteady("small", "api")
	if aws.ToString(after.TaskDefinition) != aws.ToString(before.TaskDefinition) {
		t.Errorf("not back on the old revision: %s", aws.ToString(after.TaskDefinition))
	}
}

func TestE2EDeployMissingTagChangesNothing(t *testing.T) {
	parallel(t)
	sb := startSandbox(t, "small", "")
	for _, tc := range []struct{ tag, want string }{
		{"0000000", "does not exist in ECR"},
		{"latest", "refusing mutable-looking tag"},
	} {
		code, _, stderr := run(t, deployArgs("--service", "api", "--tag", tc.tag)...)
		if code != ExitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("tag %s: exit %d stderr %q", tc.tag, code, stderr)
		}
	}
	if m := sb.mutations(); len(m) != 0 {
		t.Fatalf("mutating calls made: %v", m)
	}
}

func TestE2EDeployUnknownServiceExit3(t *testing.T) {
	parallel(t)
	sb := startSandbox(t, "small", "")
	code, _, stderr := run(t, deployArgs("--service", "nope", "--tag", sim.DemoNextTag)...)
	if code != ExitAWS || !strings.Contains(stderr, "small/nope") {
		t.Fatalf("exit %d stderr %q", code, stderr)
	}
	code, _, stderr = run(t, "deploy", "-c", "nocluster", "--service", "api", "--tag", sim.DemoNextTag)
	if code != ExitAWS || !strings.Contains(stderr, "nocluster") {
		t.Fatalf("unknown cluster: exit %d stderr %q", code, stderr)
	}
	if m := sb.mutations(); len(m) != 0 {
		t.Fatalf("mutating calls made: %v", m)
	}
}

// Repeated --service flags deploy each service (one failing while the
// other succeeds: ops/deploy TestSimDeployTwoServicesOneFailing).
func TestE2EDeployTwoServicesDryRun(t *testing.T) {
	parallel(t)
	sb := startSandbox(t, "small", "")
	code, stdout, stderr := run(t, deployArgs("--service", "api", "--service", "worker", "--tag", sim.DemoNextTag, "--dry-run")...)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	got := map[string]string{}
	for _, r := range decodeResult(t, stdout).Services {
		got[r.Service] = r.Outcome
	}
	if len(got) != 2 || got["api"] != deploy.OutcomeDryRun || got["worker"] != deploy.OutcomeDryRun {
		t.Fatalf("outcomes %v", got)
	}
	if m := sb.mutations(); len(m) != 0 {
		t.Fatalf("dry run made mutating calls: %v", m)
	}
}

func TestE2EDeployUnderThrottling(t *testing.T) {
	parallel(t)
	sb := startSandbox(t, "small", "throttle=0.3")
	code, stdout, stderr := run(t, deployArgs("--service", "api", "--tag", sim.DemoNextTag)...)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	after := sb.service("small", "api")
	td, _ := sb.taskDef(aws.ToString(after.TaskDefinition))
	if !strings.HasSuffix(aws.ToString(td.ContainerDefinitions[0].Image), sim.DemoNextTag) {
		t.Fatalf("not deployed: %s", aws.ToString(td.ContainerDefinitions[0].Image))
	}
	throttled := 0
	for _, r := range sb.sim.Requests() {
		if r.Fault == "throttle" {
			throttled++
		}
	}
	if throttled == 0 {
		t.Fatal("no request was throttled: the fault injection did not apply")
	}
}

// rollback after a deploy: the dry run shows the images of both sides and
// changes nothing, --to takes api:5 and another family is bad input, and
// the rollback puts the service back. Which revision a rollback picks
// after a failed deploy is ops/deploy's
// TestSimRollbackGoesToTheLastSuccessfulRevision.
func TestE2ERollbackCommand(t *testing.T) {
	parallel(t)
	sb := startSandbox(t, "small", "")
	before := sb.service("small", "api")
	if code, stdout, stderr := run(t, deployArgs("--service", "api", "--tag", sim.DemoNextTag)...); code != 0 {
		t.Fatalf("deploy exit %d\n%s\n%s", code, stdout, stderr)
	}
	rollback := func(extra ...string) (int, string, string) {
		return run(t, append([]string{"rollback", "-c", "small", "--service", "api", "--poll-interval", "20ms"}, extra...)...)
	}
	mutated := len(sb.mutations())
	code, text, stderr := rollback("--dry-run")
	if code != ExitOK || !strings.Contains(text, "api:"+sim.DemoNextTag+" → ") || !strings.Contains(text, "api:"+sim.DemoAPITag) {
		t.Errorf("text dry run (exit %d) lacks the images of both sides:\n%s\n%s", code, text, stderr)
	}
	code, stdout, stderr := rollback("--to", "api:5", "--dry-run", "-o", "json")
	if code != ExitOK {
		t.Fatalf("--to api:5 dry run exit %d\n%s", code, stderr)
	}
	if r := decodeResult(t, stdout).Services[0]; !strings.HasSuffix(r.NewTaskDefinition, "api:5") {
		t.Errorf("--to api:5 would go to %s", r.NewTaskDefinition)
	}
	if code, _, stderr := rollback("--to", "worker:5", "--dry-run"); code != ExitUsage || !strings.Contains(stderr, "names family worker") {
		t.Errorf("--to worker:5: exit %d %s", code, stderr)
	}
	if m := sb.mutations()[mutated:]; len(m) != 0 {
		t.Fatalf("dry runs and refusals made mutating calls: %v", m)
	}
	code, stdout, stderr = rollback("-o", "json")
	if code != 0 {
		t.Fatalf("rollback exit %d\n%s\n%s", code, stdout, stderr)
	}
	after := sb.service("small", "api")
	if aws.ToString(after.TaskDefinition) != aws.ToString(before.TaskDefinition) {
		t.Fatalf("rolled back to %s, want %s", aws.ToString(after.TaskDefinition), aws.ToString(before.TaskDefinition))
	}
}

func TestE2EDeployInterruptedExit130WithResumeAdvice(t *testing.T) {
	parallel(t)
	sb := startSandbox(t, "small", "")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for ctx.Err() == nil {
			for _, m := range sb.mutations() {
				if m == "ecs.UpdateService" {
					cancel()
					return
				}
			}
			time.Sleep(2 * time.Millisecond)
		}
	}()
	ios, _, out, errOut := render.Test()
	code := Run(e2eContext(t, ctx, ios), []string{"ecsctl", "deploy", "-c", "small", "--service", "api", "--tag", sim.DemoNextTag, "--poll-interval", "20ms"}, ios)
	if code != ExitInterrupted {
		t.Fatalf("exit %d, want 130\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"interrupted: small/api", "re-run the same ecsctl deploy command", "ecsctl rollback --cluster small --service api"} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	// Re-running follows the same deployment to success instead of starting another.
	code, stdout, stderr := run(t, deployArgs("--service", "api", "--tag", sim.DemoNextTag)...)
	if code != ExitOK {
		t.Fatalf("re-run exit %d\n%s\n%s", code, stdout, stderr)
	}
	registers := 0
	for _, m := range sb.mutations() {
		if m == "ecs.RegisterTaskDefinition" {
			registers++
		}
	}
	if registers != 1 {
		t.Errorf("the re-run registered another revision (%d registrations)", registers)
	}
}

func TestE2EDeployDryRunShowsMaskedDiffAndChangesNothing(t *testing.T) {
	parallel(t)
	sb := startSandbox(t, "small", "")
	code, stdout, stderr := run(t, "deploy", "-c", "small", "--service", "api", "--tag", sim.DemoNextTag, "--env", "app:API_TOKEN=tok-new-123", "--dry-run")
	if code != 0 {
		t.Fatalf("exit %d %s", code, stderr)
	}
	for _, want := range []string{"DRY-RUN", "- ", "api:" + sim.DemoAPITag, "+ ", "api:" + sim.DemoNextTag, deploy.Masked + " (changed)"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("dry run output lacks %q:\n%s", want, stdout)
		}
	}
	for _, secret := range []string{"tok-sandbox-0000", "tok-new-123", "parameter/small/api/db-password"} {
		if strings.Contains(stdout+stderr, secret) {
			t.Errorf("dry run shows secret %q", secret)
		}
	}
	if m := sb.mutations(); len(m) != 0 {
		t.Fatalf("dry run made mutating calls: %v", m)
	}
}
