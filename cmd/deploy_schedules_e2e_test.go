package cmd

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"

	"ecsctl/ops/deploy"
	"ecsctl/sim"
)

// deploySchedulesWorld: api's family is run by two schedules (one pinned to
// the old api:3, one on the live api:5) and a rule on api:5.
func deploySchedulesWorld(t *testing.T) *sim.World {
	w := cronWorld(t)
	w.Schedules = append(w.Schedules, sim.ScheduleSpec{Name: "api-report", Expression: "cron(0 4 * * ? *)", Cluster: "small", TaskDefinition: "api:5"})
	w.Rules = append(w.Rules, sim.RuleSpec{Name: "api-digest", Expression: "cron(0 7 ? * MON *)", Cluster: "small", TaskDefinition: "api:5"})
	return w
}

// jobRevisions reads the task definition each api job names.
func (sb *sandbox) jobRevisions(t *testing.T) map[string]string {
	t.Helper()
	cc := sb.cronClients()
	ctx := context.Background()
	out := map[string]string{}
	for _, s := range [][2]string{{"warmers", "api-warm"}, {"default", "api-report"}} {
		g, err := cc.sched.GetSchedule(ctx, &scheduler.GetScheduleInput{GroupName: aws.String(s[0]), Name: aws.String(s[1])})
		if err != nil {
			t.Fatal(err)
		}
		td := aws.ToString(g.Target.EcsParameters.TaskDefinitionArn)
		out[s[1]] = td[strings.LastIndex(td, "/")+1:]
	}
	ts, err := cc.ev.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: aws.String("api-digest")})
	if err != nil || len(ts.Targets) != 1 {
		t.Fatalf("rule targets: %v %v", err, ts)
	}
	td := aws.ToString(ts.Targets[0].EcsParameters.TaskDefinitionArn)
	out["api-digest"] = td[strings.LastIndex(td, "/")+1:]
	return out
}

func TestE2EDeployUpdateSchedulesAndRollBack(t *testing.T) {
	parallel(t)
	sb := startSandboxWorld(t, deploySchedulesWorld(t), "")
	sb.waitSteady("small", "api")
	code, stdout, stderr := run(t, deployArgs("--service", "api", "--tag", sim.DemoNextTag, "--update-schedules")...)
	if code != ExitOK {
		t.Fatalf("deploy: exit %d\n%s\n%s", code, stdout, stderr)
	}
	got := sb.jobRevisions(t)
	if got["api-warm"] != "api:6" || got["api-report"] != "api:6" || got["api-digest"] != "api:6" {
		t.Fatalf("after deploy --update-schedules: %v, want every job on api:6", got)
	}
	res := decodeResult(t, stdout)
	notes := strings.Join(res.Services[0].Notes, "\n")
	for _, want := range []string{"schedule warmers/api-warm moved from api:3 to api:6", "schedule default/api-report moved from api:5 to api:6", "rule api-digest (target api-digest-ecs) moved from api:5 to api:6"} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes lack %q:\n%s", want, notes)
		}
	}
	// Every other member of the schedule is what it was.
	g, _ := sb.cronClients().sched.GetSchedule(context.Background(), &scheduler.GetScheduleInput{GroupName: aws.String("warmers"), Name: aws.String("api-warm")})
	if aws.ToString(g.ScheduleExpression) != "rate(6 hours)" || g.State != "ENABLED" || aws.ToString(g.Target.RoleArn) == "" {
		t.Errorf("schedule after the move: %+v", g)
	}
	code, stdout, stderr = run(t, "rollback", "-c", "small", "-s", "api", "--poll-interval", "20ms", "-o", "json", "--update-schedules")
	if code != ExitOK {
		t.Fatalf("rollback: exit %d\n%s\n%s", code, stdout, stderr)
	}
	got = sb.jobRevisions(t)
	if got["api-warm"] != "api:5" || got["api-report"] != "api:5" || got["api-digest"] != "api:5" {
		t.Errorf("after rollback --update-schedules: %v, want every job on the rollback target api:5", got)
	}
}

// A dry run with --update-schedules lists the jobs the deploy would move
// (to "the new revision": its number is AWS's to give at registration) and
// moves none; a dry-run rollback lists those on the revision it leaves.
func TestE2EDeployDryRunListsTheSchedulesItWouldMove(t *testing.T) {
	sb := startSandboxWorld(t, deploySchedulesWorld(t), "")
	sb.waitSteady("small", "api")
	code, stdout, stderr := run(t, deployArgs("--service", "api", "--tag", sim.DemoNextTag, "--update-schedules", "--dry-run")...)
	if code != ExitOK {
		t.Fatalf("deploy --dry-run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	before := map[string]string{"api-warm": "api:3", "api-report": "api:5", "api-digest": "api:5"}
	if got := sb.jobRevisions(t); got["api-warm"] != before["api-warm"] || got["api-report"] != before["api-report"] || got["api-digest"] != before["api-digest"] {
		t.Fatalf("a dry run moved jobs: %v, want %v", got, before)
	}
	notes := strings.Join(decodeResult(t, stdout).Services[0].Notes, "\n")
	for _, want := range []string{
		"schedule warmers/api-warm would move from api:3 to the new revision",
		"schedule default/api-report would move from api:5 to the new revision",
		"rule api-digest (target api-digest-ecs) would move from api:5 to the new revision",
	} {
		if !strings.Contains(notes, want) {
			t.Errorf("dry-run notes lack %q:\n%s", want, notes)
		}
	}
	code, stdout, stderr = run(t, "rollback", "-c", "small", "-s", "api", "--poll-interval", "20ms", "-o", "json", "--update-schedules", "--dry-run")
	if code != ExitOK {
		t.Fatalf("rollback --dry-run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	notes = strings.Join(decodeResult(t, stdout).Services[0].Notes, "\n")
	if !strings.Contains(notes, "schedule default/api-report would move from api:5 to api:") || strings.Contains(notes, "api-warm would move") {
		t.Errorf("dry-run rollback notes: want api-report (on api:5, the revision left) and not api-warm (api:3):\n%s", notes)
	}
	if got := sb.jobRevisions(t); got["api-report"] != "api:5" {
		t.Errorf("a dry-run rollback moved jobs: %v", got)
	}
}

// A deploy of several services reads the cluster's schedules and rules
// once, not once per service, before it exits (they were read again for
// every service, holding a 20-service deploy's exit for seconds).
func TestE2EDeployOfTwoServicesReadsTheSchedulesOnce(t *testing.T) {
	parallel(t)
	sb := startSandboxWorld(t, deploySchedulesWorld(t), "")
	sb.waitSteady("small", "api")
	sb.waitSteady("small", "web")
	sb.sim.ResetRequests()
	code, stdout, stderr := run(t, deployArgs("--service", "api", "--service", "web", "--tag", sim.DemoNextTag)...)
	if code != ExitOK {
		t.Fatalf("deploy: exit %d\n%s\n%s", code, stdout, stderr)
	}
	counts := sb.sim.RequestCounts()
	if got := counts["scheduler.ListSchedules"]; got != 1 {
		t.Errorf("ListSchedules called %d times for a deploy of two services, want 1 (counts %v)", got, counts)
	}
	if got := counts["events.ListRuleNamesByTarget"]; got > 1 {
		t.Errorf("ListRuleNamesByTarget called %d times, want at most 1", got)
	}
	res := decodeResult(t, stdout)
	for _, s := range res.Services {
		if s.Service == "api" && !strings.Contains(strings.Join(s.Notes, "\n"), "api-warm stays on api:3") {
			t.Errorf("api's notes lack the schedule left behind: %q", s.Notes)
		}
	}
}

func TestE2EDeployNotesSchedulesLeftBehindAndPruningKeepsThem(t *testing.T) {
	parallel(t)
	sb := startSandboxWorld(t, deploySchedulesWorld(t), "")
	sb.waitSteady("small", "api")
	code, stdout, stderr := run(t, deployArgs("--service", "api", "--tag", sim.DemoNextTag, "--keep-revisions", "1")...)
	if code != ExitOK {
		t.Fatalf("deploy: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if got := sb.jobRevisions(t); got["api-warm"] != "api:3" || got["api-report"] != "api:5" || got["api-digest"] != "api:5" {
		t.Errorf("without --update-schedules the jobs moved: %v", got)
	}
	res := decodeResult(t, stdout)
	notes := strings.Join(res.Services[0].Notes, "\n")
	for _, want := range []string{"schedule warmers/api-warm stays on api:3 while the service runs api:6 (--update-schedules moves it)", "rule api-digest (target api-digest-ecs) stays on api:5"} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes lack %q:\n%s", want, notes)
		}
	}
	// Pruning to the newest revision keeps the old one the service came
	// from and every revision a schedule or rule names.
	status := func(rev string) string {
		out, err := sb.ecs.DescribeTaskDefinition(context.Background(), &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(rev)})
		if err != nil {
			t.Fatal(err)
		}
		return string(out.TaskDefinition.Status)
	}
	if status("api:3") != "ACTIVE" || status("api:5") != "ACTIVE" || status("api:6") != "ACTIVE" || status("api:4") != "INACTIVE" {
		t.Errorf("after --keep-revisions 1: api:3 %s api:4 %s api:5 %s api:6 %s, want api:3 kept for api-warm", status("api:3"), status("api:4"), status("api:5"), status("api:6"))
	}
}

func TestE2EDeployNotifyPostsTheResultAndAFailedHookIsAWarning(t *testing.T) {
	parallel(t)
	sb := startSandboxWorld(t, deploySchedulesWorld(t), "")
	sb.waitSteady("small", "api")
	var mu sync.Mutex
	var got []deploy.Result
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var res deploy.Result
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" || json.Unmarshal(b, &res) != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		mu.Lock()
		got = append(got, res)
		mu.Unlock()
	}))
	defer hook.Close()
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusInternalServerError)
	}))
	defer broken.Close()
	secretPath := "/hooks/T000/s3cr3t-token"
	code, stdout, stderr := run(t, deployArgs("--service", "api", "--tag", sim.DemoNextTag, "--notify", hook.URL+"/deploys", "--notify", broken.URL+secretPath)...)
	if code != ExitOK {
		t.Fatalf("deploy: exit %d (a failed webhook must not change it)\n%s\n%s", code, stdout, stderr)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || len(got[0].Services) != 1 || got[0].Services[0].Outcome != deploy.OutcomeSucceeded || !strings.HasSuffix(got[0].Services[0].NewTaskDefinition, "api:6") {
		t.Errorf("webhook received %+v", got)
	}
	if !strings.Contains(stderr, "warning: --notify") || !strings.Contains(stderr, "HTTP 500") || strings.Contains(stderr, "s3cr3t") {
		t.Errorf("stderr should warn of the failed webhook without its secret path:\n%s", stderr)
	}
	// A malformed URL is bad input: nothing is deployed.
	before := len(sb.mutations())
	code, _, stderr = run(t, deployArgs("--service", "api", "--tag", sim.DemoNextTag, "--notify", "ftp://x/y")...)
	if code != ExitUsage || !strings.Contains(stderr, "invalid --notify") || len(sb.mutations()) != before {
		t.Errorf("bad --notify: exit %d, mutations %v\n%s", code, sb.mutations()[before:], stderr)
	}
}
