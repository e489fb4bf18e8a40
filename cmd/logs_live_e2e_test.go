package cmd

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"ecsctl/sim"
)

// logsFollowRange follows small/api over [now−1m, now+d] and returns what
// was printed, checked against the sandbox's record.
func logsFollowRange(t *testing.T, sb *sandbox, service string, d time.Duration, extra ...string) (stderr string, printed int) {
	t.Helper()
	now := logsNow(sb)
	since, until := now.Add(-time.Minute), now.Add(d)
	args := append([]string{"logs", "-c", "small", "-s", service, "-f", "--poll-interval", "10ms", "-o", "json",
		"--since", logsRFC(since), "--until", logsRFC(until)}, extra...)
	code, stdout, stderr := run(t, args...)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	got := logsDecode(t, stdout)
	want := sb.sim.LogEventsWritten("/ecs/small/"+service, nil, since, until)
	if late := logsCompare(t, got, want); late == 0 {
		t.Errorf("no late events among %d: the test proves nothing about them", len(want))
	}
	if !strings.Contains(stderr, "reached --until") {
		t.Errorf("stderr: %s", stderr)
	}
	return stderr, len(got)
}

// With live tail on (the default where the endpoint serves it), a long
// follow prints every event once, late ones included, and polls only to
// bridge the start: far fewer FilterLogEvents calls than polling.
func TestE2ELogsLiveTailNoGapsNoDuplicates(t *testing.T) {
	sb := startSandbox(t, "small", "")
	sb.sim.ResetRequests()
	stderr, n := logsFollowRange(t, sb, "api", 20*time.Minute)
	counts := sb.sim.RequestCounts()
	if !strings.Contains(stderr, "following through a live tail session on arn:aws:logs:us-east-1:") || counts["logs.StartLiveTail"] != 1 {
		t.Fatalf("no live tail session (%d StartLiveTail):\n%s", counts["logs.StartLiveTail"], stderr)
	}
	liveFilters := counts["logs.FilterLogEvents"]

	sb.sim.ResetRequests()
	_, m := logsFollowRange(t, sb, "api", 20*time.Minute, "--live-tail", "never")
	counts = sb.sim.RequestCounts()
	if counts["logs.StartLiveTail"] != 0 {
		t.Errorf("--live-tail never opened a session")
	}
	pollFilters := counts["logs.FilterLogEvents"]
	t.Logf("live: %d events, %d FilterLogEvents calls; polling: %d events, %d calls", n, liveFilters, m, pollFilters)
	if liveFilters*5 > pollFilters {
		t.Errorf("live tail made %d FilterLogEvents calls, polling %d", liveFilters, pollFilters)
	}
	if m := sb.mutations(); len(m) != 0 {
		t.Errorf("mutations: %v", m)
	}
}

// CloudWatch samples a session's results above 500 events/s; the follow
// says so and polls instead, still without gaps.
func TestE2ELogsLiveTailSampledFallsBackToPolling(t *testing.T) {
	sb := startSandbox(t, "small", "")
	sb.sim.SetLiveTailOptions(sim.LiveTailOptions{SampleAbove: 0.01}) // this sandbox writes a few a second
	stderr, _ := logsFollowRange(t, sb, "api", 10*time.Minute)
	if !strings.Contains(stderr, "live tail is sampling the events") || !strings.Contains(stderr, "polling FilterLogEvents") {
		t.Errorf("no notice of the fallback:\n%s", stderr)
	}
}

// A session that ends (a streaming error, its timeout) is reopened and
// bridged again; no gaps.
func TestE2ELogsLiveTailSessionEndsIsReopened(t *testing.T) {
	sb := startSandbox(t, "small", "")
	sb.sim.SetLiveTailOptions(sim.LiveTailOptions{FailAfter: 4 * time.Minute, Timeout: 7 * time.Minute})
	stderr, _ := logsFollowRange(t, sb, "api", 15*time.Minute)
	if !strings.Contains(stderr, "live tail session ended") || !strings.Contains(stderr, "live tail session reopened") {
		t.Errorf("no reopening:\n%s", stderr)
	}
	if n := sb.sim.RequestCounts()["logs.StartLiveTail"]; n < 2 {
		t.Errorf("%d sessions over 15 virtual minutes, each ending after 4", n)
	}
}

// An endpoint that fails StartLiveTail, or does not serve it at all: the
// follow polls, and says why.
func TestE2ELogsLiveTailUnavailableFallsBack(t *testing.T) {
	sb := startSandbox(t, "small", "logs.StartLiveTail:error=1")
	stderr, _ := logsFollowRange(t, sb, "api", 5*time.Minute)
	if !strings.Contains(stderr, "polling FilterLogEvents: live tail is not available (start live tail on arn:aws:logs:us-east-1:") {
		t.Errorf("stderr:\n%s", stderr)
	}

	// A sandbox without the operation.
	w, _ := sim.BuiltinWorld("small")
	s := sim.New(sim.Options{Seed: 7, Speed: e2eSpeed, PageSize: 5})
	if err := s.LoadWorld(w); err != nil {
		t.Fatal(err)
	}
	reg := sim.NewRegistry()
	for _, svc := range []string{sim.SvcECS, sim.SvcLogs, sim.SvcSTS} {
		for _, name := range sim.DefaultRegistry.Operations(svc) {
			if name != "StartLiveTail" {
				reg.Add(sim.DefaultRegistry.Lookup(svc, name))
			}
		}
	}
	bare := serveSandbox(t, s)
	srv := httptest.NewServer(sim.NewServer(s, reg))
	t.Cleanup(srv.Close)
	t.Setenv("AWS_ENDPOINT_URL", srv.URL)
	stderr, _ = logsFollowRange(t, bare, "api", 5*time.Minute)
	if !strings.Contains(stderr, "UnknownOperationException") || !strings.Contains(stderr, "polling FilterLogEvents") {
		t.Errorf("stderr:\n%s", stderr)
	}
}

// flappyWorld is the small world with a service whose tasks crash seconds
// after they start, and are replaced: each lives well under the time
// between two task re-lists.
func flappyWorld() *sim.World {
	w, _ := sim.BuiltinWorld("small")
	w.Clusters[0].Services = append(w.Clusters[0].Services, sim.ServiceSpec{
		Name: "flappy", Revision: 1, Desired: 2, CPU: 16, Memory: 32,
		Containers: []sim.ContainerSpec{{Name: "app", Image: "api:crash-1", CPU: 16, Memory: 32}},
	})
	return w
}

// Tasks that start and stop between two re-lists are read too (they are
// among the service's recently stopped tasks at the next one), whether
// following live or polling.
func TestE2ELogsShortLivedTasksBetweenRelistsAreRead(t *testing.T) {
	for _, mode := range []string{"auto", "never"} {
		t.Run(mode, func(t *testing.T) {
			sb := logsSandbox(t, flappyWorld(), "")
			now := logsNow(sb)
			since, until := now, now.Add(15*time.Minute)
			// Re-lists every 3 polls of 100ms: 3 virtual minutes apart.
			code, stdout, stderr := run(t, "logs", "-c", "small", "-s", "flappy", "-f", "--poll-interval", "100ms", "-o", "json",
				"--since", logsRFC(since), "--until", logsRFC(until), "--live-tail", mode)
			if code != ExitOK {
				t.Fatalf("exit %d\n%s", code, stderr)
			}
			got := logsDecode(t, stdout)
			want := sb.sim.LogEventsWritten("/ecs/small/flappy", nil, since, until)
			logsCompare(t, got, want)
			tasks := map[string]bool{}
			for _, w := range want {
				tasks[w.Stream] = true
			}
			if len(tasks) < 6 {
				t.Errorf("only %d tasks wrote logs: the test proves little", len(tasks))
			}
			if strings.Count(stderr, "joined") < len(tasks)-2 {
				t.Errorf("%d tasks wrote, joined notices:\n%s", len(tasks), stderr)
			}
		})
	}
}

// Live tail events are placed by log group name whatever form names the
// group: ACCOUNT_ID:NAME as real sessions send (the sandbox's default,
// covered by TestE2ELogsLiveTailNoGapsNoDuplicates), the ARN with or
// without ":*", the name. An event naming a group the follow cannot place
// is not dropped: polling takes over from before it, with a notice, and
// every event is printed once.
func TestE2ELogsLiveTailGroupIdentifierForms(t *testing.T) {
	for _, tc := range []struct {
		name     string
		id       func(account, region, group string) string
		fallback bool
	}{
		{"arn", func(a, r, g string) string { return "arn:aws:logs:" + r + ":" + a + ":log-group:" + g }, false},
		{"arn-star", func(a, r, g string) string { return "arn:aws:logs:" + r + ":" + a + ":log-group:" + g + ":*" }, false},
		{"name", func(_, _, g string) string { return g }, false},
		{"unplaceable", func(a, _, g string) string { return a + ":" + g + "-elsewhere" }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sb := startSandbox(t, "small", "")
			sb.sim.SetLiveTailOptions(sim.LiveTailOptions{GroupIdentifier: tc.id})
			stderr, _ := logsFollowRange(t, sb, "api", 5*time.Minute)
			noticed := strings.Contains(stderr, "live tail events name a log group this tail cannot place") &&
				strings.Contains(stderr, "polling FilterLogEvents")
			if noticed != tc.fallback || !strings.Contains(stderr, "following through a live tail session") {
				t.Errorf("fallback notice %v, want %v:\n%s", noticed, tc.fallback, stderr)
			}
		})
	}
}
