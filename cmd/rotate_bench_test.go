package cmd

import (
	"context"
	"fmt"
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
func BenchmarkRotateDemo(b *testing.B) {
	tm := sim.DefaultTimings()
	perBatch := time.Duration(tm.InstanceBoot + tm.TaskStart + tm.DeregistrationDelay)
	for _, batch := range []int{1, 2, 5} {
		for _, surgeX := range []int{1, 2} {
			surge := batch * surgeX
			b.Run(fmt.Sprintf("batch=%d/surge=%d", batch, surge), func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					sb := startSandboxBench(b)
					start := sb.sim.Now()
					sb.sim.ResetRequests()
					code, stdout, stderr := runBench(b, rotateArgs("prod", "--yes", "--standalone-tasks", "stop",
						"--batch", fmt.Sprint(batch), "--surge", fmt.Sprint(surge))...)
					if code != ExitOK {
						b.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
					}
					virtual := sb.sim.Now().Sub(start)
					batches := (18 + batch - 1) / batch
					bound := time.Duration(batches) * perBatch
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
				}
			})
		}
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
