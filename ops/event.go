package ops

import "time"

// EventKind classifies progress.
type EventKind string

// Progress event kinds.
const (
	EventInfo        EventKind = "info"          // a step: registered, updated, ...
	EventNote        EventKind = "note"          // something worth knowing (image checks, ...)
	EventProgress    EventKind = "progress"      // deployment counts changed
	EventService     EventKind = "service-event" // a new ECS service event
	EventTaskStopped EventKind = "task-stopped"  // a task of the new deployment stopped
	EventWarning     EventKind = "warning"       // throttling, retries
	EventVerdict     EventKind = "verdict"       // the service's outcome
	EventRollback    EventKind = "rollback"      // a rollback started
)

// Event is one piece of progress for one service.
type Event struct {
	Time    time.Time `json:"time"`
	Cluster string    `json:"cluster"`
	Service string    `json:"service"`
	Kind    EventKind `json:"kind"`
	Message string    `json:"message"`
	// Counts of the deployment being followed (progress events).
	DeploymentID string `json:"deploymentId,omitempty"`
	Desired      int32  `json:"desired,omitempty"`
	Running      int32  `json:"running,omitempty"`
	Pending      int32  `json:"pending,omitempty"`
	Failed       int32  `json:"failed,omitempty"`
	RolloutState string `json:"rolloutState,omitempty"`
	// Phase names what ECS is doing now (progress events), e.g. "new tasks
	// healthy · draining 4 old task(s) · deregistration delay 300s".
	Phase string `json:"phase,omitempty"`
	// PhaseLeft estimates how long the phase lasts from Time on, when
	// PhaseLeftKnown (a renderer counts it down between events).
	PhaseLeft      time.Duration `json:"-"`
	PhaseLeftKnown bool          `json:"-"`
}
