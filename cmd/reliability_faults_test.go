package cmd

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"ecsctl/sim"
)

// The fault matrix (issue 10): every command, under every fault the sandbox
// injects, must end exactly as it does without faults — same exit code, same
// reported outcome, same final state in AWS (faultsState) — and keep the
// sandbox's invariants (no service below its minimum healthy percent, no
// instance terminated with service tasks, no task killed unreplaced).
//
// The columns: no faults; 30 % of calls throttled; 5 % answered with a 500
// or 503; 50 ms added to every call; 2 % of connections reset before the
// server does anything; and lost answers — the first answer of every
// mutating call dropped after the server did the work, so that every
// mutation reaches AWS twice (the SDK retries a reset connection).
//
// ECSCTL_SOAK=1 adds more seeds, the faults combined, and the demo world.

// faultsColumn is one fault setting.
type faultsColumn struct{ name, spec string }

var faultsColumns = []faultsColumn{
	{"throttle-30%", "throttle=0.3"},
	{"5xx-5%", "error=0.05"},
	{"latency-50ms", "latency=50ms"},
	{"reset-2%", "reset=0.02"},
	{"lost-answer", "lost=first"},
}

var faultsSoakColumns = []faultsColumn{
	{"combined", "throttle=0.2,error=0.05,reset=0.02,latency=10ms"},
	{"combined+lost", "throttle=0.2,error=0.05,reset=0.02,lost=first"},
	{"throttle-60%", "throttle=0.6"},
	{"5xx-20%", "error=0.2"},
	{"reset-10%", "reset=0.1"},
}

func faultsSoak() bool { return os.Getenv("ECSCTL_SOAK") == "1" }

// faultsScenario is one command run on a fresh sandbox.
type faultsScenario struct {
	name    string
	world   string
	change  func(*sim.World) // adjust the built-in world
	cluster string
	asg     string
	setup   func(t *testing.T, b *faultsBox) // fault-free preparation
	args    []string
	code    int
}

func faultsScenarios() []faultsScenario {
	pf := []string{"--poll-interval", "20ms", "-o", "json"}
	with := func(a ...string) []string { return append(a, pf...) }
	minOne := func(w *sim.World) { w.AutoScalingGroups[0].Min = 1 }
	return []faultsScenario{
		{name: "deploy", world: "small", cluster: "small", asg: "small-ecs",
			args: with("deploy", "-c", "small", "-s", "api", "--tag", sim.DemoNextTag)},
		{name: "deploy-fails-and-rolls-back", world: "small", cluster: "small", asg: "small-ecs",
			args: with("deploy", "-c", "small", "-s", "worker", "--tag", sim.DemoCrashTag), code: ExitFailed},
		{name: "deploy-breaker-rolls-back", world: "small", cluster: "small", asg: "small-ecs",
			args: with("deploy", "-c", "small", "-s", "api", "--tag", sim.DemoCrashTag), code: ExitFailed},
		{name: "rollback", world: "small", cluster: "small", asg: "small-ecs",
			setup: func(t *testing.T, b *faultsBox) {
				if code, stdout, stderr := b.run(t, with("deploy", "-c", "small", "-s", "api", "--tag", sim.DemoNextTag)...); code != ExitOK {
					t.Fatalf("setup deploy: exit %d\n%s\n%s", code, stdout, stderr)
				}
			},
			args: with("rollback", "-c", "small", "-s", "api")},
		{name: "rotate-ami", world: "small", cluster: "small", asg: "small-ecs",
			args: with("rotate-ami", "-c", "small", "--yes", "--standalone-tasks", "stop", "--batch", "1")},
		{name: "scale-cluster-out", world: "small", cluster: "small", asg: "small-ecs",
			args: with("scale", "cluster", "-c", "small", "--count", "5", "--yes")},
		{name: "scale-cluster-in", world: "small", change: minOne, cluster: "small", asg: "small-ecs",
			args: with("scale", "cluster", "-c", "small", "--count", "2", "--yes", "--standalone-tasks", "stop")},
		{name: "scale-service", world: "small", cluster: "small", asg: "small-ecs",
			args: with("scale", "service", "-c", "small", "-s", "worker", "--count", "5", "--wait")},
	}
}

// faultsCell is one command's result under one fault setting.
type faultsCell struct {
	code     int
	outcomes string // every "outcome" in the JSON result, in order
	state    faultsState
	faults   map[string]int
	real     time.Duration
}

// faultsOutcomes lists the values of every "outcome" key in a JSON document.
func faultsOutcomes(stdout string) string {
	var v any
	if json.Unmarshal([]byte(stdout), &v) != nil {
		return "(not JSON)"
	}
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			keys := make([]string, 0, len(v))
			for k := range v {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				if s, ok := v[k].(string); ok && k == "outcome" {
					out = append(out, s)
				} else {
					walk(v[k])
				}
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(v)
	return strings.Join(out, ",")
}

// runCell runs sc on a fresh sandbox under spec and checks the invariants.
func (sc faultsScenario) runCell(t *testing.T, spec string, seed int64) faultsCell {
	t.Helper()
	w := faultsWorld(t, sc.world)
	if sc.change != nil {
		sc.change(w)
	}
	b := faultsStart(t, w, sim.Options{Seed: seed})
	b.waitAllSteady(t, sc.cluster)
	if sc.setup != nil {
		sc.setup(t, b)
		b.settle(t, sc.cluster, sc.asg)
	}
	b.sim.ResetReport()
	b.sim.ResetRequests()
	b.setFaults(spec)
	start := time.Now()
	code, stdout, stderr := b.run(t, sc.args...)
	took := time.Since(start)
	b.setFaults("")
	cell := faultsCell{code: code, outcomes: faultsOutcomes(stdout), faults: b.faultCounts(), real: took}
	if code != sc.code {
		t.Errorf("exit %d, want %d\n%s\n%s", code, sc.code, stdout, stderr)
	}
	cell.state = b.settle(t, sc.cluster, sc.asg)
	b.invariants(t)
	if spec != "" && len(cell.faults) == 0 && !strings.Contains(spec, "latency") {
		t.Errorf("no fault was injected: the cell proves nothing")
	}
	if t.Failed() {
		t.Logf("stderr of the failed run:\n%s", stderr)
	}
	return cell
}

// waitAllSteady waits until the world has settled after loading.
func (b *faultsBox) waitAllSteady(t *testing.T, cluster string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, calm := b.read(t, cluster, ""); calm {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the world never settled after loading")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// faultsLimit bounds the cells running at once: most of a cell's time is
// spent in the SDK's back-off, but every sandbox ticks at e2eSpeed.
const faultsLimit = 8

// faultsMatrixLog collects one line per cell for the summary.
type faultsMatrixLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *faultsMatrixLog) add(format string, args ...any) {
	l.mu.Lock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
	l.mu.Unlock()
}

func (l *faultsMatrixLog) print(t *testing.T) {
	l.mu.Lock()
	defer l.mu.Unlock()
	sort.Strings(l.lines)
	t.Logf("fault matrix:\n%s", strings.Join(l.lines, "\n"))
}

func TestFaultMatrixCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("the fault matrix runs in the full suite")
	}
	cols := faultsColumns
	seeds := []int64{7}
	if faultsSoak() {
		cols = append(append([]faultsColumn(nil), cols...), faultsSoakColumns...)
		seeds = []int64{7, 8, 9}
	}
	sem := make(chan struct{}, faultsLimit)
	var log faultsMatrixLog
	var wg sync.WaitGroup
	for _, sc := range faultsScenarios() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t.Run(sc.name, func(t *testing.T) {
				// The run without faults is the reference (and a cell of its own).
				sem <- struct{}{}
				base := sc.runCell(t, "", 7)
				<-sem
				log.add("%-28s %-14s exit %3d  %-40s %6.1fs", sc.name, "none", base.code, base.outcomes, base.real.Seconds())
				if t.Failed() {
					return
				}
				var inner sync.WaitGroup
				for _, col := range cols {
					for _, seed := range seeds {
						name := col.name
						if len(seeds) > 1 {
							name = fmt.Sprintf("%s/seed-%d", col.name, seed)
						}
						inner.Add(1)
						go func() {
							defer inner.Done()
							t.Run(name, func(t *testing.T) {
								sem <- struct{}{}
								defer func() { <-sem }()
								got := sc.runCell(t, col.spec, seed)
								if got.outcomes != base.outcomes {
									t.Errorf("outcome %q, without faults %q", got.outcomes, base.outcomes)
								}
								if g, w := got.state.String(), base.state.String(); g != w {
									t.Errorf("final state differs from the run without faults:\n--- with %s:\n%s\n--- without:\n%s", col.spec, g, w)
								}
								res := "same"
								if t.Failed() {
									res = "DIFFERENT"
								}
								log.add("%-28s %-14s exit %3d  %-40s %6.1fs  %s  faults %v", sc.name, name, got.code, got.outcomes, got.real.Seconds(), res, got.faults)
							})
						}()
					}
				}
				inner.Wait()
			})
		}()
	}
	wg.Wait()
	log.print(t)
}
