package ops

import "time"

// EventKind classifies progress.
type EventKind string

// Progress event kinds. Every waiting operation (deploy, rotate-ami, drain,
// scale, run, logs) tells what it does with these.
const (
	EventInfo        EventKind = "info"          // a step: registered, updated, ...
	EventNote        EventKind = "note"          // something worth knowing (image checks, ...)
	EventProgress    EventKind = "progress"      // a wait's state changed (deployment counts, ...)
	EventService     EventKind = "service-event" // a new ECS service event
	EventTaskStopped EventKind = "task-stopped"  // a task of the new deployment stopped
	EventWarning     EventKind = "warning"       // throttling, retries
	EventVerdict     EventKind = "verdict"       // the service's outcome
	EventRollback    EventKind = "rollback"      // a rollback started
	// A followed task reached a new last status (State).
	EventTaskStatus EventKind = "task-status"
	// What a log tail tells about itself.
	EventJoined    EventKind = "joined"    // a task's streams are followed
	EventLeft      EventKind = "left"      // a task stopped; its last lines are in
	EventSkipped   EventKind = "skipped"   // a container whose logs cannot be read
	EventThrottled EventKind = "throttled" // AWS throttled; polling slower
	EventRecovered EventKind = "recovered" // polling at the normal pace again
	EventLive      EventKind = "live"      // following through a live tail session
	EventPolling   EventKind = "polling"   // following by polling FilterLogEvents
)

// Event is one piece of progress of a waiting operation. Only the fields
// its producer knows are set. Events are shown, never encoded: results
// carry the stable JSON.
type Event struct {
	Time    time.Time
	Kind    EventKind
	Message string
	// The subject: a cluster, and in it a service, a task (id or ARN) or
	// an instance.
	Cluster  string
	Service  string
	Task     string
	Instance string
	// State is the subject's state: an instance's during a rotation
	// (planned, draining, drained, terminated, new), a task's last status.
	State string
	// Batch of Batches (1-based) of a rotation or a drain; 0 for run-level
	// events.
	Batch, Batches int
	// Counts of the deployment being followed (progress events).
	DeploymentID string
	Desired      int32
	Running      int32
	Pending      int32
	Failed       int32
	RolloutState string
	// Phase names what AWS is doing now (progress events), e.g. "new tasks
	// healthy · draining 4 old task(s) · deregistration delay 300s".
	Phase string
	// PhaseLeft estimates how long the phase lasts from Time on, when
	// PhaseLeftKnown (a renderer counts it down between events).
	PhaseLeft      time.Duration
	PhaseLeftKnown bool
}
