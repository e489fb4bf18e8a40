package logs

import (
	"sync"
	"testing"
	"time"
)

type logsStepClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *logsStepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}
func (c *logsStepClock) After(time.Duration) <-chan time.Time { return make(chan time.Time) }
func (c *logsStepClock) add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// On a quiet service nothing new proves the server's time: the hold is
// released as the local clock carries the last proof forward, after the
// events' own ingestion lag rather than the whole OrderWindow.
func TestLogsHoldReleasesAQuietServiceByTheClockAfterTheObservedLag(t *testing.T) {
	clk := &logsStepClock{now: time.UnixMilli(1_000_000)}
	var printed []string
	tl := &Tailer{Clock: clk, Emit: func(ls []Line) error {
		for _, l := range ls {
			printed = append(printed, l.Message)
		}
		return nil
	}}
	tl.defaults() // OrderWindow 2s
	tl.OrderWindow = 2 * time.Second
	t0 := int64(1_000_000)
	// Recent events were ingested 150 ms after their timestamps; one late
	// event (5 s) does not lengthen the hold.
	for i, lag := range []int64{100, 150, 5000} {
		l := Line{Time: msTime(t0 - 3000 + int64(i)), Ingested: msTime(t0 - 3000 + int64(i) + lag), Message: "old"}
		tl.holdLine(l)
	}
	tl.wm = t0 - 3000 + 2 + 5000 // the late one's ingestion: "now"
	if err := tl.release(); err != nil {
		t.Fatal(err)
	}
	if len(printed) != 3 || tl.holdFor() != 150 {
		t.Fatalf("printed %v, hold %d ms", printed, tl.holdFor())
	}
	// A new event at the server's "now", then silence: no event, no Date.
	tl.holdLine(Line{Time: msTime(t0 + 2000), Ingested: msTime(t0 + 2000), Message: "new"})
	if err := tl.release(); err != nil {
		t.Fatal(err)
	}
	if len(printed) != 3 {
		t.Fatalf("released before its hold: %v", printed)
	}
	clk.add(100 * time.Millisecond)
	if err := tl.release(); err != nil || len(printed) != 3 {
		t.Fatalf("released after 100 ms of a 150 ms hold: %v %v", printed, err)
	}
	clk.add(100 * time.Millisecond)
	if err := tl.release(); err != nil || len(printed) != 4 || printed[3] != "new" {
		t.Fatalf("not released 200 ms later (hold 150 ms): %v %v", printed, err)
	}
}

type logsAfterClock struct {
	logsStepClock
	asked []time.Duration
}

func (c *logsAfterClock) After(d time.Duration) <-chan time.Time {
	c.asked = append(c.asked, d)
	return make(chan time.Time)
}

// A held event wakes the follow when it is due rather than waiting for the
// next poll or session update; a wake-up that released nothing does not
// re-arm (no spinning on a clock that does not move).
func TestLogsHoldWakesWhenTheEarliestEventIsDue(t *testing.T) {
	clk := &logsAfterClock{logsStepClock: logsStepClock{now: time.UnixMilli(5_000_000)}}
	tl := &Tailer{Clock: clk, Emit: func([]Line) error { return nil }}
	tl.defaults()
	tl.OrderWindow = 2 * time.Second
	if tl.armRelease(false) != nil {
		t.Fatal("armed with nothing held")
	}
	tl.proof(7_000_000) // the server's clock, now
	tl.holdLine(Line{Time: msTime(6_999_900), Ingested: msTime(7_000_000), Message: "a"})
	tl.holdLine(Line{Time: msTime(6_999_800), Ingested: msTime(7_000_000), Message: "b"}) // hold: 200 ms
	// Due at 6_999_800 + 200 ms = now: after the shortest wake-up.
	if tl.armRelease(false) == nil || len(clk.asked) != 1 || clk.asked[0] != logsMinWake {
		t.Fatalf("asked %v", clk.asked)
	}
	if tl.armRelease(true) != nil {
		t.Fatal("re-armed for the same event after a wake-up that released nothing")
	}
	tl.holdLine(Line{Time: msTime(6_999_700), Ingested: msTime(7_000_000), Message: "c"}) // hold: 300 ms
	if tl.armRelease(false) == nil || clk.asked[1] != logsMinWake {
		t.Fatalf("asked %v", clk.asked)
	}
	tl.holdLine(Line{Time: msTime(7_000_500), Ingested: msTime(7_000_500), Message: "d"})
	tl.hold = tl.hold[3:] // a, b, c printed
	if tl.armRelease(false) == nil || clk.asked[2] != 800*time.Millisecond {
		t.Fatalf("asked %v (due at 7_000_500 + 300 ms)", clk.asked)
	}
}

// A few events ingested a second or more late (below OrderWindow) do not
// set the hold of everything after them: it covers the lags of all but the
// top one in a hundred (rounded up) recent events, once 10 are known. When
// more than that come late, the hold grows to them.
func TestLogsHoldIgnoresTheRareLateEventsBelowTheOrderWindow(t *testing.T) {
	tl := &Tailer{Clock: &logsStepClock{now: time.UnixMilli(1_000_000)}, Emit: func([]Line) error { return nil }}
	tl.defaults()
	tl.OrderWindow = 2 * time.Second
	hold := func(n int, lag int64) {
		for i := 0; i < n; i++ {
			ts := int64(1_000_000 + i)
			tl.holdLine(Line{Time: msTime(ts), Ingested: msTime(ts + lag)})
		}
	}
	hold(8, 300)
	hold(1, 1500) // fewer than 10 known: every lag counts
	if got := tl.holdFor(); got != 1500 {
		t.Fatalf("hold %d ms with 9 lags, want the largest (1500)", got)
	}
	hold(1, 300) // 10 known: the largest is the spare one
	if got := tl.holdFor(); got != 300 {
		t.Fatalf("hold %d ms with 10 lags, want 300 (the one late event spared)", got)
	}
	hold(290, 700)
	hold(2, 1800) // 3 of 302 late by more than 700 ms: the spare top 4
	if got := tl.holdFor(); got != 700 {
		t.Fatalf("hold %d ms, want 700", got)
	}
	hold(6, 1600) // 9 of 308: more than one in a hundred
	if got := tl.holdFor(); got != 1600 {
		t.Fatalf("hold %d ms, want 1600 (the 9 late ones bar the top 4)", got)
	}
	hold(1, 5000) // beyond OrderWindow: late, never counted
	if got := tl.holdFor(); got != 1600 {
		t.Fatalf("hold %d ms after an event later than OrderWindow", got)
	}
}
