package cmd

import (
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

func TestServerClockFollowsTheDateHeader(t *testing.T) {
	var c serverClock
	now := time.Now()
	c.observe(now.Add(10*time.Minute).UTC().Format(http.TimeFormat), now)
	if d := time.Until(c.Now()); d < 9*time.Minute || d > 11*time.Minute {
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
	if d := time.Since(c.Now()); d < 59*time.Minute || d > 61*time.Minute {
		t.Fatalf("server an hour behind: clock off by %v", d)
	}
}

// Without AWS_CA_BUNDLE the SDK leaves aws.Config.HTTPClient nil; ecsctl must
// build its own client then (a machine with the variable set once hid a nil
// dereference on every call).
func TestAWSCallsWorkWithoutCABundle(t *testing.T) {
	t.Setenv("AWS_CA_BUNDLE", "")
	os.Unsetenv("AWS_CA_BUNDLE")
	startSandbox(t, "small", "")
	code, stdout, stderr := run(t, "clusters")
	if code != ExitOK || !strings.Contains(stdout, "small") {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
}
