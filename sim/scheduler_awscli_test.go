package sim

import (
	"strings"
	"testing"
)

// TestAWSCLIReadsSchedulesAndRules reads the demo world's schedules and rule
// with the AWS CLI, an independent client of Scheduler's restJson1 and
// EventBridge's awsJson1_1.
func TestAWSCLIReadsSchedulesAndRules(t *testing.T) {
	_, run := awsCLISandbox(t, "demo", 1)
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
