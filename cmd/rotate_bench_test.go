package cmd

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"ecsctl/render"
	"ecsctl/sim"
)

// BenchmarkRotateDemo rotates the demo world's prod cluster (18 old
// instances) for batch sizes 1, 2 and 5, with the surge equal to the batch
// and to twice the batch, and reports the virtual time as a ratio to the
// lower bound (per batch: instance boot + task start + deregistration
// delay) and the API calls per replaced instance.
//
//	go test ./cmd -run '^$' -bench BenchmarkRotateDemo -benchtime 1x
//
// The case named default passes no --batch or --surge: its bound is the
// fleet's, back-to-back batches as large as the ASG's max size allows
// (max - desired; the cluster's room is not the limit on the demo world,
// which the test of the plan's shape checks).
func BenchmarkRotateDemo(b *testing.B) {
	tm := sim.DefaultTimings()
	perBatch := time.Duration(tm.InstanceBoot + tm.TaskStart + tm.DeregistrationDelay)
	b.Run("default", func(b *testing.B) {
		w, err := sim.BuiltinWorld("demo")
		if err != nil {
			b.Fatal(err)
		}
		room := 0
		for _, g := range w.AutoScalingGroups {
			if g.Name == "prod-ecs" {
				room = g.Max - g.Desired
			}
		}
		size := min(room, 18)
		bound := time.Duration((18+size-1)/size) * perBatch
		for i := 0; i < b.N; i++ {
			benchRotateOnce(b, bound, "--yes", "--standalone-tasks", "stop")
		}
	})
	for _, batch := range []int{1, 2, 5} {
		for _, surgeX := range []int{1, 2} {
			surge := batch * surgeX
			b.Run(fmt.Sprintf("batch=%d/surge=%d", batch, surge), func(b *testing.B) {
				batches := (18 + batch - 1) / batch
				bound := time.Duration(batches) * perBatch
				for i := 0; i < b.N; i++ {
					benchRotateOnce(b, bound, "--yes", "--standalone-tasks", "stop", "--batch", fmt.Sprint(batch), "--surge", fmt.Sprint(surge))
				}
			})
		}
	}
}

// benchRotateOnce rotates the demo world's prod cluster and reports the
// virtual time, its ratio to bound and the API calls per replaced instance.
func benchRotateOnce(b *testing.B, bound time.Duration, args ...string) {
	sb := startSandboxBench(b)
	start := sb.sim.Now()
	sb.sim.ResetRequests()
	code, stdout, stderr := runBench(b, rotateArgs("prod", args...)...)
	if code != ExitOK {
		b.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	virtual := sb.sim.Now().Sub(start)
	calls := 0
	for _, n := range sb.sim.RequestCounts() {
		calls += n
	}
	b.ReportMetric(virtual.Seconds(), "virtual-s")
	b.ReportMetric(bound.Seconds(), "bound-s")
	b.ReportMetric(virtual.Seconds()/bound.Seconds(), "x-bound")
	b.ReportMetric(float64(calls)/18, "calls/instance")
	rep := sb.sim.Report()
	if len(rep.Violations) != 0 || len(rep.TerminatedWithTasks) != 0 {
		b.Fatalf("invariants broken: %v %+v", rep.Violations, rep.TerminatedWithTasks)
	}
	if !strings.Contains(stdout, `"completed"`) {
		b.Fatalf("not completed:\n%s", stdout)
	}
	if os.Getenv("ECSCTL_BENCH_LOG") != "" { // where the virtual time went
		var lines []string
		for _, r := range sb.sim.MutatingRequests() {
			lines = append(lines, fmt.Sprintf("%6.0fs %s.%s", r.Virtual.Sub(start).Seconds(), r.Service, r.Op))
		}
		b.Logf("%s\n%s", strings.Join(lines, "\n"), stderr)
	}
}

// startSandboxBench is startSandbox("demo") for a benchmark.
func startSandboxBench(b *testing.B) *sandbox {
	b.Helper()
	w, err := sim.BuiltinWorld("demo")
	if err != nil {
		b.Fatal(err)
	}
	s := sim.New(sim.Options{Seed: 7, Speed: e2eSpeed, PageSize: 100})
	if err := s.LoadWorld(w); err != nil {
		b.Fatal(err)
	}
	return serveSandbox(b, s)
}

func runBench(b *testing.B, args ...string) (int, string, string) {
	b.Helper()
	ios, _, out, errOut := render.Test()
	code := Run(context.Background(), append([]string{"ecsctl"}, args...), ios)
	return code, out.String(), errOut.String()
}
