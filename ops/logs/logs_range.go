package logs

import (
	"context"
	"ecsctl/ops"
	"ecsctl/ops/awsapi"
	"fmt"
	"math"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
)

// A range read is a k-way merge of FilterLogEvents page streams, one per
// chunk of up to 100 streams, each read once over the whole range.
//
// FilterLogEvents returns a query's events "sorted by event timestamp ...
// in ascending timestamp order (oldest first)" (the SDK's doc comment of
// FilterLogEvents, cloudwatchlogs/api_op_FilterLogEvents.go), so once a
// chunk's page ends at timestamp T, every later event of that chunk has a
// timestamp ≥ T. Everything held with a timestamp below the lowest such
// front of the unfinished chunks is final: it is sorted (time, stream, id —
// the order of the whole-range sort this replaces), printed and dropped.
// The merge always pulls the next page of the chunk whose front holds it
// back, so memory is a few pages per chunk whatever the range's length or
// the log volume, the first line follows the first pages, and the calls
// are exactly the pages of one query per chunk.

// logsPage is what a chunk's reader hands the merge: an answered page, a
// throttling notice, or how the chunk ended.
type logsPage struct {
	lines []Line
	// front (ms): the page's last timestamp (MinInt64: no events).
	front int64
	calls int
	// last: the chunk has no more pages.
	last bool
	// missing streams (ResourceNotFoundException); split: the chunk named
	// a missing stream, read these halves of it instead.
	missing []*logsStream
	split   [][]*logsStream
	notice  *ops.Event
	err     error
}

// logsRangeSource is one chunk being merged.
type logsRangeSource struct {
	key     logsGroupKey
	ch      chan logsPage
	pending []Line
	// front (ms): every event of this chunk not yet received has a
	// timestamp ≥ front. MinInt64 until its first page.
	front int64
	done  bool
}

// readRange prints [since, until] (until 0: whatever CloudWatch has) in
// order, streaming.
func (t *Tailer) readRange(ctx context.Context) error {
	streams := t.streamList(func(s *logsStream) bool { return !s.missing })
	if len(streams) == 0 {
		return nil
	}
	lo := int64(-1)
	for _, s := range streams {
		if lo < 0 || s.from < lo {
			lo = s.from
		}
	}
	lo = max(lo, 0)
	end := t.until

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, max(1, t.Parallel))
	var srcs []*logsRangeSource
	open := func(key logsGroupKey, ss []*logsStream, from int64) {
		src := &logsRangeSource{key: key, ch: make(chan logsPage, 1), front: math.MinInt64}
		srcs = append(srcs, src)
		go t.readRangeChunk(ctx, sem, key, ss, from, end, src.ch)
	}
	for _, c := range logsChunks(streams, func(*logsStream) int64 { return lo }) {
		open(c.key, c.streams, lo)
	}
	for {
		var next *logsRangeSource
		for _, s := range srcs {
			if !s.done && (next == nil || s.front < next.front) {
				next = s
			}
		}
		if next == nil {
			return t.emitRange(srcs)
		}
		var p logsPage
		select {
		case p = <-next.ch:
		case <-ctx.Done():
			return ctx.Err()
		}
		t.Calls += p.calls
		if p.notice != nil {
			t.note(*p.notice)
			continue
		}
		if p.err != nil {
			return p.err
		}
		for _, m := range p.missing {
			m.missing = true
		}
		next.pending = append(next.pending, p.lines...)
		next.front = max(next.front, p.front)
		if p.last {
			// Halves of a chunk start where it stood: what it emitted
			// lies below its front, what it still holds is de-duplicated.
			for _, half := range p.split {
				open(next.key, half, max(lo, next.front))
			}
			next.done = true
		}
		if err := t.emitRange(srcs); err != nil {
			return err
		}
	}
}

// emitRange prints, sorted, the held events no unfinished chunk can still
// precede.
func (t *Tailer) emitRange(srcs []*logsRangeSource) error {
	bound := int64(math.MaxInt64)
	for _, s := range srcs {
		if !s.done {
			bound = min(bound, s.front)
		}
	}
	var out []Line
	for _, s := range srcs {
		rest := s.pending[:0]
		for _, l := range s.pending {
			if l.Time.UnixMilli() < bound || bound == math.MaxInt64 {
				if t.keep(l) {
					out = append(out, l)
				}
			} else {
				rest = append(rest, l)
			}
		}
		clear(s.pending[len(rest):]) // let printed messages go
		s.pending = rest
	}
	// Every id remembered is below bound, and no chunk returns anything
	// below it any more.
	t.dedup.reset()
	if len(out) == 0 {
		return nil
	}
	sortLogLines(out)
	return t.Emit(out)
}

// readRangeChunk pages through FilterLogEvents for streams of one group from
// start to end (ms, inclusive; 0 = open), handing each page to the merge
// (which holds at most one unread). Throttling is waited out (a range read
// has no next poll to try again in). At most cap(sem) calls are in flight
// across chunks.
func (t *Tailer) readRangeChunk(ctx context.Context, sem chan struct{}, key logsGroupKey, streams []*logsStream, start, end int64, ch chan<- logsPage) {
	send := func(p logsPage) bool {
		select {
		case ch <- p:
			return true
		case <-ctx.Done():
			return false
		}
	}
	api := t.logsAPI(key.region)
	in, byName := t.filterInput(key, streams, start, end)
	for {
		var (
			out   *cloudwatchlogs.FilterLogEventsOutput
			err   error
			calls int
		)
		wait := t.PollInterval
		for attempt := 1; ; attempt++ {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			out, err = api.FilterLogEvents(ctx, in)
			<-sem
			calls++
			if err == nil || !awsapi.Transient(err) || attempt == 6 {
				break
			}
			n := ops.Event{Kind: ops.EventThrottled, Message: fmt.Sprintf("throttled (%s): trying again in %s", ops.OneLineErr(err), wait)}
			if !send(logsPage{calls: calls, notice: &n}) {
				return
			}
			calls = 0
			select {
			case <-ctx.Done():
				return
			case <-t.Clock.After(wait):
			}
			wait = min(2*wait, t.MaxBackoff)
		}
		if err != nil {
			send(t.rangeFailure(ctx, key, streams, calls, err))
			return
		}
		t.observe(out.ResultMetadata)
		lines := make([]Line, 0, len(out.Events))
		for _, e := range out.Events {
			if s := byName[aws.ToString(e.LogStreamName)]; s != nil {
				lines = append(lines, logLineOf(key, s, e))
			}
		}
		front := int64(math.MinInt64)
		if n := len(out.Events); n > 0 {
			front = aws.ToInt64(out.Events[n-1].Timestamp)
		}
		last := out.NextToken == nil || aws.ToString(out.NextToken) == aws.ToString(in.NextToken)
		if !send(logsPage{lines: lines, front: front, calls: calls, last: last}) || last {
			return
		}
		in.NextToken = out.NextToken
	}
}

// rangeFailure is the last page of a chunk whose FilterLogEvents failed for
// good: the streams or group found missing, the chunk split in two to find
// them, or the error.
func (t *Tailer) rangeFailure(ctx context.Context, key logsGroupKey, streams []*logsStream, calls int, err error) logsPage {
	p := logsPage{calls: calls, last: true, front: math.MinInt64}
	switch {
	case awsapi.ErrorCode(err) == "ResourceNotFoundException" && strings.Contains(strings.ToLower(err.Error()), "log group"):
		p.missing = streams
	case awsapi.ErrorCode(err) == "ResourceNotFoundException" && len(streams) == 1:
		p.missing = streams
	case awsapi.ErrorCode(err) == "ResourceNotFoundException":
		// Naming a stream that does not exist fails the whole
		// call: halve until the missing ones are found.
		half := len(streams) / 2
		p.split = [][]*logsStream{streams[:half], streams[half:]}
	case awsapi.ErrorCode(err) == "InvalidParameterException" && t.req.Filter != "" && strings.Contains(strings.ToLower(err.Error()), "filter pattern"):
		p.err = ops.Inputf("invalid %s %q: %s (see the CloudWatch Logs filter pattern syntax)", ops.Opt(ctx, "Filter"), t.req.Filter, apiMessage(err))
	default:
		p.err = fmt.Errorf("filter log events in %s (%d streams): %w", key.group, len(streams), err)
	}
	return p
}
