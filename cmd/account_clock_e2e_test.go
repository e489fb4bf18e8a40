package cmd

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"ecsctl/sim"
)

// startSandboxAhead is a small-world sandbox whose clock is hours ahead of
// the wall clock, as a sandbox kept for a while, or an account seen from a
// laptop whose clock is off.
func startSandboxAhead(t *testing.T, ahead time.Duration) *sandbox {
	t.Helper()
	w, err := sim.BuiltinWorld("small")
	if err != nil {
		t.Fatal(err)
	}
	s := sim.New(sim.Options{Seed: 7, Speed: 1, PageSize: 5, Start: time.Now().Add(ahead).UTC().Truncate(time.Second)})
	if err := s.LoadWorld(w); err != nil {
		t.Fatal(err)
	}
	return serveSandbox(t, s)
}

// --since counts back from the account's now, not the laptop's: with the
// account 13 h ahead, the last 30 minutes of logs are the last 30 minutes
// on its clock (before, the window began 13.5 h back and printed it all).
func TestE2ELogsSinceCountsOnTheAccountClock(t *testing.T) {
	sb := startSandboxAhead(t, 13*time.Hour)
	code, stdout, stderr := run(t, "logs", "-c", "small", "-s", "api", "--since", "30m", "-o", "json")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	now := sb.sim.Now()
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) == 0 || lines[0] == "" {
		t.Fatalf("no log lines:\n%s", stderr)
	}
	for _, l := range lines {
		var j struct {
			Time time.Time `json:"time"`
		}
		if err := json.Unmarshal([]byte(l), &j); err != nil {
			t.Fatalf("not JSON: %s", l)
		}
		if age := now.Sub(j.Time); age > 31*time.Minute {
			t.Fatalf("a line %s old with --since 30m (account now %s): %s", age.Round(time.Minute), now.Format(time.RFC3339), l)
		}
	}
}

// events takes the same time grammar as logs (1d, or a time), and counts
// back on the account's clock.
func TestE2EEventsSinceSharesTheTimeGrammar(t *testing.T) {
	sb := startSandboxAhead(t, 13*time.Hour)
	code, all, stderr := run(t, "events", "-c", "small", "-s", "api")
	if code != ExitOK || strings.TrimSpace(all) == "" {
		t.Fatalf("events: exit %d\n%s\n%s", code, all, stderr)
	}
	code, day, stderr := run(t, "events", "-c", "small", "-s", "api", "--since", "1d")
	if code != ExitOK {
		t.Fatalf("events --since 1d: exit %d\n%s", code, stderr)
	}
	at := sb.sim.Now().Add(-time.Minute).UTC().Format(time.RFC3339)
	code, recent, stderr := run(t, "events", "-c", "small", "-s", "api", "--since", at)
	if code != ExitOK {
		t.Fatalf("events --since %s: exit %d\n%s", at, code, stderr)
	}
	if strings.TrimSpace(recent) != "" {
		t.Errorf("events of the last minute of the account, none expected:\n%s", recent)
	}
	// The small world's api events are about 17 h old on the account's
	// clock (4 h on the laptop's): in the last day, not in the last 10 h.
	if strings.TrimSpace(day) != strings.TrimSpace(all) {
		t.Errorf("events --since 1d:\n%s\nwant all of\n%s", day, all)
	}
	code, tenHours, stderr := run(t, "events", "-c", "small", "-s", "api", "--since", "10h")
	if code != ExitOK || strings.TrimSpace(tenHours) != "" {
		t.Errorf("events --since 10h counted back from the laptop's clock (exit %d):\n%s%s", code, tenHours, stderr)
	}
	code, _, stderr = run(t, "events", "-c", "small", "-s", "api", "--since", "30")
	if code != ExitUsage || !strings.Contains(stderr, "invalid value \"30\" for --since: want a duration with a unit, like 30s, 30m or 30d") {
		t.Errorf("--since 30: exit %d %s", code, stderr)
	}
}
