package render

import (
	"fmt"
	"time"

	"ecsctl/fmtx"
	"ecsctl/ops"
)

// NewWaitLines shows the progress of a simple wait (scale service --wait)
// on ios.Err as one timestamped line per message, on a terminal too, and
// while nothing changes a heartbeat line at most once a minute with the
// last state, so a CI log never looks hung.
func NewWaitLines(ios *IO) *Live { return newLiveTicking(ios, &waitBoard{}) }

// waitBoard is the last message of the wait; it draws no frames.
type waitBoard struct {
	subject string
	last    string
	lastAt  time.Time // when the last message arrived
	// The phase named with the last message, counted down from lastAt.
	phase phase
}

func (p *waitBoard) event(ev ops.Event, now time.Time) (stream, subject, msg string) {
	p.subject, p.last, p.lastAt = ev.Cluster+"/"+ev.Service, ciMessage(ev), now
	p.phase = phaseOf(ev, now)
	return "", p.subject, withPhase(p.last, p.phase.at(now))
}

func (p *waitBoard) heartbeat(_ string, now time.Time) (subject, msg string, ok bool) {
	msg = withPhase(p.last, p.phase.at(now))
	return p.subject, fmt.Sprintf("still waiting, %s after: %s", fmtx.Elapsed(now.Sub(p.lastAt)), msg), true
}
