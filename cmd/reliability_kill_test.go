package cmd

import (
	"encoding/json"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"ecsctl/ops/deploy"
	"ecsctl/ops/fleet"
	"ecsctl/sim"
)

// Kill-and-resume (issue 10): the real ecsctl binary is SIGKILLed at
// deterministic points of a deploy and of an AMI rotation — right after
// AWS applied a given call, before ecsctl saw the answer — and the same
// command line is run again. The re-run must finish the job with every
// guarantee of a clean run; SIGINT must give exit 130 and say what state
// was left and how to resume. More kill points run with ECSCTL_SOAK=1.

const killLimit = 90 * time.Second // real time allowed to one ecsctl run

// killRotateSpeed runs the rotation tests' virtual clock faster than the
// other e2e tests (a drain's 300 s deregistration delay in 0.1 s): the kill
// points are calls, not moments, so the speed changes no kill point.
const killRotateSpeed = 3000

func killSoak() bool { return os.Getenv("ECSCTL_SOAK") != "" }

func TestKillAndResume(t *testing.T) {
	// Parallel: the subprocesses get the sandbox's environment from the
	// gate, and every kill point is an answered call, not a moment.
	parallel(t)
	builtBinary(t)
	t.Cleanup(builtBinaryCleanup)
	t.Run("deploy", killDeployCases)
	t.Run("deploy-fargate", killFargateDeployCases)
	t.Run("rotate-ami", killRotateCases)
	t.Run("rotate-ami-fleet", killFleetCases)
	t.Run("sigint", killSIGINTCases)
}

// killServices is the part of a DescribeServices answer the triggers read.
type killServices struct {
	Services []struct {
		ServiceName    string
		TaskDefinition string
		Deployments    []struct {
			Id             string
			Status         string
			TaskDefinition string
			RunningCount   int
			DesiredCount   int
			RolloutState   string
		}
	}
}

// killServiceWhen is a predicate on one service's state in a
// DescribeServices answer: its PRIMARY deployment's task definition and
// running count, and how many deployments it has.
func killServiceWhen(name string, pred func(primaryTD string, running, deployments int) bool) func([]byte) bool {
	return func(body []byte) bool {
		var out killServices
		if json.Unmarshal(body, &out) != nil {
			return false
		}
		for _, s := range out.Services {
			for _, d := range s.Deployments {
				if s.ServiceName == name && d.Status == "PRIMARY" {
					return pred(d.TaskDefinition, d.RunningCount, len(s.Deployments))
				}
			}
		}
		return false
	}
}

// killDone: a re-run that finds the rollout still going follows it to
// success; one that finds it finished (the rollout went on in ECS while
// ecsctl was dead) says so. Both exit 0.
var killDone = []string{deploy.OutcomeSucceeded, deploy.OutcomeAlreadyDeployed}

type killDeployCase struct {
	name    string
	service string
	tag     string
	trigger func(oldTD string) killTrigger
	// wantCode and wantOutcome are the verdict of the re-run.
	wantCode    int
	wantOutcome []string
	// wantTag is the image tag the service must end on ("" = the old one).
	wantTag string
	soak    bool
	// world and cluster default to small.
	world, cluster string
}

func killDeployCasesList() []killDeployCase {
	return []killDeployCase{
		{name: "after RegisterTaskDefinition", service: "api", tag: sim.DemoNextTag, wantTag: sim.DemoNextTag, wantCode: ExitOK, wantOutcome: killDone,
			trigger: func(string) killTrigger { return killAfter("ecs.RegisterTaskDefinition", 1) }},
		{name: "after UpdateService", service: "api", tag: sim.DemoNextTag, wantTag: sim.DemoNextTag, wantCode: ExitOK, wantOutcome: killDone,
			trigger: func(string) killTrigger { return killAfter("ecs.UpdateService", 1) }},
		{name: "mid-rollout", service: "api", tag: sim.DemoNextTag, wantTag: sim.DemoNextTag, wantCode: ExitOK, wantOutcome: killDone,
			trigger: func(oldTD string) killTrigger {
				// New tasks running while the old deployment still drains.
				return killWhen("ecs.DescribeServices", killServiceWhen("api", func(primary string, running, deps int) bool {
					return primary != oldTD && running >= 1 && deps == 2
				}))
			}},
		{name: "during ecsctl's rollback", service: "worker", tag: sim.DemoCrashTag, wantCode: ExitFailed,
			wantOutcome: []string{deploy.OutcomeRolledBack},
			trigger:     func(string) killTrigger { return killAfter("ecs.UpdateService", 2) }},
		{name: "during the circuit breaker's rollback", service: "api", tag: sim.DemoCrashTag, wantCode: ExitFailed,
			wantOutcome: []string{deploy.OutcomeBreakerRolledBack, deploy.OutcomeRolledBack},
			trigger: func(oldTD string) killTrigger {
				return killWhen("ecs.DescribeServices", killServiceWhen("api", func(primary string, _, deps int) bool {
					return primary == oldTD && deps == 2
				}))
			}},
		// Killed while a blue/green deployment bakes with both revisions
		// running: the re-run adopts it and follows its service
		// deployment to SUCCESSFUL.
		{name: "blue/green in bake time", world: "edge", cluster: sim.EdgeCluster, service: sim.EdgeBlueGreenService, tag: sim.DemoNextTag,
			wantTag: sim.DemoNextTag, wantCode: ExitOK, wantOutcome: killDone,
			trigger: func(string) killTrigger {
				return killWhen("ecs.DescribeServiceDeployments", func(body []byte) bool {
					return strings.Contains(string(body), `"lifecycleStage":"BAKE_TIME"`)
				})
			}},
		{name: "mid-rollout after a rollout started", service: "worker", tag: sim.DemoNextTag, wantTag: sim.DemoNextTag, wantCode: ExitOK, wantOutcome: killDone, soak: true,
			trigger: func(string) killTrigger { return killAfterThen("ecs.UpdateService", 1, "ecs.DescribeServices", 2) }},
		{name: "before the first poll", service: "web", tag: sim.DemoNextTag, wantTag: sim.DemoNextTag, wantCode: ExitOK, wantOutcome: killDone, soak: true,
			trigger: func(string) killTrigger { return killAfter("ecs.DescribeTaskDefinition", 1) }},
	}
}

func killDeployCases(t *testing.T) {
	for _, tc := range killDeployCasesList() {
		if tc.soak && !killSoak() {
			continue
		}
		world, cluster := "small", "small"
		if tc.world != "" {
			world, cluster = tc.world, tc.cluster
		}
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"deploy", "-c", cluster, "--service", tc.service, "--tag", tc.tag, "--poll-interval", "20ms", "-o", "json"}
			// What a clean run leaves in the invariant report: an image
			// that crashes after starting takes a service without health
			// checks below its minimum even when nothing is killed.
			var clean []string
			if tc.wantCode != ExitOK {
				ref := startSandbox(t, world, "")
				ref.waitSteady(cluster, tc.service)
				ref.sim.ResetReport()
				if code, stdout, stderr := run(t, args...); code != tc.wantCode {
					t.Fatalf("clean run: exit %d\n%s\n%s", code, stdout, stderr)
				}
				clean = ref.sim.Report().Violations
			}
			sb := startSandbox(t, world, "")
			gate := killServe(t, sb)
			before := sb.waitSteady(cluster, tc.service)
			oldTD := aws.ToString(before.TaskDefinition)
			sb.sim.ResetReport()
			sb.sim.ResetRequests()

			gate.arm(syscall.SIGKILL, tc.trigger(oldTD))
			code, _, stderr := gate.run(t, killLimit, args...)
			if gate.firedOn() == "" || code != -int(syscall.SIGKILL) {
				t.Fatalf("the kill point was never reached (exit %d)\n%s", code, stderr)
			}
			t.Logf("killed after %s", gate.firedOn())

			gate.arm(0, nil)
			code, stdout, stderr := gate.run(t, killLimit, args...)
			if code != tc.wantCode {
				t.Fatalf("re-run: exit %d, want %d\n%s\n%s", code, tc.wantCode, stdout, stderr)
			}
			var res deploy.Result
			if err := json.Unmarshal([]byte(stdout), &res); err != nil || len(res.Services) != 1 {
				t.Fatalf("re-run result: %v\n%s\n%s", err, stdout, stderr)
			}
			r := res.Services[0]
			t.Logf("re-run: %s: %s", r.Outcome, r.Reason)
			if !killOneOf(r.Outcome, tc.wantOutcome) {
				t.Errorf("re-run outcome %s (%s), want %v\n%s", r.Outcome, r.Reason, tc.wantOutcome, stderr)
			}

			after := sb.waitSteady(cluster, tc.service)
			td, _ := sb.taskDef(aws.ToString(after.TaskDefinition))
			switch {
			case tc.wantTag != "" && !strings.HasSuffix(aws.ToString(td.ContainerDefinitions[0].Image), ":"+tc.wantTag):
				t.Errorf("service runs %s (%s), want tag %s", aws.ToString(after.TaskDefinition), aws.ToString(td.ContainerDefinitions[0].Image), tc.wantTag)
			case tc.wantTag == "" && aws.ToString(after.TaskDefinition) != oldTD:
				t.Errorf("service runs %s, want the previous %s", aws.ToString(after.TaskDefinition), oldTD)
			}
			if r.Outcome == deploy.OutcomeSucceeded && r.DeploymentID != aws.ToString(after.Deployments[0].Id) {
				t.Errorf("re-run followed deployment %s, the service's is %s", r.DeploymentID, aws.ToString(after.Deployments[0].Id))
			}
			if after.DesiredCount != before.DesiredCount {
				t.Errorf("desired count %d → %d", before.DesiredCount, after.DesiredCount)
			}
			if n := killCount(sb, "ecs.RegisterTaskDefinition"); n != 1 {
				t.Errorf("%d task definition revisions registered for one deploy, want 1", n)
			}
			killCheckReport(t, sb, clean...)
		})
	}
}

func killOneOf(s string, set []string) bool {
	for _, v := range set {
		if s == v {
			return true
		}
	}
	return false
}

// killCheckReport: no service went below its minimum healthy percent
// (beyond those a clean run also takes there), no instance was terminated
// with service tasks, no task was killed without a replacement.
func killCheckReport(t *testing.T, sb *sandbox, clean ...string) {
	t.Helper()
	rep := sb.sim.Report()
	var below []string
	for _, v := range rep.Violations {
		if !killOneOf(v, clean) {
			below = append(below, v)
		}
	}
	if len(below) != 0 || len(rep.TerminatedWithTasks) != 0 || len(rep.KilledNoReplacement) != 0 {
		t.Errorf("invariants broken: below minimum %v (a clean run: %v), terminated with tasks %+v, killed %+v", below, clean, rep.TerminatedWithTasks, rep.KilledNoReplacement)
	}
}

type killRotateCase struct {
	name    string
	trigger killTrigger
	// again, when set, kills the first re-run too (counted from its start).
	again killTrigger
	soak  bool
}

func killRotateCasesList() []killRotateCase {
	return []killRotateCase{
		{name: "after the scale-out", trigger: killAfter("autoscaling.SetDesiredCapacity", 1)},
		{name: "after protection set", trigger: killAfter("autoscaling.SetInstanceProtection", 1)},
		{name: "after the first drain", trigger: killAfter("ecs.UpdateContainerInstancesState", 1)},
		{name: "mid-wait", trigger: killAfterThen("ecs.UpdateContainerInstancesState", 1, "ecs.DescribeServices", 3)},
		{name: "after the first terminate", trigger: killAfter("autoscaling.TerminateInstanceInAutoScalingGroup", 1)},
		{name: "while two batches drain", trigger: killAfterThen("ecs.UpdateContainerInstancesState", 2, "ecs.DescribeServices", 2)},
		{name: "near the end", trigger: killAfter("autoscaling.ResumeProcesses", 1)},
		{name: "after the run record, before AZRebalance is suspended", trigger: killAfter("autoscaling.CreateOrUpdateTags", 1)},
		// Soak: the other steps of a run.
		{name: "after AZRebalance suspended", trigger: killAfter("autoscaling.SuspendProcesses", 1), soak: true},
		{name: "mid-batch 5", trigger: killAfterThen("ecs.UpdateContainerInstancesState", 5, "ecs.DescribeServices", 2), soak: true},
		{name: "after the last terminate", trigger: killAfter("autoscaling.TerminateInstanceInAutoScalingGroup", 18), soak: true},
		{name: "after the scale-out for the batch drained alongside", trigger: killAfterThen("autoscaling.TerminateInstanceInAutoScalingGroup", 10, "autoscaling.SetDesiredCapacity", 1), soak: true},

		{name: "after protection removed", trigger: killAfterThen("autoscaling.ResumeProcesses", 1, "autoscaling.SetInstanceProtection", 1), soak: true},
		{name: "after the run record removed", trigger: killAfter("autoscaling.DeleteTags", 1), soak: true},
		{name: "killed again while resuming", trigger: killAfter("ecs.UpdateContainerInstancesState", 2),
			again: killAfter("autoscaling.TerminateInstanceInAutoScalingGroup", 3), soak: true},
	}
}

func killRotateCases(t *testing.T) {
	args := []string{"rotate-ami", "-c", "prod", "--yes", "--standalone-tasks", "stop", "--poll-interval", "20ms", "-o", "json"}
	// A clean run, for what a resumed one must match: it terminates the 18
	// old instances (and, were the zones to end uneven, one more to balance them).
	var cleanTerminations, cleanMutations int
	t.Run("clean run", func(t *testing.T) {
		sb := startSandbox(t, "demo", "")
		sb.sim.SetSpeed(killRotateSpeed)
		gate := killServe(t, sb)
		unsuspended := gate.killWatchAZRebalance(t, sb, "prod-ecs")
		sb.sim.ResetReport()
		sb.sim.ResetRequests()
		start := time.Now()
		if code, stdout, stderr := gate.run(t, killLimit, args...); code != ExitOK {
			t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
		}
		cleanTerminations = killCount(sb, "autoscaling.TerminateInstanceInAutoScalingGroup")
		cleanMutations = len(sb.sim.MutatingRequests())
		if bad := unsuspended(); len(bad) != 0 {
			t.Errorf("clean run: %v", bad)
		}
		t.Logf("clean run: %s, %d terminations, %d mutating calls", time.Since(start).Round(time.Millisecond), cleanTerminations, len(sb.sim.MutatingRequests()))
		sb.checkRotated(t)
	})
	if cleanTerminations == 0 {
		t.Fatal("no clean run to compare with")
	}
	for _, tc := range killRotateCasesList() {
		if tc.soak && !killSoak() {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			sb := startSandbox(t, "demo", "")
			sb.sim.SetSpeed(killRotateSpeed)
			gate := killServe(t, sb)
			unsuspended := gate.killWatchAZRebalance(t, sb, "prod-ecs")
			sb.sim.ResetReport()
			sb.sim.ResetRequests()

			gate.arm(syscall.SIGKILL, tc.trigger)
			start := time.Now()
			code, _, stderr := gate.run(t, killLimit, args...)
			if gate.firedOn() == "" || code != -int(syscall.SIGKILL) {
				t.Fatalf("the kill point was never reached (exit %d)\n%s", code, stderr)
			}
			killedAt := gate.firedOn()
			defer func() {
				t.Logf("killed after %s; finished %s after the start; %d mutating calls in all (a clean run: %d)",
					killedAt, time.Since(start).Round(time.Millisecond), len(sb.sim.MutatingRequests()), cleanMutations)
			}()
			if tc.again != nil {
				gate.arm(syscall.SIGKILL, tc.again)
				if code, _, stderr := gate.run(t, killLimit, args...); gate.firedOn() == "" || code != -int(syscall.SIGKILL) {
					t.Fatalf("the second kill point was never reached (exit %d)\n%s", code, stderr)
				}
			}
			gate.arm(0, nil)
			code, stdout, stderr := gate.run(t, killLimit, args...)
			if code != ExitOK {
				t.Fatalf("re-run: exit %d\n%s\n%s", code, stdout, stderr)
			}
			res := decodeRotate(t, stdout)
			if res.Outcome != fleet.RotateCompleted {
				t.Errorf("re-run outcome %s (%s)", res.Outcome, res.Reason)
			}
			sb.checkRotated(t)
			killCheckReport(t, sb)
			if bad := unsuspended(); len(bad) != 0 {
				t.Errorf("%d scale-out(s) with AZRebalance running: %v", len(bad), bad[0])
			}
			if n := killCount(sb, "autoscaling.TerminateInstanceInAutoScalingGroup"); n != cleanTerminations {
				t.Errorf("%d instances terminated across both runs, a clean run terminates %d", n, cleanTerminations)
			}
		})
	}
}

func killSIGINTCases(t *testing.T) {
	t.Run("deploy mid-rollout", func(t *testing.T) {
		sb := startSandbox(t, "small", "")
		gate := killServe(t, sb)
		args := []string{"deploy", "-c", "small", "--service", "api", "--tag", sim.DemoNextTag, "--poll-interval", "20ms"}
		gate.arm(syscall.SIGINT, killAfterThen("ecs.UpdateService", 1, "ecs.DescribeServices", 2))
		code, stdout, stderr := gate.run(t, killLimit, args...)
		if code != ExitInterrupted {
			t.Fatalf("exit %d, want 130\n%s\n%s", code, stdout, stderr)
		}
		dep := primaryDeploymentID(sb.service("small", "api"))
		for _, want := range []string{
			"interrupted: small/api stopped waiting; deployment " + dep,
			"follow it again: re-run the same ecsctl deploy command (it picks up deployment " + dep + ")",
			"roll back:       ecsctl rollback --cluster small --service api",
		} {
			if !strings.Contains(stderr, want) {
				t.Errorf("stderr lacks %q:\n%s", want, stderr)
			}
		}
		gate.arm(0, nil)
		if code, stdout, stderr := gate.run(t, killLimit, append(args, "-o", "json")...); code != ExitOK {
			t.Fatalf("resume: exit %d\n%s\n%s", code, stdout, stderr)
		}
		if n := killCount(sb, "ecs.RegisterTaskDefinition"); n != 1 {
			t.Errorf("%d revisions registered, want 1", n)
		}
		killCheckReport(t, sb)
	})
	// Ctrl-C with the registration or the service update in flight: AWS
	// applied the call, ecsctl never saw the answer.
	for _, op := range []string{"ecs.RegisterTaskDefinition", "ecs.UpdateService"} {
		t.Run("deploy during "+op, func(t *testing.T) {
			sb := startSandbox(t, "small", "")
			gate := killServe(t, sb)
			sb.sim.ResetReport()
			sb.sim.ResetRequests()
			args := []string{"deploy", "-c", "small", "--service", "api", "--tag", sim.DemoNextTag, "--poll-interval", "20ms"}
			gate.arm(syscall.SIGINT, killAfter(op, 1))
			code, stdout, stderr := gate.run(t, killLimit, args...)
			if code != ExitInterrupted {
				t.Fatalf("exit %d, want 130\n%s\n%s", code, stdout, stderr)
			}
			call := map[string]string{"ecs.RegisterTaskDefinition": "register task definition api", "ecs.UpdateService": "update service small/api"}[op]
			for _, want := range []string{
				"interrupted: small/api stopped while " + call + " was in flight (AWS may have applied it); a new revision may be registered and its deployment started.",
				"finish it: re-run the same ecsctl deploy command",
				"roll back: ecsctl rollback --cluster small --service api --to 5\n",
			} {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr)
				}
			}
			gate.arm(0, nil)
			if op == "ecs.RegisterTaskDefinition" {
				// The advised rollback is safe when the update never happened.
				code, _, stderr := gate.run(t, killLimit, "rollback", "--cluster", "small", "--service", "api", "--to", "5", "--poll-interval", "20ms")
				if code != ExitUsage || !strings.Contains(stderr, "already runs api:5") {
					t.Errorf("advised rollback: exit %d\n%s", code, stderr)
				}
			}
			code, stdout, stderr = gate.run(t, killLimit, append(args, "-o", "json")...)
			if code != ExitOK {
				t.Fatalf("re-run: exit %d\n%s\n%s", code, stdout, stderr)
			}
			if n := killCount(sb, "ecs.RegisterTaskDefinition"); n != 1 {
				t.Errorf("%d revisions registered, want 1", n)
			}
			after := sb.waitSteady("small", "api")
			if td := aws.ToString(after.TaskDefinition); !strings.HasSuffix(td, "api:6") {
				t.Errorf("service runs %s, want api:6", td)
			}
			killCheckReport(t, sb)
		})
	}
	t.Run("deploy during ecsctl's rollback", func(t *testing.T) {
		sb := startSandbox(t, "small", "")
		gate := killServe(t, sb)
		before := sb.waitSteady("small", "worker")
		args := []string{"deploy", "-c", "small", "--service", "worker", "--tag", sim.DemoCrashTag, "--poll-interval", "20ms"}
		gate.arm(syscall.SIGINT, killAfterThen("ecs.UpdateService", 2, "ecs.DescribeServices", 1))
		code, stdout, stderr := gate.run(t, killLimit, args...)
		if code != ExitInterrupted {
			t.Fatalf("exit %d, want 130\n%s\n%s", code, stdout, stderr)
		}
		for _, want := range []string{
			"interrupted: small/worker deploy failed (",
			"stopped waiting for the rollback by ecsctl to " + shortRev(aws.ToString(before.TaskDefinition)),
			"the rollback goes on in ECS without ecsctl.\n  follow it again: re-run the same ecsctl deploy command (it follows the rollback to its verdict)",
		} {
			if !strings.Contains(stderr, want) {
				t.Errorf("stderr lacks %q:\n%s", want, stderr)
			}
		}
		if strings.Contains(stderr, "ecsctl rollback") {
			t.Errorf("advises a rollback while one is under way:\n%s", stderr)
		}
		gate.arm(0, nil)
		code, stdout, stderr = gate.run(t, killLimit, append(args, "-o", "json")...)
		if code != ExitFailed {
			t.Fatalf("re-run: exit %d, want 1 (rolled back)\n%s\n%s", code, stdout, stderr)
		}
		if after := sb.waitSteady("small", "worker"); aws.ToString(after.TaskDefinition) != aws.ToString(before.TaskDefinition) {
			t.Errorf("worker runs %s, want %s", aws.ToString(after.TaskDefinition), aws.ToString(before.TaskDefinition))
		}
		if n := killCount(sb, "ecs.RegisterTaskDefinition"); n != 1 {
			t.Errorf("%d revisions registered, want 1", n)
		}
	})
	t.Run("rotate-ami mid-drain", func(t *testing.T) {
		// The small world with a standalone task pinned to an old
		// instance: only --standalone-tasks stop lets its batch drain.
		sb := startSandboxWorld(t, smallPinned(), "")
		gate := killServe(t, sb)
		sb.sim.ResetReport()
		args := []string{"rotate-ami", "-c", "small", "--yes", "--batch", "1", "--standalone-tasks", "stop", "--poll-interval", "20ms"}
		gate.arm(syscall.SIGINT, killAfter("ecs.UpdateContainerInstancesState", 1))
		code, stdout, stderr := gate.run(t, killLimit, args...)
		if code != ExitInterrupted {
			t.Fatalf("exit %d, want 130\n%s\n%s", code, stdout, stderr)
		}
		runID, _ := groupTagValue(sb.rotateASG("small-ecs"), "ecsctl:rotation")
		if runID == "" {
			t.Fatal("no run record on the group after the interrupt")
		}
		for _, want := range []string{
			"interrupted: run rot-",
			"of small-ecs is recorded in the group's tags; instances being drained stay DRAINING",
			"resume: ecsctl rotate-ami --cluster small --asg small-ecs --yes\n",
			"undo:   ecsctl rotate-ami --cluster small --asg small-ecs --abort --yes",
		} {
			if !strings.Contains(stderr, want) {
				t.Errorf("stderr lacks %q:\n%s", want, stderr)
			}
		}
		if amis := sb.rotateAMIs("small"); amis["DRAINING "+sim.DemoOldAMI] != 1 {
			t.Errorf("container instances %v, want the one being drained left DRAINING as the message says", amis)
		}
		if n := killCount(sb, "ecs.StopTask"); n != 0 {
			t.Fatalf("standalone task stopped before the interrupt (%d): the case does not test the resume's policy", n)
		}
		// The advised command, as printed, finishes the run with the
		// policy the run recorded (stop): a resume that waited for the
		// standalone task would pause after the 5s batch timeout.
		_, advice, ok := strings.Cut(stderr, "resume: ecsctl ")
		if !ok {
			t.Fatalf("no resume command:\n%s", stderr)
		}
		advice, _, _ = strings.Cut(advice, "\n")
		gate.arm(0, nil)
		code, stdout, stderr = gate.run(t, killLimit, append(strings.Fields(advice), "--timeout-per-batch", "5s", "--poll-interval", "20ms", "-o", "json")...)
		if code != ExitOK {
			t.Fatalf("resume: exit %d\n%s\n%s", code, stdout, stderr)
		}
		if res := decodeRotate(t, stdout); !res.Plan.Resuming || res.Outcome != fleet.RotateCompleted {
			t.Errorf("resume: resuming=%v outcome %s", res.Plan.Resuming, res.Outcome)
		}
		if killCount(sb, "ecs.StopTask") != 1 || !strings.Contains(stderr, "stopped standalone task") {
			t.Errorf("the resumed run did not stop the standalone task:\n%s", stderr)
		}
		killCheckRotated(t, sb, "small", "small-ecs", 3, 3, 6)
	})
}

// killCheckRotated asserts the end state of a completed rotation: every
// container instance ACTIVE on the new AMI, the group's capacity back to
// the original, no ecsctl tag, suspended process or scale-in protection
// left, and the invariant report clean.
func killCheckRotated(t *testing.T, sb *sandbox, cluster, asg string, desired, minSize, maxSize int32) {
	t.Helper()
	g := sb.rotateASG(asg).AutoScalingGroups[0]
	if aws.ToInt32(g.DesiredCapacity) != desired || aws.ToInt32(g.MinSize) != minSize || aws.ToInt32(g.MaxSize) != maxSize {
		t.Errorf("%s desired/min/max = %d/%d/%d, want %d/%d/%d", asg, aws.ToInt32(g.DesiredCapacity), aws.ToInt32(g.MinSize), aws.ToInt32(g.MaxSize), desired, minSize, maxSize)
	}
	for _, tg := range g.Tags {
		if strings.HasPrefix(aws.ToString(tg.Key), "ecsctl:") {
			t.Errorf("tag left on %s: %s=%s", asg, aws.ToString(tg.Key), aws.ToString(tg.Value))
		}
	}
	if len(g.SuspendedProcesses) != 0 {
		t.Errorf("processes left suspended on %s: %+v", asg, g.SuspendedProcesses)
	}
	for _, m := range g.Instances {
		if aws.ToBool(m.ProtectedFromScaleIn) && !strings.HasPrefix(string(m.LifecycleState), "Terminat") {
			t.Errorf("instance %s left protected from scale-in", aws.ToString(m.InstanceId))
		}
	}
	if amis := sb.rotateAMIs(cluster); amis["ACTIVE "+sim.DemoNewAMI] != int(desired) || len(amis) != 1 {
		t.Errorf("container instances of %s by status/AMI: %v, want %d ACTIVE on %s", cluster, amis, desired, sim.DemoNewAMI)
	}
	killCheckReport(t, sb)
}

// shortRev is "family:revision" of a task definition ARN.
func shortRev(arn string) string { return arn[strings.LastIndex(arn, "/")+1:] }

func primaryDeploymentID(s types.Service) string {
	for _, d := range s.Deployments {
		if aws.ToString(d.Status) == "PRIMARY" {
			return aws.ToString(d.Id)
		}
	}
	return ""
}
