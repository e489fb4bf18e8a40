package cmd

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"ecsctl/fmtx"
	"ecsctl/ops/task"
	"ecsctl/render"
	"ecsctl/sim"
)

// runTasks describes the tasks ecsctl run started in a cluster (running
// and stopped).
func (sb *sandbox) runTasks(cluster string) []types.Task {
	sb.t.Helper()
	ctx := context.Background()
	var arns []string
	seen := map[string]bool{}
	for _, st := range []types.DesiredStatus{types.DesiredStatusRunning, types.DesiredStatusStopped} {
		l, err := sb.ecs.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String(cluster), StartedBy: aws.String(task.StartedBy), DesiredStatus: st})
		if err != nil {
			sb.t.Fatal(err)
		}
		for _, a := range l.TaskArns {
			// A task that stops between the two lists is in both.
			if !seen[a] {
				seen[a] = true
				arns = append(arns, a)
			}
		}
	}
	if len(arns) == 0 {
		return nil
	}
	d, err := sb.ecs.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: arns})
	if err != nil {
		sb.t.Fatal(err)
	}
	return d.Tasks
}

func (sb *sandbox) oneRunTask(cluster string) types.Task {
	sb.t.Helper()
	ts := sb.runTasks(cluster)
	if len(ts) != 1 {
		sb.t.Fatalf("%d tasks started by %s in %s, want 1", len(ts), task.StartedBy, cluster)
	}
	return ts[0]
}

func countMutation(sb *sandbox, op string) int {
	n := 0
	for _, m := range sb.mutations() {
		if m == op {
			n++
		}
	}
	return n
}

// A service's one-off task runs its command with the service's task
// definition, prints the container's output in full and exits with the
// container's exit code.
func TestE2ERunExitsWithTheContainersCodeAndPrintsItsLogs(t *testing.T) {
	parallel(t)
	sb := startSandbox(t, "small", "")
	code, stdout, stderr := run(t, "run", "-c", "small", "-s", "worker", "--poll-interval", "20ms", "--overlap", "2s",
		"--env", "app:MODE=once", "--", "sh", "-c", "echo migrating; sleep 30; echo done 42; exit 3")
	if code != 3 {
		t.Fatalf("exit %d, want 3 (the container's)\n%s\n%s", code, stdout, stderr)
	}
	if stdout != "migrating\ndone 42\n" {
		t.Errorf("stdout %q, want the container's two lines, once each", stdout)
	}
	got := sb.oneRunTask("small")
	svc := sb.service("small", "worker")
	if aws.ToString(got.TaskDefinitionArn) != aws.ToString(svc.TaskDefinition) {
		t.Errorf("ran %s, want the service's %s", aws.ToString(got.TaskDefinitionArn), aws.ToString(svc.TaskDefinition))
	}
	if aws.ToString(got.LastStatus) != "STOPPED" || got.StopCode != types.TaskStopCodeEssentialContainerExited || aws.ToInt32(got.Containers[0].ExitCode) != 3 {
		t.Errorf("task %s %s exit %v, want STOPPED EssentialContainerExited exit 3", aws.ToString(got.LastStatus), got.StopCode, got.Containers[0].ExitCode)
	}
	if got.LaunchType != types.LaunchTypeEc2 || aws.ToString(got.StartedBy) != task.StartedBy {
		t.Errorf("launch type %s started by %q", got.LaunchType, aws.ToString(got.StartedBy))
	}
	ov := got.Overrides.ContainerOverrides
	if len(ov) != 1 || aws.ToString(ov[0].Name) != "app" || len(ov[0].Command) != 3 || len(ov[0].Environment) != 1 || aws.ToString(ov[0].Environment[0].Value) != "once" {
		t.Errorf("overrides %+v", ov)
	}
	// 30 virtual seconds between the two lines: the sandbox ran the sleep.
	if got.StartedAt == nil || got.StoppedAt.Sub(*got.StartedAt) < 30*time.Second {
		t.Errorf("ran %v to %v, want at least the 30 s sleep", got.StartedAt, got.StoppedAt)
	}
	for _, want := range []string{"STOPPED: Essential container in task exited", "app (main): exit code 3"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}

// Exit code 0, and the JSON result: task ARN, exit code per container, stop
// reason, start and stop times; the task's output goes to stderr then.
func TestE2ERunSucceedsWithJSONResult(t *testing.T) {
	parallel(t)
	sb := startSandbox(t, "small", "")
	code, stdout, stderr := run(t, "run", "-c", "small", "-s", "worker", "--poll-interval", "20ms", "--overlap", "2s", "-o", "json", "--", "echo", "all", "done")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	var res task.Result
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	got := sb.oneRunTask("small")
	if res.TaskArn != aws.ToString(got.TaskArn) || res.ExitCode == nil || *res.ExitCode != 0 || res.StartedAt == nil || res.StoppedAt == nil ||
		res.StopReason != "Essential container in task exited" || len(res.Containers) != 1 || res.Containers[0].ExitCode == nil {
		t.Errorf("result %+v", res)
	}
	if !strings.Contains(stderr, "all done") {
		t.Errorf("stderr lacks the task's output:\n%s", stderr)
	}
}

// --timeout: 124, the task is left running and the way to stop it said.
func TestE2ERunTimeoutLeavesTheTaskRunning(t *testing.T) {
	parallel(t)
	sb := startSandbox(t, "small", "")
	code, stdout, stderr := run(t, "run", "-c", "small", "-s", "worker", "--poll-interval", "20ms", "--timeout", "300ms", "--", "sh", "-c", "echo start; sleep 86400")
	if code != ExitTimeout {
		t.Fatalf("exit %d, want 124\n%s\n%s", code, stdout, stderr)
	}
	got := sb.oneRunTask("small")
	if aws.ToString(got.DesiredStatus) != "RUNNING" {
		t.Errorf("task desired %s, want it left RUNNING", aws.ToString(got.DesiredStatus))
	}
	if countMutation(sb, "ecs.StopTask") != 0 {
		t.Errorf("the task was stopped: %v", sb.mutations())
	}
	for _, want := range []string{"left running", "aws ecs stop-task --cluster small --task " + fmtx.ShortARN(aws.ToString(got.TaskArn))} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}

// ecsctlFollows: ecsctl has its task (RunTask answered) and follows it.
func ecsctlFollows(sb *sandbox) bool {
	for _, r := range sb.sim.Requests() {
		if r.App == "ecsctl" && r.Op == "DescribeTasks" {
			return true
		}
	}
	return false
}

// runInterrupted runs ecsctl run and cancels it (Ctrl-C) once the task runs.
func runInterrupted(t *testing.T, sb *sandbox, extra ...string) (int, string) {
	return runInterruptedTTY(t, sb, "", extra...)
}

// runInterruptedTTY is runInterrupted on a terminal whose user answers
// answer ("" for no terminal).
func runInterruptedTTY(t *testing.T, sb *sandbox, answer string, extra ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for ctx.Err() == nil {
			l, err := sb.ecs.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String("small"), StartedBy: aws.String(task.StartedBy)})
			if err == nil && len(l.TaskArns) == 1 {
				d, err := sb.ecs.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String("small"), Tasks: l.TaskArns})
				if err == nil && len(d.Tasks) == 1 && aws.ToString(d.Tasks[0].LastStatus) == "RUNNING" && ecsctlFollows(sb) {
					cancel()
					return
				}
			}
			time.Sleep(2 * time.Millisecond)
		}
	}()
	ios, in, out, errOut := render.Test()
	if answer != "" {
		ios.InTTY, ios.ErrTTY = true, true
		in.WriteString(answer)
	}
	args := append([]string{"ecsctl", "run", "-c", "small", "-s", "worker", "--poll-interval", "20ms"}, extra...)
	args = append(args, "--", "sleep", "86400")
	code := Run(e2eContext(t, ctx, ios), args, ios)
	return code, out.String() + errOut.String()
}

// Ctrl-C without a terminal: 130, the task keeps running, the way to stop
// it is said; with --stop-on-interrupt the task is stopped.
func TestE2ERunInterrupted(t *testing.T) {
	parallel(t)
	sb := startSandbox(t, "small", "")
	code, out := runInterrupted(t, sb)
	if code != ExitInterrupted {
		t.Fatalf("exit %d, want 130\n%s", code, out)
	}
	got := sb.oneRunTask("small")
	if aws.ToString(got.DesiredStatus) != "RUNNING" || countMutation(sb, "ecs.StopTask") != 0 {
		t.Errorf("task desired %s, mutations %v: want it left running", aws.ToString(got.DesiredStatus), sb.mutations())
	}
	if !strings.Contains(out, "left running") || !strings.Contains(out, "aws ecs stop-task --cluster small --task") {
		t.Errorf("output lacks how to stop it:\n%s", out)
	}

	sb = startSandbox(t, "small", "")
	code, out = runInterrupted(t, sb, "--stop-on-interrupt")
	if code != ExitInterrupted {
		t.Fatalf("exit %d, want 130\n%s", code, out)
	}
	got = sb.oneRunTask("small")
	if aws.ToString(got.DesiredStatus) != "STOPPED" || got.StopCode != types.TaskStopCodeUserInitiated {
		t.Errorf("task desired %s stop code %s, want stopped by the user", aws.ToString(got.DesiredStatus), got.StopCode)
	}
}

// A Fargate service's one-off task runs on Fargate in the service's
// subnets, with a valid size override.
func TestE2ERunFargate(t *testing.T) {
	parallel(t)
	w, err := sim.BuiltinWorld("edge")
	if err != nil {
		t.Fatal(err)
	}
	edgeFargateOnly(w)
	sb := startSandboxWorld(t, w, "")
	code, stdout, stderr := run(t, "run", "-c", sim.EdgeCluster, "-s", "fargate-api", "--poll-interval", "20ms", "--overlap", "2s",
		"--cpu", "1024", "--memory", "3072", "--", "sh", "-c", "echo on fargate; exit 0")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	if stdout != "on fargate\n" {
		t.Errorf("stdout %q", stdout)
	}
	got := sb.oneRunTask(sim.EdgeCluster)
	if got.LaunchType != types.LaunchTypeFargate || got.ContainerInstanceArn != nil || aws.ToString(got.Cpu) != "1024" || aws.ToString(got.Memory) != "3072" {
		t.Errorf("task launch type %s instance %v size %s/%s", got.LaunchType, got.ContainerInstanceArn, aws.ToString(got.Cpu), aws.ToString(got.Memory))
	}
	svc := sb.service(sim.EdgeCluster, "fargate-api")
	subnets := map[string]bool{}
	for _, s := range svc.NetworkConfiguration.AwsvpcConfiguration.Subnets {
		subnets[s] = true
	}
	subnet := ""
	for _, d := range got.Attachments[0].Details {
		if aws.ToString(d.Name) == "subnetId" {
			subnet = aws.ToString(d.Value)
		}
	}
	if !subnets[subnet] {
		t.Errorf("task in subnet %q, want one of the service's %v", subnet, subnets)
	}

	// A service on a capacity provider strategy: the task runs on one of
	// its providers (spot-worker's base of 1 is on FARGATE, but a RunTask
	// is a strategy of its own, placed from zero).
	code, stdout, stderr = run(t, "run", "-c", sim.EdgeCluster, "-s", "spot-worker", "--no-wait", "-o", "json", "--", "exit", "0")
	if code != 0 {
		t.Fatalf("spot-worker: exit %d\n%s\n%s", code, stdout, stderr)
	}
	var res task.Result
	if err := json.Unmarshal([]byte(stdout), &res); err != nil || res.Outcome != "running" {
		t.Fatalf("%v %+v", err, res)
	}
	found := false
	for _, tk := range sb.runTasks(sim.EdgeCluster) {
		if aws.ToString(tk.TaskArn) != res.TaskArn {
			continue
		}
		found = true
		if p := aws.ToString(tk.CapacityProviderName); tk.LaunchType != types.LaunchTypeFargate || (p != "FARGATE" && p != "FARGATE_SPOT") {
			t.Errorf("spot-worker's one-off task: launch type %s provider %q", tk.LaunchType, p)
		}
	}
	if !found {
		t.Errorf("no task %s in the sandbox", res.TaskArn)
	}
}

// Bad input: one line, exit 2, no task started.
func TestE2ERunBadInput(t *testing.T) {
	parallel(t)
	w, err := sim.BuiltinWorld("edge")
	if err != nil {
		t.Fatal(err)
	}
	edgeFargateOnly(w)
	sb := startSandboxWorld(t, w, "")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-s", "nope"}, "service edge/nope not found"},
		{[]string{"--task-def", "nope:3"}, "task definition nope:3 not found"},
		{[]string{"-s", "web", "--env", "app=1"}, "invalid --env"},
		{[]string{"-s", "web", "--env", "sidecar:K=1"}, "names no container"},
		{[]string{"-s", "fargate-api", "--cpu", "300"}, "Fargate has no task of 300 CPU units"},
		{[]string{"-s", "fargate-api", "--cpu", "256", "--memory", "4096"}, "with --cpu 256 give --memory 512, 1024, 2048"},
		{[]string{"-s", "web", "--cpu", "64"}, "invalid --cpu 64 for EC2"},
		{[]string{"-s", "web", "--task-def", "web:1"}, "cannot be combined"},
		{[]string{"-s", "web", "--container", "nope"}, "has no container \"nope\""},
	} {
		args := append([]string{"run", "-c", sim.EdgeCluster}, tc.args...)
		args = append(args, "--", "echo", "hi")
		code, stdout, stderr := run(t, args...)
		if code != ExitUsage || !strings.Contains(stderr, tc.want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("%v: exit %d, want 2 and one line with %q\n%s\n%s", tc.args, code, tc.want, stdout, stderr)
		}
	}
	if n := countMutation(sb, "ecs.RunTask"); n != 0 {
		t.Errorf("%d RunTask calls on bad input", n)
	}
}

// A task that fits on no instance never starts: exit 1 with ECS's reason.
func TestE2ERunNoCapacityExit1(t *testing.T) {
	parallel(t)
	sb := startSandbox(t, "small", "")
	code, stdout, stderr := run(t, "run", "-c", "small", "-s", "worker", "--cpu", "65536", "--", "echo", "hi")
	if code != ExitFailed || !strings.Contains(stderr, "RESOURCE:CPU") {
		t.Fatalf("exit %d, want 1 with RESOURCE:CPU\n%s\n%s", code, stdout, stderr)
	}
	if ts := sb.runTasks("small"); len(ts) != 0 {
		t.Errorf("%d tasks started", len(ts))
	}
}

// Ctrl-C on a terminal asks whether to stop the task: yes stops it, no
// leaves it running.
func TestE2ERunInterruptedAsksOnATerminal(t *testing.T) {
	parallel(t)
	for _, tc := range []struct {
		answer  string
		desired string
	}{{"y\n", "STOPPED"}, {"n\n", "RUNNING"}} {
		sb := startSandbox(t, "small", "")
		code, out := runInterruptedTTY(t, sb, tc.answer)
		if code != ExitInterrupted || !strings.Contains(out, "Stop it? [y/N]") {
			t.Fatalf("answer %q: exit %d, want 130 after the question\n%s", tc.answer, code, out)
		}
		if got := sb.oneRunTask("small"); aws.ToString(got.DesiredStatus) != tc.desired {
			t.Errorf("answer %q: task desired %s, want %s\n%s", tc.answer, aws.ToString(got.DesiredStatus), tc.desired, out)
		}
	}
}

// --task-def runs a named revision on EC2 with the overrides of the
// issue's example; --no-wait prints the task ARN and exits at once.
func TestE2ERunTaskDefOverridesAndNoWait(t *testing.T) {
	parallel(t)
	sb := startSandbox(t, "small", "")
	worker := sb.service("small", "worker")
	td, _ := sb.taskDef(aws.ToString(worker.TaskDefinition))
	ref := aws.ToString(td.Family) + ":" + strconv.Itoa(int(td.Revision))
	code, stdout, stderr := run(t, "run", "-c", "small", "--task-def", ref, "--env", "app:DAYS=3", "--cpu", "1024", "--memory", "2048",
		"--no-wait", "--", "report", "--all")
	if code != 0 || !strings.HasPrefix(stdout, "arn:aws:ecs:") || strings.Count(stdout, "\n") != 1 {
		t.Fatalf("exit %d stdout %q, want the task ARN\n%s", code, stdout, stderr)
	}
	got := sb.oneRunTask("small")
	if aws.ToString(got.TaskArn) != strings.TrimSpace(stdout) || got.LaunchType != types.LaunchTypeEc2 ||
		aws.ToString(got.Cpu) != "1024" || aws.ToString(got.Memory) != "2048" || got.Overrides == nil || len(got.Overrides.ContainerOverrides) != 1 {
		t.Fatalf("task %s %s cpu %s memory %s overrides %+v", aws.ToString(got.TaskArn), got.LaunchType, aws.ToString(got.Cpu), aws.ToString(got.Memory), got.Overrides)
	}
	co := got.Overrides.ContainerOverrides[0]
	if strings.Join(co.Command, " ") != "report --all" || len(co.Environment) != 1 || aws.ToString(co.Environment[0].Name) != "DAYS" {
		t.Errorf("container override %+v", co)
	}
	// "report" is no word the sandbox knows: it runs about a second and
	// exits 0.
	deadline := time.Now().Add(10 * time.Second)
	for aws.ToString(sb.oneRunTask("small").LastStatus) != "STOPPED" {
		if time.Now().After(deadline) {
			t.Fatal("the task never stopped")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got := sb.oneRunTask("small"); aws.ToInt32(got.Containers[0].ExitCode) != 0 || got.StopCode != types.TaskStopCodeEssentialContainerExited {
		t.Errorf("exit %v stop code %s", got.Containers[0].ExitCode, got.StopCode)
	}
}

// A task whose image cannot be pulled never runs: exit 1 with the reason.
func TestE2ERunNeverStartedExit1(t *testing.T) {
	parallel(t)
	sb := startSandbox(t, "small", "")
	worker := sb.service("small", "worker")
	td, _ := sb.taskDef(aws.ToString(worker.TaskDefinition))
	cds := td.ContainerDefinitions
	cds[0].Image = aws.String(sb.sim.FullImage("api:does-not-exist"))
	reg, err := sb.ecs.RegisterTaskDefinition(context.Background(), &ecs.RegisterTaskDefinitionInput{Family: aws.String("report"),
		ContainerDefinitions: cds, NetworkMode: td.NetworkMode, Cpu: td.Cpu, Memory: td.Memory})
	if err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := run(t, "run", "-c", "small", "--task-def", "report:"+strconv.Itoa(int(reg.TaskDefinition.Revision)),
		"--poll-interval", "20ms", "--overlap", "2s", "--", "echo", "hi")
	if code != ExitFailed || !strings.Contains(stderr, "CannotPullContainerError") || !strings.Contains(stderr, "stopped before container app ran") {
		t.Fatalf("exit %d, want 1 with the pull error\n%s\n%s", code, stdout, stderr)
	}
	if got := sb.oneRunTask("small"); got.StopCode != types.TaskStopCodeTaskFailedToStart {
		t.Errorf("stop code %s", got.StopCode)
	}
}
