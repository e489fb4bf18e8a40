package cmd

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"ecsctl/ops/deploy"
	"ecsctl/sim"
)

func hasNote(r deploy.ServiceResult, parts ...string) bool {
	for _, n := range r.Notes {
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(n, p)
		}
		if ok {
			return true
		}
	}
	return false
}

// --image reaches the image check, whose question ECR cannot answer (another
// account's repository denies DescribeImages) is a note, not a refusal. The
// other unanswerable cases and the deploys' verdicts: ops/deploy
// TestSimDeployImageCheckUnanswerableIsANote.
func TestE2EDeployImageCheckUnanswerableIsANote(t *testing.T) {
	parallel(t)
	sb := startSandbox(t, "edge", "")
	foreign := sim.EdgeForeignRegistry + ".dkr.ecr.us-east-1.amazonaws.com/" + sim.EdgeForeignRepo + ":2026.12.0"
	code, stdout, stderr := run(t, "deploy", "-c", sim.EdgeCluster, "--service", "web", "--image", "app="+foreign, "--no-wait", "-o", "json")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	r := *decodeResult(t, stdout).Services[0]
	if !hasNote(r, "not checked", "ecr:DescribeImages is denied", "account "+sim.EdgeForeignRegistry) {
		t.Errorf("no note on the other account's repository: %q", r.Notes)
	}
	td, _ := sb.taskDef(aws.ToString(sb.service(sim.EdgeCluster, "web").TaskDefinition))
	if got := aws.ToString(td.ContainerDefinitions[0].Image); got != foreign {
		t.Errorf("web's service is on %s", got)
	}
}
