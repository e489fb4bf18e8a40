package logs

import (
	"context"
	"fmt"
	"sort"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwltypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/smithy-go"
)

// logsFakeAPI is a function-field fake of API.
type logsFakeAPI struct {
	filter   func(in *cloudwatchlogs.FilterLogEventsInput) (*cloudwatchlogs.FilterLogEventsOutput, error)
	describe func(in *cloudwatchlogs.DescribeLogStreamsInput) (*cloudwatchlogs.DescribeLogStreamsOutput, error)
}

func (f *logsFakeAPI) FilterLogEvents(_ context.Context, in *cloudwatchlogs.FilterLogEventsInput, _ ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.FilterLogEventsOutput, error) {
	return f.filter(in)
}

func (f *logsFakeAPI) DescribeLogStreams(_ context.Context, in *cloudwatchlogs.DescribeLogStreamsInput, _ ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DescribeLogStreamsOutput, error) {
	return f.describe(in)
}

func TestLogsFetchChunkSplitsAroundMissingStreams(t *testing.T) {
	exists := map[string]bool{}
	var streams []*logsStream
	task := &logsTask{id: "t"}
	for i := 0; i < 100; i++ {
		name := fmt.Sprintf("ecs/app/%03d", i)
		exists[name] = i != 17 && i != 80
		streams = append(streams, &logsStream{key: logsGroupKey{"us-east-1", "/g"}, name: name, task: task, container: "app"})
	}
	calls := 0
	api := &logsFakeAPI{filter: func(in *cloudwatchlogs.FilterLogEventsInput) (*cloudwatchlogs.FilterLogEventsOutput, error) {
		calls++
		if len(in.LogStreamNames) > 100 {
			t.Fatalf("%d streams in one call", len(in.LogStreamNames))
		}
		out := &cloudwatchlogs.FilterLogEventsOutput{}
		for _, n := range in.LogStreamNames {
			if !exists[n] {
				return nil, &smithy.GenericAPIError{Code: "ResourceNotFoundException", Message: "The specified log stream does not exist."}
			}
			out.Events = append(out.Events, cwltypes.FilteredLogEvent{EventId: aws.String("id-" + n), LogStreamName: aws.String(n),
				Timestamp: aws.Int64(1000), IngestionTime: aws.Int64(1100), Message: aws.String("hello " + n + "\n")})
		}
		return out, nil
	}}
	tl := &Tailer{Logs: func(string) API { return api }}
	var r logsFetchResult
	if err := tl.fetchChunk(context.Background(), streams[0].key, streams, 0, 0, &r); err != nil {
		t.Fatal(err)
	}
	var missing []string
	for _, m := range r.missing {
		missing = append(missing, m.name)
	}
	sort.Strings(missing)
	if fmt.Sprint(missing) != "[ecs/app/017 ecs/app/080]" {
		t.Errorf("missing %v", missing)
	}
	if len(r.lines) != 98 || r.lines[0].Message != "hello "+r.lines[0].Stream {
		t.Errorf("%d lines, first %+v", len(r.lines), r.lines[0])
	}
	if calls > 2*2*7+1 {
		t.Errorf("%d calls to find 2 missing streams of 100", calls)
	}
}

func TestLogsChunksAreAtMost100PerGroup(t *testing.T) {
	var ss []*logsStream
	for i := 0; i < 250; i++ {
		g := "/a"
		if i%5 == 0 {
			g = "/b"
		}
		ss = append(ss, &logsStream{key: logsGroupKey{"us-east-1", g}, name: fmt.Sprintf("s%03d", i), from: int64(i)})
	}
	chunks := logsChunks(ss, func(s *logsStream) int64 { return s.from })
	total := 0
	for _, c := range chunks {
		if len(c.streams) > 100 || len(c.streams) == 0 {
			t.Errorf("chunk of %d", len(c.streams))
		}
		for _, s := range c.streams {
			if s.key != c.key {
				t.Errorf("stream of %s in chunk of %s", s.key.group, c.key.group)
			}
			if s.from < c.start {
				t.Errorf("chunk starts at %d after its stream's %d", c.start, s.from)
			}
		}
		total += len(c.streams)
	}
	if total != 250 || len(chunks) != 3 {
		t.Errorf("%d streams in %d chunks", total, len(chunks))
	}
}
