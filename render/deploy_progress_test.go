package render

import (
	"strings"
	"sync"
	"testing"
	"time"

	"ecsctl/ops"
)

// fakeClock is a clock the test moves by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(time.Duration) <-chan time.Time { return make(chan time.Time) }

func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func drainEvent(at time.Time) ops.Event {
	return ops.Event{Time: at, Cluster: "prod", Service: "api", Kind: ops.EventProgress,
		Message: "deployment ecs-svc/1: 4/4 running, 0 pending (1 older deployment(s) draining)", Running: 4, Desired: 4,
		Phase: "new tasks healthy · draining 4 old task(s) · deregistration delay 300s", PhaseLeft: 300 * time.Second, PhaseLeftKnown: true}
}

// On a terminal the view is redrawn every tick: the elapsed time and the
// estimate move though no event arrives.
func TestDeployProgressLiveTicks(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 12, 4, 16, 0, 0, 0, time.UTC)}
	ios, _, _, errOut := Test()
	ios.ErrTTY = true
	p := newDeployProgress(ios, clock)
	p.Event(drainEvent(clock.Now()))
	clock.add(50 * time.Second)
	p.Tick()
	frame := lastFrame(errOut.String())
	for _, want := range []string{"prod/api", "4/4 running", "50s", "⧗ new tasks healthy · draining 4 old task(s) · deregistration delay 300s, about 4m left"} {
		if !strings.Contains(frame, want) {
			t.Errorf("frame after 50s lacks %q:\n%s", want, frame)
		}
	}
	clock.add(2*time.Minute + 10*time.Second)
	p.Tick()
	frame = lastFrame(errOut.String())
	for _, want := range []string{"3m00s", "about 2m left"} {
		if !strings.Contains(frame, want) {
			t.Errorf("frame after 3m lacks %q:\n%s", want, frame)
		}
	}
	clock.add(5 * time.Minute)
	p.Tick()
	if frame = lastFrame(errOut.String()); !strings.Contains(frame, "any moment now") {
		t.Errorf("an estimate that ran out should say so:\n%s", frame)
	}
	p.Close()
}

// lastFrame is what follows the last cursor-up of a live view.
func lastFrame(s string) string {
	if i := strings.LastIndex(s, "\x1b[J"); i >= 0 {
		return s[i+3:]
	}
	return s
}

// In CI a line per change, and while nothing changes one heartbeat line a
// minute at most, naming the phase and what is left.
func TestDeployProgressCIHeartbeat(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 12, 4, 16, 0, 0, 0, time.UTC)}
	ios, _, _, errOut := Test()
	p := newDeployProgress(ios, clock)
	p.Event(drainEvent(clock.Now()))
	lines := func() []string { return strings.Split(strings.TrimSpace(errOut.String()), "\n") }
	if got := lines(); len(got) != 1 || !strings.Contains(got[0], "draining 4 old task(s) · deregistration delay 300s, about 5m left") {
		t.Fatalf("first line: %q", got)
	}
	for i := 0; i < 59; i++ {
		clock.add(time.Second)
		p.Tick()
	}
	if got := lines(); len(got) != 1 {
		t.Fatalf("a heartbeat before a minute of silence: %q", got)
	}
	clock.add(time.Second)
	p.Tick()
	p.Tick()
	got := lines()
	if len(got) != 2 || !strings.Contains(got[1], "prod/api still waiting after 1m00s: new tasks healthy · draining 4 old task(s) · deregistration delay 300s, about 4m left") ||
		!strings.HasPrefix(got[1], "2026-12-04T16:01:00Z") {
		t.Fatalf("heartbeat after a minute: %q", got)
	}
	p.Event(ops.Event{Time: clock.Now(), Cluster: "prod", Service: "api", Kind: ops.EventVerdict, Message: "succeeded"})
	clock.add(10 * time.Minute)
	p.Tick()
	if got := lines(); len(got) != 3 {
		t.Fatalf("a heartbeat after the verdict: %q", got)
	}
	p.Close()
}
