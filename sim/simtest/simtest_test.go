package simtest_test

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"ecsctl/sim/simtest"
)

// The clock moves only when the code under test waits, and a wait runs
// the account's scheduled work:
// a task the test adds is RUNNING only once a wait longer than a task's start
// time (20 s) has passed.
func TestClockAdvancesTheSimOnlyWhenWaiting(t *testing.T) {
	t.Parallel()
	sb := simtest.Start(t, "small", simtest.Options{})
	c := ecs.NewFromConfig(sb.Config)
	running := func() int32 {
		out, err := c.DescribeServices(t.Context(), &ecs.DescribeServicesInput{Cluster: aws.String("small"), Services: []string{"api"}})
		if err != nil || len(out.Services) != 1 {
			t.Fatalf("describe api: %v", err)
		}
		return out.Services[0].RunningCount
	}
	t0 := sb.Clock.Now()
	if want := simtest.DefaultStart.Add(10 * time.Minute); !t0.Equal(want) {
		t.Fatalf("clock starts at %s, want %s (the start and the default settle)", t0, want)
	}
	if _, err := c.UpdateService(t.Context(), &ecs.UpdateServiceInput{Cluster: aws.String("small"), Service: aws.String("api"), DesiredCount: aws.Int32(4)}); err != nil {
		t.Fatal(err)
	}
	if n := running(); n != 3 {
		t.Fatalf("%d api tasks running before any time passed, want the world's 3", n)
	}
	if now := sb.Clock.Now(); !now.Equal(t0) {
		t.Fatalf("clock moved to %s with no wait", now)
	}
	at := <-sb.Clock.After(5 * time.Minute)
	if want := t0.Add(5 * time.Minute); !at.Equal(want) || !sb.Clock.Now().Equal(want) {
		t.Fatalf("after a 5m wait: channel %s, now %s, want %s", at, sb.Clock.Now(), want)
	}
	if n := running(); n != 4 {
		t.Fatalf("%d api tasks running after 5 minutes, want 4", n)
	}
}
