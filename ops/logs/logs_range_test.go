package logs

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwltypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"
)

// logsOldTaskECS is logsLiveECS with a task created long ago (or, with
// noTimes, carrying no start time at all).
type logsOldTaskECS struct {
	logsLiveECS
	createdAt time.Time
	noTimes   bool
}

func (e logsOldTaskECS) DescribeTasks(context.Context, *ecs.DescribeTasksInput, ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error) {
	t := ecstypes.Task{TaskArn: aws.String(logsLiveTaskArn), LastStatus: aws.String("RUNNING"),
		TaskDefinitionArn: aws.String("arn:aws:ecs:us-east-1:123456789012:task-definition/api:1")}
	if !e.noTimes {
		t.CreatedAt = aws.Time(e.createdAt)
	}
	return &ecs.DescribeTasksOutput{Tasks: []ecstypes.Task{t}}, nil
}

// logsSparse holds events only in the last hour before until, and no stream
// metadata (DescribeLogStreams: not found).
type logsSparse struct {
	events []cwltypes.FilteredLogEvent
	calls  int
}

func (l *logsSparse) FilterLogEvents(_ context.Context, in *cloudwatchlogs.FilterLogEventsInput, _ ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.FilterLogEventsOutput, error) {
	l.calls++
	out := &cloudwatchlogs.FilterLogEventsOutput{}
	for _, e := range l.events {
		if ts := aws.ToInt64(e.Timestamp); ts >= aws.ToInt64(in.StartTime) && (in.EndTime == nil || ts <= aws.ToInt64(in.EndTime)) {
			out.Events = append(out.Events, e)
		}
	}
	return out, nil
}

func (l *logsSparse) DescribeLogStreams(context.Context, *cloudwatchlogs.DescribeLogStreamsInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DescribeLogStreamsOutput, error) {
	return nil, &smithy.GenericAPIError{Code: "ResourceNotFoundException", Message: "The specified log stream does not exist."}
}

type logsFixedClock struct{ now time.Time }

func (c logsFixedClock) Now() time.Time                     { return c.now }
func (logsFixedClock) After(time.Duration) <-chan time.Time { return time.After(time.Millisecond) }

func TestLogsRangeReadSkipsEmptyYearsAndBoundsATaskWithoutTimes(t *testing.T) {
	until := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	newLogs := func() *logsSparse {
		l := &logsSparse{}
		for i := 0; i < 5; i++ {
			ts := until.Add(-time.Duration(50-i) * time.Minute).UnixMilli()
			l.events = append(l.events, cwltypes.FilteredLogEvent{EventId: aws.String(fmt.Sprint("e", i)), LogStreamName: aws.String(logsLiveStream),
				Timestamp: aws.Int64(ts), IngestionTime: aws.Int64(ts + 100), Message: aws.String(fmt.Sprint("line ", i))})
		}
		return l
	}
	for _, c := range []struct {
		name     string
		ecs      logsOldTaskECS
		maxCalls int
	}{
		// Created 26 years before: empty hours cost doubling slices, not one call each.
		{"created long ago", logsOldTaskECS{createdAt: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)}, 40},
		// No start time and no stream metadata: a 24-hour window.
		{"no start time", logsOldTaskECS{noTimes: true}, 30},
	} {
		t.Run(c.name, func(t *testing.T) {
			l := newLogs()
			var got []string
			tl := &Tailer{ECS: c.ecs, Logs: func(string) API { return l }, Region: "us-east-1", Clock: logsFixedClock{now: until},
				Emit: func(ls []Line) error {
					for _, x := range ls {
						got = append(got, x.Message)
					}
					return nil
				}}
			if err := tl.Tail(context.Background(), Request{Cluster: "c", Tasks: []string{"0123456789abcdef0123456789abcdef"}, Until: until}); err != nil {
				t.Fatal(err)
			}
			if len(got) != 5 || l.calls > c.maxCalls {
				t.Errorf("%d lines in %d FilterLogEvents calls: %v", len(got), l.calls, got)
			}
		})
	}
}
