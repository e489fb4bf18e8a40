package render

import (
	"bytes"
	"testing"
	"time"

	"ecsctl/ops"
	"ecsctl/ops/task"
)

// The summary names every container's exit code (or that it never ran),
// the main one, the stop reason and how long it ran.
func TestRunSummary(t *testing.T) {
	start := time.Date(2026, 12, 4, 10, 3, 4, 0, time.UTC)
	stop := start.Add(37 * time.Second)
	three := 3
	res := &task.Result{TaskArn: "arn:aws:ecs:us-east-1:123456789012:task/prod/5b1f0c2e", TaskDefinition: "arn:aws:ecs:us-east-1:123456789012:task-definition/api:43",
		Container: "app", ExitCode: &three, LastStatus: "STOPPED", StopCode: "EssentialContainerExited", StopReason: "Essential container in task exited",
		Containers: []task.ContainerResult{{Name: "app", ExitCode: &three}, {Name: "init", Reason: "CannotStartContainerError: exec format error"}},
		StartedAt:  &start, StoppedAt: &stop}
	var b bytes.Buffer
	if err := RunSummary(&b, res); err != nil {
		t.Fatal(err)
	}
	want := "task 5b1f0c2e (api:43) stopped: Essential container in task exited (EssentialContainerExited)\n" +
		"  app (main): exit code 3\n" +
		"  init: never ran — CannotStartContainerError: exec format error\n" +
		"  ran 37s (2026-12-04T10:03:04Z to 2026-12-04T10:03:41Z)\n"
	if b.String() != want {
		t.Errorf("summary:\n%s\nwant:\n%s", b.String(), want)
	}
	b.Reset()
	RunProgress(&b, "prod", ops.Event{Time: stop, Kind: ops.EventTaskStatus, Task: res.TaskArn, State: "STOPPED", Message: "STOPPED: Essential container in task exited"})
	if got := b.String(); got != "2026-12-04T10:03:41Z prod/5b1f0c2e STOPPED: Essential container in task exited\n" {
		t.Errorf("progress line %q", got)
	}
}
