package cmd

import (
	"bytes"
	"context"
	"io"
	"os"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"ecsctl/fmtx"
	"ecsctl/render"
)

// lockedBuffer is a terminal's output written by the dashboard's goroutine
// and read by the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// `ecsctl top` against an account whose clock is 13 h ahead of the laptop's
// (a sandbox kept for a while): the services' LAST EVENT ages and those of
// a service's events are differences with the account's now. On the local
// clock they came out 13 h short, or "-" for anything newer than 13 h. (The
// tui's golden screens show its columns, STARTED among them, on the clock
// it is given; this shows that ecsctl gives it the account's.)
func TestE2ETopCountsAgesOnTheAccountClock(t *testing.T) {
	sb := startSandboxAhead(t, 13*time.Hour)
	keys, typed := io.Pipe()
	out := &lockedBuffer{}
	ios := &render.IO{In: keys, Out: out, Err: &lockedBuffer{}, Env: os.Getenv, InTTY: true, OutTTY: true, ErrTTY: true, NoColor: true}
	done := make(chan int, 1)
	go func() {
		done <- Run(context.Background(), []string{"ecsctl", "top", "-c", "small", "--read-only", "--log-file", t.TempDir() + "/top.log"}, ios)
	}()
	t.Cleanup(func() { keys.Close() })
	press := func(k string) {
		go typed.Write([]byte(k)) // the dashboard reads it when it is ready
	}
	rows := regexp.MustCompile(`› api +steady.* ([0-9dhms]+) ago: \(`)
	topEventually(t, "api's row with its last event", func() bool { return rows.MatchString(out.String()) }, out.String)
	shown := rows.FindAllStringSubmatch(out.String(), -1)
	age := shown[len(shown)-1][1]

	svc, err := sb.ecs.DescribeServices(context.Background(), &ecs.DescribeServicesInput{Cluster: aws.String("small"), Services: []string{"api"}})
	if err != nil || len(svc.Services) == 0 || len(svc.Services[0].Events) == 0 {
		t.Fatalf("describe api: %v", err)
	}
	last := aws.ToTime(svc.Services[0].Events[0].CreatedAt)
	if !withinAMinute(age, sb.sim.Now().Sub(last)) {
		t.Errorf("api's last event shown %s ago; on the account's clock it is %s old (on the local one %s)",
			age, fmtx.Age(sb.sim.Now().Sub(last)), fmtx.Age(time.Since(last)))
	}

	// api's own view: its events carry the same ages.
	press("4")
	events := regexp.MustCompile(`(?m)^([0-9dhms]+) ago  \(service api\)`)
	topEventually(t, "api's events", func() bool { return events.MatchString(out.String()) }, out.String)
	for _, m := range events.FindAllStringSubmatch(out.String(), -1) {
		if !withinAMinute(m[1], sb.sim.Now().Sub(last)) && !withinAMinute(m[1], sb.sim.Now().Sub(aws.ToTime(svc.Services[0].Events[len(svc.Services[0].Events)-1].CreatedAt))) {
			t.Errorf("an event of api shown %s ago; on the account's clock its events are %s to %s old", m[1],
				fmtx.Age(sb.sim.Now().Sub(last)), fmtx.Age(sb.sim.Now().Sub(aws.ToTime(svc.Services[0].Events[len(svc.Services[0].Events)-1].CreatedAt))))
		}
	}
	press("q")
	select {
	case code := <-done:
		if code != ExitOK {
			t.Fatalf("top exit %d", code)
		}
	case <-time.After(30 * time.Second): // a hang, not a timing assertion
		t.Fatal("top did not quit on q")
	}
}

// withinAMinute: shown is how fmtx writes an age within a minute of d (the
// test reads the account's clock a moment after the dashboard did).
func withinAMinute(shown string, d time.Duration) bool {
	for off := -time.Minute; off <= time.Minute; off += time.Second {
		if fmtx.Age(d+off) == shown {
			return true
		}
	}
	return false
}

// status's STARTED column, "<time> (<age> ago)", counts the age on the
// account's clock: with the account 13 h ahead, a task started 8 h ago on
// it was shown as started in the future on the local clock.
func TestE2EStatusStartedAgesOnTheAccountClock(t *testing.T) {
	sb := startSandboxAhead(t, 13*time.Hour)
	code, stdout, stderr := run(t, "status", "-c", "small", "-s", "api")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	started := regexp.MustCompile(`RUNNING .* ([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z) \(([0-9dhms]+) ago\)`)
	rows := started.FindAllStringSubmatch(stdout, -1)
	if len(rows) != 3 {
		t.Fatalf("want 3 running tasks with their start and age:\n%s", stdout)
	}
	for _, r := range rows {
		at, err := time.Parse(time.RFC3339, r[1])
		if err != nil {
			t.Fatal(err)
		}
		if d := sb.sim.Now().Sub(at); !withinAMinute(r[2], d) {
			t.Errorf("task started %s shown %s ago; on the account's clock %s (local: %s)", r[1], r[2], fmtx.Age(d), fmtx.Age(time.Since(at)))
		}
	}
}
