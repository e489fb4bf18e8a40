package render

import (
	"sync"
	"time"

	"ecsctl/fmtx"
	"ecsctl/ops"
)

// WaitLines prints one timestamped line per progress message of a simple
// wait (scale service --wait), and while nothing changes a heartbeat line
// at most once a minute with the last state, so a CI log never looks hung.
type WaitLines struct {
	ios   *IO
	clock ops.Clock

	mu       sync.Mutex
	subject  string
	last     string
	lastAt   time.Time // when the last message arrived
	lastLine time.Time
	tick     *ticker
	// The phase named with the last message and its estimate, counted
	// down from lastAt.
	phase      string
	phaseLeft  time.Duration
	phaseKnown bool
}

// NewWaitLines writes to ios.Err.
func NewWaitLines(ios *IO) *WaitLines {
	p := &WaitLines{ios: ios, clock: ops.RealClock{}}
	p.tick = startTicker(p.clock, time.Second, p.Tick)
	return p
}

// Line prints one message (safe for concurrent use).
func (p *WaitLines) Line(at time.Time, subject, msg string) {
	p.PhaseLine(at, subject, msg, "", 0, false)
}

// PhaseLine prints one message with the phase AWS is in and, when known,
// how long it should take yet (safe for concurrent use).
func (p *WaitLines) PhaseLine(at time.Time, subject, msg, phase string, left time.Duration, known bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.subject, p.last = subject, msg
	p.lastAt, p.lastLine = p.clock.Now(), p.clock.Now()
	p.phase, p.phaseLeft, p.phaseKnown = phase, left, known
	if ph := p.phaseText(p.lastAt); ph != "" {
		msg += " · " + ph
	}
	Line(p.ios.Err, at, subject, "%s", msg)
}

func (p *WaitLines) phaseText(now time.Time) string {
	if p.phase == "" || !p.phaseKnown {
		return p.phase
	}
	return p.phase + ", " + fmtx.Left(p.phaseLeft-now.Sub(p.lastAt))
}

// Tick writes the heartbeat when due.
func (p *WaitLines) Tick() {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.clock.Now()
	if p.lastLine.IsZero() || now.Sub(p.lastLine) < HeartbeatEvery {
		return
	}
	msg := p.last
	if ph := p.phaseText(now); ph != "" {
		msg += " · " + ph
	}
	Line(p.ios.Err, now, p.subject, "still waiting, %s after: %s", fmtx.Elapsed(now.Sub(p.lastAt)), msg)
	p.lastLine = now
}

// Close stops the heartbeat.
func (p *WaitLines) Close() { p.tick.Stop() }
