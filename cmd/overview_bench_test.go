package cmd

import (
	"context"
	"testing"
	"time"

	"ecsctl/render"
	"ecsctl/sim"
)

// Benchmarks of the read paths on the large world (1,000 services, 500
// instances, ~3,000 tasks) over HTTP with the real SDK clients, pages of
// 100 as in AWS. Besides ns/op they report the API calls of one run:
//
//	go test ./cmd -run '^$' -bench BenchmarkOverviewLarge -benchtime 5x
func overviewBenchSandbox(b *testing.B) *sim.Sim {
	b.Helper()
	w, err := sim.BuiltinWorld("large")
	if err != nil {
		b.Fatal(err)
	}
	s := sim.New(sim.Options{Seed: 11, ManualClock: true, Start: overviewStart})
	if err := s.LoadWorld(w); err != nil {
		b.Fatal(err)
	}
	s.Advance(3 * time.Minute)
	serveSandbox(b, s)
	return s
}

func overviewBench(b *testing.B, args []string, calls ...string) {
	s := overviewBenchSandbox(b)
	run := func() {
		ios, _, out, errOut := render.Test()
		if code := Run(context.Background(), append([]string{"ecsctl"}, args...), ios); code != ExitOK {
			b.Fatalf("exit %d: %s", code, errOut.String())
		}
		if out.Len() == 0 {
			b.Fatal("no output")
		}
	}
	run() // warm up the SDK clients and the sandbox's caches
	s.ResetRequests()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		run()
	}
	b.StopTimer()
	counts := s.RequestCounts()
	total := 0
	for _, n := range counts {
		total += n
	}
	b.ReportMetric(float64(total)/float64(b.N), "calls/op")
	for _, c := range calls {
		b.ReportMetric(float64(counts[c])/float64(b.N), c+"/op")
	}
}

func BenchmarkOverviewLargeServices(b *testing.B) {
	overviewBench(b, []string{"services", "-c", "large"},
		"ecs.DescribeServices", "ecs.ListServices", "ecs.ListTasks", "ecs.DescribeTasks", "ecs.DescribeTaskDefinition", "cloudwatch.GetMetricData")
}

func BenchmarkOverviewLargeInstances(b *testing.B) {
	overviewBench(b, []string{"instances", "-c", "large"},
		"ecs.ListContainerInstances", "ecs.DescribeContainerInstances", "ec2.DescribeInstances", "cloudwatch.GetMetricData")
}
