package sim

import (
	"sort"
	"time"
)

// Recorder keeps the invariants that matter to an operator, as the
// simulation sees them: the fewest healthy tasks each service had, instances
// terminated while they still ran service tasks, tasks killed with no
// replacement, and a timeline of deployments and instance changes. Tests of
// deploy and rotate-ami assert on its Report; GET /_sandbox/report serves it.
type Recorder struct {
	Services            map[string]*ServiceRecord `json:"services"`
	TerminatedWithTasks []TerminationRecord       `json:"instancesTerminatedWithServiceTasks"`
	KilledNoReplacement []KilledTaskRecord        `json:"tasksKilledWithoutReplacement"`
	Timeline            []TimelineEntry           `json:"timeline"`
	MaxTimeline         int                       `json:"-"`
	timelineDropped     int
}

// ServiceRecord is what was seen of one service ("cluster/service").
type ServiceRecord struct {
	// MinHealthy is the fewest healthy running tasks seen while the service's
	// desired count was Desired, and MinHealthyAt when.
	MinHealthy   int       `json:"minHealthy"`
	MinHealthyAt time.Time `json:"minHealthyAt"`
	Desired      int       `json:"desiredAtMin"`
	// Required is ceil(desired × minimumHealthyPercent / 100) at that moment.
	Required int `json:"requiredAtMin"`
	// BelowMinimum lists the moments healthy fell below Required.
	BelowMinimum []BelowMinimum `json:"belowMinimum,omitempty"`
	seen         bool
}

// BelowMinimum is one moment a service had fewer healthy tasks than required.
type BelowMinimum struct {
	At       time.Time `json:"at"`
	Healthy  int       `json:"healthy"`
	Required int       `json:"required"`
	Desired  int       `json:"desired"`
	Cause    string    `json:"cause"`
}

// TerminationRecord is an instance that went away while running service tasks.
type TerminationRecord struct {
	At           time.Time `json:"at"`
	InstanceID   string    `json:"instanceId"`
	ServiceTasks []string  `json:"serviceTasks"`
	By           string    `json:"by"`
}

// KilledTaskRecord is a service task that stopped with no replacement running.
type KilledTaskRecord struct {
	At      time.Time `json:"at"`
	Service string    `json:"service"`
	TaskArn string    `json:"taskArn"`
	Reason  string    `json:"reason"`
}

// TimelineEntry is one notable change.
type TimelineEntry struct {
	At     time.Time `json:"at"`
	Kind   string    `json:"kind"`
	Detail string    `json:"detail"`
}

func newRecorder() *Recorder {
	return &Recorder{Services: map[string]*ServiceRecord{}, MaxTimeline: 20000}
}

// observeHealthy records a service's healthy running task count. key is
// "cluster/service"; required is ceil(desired × minimumHealthyPercent/100);
// cause names what changed ("task stopped", "instance terminated", ...).
func (r *Recorder) observeHealthy(at time.Time, key string, healthy, desired, required int, cause string) {
	rec := r.Services[key]
	if rec == nil {
		rec = &ServiceRecord{}
		r.Services[key] = rec
	}
	if !rec.seen || healthy < rec.MinHealthy {
		rec.seen = true
		rec.MinHealthy, rec.MinHealthyAt, rec.Desired, rec.Required = healthy, at, desired, required
	}
	if healthy < required {
		n := len(rec.BelowMinimum)
		if n == 0 || rec.BelowMinimum[n-1].Healthy != healthy || rec.BelowMinimum[n-1].Required != required {
			if n < 1000 {
				rec.BelowMinimum = append(rec.BelowMinimum, BelowMinimum{At: at, Healthy: healthy, Required: required, Desired: desired, Cause: cause})
			}
		}
	}
}

func (r *Recorder) terminatedWithTasks(at time.Time, instanceID string, tasks []string, by string) {
	r.TerminatedWithTasks = append(r.TerminatedWithTasks, TerminationRecord{At: at, InstanceID: instanceID, ServiceTasks: tasks, By: by})
}

func (r *Recorder) killedWithoutReplacement(at time.Time, service, taskArn, reason string) {
	r.KilledNoReplacement = append(r.KilledNoReplacement, KilledTaskRecord{At: at, Service: service, TaskArn: taskArn, Reason: reason})
}

func (r *Recorder) timeline(at time.Time, kind, detail string) {
	if len(r.Timeline) >= r.MaxTimeline {
		r.timelineDropped++
		return
	}
	r.Timeline = append(r.Timeline, TimelineEntry{At: at, Kind: kind, Detail: detail})
}

// Report is the recorder's content as served by /_sandbox/report.
type Report struct {
	Now                 time.Time                `json:"now"`
	Services            map[string]ServiceRecord `json:"services"`
	TerminatedWithTasks []TerminationRecord      `json:"instancesTerminatedWithServiceTasks"`
	KilledNoReplacement []KilledTaskRecord       `json:"tasksKilledWithoutReplacement"`
	Timeline            []TimelineEntry          `json:"timeline"`
	TimelineDropped     int                      `json:"timelineDropped,omitempty"`
	// Violations lists services that went below their minimum, sorted.
	Violations []string `json:"servicesBelowMinimumHealthy"`
}

// Report returns a copy of what the recorder holds.
func (s *Sim) Report() Report {
	s.Lock()
	defer s.Unlock()
	r := s.rec
	rep := Report{
		Now:                 s.now,
		Services:            map[string]ServiceRecord{},
		TerminatedWithTasks: append([]TerminationRecord(nil), r.TerminatedWithTasks...),
		KilledNoReplacement: append([]KilledTaskRecord(nil), r.KilledNoReplacement...),
		Timeline:            append([]TimelineEntry(nil), r.Timeline...),
		TimelineDropped:     r.timelineDropped,
		Violations:          []string{},
	}
	for k, v := range r.Services {
		c := *v
		c.BelowMinimum = append([]BelowMinimum(nil), v.BelowMinimum...)
		rep.Services[k] = c
		if len(v.BelowMinimum) > 0 {
			rep.Violations = append(rep.Violations, k)
		}
	}
	sort.Strings(rep.Violations)
	return rep
}

// ResetReport clears what was recorded so far (a test that sets up a scenario
// calls it before the part it checks).
func (s *Sim) ResetReport() {
	s.Lock()
	defer s.Unlock()
	s.rec = newRecorder()
}
