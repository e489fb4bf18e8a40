package logs

import (
	"context"
	"ecsctl/ops"
	"ecsctl/ops/awsapi"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwltypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/smithy-go/middleware"
)

// logsMaxStreams is FilterLogEvents' limit on logStreamNames.
const logsMaxStreams = 100

// logsChunk is up to 100 streams of one group read with one query.
type logsChunk struct {
	key     logsGroupKey
	streams []*logsStream
	start   int64 // ms
}

// logsChunks groups streams by log group and cuts them into chunks of at
// most 100; a chunk's start is the earliest any of its streams needs.
func logsChunks(streams []*logsStream, start func(*logsStream) int64) []logsChunk {
	byKey := map[logsGroupKey][]*logsStream{}
	var keys []logsGroupKey
	for _, s := range streams {
		if _, ok := byKey[s.key]; !ok {
			keys = append(keys, s.key)
		}
		byKey[s.key] = append(byKey[s.key], s)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].region != keys[j].region {
			return keys[i].region < keys[j].region
		}
		return keys[i].group < keys[j].group
	})
	var out []logsChunk
	for _, k := range keys {
		ss := byKey[k]
		sort.Slice(ss, func(i, j int) bool { return ss[i].name < ss[j].name })
		for i := 0; i < len(ss); i += logsMaxStreams {
			c := logsChunk{key: k, streams: ss[i:min(i+logsMaxStreams, len(ss))]}
			c.start = -1
			for _, s := range c.streams {
				if st := start(s); c.start < 0 || st < c.start {
					c.start = st
				}
			}
			out = append(out, c)
		}
	}
	return out
}

// logsFetchResult is what reading a set of chunks gave.
type logsFetchResult struct {
	lines   []Line
	missing []*logsStream
	calls   int
}

// fetchChunks reads every chunk (at most parallel at once) from its start
// to end (ms, inclusive; 0 = open). Streams that do not exist are returned
// in missing rather than failing the read. The first error wins.
func (t *Tailer) fetchChunks(ctx context.Context, chunks []logsChunk, end int64) (logsFetchResult, error) {
	var (
		mu    sync.Mutex
		res   logsFetchResult
		first error
		wg    sync.WaitGroup
	)
	sem := make(chan struct{}, max(1, t.Parallel))
	for _, c := range chunks {
		wg.Add(1)
		sem <- struct{}{}
		go func(c logsChunk) {
			defer wg.Done()
			defer func() { <-sem }()
			var r logsFetchResult
			err := t.fetchChunk(ctx, c.key, c.streams, c.start, end, &r)
			mu.Lock()
			defer mu.Unlock()
			res.lines = append(res.lines, r.lines...)
			res.missing = append(res.missing, r.missing...)
			res.calls += r.calls
			if err != nil && first == nil {
				first = err
			}
		}(c)
	}
	wg.Wait()
	return res, first
}

// filterInput is the FilterLogEvents query for streams of one group over
// [start, end] (end 0: open), with the streams by name.
func (t *Tailer) filterInput(key logsGroupKey, streams []*logsStream, start, end int64) (*cloudwatchlogs.FilterLogEventsInput, map[string]*logsStream) {
	byName := make(map[string]*logsStream, len(streams))
	names := make([]string, 0, len(streams))
	for _, s := range streams {
		byName[s.name] = s
		names = append(names, s.name)
	}
	in := &cloudwatchlogs.FilterLogEventsInput{
		LogGroupName:   aws.String(key.group),
		LogStreamNames: names,
		StartTime:      aws.Int64(max(start, 0)),
	}
	if end > 0 {
		in.EndTime = aws.Int64(end)
	}
	if t.req.Filter != "" {
		in.FilterPattern = aws.String(t.req.Filter)
	}
	return in, byName
}

// fetchChunk pages through FilterLogEvents for streams of one group. Naming
// a stream that does not exist fails the whole call, so on
// ResourceNotFoundException the streams are split in halves until the
// missing ones are found (O(k log n) calls for k missing of n).
func (t *Tailer) fetchChunk(ctx context.Context, key logsGroupKey, streams []*logsStream, start, end int64, r *logsFetchResult) error {
	api := t.logsAPI(key.region)
	in, byName := t.filterInput(key, streams, start, end)
	var got []Line
	for {
		r.calls++
		out, err := api.FilterLogEvents(ctx, in)
		if err != nil {
			if awsapi.ErrorCode(err) == "ResourceNotFoundException" {
				if strings.Contains(strings.ToLower(err.Error()), "log group") {
					r.missing = append(r.missing, streams...)
					return nil
				}
				if len(streams) == 1 {
					r.missing = append(r.missing, streams[0])
					return nil
				}
				half := len(streams) / 2
				if err := t.fetchChunk(ctx, key, streams[:half], start, end, r); err != nil {
					return err
				}
				return t.fetchChunk(ctx, key, streams[half:], start, end, r)
			}
			if awsapi.ErrorCode(err) == "InvalidParameterException" && t.req.Filter != "" && strings.Contains(strings.ToLower(err.Error()), "filter pattern") {
				return ops.Inputf("invalid %s %q: %s (see the CloudWatch Logs filter pattern syntax)", ops.Opt(ctx, "Filter"), t.req.Filter, apiMessage(err))
			}
			return fmt.Errorf("filter log events in %s (%d streams): %w", key.group, len(streams), err)
		}
		t.observe(out.ResultMetadata)
		for _, e := range out.Events {
			s := byName[aws.ToString(e.LogStreamName)]
			if s == nil {
				continue
			}
			got = append(got, logLineOf(key, s, e))
		}
		if out.NextToken == nil || aws.ToString(out.NextToken) == aws.ToString(in.NextToken) {
			break
		}
		in.NextToken = out.NextToken
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	r.lines = append(r.lines, got...)
	return nil
}

func logLineOf(key logsGroupKey, s *logsStream, e cwltypes.FilteredLogEvent) Line {
	return Line{
		Time:      msTime(aws.ToInt64(e.Timestamp)),
		Ingested:  msTime(aws.ToInt64(e.IngestionTime)),
		ID:        aws.ToString(e.EventId),
		Region:    key.region,
		Group:     key.group,
		Stream:    s.name,
		Task:      s.task.id,
		Container: s.container,
		Message:   strings.TrimRight(aws.ToString(e.Message), "\r\n"),
	}
}

// streamExists probes a stream FilterLogEvents said was missing.
func (t *Tailer) streamExists(ctx context.Context, s *logsStream) (bool, error) {
	out, err := t.logsAPI(s.key.region).DescribeLogStreams(ctx, &cloudwatchlogs.DescribeLogStreamsInput{
		LogGroupName: aws.String(s.key.group), LogStreamNamePrefix: aws.String(s.name), Limit: aws.Int32(1),
	})
	if err != nil {
		if awsapi.ErrorCode(err) == "ResourceNotFoundException" {
			return false, nil
		}
		return false, fmt.Errorf("describe log streams %s in %s: %w", s.name, s.key.group, err)
	}
	t.observe(out.ResultMetadata)
	for _, st := range out.LogStreams {
		if aws.ToString(st.LogStreamName) == s.name {
			return true, nil
		}
	}
	return false, nil
}

// streamStart is where a stream's events begin (ms): its first event, else
// its creation time. ok is false when the stream does not exist (yet).
func (t *Tailer) streamStart(ctx context.Context, s *logsStream) (ms int64, ok bool, err error) {
	t.Calls++
	out, err := t.logsAPI(s.key.region).DescribeLogStreams(ctx, &cloudwatchlogs.DescribeLogStreamsInput{
		LogGroupName: aws.String(s.key.group), LogStreamNamePrefix: aws.String(s.name), Limit: aws.Int32(1),
	})
	if err != nil {
		if awsapi.ErrorCode(err) == "ResourceNotFoundException" {
			return 0, false, nil
		}
		return 0, false, fmt.Errorf("describe log streams %s in %s: %w", s.name, s.key.group, err)
	}
	t.observe(out.ResultMetadata)
	for _, st := range out.LogStreams {
		if aws.ToString(st.LogStreamName) != s.name {
			continue
		}
		if first := aws.ToInt64(st.FirstEventTimestamp); first > 0 {
			return first, true, nil
		}
		if created := aws.ToInt64(st.CreationTime); created > 0 {
			return created, true, nil
		}
	}
	return 0, false, nil
}

// observe notes the server's clock from a response's Date header.
func (t *Tailer) observe(md middleware.Metadata) {
	d, ok := awsmiddleware.GetServerTime(md)
	if !ok {
		return
	}
	ms := d.UnixMilli()
	t.proof(ms)
	for {
		cur := t.serverDate.Load()
		if ms <= cur || t.serverDate.CompareAndSwap(cur, ms) {
			return
		}
	}
}

// serverNow is the latest server time known: the newest ingestion time
// seen or Date header received, whichever is later. It never runs ahead of
// the server's clock, so a deep poll based on it misses nothing.
func (t *Tailer) serverNow() int64 {
	return max(t.wm, t.serverDate.Load())
}

func apiMessage(err error) string {
	type msg interface{ ErrorMessage() string }
	var m msg
	if errors.As(err, &m) {
		return m.ErrorMessage()
	}
	return err.Error()
}
