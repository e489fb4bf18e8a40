package sim

import (
	"container/heap"
	"encoding/hex"
	"fmt"
	"math/rand"
	"sync"
	"time"
)

// Options configure a new account.
type Options struct {
	// Speed is virtual seconds per real second (default 1).
	Speed float64
	// Seed makes IDs and random choices reproducible (default 1).
	Seed int64
	// PageSize caps the page size of every List call (default 100, the AWS
	// maximum); tests set it small to exercise paging.
	PageSize int
	// Start is the virtual time at creation (default: the real time now).
	Start time.Time
	// ManualClock stops the virtual clock from following the real one; time
	// then moves only through Advance. Unit tests of the simulation use it.
	ManualClock bool
	// RealTimeWhenIdle runs the clock at Speed only while work is queued (a
	// task starting or stopping, a target draining, an instance booting, a
	// placement retry) and at real time otherwise, so that a sandbox kept
	// for days stays close to the wall clock while nothing waits, and the
	// time between two commands on a saved sandbox passes at real speed
	// (see idleKinds). ecsctl's own sandboxes use it.
	RealTimeWhenIdle bool
}

// Sim is one simulated AWS account in one region.
type Sim struct {
	mu   sync.Mutex
	opts Options

	clock clock
	now   time.Time // virtual time of the event or request being processed
	rng   *rand.Rand
	seq   uint64
	queue eventQueue

	Region    string
	AccountID string
	Timings   Timings

	faults *Faults
	rec    *Recorder
	reqlog requestLog

	ecs  *ecsState
	ec2  *ec2State
	logs *logsState

	// asg is EC2 Auto Scaling's state (asg_state.go); it is saved inside
	// the snapshot's "ec2" object (persist.go).
	asg *asgState
	// elb is ELBv2's state (elb_state.go); it is saved inside the
	// snapshot's "ecs" object.
	elb *elbState
	// ecr, ssm, cw and aas are ECR's, SSM's, CloudWatch metrics' and
	// Application Auto Scaling's state (ecr_state.go, ssm_state.go,
	// cw_state.go, aas_state.go); they are saved inside the snapshot's
	// "logs" object.
	ecr *ecrState
	ssm *ssmState
	cw  *cwState
	aas *aasState
	// schedules holds EventBridge Scheduler schedules and EventBridge rules
	// (scheduler_state.go); saved inside the snapshot's "logs" object.
	schedules *schedState
}

// New creates an empty account. Load a world into it with LoadWorld.
func New(opts Options) *Sim {
	if opts.Speed <= 0 {
		opts.Speed = 1
	}
	if opts.Seed == 0 {
		opts.Seed = 1
	}
	if opts.PageSize <= 0 || opts.PageSize > 100 {
		opts.PageSize = 100
	}
	realStart := time.Now()
	if opts.Start.IsZero() {
		// Not truncated: a virtual clock that starts at the whole second
		// runs up to a second behind the host, and events other clients
		// stamp with the host's time would look as if from the future.
		opts.Start = realStart.UTC()
	}
	s := &Sim{
		opts:      opts,
		rng:       rand.New(rand.NewSource(opts.Seed)),
		Region:    "us-east-1",
		AccountID: "123456789012",
		Timings:   DefaultTimings(),
		faults:    &Faults{},
		rec:       newRecorder(),
	}
	s.clock = clock{start: opts.Start, realStart: realStart, speed: opts.Speed, manual: opts.ManualClock, idleReal: opts.RealTimeWhenIdle}
	s.now = opts.Start
	s.ecs = newECSState()
	s.ec2 = newEC2State()
	s.asg = newASGState()
	s.elb = newELBState()
	s.ecr = newECRState()
	s.ssm = newSSMState()
	s.cw = newCWState()
	s.aas = newAASState()
	s.logs = newLogsState()
	return s
}

// Now returns the account's virtual time.
func (s *Sim) Now() time.Time { return s.now }

// PageSize is the largest page a List call returns.
func (s *Sim) PageSize() int { return s.opts.PageSize }

// Lock takes the account lock and brings the simulation up to the clock's
// present. Every entry point (HTTP request, test inspection) goes through it.
func (s *Sim) Lock() {
	s.mu.Lock()
	s.advanceLocked(s.clock.read())
	s.retime()
}

// Unlock releases the account lock.
func (s *Sim) Unlock() {
	s.retime()
	s.mu.Unlock()
}

// Advance moves a manual clock forward by d (virtual) and runs every event due.
// With a real-time clock it runs the events due by the clock's present.
func (s *Sim) Advance(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.clock.manual {
		s.clock.offset += d
	}
	s.advanceLocked(s.clock.read())
	s.retime()
}

// RunUntil advances a manual clock step by step (at most max virtual time)
// until cond, evaluated with the lock held, holds. It reports whether it did.
func (s *Sim) RunUntil(max, step time.Duration, cond func() bool) bool {
	for waited := time.Duration(0); ; waited += step {
		s.mu.Lock()
		ok := cond()
		s.mu.Unlock()
		if ok {
			return true
		}
		if waited >= max {
			return false
		}
		s.Advance(step)
	}
}

func (s *Sim) advanceLocked(to time.Time) {
	for s.queue.Len() > 0 && !s.queue[0].At.After(to) {
		ev := heap.Pop(&s.queue).(*Event)
		if ev.At.After(s.now) {
			s.now = ev.At
		}
		h := eventHandlers[ev.Kind]
		if h == nil {
			panic("sim: no handler for event kind " + ev.Kind)
		}
		h(s, ev.Key)
	}
	if to.After(s.now) {
		s.now = to
	}
}

// clock maps real time to virtual time.
type clock struct {
	start     time.Time     // virtual time at realStart
	realStart time.Time     // real time when the clock (re)started
	speed     float64       // virtual seconds per real second
	manual    bool          // only offset moves it
	offset    time.Duration // virtual time added by Advance (manual clock)
	idleReal  bool          // Options.RealTimeWhenIdle
	fast      bool          // with idleReal: work is queued, so run at speed
}

func (c *clock) read() time.Time {
	if c.manual {
		return c.start.Add(c.offset)
	}
	real := time.Since(c.realStart)
	return c.start.Add(time.Duration(float64(real) * c.rate()))
}

func (c *clock) rate() float64 {
	if c.idleReal && !c.fast {
		return 1
	}
	return c.speed
}

// idleKinds are the events that go on forever in a quiet account (metrics
// every period, forgetting stopped tasks and instances after their
// retention): they do not make a RealTimeWhenIdle clock run fast.
var idleKinds = map[string]bool{
	evMetricsTick: true, evTaskExpire: true, evInstanceExpire: true, "ec2.instanceForget": true,
}

// workQueued reports whether an event other than idle bookkeeping is queued,
// and the time of the last one.
func (s *Sim) workQueued() (bool, time.Time) {
	var last time.Time
	found := false
	for _, ev := range s.queue {
		if ev != nil && !idleKinds[ev.Kind] {
			found = true
			if ev.At.After(last) {
				last = ev.At
			}
		}
	}
	return found, last
}

// retime switches a RealTimeWhenIdle clock between speed and real time as
// work appears and runs out (called with the lock held).
func (s *Sim) retime() {
	if !s.clock.idleReal || s.clock.manual {
		return
	}
	fast, _ := s.workQueued()
	if fast == s.clock.fast {
		return
	}
	now := s.clock.read()
	if s.now.After(now) {
		now = s.now
	}
	s.clock.start, s.clock.realStart, s.clock.fast = now, time.Now(), fast
}

// Speed is how many virtual seconds pass per real second; 0 for a manual
// clock, which only moves when told to.
func (s *Sim) Speed() float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.clock.manual {
		return 0
	}
	return s.clock.speed
}

// SetSpeed changes the clock's speed from now on.
func (s *Sim) SetSpeed(speed float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if speed <= 0 {
		return
	}
	now := s.clock.read()
	s.clock.start, s.clock.realStart, s.clock.offset = now, time.Now(), 0
	s.clock.speed = speed
	s.opts.Speed = speed
}

// Event is one piece of work due at a virtual time. Kind selects the handler
// registered with registerEvent; Key says what it is about (a task ARN, an
// instance ID, ...). Events are data so that the queue can be saved.
type Event struct {
	At   time.Time `json:"at"`
	Seq  uint64    `json:"seq"`
	Kind string    `json:"kind"`
	Key  string    `json:"key"`
}

type eventQueue []*Event

func (q eventQueue) Len() int { return len(q) }
func (q eventQueue) Less(i, j int) bool {
	if q[i].At.Equal(q[j].At) {
		return q[i].Seq < q[j].Seq
	}
	return q[i].At.Before(q[j].At)
}
func (q eventQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *eventQueue) Push(x any)   { *q = append(*q, x.(*Event)) }
func (q *eventQueue) Pop() any {
	old := *q
	n := len(old)
	ev := old[n-1]
	*q = old[:n-1]
	return ev
}

// schedule queues an event of kind about key at virtual time at (events due
// in the past run at the next advance, in order). Handlers must tolerate
// stale events (the thing may have changed or gone since).
func (s *Sim) schedule(at time.Time, kind, key string) {
	if _, ok := eventHandlers[kind]; !ok {
		panic("sim: schedule of unregistered event kind " + kind)
	}
	s.seq++
	heap.Push(&s.queue, &Event{At: at, Seq: s.seq, Kind: kind, Key: key})
}

// after queues an event d after the current virtual time.
func (s *Sim) after(d time.Duration, kind, key string) { s.schedule(s.now.Add(d), kind, key) }

// randHex returns n random hex characters from the account's seeded source.
func (s *Sim) randHex(n int) string {
	b := make([]byte, (n+1)/2)
	s.rng.Read(b)
	return hex.EncodeToString(b)[:n]
}

// NewID returns a new AWS-shaped identifier: "i" → i-0123456789abcdef0,
// "ami" → ami-…, "lt" → lt-…, "task" → 32 hex characters, "uuid" → a UUID.
func (s *Sim) newID(kind string) string {
	switch kind {
	case "task":
		return s.randHex(32)
	case "uuid":
		h := s.randHex(32)
		return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
	case "deployment":
		return "ecs-svc/" + fmt.Sprintf("%019d", s.rng.Int63())
	default:
		return kind + "-0" + s.randHex(16)
	}
}

// arn builds an ARN in this account and region: arn("ecs", "service/prod/api").
func (s *Sim) arn(service, resource string) string {
	return "arn:aws:" + service + ":" + s.Region + ":" + s.AccountID + ":" + resource
}
