package sim

import (
	"bytes"
	"testing"
	"time"
)

func TestEventQueueRunsInOrderOnManualClock(t *testing.T) {
	var got []string
	registerEvent("test.order", func(s *Sim, key string) { got = append(got, key+"@"+s.Now().Format("15:04:05")) })
	defer delete(eventHandlers, "test.order")
	start := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	s := New(Options{ManualClock: true, Start: start})
	s.mu.Lock()
	s.after(20*time.Second, "test.order", "b")
	s.after(10*time.Second, "test.order", "a")
	s.after(10*time.Second, "test.order", "a2")
	s.mu.Unlock()
	s.Advance(15 * time.Second)
	if len(got) != 2 || got[0] != "a@10:00:10" || got[1] != "a2@10:00:10" {
		t.Fatalf("after 15s: %v", got)
	}
	var buf bytes.Buffer
	if err := s.Save(&buf); err != nil {
		t.Fatal(err)
	}
	s2, err := Load(&buf, Options{ManualClock: true})
	if err != nil {
		t.Fatal(err)
	}
	s2.Advance(10 * time.Second)
	if len(got) != 3 || got[2] != "b@10:00:20" {
		t.Fatalf("after load and 10s more: %v", got)
	}
}
