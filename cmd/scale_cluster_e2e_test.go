package cmd

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"ecsctl/sim"
)

func scaleClusterArgs(cluster string, extra ...string) []string {
	return append([]string{"scale", "cluster", "-c", cluster, "--poll-interval", "20ms", "-o", "json"}, extra...)
}

func (sb *sandbox) checkScaled(t *testing.T, want int) {
	t.Helper()
	g := sb.rotateASG("prod-ecs").AutoScalingGroups[0]
	if aws.ToInt32(g.DesiredCapacity) != int32(want) {
		t.Errorf("desired %d, want %d", aws.ToInt32(g.DesiredCapacity), want)
	}
	amis := sb.rotateAMIs("prod")
	if n := amis["ACTIVE "+sim.DemoOldAMI] + amis["ACTIVE "+sim.DemoNewAMI]; n != want || amis["DRAINING "+sim.DemoOldAMI]+amis["DRAINING "+sim.DemoNewAMI] != 0 {
		t.Errorf("container instances %v, want %d ACTIVE", amis, want)
	}
	rep := sb.sim.Report()
	if len(rep.Violations) != 0 || len(rep.TerminatedWithTasks) != 0 || len(rep.KilledNoReplacement) != 0 {
		t.Errorf("invariants broken: %v %+v %+v", rep.Violations, rep.TerminatedWithTasks, rep.KilledNoReplacement)
	}
}

func TestE2EScaleClusterInDrainsAndOut(t *testing.T) {
	parallel(t)
	sb := startSandbox(t, "demo", "")
	sb.sim.ResetReport()
	code, stdout, stderr := run(t, scaleClusterArgs("prod", "--count", "47", "--yes", "--standalone-tasks", "stop")...)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, `"instancesRemoved"`) || !strings.Contains(stderr, "DRAINING") {
		t.Errorf("no drain reported:\n%s\n%s", stdout, stderr)
	}
	sb.checkScaled(t, 47)

	code, stdout, stderr = run(t, scaleClusterArgs("prod", "--count", "50", "--yes")...)
	if code != ExitOK || !strings.Contains(stdout, `"instancesLaunched"`) {
		t.Fatalf("scale-out: exit %d\n%s\n%s", code, stdout, stderr)
	}
	sb.checkScaled(t, 50)
}

func TestE2EScaleClusterInResumesAfterKill(t *testing.T) {
	parallel(t)
	sb := startSandbox(t, "demo", "")
	sb.sim.ResetReport()
	code, stdout, stderr := runCancelAt(t, "DRAINING", scaleClusterArgs("prod", "--count", "48", "--yes", "--standalone-tasks", "stop")...)
	if code != ExitInterrupted {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	code, stdout, stderr = run(t, scaleClusterArgs("prod", "--count", "48", "--yes", "--standalone-tasks", "stop")...)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	sb.checkScaled(t, 48)
}

func TestE2EScaleClusterRefusals(t *testing.T) {
	parallel(t)
	w := smallPinned()
	w.AutoScalingGroups[0].Min = 1
	sb := startSandboxWorld(t, w, "")
	sb.sim.ResetRequests()
	code, stdout, stderr := run(t, scaleClusterArgs("small", "--count", "2", "--dry-run")...)
	if code != ExitOK || !strings.Contains(stdout, `"dry-run"`) || len(sb.mutations()) != 0 {
		t.Errorf("dry run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--count", "1", "--yes"}, "cannot hold the tasks"},
		{[]string{"--count", "7", "--yes"}, "above the max size 6 of small-ecs: pass --raise-max"},
	} {
		sb.sim.ResetRequests()
		code, stdout, stderr := run(t, scaleClusterArgs("small", tc.args...)...)
		if code != ExitUsage || !strings.Contains(stderr, tc.want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("%v: exit %d, want 2 with %q\n%s\n%s", tc.args, code, tc.want, stdout, stderr)
		}
		if m := sb.mutations(); len(m) != 0 {
			t.Errorf("%v: mutating calls %v", tc.args, m)
		}
	}
	sb.sim.ResetRequests()
	code, _, stderr = run(t, scaleClusterArgs("small", "--count", "-1", "--yes")...)
	if code != ExitUsage || !strings.Contains(stderr, "invalid --count -1") || len(sb.sim.Requests()) != 0 {
		t.Errorf("negative count: exit %d %s, %d requests", code, stderr, len(sb.sim.Requests()))
	}
}
