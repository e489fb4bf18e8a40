package logs

import (
	"slices"
	"sync"
	"time"
)

// The ordering hold of a follow: events wait until no event of another
// stream ingested on time can still come before them.
//
// Two things decide when that is, and neither waits for the next event:
//   - the server's clock is known as a lower bound between proofs (Date
//     headers, ingestion times): a proof P received at local time L means
//     the server's clock reads at least P + (now − L) later, so a quiet
//     service's events are released as time passes rather than when the
//     next event or an ECS call's Date header happens to come;
//   - the hold is as long as events are actually ingested after their
//     timestamp (the largest such lag among recent events but the top one
//     in a hundred, rounded up), at most OrderWindow: events later than that cannot be
//     put in order by any hold of that length anyway.
//
// Neither affects what is read or printed, only when (and so the order).

// logsMinWake spaces the wake-ups of a busy follow: each sorts what is
// held, and a twentieth of a second is nothing to a reader.
const logsMinWake = 50 * time.Millisecond

// logsHoldLags is how many recent ingestion lags the hold is sized from.
const logsHoldLags = 512

// logsHoldSpare: the hold covers the lags of all but one in logsHoldSpare of
// the recent events, rounded up, once logsHoldMinLags are known (all of them
// before: a quiet service's first few lags say little).
const (
	logsHoldSpare   = 100
	logsHoldMinLags = 10
)

type logsClock struct {
	mu     sync.Mutex
	server int64     // ms: a proof of the server's clock …
	local  time.Time // … received at this local time
	lags   [logsHoldLags]int64
	nlags  int
	// armedFor: the earliest held timestamp the last wake-up was set for.
	armedFor int64
}

// proof notes that the server's clock read at least ms by now.
func (t *Tailer) proof(ms int64) {
	if ms <= 0 {
		return
	}
	now := t.Clock.Now()
	c := &t.clock
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.local.IsZero() || ms-c.server > now.Sub(c.local).Milliseconds() {
		c.server, c.local = ms, now
	}
}

// serverClock is the latest server time that can be proved now: the best
// proof carried forward by the local clock.
func (t *Tailer) serverClock() int64 {
	now := t.serverNow()
	c := &t.clock
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.local.IsZero() {
		now = max(now, c.server+max(0, t.Clock.Now().Sub(c.local).Milliseconds()))
	}
	return now
}

// holdLine holds an event for release, noting how late it was ingested.
func (t *Tailer) holdLine(l Line) {
	t.hold = append(t.hold, l)
	lag := l.Ingested.Sub(l.Time).Milliseconds()
	if l.Ingested.IsZero() || lag > t.OrderWindow.Milliseconds() {
		return // late: no hold within OrderWindow orders it
	}
	c := &t.clock
	c.lags[c.nlags%logsHoldLags] = max(lag, 0)
	c.nlags++
}

// holdFor is how long events are held (ms): the recent on-time ingestion
// lags bar the largest one in logsHoldSpare (rounded up), at most
// OrderWindow (all of it until lags are known).
//
// Not the largest lag: a few events a little late (a second or two, below
// OrderWindow) would set the hold of every event after them for the next
// logsHoldLags events — on a busy service always — and delay every line by
// that much to order a handful. Those few are printed when they come, as
// events later than OrderWindow are; like them they are never dropped.
func (t *Tailer) holdFor() int64 {
	c := &t.clock
	if c.nlags == 0 {
		return t.OrderWindow.Milliseconds()
	}
	n := min(c.nlags, logsHoldLags)
	lags := make([]int64, n)
	copy(lags, c.lags[:n])
	slices.Sort(lags)
	spare := 0
	if n >= logsHoldMinLags {
		spare = (n + logsHoldSpare - 1) / logsHoldSpare
	}
	return min(lags[n-1-spare], t.OrderWindow.Milliseconds())
}

// armRelease returns a channel that fires when the earliest held event is
// due, so that it is printed then rather than at the next poll or session
// update; nil when nothing is held, or (fired: called on such a wake-up)
// when the wake-up released nothing (a clock that does not move: wait for
// the next read instead).
func (t *Tailer) armRelease(fired bool) <-chan time.Time {
	if len(t.hold) == 0 {
		return nil
	}
	first := t.hold[0].Time.UnixMilli()
	for _, l := range t.hold[1:] {
		first = min(first, l.Time.UnixMilli())
	}
	if fired && first == t.clock.armedFor {
		return nil
	}
	t.clock.armedFor = first
	due := time.Duration(first+t.holdFor()-t.serverClock()) * time.Millisecond
	return t.Clock.After(max(due, logsMinWake))
}
