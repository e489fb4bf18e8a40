package cmd

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"ecsctl/sim"
)

// The longest phase of a rolling deploy is ECS draining the old tasks from
// the load balancer: the CI log names it, with the target group's
// deregistration delay (read from ELBv2) and an estimate of the time left,
// instead of sitting on "4/4 running" with nothing said.
func TestE2EDeployProgressNamesTheDrainPhase(t *testing.T) {
	parallel(t)
	sb := startSandbox(t, "small", "")
	code, stdout, stderr := run(t, deployArgs("--service", "api", "--tag", sim.DemoNextTag)...)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	after := sb.service("small", "api")
	if !strings.HasSuffix(aws.ToString(after.TaskDefinition), ":6") || len(after.Deployments) != 1 {
		t.Fatalf("service not on the new revision: %s %+v", aws.ToString(after.TaskDefinition), after.Deployments)
	}
	var drain string
	for _, l := range strings.Split(stderr, "\n") {
		if strings.Contains(l, "draining 3 old task(s)") {
			drain = l
			break
		}
	}
	if drain == "" {
		t.Fatalf("no progress line names the drain of the 3 old tasks:\n%s", stderr)
	}
	for _, want := range []string{"new tasks healthy", "deregistration delay 300s", "left"} {
		if !strings.Contains(drain, want) {
			t.Errorf("drain line lacks %q: %s", want, drain)
		}
	}
}
