package sim

import (
	"encoding/json"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// awsCLI finds the AWS CLI, preferring v2 from Debian's package.
func awsCLI(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/aws", "/usr/local/bin/aws"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("aws"); err == nil {
		return p
	}
	if os.Getenv("SANDBOX_AWSCLI") == "1" {
		t.Fatal("SANDBOX_AWSCLI=1 but no aws command is installed")
	}
	t.Skip("the AWS CLI is not installed (.ci/run installs Debian's awscli and sets SANDBOX_AWSCLI=1)")
	return ""
}

// awsCLISandbox serves the built-in world name (seed 3, two items a page,
// so the CLI follows NextToken) at speed, and returns the sandbox and a
// runner of the AWS CLI against it that decodes the JSON answer.
func awsCLISandbox(t *testing.T, name string, speed float64) (*Sim, func(args ...string) map[string]any) {
	t.Helper()
	cli := awsCLI(t)
	w, _ := BuiltinWorld(name)
	s := New(Options{Seed: 3, Speed: speed, PageSize: 2})
	if err := s.LoadWorld(w); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(NewServer(s, DefaultRegistry))
	t.Cleanup(srv.Close)
	home := t.TempDir()
	return s, func(args ...string) map[string]any {
		t.Helper()
		cmd := exec.Command(cli, append(args, "--endpoint-url", srv.URL, "--region", "us-east-1", "--output", "json", "--no-cli-pager")...)
		cmd.Env = []string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "AWS_ACCESS_KEY_ID=AKIDSANDBOX", "AWS_SECRET_ACCESS_KEY=sandbox", "AWS_PAGER=", "AWS_EC2_METADATA_DISABLED=true"}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		var m map[string]any
		if err := json.Unmarshal(out, &m); err != nil {
			t.Fatalf("aws %s: not JSON: %s", strings.Join(args, " "), out)
		}
		return m
	}
}

// TestAWSCLIAgainstTheSmallWorld drives a sandbox holding the small world
// with the AWS CLI — a second, independent client of the wire protocols —
// and checks what it reads: clusters, services, Auto Scaling groups,
// instances, log events, an SSM parameter and ECR images.
func TestAWSCLIAgainstTheSmallWorld(t *testing.T) {
	s, run := awsCLISandbox(t, "small", 60)
	list := func(m map[string]any, key string) []any {
		v, _ := m[key].([]any)
		return v
	}

	if got := list(run("ecs", "list-clusters"), "clusterArns"); len(got) != 1 || !strings.HasSuffix(got[0].(string), ":cluster/small") {
		t.Errorf("list-clusters: %v", got)
	}
	// The CLI follows nextToken itself: page size 2 holds 3 services.
	if got := list(run("ecs", "list-services", "--cluster", "small"), "serviceArns"); len(got) != 3 {
		t.Errorf("list-services (paged by 2): %v", got)
	}
	svcs := list(run("ecs", "describe-services", "--cluster", "small", "--services", "api", "web"), "services")
	if len(svcs) != 2 {
		t.Fatalf("describe-services: %v", svcs)
	}
	api := svcs[0].(map[string]any)
	if api["serviceName"] != "api" || api["desiredCount"].(float64) != 3 || len(api["deployments"].([]any)) != 1 {
		t.Errorf("describe-services api: %v", api)
	}
	groups := list(run("autoscaling", "describe-auto-scaling-groups", "--auto-scaling-group-names", "small-ecs"), "AutoScalingGroups")
	if len(groups) != 1 || groups[0].(map[string]any)["DesiredCapacity"].(float64) != 3 || len(groups[0].(map[string]any)["Instances"].([]any)) != 3 {
		t.Errorf("describe-auto-scaling-groups: %v", groups)
	}
	reservations := list(run("ec2", "describe-instances", "--filters", "Name=tag:aws:autoscaling:groupName,Values=small-ecs"), "Reservations")
	instances := 0
	for _, r := range reservations {
		instances += len(r.(map[string]any)["Instances"].([]any))
	}
	if instances != 3 {
		t.Errorf("describe-instances: %d instances in %v", instances, reservations)
	}
	s.Advance(0)
	events := list(run("logs", "filter-log-events", "--log-group-name", "/ecs/small/api", "--max-items", "50"), "events")
	if len(events) == 0 {
		t.Errorf("filter-log-events: no events")
	}
	p := run("ssm", "get-parameter", "--name", RecommendedAMIParam)["Parameter"].(map[string]any)
	if p["Value"] != DemoNewAMI {
		t.Errorf("get-parameter: %v", p)
	}
	imgs := list(run("ecr", "describe-images", "--repository-name", "api", "--image-ids", "imageTag="+DemoNextTag), "imageDetails")
	if len(imgs) != 1 {
		t.Errorf("ecr describe-images: %v", imgs)
	}
}
