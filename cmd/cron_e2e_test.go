package cmd

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"

	"ecsctl/ops/cron"
	"ecsctl/sim"
)

// cronWorld is the small world with prod-like scheduled tasks: one healthy
// (the family's standalone task is its run), one whose revision does not
// exist and that failed twice, one pinned to an old revision of a service's
// family (in its own group), and a weekly rule.
func cronWorld(t *testing.T) *sim.World {
	t.Helper()
	w, err := sim.BuiltinWorld("small")
	if err != nil {
		t.Fatal(err)
	}
	w.Schedules = []sim.ScheduleSpec{
		{Name: "nightly-migrate", Expression: "cron(0 3 * * ? *)", Timezone: "Europe/Berlin", Cluster: "small", TaskDefinition: "db-migrate:1", AgeHours: 24 * 10},
		{Name: "broken-export", Group: "reports", Expression: "cron(30 3 * * ? *)", Cluster: "small", TaskDefinition: "db-migrate:7", AgeHours: 24 * 10, PastFailures: 2},
		{Name: "api-warm", Group: "warmers", Expression: "rate(6 hours)", Cluster: "small", TaskDefinition: "api:3", AgeHours: 24 * 10},
	}
	w.Rules = []sim.RuleSpec{{Name: "weekly-digest", Expression: "cron(0 6 ? * MON *)", Cluster: "small", TaskDefinition: "db-migrate:1"}}
	return w
}

type cronClients struct {
	sched *scheduler.Client
	ev    *eventbridge.Client
}

func (sb *sandbox) cronClients() cronClients {
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""), BaseEndpoint: aws.String(sb.url)}
	return cronClients{sched: scheduler.NewFromConfig(cfg), ev: eventbridge.NewFromConfig(cfg)}
}

func cronJobs(t *testing.T, stdout string) map[string]cron.Job {
	t.Helper()
	var jobs []cron.Job
	if err := json.Unmarshal([]byte(stdout), &jobs); err != nil {
		t.Fatalf("cron list -o json is not JSON: %v\n%s", err, stdout)
	}
	out := map[string]cron.Job{}
	for _, j := range jobs {
		out[j.Name] = j
	}
	return out
}

func TestE2ECronListShowsSchedulesRulesAndVerdicts(t *testing.T) {
	parallel(t)
	sb := startSandboxWorld(t, cronWorld(t), "")
	code, stdout, stderr := run(t, "cron", "list", "-c", "small", "-o", "json")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	jobs := cronJobs(t, stdout)
	if len(jobs) != 4 {
		t.Fatalf("jobs = %d, want 3 schedules and a rule:\n%s", len(jobs), stdout)
	}
	now := sb.sim.Now()
	berlin, _ := time.LoadLocation("Europe/Berlin")
	nm := jobs["nightly-migrate"]
	if nm.Verdict != cron.VerdictOK || nm.NextRun == nil || nm.NextRun.In(berlin).Hour() != 3 || nm.NextRun.In(berlin).Minute() != 0 ||
		nm.NextRun.Sub(now) > 25*time.Hour || nm.NextRun.Before(now.Add(-time.Minute)) || nm.Timezone != "Europe/Berlin" {
		t.Errorf("nightly-migrate = %+v (now %s)", nm, now)
	}
	if len(nm.Runs) != 1 || nm.Runs[0].LastStatus != "RUNNING" {
		t.Errorf("nightly-migrate runs = %+v, want the family's running standalone task", nm.Runs)
	}
	be := jobs["broken-export"]
	if be.Verdict != cron.VerdictFailing || !strings.Contains(be.Reason, "db-migrate:7 does not exist") || be.FailedInvocations != 2 || be.FailureScope != "schedule group reports" || len(be.Runs) != 0 {
		t.Errorf("broken-export = %+v", be)
	}
	aw := jobs["api-warm"]
	if aw.Verdict != cron.VerdictStale || aw.Revision != 3 || aw.ServiceRevision != 5 || aw.ServiceName != "api" || aw.Group != "warmers" {
		t.Errorf("api-warm = %+v", aw)
	}
	wd := jobs["weekly-digest"]
	if wd.Kind != cron.KindRule || wd.Verdict != cron.VerdictNeverRan || wd.NextRun == nil || wd.NextRun.UTC().Weekday() != time.Monday || wd.NextRun.UTC().Hour() != 6 {
		t.Errorf("weekly-digest = %+v", wd)
	}
	code, stdout, _ = run(t, "cron", "list", "-c", "small")
	for _, want := range []string{"VERDICT", "reports/broken-export", "db-migrate:7 (missing)", "api:3 (service api: :5)", "stale revision", "never ran", "2 (group)"} {
		if code != ExitOK || !strings.Contains(stdout, want) {
			t.Errorf("cron list text lacks %q (exit %d):\n%s", want, code, stdout)
		}
	}
	code, stdout, _ = run(t, "cron", "show", "-c", "small", "broken-export")
	for _, want := range []string{"schedule reports/broken-export", "failing — task definition db-migrate:7 does not exist", "per schedule group", "about 1h"} {
		if code != ExitOK || !strings.Contains(stdout, want) {
			t.Errorf("cron show lacks %q (exit %d):\n%s", want, code, stdout)
		}
	}
	if m := sb.mutations(); len(m) != 0 {
		t.Errorf("cron list/show changed something: %v", m)
	}
}

func TestE2ECronPauseResumeKeepsTheWholeSchedule(t *testing.T) {
	parallel(t)
	sb := startSandboxWorld(t, cronWorld(t), "")
	cc := sb.cronClients()
	ctx := context.Background()
	get := func() *scheduler.GetScheduleOutput {
		g, err := cc.sched.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: aws.String("api-warm"), GroupName: aws.String("warmers")})
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	before := get()
	code, stdout, stderr := run(t, "cron", "pause", "-c", "small", "--dry-run", "api-warm")
	if code != ExitOK || !strings.Contains(stdout, "would pause schedule warmers/api-warm: ENABLED → DISABLED") || get().State != "ENABLED" || len(sb.mutations()) != 0 {
		t.Fatalf("dry run: exit %d\n%s\n%s\nmutations %v", code, stdout, stderr, sb.mutations())
	}
	code, stdout, stderr = run(t, "cron", "pause", "-c", "small", "warmers/api-warm")
	after := get()
	if code != ExitOK || after.State != "DISABLED" {
		t.Fatalf("pause: exit %d state %s\n%s\n%s", code, after.State, stdout, stderr)
	}
	// UpdateSchedule replaces the schedule: everything but State must
	// have been sent back as it was.
	if !reflect.DeepEqual(before.Target, after.Target) || aws.ToString(before.ScheduleExpression) != aws.ToString(after.ScheduleExpression) ||
		aws.ToString(before.ScheduleExpressionTimezone) != aws.ToString(after.ScheduleExpressionTimezone) || !reflect.DeepEqual(before.FlexibleTimeWindow, after.FlexibleTimeWindow) {
		t.Errorf("pause changed more than the state:\nbefore %+v\nafter  %+v", before, after)
	}
	code, stdout, _ = run(t, "cron", "pause", "-c", "small", "api-warm")
	if code != ExitOK || !strings.Contains(stdout, "already DISABLED") {
		t.Errorf("second pause: exit %d\n%s", code, stdout)
	}
	code, _, _ = run(t, "cron", "resume", "-c", "small", "api-warm")
	if code != ExitOK || get().State != "ENABLED" {
		t.Errorf("resume: exit %d state %s", code, get().State)
	}
	code, _, _ = run(t, "cron", "pause", "-c", "small", "weekly-digest")
	r, err := cc.ev.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String("weekly-digest")})
	if code != ExitOK || err != nil || r.State != "DISABLED" {
		t.Errorf("pause rule: exit %d, %v, state %v", code, err, r)
	}
	code, _, _ = run(t, "cron", "resume", "-c", "small", "weekly-digest")
	r, err = cc.ev.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String("weekly-digest")})
	if code != ExitOK || err != nil || r.State != "ENABLED" {
		t.Errorf("resume rule: exit %d, %v, state %v", code, err, r)
	}
	calls := sb.mutations()
	want := []string{"scheduler.UpdateSchedule", "scheduler.UpdateSchedule", "events.DisableRule", "events.EnableRule"}
	if !reflect.DeepEqual(calls, want) {
		t.Errorf("mutating calls = %v, want %v", calls, want)
	}
}

// cron run follows the task like ecsctl run: its logs on stdout and its
// main container's exit code.
func TestE2ECronRunFollowsAndExitsWithTheContainersCode(t *testing.T) {
	parallel(t)
	w := cronWorld(t)
	w.Schedules = append(w.Schedules, sim.ScheduleSpec{Name: "nightly-report", Expression: "cron(0 4 * * ? *)", Cluster: "small", TaskDefinition: "report:1", AgeHours: 24})
	sb := startSandboxWorld(t, w, "")
	_, err := sb.ecs.RegisterTaskDefinition(context.Background(), &ecs.RegisterTaskDefinitionInput{
		Family: aws.String("report"), Cpu: aws.String("256"), Memory: aws.String("256"),
		ContainerDefinitions: []types.ContainerDefinition{{
			Name: aws.String("report"), Image: aws.String("busybox"), Essential: aws.Bool(true),
			Command: []string{"sh", "-c", "echo report written; exit 3"},
			LogConfiguration: &types.LogConfiguration{LogDriver: types.LogDriverAwslogs, Options: map[string]string{
				"awslogs-group": "/ecs/small/api", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "ecs"}},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := run(t, "cron", "run", "-c", "small", "--poll-interval", "20ms", "nightly-report")
	if code != 3 || strings.TrimSpace(stdout) != "report written" {
		t.Fatalf("cron run nightly-report: exit %d, want 3 and the container's line\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	arns, err := sb.ecs.ListTasks(context.Background(), &ecs.ListTasksInput{Cluster: aws.String("small"), Family: aws.String("report"), DesiredStatus: types.DesiredStatusStopped})
	if err != nil || len(arns.TaskArns) != 1 {
		t.Fatalf("stopped report tasks: %v %v, want the one cron run started", err, arns)
	}
}

func TestE2ECronRunStartsTheTargetsTask(t *testing.T) {
	parallel(t)
	sb := startSandboxWorld(t, cronWorld(t), "")
	code, stdout, stderr := run(t, "cron", "run", "-c", "small", "--no-wait", "nightly-migrate")
	arn := strings.TrimSpace(stdout)
	if code != ExitOK || !strings.HasPrefix(arn, "arn:aws:ecs:") {
		t.Fatalf("cron run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	out, err := sb.ecs.DescribeTasks(context.Background(), &ecs.DescribeTasksInput{Cluster: aws.String("small"), Tasks: []string{arn}})
	if err != nil || len(out.Tasks) != 1 {
		t.Fatalf("describe the started task: %v %+v", err, out)
	}
	if tk := out.Tasks[0]; !strings.HasSuffix(aws.ToString(tk.TaskDefinitionArn), "task-definition/db-migrate:1") || aws.ToString(tk.Group) != "family:db-migrate" {
		t.Errorf("started task = %s group %s", aws.ToString(tk.TaskDefinitionArn), aws.ToString(tk.Group))
	}
	// The schedule whose revision does not exist: AWS refuses RunTask.
	before := len(sb.mutations())
	code, stdout, stderr = run(t, "cron", "run", "-c", "small", "broken-export")
	if code != ExitAWS || !strings.Contains(stderr, "run task") || !strings.Contains(stderr, "db-migrate:7") || strings.TrimSpace(stdout) != "" {
		t.Errorf("cron run broken-export: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if got := sb.mutations()[before:]; len(got) != 1 || got[0] != "ecs.RunTask" {
		t.Errorf("mutating calls = %v, want the one refused RunTask", got)
	}
}

func TestE2ECronBadInputChangesNothing(t *testing.T) {
	parallel(t)
	sb := startSandboxWorld(t, cronWorld(t), "")
	for _, args := range [][]string{
		{"cron", "pause", "-c", "small", "nope"},
		{"cron", "resume", "-c", "small", "nope"},
		{"cron", "run", "-c", "small", "nope"},
		{"cron", "show", "-c", "small", "nope"},
		{"cron", "pause", "-c", "small"},
		{"cron", "pause", "-c", "small", "a", "b"},
		{"cron", "list", "-c", "small", "extra"},
		{"cron", "pause", "api-warm"},
		{"cron", "run", "-c", "small", ""},
		{"cron", "pause", "-c", "small", "api-warm", "--dry-run"},
	} {
		code, stdout, stderr := run(t, args...)
		lines := strings.Split(strings.TrimSpace(stderr), "\n")
		if code != ExitUsage || len(lines) != 1 || !strings.HasPrefix(lines[0], "ecsctl: ") || !strings.Contains(lines[0], ": ") {
			t.Errorf("%v: exit %d, want 2 with one line\nstdout %s\nstderr %s", args, code, stdout, stderr)
		}
	}
	if m := sb.mutations(); len(m) != 0 {
		t.Errorf("bad input changed something: %v", m)
	}
}

// cronFaultsJobs gives the small world a schedule and a rule that do not
// fire while a fault-matrix cell runs (its final state counts standalone
// tasks).
func cronFaultsJobs(w *sim.World) {
	w.Schedules = append(w.Schedules, sim.ScheduleSpec{Name: "api-warm", Expression: "cron(0 3 1 JAN ? 2099)", Cluster: "small", TaskDefinition: "api:3"})
	w.Rules = append(w.Rules, sim.RuleSpec{Name: "weekly-digest", Expression: "cron(0 6 1 JAN ? 2099)", Cluster: "small", TaskDefinition: "db-migrate:1"})
}
