package render

import (
	"fmt"
	"io"
	"strings"
	"time"

	"ecsctl/fmtx"
	"ecsctl/ops"
	"ecsctl/ops/task"
)

// RunStarted is the line for a one-off task ECS accepted.
func RunStarted(w io.Writer, at time.Time, cluster, taskArn, taskDef, container, compute string) {
	Line(w, at, cluster+"/"+fmtx.ShortARN(taskArn), "started %s (container %s) on %s, started by %s", fmtx.ShortARN(taskDef), container, compute, task.StartedBy)
}

// RunProgress is one line per status a followed task reaches (it never
// redraws: the task's own output shares the terminal).
func RunProgress(w io.Writer, cluster string, ev ops.Event) {
	Line(w, ev.Time, cluster+"/"+fmtx.ShortARN(ev.Task), "%s", ciMessage(ev))
}

// RunSummary says how the task ended: each container's exit code, the
// stop reason and how long the main container ran.
func RunSummary(w io.Writer, r *task.Result) error {
	var b strings.Builder
	fmt.Fprintf(&b, "task %s (%s) %s", fmtx.ShortARN(r.TaskArn), fmtx.ShortARN(r.TaskDefinition), strings.ToLower(r.LastStatus))
	if r.StopReason != "" {
		fmt.Fprintf(&b, ": %s", r.StopReason)
	}
	if r.StopCode != "" {
		fmt.Fprintf(&b, " (%s)", r.StopCode)
	}
	b.WriteString("\n")
	for _, c := range r.Containers {
		code := "never ran"
		if c.ExitCode != nil {
			code = fmt.Sprintf("exit code %d", *c.ExitCode)
		}
		main := ""
		if c.Name == r.Container {
			main = " (main)"
		}
		fmt.Fprintf(&b, "  %s%s: %s", c.Name, main, code)
		if c.Reason != "" {
			fmt.Fprintf(&b, " — %s", c.Reason)
		}
		b.WriteString("\n")
	}
	if r.StartedAt != nil && r.StoppedAt != nil {
		fmt.Fprintf(&b, "  ran %s (%s to %s)\n", r.StoppedAt.Sub(*r.StartedAt).Round(time.Second),
			r.StartedAt.UTC().Format(time.RFC3339), r.StoppedAt.UTC().Format(time.RFC3339))
	}
	_, err := io.WriteString(w, b.String())
	return err
}
