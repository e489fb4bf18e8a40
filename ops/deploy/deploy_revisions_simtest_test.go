package deploy_test

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"ecsctl/ops"
	"ecsctl/ops/deploy"
	"ecsctl/sim"
	"ecsctl/sim/simtest"
)

// Revisions, image checks and verdict counts of deploys in virtual time
// (they were cmd end-to-end tests at 600× speed; cmd keeps the flags, the
// exit codes and the text).

// activeRevisions counts the family's ACTIVE revisions.
func activeRevisions(t *testing.T, c *ecs.Client, family string) int {
	t.Helper()
	n := 0
	p := ecs.NewListTaskDefinitionsPaginator(c, &ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String(family), Status: types.TaskDefinitionStatusActive})
	for p.HasMorePages() {
		page, err := p.NextPage(t.Context())
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

func taskDefStatus(t *testing.T, c *ecs.Client, rev string) types.TaskDefinitionStatus {
	t.Helper()
	out, err := c.DescribeTaskDefinition(t.Context(), &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(rev)})
	if err != nil {
		t.Fatal(err)
	}
	return out.TaskDefinition.Status
}

// A first deploy on the demo world (api:42 with 41 older revisions)
// deregisters nothing unless KeepRevisions is set.
func TestSimDeployKeepsEveryRevisionByDefault(t *testing.T) {
	t.Parallel()
	sb := simtest.Start(t, "demo", simtest.Options{})
	d, c := simDeployer(sb)
	before := activeRevisions(t, c, "api")
	res, err := d.Deploy(t.Context(), deploy.Request{Cluster: "prod", Services: []string{"api"}, Tag: sim.DemoNextTag, Timeout: 30 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	r := res.Services[0]
	if r.Outcome != deploy.OutcomeSucceeded {
		t.Fatalf("outcome %s (%s)", r.Outcome, r.Reason)
	}
	if n := mutationCount(sb, "ecs.DeregisterTaskDefinition"); n != 0 || len(r.Deregistered) != 0 {
		t.Errorf("a deploy without KeepRevisions deregistered %d revisions: %v", n, r.Deregistered)
	}
	if after := activeRevisions(t, c, "api"); after != before+1 {
		t.Errorf("ACTIVE api revisions %d → %d, want one more", before, after)
	}
}

// With KeepRevisions, a dry run lists exactly the revisions the real run
// then deregisters, and changes nothing; the revision the service came
// from (the way back) and the new one stay ACTIVE.
func TestSimDeployPruneKeepsWhatIsInUseAndDryRunListsIt(t *testing.T) {
	t.Parallel()
	sb := simtest.Start(t, "small", simtest.Options{})
	d, c := simDeployer(sb)
	before := describeService(t, c, "small", "api") // api:5; api:1..4 exist too
	mutated := len(sb.Sim.MutatingRequests())
	res, err := d.Deploy(t.Context(), deploy.Request{Cluster: "small", Services: []string{"api"}, Tag: sim.DemoNextTag, KeepRevisions: 1, DryRun: true, Timeout: 30 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	would := res.Services[0].WouldDeregister
	if m := sb.Sim.MutatingRequests()[mutated:]; len(m) != 0 {
		t.Fatalf("dry run made mutating calls: %v", m)
	}
	res, err = d.Deploy(t.Context(), deploy.Request{Cluster: "small", Services: []string{"api"}, Tag: sim.DemoNextTag, KeepRevisions: 1, Timeout: 30 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	r := res.Services[0]
	if strings.Join(would, ",") != "api:4,api:3,api:2,api:1" || strings.Join(would, ",") != strings.Join(r.Deregistered, ",") {
		t.Errorf("dry run would deregister %v, the run deregistered %v", would, r.Deregistered)
	}
	for _, rev := range []string{"api:1", "api:2", "api:3", "api:4"} {
		if s := taskDefStatus(t, c, rev); s != types.TaskDefinitionStatusInactive {
			t.Errorf("%s is %s after pruning to one", rev, s)
		}
	}
	for _, arn := range []string{aws.ToString(before.TaskDefinition), r.NewTaskDefinition} {
		if s := taskDefStatus(t, c, arn); s != types.TaskDefinitionStatusActive {
			t.Errorf("%s is %s", arn, s)
		}
	}
}

// tagLiveRevision gives the service's live revision tags, as real accounts
// have them (the new revision copies them).
func tagLiveRevision(t *testing.T, c *ecs.Client, cluster, service string) types.Service {
	t.Helper()
	svc := describeService(t, c, cluster, service)
	if _, err := c.TagResource(t.Context(), &ecs.TagResourceInput{ResourceArn: svc.TaskDefinition,
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("payments")}}}); err != nil {
		t.Fatal(err)
	}
	return svc
}

// ForceNewDeployment with the live tag reuses the live revision (no
// duplicate registered) and starts a new deployment of it.
func TestSimDeployForceNewDeploymentReusesLiveRevision(t *testing.T) {
	t.Parallel()
	sb := simtest.Start(t, "small", simtest.Options{})
	d, c := simDeployer(sb)
	before := tagLiveRevision(t, c, "small", "api")
	res, err := d.Deploy(t.Context(), deploy.Request{Cluster: "small", Services: []string{"api"}, Tag: sim.DemoAPITag, ForceNewDeployment: true, Timeout: 30 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	r := res.Services[0]
	if n := mutationCount(sb, "ecs.RegisterTaskDefinition"); n != 0 {
		t.Errorf("registered %d revision(s) identical to the live one", n)
	}
	after := describeService(t, c, "small", "api")
	if aws.ToString(after.TaskDefinition) != aws.ToString(before.TaskDefinition) || r.NewTaskDefinition != aws.ToString(before.TaskDefinition) {
		t.Errorf("service runs %s (result %s), want the live %s", aws.ToString(after.TaskDefinition), r.NewTaskDefinition, aws.ToString(before.TaskDefinition))
	}
	if r.Outcome != deploy.OutcomeSucceeded || r.DeploymentID == "" || r.DeploymentID == aws.ToString(before.Deployments[0].Id) {
		t.Errorf("outcome %s deployment %s (before %s): want a new deployment", r.Outcome, r.DeploymentID, aws.ToString(before.Deployments[0].Id))
	}
	if len(after.Deployments) != 1 || aws.ToString(after.Deployments[0].Id) != r.DeploymentID {
		t.Errorf("service deployments %+v, want only %s", after.Deployments, r.DeploymentID)
	}
}

// ECS's failed-task count is reported as soon as it grows (before the
// failed tasks have drained and stopped) and is the verdict's count.
func TestSimDeployReportsECSFailedTaskCountEarly(t *testing.T) {
	t.Parallel()
	sb := simtest.Start(t, "small", simtest.Options{})
	d, _ := simDeployer(sb)
	var log progressLog
	d.Progress = log.event
	res, err := d.Deploy(t.Context(), deploy.Request{Cluster: "small", Services: []string{"api"}, Tag: "unhealthy-2c7d1e4", Timeout: 30 * time.Minute})
	if !errors.Is(err, ops.ErrFailed) || res == nil {
		t.Fatalf("err %v, want a failed deploy", err)
	}
	r := res.Services[0]
	tripped := -1
	for _, e := range sb.Sim.Report().Timeline {
		if e.Kind == "deployment-failed" && strings.Contains(e.Detail, "small/api") {
			if _, after, ok := strings.Cut(e.Detail, "tripped after "); ok {
				tripped, _ = strconv.Atoi(strings.Fields(after)[0])
			}
		}
	}
	if tripped <= 0 || int(r.FailedTasks) != tripped {
		t.Errorf("verdict counts %d failed tasks, ECS %d", r.FailedTasks, tripped)
	}
	text := log.text()
	first := strings.Index(text, "failed so far (ECS count)")
	rollback := strings.Index(text, "circuit breaker is rolling back")
	if first < 0 || rollback < 0 || first > rollback {
		t.Errorf("failed tasks not reported before the rollback (at %d, rollback at %d):\n%s", first, rollback, text)
	}
}

// An image that never passes load-balancer health checks: api (behind a
// target group, circuit breaker on) fails; worker (no load balancer) runs
// it fine. One service's failure does not stop the other's deploy.
func TestSimDeployTwoServicesOneFailing(t *testing.T) {
	t.Parallel()
	sb := simtest.Start(t, "small", simtest.Options{})
	d, c := simDeployer(sb)
	before := describeService(t, c, "small", "api")
	res, err := d.Deploy(t.Context(), deploy.Request{Cluster: "small", Services: []string{"api", "worker"}, Tag: "unhealthy-2c7d1e4", Timeout: 30 * time.Minute})
	if !errors.Is(err, ops.ErrFailed) || res == nil {
		t.Fatalf("err %v, want a failed deploy", err)
	}
	got := map[string]*deploy.ServiceResult{}
	for _, r := range res.Services {
		got[r.Service] = r
	}
	if got["worker"] == nil || got["worker"].Outcome != deploy.OutcomeSucceeded || got["api"] == nil ||
		(got["api"].Outcome != deploy.OutcomeBreakerRolledBack && got["api"].Outcome != deploy.OutcomeRolledBack) {
		t.Fatalf("outcomes %+v", res.Services)
	}
	if w := describeService(t, c, "small", "worker"); aws.ToString(w.TaskDefinition) != got["worker"].NewTaskDefinition {
		t.Errorf("worker runs %s, want %s", aws.ToString(w.TaskDefinition), got["worker"].NewTaskDefinition)
	}
	if a := describeService(t, c, "small", "api"); aws.ToString(a.TaskDefinition) != aws.ToString(before.TaskDefinition) {
		t.Errorf("api runs %s, want it back on %s", aws.ToString(a.TaskDefinition), aws.ToString(before.TaskDefinition))
	}
}

func hasNote(r *deploy.ServiceResult, parts ...string) bool {
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
func TestSimDeployImageCheckUnanswerableIsANote(t *testing.T) {
	t.Parallel()
	sb := simtest.Start(t, "edge", simtest.Options{})
	d, c := simDeployer(sb)
	registry := sb.Sim.ECRRegistry()
	deployWeb := func(image string) *deploy.ServiceResult {
		t.Helper()
		res, err := d.Deploy(t.Context(), deploy.Request{Cluster: sim.EdgeCluster, Services: []string{"web"}, Images: map[string]string{"app": image}, Timeout: 30 * time.Minute})
		if err != nil {
			t.Fatalf("deploy of %s: %v", image, err)
		}
		if len(res.Services) != 1 || res.Services[0].Outcome != deploy.OutcomeSucceeded {
			t.Fatalf("deploy of %s: result %+v", image, res.Services)
		}
		return res.Services[0]
	}

	foreign := sim.EdgeForeignRegistry + ".dkr.ecr.us-east-1.amazonaws.com/" + sim.EdgeForeignRepo + ":2026.12.0"
	r := deployWeb(foreign)
	if !hasNote(r, "not checked", "ecr:DescribeImages is denied", "account "+sim.EdgeForeignRegistry) {
		t.Errorf("no note on the other account's repository: %q", r.Notes)
	}
	denied := 0
	for _, rec := range sb.Sim.Requests() {
		if rec.Op == "DescribeImages" && rec.ErrorCode == "AccessDeniedException" {
			denied++
		}
	}
	if denied == 0 {
		t.Errorf("DescribeImages was not asked of the image's registry")
	}
	web := settle(t, sb, c, sim.EdgeCluster, "web")
	td, err := c.DescribeTaskDefinition(t.Context(), &ecs.DescribeTaskDefinitionInput{TaskDefinition: web.TaskDefinition})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(td.TaskDefinition.ContainerDefinitions[0].Image); got != foreign {
		t.Errorf("web runs %s", got)
	}

	ptc := registry + "/" + sim.EdgePTCPrefix + "/library/nginx:1.27"
	r = deployWeb(ptc)
	if !hasNote(r, "not checked", "pull-through cache "+sim.EdgePTCPrefix, "registry-1.docker.io") {
		t.Errorf("no note on the pull-through cache: %q", r.Notes)
	}
	// ECS pulled it through the cache: the repository exists now.
	if _, err := ecr.NewFromConfig(sb.Config).DescribeImages(t.Context(), &ecr.DescribeImagesInput{RepositoryName: aws.String(sim.EdgePTCPrefix + "/library/nginx"),
		ImageIds: []ecrtypes.ImageIdentifier{{ImageTag: aws.String("1.27")}}}); err != nil {
		t.Errorf("cached image: %v", err)
	}

	f, err := sim.ParseFaults("ecr.DescribeImages:deny=1")
	if err != nil {
		t.Fatal(err)
	}
	sb.Sim.SetFaults(f)
	r = deployWeb(registry + "/web:" + sim.DemoNextTag)
	if !hasNote(r, "not checked", "ecr:DescribeImages is denied on repository web") {
		t.Errorf("no note on the denied check: %q", r.Notes)
	}
	sb.Sim.SetFaults(nil)

	sb.Sim.ResetRequests()
	_, err = d.Deploy(t.Context(), deploy.Request{Cluster: sim.EdgeCluster, Services: []string{"web"}, Images: map[string]string{"app": registry + "/web:0000000"}, Timeout: 30 * time.Minute})
	var input *ops.InputError
	if !errors.As(err, &input) || !strings.Contains(err.Error(), "does not exist in ECR") {
		t.Errorf("a missing tag: err %v, want bad input", err)
	}
	if m := sb.Sim.MutatingRequests(); len(m) != 0 {
		t.Errorf("mutating calls made: %v", m)
	}
}
