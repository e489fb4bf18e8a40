package cmd

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"ecsctl/render"
)

// eventsBuffer is a writer safe to read while a command writes to it.
type eventsBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *eventsBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *eventsBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitFor polls a condition within a real-time bound (the sandbox runs at
// e2eSpeed, so this is seconds of virtual time, not a timed assertion).
func eventsWaitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never happened: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestE2EEventsFollowPrintsNewEventsOnceUntilInterrupted(t *testing.T) {
	parallel(t)
	sb := startSandbox(t, "small", "")
	sb.waitSteady("small", "worker")
	out, errOut := &eventsBuffer{}, &eventsBuffer{}
	ios := &render.IO{In: strings.NewReader(""), Out: out, Err: errOut, Env: func(string) string { return "" }}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() {
		done <- Run(e2eContext(t, ctx, ios), []string{"ecsctl", "events", "-c", "small", "-s", "worker", "-f", "--poll-interval", "10ms"}, ios)
	}()
	eventsWaitFor(t, "the existing events printed", func() bool { return strings.Contains(out.String(), "has reached a steady state") })
	before := strings.Count(out.String(), "\n")
	if _, err := sb.ecs.UpdateService(context.Background(), &ecs.UpdateServiceInput{Cluster: aws.String("small"), Service: aws.String("worker"), DesiredCount: aws.Int32(4)}); err != nil {
		t.Fatal(err)
	}
	eventsWaitFor(t, "the new start event followed", func() bool { return strings.Contains(out.String(), "has started 2 tasks") })
	eventsWaitFor(t, "steady again", func() bool { return strings.Count(out.String(), "has reached a steady state") >= 2 })
	cancel()
	if code := <-done; code != ExitInterrupted {
		t.Errorf("exit %d after Ctrl-C, want 130; stderr %s", code, errOut.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) <= before {
		t.Fatalf("no new lines:\n%s", out.String())
	}
	seen := map[string]bool{}
	for _, l := range lines {
		if seen[l] {
			t.Errorf("event printed twice: %s", l)
		}
		seen[l] = true
		if _, err := time.Parse(time.RFC3339, strings.Fields(l)[0]); err != nil || strings.Fields(l)[1] != "small/worker" {
			t.Errorf("not a CI line: %q", l)
		}
	}
	if m := sb.mutations(); len(m) != 1 {
		t.Errorf("mutations %v (only the test's own UpdateService expected)", m)
	}
}

func TestE2EEventsSinceAndJSON(t *testing.T) {
	parallel(t)
	overviewStartFrozen(t, "demo", 5, 3*time.Minute)
	code, stdout, stderr := run(t, "events", "-c", "prod", "-s", "api", "--since", "1h", "-o", "json")
	if code != ExitOK || stdout != "" {
		t.Errorf("events of 4h ago with --since 1h: exit %d %q %s", code, stdout, stderr)
	}
	code, stdout, _ = run(t, "events", "-c", "prod", "-s", "api", "--since", "5h", "-o", "json")
	if code != ExitOK || strings.Count(stdout, "\n") != 2 || !strings.Contains(stdout, `"message":"(service api) has reached a steady state."`) {
		t.Errorf("--since 5h: exit %d\n%s", code, stdout)
	}
	code, _, stderr = run(t, "events", "-c", "prod", "-s", "api", "--since", "yesterday")
	if code != ExitUsage || !strings.Contains(stderr, `invalid value "yesterday" for --since`) {
		t.Errorf("bad --since: exit %d %s", code, stderr)
	}
}
