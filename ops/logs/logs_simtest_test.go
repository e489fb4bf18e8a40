package logs_test

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"ecsctl/ops/logs"
	"ecsctl/sim"
	"ecsctl/sim/simtest"
)

// A follow that ends at --until re-lists the service's tasks before it
// stops: the tasks that started after the last re-list and before Until
// wrote inside the range too. Here re-lists are rarer than the follow is
// long (RelistEvery 1000), so only that last look finds the crash-looping
// service's replacement tasks; before it, their events were missed (the
// flake of TestE2ELogsShortLivedTasksBetweenRelistsAreRead/never under
// load, where re-lists slipped in virtual time).
func TestLogsFollowUntilReadsTasksStartedSinceTheLastRelist(t *testing.T) {
	w, err := sim.BuiltinWorld("small")
	if err != nil {
		t.Fatal(err)
	}
	w.Clusters[0].Services = append(w.Clusters[0].Services, sim.ServiceSpec{
		Name: "flappy", Revision: 1, Desired: 2, CPU: 16, Memory: 32,
		Containers: []sim.ContainerSpec{{Name: "app", Image: "api:crash-1", CPU: 16, Memory: 32}},
	})
	sb := simtest.StartWorld(t, w, simtest.Options{})
	sb.Sim.Lock()
	since := sb.Sim.Now().Truncate(time.Millisecond)
	sb.Sim.Unlock()
	until := since.Add(15 * time.Minute)

	cwl := cloudwatchlogs.NewFromConfig(sb.Config)
	var got []logs.Line
	tl := &logs.Tailer{
		ECS: ecs.NewFromConfig(sb.Config), Logs: func(string) logs.API { return cwl }, Region: sb.Config.Region,
		Clock: sb.Clock, PollInterval: 10 * time.Second, RelistEvery: 1000, LiveTail: "never",
		Emit: func(ls []logs.Line) error { got = append(got, ls...); return nil },
	}
	if err := tl.Tail(t.Context(), logs.Request{Cluster: "small", Service: "flappy", Follow: true, Since: since, Until: until}); err != nil {
		t.Fatal(err)
	}
	want := sb.Sim.LogEventsWritten("/ecs/small/flappy", nil, since, until)
	streams := map[string]bool{}
	for _, e := range want {
		streams[e.Stream] = true
	}
	if len(streams) < 4 {
		t.Fatalf("only %d streams wrote in the range: the test proves little", len(streams))
	}
	seen := map[string]bool{}
	for _, l := range got {
		if seen[l.ID] {
			t.Errorf("event %s printed twice", l.ID)
		}
		seen[l.ID] = true
	}
	missed := 0
	for _, e := range want {
		if !seen[e.ID] {
			missed++
		}
	}
	if missed > 0 || len(got) != len(want) {
		t.Errorf("printed %d events of %d written in the range, %d missed", len(got), len(want), missed)
	}
}
