package render

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"ecsctl/ops"
)

// writes records each Write apart: a frame is drawn in one write.
type writes struct{ got []string }

func (w *writes) Write(p []byte) (int, error) {
	w.got = append(w.got, string(p))
	return len(p), nil
}

var cursorUp = regexp.MustCompile(`^\x1b\[(\d+)A\x1b\[J`)

// Every redraw moves the cursor up over exactly the lines the previous
// frame drew, however many the board's frame has now (a phase line that
// comes and goes, a second service, the last frame at Close); the first
// frame moves nothing.
func TestLiveRedrawsOverThePreviousFrame(t *testing.T) {
	start := time.Date(2026, 12, 4, 16, 0, 0, 0, time.UTC)
	clock := &fakeClock{now: start}
	w := &writes{}
	ios := &IO{Err: w, ErrTTY: true}
	l := newLive(ios, clock, newDeployBoard())
	step := func(ev ops.Event) {
		clock.add(time.Second) // past the 100ms a burst is folded into
		ev.Time = clock.Now()
		l.Event(ev)
	}
	step(drainEvent(start))
	l.Tick()
	step(ops.Event{Cluster: "prod", Service: "api", Kind: ops.EventService, Message: "(service api) has reached a steady state."})
	step(ops.Event{Cluster: "prod", Service: "web", Kind: ops.EventProgress, Message: "1/2 running", Running: 1, Desired: 2})
	step(ops.Event{Cluster: "prod", Service: "api", Kind: ops.EventVerdict, Message: "succeeded"})
	l.Tick()
	l.Close()
	l.Close() // once

	if len(w.got) != 7 {
		t.Fatalf("%d writes, want a frame per event, per tick and at Close (7):\n%q", len(w.got), w.got)
	}
	if cursorUp.MatchString(w.got[0]) {
		t.Errorf("the first frame moves the cursor up: %q", w.got[0])
	}
	heights := map[int]bool{}
	for i := 1; i < len(w.got); i++ {
		m := cursorUp.FindStringSubmatch(w.got[i])
		if m == nil {
			t.Fatalf("write %d is no redraw: %q", i, w.got[i])
		}
		prev := strings.Count(cursorUpless(w.got[i-1]), "\n")
		heights[prev] = true
		if n, _ := strconv.Atoi(m[1]); n != prev {
			t.Errorf("write %d moves up %d lines over a frame of %d:\n%q", i, n, prev, w.got[i-1])
		}
	}
	if len(heights) < 3 {
		t.Errorf("frames of %d different heights only; the test wants frames that grow and shrink", len(heights))
	}
	if last := w.got[len(w.got)-1]; !strings.Contains(last, "✔ succeeded") || strings.Contains(last, "⧗") {
		t.Errorf("last frame:\n%s", last)
	}
}

func cursorUpless(s string) string { return cursorUp.ReplaceAllString(s, "") }

// A burst of events draws one frame; the verdict is drawn at once.
func TestLiveFoldsABurstButNotTheVerdict(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 12, 4, 16, 0, 0, 0, time.UTC)}
	w := &writes{}
	l := newLive(&IO{Err: w, ErrTTY: true}, clock, newDeployBoard())
	for i := range 5 {
		l.Event(ops.Event{Time: clock.Now(), Cluster: "prod", Service: "api", Kind: ops.EventInfo, Message: fmt.Sprint("step ", i)})
	}
	l.Event(ops.Event{Time: clock.Now(), Cluster: "prod", Service: "api", Kind: ops.EventVerdict, Message: "succeeded"})
	if len(w.got) != 2 || !strings.Contains(w.got[1], "✔ succeeded") {
		t.Errorf("writes %q", w.got)
	}
}

// streamBoard is a board of named streams that wait until told otherwise.
type streamBoard struct{ done map[string]bool }

func (b *streamBoard) event(ev ops.Event, _ time.Time) (stream, subject, msg string) {
	if ev.Kind == ops.EventVerdict {
		b.done[ev.Service] = true
	}
	return ev.Service, ev.Service, ev.Message
}

func (b *streamBoard) heartbeat(stream string, _ time.Time) (string, string, bool) {
	return stream, "still", !b.done[stream]
}

// In CI each stream gets a heartbeat once it has been silent a minute, and
// then a minute after its last line; a stream's own line resets its
// spacing only; a stream that waits for nothing stays silent. A terminal
// does not turn a board without frames into a live view.
func TestLiveHeartbeatsAMinuteApartPerStream(t *testing.T) {
	start := time.Date(2026, 12, 4, 16, 0, 0, 0, time.UTC)
	clock := &fakeClock{now: start}
	ios, _, _, errOut := Test()
	ios.ErrTTY = true
	l := newLive(ios, clock, &streamBoard{done: map[string]bool{}})
	ev := func(stream string, kind ops.EventKind) {
		l.Event(ops.Event{Time: clock.Now(), Service: stream, Kind: kind, Message: "event"})
	}
	ev("a", ops.EventInfo)
	clock.add(30 * time.Second)
	ev("b", ops.EventInfo)
	ev("c", ops.EventVerdict)
	for i := 0; i < 180; i++ {
		clock.add(time.Second)
		if i == 100 { // 2m11s: a line of a's own
			ev("a", ops.EventInfo)
		}
		l.Tick()
	}
	want := []string{
		"16:00:00 a event", "16:00:30 b event", "16:00:30 c event",
		"16:01:00 a still", "16:01:30 b still",
		"16:02:00 a still", "16:02:11 a event", "16:02:30 b still",
		"16:03:11 a still", "16:03:30 b still",
	}
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(errOut.String()), "\n") {
		at, rest, _ := strings.Cut(line, " ")
		ts, err := time.Parse(time.RFC3339, at)
		if err != nil {
			t.Fatalf("line without a timestamp: %q", line)
		}
		got = append(got, ts.Format("15:04:05")+" "+rest)
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("lines:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if strings.Contains(errOut.String(), "\x1b") {
		t.Errorf("escape codes in lines: %q", errOut.String())
	}
	l.Close()
}
