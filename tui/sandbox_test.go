package tui

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"ecsctl/sim"
)

// Against the sandbox over HTTP with the real SDK clients: what the
// dashboard does lands in the sandbox's state.

func (sb *topSandbox) service(t *testing.T, cluster, name string) (desired int32) {
	t.Helper()
	out, err := sb.ecs.DescribeServices(context.Background(), &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: []string{name}})
	if err != nil || len(out.Services) != 1 {
		t.Fatalf("describe %s/%s: %v", cluster, name, err)
	}
	return out.Services[0].DesiredCount
}

func (sb *topSandbox) mutations() []string {
	var out []string
	for _, r := range sb.sim.MutatingRequests() {
		out = append(out, r.Service+"."+r.Op)
	}
	return out
}

func TestSandboxScaleServiceFromTheDashboard(t *testing.T) {
	sb := startTopSandbox(t, "demo")
	if got := sb.service(t, "prod", "api"); got != 4 {
		t.Fatalf("api starts at %d, want 4", got)
	}
	m := newTestModel(t, sb.options("prod", false), 120, 40)
	settle(t, m, m.Init())
	press(t, m, "/", "api", "enter") // api, admin-api, ...: select api itself
	for i := 0; i < len(m.table().rows) && selectedName(m) != "svc:api"; i++ {
		press(t, m, "j")
	}
	if selectedName(m) != "svc:api" {
		t.Fatalf("api not found:\n%s", m.View())
	}
	press(t, m, "S", "backspace", "6", "enter")
	if !strings.Contains(m.View(), "Scale prod/api from 4 to 6 tasks?") {
		t.Fatalf("confirmation:\n%s", m.View())
	}
	if muts := sb.mutations(); len(muts) != 0 {
		t.Fatalf("mutated before confirmation: %v", muts)
	}
	press(t, m, "y")
	if got := sb.service(t, "prod", "api"); got != 6 {
		t.Fatalf("desired count after the dashboard's scale: %d, want 6", got)
	}
	if !strings.Contains(m.View(), "prod/api desired 4 → 6") {
		t.Errorf("progress not shown:\n%s", m.View())
	}
	// The refresh after the action shows the new desired count.
	for _, r := range m.services {
		if r.Name == "api" && r.Desired != 6 {
			t.Errorf("dashboard shows desired %d after the action", r.Desired)
		}
	}
}

func TestSandboxDrainAndActivateInstance(t *testing.T) {
	sb := startTopSandbox(t, "demo")
	m := newTestModel(t, sb.options("prod", false), 120, 40)
	settle(t, m, m.Init())
	press(t, m, "3")
	arn, id, _, ok := m.selectedInstance()
	if !ok {
		t.Fatalf("no instance selected:\n%s", m.View())
	}
	press(t, m, "D")
	if !strings.Contains(m.View(), "Drain instance "+id+" of prod?") {
		t.Fatalf("confirmation:\n%s", m.View())
	}
	press(t, m, "y")
	status := func() string {
		out, err := sb.ecs.DescribeContainerInstances(context.Background(), &ecs.DescribeContainerInstancesInput{Cluster: aws.String("prod"), ContainerInstances: []string{arn}})
		if err != nil || len(out.ContainerInstances) != 1 {
			t.Fatalf("describe %s: %v", id, err)
		}
		return aws.ToString(out.ContainerInstances[0].Status)
	}
	if got := status(); got != "DRAINING" {
		t.Fatalf("instance %s is %s after drain, want DRAINING", id, got)
	}
	settle(t, m, m.refresh())
	if !strings.Contains(m.View(), "DRAINING") {
		t.Errorf("dashboard does not show DRAINING:\n%s", m.View())
	}
	press(t, m, "A", "y")
	if got := status(); got != "ACTIVE" {
		t.Fatalf("instance %s is %s after activate, want ACTIVE", id, got)
	}
	if rep := sb.sim.Report(); len(rep.TerminatedWithTasks) != 0 {
		t.Errorf("instances terminated with tasks: %+v", rep.TerminatedWithTasks)
	}
}

func TestSandboxThrottledRefreshKeepsLastGoodData(t *testing.T) {
	sb := startTopSandbox(t, "demo")
	m := newTestModel(t, sb.options("prod", true), 120, 40)
	settle(t, m, m.Init())
	good := len(m.services)
	if good != 90 {
		t.Fatalf("demo prod has %d services, want 90", good)
	}
	f, err := sim.ParseFaults("ecs:throttle=1")
	if err != nil {
		t.Fatal(err)
	}
	sb.sim.SetFaults(f)
	settle(t, m, m.refresh())
	v := m.View()
	if len(m.services) != good || !strings.Contains(v, "admin-api") {
		t.Fatalf("the throttled refresh dropped the data (%d services):\n%s", len(m.services), v)
	}
	if !strings.Contains(v, "⚠") || !strings.Contains(v, "Throttling") || !strings.Contains(v, "showing data from 10:10:00") {
		t.Fatalf("no throttling error in the status line:\n%s", v)
	}
	sb.sim.SetFaults(&sim.Faults{})
	settle(t, m, m.refresh())
	if strings.Contains(m.View(), "⚠") {
		t.Errorf("error stayed after recovery:\n%s", m.View())
	}
}

func TestSandboxReadOnlyChangesNothing(t *testing.T) {
	sb := startTopSandbox(t, "demo")
	m := newTestModel(t, sb.options("prod", true), 120, 40)
	settle(t, m, m.Init())
	press(t, m, "S", "6", "enter", "y", "F", "y", "B", "y", "3", "D", "y", "A", "y", "enter", "esc", "2", "enter")
	if muts := sb.mutations(); len(muts) != 0 {
		t.Fatalf("read-only dashboard mutated: %v", muts)
	}
	if len(sb.sim.Requests()) == 0 {
		t.Fatal("no requests at all: the test proves nothing")
	}
}

// The logs pane against the sandbox: it shows the lines the sandbox wrote
// for the service's tasks, each once, and follows the new ones.
func TestSandboxLogsPaneShowsWhatTheServiceWrote(t *testing.T) {
	sb := startTopSandbox(t, "small")
	m := newTestModel(t, sb.options("small", true), 120, 40)
	settle(t, m, m.Init())
	for i := 0; i < len(m.table().rows) && selectedName(m) != "svc:api"; i++ {
		press(t, m, "j")
	}
	if selectedName(m) != "svc:api" {
		t.Fatalf("api not found:\n%s", m.View())
	}
	since := sb.now.Add(-10 * time.Minute)
	d := openPane(t, m, keyL)
	shown := func() map[string]int {
		ids := map[string]int{}
		for _, l := range m.logs.lines {
			ids[l.id]++
		}
		return ids
	}
	// Everything written up to a minute ago (later events may still be
	// held back for ordering or arrive late) is shown.
	check := func(until time.Time) {
		t.Helper()
		want := sb.sim.LogEventsWritten("/ecs/small/api", nil, since, until)
		if len(want) == 0 {
			t.Fatal("the sandbox wrote nothing for api")
		}
		d.pump(func() bool {
			ids := shown()
			for _, w := range want {
				if ids[w.ID] == 0 {
					return false
				}
			}
			return true
		})
		all := map[string]sim.LogEventRecord{}
		for _, w := range sb.sim.LogEventsWritten("/ecs/small/api", nil, since, time.Time{}) {
			all[w.ID] = w
		}
		for id, n := range shown() {
			_, ok := all[id]
			switch {
			case n > 1:
				t.Errorf("event %s shown %d times", id, n)
			case !ok:
				t.Errorf("event %s was not written for api", id)
			}
		}
		for _, l := range m.logs.lines {
			if w := all[l.id]; topLogsClean(w.Message) != l.msg || !strings.HasSuffix(w.Stream, "/"+l.container+"/"+l.task) {
				t.Errorf("line %s: %q from %s, the sandbox wrote %q to %s", l.id, l.msg, l.container+"/"+l.task, w.Message, w.Stream)
				break
			}
		}
		t.Logf("%d lines shown, %d written up to %s", len(m.logs.lines), len(want), until.Format(time.RFC3339))
	}
	check(sb.now.Add(-time.Minute))
	v := m.View()
	last := m.logs.lines[len(m.logs.lines)-1]
	if !strings.Contains(v, topShortID(last.task)+"/"+last.container) || !strings.Contains(v, "following") {
		t.Errorf("the newest line is not on screen:\n%s", v)
	}
	// Time passes in the sandbox: the pane follows the new lines.
	before := len(m.logs.lines)
	sb.sim.Advance(3 * time.Minute)
	check(sb.now.Add(2 * time.Minute))
	if len(m.logs.lines) <= before {
		t.Errorf("no new lines followed (%d before, %d after)", before, len(m.logs.lines))
	}
	p := m.logs
	press(t, m, "esc")
	waitClosed(t, p.done, "the tail after esc")
	if muts := sb.mutations(); len(muts) != 0 {
		t.Errorf("the logs pane changed something: %v", muts)
	}
}
