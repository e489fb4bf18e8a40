package cmd

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"
)

// savedClock reads the virtual "now" and the real save time of a state file.
func savedClock(t *testing.T, path string) (now, savedAt time.Time, raw map[string]any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	now, _ = time.Parse(time.RFC3339Nano, raw["now"].(string))
	savedAt, _ = time.Parse(time.RFC3339Nano, raw["savedAt"].(string))
	return now, savedAt, raw
}

// A --sandbox kept across commands: the hours between two commands pass at
// real speed, not at the sandbox's speed (600 here, 30 by default), so
// the account's clock does not run days ahead of the wall clock while
// nothing waits. (Before, one idle hour at 600× moved it 25 days.)
func TestSandboxClockStaysNearTheWallClockBetweenCommands(t *testing.T) {
	state := inProcessSandbox(t)
	if code, out, errOut := run(t, "--sandbox", "clusters"); code != 0 {
		t.Fatalf("clusters: exit %d\n%s\n%s", code, out, errOut)
	}
	now, savedAt, raw := savedClock(t, state)
	// Pretend the save happened an hour ago (nothing was waiting).
	raw["savedAt"] = savedAt.Add(-time.Hour).Format(time.RFC3339Nano)
	data, _ := json.Marshal(raw)
	if err := os.WriteFile(state, data, 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run(t, "--sandbox", "clusters")
	if code != 0 {
		t.Fatalf("clusters: exit %d\n%s\n%s", code, out, errOut)
	}
	later, _, _ := savedClock(t, state)
	if gap := later.Sub(now); gap < time.Hour || gap > 2*time.Hour {
		t.Fatalf("the sandbox clock moved %s over an idle hour; want about an hour", gap)
	}
	if !strings.Contains(out, "small") {
		t.Fatalf("clusters output:\n%s", out)
	}
}
