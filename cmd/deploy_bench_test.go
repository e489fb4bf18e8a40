package cmd

import (
	"fmt"
	"testing"
	"time"

	"ecsctl/sim"
)

// BenchmarkDeployPolling measures what a deploy costs in API calls while it
// waits, for 1 and for 20 services deployed at once on the demo world, and
// how soon after the sandbox reaches steady state ecsctl has its verdict.
//
//	go test ./cmd -run XXX -bench DeployPolling -benchtime 3x
//
// Metrics: describeServices/poll (DescribeServices calls per polling round;
// the target is ceil(services/10)), calls/min@5s (all ECS calls per minute of
// waiting at the default 5 s poll interval, per service), and
// detect-polls (polls between the last deployment completing in the sandbox
// and ecsctl's exit; the target is at most 1).
func BenchmarkDeployPolling(b *testing.B) {
	for _, n := range []int{1, 20} {
		b.Run(fmt.Sprintf("services=%d", n), func(b *testing.B) {
			var perPoll, perMin, detect float64
			for i := 0; i < b.N; i++ {
				sb := startSandbox(b, "demo", "")
				names := demoServices(sb, n)
				poll := 20 * time.Millisecond
				args := []string{"deploy", "-c", "prod", "--poll-interval", poll.String(), "--tag", sim.DemoNextTag, "--keep-revisions", "0", "-o", "json"}
				for _, s := range names {
					args = append(args, "--service", s)
				}
				sb.sim.ResetRequests()
				start := time.Now()
				code, out, errOut := run(b, args...)
				elapsed := time.Since(start)
				if code != 0 {
					b.Fatalf("deploy exit %d\n%s\n%s", code, out, errOut)
				}
				counts := sb.sim.RequestCounts()
				polls := float64(elapsed) / float64(poll)
				perPoll += float64(counts["ecs.DescribeServices"]-n/10-1) / polls
				ecsCalls := 0
				for op, c := range counts {
					if len(op) > 4 && op[:4] == "ecs." {
						ecsCalls += c
					}
				}
				perMin += float64(ecsCalls) / polls * 12 / float64(n)
				// Polls between the last "deployment completed" and exit.
				rep := sb.sim.Report()
				var last time.Time
				for _, e := range rep.Timeline {
					if e.Kind == "deployment-completed" && e.At.After(last) {
						last = e.At
					}
				}
				virtualPoll := time.Duration(float64(poll) * e2eSpeed)
				detect += float64(rep.Now.Sub(last)) / float64(virtualPoll)
			}
			b.ReportMetric(perPoll/float64(b.N), "describeServices/poll")
			b.ReportMetric(perMin/float64(b.N), "calls/min@5s/service")
			b.ReportMetric(detect/float64(b.N), "detect-polls")
		})
	}
}

// demoServices picks n load-balanced, replicated services of the demo prod cluster.
func demoServices(sb *sandbox, n int) []string {
	w, _ := sim.BuiltinWorld("demo")
	var out []string
	for _, s := range w.Clusters[0].Services {
		if s.Daemon || len(s.PlacementConstraints) > 0 || s.Desired == 0 {
			continue
		}
		out = append(out, s.Name)
		if len(out) == n {
			break
		}
	}
	return out
}
