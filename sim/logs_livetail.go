package sim

import (
	"fmt"
	"math"
	"net/http"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"weak"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwltypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	smithy "github.com/aws/smithy-go"
	"github.com/aws/smithy-go/eventstream"

	"ecsctl/sim/wire"
)

// CloudWatch Logs StartLiveTail, served as a real event stream
// (application/vnd.amazon.eventstream, awsJson1_1 event payloads): an
// initial-response, a sessionStart event, then a sessionUpdate about once per
// virtual second (never more often than every LiveTailOptions.MinRealInterval
// of real time) carrying the matching events ingested since the previous
// one. As CloudWatch:
//   - 1 to 10 log groups, named by ARN; logStreamNames or
//     logStreamNamePrefixes (not both, at most 100 each) only with exactly
//     one group; an optional filter pattern;
//   - when more than SampleAbove events per second match, an update carries a
//     sample of them and sessionMetadata.sampled is true; a client that reads
//     too slowly loses the oldest of more than BufferEvents waiting events
//     (also reported as sampled);
//   - the session ends with a SessionTimeoutException event after Timeout
//     (3 hours), and at most MaxSessions sessions are open per account
//     (LimitExceededException).
//
// Request-level errors (bad parameters, unknown group, the sandbox's fault
// injection) are ordinary HTTP error responses; errors once the stream is
// open are exception events in it.
//
// Events are collected as they are ingested (appendEvent calls
// liveTailIngested), so a session sees every event exactly once whichever
// reader made it visible; each update first materializes the matched streams
// so that everything ingested by its virtual time is in.

// LiveTailOptions tune an account's StartLiveTail.
type LiveTailOptions struct {
	// Timeout ends a session (virtual time; default 3h).
	Timeout time.Duration
	// MaxSessions open at once in the account (default 15).
	MaxSessions int
	// SampleAbove is the matching events per virtual second above which
	// updates are sampled (default 500).
	SampleAbove float64
	// BufferEvents is how many events wait for a slow reader before the
	// oldest are dropped (default 5000).
	BufferEvents int
	// Interval is the virtual time between updates (default 1s).
	Interval time.Duration
	// MinRealInterval bounds how often updates are sent in real time
	// (default 20ms), whatever the clock's speed.
	MinRealInterval time.Duration
	// FailAfter, when set, ends every session with a
	// SessionStreamingException this long (virtual) after it started.
	FailAfter time.Duration
	// GroupIdentifier, when set, is how events name their log group
	// instead of ACCOUNT_ID:LOG_GROUP_NAME (the API reference allows "the
	// name or ARN"; tests try the other forms, and forms a client cannot
	// place).
	GroupIdentifier func(account, region, group string) string
}

func (o *LiveTailOptions) defaults() {
	if o.Timeout <= 0 {
		o.Timeout = 3 * time.Hour
	}
	if o.MaxSessions <= 0 {
		o.MaxSessions = 15
	}
	if o.SampleAbove <= 0 {
		o.SampleAbove = 500
	}
	if o.BufferEvents <= 0 {
		o.BufferEvents = 5000
	}
	if o.Interval <= 0 {
		o.Interval = time.Second
	}
	if o.MinRealInterval <= 0 {
		o.MinRealInterval = 20 * time.Millisecond
	}
}

// liveTailHub is one account's live tail sessions (guarded by the account
// lock).
type liveTailHub struct {
	opts     LiveTailOptions
	sessions map[*liveTailSession]bool
	nextID   int
}

var (
	// liveTailHubs maps an account (weakly: a hub does not keep its
	// account alive) to its sessions and options.
	liveTailHubs   sync.Map     // weak.Pointer[Sim] → *liveTailHub
	liveTailActive atomic.Int64 // sessions open in every account of the process
)

func (s *Sim) liveTailHub() *liveTailHub {
	key := weak.Make(s)
	if h, ok := liveTailHubs.Load(key); ok {
		return h.(*liveTailHub)
	}
	h := &liveTailHub{sessions: map[*liveTailSession]bool{}}
	h.opts.defaults()
	actual, loaded := liveTailHubs.LoadOrStore(key, h)
	if !loaded {
		runtime.AddCleanup(s, func(k weak.Pointer[Sim]) { liveTailHubs.Delete(k) }, key)
	}
	return actual.(*liveTailHub)
}

// SetLiveTailOptions changes how StartLiveTail behaves for sessions started
// from now on (zero fields: the defaults).
func (s *Sim) SetLiveTailOptions(o LiveTailOptions) {
	o.defaults()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.liveTailHub().opts = o
}

// LiveTailSessions is the number of live tail sessions open now.
func (s *Sim) LiveTailSessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if h, ok := liveTailHubs.Load(weak.Make(s)); ok {
		return len(h.(*liveTailHub).sessions)
	}
	return 0
}

// liveTailSession is one open session.
type liveTailSession struct {
	id       string
	groups   map[string]string // group name → identifier as the client gave it
	names    map[string]bool
	prefixes []string
	filter   *logFilter
	opts     LiveTailOptions
	start    time.Time
	buf      []cwltypes.LiveTailSessionLogEvent
	dropped  int
}

func (ls *liveTailSession) matches(group, stream string) bool {
	if _, ok := ls.groups[group]; !ok {
		return false
	}
	if ls.names != nil {
		return ls.names[stream]
	}
	if ls.prefixes == nil {
		return true
	}
	for _, p := range ls.prefixes {
		if strings.HasPrefix(stream, p) {
			return true
		}
	}
	return false
}

// liveTailIngested is called (lock held) for every event that becomes
// visible in a stream.
func (s *Sim) liveTailIngested(g *LogGroupData, st *LogStreamData, e LogEvent) {
	if liveTailActive.Load() == 0 {
		return
	}
	h, ok := liveTailHubs.Load(weak.Make(s))
	if !ok {
		return
	}
	for ls := range h.(*liveTailHub).sessions {
		if !ls.matches(g.Name, st.Name) || !ls.filter.match(e.Message) {
			continue
		}
		if len(ls.buf) >= ls.opts.BufferEvents {
			ls.buf = ls.buf[1:]
			ls.dropped++
		}
		// Each event names its group as ACCOUNT_ID:LOG_GROUP_NAME, whatever
		// form the request used (an ARN here): so do captured real
		// sessions (ECS-SEMANTICS.md §5, "Events name their group as
		// ACCOUNT_ID:LOG_GROUP_NAME"); the API reference only says "the
		// name or ARN of the log group" (LiveTailSessionLogEvent).
		id := s.AccountID + ":" + g.Name
		if ls.opts.GroupIdentifier != nil {
			id = ls.opts.GroupIdentifier(s.AccountID, s.Region, g.Name)
		}
		ls.buf = append(ls.buf, cwltypes.LiveTailSessionLogEvent{
			LogGroupIdentifier: aws.String(id), LogStreamName: aws.String(st.Name),
			Timestamp: aws.Int64(e.Timestamp), IngestionTime: aws.Int64(e.Ingestion), Message: aws.String(e.Message),
		})
	}
}

func init() {
	// Served as an event stream by serveLiveTail; the registry entry makes
	// it a known, read-only operation (a registry without it answers
	// UnknownOperationException, as a sandbox without live tail would).
	DefaultRegistry.Add(&Operation{
		Service: SvcLogs, Name: "StartLiveTail", Mutating: false,
		InputType: reflect.TypeOf((*cloudwatchlogs.StartLiveTailInput)(nil)).Elem(),
		call: func(*Sim, any) (any, error) {
			return nil, &APIError{Code: "InvalidOperationException", Message: "StartLiveTail is served as an event stream"}
		},
	})
	streamOps[SvcLogs+".StartLiveTail"] = func(srv *Server, w http.ResponseWriter, r *http.Request, c *call, in any) {
		srv.serveLiveTail(w, r, c, in.(*cloudwatchlogs.StartLiveTailInput))
	}
}

// liveTailOpen validates a request and registers its session (lock held).
func (s *Sim) liveTailOpen(in *cloudwatchlogs.StartLiveTailInput) (*liveTailSession, *APIError) {
	ids := in.LogGroupIdentifiers
	switch {
	case len(ids) == 0:
		return nil, logsInvalid("1 validation error detected: Value at 'logGroupIdentifiers' failed to satisfy constraint: Member must have length greater than or equal to 1")
	case len(ids) > 10:
		return nil, logsInvalid("1 validation error detected: Value at 'logGroupIdentifiers' failed to satisfy constraint: Member must have length less than or equal to 10")
	case len(in.LogStreamNames) > 0 && len(in.LogStreamNamePrefixes) > 0:
		return nil, logsInvalid("logStreamNames and logStreamNamePrefixes are mutually exclusive parameters.")
	case len(in.LogStreamNames) > 100:
		return nil, logsInvalid("1 validation error detected: Value at 'logStreamNames' failed to satisfy constraint: Member must have length less than or equal to 100")
	case len(in.LogStreamNamePrefixes) > 100:
		return nil, logsInvalid("1 validation error detected: Value at 'logStreamNamePrefixes' failed to satisfy constraint: Member must have length less than or equal to 100")
	case len(ids) > 1 && (len(in.LogStreamNames) > 0 || len(in.LogStreamNamePrefixes) > 0):
		return nil, logsInvalid("logStreamNames and logStreamNamePrefixes can only be specified with exactly one log group identifier.")
	}
	filter, err := parseFilterPattern(aws.ToString(in.LogEventFilterPattern))
	if err != nil {
		return nil, logsInvalid("Invalid filter pattern: %v", err)
	}
	ls := &liveTailSession{groups: map[string]string{}, filter: filter, start: s.now}
	prefix := s.arn("logs", "log-group:")
	for _, id := range ids {
		if !strings.HasPrefix(id, "arn:") || strings.HasSuffix(id, "*") {
			return nil, logsInvalid("Log group identifier %q must be a log group ARN not ending with '*'.", id)
		}
		if !strings.HasPrefix(id, prefix) || s.logs.Groups[strings.TrimPrefix(id, prefix)] == nil {
			return nil, apiErr(errLogsNotFound, "The specified log group does not exist: %s", id)
		}
		ls.groups[strings.TrimPrefix(id, prefix)] = id
	}
	for _, n := range in.LogStreamNames {
		if n == "" {
			return nil, logsInvalid("Log stream names cannot be empty.")
		}
		if ls.names == nil {
			ls.names = map[string]bool{}
		}
		ls.names[n] = true
	}
	for _, p := range in.LogStreamNamePrefixes {
		if p == "" {
			return nil, logsInvalid("Log stream name prefixes cannot be empty.")
		}
		ls.prefixes = append(ls.prefixes, p)
	}
	h := s.liveTailHub()
	if len(h.sessions) >= h.opts.MaxSessions {
		return nil, &APIError{Code: "LimitExceededException", Message: fmt.Sprintf("You have reached the maximum number of concurrent Live Tail sessions (%d).", h.opts.MaxSessions)}
	}
	// Everything ingested by now is visible before the session counts: it
	// sees the events ingested after it started.
	s.liveTailMaterialize(ls)
	h.nextID++
	ls.id = fmt.Sprintf("%08x-0000-4000-8000-%012x", s.opts.Seed, h.nextID)
	ls.opts = h.opts
	h.sessions[ls] = true
	liveTailActive.Add(1)
	return ls, nil
}

func (s *Sim) liveTailClose(ls *liveTailSession) {
	h := s.liveTailHub()
	if h.sessions[ls] {
		delete(h.sessions, ls)
		liveTailActive.Add(-1)
	}
}

// liveTailMaterialize makes everything ingested by now visible in the
// session's streams (which feeds liveTailIngested).
func (s *Sim) liveTailMaterialize(ls *liveTailSession) {
	for name := range ls.groups {
		g := s.logs.Groups[name]
		if g == nil {
			continue
		}
		if ls.names != nil {
			for n := range ls.names {
				if st := g.Streams[n]; st != nil {
					s.materialize(g, st)
				}
			}
			continue
		}
		for _, st := range g.Streams {
			if ls.matches(name, st.Name) {
				s.materialize(g, st)
			}
		}
	}
}

// liveTailTake returns the session's next update (lock held): the events
// collected since the last one, sampled when more matched than the rate
// allows over the virtual time covered.
func (s *Sim) liveTailTake(ls *liveTailSession, covered time.Duration) cwltypes.LiveTailSessionUpdate {
	s.liveTailMaterialize(ls)
	evs, dropped := ls.buf, ls.dropped
	ls.buf, ls.dropped = nil, 0
	limit := int(math.Ceil(ls.opts.SampleAbove * max(covered, ls.opts.Interval).Seconds()))
	sampled := dropped > 0
	if len(evs) > limit {
		// An even sample keeps the spread over time.
		out := make([]cwltypes.LiveTailSessionLogEvent, 0, limit)
		for i := 0; i < limit; i++ {
			out = append(out, evs[i*len(evs)/limit])
		}
		evs, sampled = out, true
	}
	if evs == nil {
		evs = []cwltypes.LiveTailSessionLogEvent{}
	}
	return cwltypes.LiveTailSessionUpdate{SessionMetadata: &cwltypes.LiveTailSessionMetadata{Sampled: sampled}, SessionResults: evs}
}

// streamOps are operations answered as event streams rather than one
// response (see Server.ServeHTTP).
var streamOps = map[string]func(srv *Server, w http.ResponseWriter, r *http.Request, c *call, in any){}

// serveLiveTail answers StartLiveTail: validation errors as HTTP errors,
// then the event stream until the client goes, the session times out, or
// the server closes.
func (srv *Server) serveLiveTail(w http.ResponseWriter, r *http.Request, c *call, in *cloudwatchlogs.StartLiveTailInput) {
	s := srv.sim
	s.Lock()
	c.record.Virtual = s.now
	ls, aerr := s.liveTailOpen(in)
	speed, manual := s.opts.Speed, s.clock.manual
	s.Unlock()
	if aerr != nil {
		srv.writeError(w, c, awsError{code: aerr.Code, message: aerr.Message, status: aerr.HTTPStatus()})
		return
	}
	defer func() {
		s.Lock()
		s.liveTailClose(ls)
		s.Unlock()
	}()
	h := w.Header()
	h.Set("Content-Type", "application/vnd.amazon.eventstream")
	h.Set("X-Amzn-Requestid", c.requestID)
	setVirtualDate(h, c)
	w.WriteHeader(http.StatusOK)
	srv.log(c, http.StatusOK, "")
	flusher, _ := w.(http.Flusher)
	enc := eventstream.NewEncoder()
	send := func(msgType, typeHeader, kind string, v smithy.Serializable) bool {
		var m eventstream.Message
		m.Headers.Set(eventstream.MessageTypeHeader, eventstream.StringValue(msgType))
		m.Headers.Set(typeHeader, eventstream.StringValue(kind))
		m.Headers.Set(eventstream.ContentTypeHeader, eventstream.StringValue("application/json"))
		if v == nil {
			m.Payload = []byte("{}")
		} else {
			jw := wire.NewJSONWriter(nil)
			v.Serialize(jw)
			m.Payload = jw.Bytes()
		}
		if err := enc.Encode(w, m); err != nil {
			return false
		}
		if flusher != nil {
			flusher.Flush()
		}
		return true
	}
	groups := append(make([]string, 0, len(ls.groups)), in.LogGroupIdentifiers...)
	start := &cwltypes.LiveTailSessionStart{RequestId: aws.String(c.requestID), SessionId: aws.String(ls.id),
		LogGroupIdentifiers: groups, LogStreamNames: in.LogStreamNames, LogStreamNamePrefixes: in.LogStreamNamePrefixes,
		LogEventFilterPattern: in.LogEventFilterPattern}
	if !send(eventstream.EventMessageType, eventstream.EventTypeHeader, "initial-response", nil) ||
		!send(eventstream.EventMessageType, eventstream.EventTypeHeader, "sessionStart", start) {
		return
	}
	every := max(time.Duration(float64(ls.opts.Interval)/speed), ls.opts.MinRealInterval)
	if manual {
		every = ls.opts.MinRealInterval // virtual time moves only when a test says
	}
	ticker := time.NewTicker(every)
	defer ticker.Stop()
	last := ls.start
	for {
		select {
		case <-r.Context().Done():
			return
		case <-ticker.C:
		}
		s.Lock()
		now := s.now
		upd := s.liveTailTake(ls, now.Sub(last))
		s.Unlock()
		last = now
		if !send(eventstream.EventMessageType, eventstream.EventTypeHeader, "sessionUpdate", &upd) {
			return
		}
		age := now.Sub(ls.start)
		switch {
		case age >= ls.opts.Timeout:
			send(eventstream.ExceptionMessageType, eventstream.ExceptionTypeHeader, "SessionTimeoutException",
				&cwltypes.SessionTimeoutException{Message: aws.String(fmt.Sprintf("Session timed out after %s.", ls.opts.Timeout))})
			return
		case ls.opts.FailAfter > 0 && age >= ls.opts.FailAfter:
			send(eventstream.ExceptionMessageType, eventstream.ExceptionTypeHeader, "SessionStreamingException",
				&cwltypes.SessionStreamingException{Message: aws.String("Internal error while streaming the session.")})
			return
		}
	}
}
