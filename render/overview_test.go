package render

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"ecsctl/ops/overview"
)

func TestOverviewAge(t *testing.T) {
	for s, want := range map[int64]string{-5: "0s", 0: "0s", 59: "59s", 60: "1m", 3599: "59m", 3600: "1h", 3660: "1h1m", 86399: "23h59m", 86400: "1d", 90000: "1d1h", 60 * 86400: "60d"} {
		if got := OverviewAge(s); got != want {
			t.Errorf("OverviewAge(%d) = %s, want %s", s, got, want)
		}
	}
}

func TestStatusShowsTargetsOfNoTaskAndNeverTruncates(t *testing.T) {
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	started := now.Add(-90 * time.Second)
	long := strings.Repeat("x", 300)
	st := &overview.ServiceStatus{
		Service:     overview.ServiceRow{Cluster: "prod", Name: "api", Status: "ACTIVE", State: overview.ServiceStateRolling, Image: long},
		Deployments: []overview.DeploymentInfo{{ID: "ecs-svc/1", Status: "PRIMARY", RolloutState: "IN_PROGRESS", CreatedAt: now.Add(-time.Minute)}},
		Tasks:       []overview.TaskRow{{ID: "t1", InstanceID: "i-1", AZ: "us-east-1a", LastStatus: "RUNNING", StartedAt: &started, Revision: 7, TargetHealth: "healthy"}},
		Targets:     []overview.TargetRow{{TargetGroup: "tg", ID: "i-1", Port: 32768, State: "healthy", TaskID: "t1"}, {TargetGroup: "tg", ID: "i-2", Port: 32769, State: "draining", Reason: "Target.DeregistrationInProgress"}},
		Events:      []overview.ServiceEvent{{ID: "e", At: now, Message: "(service api) has started 1 tasks"}},
	}
	var b bytes.Buffer
	if err := ServiceStatus(&b, st, now); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{long, "(1m ago)", "targets of no running task:", "tg             i-2      32769   draining   Target.DeregistrationInProgress", "2026-11-21T10:00:00Z prod/api (service api) has started 1 tasks", "ecs-svc/1"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
	if strings.Contains(out, "\x1b[") {
		t.Error("escape codes in plain output")
	}
}
