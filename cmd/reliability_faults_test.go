package cmd

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"

	"ecsctl/sim"
)

// The fault matrix (issue 10): every command, under every fault the sandbox
// injects, must end exactly as it does without faults — same exit code, same
// reported outcome, same final state in AWS (faultsState) — and keep the
// sandbox's invariants (no service below its minimum healthy percent, no
// instance terminated with service tasks, no task killed unreplaced).
//
// The columns: no faults; 30 % of calls throttled; 5 % answered with a 500
// or 503; 50 ms added to every call; 5 % of connections reset before the
// server does anything (what the sandbox's reset fault does); and lost
// answers — the first answer of every mutating call dropped after the
// server did the work, so that every mutation reaches AWS twice (the SDK
// retries a reset connection). A cell whose command drew no fault runs again
// on a fresh sandbox: a cell must prove something.
//
// Each cell runs ecsctl as a child process (see faultsChildArgs) on its own
// sandbox, cells side by side. The overviews read a frozen sandbox and must
// print the same JSON; logs are compared with what the sandbox wrote.
//
// ECSCTL_SOAK=1 adds seeds, the faults combined, heavier rates, rotate-ami
// batch 1 and the demo world (deploy, rotate-ami, scale-in; the overviews on
// prod); run it with -timeout 100m (bench/faults.sh with SOAK=1).

// faultsColumn is one fault setting.
type faultsColumn struct{ name, spec string }

var faultsColumns = []faultsColumn{
	{"throttle-30%", "throttle=0.3"},
	{"5xx-5%", "error=0.05"},
	{"latency-50ms", "latency=50ms"},
	{"reset-5%", "reset=0.05"},
	{"lost-answer", "lost=first"},
}

var faultsSoakColumns = []faultsColumn{
	{"combined", "throttle=0.2,error=0.05,reset=0.02,latency=10ms"},
	{"combined+lost", "throttle=0.2,error=0.05,reset=0.02,lost=first"},
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
	// belowMin names the services the command's own input takes below
	// their minimum healthy percent with or without faults (a crashing
	// image on a service without health checks: ECS counts its tasks
	// healthy while they start and stops the old ones).
	belowMin []string
}

func faultsScenarios() []faultsScenario {
	pf := []string{"--poll-interval", "20ms", "-o", "json"}
	with := func(a ...string) []string { return append(a, pf...) }
	minOne := func(w *sim.World) { w.AutoScalingGroups[0].Min = 1 }
	return []faultsScenario{
		{name: "deploy", world: "small", cluster: "small", asg: "small-ecs",
			args: with("deploy", "-c", "small", "-s", "api", "--tag", sim.DemoNextTag)},
		{name: "deploy-two-services", world: "small", cluster: "small", asg: "small-ecs",
			args: with("deploy", "-c", "small", "-s", "api", "-s", "web", "--tag", sim.DemoNextTag)},
		{name: "deploy-fargate-and-strategy", world: "edge", change: edgeFargateOnly, cluster: sim.EdgeCluster, asg: sim.EdgeASG,
			args: with("deploy", "-c", sim.EdgeCluster, "-s", "fargate-api", "-s", "spot-worker", "--tag", sim.DemoNextTag)},
		{name: "deploy-fails-and-rolls-back", world: "small", cluster: "small", asg: "small-ecs",
			args: with("deploy", "-c", "small", "-s", "worker", "--tag", sim.DemoCrashTag), code: ExitFailed, belowMin: []string{"small/worker"}},
		{name: "deploy-breaker-rolls-back", world: "small", cluster: "small", asg: "small-ecs",
			args: with("deploy", "-c", "small", "-s", "api", "--tag", sim.DemoCrashTag), code: ExitFailed},
		// A blue/green deploy: the verdict is the service deployment's,
		// after the bake time with both revisions running.
		{name: "deploy-blue-green", world: "edge", cluster: sim.EdgeCluster, asg: sim.EdgeASG,
			args: with("deploy", "-c", sim.EdgeCluster, "-s", sim.EdgeBlueGreenService, "--tag", sim.DemoNextTag)},
		{name: "rollback", world: "small", cluster: "small", asg: "small-ecs",
			setup: func(t *testing.T, b *faultsBox) {
				if code, stdout, stderr := b.run(t, with("deploy", "-c", "small", "-s", "api", "--tag", sim.DemoNextTag)...); code != ExitOK {
					t.Fatalf("setup deploy: exit %d\n%s\n%s", code, stdout, stderr)
				}
			},
			args: with("rollback", "-c", "small", "-s", "api")},
		{name: "rotate-ami", world: "small", cluster: "small", asg: "small-ecs",
			args: with("rotate-ami", "-c", "small", "--yes", "--standalone-tasks", "stop", "--batch", "2")},
		{name: "rotate-ami-update-launch-template", world: "small", change: func(w *sim.World) { w.AutoScalingGroups[0].Version = "1" },
			cluster: "small", asg: "small-ecs",
			args: with("rotate-ami", "-c", "small", "--yes", "--standalone-tasks", "stop", "--batch", "2", "--update-launch-template")},
		{name: "rotate-ami-graviton", world: "edge", cluster: sim.EdgeGravitonCluster, asg: sim.EdgeGravitonASG,
			args: with("rotate-ami", "-c", sim.EdgeGravitonCluster, "--yes")},
		{name: "rotate-ami-mixed-spot-interruption", world: "edge", change: edgeSpotInterruption,
			cluster: sim.EdgeMixedCluster, asg: sim.EdgeMixedASG,
			args: with("rotate-ami", "-c", sim.EdgeMixedCluster, "--yes", "--update-launch-template")},
		{name: "scale-cluster-out", world: "small", cluster: "small", asg: "small-ecs",
			args: with("scale", "cluster", "-c", "small", "--count", "5", "--yes")},
		{name: "scale-cluster-in", world: "small", change: minOne, cluster: "small", asg: "small-ecs",
			args: with("scale", "cluster", "-c", "small", "--count", "2", "--yes", "--standalone-tasks", "stop")},
		{name: "scale-service", world: "small", cluster: "small", asg: "small-ecs",
			args: with("scale", "service", "-c", "small", "-s", "worker", "--count", "5", "--wait")},
		// cron pause: one UpdateSchedule with the whole schedule (a
		// schedule) or DisableRule (a rule); both idempotent, so a lost
		// answer retried changes nothing more. The jobs never fire during
		// the cell (cronFaultsJobs).
		{name: "cron-pause-schedule", world: "small", change: cronFaultsJobs, cluster: "small", asg: "small-ecs",
			args: []string{"cron", "pause", "-c", "small", "-o", "json", "api-warm"}},
		{name: "cron-pause-rule", world: "small", change: cronFaultsJobs, cluster: "small", asg: "small-ecs",
			args: []string{"cron", "pause", "-c", "small", "-o", "json", "weekly-digest"}},
		// cron run starts the target's task once whatever the faults (the
		// SDK fills RunTask's client token once per call, retries reuse it);
		// api-warm's task keeps running, so a duplicate would show.
		{name: "cron-run-no-wait", world: "small", change: cronFaultsJobs, cluster: "small", asg: "small-ecs",
			args: []string{"cron", "run", "-c", "small", "--no-wait", "api-warm"}},
		{name: "scale-service-update-autoscaling", world: "small", cluster: "small", asg: "small-ecs",
			args: with("scale", "service", "-c", "small", "-s", "api", "--count", "1", "--update-autoscaling", "--wait")},
		// A one-off task: its exit code whatever the faults, and one task
		// only (a RunTask whose answer was lost is retried with the same
		// client token). The second leaves its task running: a duplicate
		// would show in the standalone count.
		{name: "run-exit-code", world: "small", cluster: "small", asg: "small-ecs",
			args: append(with("run", "-c", "small", "-s", "worker", "--overlap", "2s"), "--", "sh", "-c", "echo hi; sleep 20; exit 3"), code: 3},
		{name: "run-no-wait", world: "small", cluster: "small", asg: "small-ecs",
			args: append(with("run", "-c", "small", "-s", "worker", "--no-wait"), "--", "sleep", "86400")},
	}
}

// edgeSpotInterruption has EC2 reclaim the first Spot instance the mixed
// group launches (a surge instance of the rotation's first batch) a minute
// after it boots, while the batch drains onto it.
func edgeSpotInterruption(w *sim.World) {
	for i := range w.AutoScalingGroups {
		if w.AutoScalingGroups[i].Name == sim.EdgeMixedASG {
			w.AutoScalingGroups[i].SpotInterruption = &sim.SpotInterruptionSpec{Launch: 1, After: sim.Duration(time.Minute)}
		}
	}
}

// faultsSoakScenarios run under ECSCTL_SOAK=1: smaller batches, and the
// demo world (90 services on 50 instances, a daemon, distinctInstance and
// memberOf placement).
func faultsSoakScenarios() []faultsScenario {
	pf := []string{"--poll-interval", "20ms", "-o", "json"}
	with := func(a ...string) []string { return append(a, pf...) }
	return []faultsScenario{
		{name: "rotate-ami-batch-1", world: "small", cluster: "small", asg: "small-ecs",
			args: with("rotate-ami", "-c", "small", "--yes", "--standalone-tasks", "stop", "--batch", "1")},
		{name: "demo-deploy", world: "demo", cluster: "prod", asg: "prod-ecs",
			args: with("deploy", "-c", "prod", "-s", "api", "--tag", sim.DemoNextTag)},
		{name: "demo-rotate-ami", world: "demo", cluster: "prod", asg: "prod-ecs",
			args: with("rotate-ami", "-c", "prod", "--yes", "--standalone-tasks", "stop", "--batch", "5")},
		{name: "demo-scale-cluster-in", world: "demo", cluster: "prod", asg: "prod-ecs",
			args: with("scale", "cluster", "-c", "prod", "--count", "47", "--yes", "--standalone-tasks", "stop")},
	}
}

// faultsCell is one command's result under one fault setting.
type faultsCell struct {
	code     int
	outcomes string // every "outcome" in the JSON result, in order
	state    faultsState
	faults   map[string]int
	real     time.Duration
	calls    int // AWS calls the sandbox saw (retries included)
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
// A command of few calls may draw no fault from a small probability: then
// the cell proves nothing, and it runs again with the next seeds.
func (sc faultsScenario) runCell(t *testing.T, spec string, seed int64) faultsCell {
	t.Helper()
	for try := 0; ; try++ {
		cell := sc.runOnce(t, spec, seed+int64(1000*try))
		if spec == "" || len(cell.faults) > 0 || strings.HasPrefix(spec, "latency") || t.Failed() {
			return cell
		}
		if try == faultsCommandTries-1 {
			t.Fatalf("no fault was injected in %d runs: the cell proves nothing", try+1)
		}
	}
}

// faultsCommandTries bounds the fresh sandboxes a cell tries until a fault
// hits (scale service makes about 7 calls: 5 % errors miss all of them 70 %
// of the time).
const faultsCommandTries = 20

func (sc faultsScenario) runOnce(t *testing.T, spec string, seed int64) faultsCell {
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
	cell.calls = len(b.sim.Requests())
	// A lost answer must have made the mutation reach the sandbox twice.
	counts := b.sim.RequestCounts()
	for _, op := range b.loser.lostAnswers() {
		name := op[strings.LastIndex(op, ".")+1:]
		n := 0
		for k, v := range counts {
			if strings.HasSuffix(k, "."+name) {
				n += v
			}
		}
		if n < 2 {
			t.Errorf("the answer of %s was dropped but the sandbox saw it %d time(s): the lost-answer fault did not apply", op, n)
		}
	}
	cell.state = b.settle(t, sc.cluster, sc.asg)
	b.invariants(t, sc.belowMin)
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

// TestFaultMatrix runs the three parts side by side: the cells mostly wait
// out the SDK's back-off, so the matrix takes about as long as its slowest
// cell (rotate-ami under 30 % throttling).
func TestFaultMatrix(t *testing.T) {
	parallel(t)
	if testing.Short() {
		t.Skip("the fault matrix runs in the full suite")
	}
	sem := make(chan struct{}, faultsLimit)
	var wg sync.WaitGroup
	for name, part := range map[string]func(*testing.T, chan struct{}){
		"commands": faultMatrixCommands, "overviews": faultMatrixOverviews, "logs": faultMatrixLogs,
	} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t.Run(name, func(t *testing.T) { part(t, sem) })
		}()
	}
	wg.Wait()
}

func faultMatrixCommands(t *testing.T, sem chan struct{}) {
	cols := faultsColumns
	seeds := []int64{7}
	if faultsSoak() {
		cols = append(append([]faultsColumn(nil), cols...), faultsSoakColumns...)
		seeds = []int64{7, 8, 9}
	}
	scenarios := faultsScenarios()
	if faultsSoak() {
		scenarios = append(scenarios, faultsSoakScenarios()...)
	}
	var log faultsMatrixLog
	var wg sync.WaitGroup
	for _, sc := range scenarios {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t.Run(sc.name, func(t *testing.T) {
				// The run without faults is the reference (and a cell of its own).
				sem <- struct{}{}
				base := sc.runCell(t, "", 7)
				<-sem
				log.add("%-34s %-14s exit %3d  %-30s %6.1fs %5d calls", sc.name, "none", base.code, base.outcomes, base.real.Seconds(), base.calls)
				if t.Failed() {
					return
				}
				seeds := seeds
				if sc.world != "small" {
					seeds = seeds[:1] // the demo world under throttling takes minutes a cell
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
									t.Errorf("final state differs from the run without faults (- without, + with %s):\n%s", col.spec, faultsLineDiff(w, g))
								}
								res := "same"
								if t.Failed() {
									res = "DIFFERENT"
								}
								log.add("%-34s %-14s exit %3d  %-30s %6.1fs %5d calls  %-9s faults %v", sc.name, name, got.code, got.outcomes, got.real.Seconds(), got.calls, res, got.faults)
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

// The overviews read a frozen sandbox (manual clock, ecsctl's clock pinned
// to it): under every fault their JSON must be byte for byte what they
// print without faults, and they must change nothing. A lost answer is a
// reset for a read (nothing to do twice), so the lost-answer column is the
// reset one here.
func faultMatrixOverviews(t *testing.T, _ chan struct{}) {
	world := "small"
	if faultsSoak() {
		world = "demo"
	}
	cluster := map[string]string{"small": "small", "demo": "prod"}[world]
	cmds := [][]string{
		{"clusters"},
		{"services", "-c", cluster},
		{"instances", "-c", cluster},
		{"status", "-c", cluster, "-s", "api"},
		{"capacity", "-c", cluster},
		{"events", "-c", cluster, "-s", "api"},
	}
	cols := faultsReadColumns()
	var log faultsMatrixLog
	var wg sync.WaitGroup
	for _, args := range cmds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t.Run(args[0], func(t *testing.T) {
				b := faultsStart(t, faultsWorld(t, world), sim.Options{Seed: 11, ManualClock: true, Start: overviewStart})
				b.sim.Advance(3 * time.Minute)
				b.now = b.sim.Now()
				args := append(args, "-o", "json")
				code, want, stderr := b.run(t, args...)
				if code != ExitOK || len(want) < 3 {
					t.Fatalf("without faults: exit %d\n%s\n%s", code, want, stderr)
				}
				log.add("%-10s %-14s exit %3d  %6d bytes", args[0], "none", code, len(want))
				for _, col := range cols {
					t.Run(col.name, func(t *testing.T) {
						for try := int64(0); ; try++ {
							b.sim.ResetRequests()
							b.setFaults(col.spec) // the fault draws go on from the last run's
							start := time.Now()
							code, got, stderr := b.run(t, args...)
							took := time.Since(start)
							b.setFaults("")
							faults := b.faultCounts()
							if code != ExitOK {
								t.Fatalf("exit %d\n%s", code, stderr)
							}
							if got != want {
								t.Errorf("output differs from the run without faults (- without, + with %s):\n%s", col.spec, faultsLineDiff(want, got))
							}
							if m := b.mutations(); len(m) != 0 {
								t.Errorf("mutating calls: %v", m)
							}
							if len(faults) == 0 && !strings.HasPrefix(col.spec, "latency") {
								// A command of a few calls may draw no fault:
								// run it again until one is injected.
								if try < faultsReadTries {
									continue
								}
								t.Errorf("no fault injected in %d runs: the cell proves nothing", try+1)
							}
							res := "same"
							if t.Failed() {
								res = "DIFFERENT"
							}
							log.add("%-10s %-14s exit %3d  %6d bytes %6.1fs %5d calls  %-9s faults %v", args[0], col.name, code, len(got), took.Seconds(), len(b.sim.Requests()), res, faults)
							return
						}
					})
				}
			})
		}()
	}
	wg.Wait()
	log.print(t)
}

// faultsReadTries bounds the runs of a read-only command until a fault hits.
const faultsReadTries = 60

// faultsReadColumns are the fault settings for read-only commands.
func faultsReadColumns() []faultsColumn {
	var cols []faultsColumn
	for _, c := range faultsColumns {
		if c.spec != "lost=first" {
			cols = append(cols, c)
		}
	}
	if faultsSoak() {
		for _, c := range faultsSoakColumns {
			if !strings.Contains(c.spec, "lost=") {
				cols = append(cols, c)
			}
		}
	}
	return cols
}

// Logs under faults: a range read and a follow are compared with what the
// sandbox wrote (sim.LogEventsWritten): every event once, nothing else, in
// time order for the range.
func faultMatrixLogs(t *testing.T, sem chan struct{}) {
	cols := append([]faultsColumn{{"none", ""}}, faultsReadColumns()...)
	var log faultsMatrixLog
	var wg sync.WaitGroup
	for _, follow := range []bool{false, true} {
		mode := "range"
		if follow {
			mode = "follow"
		}
		for _, col := range cols {
			wg.Add(1)
			go func() {
				defer wg.Done()
				t.Run(mode+"/"+col.name, func(t *testing.T) {
					sem <- struct{}{}
					defer func() { <-sem }()
					var b *faultsBox
					for try := 0; ; try++ {
						if b == nil || follow { // a range read again on the same sandbox
							b = faultsStart(t, faultsWorld(t, "small"), sim.Options{Seed: 7 + 1000*int64(try)})
						}
						b.sim.ResetRequests()
						now := logsNow(b.sandbox)
						since, until := now.Add(-3*time.Minute), now.Add(-time.Minute)
						args := []string{"logs", "-c", "small", "-s", "api", "-o", "json"}
						if follow {
							since, until = now.Add(-time.Minute), now.Add(20*time.Minute)
							args = append(args, "-f", "--poll-interval", "10ms")
						}
						args = append(args, "--since", logsRFC(since), "--until", logsRFC(until))
						b.setFaults(col.spec)
						start := time.Now()
						code, stdout, stderr := b.run(t, args...)
						took := time.Since(start)
						b.setFaults("")
						faults := b.faultCounts()
						if code != ExitOK {
							t.Fatalf("exit %d\n%s", code, stderr)
						}
						got := logsDecode(t, stdout)
						want := b.sim.LogEventsWritten("/ecs/small/api", nil, since, until)
						if len(want) == 0 {
							t.Fatal("the sandbox wrote nothing in the range")
						}
						logsCompare(t, got, want)
						if !follow {
							logsSorted(t, got)
						}
						if m := b.mutations(); len(m) != 0 {
							t.Errorf("logs changed something: %v", m)
						}
						if col.spec != "" && len(faults) == 0 && !strings.HasPrefix(col.spec, "latency") {
							if try < faultsReadTries {
								continue
							}
							t.Errorf("no fault injected in %d runs: the cell proves nothing", try+1)
						}
						res := "same"
						if t.Failed() {
							res = "DIFFERENT"
						}
						log.add("logs %-7s %-14s exit %3d  %5d events of %5d %6.1fs %5d calls  %-9s faults %v", mode, col.name, code, len(got), len(want), took.Seconds(), len(b.sim.Requests()), res, faults)
						return
					}
				})
			}()
		}
	}
	wg.Wait()
	log.print(t)
}

// Found by the soak (demo world, combined faults): scale-in terminated its
// victims one by one in instance-id order. When the calls were slow
// (throttling), the group stayed unbalanced between two terminations long
// enough for AZRebalance to launch an instance in the emptied zone and
// terminate one in the fullest — without draining it, killing its tasks.
// The victims are now picked from the fullest zone first and terminated in
// that order, so the group is balanced after every termination. Here each
// termination takes 200 ms (two virtual minutes; AZRebalance acts after one).
func TestFaultsScaleInLeavesZonesBalanced(t *testing.T) {
	parallel(t)
	seeds := []int64{7}
	if faultsSoak() {
		seeds = []int64{7, 8, 9, 10, 11}
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprint("seed-", seed), func(t *testing.T) {
			b := faultsStart(t, faultsWorld(t, "demo"), sim.Options{Seed: seed})
			b.waitAllSteady(t, "prod")
			b.sim.ResetReport()
			b.setFaults("asg.TerminateInstanceInAutoScalingGroup:latency=200ms")
			code, stdout, stderr := b.run(t, "scale", "cluster", "-c", "prod", "--count", "45", "--yes", "--standalone-tasks", "stop", "--poll-interval", "20ms", "-o", "json")
			b.setFaults("")
			if code != ExitOK {
				t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
			}
			b.settle(t, "prod", "prod-ecs")
			out, err := b.asg.DescribeAutoScalingGroups(context.Background(), &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{"prod-ecs"}})
			if err != nil {
				t.Fatal(err)
			}
			zones := map[string]int{}
			for _, m := range out.AutoScalingGroups[0].Instances {
				zones[aws.ToString(m.AvailabilityZone)]++
			}
			lo, hi := 1<<30, 0
			for _, n := range zones {
				lo, hi = min(lo, n), max(hi, n)
			}
			if hi-lo > 1 {
				t.Errorf("zones left unbalanced: %v", zones)
			}
			b.invariants(t, nil)
		})
	}
}

// faultsLineDiff lists the lines only one of two texts has (- a, + b), in
// the order they appear.
func faultsLineDiff(a, b string) string {
	count := func(s string) map[string]int {
		n := map[string]int{}
		for _, l := range strings.Split(s, "\n") {
			n[l]++
		}
		return n
	}
	na, nb := count(a), count(b)
	var out []string
	for _, l := range strings.Split(a, "\n") {
		if nb[l] > 0 {
			nb[l]--
		} else {
			out = append(out, "- "+l)
		}
	}
	for _, l := range strings.Split(b, "\n") {
		if na[l] > 0 {
			na[l]--
		} else {
			out = append(out, "+ "+l)
		}
	}
	return strings.Join(out, "\n")
}
