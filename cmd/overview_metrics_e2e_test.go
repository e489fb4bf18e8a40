package cmd

import (
	"ecsctl/ops/overview"
	"encoding/json"
	"strings"
	"testing"
)

// Utilization is optional: with GetMetricData denied, clusters, services
// and instances still answer (exit 0), utilization is unknown ("-" in
// text, null in JSON), and one note on stderr says why.
func TestE2EOverviewsWithMetricsDenied(t *testing.T) {
	parallel(t)
	sb := startSandbox(t, "small", "cloudwatch.GetMetricData:deny=1")
	const note = "note: utilization not shown: cloudwatch:GetMetricData is denied"
	for _, args := range [][]string{
		{"clusters"}, {"clusters", "-o", "json"},
		{"services", "-c", "small"}, {"services", "-c", "small", "-o", "json"},
		{"instances", "-c", "small"},
	} {
		code, stdout, stderr := run(t, args...)
		if code != ExitOK {
			t.Fatalf("%v: exit %d\n%s", args, code, stderr)
		}
		wantNotes := 1
		if args[0] == "instances" {
			wantNotes = 0 // instances reads no utilization
		}
		if n := strings.Count(stderr, note); n != wantNotes {
			t.Errorf("%v: %d notes, want %d:\n%s", args, n, wantNotes, stderr)
		}
		if strings.Count(stderr, "\n") > wantNotes {
			t.Errorf("%v: stderr has more than the note:\n%s", args, stderr)
		}
		switch strings.Join(args, " ") {
		case "clusters -o json":
			var rows []overview.ClusterSummary
			if err := json.Unmarshal([]byte(stdout), &rows); err != nil || len(rows) != 1 || rows[0].Services == 0 {
				t.Fatalf("%v: %v %s", args, err, stdout)
			}
			if rows[0].CPUUtilization != nil || rows[0].MemoryUtilization != nil {
				t.Errorf("utilization known with GetMetricData denied: %+v", rows[0])
			}
		case "services -c small -o json":
			var rows []overview.ServiceRow
			if err := json.Unmarshal([]byte(stdout), &rows); err != nil || len(rows) != 3 {
				t.Fatalf("%v: %v %s", args, err, stdout)
			}
			for _, r := range rows {
				if r.CPUUtilization != nil || r.Running == 0 {
					t.Errorf("service row %+v", r)
				}
			}
		case "services -c small":
			if !strings.Contains(stdout, "api") || !strings.Contains(stdout, " - ") {
				t.Errorf("text table:\n%s", stdout)
			}
		}
	}
	denied := 0
	for _, r := range sb.sim.Requests() {
		if r.Op == "GetMetricData" && r.ErrorCode == "AccessDenied" {
			denied++
		}
	}
	if denied == 0 {
		t.Errorf("GetMetricData was never asked")
	}
	if m := sb.mutations(); len(m) != 0 {
		t.Errorf("mutations: %v", m)
	}
}
