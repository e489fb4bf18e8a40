package logs

import (
	"context"
	"ecsctl/ops"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwltypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"
)

// logsLiveECS serves one service with one running task.
type logsLiveECS struct{}

const logsLiveTaskArn = "arn:aws:ecs:us-east-1:123456789012:task/c/0123456789abcdef0123456789abcdef"

func (logsLiveECS) DescribeServices(context.Context, *ecs.DescribeServicesInput, ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error) {
	return &ecs.DescribeServicesOutput{Services: []ecstypes.Service{{Status: aws.String("ACTIVE")}}}, nil
}

func (logsLiveECS) ListTasks(_ context.Context, in *ecs.ListTasksInput, _ ...func(*ecs.Options)) (*ecs.ListTasksOutput, error) {
	if in.DesiredStatus == ecstypes.DesiredStatusStopped {
		return &ecs.ListTasksOutput{}, nil
	}
	return &ecs.ListTasksOutput{TaskArns: []string{logsLiveTaskArn}}, nil
}

func (logsLiveECS) DescribeTasks(context.Context, *ecs.DescribeTasksInput, ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error) {
	return &ecs.DescribeTasksOutput{Tasks: []ecstypes.Task{{TaskArn: aws.String(logsLiveTaskArn), LastStatus: aws.String("RUNNING"),
		TaskDefinitionArn: aws.String("arn:aws:ecs:us-east-1:123456789012:task-definition/api:1"), CreatedAt: aws.Time(time.UnixMilli(1))}}}, nil
}

func (logsLiveECS) DescribeTaskDefinition(context.Context, *ecs.DescribeTaskDefinitionInput, ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error) {
	return &ecs.DescribeTaskDefinitionOutput{TaskDefinition: &ecstypes.TaskDefinition{ContainerDefinitions: []ecstypes.ContainerDefinition{{
		Name: aws.String("app"), LogConfiguration: &ecstypes.LogConfiguration{LogDriver: ecstypes.LogDriverAwslogs,
			Options: map[string]string{"awslogs-group": "/g", "awslogs-stream-prefix": "ecs"}}}}}}, nil
}

// logsLiveWorld is CloudWatch Logs for the task's one stream: events become
// visible to polls when the test says, and a live session the test feeds.
type logsLiveWorld struct {
	mu      sync.Mutex
	events  []cwltypes.FilteredLogEvent
	visible int
	polls   chan struct{}
	live    chan cwltypes.StartLiveTailResponseStream
	started []*cloudwatchlogs.StartLiveTailInput
	liveErr error
}

const logsLiveStream = "ecs/app/0123456789abcdef0123456789abcdef"

func newLogsLiveWorld(n int) *logsLiveWorld {
	w := &logsLiveWorld{polls: make(chan struct{}, 100), live: make(chan cwltypes.StartLiveTailResponseStream, 10)}
	for i := 1; i <= n; i++ {
		w.events = append(w.events, cwltypes.FilteredLogEvent{EventId: aws.String(fmt.Sprintf("id%d", i)), LogStreamName: aws.String(logsLiveStream),
			Timestamp: aws.Int64(int64(i) * 1000), IngestionTime: aws.Int64(int64(i)*1000 + 100), Message: aws.String(fmt.Sprintf("e%d", i))})
	}
	return w
}

func (w *logsLiveWorld) show(n int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.visible = n
}

func (w *logsLiveWorld) FilterLogEvents(_ context.Context, in *cloudwatchlogs.FilterLogEventsInput, _ ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.FilterLogEventsOutput, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := &cloudwatchlogs.FilterLogEventsOutput{}
	for _, e := range w.events[:w.visible] {
		if *e.Timestamp >= aws.ToInt64(in.StartTime) && (in.EndTime == nil || *e.Timestamp <= *in.EndTime) {
			out.Events = append(out.Events, e)
		}
	}
	select {
	case w.polls <- struct{}{}:
	default:
	}
	return out, nil
}

func (w *logsLiveWorld) DescribeLogStreams(context.Context, *cloudwatchlogs.DescribeLogStreamsInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DescribeLogStreamsOutput, error) {
	return &cloudwatchlogs.DescribeLogStreamsOutput{}, nil
}

// liveEvent is event i as a live session delivers it (no id).
func (w *logsLiveWorld) liveEvent(i int) cwltypes.LiveTailSessionLogEvent {
	e := w.events[i-1]
	return cwltypes.LiveTailSessionLogEvent{LogGroupIdentifier: aws.String("arn:aws:logs:us-east-1:123456789012:log-group:/g"),
		LogStreamName: e.LogStreamName, Timestamp: e.Timestamp, IngestionTime: e.IngestionTime, Message: e.Message}
}

func (w *logsLiveWorld) update(sampled bool, idx ...int) {
	u := cwltypes.LiveTailSessionUpdate{SessionMetadata: &cwltypes.LiveTailSessionMetadata{Sampled: sampled}}
	for _, i := range idx {
		u.SessionResults = append(u.SessionResults, w.liveEvent(i))
	}
	w.live <- &cwltypes.StartLiveTailResponseStreamMemberSessionUpdate{Value: u}
}

type logsFakeLiveStream struct {
	ch   chan cwltypes.StartLiveTailResponseStream
	once sync.Once
	done chan struct{}
}

func (s *logsFakeLiveStream) Events() <-chan cwltypes.StartLiveTailResponseStream { return s.ch }
func (s *logsFakeLiveStream) Close() error                                        { s.once.Do(func() { close(s.done) }); return nil }
func (s *logsFakeLiveStream) Err() error                                          { return nil }

func (w *logsLiveWorld) start(_ context.Context, region string, in *cloudwatchlogs.StartLiveTailInput) (LiveStream, error) {
	w.mu.Lock()
	w.started = append(w.started, in)
	err := w.liveErr
	w.mu.Unlock()
	if err != nil {
		return nil, err
	}
	s := &logsFakeLiveStream{ch: make(chan cwltypes.StartLiveTailResponseStream), done: make(chan struct{})}
	go func() {
		defer close(s.ch)
		s.ch <- &cwltypes.StartLiveTailResponseStreamMemberSessionStart{Value: cwltypes.LiveTailSessionStart{SessionId: aws.String("s")}}
		for {
			select {
			case ev := <-w.live:
				select {
				case s.ch <- ev:
				case <-s.done:
					return
				}
			case <-s.done:
				return
			}
		}
	}()
	return s, nil
}

// logsTickClock's timers fire after a millisecond of real time; Now stays.
type logsTickClock struct{}

func (logsTickClock) Now() time.Time                       { return time.UnixMilli(10_000).UTC() }
func (logsTickClock) After(time.Duration) <-chan time.Time { return time.After(time.Millisecond) }

type logsLiveRun struct {
	mu      sync.Mutex
	lines   []string
	notices []ops.Event
	got     chan int
}

func runLogsLive(t *testing.T, w *logsLiveWorld, want int) (*logsLiveRun, chan error, context.CancelFunc) {
	t.Helper()
	r := &logsLiveRun{got: make(chan int, 100)}
	ctx, cancel := context.WithCancel(context.Background())
	tl := &Tailer{ECS: logsLiveECS{}, Logs: func(string) API { return w }, Region: "us-east-1", Clock: logsTickClock{},
		PollInterval: time.Millisecond, Overlap: 5 * time.Second, OrderWindow: -1, StartLive: w.start,
		Emit: func(ls []Line) error {
			r.mu.Lock()
			defer r.mu.Unlock()
			for _, l := range ls {
				r.lines = append(r.lines, l.Message)
			}
			r.got <- len(r.lines)
			if len(r.lines) >= want {
				cancel()
			}
			return nil
		},
		Notice: func(n ops.Event) {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.notices = append(r.notices, n)
		}}
	done := make(chan error, 1)
	go func() {
		done <- tl.Tail(ctx, Request{Cluster: "c", Service: "api", Follow: true, Since: time.UnixMilli(500)})
	}()
	return r, done, cancel
}

func (r *logsLiveRun) wait(t *testing.T, n int) {
	t.Helper()
	for got := range r.got {
		if got >= n {
			return
		}
	}
}

func (r *logsLiveRun) noticed(kind ops.EventKind, text string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, n := range r.notices {
		if n.Kind == kind && strings.Contains(n.Message, text) {
			return true
		}
	}
	return false
}

// The bridge poll and the session overlap: each event once, in order;
// a sampled update hands over to polling, which fills the sample's gap.
func TestLogsLiveBridgeDedupAndSampledFallback(t *testing.T) {
	w := newLogsLiveWorld(6)
	w.show(2)
	r, done, cancel := runLogsLive(t, w, 6)
	defer cancel()
	<-w.polls // the bridge read e1, e2
	w.show(3)
	w.update(false, 2, 3) // e2 again (ingested around the start), e3 new
	r.wait(t, 3)
	w.show(6)
	w.update(true, 5) // a sample: e4 and e6 left out
	if err := <-done; !errors.Is(err, ops.ErrInterrupted) {
		t.Fatalf("Tail: %v", err)
	}
	if got := strings.Join(r.lines, " "); got != "e1 e2 e3 e4 e5 e6" {
		t.Errorf("printed %s", got)
	}
	if len(w.started) != 1 || fmt.Sprint(w.started[0].LogStreamNamePrefixes) != "[ecs/app/]" ||
		fmt.Sprint(w.started[0].LogGroupIdentifiers) != "[arn:aws:logs:us-east-1:123456789012:log-group:/g]" {
		t.Errorf("sessions %+v", w.started)
	}
	if !r.noticed(ops.EventLive, "following through a live tail session") || !r.noticed(ops.EventPolling, "sampling") {
		t.Errorf("notices %+v", r.notices)
	}
}

func TestLogsLiveUnavailableFallsBackToPolling(t *testing.T) {
	w := newLogsLiveWorld(3)
	w.show(3)
	w.liveErr = &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "not allowed"}
	r, done, cancel := runLogsLive(t, w, 3)
	defer cancel()
	if err := <-done; !errors.Is(err, ops.ErrInterrupted) {
		t.Fatalf("Tail: %v", err)
	}
	if got := strings.Join(r.lines, " "); got != "e1 e2 e3" {
		t.Errorf("printed %s", got)
	}
	if !r.noticed(ops.EventPolling, "AccessDeniedException") {
		t.Errorf("notices %+v", r.notices)
	}
}

func TestLogsLiveSpecLimits(t *testing.T) {
	task := &logsTask{id: "t", arn: logsLiveTaskArn}
	tl := &Tailer{tasks: map[string]*logsTask{"t": task}, streams: map[string]*logsStream{}}
	add := func(region, group, name string) {
		tl.streams[region+group+name] = &logsStream{key: logsGroupKey{region, group}, name: name, task: task}
	}
	if _, why := tl.liveSpec(); !strings.Contains(why, "no log streams") {
		t.Errorf("empty: %q", why)
	}
	for i := 0; i < 150; i++ {
		add("us-east-1", "/g", fmt.Sprintf("p%03d/app/t", i))
	}
	lv, why := tl.liveSpec()
	if why != "" || lv.prefixes != nil || len(lv.in.LogStreamNamePrefixes) != 0 {
		t.Errorf("150 prefixes in one group: the session takes the whole group (%q, %v)", why, lv.in.LogStreamNamePrefixes)
	}
	for i := 0; i < 10; i++ {
		add("us-east-1", fmt.Sprintf("/g%d", i), "ecs/app/t")
	}
	if _, why := tl.liveSpec(); !strings.Contains(why, "11 log groups") {
		t.Errorf("11 groups: %q", why)
	}
	tl.streams = map[string]*logsStream{}
	add("us-east-1", "/g", "ecs/app/t")
	add("eu-west-1", "/g", "ecs/app/t")
	if _, why := tl.liveSpec(); !strings.Contains(why, "more than one region") {
		t.Errorf("two regions: %q", why)
	}
}

// updateAs sends events idx naming their group as id.
func (w *logsLiveWorld) updateAs(id string, idx ...int) {
	u := cwltypes.LiveTailSessionUpdate{SessionMetadata: &cwltypes.LiveTailSessionMetadata{}}
	for _, i := range idx {
		e := w.liveEvent(i)
		e.LogGroupIdentifier = aws.String(id)
		u.SessionResults = append(u.SessionResults, e)
	}
	w.live <- &cwltypes.StartLiveTailResponseStreamMemberSessionUpdate{Value: u}
}

// Events are placed by log group name whatever form names the group
// (ACCOUNT_ID:NAME as real sessions send, ARN with or without ":*", the
// name); an event naming a group the session cannot place is read again
// by polling, from before it, with a notice, never dropped.
func TestLogsLivePlacesEveryGroupFormAndPollsForUnplaceable(t *testing.T) {
	w := newLogsLiveWorld(6)
	w.show(1)
	r, done, cancel := runLogsLive(t, w, 6)
	defer cancel()
	<-w.polls // the bridge read e1
	w.show(5)
	w.updateAs("123456789012:/g", 2)
	w.updateAs("arn:aws:logs:us-east-1:123456789012:log-group:/g:*", 3)
	w.updateAs("/g", 4)
	w.updateAs("arn:aws:logs:us-east-1:123456789012:log-group:/g", 5)
	r.wait(t, 5)
	if r.noticed(ops.EventPolling, "") {
		t.Fatalf("fell back to polling on placeable events: %+v", r.notices)
	}
	w.show(6)
	w.updateAs("123456789012:/other", 6)
	if err := <-done; !errors.Is(err, ops.ErrInterrupted) {
		t.Fatalf("Tail: %v", err)
	}
	if got := strings.Join(r.lines, " "); got != "e1 e2 e3 e4 e5 e6" {
		t.Errorf("printed %s", got)
	}
	if !r.noticed(ops.EventPolling, `1 live tail events name a log group this tail cannot place ("123456789012:/other")`) {
		t.Errorf("notices %+v", r.notices)
	}
}
