package render

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/charmbracelet/lipgloss"

	"ecsctl/fmtx"
	"ecsctl/ops"
)

// Live shows the progress events of a waiting command. On a terminal, when
// its board draws frames, it redraws the board in place (cursor up, clear)
// every second, so elapsed times and phase estimates move while AWS works;
// otherwise it writes one timestamped line per event, and while a stream
// of events stays silent a heartbeat line at most once a minute, so a CI
// log never looks hung. What the lines and frames say is the board's.
type Live struct {
	w     io.Writer
	tty   bool // redraw frames (a terminal and a board that draws them)
	color bool
	clock ops.Clock
	board board

	mu       sync.Mutex
	drawn    int       // lines drawn by the last frame
	last     time.Time // when the last frame was drawn
	streams  []string  // CI mode: the streams that printed, in order
	lastLine map[string]time.Time
	tick     *ticker
	ticking  bool // start the ticker at the first event
	closed   bool
}

// HeartbeatEvery is the longest a CI log stays silent while a wait goes on.
const HeartbeatEvery = time.Minute

// board is what one command shows of its events.
type board interface {
	// event records ev, seen at now, and returns its CI line: the stream
	// it belongs to (heartbeats are spaced per stream), the subject and
	// the message.
	event(ev ops.Event, now time.Time) (stream, subject, msg string)
	// heartbeat is the line for a stream silent for HeartbeatEvery at now;
	// ok is false when the stream waits for nothing.
	heartbeat(stream string, now time.Time) (subject, msg string, ok bool)
}

// framer is a board with a live view: the lines of the frame at now. last
// is set for the frame drawn at Close.
type framer interface {
	frame(now time.Time, last bool, paint painter) []string
}

// painter styles s when colour is on.
type painter func(st lipgloss.Style, s string) string

// newLiveTicking shows b's events on ios.Err, ticking on the real clock
// from the first event on.
func newLiveTicking(ios *IO, b board) *Live {
	l := newLive(ios, ops.RealClock{}, b)
	l.ticking = true
	return l
}

// newLive is a Live that ticks only when its Tick is called.
func newLive(ios *IO, clock ops.Clock, b board) *Live {
	_, frames := b.(framer)
	return &Live{w: ios.Err, tty: ios.ErrTTY && frames, color: ios.ColorErr(), clock: clock, board: b, lastLine: map[string]time.Time{}}
}

// Event takes one progress event (safe for concurrent use).
func (l *Live) Event(ev ops.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ticking && l.tick == nil && !l.closed {
		l.tick = startTicker(l.clock, time.Second, l.Tick)
	}
	now := l.clock.Now()
	stream, subject, msg := l.board.event(ev, now)
	if !l.tty {
		at := ev.Time
		if at.IsZero() {
			at = now
		}
		Line(l.w, at, subject, "%s", msg)
		if _, ok := l.lastLine[stream]; !ok {
			l.streams = append(l.streams, stream)
		}
		l.lastLine[stream] = now
		return
	}
	// Events come in bursts: one frame per 100ms is enough, except for
	// the last word on a service.
	if ev.Kind == ops.EventVerdict || now.Sub(l.last) > 100*time.Millisecond {
		l.draw(now, false)
	}
}

// Tick redraws the live view, or in CI mode writes a heartbeat for each
// stream whose last line is HeartbeatEvery old. The ticker calls it every
// second.
func (l *Live) Tick() {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.clock.Now()
	if l.tty {
		if l.drawn > 0 {
			l.draw(now, false)
		}
		return
	}
	for _, s := range l.streams {
		if now.Sub(l.lastLine[s]) < HeartbeatEvery {
			continue
		}
		if subject, msg, ok := l.board.heartbeat(s, now); ok {
			Line(l.w, now, subject, "%s", msg)
			l.lastLine[s] = now
		}
	}
}

// Close stops the ticker and draws the final frame (once; safe to repeat).
func (l *Live) Close() {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return
	}
	l.closed = true
	t := l.tick
	l.mu.Unlock()
	t.Stop() // outside the lock: a Tick in progress takes it
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.tty && l.drawn > 0 {
		l.draw(l.clock.Now(), true)
	}
}

func (l *Live) paint(st lipgloss.Style, s string) string {
	if !l.color {
		return s
	}
	return st.Render(s)
}

// draw moves the cursor up over the last frame, clears to the end of the
// screen and writes the board's frame, in one write.
func (l *Live) draw(now time.Time, last bool) {
	l.last = now
	var b strings.Builder
	if l.drawn > 0 {
		fmt.Fprintf(&b, "\x1b[%dA\x1b[J", l.drawn)
	}
	lines := l.board.(framer).frame(now, last, l.paint)
	for _, line := range lines {
		b.WriteString(line)
		b.WriteByte('\n')
	}
	l.drawn = len(lines)
	io.WriteString(l.w, b.String())
}

// ciMessage is an event's message as a line says it: the kind first where
// the message alone would not tell it.
func ciMessage(ev ops.Event) string {
	switch ev.Kind {
	case ops.EventService:
		return "event: " + ev.Message
	case ops.EventWarning, ops.EventThrottled, ops.EventSkipped:
		return "warning: " + ev.Message
	case ops.EventNote:
		return "note: " + ev.Message
	case ops.EventVerdict:
		return "verdict: " + ev.Message
	}
	return ev.Message
}

// phase is what AWS is doing during a wait and its estimate, counted down
// from when it was seen.
type phase struct {
	text  string
	left  time.Duration
	known bool
	since time.Time
}

func phaseOf(ev ops.Event, now time.Time) phase {
	return phase{text: ev.Phase, left: ev.PhaseLeft, known: ev.PhaseLeftKnown, since: now}
}

// at is the phase with its estimate counted down to now.
func (p phase) at(now time.Time) string {
	if p.text == "" || !p.known {
		return p.text
	}
	return p.text + ", " + fmtx.Left(p.left-now.Sub(p.since))
}

// withPhase appends the phase to a line's message.
func withPhase(msg, ph string) string {
	if ph == "" {
		return msg
	}
	return msg + " · " + ph
}

var (
	styleOK    = lipgloss.NewStyle().Foreground(lipgloss.Color("2")).Bold(true)
	styleBad   = lipgloss.NewStyle().Foreground(lipgloss.Color("1")).Bold(true)
	styleDim   = lipgloss.NewStyle().Faint(true)
	styleTitle = lipgloss.NewStyle().Bold(true)
)

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
