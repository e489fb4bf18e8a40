package deploy

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
)

// streamLogs answers GetLogEvents from the tail, per stream, the way
// CloudWatch Logs does: the newest lines, oldest first within the page.
type streamLogs struct {
	streams map[string][]logtypes.OutputLogEvent
	calls   int
}

func (s *streamLogs) GetLogEvents(_ context.Context, in *cloudwatchlogs.GetLogEventsInput, _ ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.GetLogEventsOutput, error) {
	s.calls++
	ev := s.streams[aws.ToString(in.LogStreamName)]
	if n := int(aws.ToInt32(in.Limit)); len(ev) > n {
		ev = ev[len(ev)-n:]
	}
	return &cloudwatchlogs.GetLogEventsOutput{Events: ev}, nil
}

func logEv(at time.Time, msg string) logtypes.OutputLogEvent {
	return logtypes.OutputLogEvent{Timestamp: aws.Int64(at.UnixMilli()), Message: aws.String(msg)}
}

// The newest stopped task's crash lines are not in CloudWatch Logs yet (only
// its start-up lines are): the last lines shown are those of the task before
// it, whose stream reaches its stop.
func TestDeployLastLogLinesAreTheFailingContainersLast(t *testing.T) {
	stop1 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	stop2 := stop1.Add(30 * time.Second)
	logs := &streamLogs{streams: map[string][]logtypes.OutputLogEvent{
		"ecs/app/t1": {logEv(stop1.Add(-10*time.Second), "starting app"), logEv(stop1.Add(-time.Second), `{"level":"fatal","msg":"startup failed"}`), logEv(stop1.Add(-time.Second+time.Millisecond), "panic: startup failed")},
		"ecs/app/t2": {logEv(stop2.Add(-10*time.Second), "starting app"), logEv(stop2.Add(-10*time.Second+time.Millisecond), "Listening on 0.0.0.0:8080")},
	}}
	d := &Deployer{Logs: logs, Clock: newFakeClock(), PollInterval: time.Second}
	w := &watch{res: &ServiceResult{StoppedTasks: []StoppedTask{
		{TaskID: "t1", StoppedAt: stop1, ExitCodes: map[string]int{"app": 1}},
		{TaskID: "t2", StoppedAt: stop2, ExitCodes: map[string]int{"app": 1}},
	}}, logConfigs: map[string]logTarget{"app": {group: "/ecs/prod/api", prefix: "ecs"}}}
	d.fetchLogLines(context.Background(), Request{}, w)
	if len(w.res.LogLines) != 3 || w.res.LogLines[2] != "app: panic: startup failed" {
		t.Fatalf("last lines = %q", w.res.LogLines)
	}

	// No stream reaches its task's stop, ever: after a bounded number of
	// rounds, the newest lines seen.
	delete(logs.streams, "ecs/app/t1")
	logs.calls = 0
	w.res.LogLines = nil
	d.fetchLogLines(context.Background(), Request{}, w)
	maxReads := 2 * (logLinesRounds + int(logLinesWait/d.PollInterval) + 1)
	if len(w.res.LogLines) != 2 || w.res.LogLines[1] != "app: Listening on 0.0.0.0:8080" || logs.calls > maxReads {
		t.Fatalf("last lines = %q after %d reads", w.res.LogLines, logs.calls)
	}
}
