package sim

import (
	"container/heap"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwltypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
)

// CloudWatch Logs operations. StartLiveTail is an event stream, served by
// logs_livetail.go.

func init() {
	register(SvcLogs, "DescribeLogGroups", (*Sim).logsDescribeLogGroups)
	register(SvcLogs, "DescribeLogStreams", (*Sim).logsDescribeLogStreams)
	register(SvcLogs, "GetLogEvents", (*Sim).logsGetLogEvents)
	register(SvcLogs, "FilterLogEvents", (*Sim).logsFilterLogEvents)
	register(SvcLogs, "PutLogEvents", (*Sim).logsPutLogEvents)
	register(SvcLogs, "CreateLogGroup", (*Sim).logsCreateLogGroup)
	register(SvcLogs, "CreateLogStream", (*Sim).logsCreateLogStream)
}

const (
	errLogsInvalidParam  = "InvalidParameterException"
	errLogsNotFound      = "ResourceNotFoundException"
	errLogsAlreadyExists = "ResourceAlreadyExistsException"
)

func logsInvalid(format string, args ...any) *APIError {
	return apiErr(errLogsInvalidParam, format, args...)
}

func (s *Sim) logGroupArn(name string) string { return s.arn("logs", "log-group:"+name) }

// lookupLogGroup resolves logGroupName / logGroupIdentifier (name or ARN).
func (s *Sim) lookupLogGroup(name, ident *string) (*LogGroupData, error) {
	n, id := aws.ToString(name), aws.ToString(ident)
	switch {
	case n != "" && id != "":
		return nil, logsInvalid("LogGroup name and LogGroup ARN are mutually exclusive parameters.")
	case n == "" && id == "":
		return nil, logsInvalid("Either logGroupName or logGroupIdentifier must be specified.")
	case id != "":
		if strings.HasPrefix(id, "arn:") {
			prefix := s.arn("logs", "log-group:")
			if !strings.HasPrefix(id, prefix) {
				return nil, apiErr(errLogsNotFound, "The specified log group does not exist.")
			}
			n = strings.TrimSuffix(strings.TrimPrefix(id, prefix), ":*")
		} else {
			n = id
		}
	}
	g := s.logs.Groups[n]
	if g == nil {
		return nil, apiErr(errLogsNotFound, "The specified log group does not exist.")
	}
	return g, nil
}

func logsLimit(limit *int32, def, max int32) (int, error) {
	if limit == nil {
		return int(def), nil
	}
	if *limit < 1 || *limit > max {
		return 0, logsInvalid("1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value between 1 and %d", *limit, max)
	}
	return int(*limit), nil
}

func (s *Sim) logsDescribeLogGroups(in *cloudwatchlogs.DescribeLogGroupsInput) (*cloudwatchlogs.DescribeLogGroupsOutput, error) {
	prefix, pattern := aws.ToString(in.LogGroupNamePrefix), aws.ToString(in.LogGroupNamePattern)
	if prefix != "" && pattern != "" {
		return nil, logsInvalid("LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.")
	}
	if len(in.LogGroupIdentifiers) > 0 && (prefix != "" || pattern != "") {
		return nil, logsInvalid("logGroupIdentifiers cannot be combined with a name prefix or pattern.")
	}
	limit, err := logsLimit(in.Limit, 50, 50)
	if err != nil {
		return nil, err
	}
	limit = min(limit, s.PageSize())
	idents := map[string]bool{}
	for _, id := range in.LogGroupIdentifiers {
		idents[strings.TrimSuffix(strings.TrimPrefix(id, s.arn("logs", "log-group:")), ":*")] = true
	}
	var names []string
	for n := range s.logs.Groups {
		switch {
		case prefix != "" && !strings.HasPrefix(n, prefix):
		case pattern != "" && !strings.Contains(n, pattern):
		case len(idents) > 0 && !idents[n]:
		default:
			names = append(names, n)
		}
	}
	page, next, ok := pageOfKeys(names, in.NextToken, limit)
	if !ok {
		return nil, logsInvalid("The specified nextToken is invalid.")
	}
	out := &cloudwatchlogs.DescribeLogGroupsOutput{LogGroups: []cwltypes.LogGroup{}, NextToken: next}
	for _, n := range page {
		g := s.logs.Groups[n]
		lg := cwltypes.LogGroup{
			LogGroupName: aws.String(n),
			Arn:          aws.String(s.logGroupArn(n) + ":*"),
			LogGroupArn:  aws.String(s.logGroupArn(n)),
			CreationTime: aws.Int64(toMs(g.CreationTime)),
		}
		if pattern == "" {
			lg.LogGroupClass = cwltypes.LogGroupClassStandard
			lg.MetricFilterCount = aws.Int32(0)
			lg.StoredBytes = aws.Int64(g.StoredBytes)
			lg.DeletionProtectionEnabled = aws.Bool(false)
			if g.RetentionDays > 0 {
				lg.RetentionInDays = aws.Int32(g.RetentionDays)
			}
		}
		out.LogGroups = append(out.LogGroups, lg)
	}
	return out, nil
}

type streamsToken struct {
	Last  int64  `json:"l,omitempty"`
	Name  string `json:"n"`
	Order string `json:"o"`
	Desc  bool   `json:"d,omitempty"`
}

func (s *Sim) logsDescribeLogStreams(in *cloudwatchlogs.DescribeLogStreamsInput) (*cloudwatchlogs.DescribeLogStreamsOutput, error) {
	g, err := s.lookupLogGroup(in.LogGroupName, in.LogGroupIdentifier)
	if err != nil {
		return nil, err
	}
	order := in.OrderBy
	if order == "" {
		order = cwltypes.OrderByLogStreamName
	}
	if order != cwltypes.OrderByLogStreamName && order != cwltypes.OrderByLastEventTime {
		return nil, logsInvalid("1 validation error detected: Value '%s' at 'orderBy' failed to satisfy constraint: Member must satisfy enum value set: [LogStreamName, LastEventTime]", order)
	}
	prefix := aws.ToString(in.LogStreamNamePrefix)
	if prefix != "" && order == cwltypes.OrderByLastEventTime {
		return nil, logsInvalid("Cannot order by LastEventTime with a logStreamNamePrefix.")
	}
	limit, err := logsLimit(in.Limit, 50, 50)
	if err != nil {
		return nil, err
	}
	limit = min(limit, s.PageSize())
	desc := aws.ToBool(in.Descending)
	var tok *streamsToken
	if in.NextToken != nil {
		tok = &streamsToken{}
		if !pageTokenDecode(*in.NextToken, tok) || tok.Order != string(order) || tok.Desc != desc {
			return nil, logsInvalid("The specified nextToken is invalid.")
		}
	}
	byTime := order == cwltypes.OrderByLastEventTime
	type entry struct {
		st   *LogStreamData
		last int64 // lastEventTimestamp as reported (lagging)
	}
	less := func(a, b entry) bool {
		if byTime && a.last != b.last {
			return a.last < b.last
		}
		return a.st.Name < b.st.Name
	}
	if desc {
		asc := less
		less = func(a, b entry) bool { return asc(b, a) }
	}
	var list []entry
	for _, st := range g.Streams {
		if prefix != "" && !strings.HasPrefix(st.Name, prefix) {
			continue
		}
		s.materialize(g, st)
		e := entry{st, s.reportedLastEvent(st)}
		if tok != nil && !less(entry{&LogStreamData{Name: tok.Name}, tok.Last}, e) {
			continue
		}
		list = append(list, e)
	}
	sort.Slice(list, func(i, j int) bool { return less(list[i], list[j]) })
	out := &cloudwatchlogs.DescribeLogStreamsOutput{LogStreams: []cwltypes.LogStream{}}
	for i, e := range list {
		if i == limit {
			prev := list[i-1]
			out.NextToken = aws.String(pageTokenEncode(streamsToken{Last: prev.last, Name: prev.st.Name, Order: string(order), Desc: desc}))
			break
		}
		st := e.st
		ls := cwltypes.LogStream{
			LogStreamName: aws.String(st.Name),
			Arn:           aws.String(s.logGroupArn(g.Name) + ":log-stream:" + st.Name),
			CreationTime:  aws.Int64(toMs(st.CreationTime)),
			//lint:ignore SA1019 AWS still sends this deprecated field, so the sandbox does too
			StoredBytes: aws.Int64(0),
		}
		if st.LastIngest != 0 {
			ls.FirstEventTimestamp = aws.Int64(st.FirstEvent)
			ls.LastIngestionTime = aws.Int64(st.LastIngest)
		}
		if e.last != 0 {
			ls.LastEventTimestamp = aws.Int64(e.last)
		}
		out.LogStreams = append(out.LogStreams, ls)
	}
	return out, nil
}

// lastEventLag models the eventual consistency of a stream's
// lastEventTimestamp: CloudWatch says it "typically updates in less than an
// hour from ingestion". The sandbox refreshes it on a fixed grid of this
// period, so it reflects the events ingested before the last refresh —
// anything that picks "the newest stream" by it can pick the wrong one.
const lastEventLag = 10 * time.Minute

// reportedLastEvent is the lastEventTimestamp DescribeLogStreams shows (0
// for none yet).
func (s *Sim) reportedLastEvent(st *LogStreamData) int64 {
	if st.LastIngest == 0 {
		return 0
	}
	cutoff := toMs(s.now.Truncate(lastEventLag))
	if st.LastIngest <= cutoff {
		return st.LastEvent
	}
	// Events are in timestamp order and ingested no earlier than their
	// timestamp: the first one from the end ingested by the cutoff is it.
	for i := len(st.Events) - 1; i >= 0; i-- {
		if e := st.Events[i]; e.Ingestion <= cutoff {
			return e.Timestamp
		}
	}
	return 0
}

// GetLogEvents tokens are "f/<key>" and "b/<key>": a position in the
// stream's (timestamp, sequence) order. A forward token returns events after
// the key, a backward token events before it. An event that arrives late with
// a timestamp behind a follower's forward token is never returned to it.
type eventKey struct{ ts, seq int64 }

func (k eventKey) less(e LogEvent) bool {
	return k.ts < e.Timestamp || (k.ts == e.Timestamp && k.seq < e.Seq)
}

func keyOf(e LogEvent) eventKey { return eventKey{e.Timestamp, e.Seq} }

func formatStreamToken(dir byte, k eventKey) string {
	return fmt.Sprintf("%c/%020d%020d", dir, k.ts, k.seq)
}

func parseStreamToken(tok string) (byte, eventKey, bool) {
	if len(tok) != 42 || (tok[0] != 'f' && tok[0] != 'b') || tok[1] != '/' {
		return 0, eventKey{}, false
	}
	ts, err1 := strconv.ParseInt(tok[2:22], 10, 64)
	seq, err2 := strconv.ParseInt(tok[22:], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, eventKey{}, false
	}
	return tok[0], eventKey{ts, seq}, true
}

func (s *Sim) logsGetLogEvents(in *cloudwatchlogs.GetLogEventsInput) (*cloudwatchlogs.GetLogEventsOutput, error) {
	g, err := s.lookupLogGroup(in.LogGroupName, in.LogGroupIdentifier)
	if err != nil {
		return nil, err
	}
	st := g.Streams[aws.ToString(in.LogStreamName)]
	if st == nil {
		return nil, apiErr(errLogsNotFound, "The specified log stream does not exist.")
	}
	limit, err := logsLimit(in.Limit, 10000, 10000)
	if err != nil {
		return nil, err
	}
	ev := s.visibleEvents(g, st)
	lo, hi := 0, len(ev)
	if in.StartTime != nil {
		lo = sort.Search(len(ev), func(i int) bool { return ev[i].Timestamp >= *in.StartTime })
	}
	if in.EndTime != nil {
		hi = sort.Search(len(ev), func(i int) bool { return ev[i].Timestamp >= *in.EndTime })
	}
	if hi < lo {
		hi = lo
	}
	forward := aws.ToBool(in.StartFromHead)
	var cursor eventKey
	token := aws.ToString(in.NextToken)
	if token != "" {
		dir, k, ok := parseStreamToken(token)
		if !ok {
			return nil, logsInvalid("The specified nextToken is invalid.")
		}
		forward, cursor = dir == 'f', k
	}
	var i, j int
	if forward {
		i = lo
		if token != "" {
			i = max(lo, sort.Search(len(ev), func(x int) bool { return cursor.less(ev[x]) }))
		}
		j = min(hi, i+limit)
		if j < i {
			j = i
		}
	} else {
		j = hi
		if token != "" {
			j = min(hi, sort.Search(len(ev), func(x int) bool { return !lessEventKey(ev[x], cursor) }))
		}
		i = max(lo, j-limit)
		if i > j {
			i = j
		}
	}
	out := &cloudwatchlogs.GetLogEventsOutput{Events: []cwltypes.OutputLogEvent{}}
	for _, e := range ev[i:j] {
		out.Events = append(out.Events, cwltypes.OutputLogEvent{
			Timestamp: aws.Int64(e.Timestamp), IngestionTime: aws.Int64(e.Ingestion), Message: aws.String(e.Message),
		})
	}
	// Position keys around the page, for tokens of empty pages.
	before := func(x int) eventKey {
		if x > 0 && x <= len(ev) {
			return keyOf(ev[x-1])
		}
		if in.StartTime != nil && *in.StartTime > 0 {
			return eventKey{*in.StartTime - 1, 1<<62 - 1}
		}
		return eventKey{}
	}
	if j > i {
		out.NextForwardToken = aws.String(formatStreamToken('f', keyOf(ev[j-1])))
		out.NextBackwardToken = aws.String(formatStreamToken('b', keyOf(ev[i])))
		return out, nil
	}
	// Nothing: the same token comes back in its direction.
	if token != "" && forward {
		out.NextForwardToken = aws.String(token)
		out.NextBackwardToken = aws.String(formatStreamToken('b', cursor))
	} else if token != "" {
		out.NextBackwardToken = aws.String(token)
		out.NextForwardToken = aws.String(formatStreamToken('f', before(j)))
	} else {
		pos := before(i)
		out.NextForwardToken = aws.String(formatStreamToken('f', pos))
		out.NextBackwardToken = aws.String(formatStreamToken('b', eventKey{pos.ts, pos.seq + 1}))
	}
	return out, nil
}

func lessEventKey(e LogEvent, k eventKey) bool {
	return e.Timestamp < k.ts || (e.Timestamp == k.ts && e.Seq < k.seq)
}

// FilterLogEvents scans the matching streams' events in (timestamp, stream,
// sequence) order, or its reverse with startFromHead=false. Like CloudWatch
// it searches a bounded amount of data per call (filterScanPerPage × page
// size events); when that runs out before the end, the page holds what
// matched so far, possibly nothing, and a nextToken.
const filterScanPerPage = 10

// filterToken is the position of the last event scanned, and the direction.
type filterToken struct {
	TS     int64  `json:"t"`
	Stream string `json:"s"`
	Seq    int64  `json:"q"`
	Desc   bool   `json:"d,omitempty"`
}

// cmpFilterPos orders (timestamp, stream, seq) positions.
func cmpFilterPos(ts int64, stream string, seq int64, t *filterToken) int {
	switch {
	case ts != t.TS:
		return cmpInt(ts, t.TS)
	case stream != t.Stream:
		return strings.Compare(stream, t.Stream)
	default:
		return cmpInt(seq, t.Seq)
	}
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

type streamCursor struct {
	st  *LogStreamData
	ev  []LogEvent
	pos int
}

func (c *streamCursor) at() LogEvent { return c.ev[c.pos] }

type cursorHeap struct {
	c    []*streamCursor
	desc bool
}

func (h *cursorHeap) Len() int { return len(h.c) }
func (h *cursorHeap) Less(i, j int) bool {
	a, b := h.c[i].at(), h.c[j].at()
	tok := &filterToken{TS: b.Timestamp, Stream: h.c[j].st.Name, Seq: b.Seq}
	c := cmpFilterPos(a.Timestamp, h.c[i].st.Name, a.Seq, tok)
	if h.desc {
		return c > 0
	}
	return c < 0
}
func (h *cursorHeap) Swap(i, j int) { h.c[i], h.c[j] = h.c[j], h.c[i] }
func (h *cursorHeap) Push(x any)    { h.c = append(h.c, x.(*streamCursor)) }
func (h *cursorHeap) Pop() any {
	x := h.c[len(h.c)-1]
	h.c = h.c[:len(h.c)-1]
	return x
}

// startFromHeadFalseSince is the earliest startTime CloudWatch accepts with
// startFromHead=false.
var startFromHeadFalseSince = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()

func (s *Sim) logsFilterLogEvents(in *cloudwatchlogs.FilterLogEventsInput) (*cloudwatchlogs.FilterLogEventsOutput, error) {
	g, err := s.lookupLogGroup(in.LogGroupName, in.LogGroupIdentifier)
	if err != nil {
		return nil, err
	}
	prefix := aws.ToString(in.LogStreamNamePrefix)
	if len(in.LogStreamNames) > 0 && prefix != "" {
		return nil, logsInvalid("Cannot specify both logStreamNamePrefix and logStreamNames.")
	}
	if len(in.LogStreamNames) > 100 {
		return nil, logsInvalid("1 validation error detected: Value '%v' at 'logStreamNames' failed to satisfy constraint: Member must have length less than or equal to 100", len(in.LogStreamNames))
	}
	p, err := filterLogEventsParams(in)
	if err != nil {
		return nil, err
	}
	streams, err := filterStreams(g, in.LogStreamNames, prefix)
	if err != nil {
		return nil, err
	}
	return s.filterScanPage(s.filterCursors(g, streams, p), p), nil
}

// filterScan is what a FilterLogEvents page reads: the time window, the
// direction, the pattern, the page size and where the last page stopped.
type filterScan struct {
	limit      int
	filter     *logFilter
	tok        *filterToken
	desc       bool
	start, end int64
}

func filterLogEventsParams(in *cloudwatchlogs.FilterLogEventsInput) (filterScan, error) {
	var p filterScan
	var err error
	if p.limit, err = logsLimit(in.Limit, 10000, 10000); err != nil {
		return p, err
	}
	if p.filter, err = parseFilterPattern(aws.ToString(in.FilterPattern)); err != nil {
		return p, logsInvalid("Invalid filter pattern: %v", err)
	}
	p.desc = in.StartFromHead != nil && !*in.StartFromHead
	if in.NextToken != nil {
		p.tok = &filterToken{}
		if !pageTokenDecode(*in.NextToken, p.tok) {
			return p, logsInvalid("The specified nextToken is invalid.")
		}
		p.desc = p.tok.Desc // the token's direction wins
	} else if p.desc && aws.ToInt64(in.StartTime) < startFromHeadFalseSince {
		return p, logsInvalid("startFromHead=false requires a startTime on or after 2024-01-01T00:00:00Z.")
	}
	p.start, p.end = int64(0), int64(1<<62)
	if in.StartTime != nil {
		p.start = *in.StartTime
	}
	if in.EndTime != nil {
		p.end = *in.EndTime
	}
	return p, nil
}

// filterStreams is the streams a call reads: those named (each must
// exist, as on CloudWatch, where naming a stream that does not exist yet
// fails the whole call) or those with the prefix.
func filterStreams(g *LogGroupData, names []string, prefix string) ([]*LogStreamData, error) {
	var streams []*LogStreamData
	if len(names) == 0 {
		for _, st := range g.Streams {
			if strings.HasPrefix(st.Name, prefix) {
				streams = append(streams, st)
			}
		}
		return streams, nil
	}
	seen := map[string]bool{}
	for _, n := range names {
		st := g.Streams[n]
		if st == nil {
			return nil, apiErr(errLogsNotFound, "The specified log stream does not exist.")
		}
		if !seen[n] {
			seen[n] = true
			streams = append(streams, st)
		}
	}
	return streams, nil
}

func (p filterScan) inRange(c *streamCursor) bool {
	if c.pos < 0 || c.pos >= len(c.ev) {
		return false
	}
	ts := c.ev[c.pos].Timestamp
	return ts >= p.start && ts <= p.end
}

// filterCursors places a cursor on each stream at the first event to read
// (after the token's position when there is one) and heaps those that
// have one in the window.
func (s *Sim) filterCursors(g *LogGroupData, streams []*LogStreamData, p filterScan) *cursorHeap {
	h := &cursorHeap{desc: p.desc}
	tok := p.tok
	for _, st := range streams {
		ev := s.visibleEvents(g, st)
		c := &streamCursor{st: st, ev: ev}
		if !p.desc {
			c.pos = sort.Search(len(ev), func(i int) bool { return ev[i].Timestamp >= p.start })
			if tok != nil {
				c.pos = max(c.pos, sort.Search(len(ev), func(i int) bool { return cmpFilterPos(ev[i].Timestamp, st.Name, ev[i].Seq, tok) > 0 }))
			}
		} else {
			c.pos = sort.Search(len(ev), func(i int) bool { return ev[i].Timestamp > p.end }) - 1
			if tok != nil {
				c.pos = min(c.pos, sort.Search(len(ev), func(i int) bool { return cmpFilterPos(ev[i].Timestamp, st.Name, ev[i].Seq, tok) >= 0 })-1)
			}
		}
		if p.inRange(c) {
			h.c = append(h.c, c)
		}
	}
	heap.Init(h)
	return h
}

// filterScanPage merges the streams in time order into one page: it stops
// at limit matches or after a scan budget, with a token for the rest.
func (s *Sim) filterScanPage(h *cursorHeap, p filterScan) *cloudwatchlogs.FilterLogEventsOutput {
	budget := filterScanPerPage * s.PageSize()
	out := &cloudwatchlogs.FilterLogEventsOutput{Events: []cwltypes.FilteredLogEvent{}, SearchedLogStreams: []cwltypes.SearchedLogStream{}}
	var last *filterToken
	for scanned := 0; h.Len() > 0; scanned++ {
		if scanned == budget || len(out.Events) == p.limit {
			out.NextToken = aws.String(pageTokenEncode(last))
			break
		}
		c := h.c[0]
		e := c.at()
		if p.filter.match(e.Message) {
			out.Events = append(out.Events, cwltypes.FilteredLogEvent{
				EventId:       aws.String(eventID(c.st, e)),
				LogStreamName: aws.String(c.st.Name),
				Timestamp:     aws.Int64(e.Timestamp),
				IngestionTime: aws.Int64(e.Ingestion),
				Message:       aws.String(e.Message),
			})
		}
		last = &filterToken{TS: e.Timestamp, Stream: c.st.Name, Seq: e.Seq, Desc: p.desc}
		if p.desc {
			c.pos--
		} else {
			c.pos++
		}
		if p.inRange(c) {
			heap.Fix(h, 0)
		} else {
			heap.Pop(h)
		}
	}
	return out
}

const (
	putMaxEvents   = 10000
	putMaxFuture   = 2 * time.Hour
	putMaxAge      = 14 * 24 * time.Hour
	putMaxBatchAge = 24 * time.Hour
)

func (s *Sim) logsPutLogEvents(in *cloudwatchlogs.PutLogEventsInput) (*cloudwatchlogs.PutLogEventsOutput, error) {
	g, err := s.lookupLogGroup(in.LogGroupName, nil)
	if err != nil {
		return nil, err
	}
	st := g.Streams[aws.ToString(in.LogStreamName)]
	if st == nil {
		return nil, apiErr(errLogsNotFound, "The specified log stream does not exist.")
	}
	n := len(in.LogEvents)
	if n == 0 || n > putMaxEvents {
		return nil, logsInvalid("1 validation error detected: Value at 'logEvents' failed to satisfy constraint: Member must have length between 1 and %d", putMaxEvents)
	}
	nowMs := toMs(s.now)
	tooNewAt := nowMs + putMaxFuture.Milliseconds()
	tooOldBefore := nowMs - putMaxAge.Milliseconds()
	expiredBefore := int64(-1 << 62)
	if g.RetentionDays > 0 {
		expiredBefore = nowMs - int64(g.RetentionDays)*24*3600*1000
	}
	var first, lastTs int64 = -1, 0
	for i, e := range in.LogEvents {
		if e.Timestamp == nil || e.Message == nil {
			return nil, logsInvalid("Log event %d must have a timestamp and a message.", i)
		}
		if i > 0 && *e.Timestamp < *in.LogEvents[i-1].Timestamp {
			return nil, logsInvalid("Log events in a single PutLogEvents request must be in chronological order.")
		}
		if *e.Message == "" {
			return nil, logsInvalid("Log event message cannot be empty.")
		}
		ts := *e.Timestamp
		if ts >= tooOldBefore && ts >= expiredBefore && ts <= tooNewAt {
			if first < 0 {
				first = ts
			}
			lastTs = ts
		}
	}
	if first >= 0 && lastTs-first > putMaxBatchAge.Milliseconds() {
		return nil, logsInvalid("The batch of log events in a single PutLogEvents request cannot span more than 24 hours.")
	}
	var info cwltypes.RejectedLogEventsInfo
	rejected := false
	for i, e := range in.LogEvents {
		ts := *e.Timestamp
		switch {
		case ts > tooNewAt:
			if info.TooNewLogEventStartIndex == nil {
				info.TooNewLogEventStartIndex = aws.Int32(int32(i))
				rejected = true
			}
		case ts < tooOldBefore:
			info.TooOldLogEventEndIndex = aws.Int32(int32(i + 1))
			rejected = true
		case ts < expiredBefore:
			info.ExpiredLogEventEndIndex = aws.Int32(int32(i + 1))
			rejected = true
		default:
			s.appendEvent(g, st, LogEvent{Seq: s.nextUserSeq(), Timestamp: ts, Ingestion: nowMs, Message: *e.Message})
		}
	}
	out := &cloudwatchlogs.PutLogEventsOutput{NextSequenceToken: aws.String(fmt.Sprintf("%056d", s.logs.NextSeq))}
	if rejected {
		out.RejectedLogEventsInfo = &info
	}
	return out, nil
}

func validLogName(name string, max int, group bool) bool {
	if name == "" || len(name) > max {
		return false
	}
	for _, r := range name {
		if group {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_-/.#", r)) {
				return false
			}
		} else if r == ':' || r == '*' {
			return false
		}
	}
	return true
}

func (s *Sim) logsCreateLogGroup(in *cloudwatchlogs.CreateLogGroupInput) (*cloudwatchlogs.CreateLogGroupOutput, error) {
	name := aws.ToString(in.LogGroupName)
	if !validLogName(name, 512, true) {
		return nil, logsInvalid("1 validation error detected: Value '%s' at 'logGroupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+", name)
	}
	if s.logs.Groups[name] != nil {
		return nil, apiErr(errLogsAlreadyExists, "The specified log group already exists")
	}
	g := s.ensureLogGroup(name)
	g.RetentionDays = 0 // never expire, as a new group
	return &cloudwatchlogs.CreateLogGroupOutput{}, nil
}

func (s *Sim) logsCreateLogStream(in *cloudwatchlogs.CreateLogStreamInput) (*cloudwatchlogs.CreateLogStreamOutput, error) {
	g, err := s.lookupLogGroup(in.LogGroupName, nil)
	if err != nil {
		return nil, err
	}
	name := aws.ToString(in.LogStreamName)
	if !validLogName(name, 512, false) {
		return nil, logsInvalid("1 validation error detected: Value '%s' at 'logStreamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [^:*]*", name)
	}
	if g.Streams[name] != nil {
		return nil, apiErr(errLogsAlreadyExists, "The specified log stream already exists")
	}
	s.newLogStream(g, name)
	return &cloudwatchlogs.CreateLogStreamOutput{}, nil
}
