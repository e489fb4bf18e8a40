package cmd

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"

	"ecsctl/ops/deploy"
	"ecsctl/sim"
)

// edgeDeploy deploys edge/web with extra arguments and returns the result.
func edgeDeploy(t *testing.T, wantCode int, extra ...string) (deploy.ServiceResult, string) {
	t.Helper()
	args := append([]string{"deploy", "-c", sim.EdgeCluster, "--service", "web", "--poll-interval", "20ms", "-o", "json"}, extra...)
	code, stdout, stderr := run(t, args...)
	if code != wantCode {
		t.Fatalf("%v: exit %d, want %d\n%s\n%s", extra, code, wantCode, stdout, stderr)
	}
	if wantCode != ExitOK {
		return deploy.ServiceResult{}, stderr
	}
	res := decodeResult(t, stdout)
	if len(res.Services) != 1 || res.Services[0].Outcome != deploy.OutcomeSucceeded {
		t.Fatalf("%v: result %+v", extra, res.Services)
	}
	return *res.Services[0], stderr
}

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

// The image check never blocks a deploy on a question ECR cannot answer:
// another account's repository that denies DescribeImages, a pull-through
// cache not pulled yet, a denied DescribeImages in this account. Each is a
// note, and the deploy runs to its verdict with the image the tasks pull.
// A tag definitely missing from a repository this account reads still
// refuses, changing nothing.
func TestE2EDeployImageCheckUnanswerableIsANote(t *testing.T) {
	parallel(t)
	sb := startSandbox(t, "edge", "")
	ctx := context.Background()
	registry := sb.sim.ECRRegistry()

	foreign := sim.EdgeForeignRegistry + ".dkr.ecr.us-east-1.amazonaws.com/" + sim.EdgeForeignRepo + ":2026.12.0"
	r, _ := edgeDeploy(t, ExitOK, "--image", "app="+foreign)
	if !hasNote(r, "not checked", "ecr:DescribeImages is denied", "account "+sim.EdgeForeignRegistry) {
		t.Errorf("no note on the other account's repository: %q", r.Notes)
	}
	denied := 0
	for _, rec := range sb.sim.Requests() {
		if rec.Op == "DescribeImages" && rec.ErrorCode == "AccessDeniedException" {
			denied++
		}
	}
	if denied == 0 {
		t.Errorf("DescribeImages was not asked of the image's registry")
	}
	sb.waitSteady(sim.EdgeCluster, "web")
	td, _ := sb.taskDef(aws.ToString(sb.service(sim.EdgeCluster, "web").TaskDefinition))
	if got := aws.ToString(td.ContainerDefinitions[0].Image); got != foreign {
		t.Errorf("web runs %s", got)
	}

	ptc := registry + "/" + sim.EdgePTCPrefix + "/library/nginx:1.27"
	r, _ = edgeDeploy(t, ExitOK, "--image", "app="+ptc)
	if !hasNote(r, "not checked", "pull-through cache "+sim.EdgePTCPrefix, "registry-1.docker.io") {
		t.Errorf("no note on the pull-through cache: %q", r.Notes)
	}
	// ECS pulled it through the cache: the repository exists now.
	if _, err := sb.ecr.DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: aws.String(sim.EdgePTCPrefix + "/library/nginx"),
		ImageIds: []ecrtypes.ImageIdentifier{{ImageTag: aws.String("1.27")}}}); err != nil {
		t.Errorf("cached image: %v", err)
	}

	f, err := sim.ParseFaults("ecr.DescribeImages:deny=1")
	if err != nil {
		t.Fatal(err)
	}
	sb.sim.SetFaults(f)
	r, _ = edgeDeploy(t, ExitOK, "--image", "app="+registry+"/web:"+sim.DemoNextTag)
	if !hasNote(r, "not checked", "ecr:DescribeImages is denied on repository web") {
		t.Errorf("no note on the denied check: %q", r.Notes)
	}
	sb.sim.SetFaults(nil)

	sb.sim.ResetRequests()
	_, stderr := edgeDeploy(t, ExitUsage, "--image", "app="+registry+"/web:0000000")
	if !strings.Contains(stderr, "does not exist in ECR") {
		t.Errorf("stderr %q", stderr)
	}
	if m := sb.mutations(); len(m) != 0 {
		t.Errorf("mutating calls made: %v", m)
	}
}
