package sim

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"time"
)

// snapshot is the saved form of an account (ecsctl sandbox --state FILE, and
// the state file that lets consecutive `ecsctl --sandbox` commands see each
// other's changes).
type snapshot struct {
	Version   int       `json:"version"`
	Now       time.Time `json:"now"`
	SavedAt   time.Time `json:"savedAt"` // real time
	Seq       uint64    `json:"seq"`
	Seed      int64     `json:"seed"`
	Speed     float64   `json:"speed"`
	PageSize  int       `json:"pageSize"`
	Region    string    `json:"region"`
	AccountID string    `json:"accountId"`
	Timings   Timings   `json:"timings"`
	Queue     []*Event  `json:"queue"`
	Recorder  *Recorder `json:"recorder"`
	ECS       *ecsSnap  `json:"ecs"`
	EC2       *ec2Snap  `json:"ec2"`
	Logs      *logsSnap `json:"logs"`
}

// The snapshot keeps the shape it had when one struct held each object's
// state, so that state files written before the services' state was split
// still load: "ec2" holds EC2's and Auto Scaling's fields side by side,
// "ecs" ECS's and ELBv2's, "logs" CloudWatch Logs' and, as objects of
// their own, ECR's, SSM's, CloudWatch metrics' and Application Auto
// Scaling's.
// The embedded pointers are unexported types, which encoding/json cannot
// allocate, hence the UnmarshalJSON methods.

type ecsSnap struct {
	*ecsState
	*elbState
}

func (p *ecsSnap) UnmarshalJSON(b []byte) error {
	p.ecsState, p.elbState = &ecsState{}, &elbState{}
	type fields ecsSnap
	return json.Unmarshal(b, (*fields)(p))
}

type logsSnap struct {
	*logsState
	ECR *ecrState `json:"ecr"`
	SSM *ssmState `json:"ssm"`
	CW  *cwState  `json:"cw"`
	AAS *aasState `json:"aas"`
	// Sched: EventBridge Scheduler and EventBridge (scheduler_state.go).
	Sched *schedState `json:"sched,omitempty"`
}

func (p *logsSnap) UnmarshalJSON(b []byte) error {
	p.logsState = &logsState{}
	type fields logsSnap
	return json.Unmarshal(b, (*fields)(p))
}

type ec2Snap struct {
	*ec2State
	*asgState
}

func (p *ec2Snap) UnmarshalJSON(b []byte) error {
	p.ec2State, p.asgState = &ec2State{}, &asgState{}
	type fields ec2Snap
	return json.Unmarshal(b, (*fields)(p))
}

const snapshotVersion = 1

// Save writes the whole account as JSON.
func (s *Sim) Save(w io.Writer) error {
	s.Lock()
	defer s.Unlock()
	snap := snapshot{
		Version: snapshotVersion, Now: s.now, SavedAt: time.Now(), Seq: s.seq,
		Seed: s.opts.Seed, Speed: s.opts.Speed, PageSize: s.opts.PageSize,
		Region: s.Region, AccountID: s.AccountID, Timings: s.Timings,
		Queue: s.queue, Recorder: s.rec, ECS: &ecsSnap{s.ecs, s.elb}, EC2: &ec2Snap{s.ec2, s.asg}, Logs: &logsSnap{s.logs, s.ecr, s.ssm, s.cw, s.aas, s.schedules},
	}
	enc := json.NewEncoder(w)
	return enc.Encode(&snap)
}

// Load reads an account saved by Save. The virtual clock resumes where it
// stopped, moved on by the real time since the save at the saved speed unless
// opts.Speed overrides it.
func Load(r io.Reader, opts Options) (*Sim, error) {
	var snap snapshot
	if err := json.NewDecoder(r).Decode(&snap); err != nil {
		return nil, fmt.Errorf("sandbox state: %w", err)
	}
	if snap.Version != snapshotVersion {
		return nil, fmt.Errorf("sandbox state: version %d, want %d (delete the file to start afresh)", snap.Version, snapshotVersion)
	}
	if opts.Speed <= 0 {
		opts.Speed = snap.Speed
	}
	if opts.PageSize <= 0 {
		opts.PageSize = snap.PageSize
	}
	if opts.Seed == 0 {
		opts.Seed = snap.Seed
	}
	start := snap.Now
	if !snap.SavedAt.IsZero() && !opts.ManualClock {
		if gap := time.Since(snap.SavedAt); gap > 0 {
			fast := start.Add(time.Duration(float64(gap) * opts.Speed))
			start = fast
			if opts.RealTimeWhenIdle {
				// The gap between two commands passes at real time; only
				// work left queued (a deploy ecsctl stopped following)
				// moves on at speed, up to its last queued event.
				start = snap.Now.Add(gap)
				if last, ok := lastWork(snap.Queue); ok && last.After(start) {
					start = minTime(last, fast)
				}
			}
		}
	}
	opts.Start = snap.Now
	s := New(opts)
	s.clock.start = start
	s.now = snap.Now
	s.seq = snap.Seq
	s.rng = rand.New(rand.NewSource(opts.Seed + int64(snap.Seq)))
	s.Region, s.AccountID, s.Timings = snap.Region, snap.AccountID, snap.Timings
	s.queue = eventQueue(snap.Queue)
	if snap.Recorder != nil {
		s.rec = snap.Recorder
		if s.rec.Services == nil {
			s.rec.Services = map[string]*ServiceRecord{}
		}
		if s.rec.MaxTimeline == 0 {
			s.rec.MaxTimeline = 20000
		}
	}
	if snap.ECS != nil {
		s.ecs, s.elb = snap.ECS.ecsState, snap.ECS.elbState
	}
	if snap.EC2 != nil {
		s.ec2, s.asg = snap.EC2.ec2State, snap.EC2.asgState
	}
	if snap.Logs != nil {
		// A nil service is made afresh by its after-load hook, as when
		// these lived in logsState.
		l := snap.Logs
		s.logs, s.ecr, s.ssm, s.cw, s.aas, s.schedules = l.logsState, l.ECR, l.SSM, l.CW, l.AAS, l.Sched
	}
	for _, ev := range s.queue {
		if ev == nil {
			return nil, fmt.Errorf("sandbox state: a null event in the queue (a damaged file? delete it)")
		}
		if _, ok := eventHandlers[ev.Kind]; !ok {
			return nil, fmt.Errorf("sandbox state: unknown event kind %q (state from another ecsctl version? delete the file)", ev.Kind)
		}
	}
	s.afterLoad()
	return s, nil
}

// afterLoad lets subsystems rebuild indexes that are not saved.
func (s *Sim) afterLoad() {
	for _, f := range afterLoadHooks {
		f(s)
	}
}

var afterLoadHooks []func(s *Sim)

// registerAfterLoad adds a function run after Load (call from init()); use it
// to rebuild maps and indexes derived from the saved state.
func registerAfterLoad(f func(s *Sim)) { afterLoadHooks = append(afterLoadHooks, f) }

// lastWork is the time of the last queued event that is not idle bookkeeping.
func lastWork(q []*Event) (time.Time, bool) {
	var last time.Time
	found := false
	for _, ev := range q {
		if ev != nil && !idleKinds[ev.Kind] && ev.At.After(last) {
			last, found = ev.At, true
		}
	}
	return last, found
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
