package cmd

import (
	"regexp"
	"strings"
	"testing"

	"ecsctl/sim"
)

// phaseLines are the CI lines of stderr that contain want.
func phaseLines(stderr, want string) []string {
	var out []string
	for _, l := range strings.Split(stderr, "\n") {
		if strings.Contains(l, want) {
			out = append(out, l)
		}
	}
	return out
}

// rotate-ami's CI log names what AWS does in each wait and how long it
// should take yet: the new instances' boot (the usual 90 s until this run
// has seen one of its own, then what they took) and each batch's drain
// (tasks to move, then the moved tasks draining for the target group's
// deregistration delay, read from ELBv2).
func TestE2ERotateProgressNamesEachPhase(t *testing.T) {
	sb := startSandbox(t, "small", "")
	code, stdout, stderr := run(t, rotateArgs("small", "--yes", "--standalone-tasks", "stop", "--batch", "1")...)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	if amis := sb.rotateAMIs("small"); amis["ACTIVE "+sim.DemoNewAMI] != 3 || len(amis) != 1 {
		t.Fatalf("instances after the run: %v", amis)
	}
	first := phaseLines(stderr, "to boot and register (usually about 1m30s), about")
	learnt := phaseLines(stderr, "to boot and register (this run's took ")
	if len(first) == 0 || len(learnt) == 0 {
		t.Errorf("the boot waits are not named, first with the usual time then with this run's:\n%s", stderr)
	}
	moving := regexp.MustCompile(`small batch [12]/2 waiting: .* · draining 1 instance · [0-9]+ tasks? to move or stop · deregistration delay 300s, (about [0-9]+[ms] left|any moment now)`)
	draining := regexp.MustCompile(`small batch [12]/2 waiting: .* · draining 1 instance · [0-9]+ tasks? stopping, their targets draining · deregistration delay 300s, (about [0-9]+[ms] left|any moment now)`)
	if !moving.MatchString(stderr) || !draining.MatchString(stderr) {
		t.Errorf("the drain's phases are not named with the deregistration delay and an estimate:\n%s", stderr)
	}
}

// scale cluster shares the waits: scale-in names the drain (the demo's
// emptiest instances run standalone tasks only: stopping, no load
// balancer), scale-out the boot of the new instances.
func TestE2EScaleClusterProgressNamesEachPhase(t *testing.T) {
	sb := startSandbox(t, "demo", "")
	code, stdout, stderr := run(t, scaleClusterArgs("prod", "--count", "47", "--yes", "--standalone-tasks", "stop")...)
	if code != ExitOK {
		t.Fatalf("scale-in: exit %d\n%s\n%s", code, stdout, stderr)
	}
	sb.checkScaled(t, 47)
	if !regexp.MustCompile(`prod batch 1/1 waiting: .* · draining 3 instances · [0-9]+ tasks? (to move or stop|stopping)`).MatchString(stderr) {
		t.Errorf("scale-in does not name the drain:\n%s", stderr)
	}
	code, stdout, stderr = run(t, scaleClusterArgs("prod", "--count", "50", "--yes")...)
	if code != ExitOK {
		t.Fatalf("scale-out: exit %d\n%s\n%s", code, stdout, stderr)
	}
	sb.checkScaled(t, 50)
	if len(phaseLines(stderr, "waiting for 3 new instances to boot and register (usually about 1m30s), about")) == 0 {
		t.Errorf("scale-out does not name the boot:\n%s", stderr)
	}
}

// scale service --wait names the tasks ECS still starts, with an estimate,
// on its CI lines.
func TestE2EScaleServiceProgressNamesThePhase(t *testing.T) {
	sb := startSandbox(t, "small", "")
	sb.waitSteady("small", "worker")
	code, stdout, stderr := run(t, scaleServiceArgs("-s", "worker", "--count", "5", "--wait")...)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	if svc := sb.service("small", "worker"); svc.DesiredCount != 5 || svc.RunningCount != 5 {
		t.Fatalf("sandbox: desired %d running %d", svc.DesiredCount, svc.RunningCount)
	}
	if !regexp.MustCompile(`small/worker [0-9]/5 running, [0-9] pending · (ECS places and starts|starting) [0-9] tasks?.* · (usually about 20s|the first took [0-9ms]+), (about [0-9]+[ms] left|any moment now)`).MatchString(stderr) {
		t.Errorf("the scale-out's phase is not named:\n%s", stderr)
	}
}
