package logs

import (
	"context"
	"fmt"
	"math/rand"
	"regexp"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwltypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/smithy-go"

	"ecsctl/ops"
)

// logsPagedAPI serves FilterLogEvents as CloudWatch documents it: the
// named streams' events in ascending timestamp order, pageSize at a time,
// failing the whole call when a named stream does not exist.
type logsPagedAPI struct {
	pageSize int
	events   map[string][]cwltypes.FilteredLogEvent // group\x00stream → events by time
	throttle int                                    // fail this many calls first
	mu       sync.Mutex
	calls    int
}

func (f *logsPagedAPI) FilterLogEvents(_ context.Context, in *cloudwatchlogs.FilterLogEventsInput, _ ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.FilterLogEventsOutput, error) {
	f.mu.Lock()
	f.calls++
	if f.throttle > 0 {
		f.throttle--
		f.mu.Unlock()
		return nil, &smithy.GenericAPIError{Code: "ThrottlingException", Message: "Rate exceeded"}
	}
	f.mu.Unlock()
	var all []cwltypes.FilteredLogEvent
	for _, n := range in.LogStreamNames {
		evs, ok := f.events[aws.ToString(in.LogGroupName)+"\x00"+n]
		if !ok {
			return nil, &smithy.GenericAPIError{Code: "ResourceNotFoundException", Message: "The specified log stream does not exist."}
		}
		for _, e := range evs {
			if ts := aws.ToInt64(e.Timestamp); ts >= aws.ToInt64(in.StartTime) && (in.EndTime == nil || ts <= *in.EndTime) {
				all = append(all, e)
			}
		}
	}
	// Ties in any order: only the timestamp order is documented.
	sort.SliceStable(all, func(i, j int) bool { return aws.ToInt64(all[i].Timestamp) < aws.ToInt64(all[j].Timestamp) })
	from := 0
	if in.NextToken != nil {
		from, _ = strconv.Atoi(*in.NextToken)
	}
	to := min(len(all), from+f.pageSize)
	out := &cloudwatchlogs.FilterLogEventsOutput{Events: all[from:to]}
	if to < len(all) {
		out.NextToken = aws.String(strconv.Itoa(to))
	}
	return out, nil
}

func (f *logsPagedAPI) DescribeLogStreams(context.Context, *cloudwatchlogs.DescribeLogStreamsInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DescribeLogStreamsOutput, error) {
	return &cloudwatchlogs.DescribeLogStreamsOutput{}, nil
}

// The streaming range read prints exactly what sorting the whole range
// would (by time, stream, id), across chunks of 100 streams and two groups,
// for several ranges and --grep, with ties, missing streams and
// throttling; it prints before the last page is read and makes one query's
// pages per chunk.
func TestLogsRangeStreamsInTheOrderOfAWholeSort(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	api := &logsPagedAPI{pageSize: 7, events: map[string][]cwltypes.FilteredLogEvent{}}
	task := &logsTask{id: "t1"}
	type sk struct{ group, name string }
	var keys []sk
	for i := 0; i < 230; i++ {
		keys = append(keys, sk{"/a", fmt.Sprintf("ecs/app/%03d", i)})
	}
	for i := 0; i < 5; i++ {
		keys = append(keys, sk{"/b", fmt.Sprintf("ecs/side/%d", i)})
	}
	missing := map[string]bool{"ecs/app/017": true, "ecs/app/150": true}
	var all []Line
	for _, k := range keys {
		if missing[k.name] {
			continue
		}
		var evs []cwltypes.FilteredLogEvent
		n := rng.Intn(12)
		ts := int64(1000)
		for j := 0; j < n; j++ {
			ts += int64(rng.Intn(40)) // ties within and across streams
			id := fmt.Sprintf("%s-%s-%d", k.group, k.name, j)
			msg := fmt.Sprintf("line %d of %s", j, k.name)
			evs = append(evs, cwltypes.FilteredLogEvent{EventId: aws.String(id), LogStreamName: aws.String(k.name),
				Timestamp: aws.Int64(ts), IngestionTime: aws.Int64(ts + 5), Message: aws.String(msg)})
			all = append(all, Line{Time: msTime(ts), ID: id, Group: k.group, Stream: k.name, Message: msg})
		}
		api.events[k.group+"\x00"+k.name] = evs
	}
	sortLogLines(all)

	for _, c := range []struct {
		name         string
		since, until int64
		grep         string
		throttle     int
	}{
		{name: "everything", since: 0},
		{name: "since", since: 1100},
		{name: "since until", since: 1050, until: 1200},
		{name: "grep", since: 0, grep: `line [13]`},
		{name: "throttled", since: 0, throttle: 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			api.calls, api.throttle = 0, c.throttle
			tl := &Tailer{Logs: func(string) API { return api }, Clock: logsFixedClock{now: time.UnixMilli(10_000)}, Parallel: 2}
			tl.defaults()
			tl.since, tl.until = c.since, c.until
			if c.grep != "" {
				tl.req.Grep = regexp.MustCompile(c.grep)
			}
			tl.dedup = newLogsDedup()
			tl.streams = map[string]*logsStream{}
			for _, k := range keys {
				tl.streams[k.group+"\x00"+k.name] = &logsStream{key: logsGroupKey{"us-east-1", k.group}, name: k.name, task: task, container: "app", from: max(c.since, 1)}
			}
			var got []Line
			firstAt := -1
			tl.Emit = func(ls []Line) error {
				if firstAt < 0 {
					api.mu.Lock()
					firstAt = api.calls
					api.mu.Unlock()
				}
				got = append(got, ls...)
				return nil
			}
			throttled := 0
			tl.Notice = func(n ops.Event) {
				if n.Kind == ops.EventThrottled {
					throttled++
				}
			}
			if err := tl.readRange(context.Background()); err != nil {
				t.Fatal(err)
			}
			var want []Line
			for _, l := range all {
				ms := l.Time.UnixMilli()
				if ms < c.since || (c.until > 0 && ms > c.until) || (tl.req.Grep != nil && !tl.req.Grep.MatchString(l.Message)) {
					continue
				}
				want = append(want, l)
			}
			if len(got) != len(want) {
				t.Fatalf("%d lines, want %d", len(got), len(want))
			}
			for i := range want {
				if got[i].ID != want[i].ID || !got[i].Time.Equal(want[i].Time) || got[i].Message != want[i].Message || got[i].Group != want[i].Group || got[i].Task != "t1" {
					t.Fatalf("line %d: %+v, want %+v", i, got[i], want[i])
				}
			}
			for _, s := range tl.streams {
				if s.missing != missing[s.name] {
					t.Errorf("stream %s missing=%v", s.name, s.missing)
				}
			}
			if throttled != c.throttle {
				t.Errorf("%d throttling notices, want %d", throttled, c.throttle)
			}
			if firstAt >= api.calls {
				t.Errorf("first line after all %d calls: not streamed", api.calls)
			}
			// One query's pages per chunk (+ the halving around the two
			// missing streams, + the throttled calls): no more than the
			// whole-range read.
			if tl.Calls != api.calls || api.calls > len(all)/api.pageSize+4+2*2*7+c.throttle {
				t.Errorf("%d calls counted, %d made", tl.Calls, api.calls)
			}
		})
	}
}
