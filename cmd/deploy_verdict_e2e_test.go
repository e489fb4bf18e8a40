package cmd

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"ecsctl/ops/deploy"
	"ecsctl/sim"
)

// Issue 14 items 2, 9 and 10: pruning is opt-in, dry runs and forced
// deployments compare the live revision with its tags, logs --task is
// bounded, and deploy/rollback verdicts follow what ECS reports.

func countMutations(sb *sandbox, op string) int {
	n := 0
	for _, m := range sb.mutations() {
		if m == op {
			n++
		}
	}
	return n
}

// --keep-revisions reaches the dry run, which lists what pruning would
// deregister and changes nothing (that the real run then deregisters
// exactly those, keeping what is in use: ops/deploy
// TestSimDeployPruneKeepsWhatIsInUseAndDryRunListsIt).
func TestE2EDeployDryRunListsRevisionsItWouldPrune(t *testing.T) {
	parallel(t)
	sb := startSandbox(t, "small", "")
	code, stdout, stderr := run(t, deployArgs("--service", "api", "--tag", sim.DemoNextTag, "--keep-revisions", "1", "--dry-run")...)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	if would := decodeResult(t, stdout).Services[0].WouldDeregister; strings.Join(would, ",") != "api:4,api:3,api:2,api:1" {
		t.Errorf("dry run would deregister %v", would)
	}
	_, text, _ := run(t, "deploy", "-c", "small", "--service", "worker", "--tag", sim.DemoNextTag, "--keep-revisions", "3", "--dry-run")
	if !strings.Contains(text, "--keep-revisions would deregister:") {
		t.Errorf("text dry run does not list what pruning would deregister:\n%s", text)
	}
	if m := sb.mutations(); len(m) != 0 {
		t.Fatalf("dry runs made mutating calls: %v", m)
	}
}

// tagLiveRevision gives the service's live revision tags, as real accounts
// have them (the new revision copies them).
func tagLiveRevision(t *testing.T, sb *sandbox, cluster, service string) types.Service {
	t.Helper()
	svc := sb.service(cluster, service)
	if _, err := sb.ecs.TagResource(context.Background(), &ecs.TagResourceInput{ResourceArn: svc.TaskDefinition,
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("payments")}}}); err != nil {
		t.Fatal(err)
	}
	return svc
}

// A dry run of the tag already running says already-deployed, as the real
// run does, instead of showing the live revision's tags as added.
func TestE2EDeployDryRunOfLiveTagIsAlreadyDeployed(t *testing.T) {
	parallel(t)
	sb := startSandbox(t, "small", "")
	tagLiveRevision(t, sb, "small", "api")
	tagged := len(sb.mutations())
	for _, extra := range [][]string{{"--dry-run"}, nil} {
		code, stdout, stderr := run(t, deployArgs(append([]string{"--service", "api", "--tag", sim.DemoAPITag}, extra...)...)...)
		if code != ExitOK {
			t.Fatalf("%v: exit %d\n%s\n%s", extra, code, stdout, stderr)
		}
		r := decodeResult(t, stdout).Services[0]
		if r.Outcome != deploy.OutcomeAlreadyDeployed || r.Diff != "" {
			t.Errorf("%v: outcome %s, diff:\n%s", extra, r.Outcome, r.Diff)
		}
	}
	if m := sb.mutations()[tagged:]; len(m) != 0 {
		t.Fatalf("deploying the live tag made mutating calls: %v", m)
	}
}

// --force-new-deployment with the live tag reuses the live revision (no
// duplicate registered) and starts a new deployment of it (followed to its
// verdict: ops/deploy TestSimDeployForceNewDeploymentReusesLiveRevision).
func TestE2EDeployForceNewDeploymentReusesLiveRevision(t *testing.T) {
	parallel(t)
	sb := startSandbox(t, "small", "")
	before := tagLiveRevision(t, sb, "small", "api")
	code, stdout, stderr := run(t, deployArgs("--service", "api", "--tag", sim.DemoAPITag, "--force-new-deployment", "--no-wait")...)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	r := decodeResult(t, stdout).Services[0]
	if n := countMutations(sb, "ecs.RegisterTaskDefinition"); n != 0 {
		t.Errorf("registered %d revision(s) identical to the live one", n)
	}
	after := sb.service("small", "api")
	primary := after.Deployments[0]
	if aws.ToString(primary.Status) != "PRIMARY" || aws.ToString(primary.TaskDefinition) != aws.ToString(before.TaskDefinition) || r.NewTaskDefinition != aws.ToString(before.TaskDefinition) {
		t.Errorf("primary deployment %s on %s (result %s), want the live %s", aws.ToString(primary.Status), aws.ToString(primary.TaskDefinition), r.NewTaskDefinition, aws.ToString(before.TaskDefinition))
	}
	if r.DeploymentID == "" || r.DeploymentID == aws.ToString(before.Deployments[0].Id) || aws.ToString(primary.Id) != r.DeploymentID {
		t.Errorf("deployment %s (before %s, primary %s): want a new deployment", r.DeploymentID, aws.ToString(before.Deployments[0].Id), aws.ToString(primary.Id))
	}
}

// lateLogsWorld is the small world whose log lines all reach CloudWatch Logs
// late (up to two minutes), as a dying container's last lines often do.
func lateLogsWorld(t *testing.T) *sim.World {
	t.Helper()
	w, err := sim.BuiltinWorld("small")
	if err != nil {
		t.Fatal(err)
	}
	late := 1.0
	w.Logs = &sim.LogsSpec{LateFraction: &late, MaxLateness: sim.Duration(2 * time.Minute)}
	return w
}

func hasLine(lines []string, sub string) bool {
	for _, l := range lines {
		if strings.Contains(l, sub) {
			return true
		}
	}
	return false
}

// The last log lines of a crashed task are its last ones (the fatal line
// and the panic), not its start-up lines, even when they reach CloudWatch
// Logs after the task stopped.
func TestE2EDeployCrashShowsTheLastLogLines(t *testing.T) {
	parallel(t)
	startSandboxWorld(t, lateLogsWorld(t), "")
	code, stdout, stderr := run(t, deployArgs("--service", "worker", "--tag", sim.DemoCrashTag)...)
	if code != ExitFailed {
		t.Fatalf("exit %d, want 1\n%s\n%s", code, stdout, stderr)
	}
	r := decodeResult(t, stdout).Services[0]
	if !hasLine(r.LogLines, "panic: startup failed") || !hasLine(r.LogLines, `"level":"fatal"`) {
		t.Errorf("last log lines lack the fatal line and the panic:\n%s", strings.Join(r.LogLines, "\n"))
	}
}

// When the circuit breaker rolls back, the summary shows the stopped tasks
// (exit codes) and the failing container's last lines (the verdict's
// fields: ops/deploy TestSimDeployBreakerRollbackHasStoppedTasksAndLastLines).
func TestE2EDeployBreakerRollbackShowsStoppedTasksAndLastLines(t *testing.T) {
	parallel(t)
	startSandbox(t, "small", "")
	code, text, stderr := run(t, "deploy", "-c", "small", "--service", "api", "--tag", sim.DemoCrashTag, "--poll-interval", "20ms")
	if code != ExitFailed {
		t.Fatalf("exit %d, want 1\n%s\n%s", code, text, stderr)
	}
	for _, want := range []string{"stopped task ", "app=1", "last log lines:", "panic: startup failed"} {
		if !strings.Contains(text, want) {
			t.Errorf("summary lacks %q:\n%s", want, text)
		}
	}
}

// The rollback has its own limit: --rollback-timeout, not --timeout again.
func TestE2EDeployRollbackHasItsOwnTimeout(t *testing.T) {
	parallel(t)
	w, err := sim.BuiltinWorld("small")
	if err != nil {
		t.Fatal(err)
	}
	// Tasks take two hours from STOPPING to STOPPED: the rollback cannot be
	// done (the failed deployment's tasks still stopping) by its first poll,
	// however fast the sandbox runs on a loaded machine.
	w.Timings = &sim.Timings{TaskStopTimeout: sim.Duration(2 * time.Hour)}
	startSandboxWorld(t, w, "")
	code, stdout, stderr := run(t, deployArgs("--service", "worker", "--tag", sim.DemoCrashTag, "--rollback-timeout", "1ms")...)
	if code != ExitTimeout {
		t.Fatalf("exit %d, want 124\n%s\n%s", code, stdout, stderr)
	}
	r := decodeResult(t, stdout).Services[0]
	if r.Outcome != deploy.OutcomeRollbackFailed || r.Rollback == nil || r.Rollback.Outcome != deploy.OutcomeTimedOut || !strings.Contains(r.Rollback.Reason, "within 1ms") {
		t.Errorf("outcome %s rollback %+v", r.Outcome, r.Rollback)
	}
	if code, _, stderr := run(t, deployArgs("--service", "worker", "--tag", sim.DemoCrashTag, "--rollback-timeout", "0s")...); code != ExitUsage || !strings.Contains(stderr, "invalid --rollback-timeout") {
		t.Errorf("--rollback-timeout 0s: exit %d %s", code, stderr)
	}
}
