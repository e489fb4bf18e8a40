package sim

import (
	"encoding/json"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestAWSCLIReadsSchedulesAndRules reads the demo world's schedules and rule
// with the AWS CLI, an independent client of Scheduler's restJson1 and
// EventBridge's awsJson1_1.
func TestAWSCLIReadsSchedulesAndRules(t *testing.T) {
	cli := awsCLI(t)
	w, _ := BuiltinWorld("demo")
	s := New(Options{Seed: 3, Speed: 1, PageSize: 2})
	if err := s.LoadWorld(w); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(NewServer(s, DefaultRegistry))
	defer srv.Close()
	home := t.TempDir()
	run := func(args ...string) map[string]any {
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
	// The CLI follows NextToken itself (page size 2, three schedules).
	list, _ := run("scheduler", "list-schedules")["Schedules"].([]any)
	if len(list) != 3 {
		t.Fatalf("list-schedules: %d schedules, want 3", len(list))
	}
	got := run("scheduler", "get-schedule", "--name", "api-cache-warm")
	target, _ := got["Target"].(map[string]any)
	ecsp, _ := target["EcsParameters"].(map[string]any)
	if got["ScheduleExpression"] != "rate(6 hours)" || !strings.HasSuffix(ecsp["TaskDefinitionArn"].(string), "task-definition/api:40") {
		t.Errorf("get-schedule api-cache-warm = %v", got)
	}
	rules, _ := run("events", "list-rules")["Rules"].([]any)
	if len(rules) != 1 || rules[0].(map[string]any)["ScheduleExpression"] != "cron(0 6 ? * MON *)" {
		t.Errorf("list-rules = %v", rules)
	}
	targets, _ := run("events", "list-targets-by-rule", "--rule", "weekly-digest")["Targets"].([]any)
	if len(targets) != 1 {
		t.Fatalf("list-targets-by-rule = %v", targets)
	}
	tp, _ := targets[0].(map[string]any)["EcsParameters"].(map[string]any)
	if !strings.HasSuffix(tp["TaskDefinitionArn"].(string), "nightly-report:1") {
		t.Errorf("rule target = %v", targets[0])
	}
}
