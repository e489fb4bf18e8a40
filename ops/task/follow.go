package task

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"ecsctl/fmtx"
	"ecsctl/ops"
	"ecsctl/ops/awsapi"
	"ecsctl/ops/logs"
)

// Start makes the RunTask call and returns the task it started. A task ECS
// did not start (failures[]: no container instance with the CPU, memory or
// ports, ...) is ops.ErrFailed with ECS's reason.
func Start(ctx context.Context, api ECS, in *ecs.RunTaskInput) (types.Task, error) {
	cluster := aws.ToString(in.Cluster)
	out, err := api.RunTask(ctx, in)
	if err != nil {
		return types.Task{}, fmt.Errorf("run task %s in %s: %w", fmtx.ShortARN(aws.ToString(in.TaskDefinition)), cluster, err)
	}
	if len(out.Tasks) == 0 {
		why := "ECS started no task and gave no reason"
		if len(out.Failures) > 0 {
			f := out.Failures[0]
			why = aws.ToString(f.Reason)
			if d := aws.ToString(f.Detail); d != "" {
				why += " (" + d + ")"
			}
		}
		return types.Task{}, fmt.Errorf("%w: run task %s in %s: not started: %s", ops.ErrFailed, fmtx.ShortARN(aws.ToString(in.TaskDefinition)), cluster, why)
	}
	return out.Tasks[0], nil
}

// ContainerResult is one container's outcome.
type ContainerResult struct {
	Name     string `json:"name"`
	ExitCode *int   `json:"exitCode"`
	Reason   string `json:"reason,omitempty"`
}

// Result is what a followed task came to.
type Result struct {
	Cluster        string `json:"cluster"`
	TaskArn        string `json:"taskArn"`
	TaskDefinition string `json:"taskDefinition"`
	// Container is the main container; ExitCode its exit code (nil: it
	// never ran, or the task has not stopped).
	Container string `json:"container"`
	ExitCode  *int   `json:"exitCode"`
	// Outcome: succeeded (exit 0), failed (another exit code), never-ran
	// (stopped before the main container ran) or running (not stopped yet).
	Outcome    string            `json:"outcome"`
	LastStatus string            `json:"lastStatus"`
	StopCode   string            `json:"stopCode,omitempty"`
	StopReason string            `json:"stoppedReason,omitempty"`
	Containers []ContainerResult `json:"containers"`
	CreatedAt  *time.Time        `json:"createdAt,omitempty"`
	StartedAt  *time.Time        `json:"startedAt,omitempty"`
	StoppedAt  *time.Time        `json:"stoppedAt,omitempty"`
}

// ResultOf reads a task's outcome for its main container.
func ResultOf(cluster, container string, t types.Task) *Result {
	r := &Result{Cluster: cluster, TaskArn: aws.ToString(t.TaskArn), TaskDefinition: aws.ToString(t.TaskDefinitionArn),
		Container: container, LastStatus: aws.ToString(t.LastStatus), StopCode: string(t.StopCode),
		StopReason: aws.ToString(t.StoppedReason), CreatedAt: t.CreatedAt, StartedAt: t.StartedAt, StoppedAt: t.StoppedAt,
		Containers: []ContainerResult{}}
	for _, c := range t.Containers {
		cr := ContainerResult{Name: aws.ToString(c.Name), Reason: aws.ToString(c.Reason)}
		if c.ExitCode != nil {
			v := int(*c.ExitCode)
			cr.ExitCode = &v
		}
		if cr.Name == container {
			r.ExitCode = cr.ExitCode
		}
		r.Containers = append(r.Containers, cr)
	}
	switch {
	case r.LastStatus != "STOPPED":
		r.Outcome = "running"
	case r.ExitCode == nil:
		r.Outcome = "never-ran"
	case *r.ExitCode == 0:
		r.Outcome = "succeeded"
	default:
		r.Outcome = "failed"
	}
	return r
}

// NeverRan reports whether the task stopped before its main container ran
// (no exit code: an image that could not be pulled, no capacity, stopped
// while PENDING).
func (r *Result) NeverRan() bool { return r.LastStatus == "STOPPED" && r.ExitCode == nil }

// Follower follows a started task to STOPPED, streaming its logs.
type Follower struct {
	ECS ECS
	// Logs, Region, Emit and Notice are the log tail's (logs.Tailer); a
	// nil Emit follows the task without its logs.
	Logs   func(region string) logs.API
	Region string
	Emit   func([]logs.Line) error
	Notice func(ops.Event)
	// Containers whose logs are shown (empty: all of the task's).
	Containers []string
	Clock      ops.Clock
	// PollInterval between DescribeTasks calls and log polls (default 2s).
	PollInterval time.Duration
	// Overlap is how late CloudWatch may ingest an event and still have it
	// shown; the tail reads this long past the task's stop (default 1m).
	Overlap time.Duration
	// Timeout bounds the wait (0: none); on expiry the task is left running.
	Timeout  time.Duration
	Progress func(ops.Event)
}

// ErrStillRunning wraps ops.ErrTimeout and ops.ErrInterrupted when the
// follow ended with the task not stopped.
type ErrStillRunning struct {
	TaskArn string
	Status  string
	Err     error // ops.ErrTimeout or ops.ErrInterrupted
}

func (e *ErrStillRunning) Error() string {
	return fmt.Sprintf("task %s is still %s", e.TaskArn, e.Status)
}

func (e *ErrStillRunning) Unwrap() error { return e.Err }

func (f *Follower) defaults() {
	if f.Clock == nil {
		f.Clock = ops.RealClock{}
	}
	if f.PollInterval <= 0 {
		f.PollInterval = 2 * time.Second
	}
	if f.Overlap <= 0 {
		f.Overlap = time.Minute
	}
}

// Follow waits for the task to stop, streaming its logs, and returns its
// result. It ends early with an *ErrStillRunning (and the result so far)
// when Timeout passes or ctx is cancelled; the task is not stopped.
func (f *Follower) Follow(ctx context.Context, cluster, container string, task types.Task) (*Result, error) {
	f.defaults()
	arn := aws.ToString(task.TaskArn)
	tailCtx, stopTail := context.WithCancel(context.WithoutCancel(ctx))
	defer stopTail()
	tailDone := make(chan error, 1)
	if f.Emit != nil {
		tailer := &logs.Tailer{ECS: f.ECS, Logs: f.Logs, Region: f.Region, Clock: f.Clock,
			PollInterval: f.PollInterval, Overlap: f.Overlap, LiveTail: "never",
			Emit: f.Emit, Notice: f.logNotice}
		go func() {
			tailDone <- tailer.Tail(tailCtx, logs.Request{Cluster: cluster, Tasks: []string{arn}, Containers: f.Containers, Follow: true})
		}()
	} else {
		tailDone <- nil
	}
	var deadline <-chan time.Time
	if f.Timeout > 0 {
		deadline = f.Clock.After(f.Timeout)
	}
	last := ""
	cur := task
	f.step(&last, cur)
	// endTail stops the log tail (it has read what it could) and waits for
	// it; tailDone is nil once the tail has ended.
	endTail := func() {
		stopTail()
		if tailDone != nil {
			<-tailDone
			tailDone = nil
		}
	}
	stillRunning := func(err error) (*Result, error) {
		endTail()
		return ResultOf(cluster, container, cur), &ErrStillRunning{TaskArn: arn, Status: aws.ToString(cur.LastStatus), Err: err}
	}
	for aws.ToString(cur.LastStatus) != "STOPPED" {
		select {
		case <-ctx.Done():
			return stillRunning(ops.ErrInterrupted)
		case <-deadline:
			return stillRunning(ops.ErrTimeout)
		case err := <-tailDone:
			// The tail ends by itself once the task has stopped and its
			// logs are read, or on an error (logs then stay unread; the
			// task is still followed).
			tailDone = nil
			f.tailEnded(arn, err)
		case <-f.Clock.After(f.PollInterval):
		}
		if ctx.Err() != nil {
			return stillRunning(ops.ErrInterrupted)
		}
		out, err := f.ECS.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: []string{arn}})
		switch {
		case err != nil && ctx.Err() != nil:
			return stillRunning(ops.ErrInterrupted)
		case err != nil && awsapi.Transient(err):
			continue
		case err != nil:
			endTail()
			return ResultOf(cluster, container, cur), fmt.Errorf("describe task %s/%s: %w", cluster, fmtx.ShortARN(arn), err)
		case len(out.Tasks) == 0:
			endTail()
			return ResultOf(cluster, container, cur), fmt.Errorf("describe task %s/%s: ECS no longer knows the task (stopped tasks are kept about an hour)", cluster, fmtx.ShortARN(arn))
		}
		cur = out.Tasks[0]
		f.step(&last, cur)
	}
	res := ResultOf(cluster, container, cur)
	if tailDone != nil {
		// The task has stopped: the tail reads its last events (up to
		// Overlap past the stop, for late ingestion) and ends by itself.
		select {
		case err := <-tailDone:
			f.tailEnded(arn, err)
		case <-ctx.Done():
			endTail()
			return res, fmt.Errorf("%w: task %s stopped; its last log lines were not all read", ops.ErrInterrupted, fmtx.ShortARN(arn))
		case <-deadline:
			endTail()
			f.logsCut(arn, ops.Opt(ctx, "Timeout")+" passed")
		case <-f.Clock.After(f.Overlap + logsGrace):
			// CloudWatch throttled or refused the tail past the task's end:
			// the verdict is known and must not wait on it forever.
			endTail()
			f.logsCut(arn, fmt.Sprintf("they were still being read %s after the task stopped", f.Overlap+logsGrace))
		}
	}
	return res, nil
}

// logsGrace is how long past Overlap the tail may take, after the task
// stopped, to read its last events.
const logsGrace = 2 * time.Minute

func (f *Follower) logsCut(arn, why string) {
	if f.Notice != nil {
		f.Notice(ops.Event{Kind: ops.EventSkipped, Task: fmtx.ShortARN(arn), Message: "the task's last log lines may be missing: " + why})
	}
}

func (f *Follower) step(last *string, t types.Task) {
	st := aws.ToString(t.LastStatus)
	if st == *last || f.Progress == nil {
		*last = st
		return
	}
	*last = st
	msg := st
	if why := aws.ToString(t.StoppedReason); st == "STOPPED" && why != "" {
		msg += ": " + why
	}
	f.Progress(ops.Event{Time: f.Clock.Now(), Kind: ops.EventTaskStatus, Task: aws.ToString(t.TaskArn), State: st, Message: msg})
}

// logNotice passes on what the tail says about itself, except its own
// "joined/left/finished" lines, which the task's progress says better.
func (f *Follower) logNotice(n ops.Event) {
	if f.Notice == nil {
		return
	}
	switch n.Kind {
	case ops.EventSkipped, ops.EventThrottled, ops.EventRecovered:
		f.Notice(n)
	}
}

func (f *Follower) tailEnded(arn string, err error) {
	var ie *ops.InputError
	if err == nil || errors.Is(err, ops.ErrInterrupted) || errors.As(err, &ie) || f.Notice == nil {
		// An input error is "nothing to show": the tail's own notice said
		// which container it skipped and why.
		return
	}
	f.Notice(ops.Event{Kind: ops.EventSkipped, Task: fmtx.ShortARN(arn), Message: "the task's logs are not shown: " + strings.Join(strings.Fields(err.Error()), " ")})
}

// Stop asks ECS to stop the task.
func Stop(ctx context.Context, api ECS, cluster, arn, reason string) error {
	if _, err := api.StopTask(ctx, &ecs.StopTaskInput{Cluster: aws.String(cluster), Task: aws.String(arn), Reason: aws.String(reason)}); err != nil {
		return fmt.Errorf("stop task %s/%s: %w", cluster, fmtx.ShortARN(arn), err)
	}
	return nil
}
