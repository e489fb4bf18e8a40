package cmd

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"ecsctl/sim"
)

// logsSandbox is startSandbox with a world of the test's own.
func logsSandbox(t *testing.T, w *sim.World, faults string) *sandbox {
	t.Helper()
	return startSandboxWorld(t, w, faults)
}

// logsNow is the sandbox's virtual time now, to the millisecond (CloudWatch
// times have no finer resolution).
func logsNow(sb *sandbox) time.Time {
	sb.sim.Lock()
	defer sb.sim.Unlock()
	return sb.sim.Now().Truncate(time.Millisecond)
}

func logsRFC(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

type logsOut struct {
	Time      time.Time       `json:"time"`
	Task      string          `json:"task"`
	Container string          `json:"container"`
	Stream    string          `json:"stream"`
	Group     string          `json:"group"`
	ID        string          `json:"id"`
	Message   string          `json:"message"`
	Parsed    json.RawMessage `json:"parsed"`
}

func logsDecode(t *testing.T, stdout string) []logsOut {
	t.Helper()
	var out []logsOut
	sc := bufio.NewScanner(strings.NewReader(stdout))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var l logsOut
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("line is not JSON: %v: %s", err, sc.Text())
		}
		out = append(out, l)
	}
	return out
}

// logsCompare checks got against the sandbox's record: every event once,
// nothing else. It returns how many of the expected events were late
// (ingested more than a second after their timestamp).
func logsCompare(t *testing.T, got []logsOut, want []sim.LogEventRecord) (late int) {
	t.Helper()
	// Events are told apart by stream, time and message: live tail events
	// carry no event id.
	key := func(stream string, ts time.Time, msg string) string {
		return stream + " " + ts.UTC().Format(time.RFC3339Nano) + " " + msg
	}
	seen := map[string]int{}
	for _, g := range got {
		seen[key(g.Stream, g.Time, g.Message)]++
	}
	var dups, missing, extra int
	for id, n := range seen {
		if n > 1 {
			dups++
			if dups < 4 {
				t.Errorf("event %s printed %d times", id, n)
			}
		}
	}
	wantIDs := map[string]bool{}
	for _, w := range want {
		wantIDs[key(w.Stream, w.Timestamp, w.Message)] = true
		if w.IngestionTime.Sub(w.Timestamp) > time.Second {
			late++
		}
		if seen[key(w.Stream, w.Timestamp, w.Message)] == 0 {
			missing++
			if missing < 4 {
				t.Errorf("missing %s %s %s (ingested %s)", w.Stream, w.Timestamp.Format(time.RFC3339Nano), w.Message, w.IngestionTime.Sub(w.Timestamp))
			}
		}
	}
	for _, g := range got {
		if !wantIDs[key(g.Stream, g.Time, g.Message)] {
			extra++
			if extra < 4 {
				t.Errorf("unexpected event %s %s %s", g.Stream, g.Time.Format(time.RFC3339Nano), g.Message)
			}
		}
	}
	if dups+missing+extra > 0 {
		t.Errorf("%d events printed, %d expected: %d duplicated, %d missing, %d unexpected", len(got), len(want), dups, missing, extra)
	}
	return late
}

func logsSorted(t *testing.T, got []logsOut) {
	t.Helper()
	if !sort.SliceIsSorted(got, func(i, j int) bool { return got[i].Time.Before(got[j].Time) }) {
		t.Errorf("range output is not in time order")
	}
}

func TestE2ELogsRangeSinceUntilMatchesWhatWasWritten(t *testing.T) {
	sb := startSandbox(t, "small", "")
	now := logsNow(sb)
	since, until := now.Add(-3*time.Minute), now.Add(-time.Minute)
	sb.sim.ResetRequests()
	code, stdout, stderr := run(t, "logs", "-c", "small", "-s", "api", "--since", logsRFC(since), "--until", logsRFC(until), "-o", "json")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	got := logsDecode(t, stdout)
	want := sb.sim.LogEventsWritten("/ecs/small/api", nil, since, until)
	if len(want) == 0 {
		t.Fatal("the sandbox wrote nothing in the range")
	}
	logsCompare(t, got, want)
	logsSorted(t, got)
	for _, g := range got {
		if g.Time.Before(since) || g.Time.After(until) {
			t.Errorf("event at %s outside [%s, %s]", g.Time, since, until)
		}
		if strings.HasPrefix(g.Message, "{") && len(g.Parsed) == 0 {
			t.Errorf("JSON message not parsed: %s", g.Message)
		}
	}
	if m := sb.mutations(); len(m) != 0 {
		t.Errorf("logs changed something: %v", m)
	}
}

func TestE2ELogsTextPrefixesOnAPipe(t *testing.T) {
	sb := startSandbox(t, "small", "")
	now := logsNow(sb)
	code, stdout, stderr := run(t, "logs", "-c", "small", "-s", "worker", "--since", logsRFC(now.Add(-2*time.Minute)), "--timestamps")
	if code != ExitOK || stdout == "" {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	line := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z [0-9a-f]{32}/app .`)
	for _, l := range strings.Split(strings.TrimSpace(stdout), "\n") {
		if !line.MatchString(l) {
			t.Fatalf("line %q is not 'time task/container message'", l)
		}
	}
	if strings.Contains(stdout, "\x1b[") {
		t.Error("escape codes on a pipe")
	}
	if !strings.Contains(stderr, "reading 2 streams of 2 tasks of small/worker in /ecs/small/worker") {
		t.Errorf("stderr: %s", stderr)
	}
}

func TestE2ELogsFilterAndGrep(t *testing.T) {
	sb := startSandbox(t, "small", "")
	now := logsNow(sb)
	since, until := now.Add(-40*time.Minute), now.Add(-time.Minute)
	all := sb.sim.LogEventsWritten("/ecs/small/api", nil, since, until)

	// --filter goes to CloudWatch Logs.
	code, stdout, stderr := run(t, "logs", "-c", "small", "-s", "api", "--since", logsRFC(since), "--until", logsRFC(until), "-o", "json",
		"--filter", `{ $.level = "warn" }`)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var want []sim.LogEventRecord
	for _, e := range all {
		if strings.Contains(e.Message, `"level":"warn"`) {
			want = append(want, e)
		}
	}
	if len(want) == 0 {
		t.Fatal("no warnings written")
	}
	logsCompare(t, logsDecode(t, stdout), want)

	// --grep and --grep-v run here, on messages.
	code, stdout, stderr = run(t, "logs", "-c", "small", "-s", "api", "--since", logsRFC(since), "--until", logsRFC(until), "-o", "json",
		"--container", "envoy", "--grep", `"GET `, "--grep-v", `" 200 `)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	want = nil
	for _, e := range all {
		if strings.Contains(e.Stream, "/envoy/") && strings.Contains(e.Message, `"GET `) && !strings.Contains(e.Message, `" 200 `) {
			want = append(want, e)
		}
	}
	if len(want) == 0 {
		t.Fatal("no matching envoy lines written")
	}
	logsCompare(t, logsDecode(t, stdout), want)

	// A filter pattern CloudWatch rejects is bad input.
	code, _, stderr = run(t, "logs", "-c", "small", "-s", "api", "--since", "5m", "--filter", `{ $.level = "warn"`)
	if code != ExitUsage || !strings.Contains(stderr, "invalid --filter") {
		t.Errorf("bad filter: exit %d %s", code, stderr)
	}
}

// A long follow over late events, against the sandbox's record: nothing
// missed, nothing twice. --until ends it deterministically.
func TestE2ELogsFollowNoGapsNoDuplicates(t *testing.T) {
	sb := startSandbox(t, "small", "")
	now := logsNow(sb)
	since, until := now.Add(-time.Minute), now.Add(20*time.Minute)
	code, stdout, stderr := run(t, "logs", "-c", "small", "-s", "api", "-f", "--poll-interval", "10ms", "-o", "json",
		"--since", logsRFC(since), "--until", logsRFC(until))
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	got := logsDecode(t, stdout)
	want := sb.sim.LogEventsWritten("/ecs/small/api", nil, since, until)
	late := logsCompare(t, got, want)
	if late == 0 {
		t.Errorf("the sandbox wrote no late events in %d: the test proves nothing about them", len(want))
	}
	t.Logf("%d events over 21 virtual minutes, %d of them late, all printed once", len(got), late)
	if !strings.Contains(stderr, "reached --until") {
		t.Errorf("stderr: %s", stderr)
	}
}

func TestE2ELogsFollowThroughADeploy(t *testing.T) {
	sb := startSandbox(t, "small", "")
	before := sb.waitSteady("small", "api")
	old, err := sb.ecs.ListTasks(context.Background(), &ecs.ListTasksInput{Cluster: aws.String("small"), ServiceName: aws.String("api")})
	if err != nil {
		t.Fatal(err)
	}
	now := logsNow(sb)
	since, until := now.Add(-30*time.Second), now.Add(25*time.Minute)
	type result struct {
		code           int
		stdout, stderr string
	}
	done := make(chan result)
	go func() {
		code, stdout, stderr := run(t, "logs", "-c", "small", "-s", "api", "-f", "--poll-interval", "10ms", "-o", "json",
			"--since", logsRFC(since), "--until", logsRFC(until))
		done <- result{code, stdout, stderr}
	}()
	// Deploy once the follow is reading, so that the new tasks join it.
	for sb.sim.RequestCounts()["logs.FilterLogEvents"] == 0 {
		time.Sleep(time.Millisecond)
	}
	if _, err := sb.ecs.UpdateService(context.Background(), &ecs.UpdateServiceInput{Cluster: aws.String("small"), Service: aws.String("api"),
		TaskDefinition: before.TaskDefinition, ForceNewDeployment: true}); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.code != ExitOK {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	got := logsDecode(t, r.stdout)
	logsCompare(t, got, sb.sim.LogEventsWritten("/ecs/small/api", nil, since, until))

	after, err := sb.ecs.ListTasks(context.Background(), &ecs.ListTasksInput{Cluster: aws.String("small"), ServiceName: aws.String("api")})
	if err != nil {
		t.Fatal(err)
	}
	printed := map[string]bool{}
	for _, g := range got {
		printed[g.Task+" "+g.Message] = true
		printed[g.Task] = true
	}
	for _, a := range old.TaskArns {
		id := a[strings.LastIndex(a, "/")+1:]
		if !strings.Contains(r.stderr, "- task "+id) {
			t.Errorf("no notice that old task %s stopped:\n%s", id, r.stderr)
		}
		if !printed[id+` {"level":"info","msg":"shutdown complete"}`] {
			t.Errorf("old task %s: its last line is missing", id)
		}
	}
	for _, a := range after.TaskArns {
		id := a[strings.LastIndex(a, "/")+1:]
		if !strings.Contains(r.stderr, "+ task "+id) || !printed[id] {
			t.Errorf("new task %s did not join (notice or lines):\n%s", id, r.stderr)
		}
	}

	// The old tasks are the service's stopped ones now.
	code, stdout, stderr := run(t, "logs", "-c", "small", "-s", "api", "--previous", "-o", "json", "--container", "app")
	if code != ExitOK {
		t.Fatalf("--previous: exit %d\n%s", code, stderr)
	}
	prev := map[string]bool{}
	for _, g := range logsDecode(t, stdout) {
		prev[g.Task] = true
		if g.Container != "app" {
			t.Errorf("--container app printed %s", g.Container)
		}
	}
	for _, a := range old.TaskArns {
		if id := a[strings.LastIndex(a, "/")+1:]; !prev[id] {
			t.Errorf("--previous did not show stopped task %s", id)
		}
	}
}

// bulkWorld is the small world with a service of n one-container tasks
// writing 2 lines a minute each: the sandbox holds at most a million events
// (beyond, it evicts whole streams, and the record tests compare with loses
// them), which 150 tasks at 6 a minute reach in under two minutes of real
// time at e2eSpeed, as a slow (-race) run may take.
func bulkWorld(n int) *sim.World {
	w, _ := sim.BuiltinWorld("small")
	w.Logs = &sim.LogsSpec{LinesPerMinute: 2}
	w.AutoScalingGroups[0].Instances[0].Count += 3
	w.AutoScalingGroups[0].Desired += 3
	w.AutoScalingGroups[0].Max += 3
	w.Clusters[0].Services = append(w.Clusters[0].Services, sim.ServiceSpec{
		Name: "bulk", Revision: 1, Desired: n, CPU: 16, Memory: 32,
		Containers: []sim.ContainerSpec{{Name: "app", Image: "api:" + sim.DemoAPITag, CPU: 16, Memory: 32}},
	})
	return w
}

func TestE2ELogs150TasksAreReadInChunks(t *testing.T) {
	sb := logsSandbox(t, bulkWorld(150), "")
	s := sb.waitSteady("small", "bulk")
	if s.RunningCount != 150 {
		t.Fatalf("running %d", s.RunningCount)
	}
	now := logsNow(sb)
	since, until := now.Add(-5*time.Minute), now
	sb.sim.ResetRequests()
	code, stdout, stderr := run(t, "logs", "-c", "small", "-s", "bulk", "--since", logsRFC(since), "--until", logsRFC(until), "-o", "json")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	got := logsDecode(t, stdout)
	logsCompare(t, got, sb.sim.LogEventsWritten("/ecs/small/bulk", nil, since, until))
	logsSorted(t, got)
	tasks := map[string]bool{}
	for _, g := range got {
		tasks[g.Task] = true
	}
	if len(tasks) < 140 {
		t.Errorf("lines from %d tasks of 150", len(tasks))
	}
	if n := sb.sim.RequestCounts()["logs.FilterLogEvents"]; n < 2 {
		t.Errorf("%d FilterLogEvents calls for 150 streams", n)
	}

	// Following them too.
	now = logsNow(sb)
	since, until = now, now.Add(5*time.Minute)
	code, stdout, stderr = run(t, "logs", "-c", "small", "-s", "bulk", "-f", "--poll-interval", "10ms", "--since", logsRFC(since), "--until", logsRFC(until), "-o", "json")
	if code != ExitOK {
		t.Fatalf("follow: exit %d\n%s", code, stderr)
	}
	logsCompare(t, logsDecode(t, stdout), sb.sim.LogEventsWritten("/ecs/small/bulk", nil, since, until))
}

func TestE2ELogsFollowUnderThrottlingStillYieldsEveryEvent(t *testing.T) {
	sb := startSandbox(t, "small", "throttle=0.3")
	now := logsNow(sb)
	since, until := now.Add(-time.Minute), now.Add(5*time.Minute)
	code, stdout, stderr := run(t, "logs", "-c", "small", "-s", "api", "-f", "--poll-interval", "10ms", "-o", "json",
		"--since", logsRFC(since), "--until", logsRFC(until))
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	t.Logf("stderr:\n%s", stderr)
	logsCompare(t, logsDecode(t, stdout), sb.sim.LogEventsWritten("/ecs/small/api", nil, since, until))
}

func TestE2ELogsNotFoundIsExit3(t *testing.T) {
	startSandbox(t, "small", "")
	for _, args := range [][]string{
		{"logs", "-c", "small", "-s", "nope"},
		{"logs", "-c", "nope", "-s", "api"},
		{"logs", "-c", "small", "--task", "0123456789abcdef0123456789abcdef"},
	} {
		code, stdout, stderr := run(t, args...)
		if code != ExitAWS || !strings.Contains(stderr, "not found") || stdout != "" {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr)
		}
	}
}

func TestE2ELogsBadInputExit2NoAWSCall(t *testing.T) {
	sb := startSandbox(t, "small", "")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"logs", "-c", "small"}, "--service NAME, or --task ID"},
		{[]string{"logs", "-s", "api"}, "missing --cluster"},
		{[]string{"logs", "-c", "small", "-s", "api", "--task", "abc"}, "cannot be combined"},
		{[]string{"logs", "-c", "small", "-s", "api", "--since", "yesterday"}, `invalid value "yesterday" for --since`},
		{[]string{"logs", "-c", "small", "-s", "api", "--grep", "("}, "invalid --grep"},
		{[]string{"logs", "-c", "small", "-s", "api", "--previous", "-f"}, "drop --follow"},
		{[]string{"logs", "-c", "small", "-s", "api", "--since", "1m", "--until", "5m"}, "is not after --since"},
	} {
		sb.sim.ResetRequests()
		code, _, stderr := run(t, c.args...)
		if code != ExitUsage || !strings.Contains(stderr, c.want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q (want %q)", c.args, code, stderr, c.want)
		}
		if n := len(sb.sim.Requests()); n != 0 {
			t.Errorf("%v: %d AWS calls", c.args, n)
		}
	}
	// A --container the task definition does not have: exit 2 after reading only.
	code, _, stderr := run(t, "logs", "-c", "small", "-s", "api", "--container", "nginx")
	if code != ExitUsage || !strings.Contains(stderr, "no container nginx") || !strings.Contains(stderr, "app, envoy") {
		t.Errorf("unknown container: exit %d %s", code, stderr)
	}
	if m := sb.mutations(); len(m) != 0 {
		t.Errorf("mutations: %v", m)
	}
}

func TestE2ELogsContainerWithoutAwslogsIsNamed(t *testing.T) {
	w, _ := sim.BuiltinWorld("small")
	svc := &w.Clusters[0].Services[0] // api: app + envoy
	svc.Containers[1].LogDriver = "fluentd"
	w.Clusters[0].Services[1].Containers[0].LogDriver = "fluentd" // worker: its only container
	sb := logsSandbox(t, w, "")
	now := logsNow(sb)

	code, stdout, stderr := run(t, "logs", "-c", "small", "-s", "worker", "--since", logsRFC(now.Add(-time.Minute)))
	if code != ExitUsage || stdout != "" || !strings.Contains(stderr, "container app of worker:") || !strings.Contains(stderr, "fluentd log driver") {
		t.Errorf("worker: exit %d\n%s", code, stderr)
	}
	code, stdout, stderr = run(t, "logs", "-c", "small", "-s", "api", "--since", logsRFC(now.Add(-time.Minute)), "-o", "json")
	if code != ExitOK || !strings.Contains(stderr, "warning: container envoy of api:") || !strings.Contains(stderr, "fluentd") {
		t.Errorf("api: exit %d\n%s", code, stderr)
	}
	for _, l := range logsDecode(t, stdout) {
		if l.Container != "app" {
			t.Errorf("line of %s", l.Container)
		}
	}
	if stdout == "" {
		t.Error("no app lines")
	}
}

func TestE2ELogsTaskFollowEndsWhenTheTaskStops(t *testing.T) {
	sb := startSandbox(t, "small", "")
	tasks, err := sb.ecs.ListTasks(context.Background(), &ecs.ListTasksInput{Cluster: aws.String("small"), ServiceName: aws.String("worker")})
	if err != nil || len(tasks.TaskArns) == 0 {
		t.Fatal(err)
	}
	arn := tasks.TaskArns[0]
	id := arn[strings.LastIndex(arn, "/")+1:]
	since := logsNow(sb).Add(-time.Minute)
	done := make(chan []string)
	go func() {
		code, stdout, stderr := run(t, "logs", "-c", "small", "--task", id, "-f", "--poll-interval", "10ms", "-o", "json", "--since", logsRFC(since))
		done <- []string{fmt.Sprint(code), stdout, stderr}
	}()
	for sb.sim.RequestCounts()["logs.FilterLogEvents"] == 0 {
		time.Sleep(time.Millisecond)
	}
	if _, err := sb.ecs.StopTask(context.Background(), &ecs.StopTaskInput{Cluster: aws.String("small"), Task: aws.String(arn), Reason: aws.String("test stop")}); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r[0] != "0" || !strings.Contains(r[2], "- task "+id+" (worker:") || !strings.Contains(r[2], "test stop") {
		t.Fatalf("exit %s\n%s", r[0], r[2])
	}
	stream := "ecs/app/" + id
	logsCompare(t, logsDecode(t, r[1]), sb.sim.LogEventsWritten("/ecs/small/worker", []string{stream}, since, time.Time{}))
}

// The streaming range read against the sandbox's record, for several ranges
// and filters over many small pages (PageSize 5): every event once, nothing
// else, in the order of a whole-range sort (time, stream, event id).
func TestE2ELogsRangeStreamingIsTheWholeSortedRange(t *testing.T) {
	sb := startSandbox(t, "small", "")
	now := logsNow(sb)
	for _, c := range []struct {
		name         string
		since, until time.Time
		args         []string
		keep         func(sim.LogEventRecord) bool
	}{
		{name: "40 minutes", since: now.Add(-40 * time.Minute), until: now.Add(-time.Minute)},
		{name: "open end", since: now.Add(-3 * time.Minute)},
		{name: "filter", since: now.Add(-30 * time.Minute), until: now.Add(-2 * time.Minute), args: []string{"--filter", `{ $.level = "warn" }`},
			keep: func(e sim.LogEventRecord) bool { return strings.Contains(e.Message, `"level":"warn"`) }},
		{name: "grep", since: now.Add(-20 * time.Minute), until: now.Add(-time.Minute), args: []string{"--grep", `"GET `},
			keep: func(e sim.LogEventRecord) bool { return strings.Contains(e.Message, `"GET `) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := []string{"logs", "-c", "small", "-s", "api", "--since", logsRFC(c.since), "-o", "json"}
			until := c.until
			if !until.IsZero() {
				args = append(args, "--until", logsRFC(until))
			}
			code, stdout, stderr := run(t, append(args, c.args...)...)
			if code != ExitOK {
				t.Fatalf("exit %d\n%s", code, stderr)
			}
			if until.IsZero() {
				until = logsNow(sb) // nothing is written past the read's end before it ends
			}
			got := logsDecode(t, stdout)
			var want []sim.LogEventRecord
			for _, e := range sb.sim.LogEventsWritten("/ecs/small/api", nil, c.since, until) {
				if c.keep == nil || c.keep(e) {
					want = append(want, e)
				}
			}
			if len(want) == 0 {
				t.Fatal("the sandbox wrote nothing to compare with")
			}
			if !c.until.IsZero() {
				logsCompare(t, got, want)
			} else if len(got) == 0 || len(got) > len(want) {
				t.Errorf("%d events printed of %d written", len(got), len(want))
			}
			for i := 1; i < len(got); i++ {
				a, b := got[i-1], got[i]
				if a.Time.After(b.Time) || (a.Time.Equal(b.Time) && (a.Stream > b.Stream || (a.Stream == b.Stream && a.ID >= b.ID))) {
					t.Fatalf("line %d (%s %s %s) after (%s %s %s)", i, b.Time, b.Stream, b.ID, a.Time, a.Stream, a.ID)
				}
			}
		})
	}
}
