package sim

import (
	"testing"
	"time"
)

// A RealTimeWhenIdle clock runs at its speed only while work is queued.
func TestRealTimeWhenIdleClockRunsFastOnlyWithWork(t *testing.T) {
	s := New(Options{Speed: 30, RealTimeWhenIdle: true})
	w, err := BuiltinWorld("small")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.LoadWorld(w); err != nil {
		t.Fatal(err)
	}
	s.Lock()
	s.advanceLocked(s.now.Add(time.Hour)) // let the world settle
	s.Unlock()
	s.Lock()
	rate := s.clock.rate()
	s.Unlock()
	if rate != 1 {
		t.Fatalf("settled world: clock rate %v, want real time", rate)
	}
	s.Lock()
	s.after(time.Minute, evRetry, "some-service")
	s.Unlock()
	s.Lock()
	rate = s.clock.rate()
	s.Unlock()
	if rate != 30 {
		t.Fatalf("with work queued: clock rate %v, want 30", rate)
	}
}
