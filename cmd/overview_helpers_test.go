package cmd

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"ecsctl/sim"
)

var overviewUpdate = flag.Bool("update", false, "rewrite the golden files under testdata/")

// overviewStart is the fixed virtual start of golden-test sandboxes.
var overviewStart = time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)

// overviewFixedClock is a clock that never moves: the sandbox's virtual now.
type overviewFixedClock struct{ t time.Time }

func (c overviewFixedClock) Now() time.Time                         { return c.t }
func (c overviewFixedClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// startFrozenSandbox runs a world on a manual clock (time moves only when
// the test advances it), settled for settle virtual time so that tasks run
// and metrics are published, and points ecsctl at it with its clock pinned
// set to the sandbox's now. Output is then the same on every run.
func overviewStartFrozen(t *testing.T, world string, pageSize int, settle time.Duration) *sandbox {
	t.Helper()
	w, err := sim.BuiltinWorld(world)
	if err != nil {
		t.Fatal(err)
	}
	s := sim.New(sim.Options{Seed: 11, ManualClock: true, Start: overviewStart, PageSize: pageSize})
	if err := s.LoadWorld(w); err != nil {
		t.Fatal(err)
	}
	s.Advance(settle)
	sb := serveSandbox(t, s)
	sb.pinned = overviewFixedClock{s.Now()}
	return sb
}

// golden compares got with testdata/NAME, or rewrites it under -update.
func overviewGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("..", "testdata", name)
	if *overviewUpdate {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd -run %s -update to create it)", err, t.Name())
	}
	if !bytes.Equal(want, []byte(got)) {
		t.Errorf("%s differs from the golden file (go test ./cmd -run %s -update rewrites it)\n--- got:\n%s", path, t.Name(), got)
	}
}
