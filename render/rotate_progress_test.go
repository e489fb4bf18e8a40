package render

import (
	"strings"
	"testing"
	"time"

	"ecsctl/ops"
)

// A batch's drain wait is shown with the time spent in it, ticking on a
// terminal and as a heartbeat line in CI.
func TestRotateProgressTicksAndHeartbeats(t *testing.T) {
	start := time.Date(2026, 12, 4, 16, 0, 0, 0, time.UTC)
	wait := ops.Event{Time: start, Cluster: "prod", Batch: 1, Batches: 3, Kind: ops.EventProgress, Message: "waiting: 4 task(s) still running on the batch"}

	clock := &fakeClock{now: start}
	ios, _, _, errOut := Test()
	ios.ErrTTY = true
	p := newRotateProgress(ios, clock)
	p.Event(wait)
	clock.add(95 * time.Second)
	p.Tick()
	if frame := lastFrame(errOut.String()); !strings.Contains(frame, "batch 1/3  1m35s  ⧗ waiting: 4 task(s) still running on the batch · for 1m35s") {
		t.Errorf("live frame after 95s:\n%s", frame)
	}
	p.Close()

	clock = &fakeClock{now: start}
	ios, _, _, errOut = Test()
	p = newRotateProgress(ios, clock)
	p.Event(wait)
	for i := 0; i < 130; i++ {
		clock.add(time.Second)
		p.Tick()
	}
	got := strings.Split(strings.TrimSpace(errOut.String()), "\n")
	want := []string{
		"2026-12-04T16:00:00Z prod batch 1/3 waiting: 4 task(s) still running on the batch",
		"2026-12-04T16:01:00Z prod batch 1/3 still waiting: 4 task(s) still running on the batch (for 1m00s)",
		"2026-12-04T16:02:00Z prod batch 1/3 still waiting: 4 task(s) still running on the batch (for 2m00s)",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("CI lines:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	p.Event(ops.Event{Time: clock.Now(), Cluster: "prod", Batch: 1, Batches: 3, Kind: ops.EventInfo, Message: "i-1 terminated"})
	clock.add(5 * time.Minute)
	p.Tick()
	if n := len(strings.Split(strings.TrimSpace(errOut.String()), "\n")); n != 4 {
		t.Errorf("heartbeat after the wait ended:\n%s", errOut.String())
	}
	p.Close()
}

func TestWaitLinesHeartbeat(t *testing.T) {
	start := time.Date(2026, 12, 4, 16, 0, 0, 0, time.UTC)
	clock := &fakeClock{now: start}
	ios, _, _, errOut := Test()
	p := newLive(ios, clock, &waitBoard{})
	p.Event(ops.Event{Time: start, Cluster: "prod", Service: "api", Kind: ops.EventProgress, Message: "2/8 running, 6 pending"})
	for i := 0; i < 61; i++ {
		clock.add(time.Second)
		p.Tick()
	}
	want := "2026-12-04T16:00:00Z prod/api 2/8 running, 6 pending\n2026-12-04T16:01:00Z prod/api still waiting, 1m00s after: 2/8 running, 6 pending\n"
	if errOut.String() != want {
		t.Errorf("got\n%s\nwant\n%s", errOut.String(), want)
	}
	p.Close()
}

// A wait's phase (what AWS is doing, how long it should take yet) rides on
// its line, counted down on the terminal and in the minute heartbeat.
func TestRotateProgressNamesThePhase(t *testing.T) {
	start := time.Date(2026, 12, 4, 16, 0, 0, 0, time.UTC)
	wait := ops.Event{Time: start, Cluster: "prod", Batch: 2, Batches: 3, Kind: ops.EventProgress, Message: "waiting: 7 task(s) still running on the batch",
		Phase: "draining 3 instances · 7 tasks to move · deregistration delay 300s", PhaseLeft: 5 * time.Minute, PhaseLeftKnown: true}

	clock := &fakeClock{now: start}
	ios, _, _, errOut := Test()
	ios.ErrTTY = true
	p := newRotateProgress(ios, clock)
	p.Event(wait)
	clock.add(65 * time.Second)
	p.Tick()
	if frame := lastFrame(errOut.String()); !strings.Contains(frame, "draining 3 instances · 7 tasks to move · deregistration delay 300s, about 4m left") {
		t.Errorf("live frame after 65s:\n%s", frame)
	}
	p.Close()

	clock = &fakeClock{now: start}
	ios, _, _, errOut = Test()
	p = newRotateProgress(ios, clock)
	p.Event(wait)
	for i := 0; i < 60; i++ {
		clock.add(time.Second)
		p.Tick()
	}
	unknown := ops.Event{Time: clock.Now(), Cluster: "prod", Kind: ops.EventProgress, Message: "waiting for new instances: 0/2 launched",
		Phase: "waiting for 2 new instances to boot and register (this run's took 1m40s)"}
	p.Event(unknown)
	got := strings.Split(strings.TrimSpace(errOut.String()), "\n")
	want := []string{
		"2026-12-04T16:00:00Z prod batch 2/3 waiting: 7 task(s) still running on the batch · draining 3 instances · 7 tasks to move · deregistration delay 300s, about 5m left",
		"2026-12-04T16:01:00Z prod batch 2/3 still waiting: 7 task(s) still running on the batch (for 1m00s) · draining 3 instances · 7 tasks to move · deregistration delay 300s, about 4m left",
		"2026-12-04T16:01:00Z prod waiting for new instances: 0/2 launched · waiting for 2 new instances to boot and register (this run's took 1m40s)",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("CI lines:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	p.Close()
}

func TestWaitLinesCarryThePhase(t *testing.T) {
	start := time.Date(2026, 12, 4, 16, 0, 0, 0, time.UTC)
	clock := &fakeClock{now: start}
	ios, _, _, errOut := Test()
	p := newLive(ios, clock, &waitBoard{})
	p.Event(ops.Event{Time: start, Cluster: "prod", Service: "api", Kind: ops.EventProgress, Message: "2/8 running, 6 pending",
		Phase: "starting 6 tasks (6 pending) · the first took 1m30s", PhaseLeft: 90 * time.Second, PhaseLeftKnown: true})
	for i := 0; i < 60; i++ {
		clock.add(time.Second)
		p.Tick()
	}
	want := "2026-12-04T16:00:00Z prod/api 2/8 running, 6 pending · starting 6 tasks (6 pending) · the first took 1m30s, about 2m left\n" +
		"2026-12-04T16:01:00Z prod/api still waiting, 1m00s after: 2/8 running, 6 pending · starting 6 tasks (6 pending) · the first took 1m30s, about 30s left\n"
	if errOut.String() != want {
		t.Errorf("got\n%s\nwant\n%s", errOut.String(), want)
	}
	p.Close()
}
