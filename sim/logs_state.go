package sim

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// CloudWatch Logs state. Running tasks' log streams are generated lazily:
// a stream's events for one time slot are a pure function of (seed, task id,
// container, slot), produced when the stream is first read past that slot
// (see logs_gen.go). Nothing runs per tick.
//
// The same logsState also carries the smaller services owned by this part of
// the sandbox (ECR, SSM, CloudWatch metrics, Application Auto Scaling), since
// the account has one slot for them in the snapshot.

// logsState is the saved state of CloudWatch Logs, ECR, SSM, CloudWatch
// metrics and Application Auto Scaling.
type logsState struct {
	Config LogsConfig               `json:"config"`
	Groups map[string]*LogGroupData `json:"groups"`
	// Tasks maps a task ARN to the streams its containers write.
	Tasks map[string][]StreamRef `json:"tasks"`
	// NextSeq numbers user-written (PutLogEvents) events across the account.
	NextSeq int64 `json:"nextSeq"`
	// total counts the events held by all streams (rebuilt after Load).
	total int

	ECR *ecrState `json:"ecr"`
	SSM *ssmState `json:"ssm"`
	CW  *cwState  `json:"cw"`
	AAS *aasState `json:"aas"`
	// Sched holds EventBridge Scheduler schedules and EventBridge rules
	// (scheduler_state.go).
	Sched *schedState `json:"sched,omitempty"`
}

// LogsConfig is the effective LogsSpec of the world.
type LogsConfig struct {
	LinesPerMinute float64       `json:"linesPerMinute"`
	LateFraction   float64       `json:"lateFraction"`
	MaxLateness    time.Duration `json:"maxLateness"`
	RetainEvents   int           `json:"retainEvents"`
}

// LogGroupData is one log group.
type LogGroupData struct {
	Name          string                    `json:"name"`
	CreationTime  time.Time                 `json:"creationTime"`
	RetentionDays int32                     `json:"retentionDays,omitempty"`
	StoredBytes   int64                     `json:"storedBytes"`
	Streams       map[string]*LogStreamData `json:"streams"`
}

// StreamRef names one stream of one group.
type StreamRef struct {
	Group  string `json:"group"`
	Stream string `json:"stream"`
}

// LogStreamData is one log stream: its visible events (sorted by timestamp,
// then sequence), and for streams written by a task the generator's inputs
// and progress.
type LogStreamData struct {
	Name         string     `json:"name"`
	CreationTime time.Time  `json:"creationTime"`
	Events       []LogEvent `json:"events,omitempty"`
	Dropped      int64      `json:"dropped,omitempty"` // events discarded by RetainEvents
	FirstEvent   int64      `json:"firstEvent,omitempty"`
	LastEvent    int64      `json:"lastEvent,omitempty"`
	LastIngest   int64      `json:"lastIngest,omitempty"`
	Gen          *StreamGen `json:"gen,omitempty"`
	Pending      []LogEvent `json:"pending,omitempty"` // generated, not yet ingested
	GenUntilSlot int64      `json:"genUntilSlot,omitempty"`
	LastRead     time.Time  `json:"lastRead,omitempty"`
	hash         uint64     // of group and stream, for event IDs (rebuilt after Load)
}

// StreamGen is what a task's container stream is generated from.
type StreamGen struct {
	TaskID    string    `json:"taskId"`
	Container string    `json:"container"`
	Image     string    `json:"image"`
	Essential bool      `json:"essential"`
	Start     time.Time `json:"start"`
	// Stop is when the container stopped (zero while running).
	Stop     time.Time `json:"stop,omitempty"`
	ExitCode *int      `json:"exitCode,omitempty"`
}

// LogEvent is one stored event; times are milliseconds since the epoch.
type LogEvent struct {
	Seq       int64  `json:"s"`
	Timestamp int64  `json:"t"`
	Ingestion int64  `json:"i"`
	Message   string `json:"m"`
}

// LogEventRecord is one event as LogEventsWritten reports it.
type LogEventRecord struct {
	ID            string
	Group         string
	Stream        string
	Timestamp     time.Time
	IngestionTime time.Time
	Message       string
}

const logsRetentionDays = 30

func defaultLogsConfig() LogsConfig {
	return LogsConfig{LinesPerMinute: 6, LateFraction: 0.05, MaxLateness: 20 * time.Second, RetainEvents: 10000}
}

func newLogsState() *logsState {
	return &logsState{
		Config: defaultLogsConfig(),
		Groups: map[string]*LogGroupData{},
		Tasks:  map[string][]StreamRef{},
		ECR:    newECRState(),
		SSM:    newSSMState(),
		CW:     newCWState(),
		AAS:    newAASState(),
	}
}

func init() {
	registerWorldLoader(loadOrderRest, "logs", (*Sim).logsLoadWorld)
	registerAfterLoad(func(s *Sim) {
		l := s.logs
		if l.Groups == nil {
			l.Groups = map[string]*LogGroupData{}
		}
		if l.Tasks == nil {
			l.Tasks = map[string][]StreamRef{}
		}
		for _, g := range l.Groups {
			if g.Streams == nil {
				g.Streams = map[string]*LogStreamData{}
			}
			for _, st := range g.Streams {
				st.hash = streamHash(g.Name, st.Name)
				l.total += len(st.Events)
			}
		}
	})
}

// logsLoadWorld applies the world's LogsSpec and creates a log group for
// every awslogs container of every service and standalone task.
func (s *Sim) logsLoadWorld(w *World) error {
	if w.Logs != nil {
		c := &s.logs.Config
		if w.Logs.LinesPerMinute > 0 {
			c.LinesPerMinute = w.Logs.LinesPerMinute
		}
		if w.Logs.LateFraction != nil {
			if f := *w.Logs.LateFraction; f < 0 || f > 1 {
				return fmt.Errorf("field \"logs.lateFraction\": %v is not between 0 and 1", f)
			}
			c.LateFraction = *w.Logs.LateFraction
		}
		if w.Logs.MaxLateness > 0 {
			c.MaxLateness = w.Logs.MaxLateness.D()
		}
		if w.Logs.RetainEvents > 0 {
			c.RetainEvents = w.Logs.RetainEvents
		}
	}
	for _, cl := range w.Clusters {
		for _, svc := range cl.Services {
			for _, c := range svc.Containers {
				if c.LogDriverOrDefault() == "awslogs" {
					s.ensureLogGroup(c.LogGroupFor(cl.Name, svc.Name))
				}
			}
		}
		for _, t := range cl.Tasks {
			for _, c := range t.Containers {
				if c.LogDriverOrDefault() == "awslogs" {
					s.ensureLogGroup(c.LogGroupFor(cl.Name, t.Family))
				}
			}
		}
	}
	return nil
}

// ensureLogGroup returns the group, creating it (30 days retention) if needed.
func (s *Sim) ensureLogGroup(name string) *LogGroupData {
	if g := s.logs.Groups[name]; g != nil {
		return g
	}
	g := &LogGroupData{Name: name, CreationTime: s.now, RetentionDays: logsRetentionDays, Streams: map[string]*LogStreamData{}}
	s.logs.Groups[name] = g
	return g
}

func (s *Sim) newLogStream(g *LogGroupData, name string) *LogStreamData {
	st := &LogStreamData{Name: name, CreationTime: s.now, hash: streamHash(g.Name, name)}
	g.Streams[name] = st
	return st
}

// logsTaskStarted creates the awslogs streams of a task's containers
// (<prefix>/<container>/<task-id>) and starts their generation. Groups that
// do not exist yet are created (awslogs-create-group behaviour), so it works
// before the world loader ran.
func (s *Sim) logsTaskStarted(t TaskInfo) {
	if _, dup := s.logs.Tasks[t.TaskArn]; dup {
		return
	}
	taskID := t.TaskID
	if taskID == "" {
		taskID = t.TaskArn[strings.LastIndex(t.TaskArn, "/")+1:]
	}
	start := t.StartedAt
	if start.IsZero() {
		start = s.now
	}
	var refs []StreamRef
	for _, c := range t.Containers {
		if c.LogDriver != "" && c.LogDriver != "awslogs" {
			continue
		}
		if c.LogGroup == "" {
			continue
		}
		if c.LogRegion != "" && c.LogRegion != s.Region {
			continue // written to another region's CloudWatch Logs
		}
		prefix := c.StreamPrefix
		if prefix == "" {
			prefix = "ecs"
		}
		g := s.ensureLogGroup(c.LogGroup)
		name := prefix + "/" + c.Name + "/" + taskID
		st := g.Streams[name]
		if st == nil {
			st = s.newLogStream(g, name)
		}
		st.CreationTime = start
		st.Gen = &StreamGen{TaskID: taskID, Container: c.Name, Image: c.Image, Essential: c.Essential, Start: start}
		st.GenUntilSlot = slotOf(start)
		refs = append(refs, StreamRef{Group: g.Name, Stream: name})
	}
	s.logs.Tasks[t.TaskArn] = refs
}

// logsTaskStopped ends the generation of a task's streams: events up to now
// are kept, containers that were stopped (not crashed) log their shutdown.
func (s *Sim) logsTaskStopped(taskArn string, exitCodes map[string]int) {
	refs, ok := s.logs.Tasks[taskArn]
	if !ok {
		return
	}
	delete(s.logs.Tasks, taskArn)
	for _, r := range refs {
		g := s.logs.Groups[r.Group]
		if g == nil {
			continue
		}
		st := g.Streams[r.Stream]
		if st == nil || st.Gen == nil || !st.Gen.Stop.IsZero() {
			continue
		}
		// Nothing is generated here (stopping hundreds of tasks stays cheap):
		// the stop bounds later generation, and the shutdown lines wait in
		// Pending with the rest.
		st.Gen.Stop = s.now
		if code, ok := exitCodes[st.Gen.Container]; ok {
			c := code
			st.Gen.ExitCode = &c
		}
		stopMs := toMs(s.now)
		if !isCrashImage(st.Gen.Image) || s.now.Before(st.Gen.Start.Add(s.crashAt())) {
			msgs := shutdownLines(st.Gen)
			for i, m := range msgs {
				ts := stopMs - int64(len(msgs)-i)
				st.Pending = append(st.Pending, LogEvent{Seq: s.nextUserSeq(), Timestamp: ts, Ingestion: stopMs, Message: m})
			}
		}
	}
}

func (s *Sim) nextUserSeq() int64 {
	s.logs.NextSeq++
	return userSeqBase + s.logs.NextSeq
}

// userSeqBase keeps sequence numbers of written events apart from generated ones.
const userSeqBase = int64(1) << 50

// materialize generates the stream's events up to the present (or its stop)
// and makes visible those whose ingestion time has come.
func (s *Sim) materialize(g *LogGroupData, st *LogStreamData) {
	st.LastRead = s.now
	if st.Gen == nil {
		return
	}
	limit := s.now
	if !st.Gen.Stop.IsZero() && st.Gen.Stop.Before(limit) {
		limit = st.Gen.Stop
	}
	last := slotOf(limit)
	if skip := s.slotsBeyondRetention(st.Gen, last); skip > st.GenUntilSlot {
		// Slots whose events retention would drop anyway are not generated
		// (a task that has run for days is read for the first time).
		st.GenUntilSlot = skip
	}
	for k := st.GenUntilSlot; k <= last; k++ {
		st.Pending = append(st.Pending, s.genSlot(st.Gen, k)...)
	}
	if last+1 > st.GenUntilSlot {
		st.GenUntilSlot = last + 1
	}
	if len(st.Pending) == 0 {
		return
	}
	nowMs := toMs(s.now)
	stopMs := int64(1<<62 - 1)
	if !st.Gen.Stop.IsZero() {
		stopMs = toMs(st.Gen.Stop)
	}
	kept := st.Pending[:0]
	var ready []LogEvent
	for _, e := range st.Pending {
		switch {
		case e.Timestamp >= stopMs:
			// the container was gone before it wrote this
		case e.Ingestion <= nowMs:
			ready = append(ready, e)
		default:
			kept = append(kept, e)
		}
	}
	st.Pending = kept
	sort.Slice(ready, func(i, j int) bool { return lessEvent(ready[i], ready[j]) })
	for _, e := range ready {
		s.appendEvent(g, st, e)
	}
}

// slotsBeyondRetention is the first slot worth generating when reading up to
// slot last: twice the slots that hold RetainEvents events at the stream's
// rate (0 when everything is).
func (s *Sim) slotsBeyondRetention(gen *StreamGen, last int64) int64 {
	c := s.logs.Config
	rate := c.LinesPerMinute
	if !gen.Essential {
		rate /= 3
	}
	if c.RetainEvents <= 0 || rate <= 0 || isCrashImage(gen.Image) {
		return 0
	}
	keep := int64(2*float64(c.RetainEvents)/rate) + 2
	return last - keep
}

func lessEvent(a, b LogEvent) bool {
	if a.Timestamp != b.Timestamp {
		return a.Timestamp < b.Timestamp
	}
	return a.Seq < b.Seq
}

// appendEvent inserts a visible event in (timestamp, seq) order and keeps the
// stream within RetainEvents.
func (s *Sim) appendEvent(g *LogGroupData, st *LogStreamData, e LogEvent) {
	n := len(st.Events)
	i := n
	for i > 0 && lessEvent(e, st.Events[i-1]) {
		i--
	}
	st.Events = append(st.Events, LogEvent{})
	copy(st.Events[i+1:], st.Events[i:n])
	st.Events[i] = e
	s.liveTailIngested(g, st, e)
	if st.FirstEvent == 0 || e.Timestamp < st.FirstEvent {
		st.FirstEvent = e.Timestamp
	}
	if e.Timestamp > st.LastEvent {
		st.LastEvent = e.Timestamp
	}
	if e.Ingestion > st.LastIngest {
		st.LastIngest = e.Ingestion
	}
	g.StoredBytes += int64(len(e.Message)) + 26
	s.logs.total++
	if max := s.logs.Config.RetainEvents; max > 0 && len(st.Events) > max+max/4 {
		drop := len(st.Events) - max
		st.Dropped += int64(drop)
		s.logs.total -= drop
		st.Events = append([]LogEvent(nil), st.Events[drop:]...)
	}
	if s.logs.total > logsMaxAccountEvents {
		s.evictLogEvents(st)
	}
}

// logsMaxAccountEvents caps the events the whole account holds in memory,
// whatever the number of streams read (about 200 bytes each).
var logsMaxAccountEvents = 1_000_000

// evictLogEvents empties the least recently read streams (never keep, the
// one being written) until the account holds 80 % of its cap. Their events
// are lost as if retention had dropped them.
func (s *Sim) evictLogEvents(keep *LogStreamData) {
	var held []*LogStreamData
	for _, g := range s.logs.Groups {
		for _, st := range g.Streams {
			if st != keep && len(st.Events) > 0 {
				held = append(held, st)
			}
		}
	}
	sort.Slice(held, func(i, j int) bool {
		if !held[i].LastRead.Equal(held[j].LastRead) {
			return held[i].LastRead.Before(held[j].LastRead)
		}
		return held[i].Name < held[j].Name
	})
	target := logsMaxAccountEvents * 8 / 10
	for _, st := range held {
		if s.logs.total <= target {
			return
		}
		s.logs.total -= len(st.Events)
		st.Dropped += int64(len(st.Events))
		st.Events = nil
	}
	if over := s.logs.total - target; over > 0 && over <= len(keep.Events) {
		// The stream being written holds most of the account on its own.
		s.logs.total -= over
		keep.Dropped += int64(over)
		keep.Events = append([]LogEvent(nil), keep.Events[over:]...)
	}
}

// visibleEvents materializes and returns a stream's events (do not modify).
func (s *Sim) visibleEvents(g *LogGroupData, st *LogStreamData) []LogEvent {
	s.materialize(g, st)
	if max := s.logs.Config.RetainEvents; max > 0 && len(st.Events) > max {
		return st.Events[len(st.Events)-max:]
	}
	return st.Events
}

// LogEventsWritten returns every event ingested so far into the named streams
// of group (all its streams when streams is empty) whose timestamp lies in
// [from, to] (zero times leave that end open), ordered by timestamp, stream
// and sequence: the ground truth that log-tail tests compare against. Events
// dropped by RetainEvents are not included.
func (s *Sim) LogEventsWritten(group string, streams []string, from, to time.Time) []LogEventRecord {
	return s.LogEventsIngestedBy(group, streams, from, to, time.Time{})
}

// LogEventsIngestedBy is LogEventsWritten restricted to the events ingested
// at or before ingestedBy (zero: now) — what a reader that stopped reading at
// that moment could have seen.
func (s *Sim) LogEventsIngestedBy(group string, streams []string, from, to, ingestedBy time.Time) []LogEventRecord {
	s.Lock()
	defer s.Unlock()
	g := s.logs.Groups[group]
	if g == nil {
		return nil
	}
	names := streams
	if len(names) == 0 {
		for n := range g.Streams {
			names = append(names, n)
		}
	}
	var out []LogEventRecord
	for _, n := range names {
		st := g.Streams[n]
		if st == nil {
			continue
		}
		for _, e := range s.visibleEvents(g, st) {
			ts := fromMs(e.Timestamp)
			if (!from.IsZero() && ts.Before(from)) || (!to.IsZero() && ts.After(to)) {
				continue
			}
			if !ingestedBy.IsZero() && e.Ingestion > toMs(ingestedBy) {
				continue
			}
			out = append(out, LogEventRecord{
				ID: eventID(st, e), Group: group, Stream: st.Name, Timestamp: ts,
				IngestionTime: fromMs(e.Ingestion), Message: e.Message,
			})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if !a.Timestamp.Equal(b.Timestamp) {
			return a.Timestamp.Before(b.Timestamp)
		}
		if a.Stream != b.Stream {
			return a.Stream < b.Stream
		}
		return a.ID < b.ID
	})
	return out
}

func toMs(t time.Time) int64    { return t.UnixMilli() }
func fromMs(ms int64) time.Time { return time.UnixMilli(ms).UTC() }
