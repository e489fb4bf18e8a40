package cmd

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"ecsctl/ops"
	"ecsctl/sim"
)

// Issue 14 items 2, 9 and 10: pruning is opt-in, dry runs and forced
// deployments compare the live revision with its tags, logs --task is
// bounded, and deploy/rollback verdicts follow what ECS reports.

func countMutations(sb *sandbox, op string) int {
	n := 0
	for _, m := range sb.mutations() {
		if m == op {
			n++
		}
	}
	return n
}

func activeRevisions(t *testing.T, sb *sandbox, family string) int {
	t.Helper()
	n := 0
	p := ecs.NewListTaskDefinitionsPaginator(sb.ecs, &ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String(family), Status: types.TaskDefinitionStatusActive})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, arn := range page.TaskDefinitionArns {
			if strings.Contains(arn, ":task-definition/"+family+":") {
				n++
			}
		}
	}
	return n
}

// A first deploy on the demo world (api:42 with 41 older revisions)
// deregisters nothing unless --keep-revisions is given.
func TestE2EDeployKeepsEveryRevisionByDefault(t *testing.T) {
	sb := startSandbox(t, "demo", "")
	before := activeRevisions(t, sb, "api")
	code, stdout, stderr := run(t, "deploy", "-c", "prod", "--service", "api", "--tag", sim.DemoNextTag, "--poll-interval", "20ms", "-o", "json")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	r := decodeResult(t, stdout).Services[0]
	if n := countMutations(sb, "ecs.DeregisterTaskDefinition"); n != 0 || len(r.Deregistered) != 0 {
		t.Errorf("a deploy without --keep-revisions deregistered %d revisions: %v", n, r.Deregistered)
	}
	if after := activeRevisions(t, sb, "api"); after != before+1 {
		t.Errorf("ACTIVE api revisions %d → %d, want one more", before, after)
	}
}

// With --keep-revisions, --dry-run lists exactly the revisions the real run
// then deregisters, and changes nothing.
func TestE2EDeployDryRunListsRevisionsItWouldPrune(t *testing.T) {
	sb := startSandbox(t, "small", "")
	code, stdout, stderr := run(t, deployArgs("--service", "api", "--tag", sim.DemoNextTag, "--keep-revisions", "1", "--dry-run")...)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	would := decodeResult(t, stdout).Services[0].WouldDeregister
	if m := sb.mutations(); len(m) != 0 {
		t.Fatalf("dry run made mutating calls: %v", m)
	}
	code, stdout, stderr = run(t, deployArgs("--service", "api", "--tag", sim.DemoNextTag, "--keep-revisions", "1")...)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	did := decodeResult(t, stdout).Services[0].Deregistered
	if strings.Join(would, ",") != "api:4,api:3,api:2,api:1" || strings.Join(would, ",") != strings.Join(did, ",") {
		t.Errorf("dry run would deregister %v, the run deregistered %v", would, did)
	}
	_, text, _ := run(t, "deploy", "-c", "small", "--service", "worker", "--tag", sim.DemoNextTag, "--keep-revisions", "3", "--dry-run")
	if !strings.Contains(text, "--keep-revisions would deregister:") {
		t.Errorf("text dry run does not list what pruning would deregister:\n%s", text)
	}
}

// tagLiveRevision gives the service's live revision tags, as real accounts
// have them (the new revision copies them).
func tagLiveRevision(t *testing.T, sb *sandbox, cluster, service string) types.Service {
	t.Helper()
	svc := sb.service(cluster, service)
	if _, err := sb.ecs.TagResource(context.Background(), &ecs.TagResourceInput{ResourceArn: svc.TaskDefinition,
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("payments")}}}); err != nil {
		t.Fatal(err)
	}
	return svc
}

// A dry run of the tag already running says already-deployed, as the real
// run does, instead of showing the live revision's tags as added.
func TestE2EDeployDryRunOfLiveTagIsAlreadyDeployed(t *testing.T) {
	sb := startSandbox(t, "small", "")
	tagLiveRevision(t, sb, "small", "api")
	tagged := len(sb.mutations())
	for _, extra := range [][]string{{"--dry-run"}, nil} {
		code, stdout, stderr := run(t, deployArgs(append([]string{"--service", "api", "--tag", sim.DemoAPITag}, extra...)...)...)
		if code != ExitOK {
			t.Fatalf("%v: exit %d\n%s\n%s", extra, code, stdout, stderr)
		}
		r := decodeResult(t, stdout).Services[0]
		if r.Outcome != ops.OutcomeAlreadyDeployed || r.Diff != "" {
			t.Errorf("%v: outcome %s, diff:\n%s", extra, r.Outcome, r.Diff)
		}
	}
	if m := sb.mutations()[tagged:]; len(m) != 0 {
		t.Fatalf("deploying the live tag made mutating calls: %v", m)
	}
}

// --force-new-deployment with the live tag reuses the live revision (no
// duplicate registered) and starts a new deployment of it.
func TestE2EDeployForceNewDeploymentReusesLiveRevision(t *testing.T) {
	sb := startSandbox(t, "small", "")
	before := tagLiveRevision(t, sb, "small", "api")
	code, stdout, stderr := run(t, deployArgs("--service", "api", "--tag", sim.DemoAPITag, "--force-new-deployment")...)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	r := decodeResult(t, stdout).Services[0]
	if n := countMutations(sb, "ecs.RegisterTaskDefinition"); n != 0 {
		t.Errorf("registered %d revision(s) identical to the live one", n)
	}
	after := sb.service("small", "api")
	if aws.ToString(after.TaskDefinition) != aws.ToString(before.TaskDefinition) || r.NewTaskDefinition != aws.ToString(before.TaskDefinition) {
		t.Errorf("service runs %s (result %s), want the live %s", aws.ToString(after.TaskDefinition), r.NewTaskDefinition, aws.ToString(before.TaskDefinition))
	}
	if r.Outcome != ops.OutcomeSucceeded || r.DeploymentID == "" || r.DeploymentID == aws.ToString(before.Deployments[0].Id) {
		t.Errorf("outcome %s deployment %s (before %s): want a new deployment", r.Outcome, r.DeploymentID, aws.ToString(before.Deployments[0].Id))
	}
}
