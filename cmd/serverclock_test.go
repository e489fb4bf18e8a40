package cmd

import (
	"net/http"
	"testing"
	"time"
)

func TestServerClockFollowsTheDateHeader(t *testing.T) {
	var c serverClock
	now := time.Now()
	c.observe(now.Add(10*time.Minute).UTC().Format(http.TimeFormat), now)
	if d := c.Now().Sub(time.Now()); d < 9*time.Minute || d > 11*time.Minute {
		t.Fatalf("server 10m ahead: clock off by %v", d)
	}
	// Within the header's one-second resolution nothing moves.
	before := c.offset.Load()
	c.observe(now.Add(10*time.Minute+time.Second).UTC().Format(http.TimeFormat), now)
	if c.offset.Load() != before {
		t.Errorf("offset moved on a one-second difference")
	}
	c.observe("not a date", now)
	if c.offset.Load() != before {
		t.Errorf("offset moved on a bad header")
	}
	c.observe(now.Add(-time.Hour).UTC().Format(http.TimeFormat), now)
	if d := time.Now().Sub(c.Now()); d < 59*time.Minute || d > 61*time.Minute {
		t.Fatalf("server an hour behind: clock off by %v", d)
	}
}
