package cmd

import (
	"ecsctl/ops/overview"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestE2EOverviewGoldensOnDemo(t *testing.T) {
	parallel(t)
	sb := overviewStartFrozen(t, "demo", 5, 3*time.Minute)
	cases := []struct {
		golden string
		args   []string
	}{
		{"clusters.txt", []string{"clusters"}},
		{"clusters.json", []string{"clusters", "-o", "json"}},
		{"services-prod.txt", []string{"services", "-c", "prod"}},
		{"services-prod.json", []string{"services", "-c", "prod", "-o", "json"}},
		{"services-staging-sorted.txt", []string{"services", "-c", "staging", "--sort", "-memory", "--filter", "api"}},
		{"instances-prod.txt", []string{"instances", "-c", "prod"}},
		{"instances-staging.json", []string{"instances", "-c", "staging", "-o", "json"}},
		{"status-prod-api.txt", []string{"status", "-c", "prod", "-s", "api"}},
		{"status-prod-api.json", []string{"status", "-c", "prod", "-s", "api", "-o", "json"}},
		{"events-prod-api.txt", []string{"events", "-c", "prod", "-s", "api"}},
	}
	for _, tc := range cases {
		t.Run(tc.golden, func(t *testing.T) {
			sb.sim.ResetRequests()
			code, stdout, stderr := run(t, tc.args...)
			if code != ExitOK {
				t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
			}
			overviewGolden(t, "overview/"+tc.golden, stdout)
			// With --service only that service's task definition and the
			// daemons' (node-exporter) are read, not all ~90 of prod.
			if n := sb.sim.RequestCounts()["ecs.DescribeTaskDefinition"]; slices.Contains(tc.args, "-s") && n > 2 {
				t.Errorf("%d DescribeTaskDefinition calls for one service, want ≤ 2", n)
			}
		})
	}
	if m := sb.mutations(); len(m) != 0 {
		t.Errorf("read-only overviews mutated: %v", m)
	}
}

func TestE2ECapacityGoldensOnDemo(t *testing.T) {
	parallel(t)
	sb := overviewStartFrozen(t, "demo", 5, 3*time.Minute)
	for _, tc := range []struct {
		golden string
		args   []string
	}{
		{"capacity-staging.txt", []string{"capacity", "-c", "staging", "--instances"}},
		{"capacity-prod.txt", []string{"capacity", "-c", "prod", "--add", "api=60", "--add", "zookeeper=20"}},
		{"capacity-prod-api.json", []string{"capacity", "-c", "prod", "-s", "api", "--add", "api=40", "-o", "json"}},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			sb.sim.ResetRequests()
			code, stdout, stderr := run(t, tc.args...)
			if code != ExitOK {
				t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
			}
			overviewGolden(t, "overview/"+tc.golden, stdout)
			// With --service only that service's task definition and the
			// daemons' (node-exporter) are read, not all ~90 of prod.
			if n := sb.sim.RequestCounts()["ecs.DescribeTaskDefinition"]; slices.Contains(tc.args, "-s") && n > 2 {
				t.Errorf("%d DescribeTaskDefinition calls for one service, want ≤ 2", n)
			}
		})
	}
	code, _, stderr := run(t, "capacity", "-c", "prod", "--add", "api=lots")
	if code != ExitUsage || !strings.Contains(stderr, "invalid --add") {
		t.Errorf("bad --add: exit %d %s", code, stderr)
	}
	code, _, stderr = run(t, "capacity", "-c", "prod", "--add", "nosuch=2")
	if code != ExitAWS || !strings.Contains(stderr, "service prod/nosuch not found") {
		t.Errorf("unknown --add service: exit %d %s", code, stderr)
	}
	if m := sb.mutations(); len(m) != 0 {
		t.Errorf("capacity mutated: %v", m)
	}
}

// Throttling is waited out by the SDK's adaptive retries: the overviews
// still answer in full.
func TestE2EOverviewsUnderThrottling(t *testing.T) {
	parallel(t)
	startSandbox(t, "small", "throttle=0.15")
	code, stdout, stderr := run(t, "services", "-c", "small", "-o", "json")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var rows []overview.ServiceRow
	if err := json.Unmarshal([]byte(stdout), &rows); err != nil || len(rows) != 3 {
		t.Fatalf("%d rows, %v", len(rows), err)
	}
}
