package sim

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

func TestParseOneOff(t *testing.T) {
	show := func(steps []oneOffStep) string {
		var parts []string
		for _, st := range steps {
			switch st.verb {
			case "echo":
				parts = append(parts, "echo["+st.text+"]")
			case "sleep", "exit":
				parts = append(parts, fmt.Sprintf("%s[%g]", st.verb, st.n))
			default:
				parts = append(parts, st.verb)
			}
		}
		return strings.Join(parts, " ")
	}
	for _, tc := range []struct {
		cmd  []string
		want string
	}{
		{[]string{"echo", "hello", "world"}, "echo[hello world]"},
		{[]string{"sleep", "30"}, "sleep[30]"},
		{[]string{"exit", "3"}, "exit[3]"},
		{[]string{"exit", "300"}, "exit[44]"}, // an exit status is 8 bits
		{[]string{"sh", "-c", "echo hi; exit 3"}, "echo[hi] exit[3]"},
		{[]string{"/bin/bash", "-c", `echo "a; b" && sleep 1.5 || ./migrate; exit 0`}, "echo[a; b] sleep[1.5] other exit[0]"},
		{[]string{"echo hi"}, "echo[hi]"},
		{[]string{"./manage.py", "migrate"}, "other"},
		{[]string{"false"}, "exit[1]"},
	} {
		if got := show(parseOneOff(tc.cmd)); got != tc.want {
			t.Errorf("%q: %s, want %s", tc.cmd, got, tc.want)
		}
	}
}

// runTaskSim is a cluster "prod" of two instances (2 vCPU, 4 GiB each) with
// the service api (revision 3, container app logging to /ecs/prod/api).
func runTaskSim(t *testing.T) *Sim {
	t.Helper()
	s := newTestSim(t, Options{Seed: 3}, apiWorld(1, false, nil, nil, nil), spreadInstances(2, 2, 4096))
	if !s.RunUntil(5*time.Minute, time.Second, serviceDone(s, "api")) {
		t.Fatal("api never steady")
	}
	return s
}

func runOneOff(t *testing.T, s *Sim, in *ecs.RunTaskInput) types.Task {
	t.Helper()
	if in.Cluster == nil {
		in.Cluster = aws.String("prod")
	}
	if in.TaskDefinition == nil {
		in.TaskDefinition = aws.String("api:3")
	}
	out := mustCall(t, s, (*Sim).ecsRunTask, in)
	if len(out.Tasks) != 1 {
		t.Fatalf("RunTask: %+v", out.Failures)
	}
	return out.Tasks[0]
}

func commandOverride(cmd ...string) *types.TaskOverride {
	return &types.TaskOverride{ContainerOverrides: []types.ContainerOverride{{Name: aws.String("app"), Command: cmd}}}
}

func taskNow(t *testing.T, s *Sim, arn string) types.Task {
	t.Helper()
	out := mustCall(t, s, (*Sim).ecsDescribeTasks, &ecs.DescribeTasksInput{Cluster: aws.String("prod"), Tasks: []string{arn}})
	if len(out.Tasks) != 1 {
		t.Fatalf("describe %s: %+v", arn, out.Failures)
	}
	return out.Tasks[0]
}

func stoppedCond(s *Sim, arn string) func() bool {
	return func() bool { return aws.ToString(s.ecs.Tasks[arn].Task.LastStatus) == "STOPPED" }
}

// A one-off container runs its command on the virtual clock: its lines in
// its stream (and nothing generated), its exit code, the task stopped
// because the essential container exited.
func TestOneOffCommandRuns(t *testing.T) {
	s := runTaskSim(t)
	task := runOneOff(t, s, &ecs.RunTaskInput{Overrides: commandOverride("sh", "-c", "echo first; sleep 600; echo second line; exit 4"), StartedBy: aws.String("ecsctl-run")})
	arn := aws.ToString(task.TaskArn)
	if !s.RunUntil(time.Hour, 5*time.Second, stoppedCond(s, arn)) {
		t.Fatal("the task never stopped")
	}
	got := taskNow(t, s, arn)
	if aws.ToInt32(got.Containers[0].ExitCode) != 4 || got.StopCode != types.TaskStopCodeEssentialContainerExited ||
		aws.ToString(got.StoppedReason) != "Essential container in task exited" || aws.ToString(got.StartedBy) != "ecsctl-run" {
		t.Errorf("task %+v", got)
	}
	if ran := got.StoppedAt.Sub(*got.StartedAt); ran != 600*time.Second {
		t.Errorf("ran %s, want the 600 s sleep", ran)
	}
	id := lastPart(arn)
	evs := s.LogEventsWritten("/ecs/prod/api", []string{"ecs/app/" + id}, time.Time{}, s.Now())
	if len(evs) != 2 || evs[0].Message != "first" || evs[1].Message != "second line" || evs[1].Timestamp.Sub(evs[0].Timestamp) != 600*time.Second {
		t.Errorf("stream events %+v, want the two lines 600 s apart", evs)
	}
}

// A standalone task without a command keeps running, as the worlds' do.
func TestRunTaskWithoutCommandKeepsRunning(t *testing.T) {
	s := runTaskSim(t)
	arn := aws.ToString(runOneOff(t, s, &ecs.RunTaskInput{}).TaskArn)
	s.Advance(2 * time.Hour)
	if got := taskNow(t, s, arn); aws.ToString(got.LastStatus) != "RUNNING" {
		t.Errorf("task %s, want RUNNING", aws.ToString(got.LastStatus))
	}
}

// StopTask on a running one-off container: SIGTERM is ignored by a PID 1
// without a handler, SIGKILL after the stop timeout: exit 137.
func TestOneOffStoppedByUserExits137(t *testing.T) {
	s := runTaskSim(t)
	arn := aws.ToString(runOneOff(t, s, &ecs.RunTaskInput{Overrides: commandOverride("sleep", "86400")}).TaskArn)
	if !s.RunUntil(time.Minute, time.Second, func() bool { return aws.ToString(s.ecs.Tasks[arn].Task.LastStatus) == "RUNNING" }) {
		t.Fatal("never running")
	}
	mustCall(t, s, (*Sim).ecsStopTaskOp, &ecs.StopTaskInput{Cluster: aws.String("prod"), Task: aws.String(arn)})
	if !s.RunUntil(10*time.Minute, time.Second, stoppedCond(s, arn)) {
		t.Fatal("never stopped")
	}
	if got := taskNow(t, s, arn); aws.ToInt32(got.Containers[0].ExitCode) != 137 || got.StopCode != types.TaskStopCodeUserInitiated {
		t.Errorf("exit %v stop code %s, want 137 UserInitiated", got.Containers[0].ExitCode, got.StopCode)
	}
}

// A retried RunTask (same client token, same parameters) gets the original
// task and starts no other; other parameters with the token: conflict.
func TestRunTaskClientToken(t *testing.T) {
	s := runTaskSim(t)
	in := func(cmd string) *ecs.RunTaskInput {
		return &ecs.RunTaskInput{Cluster: aws.String("prod"), TaskDefinition: aws.String("api:3"), ClientToken: aws.String("tok-1"), Overrides: commandOverride("sleep", cmd)}
	}
	first := runOneOff(t, s, in("100"))
	s.Advance(10 * time.Second)
	again := runOneOff(t, s, in("100"))
	if aws.ToString(again.TaskArn) != aws.ToString(first.TaskArn) {
		t.Errorf("retry started %s, want the original %s", aws.ToString(again.TaskArn), aws.ToString(first.TaskArn))
	}
	standalone := 0
	for _, tk := range s.ecs.Tasks {
		if tk.Service == "" && strings.HasPrefix(aws.ToString(tk.Task.Group), "family:api") {
			standalone++
		}
	}
	if standalone != 1 {
		t.Errorf("%d standalone tasks, want 1", standalone)
	}
	if _, err := lockedCall(s, (*Sim).ecsRunTask, in("200")); apiCode(err) != "ConflictException" {
		t.Errorf("other parameters with the same token: %v, want ConflictException", err)
	}
	// After 24 hours the token is a new one.
	s.Advance(25 * time.Hour)
	if later := runOneOff(t, s, in("100")); aws.ToString(later.TaskArn) == aws.ToString(first.TaskArn) {
		t.Error("a token past its 24 hours still answered with the old task")
	}
}

func TestRunTaskPlacementAndValidation(t *testing.T) {
	s := runTaskSim(t)
	out := mustCall(t, s, (*Sim).ecsRunTask, &ecs.RunTaskInput{Cluster: aws.String("prod"), TaskDefinition: aws.String("api:3"),
		Overrides: &types.TaskOverride{Cpu: aws.String("4096")}})
	if len(out.Tasks) != 0 || len(out.Failures) != 1 || aws.ToString(out.Failures[0].Reason) != "RESOURCE:CPU" {
		t.Errorf("4096 CPU units on 2-vCPU instances: %+v %+v", out.Tasks, out.Failures)
	}
	out = mustCall(t, s, (*Sim).ecsRunTask, &ecs.RunTaskInput{Cluster: aws.String("prod"), TaskDefinition: aws.String("api:3"),
		Overrides: &types.TaskOverride{Cpu: aws.String("512"), Memory: aws.String("1536")}})
	if len(out.Tasks) != 1 || aws.ToString(out.Tasks[0].Cpu) != "512" || aws.ToString(out.Tasks[0].Memory) != "1536" {
		t.Errorf("sized task: %+v", out)
	}
	for _, tc := range []struct {
		in   *ecs.RunTaskInput
		code string
	}{
		{&ecs.RunTaskInput{LaunchType: types.LaunchTypeFargate}, "InvalidParameterException"}, // not a Fargate definition
		{&ecs.RunTaskInput{LaunchType: types.LaunchTypeEc2, CapacityProviderStrategy: []types.CapacityProviderStrategyItem{{CapacityProvider: aws.String("FARGATE")}}}, "InvalidParameterException"},
		{&ecs.RunTaskInput{StartedBy: aws.String("ecsctl run!")}, "InvalidParameterException"},
		{&ecs.RunTaskInput{Overrides: &types.TaskOverride{ContainerOverrides: []types.ContainerOverride{{Name: aws.String("nope")}}}}, "InvalidParameterException"},
		{&ecs.RunTaskInput{ClientToken: aws.String(strings.Repeat("x", 65))}, "InvalidParameterException"},
	} {
		tc.in.Cluster, tc.in.TaskDefinition = aws.String("prod"), aws.String("api:3")
		if _, err := lockedCall(s, (*Sim).ecsRunTask, tc.in); apiCode(err) != tc.code {
			t.Errorf("%+v: %v, want %s", tc.in, err, tc.code)
		}
	}
}

// On Fargate: the given subnets, a size Fargate offers, awsvpc required.
func TestRunTaskFargate(t *testing.T) {
	s := newEdgeSim(t)
	svc := edgeService(t, s, "fargate-api")
	nc := svc.NetworkConfiguration
	base := func() *ecs.RunTaskInput {
		return &ecs.RunTaskInput{Cluster: aws.String(EdgeCluster), TaskDefinition: svc.TaskDefinition, LaunchType: types.LaunchTypeFargate,
			NetworkConfiguration: nc, Overrides: commandOverride("sh", "-c", "echo x; exit 2")}
	}
	in := base()
	in.NetworkConfiguration = nil
	if _, err := lockedCall(s, (*Sim).ecsRunTask, in); apiCode(err) != "InvalidParameterException" {
		t.Errorf("no network configuration: %v", err)
	}
	in = base()
	in.Overrides.Cpu, in.Overrides.Memory = aws.String("256"), aws.String("4096")
	if _, err := lockedCall(s, (*Sim).ecsRunTask, in); apiCode(err) != "ClientException" {
		t.Errorf("256/4096 on Fargate: %v, want ClientException", err)
	}
	out := mustCall(t, s, (*Sim).ecsRunTask, base())
	task := out.Tasks[0]
	if task.LaunchType != types.LaunchTypeFargate || task.ContainerInstanceArn != nil || aws.ToString(task.LastStatus) != "PROVISIONING" {
		t.Fatalf("task %+v", task)
	}
	arn := aws.ToString(task.TaskArn)
	if !s.RunUntil(10*time.Minute, time.Second, func() bool { return aws.ToString(s.ecs.Tasks[arn].Task.LastStatus) == "STOPPED" }) {
		t.Fatal("never stopped")
	}
	if got := s.ecs.Tasks[arn].Task; aws.ToInt32(got.Containers[0].ExitCode) != 2 {
		t.Errorf("exit %v, want 2", got.Containers[0].ExitCode)
	}
}

// A non-essential container that runs a command exits alone: the task and
// its essential container go on; when the essential one exits later, the
// first keeps its own exit code.
func TestOneOffNonEssentialExitsAlone(t *testing.T) {
	s := New(Options{Seed: 3, ManualClock: true, Start: testStart})
	w := &World{Clusters: []ClusterSpec{{Name: "prod", Services: []ServiceSpec{appService("api", 1, 512, 1024, DemoAPITag, false)}}}}
	s.mu.Lock()
	s.ecsRegisterInstance(InstanceInfo{InstanceID: "i-00000000000000001", Cluster: "prod", AvailabilityZone: "us-east-1a",
		InstanceType: "m5.large", ImageID: "ami-0old", VCPU: 2, MemoryMiB: 8192, ASGName: "prod-asg"})
	s.mu.Unlock()
	if err := s.LoadWorld(w); err != nil {
		t.Fatal(err)
	}
	s.Advance(0)
	td := describeService(t, s, "api").TaskDefinition
	task := runOneOff(t, s, &ecs.RunTaskInput{TaskDefinition: td, Overrides: &types.TaskOverride{ContainerOverrides: []types.ContainerOverride{
		{Name: aws.String("envoy"), Command: []string{"exit", "5"}},
		{Name: aws.String("app"), Command: []string{"sh", "-c", "sleep 60; exit 0"}},
	}}})
	arn := aws.ToString(task.TaskArn)
	if !s.RunUntil(10*time.Minute, time.Second, func() bool {
		c := s.ecs.Tasks[arn].Task.Containers
		return aws.ToString(c[1].LastStatus) == "STOPPED"
	}) {
		t.Fatal("envoy never exited")
	}
	if got := taskNow(t, s, arn); aws.ToString(got.LastStatus) != "RUNNING" || aws.ToString(got.Containers[0].LastStatus) != "RUNNING" {
		t.Fatalf("after the non-essential container exited: task %s, app %s", aws.ToString(got.LastStatus), aws.ToString(got.Containers[0].LastStatus))
	}
	if !s.RunUntil(10*time.Minute, time.Second, stoppedCond(s, arn)) {
		t.Fatal("never stopped")
	}
	got := taskNow(t, s, arn)
	if aws.ToInt32(got.Containers[0].ExitCode) != 0 || aws.ToInt32(got.Containers[1].ExitCode) != 5 {
		t.Errorf("exit codes app %v envoy %v, want 0 and 5", got.Containers[0].ExitCode, got.Containers[1].ExitCode)
	}
}
