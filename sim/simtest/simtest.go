// Package simtest runs a sandbox account for a test in virtual time.
//
// Start loads a world into a sim.Sim whose clock is manual (sim.Options.
// ManualClock: it moves only through Sim.Advance), serves it on loopback with
// httptest, and returns an aws.Config for the real SDK clients plus a Clock
// for ops (ops.Clock: Now and After).
//
// # Time
//
// The code under test owns time. Clock.Now reads the sim's virtual clock;
// Clock.After(d) advances the sim by d — running every scheduled event due
// in that span (tasks starting and stopping, targets draining, instances
// booting) before it returns — and hands back a channel that has already
// received the new time. So ops' "sleep one poll interval, then look again"
// makes exactly one poll interval of the account's time pass, and nothing
// moves while ops is making calls. A rotation or deploy that waits out a
// 300 s deregistration delay takes as long as its HTTP calls on loopback
// (milliseconds), and the outcome depends only on the world, the seed and
// the sequence of calls: no real-time race, however loaded the machine.
//
// This suits code that waits on one goroutine at a time (ops' deploy
// watcher, Drainer and Rotator do). Two goroutines waiting at once would
// each advance the clock, so time would pass at the sum of their waits.
//
// The SDK clients retry transient errors (a fault spec can inject them) at
// once: the retryer has no backoff and no client-side rate limiter, since a
// real-time backoff would only slow the test and a virtual one would move
// the account behind the code's back.
package simtest

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"ecsctl/sim"
)

// DefaultStart is a fixed virtual start time, so IDs, ages and timelines are the
// same on every run.
var DefaultStart = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// Options tune a sandbox; the zero value is fine.
type Options struct {
	// Seed for IDs and random choices (default 7).
	Seed int64
	// Start is the virtual time at creation (default DefaultStart).
	Start time.Time
	// PageSize caps List pages (default 100, as AWS).
	PageSize int
	// Settle is the virtual time run after loading the world, so that its
	// tasks are RUNNING and its instances registered (default 10 minutes;
	// negative: none).
	Settle time.Duration
	// Faults is a fault spec (sim.ParseFaults) set after settling.
	Faults string
	// MaxAttempts per SDK call (default 3, the SDK's standard).
	MaxAttempts int
}

// Sandbox is one account served for one test.
type Sandbox struct {
	Sim *sim.Sim
	URL string
	// Config builds SDK clients that reach the sandbox over HTTP with
	// static credentials in us-east-1.
	Config aws.Config
	// Clock is the clock to give ops: its waits advance Sim.
	Clock *Clock
}

// Start loads the built-in world name (sim.WorldNames).
func Start(t testing.TB, name string, opts Options) *Sandbox {
	t.Helper()
	w, err := sim.BuiltinWorld(name)
	if err != nil {
		t.Fatal(err)
	}
	return StartWorld(t, w, opts)
}

// StartWorld loads w, a world the test built or changed.
func StartWorld(t testing.TB, w *sim.World, opts Options) *Sandbox {
	t.Helper()
	if opts.Seed == 0 {
		opts.Seed = 7
	}
	if opts.Start.IsZero() {
		opts.Start = DefaultStart
	}
	if opts.Settle == 0 {
		opts.Settle = 10 * time.Minute
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 3
	}
	s := sim.New(sim.Options{Seed: opts.Seed, Start: opts.Start, PageSize: opts.PageSize, ManualClock: true})
	if err := s.LoadWorld(w); err != nil {
		t.Fatal(err)
	}
	if opts.Settle > 0 {
		s.Advance(opts.Settle)
	}
	if opts.Faults != "" {
		f, err := sim.ParseFaults(opts.Faults)
		if err != nil {
			t.Fatal(err)
		}
		s.SetFaults(f)
	}
	srv := httptest.NewServer(sim.NewServer(s, sim.DefaultRegistry))
	t.Cleanup(srv.Close)
	attempts := opts.MaxAttempts
	cfg := aws.Config{
		Region:       s.Region,
		Credentials:  credentials.NewStaticCredentialsProvider("simtest", "simtest", ""),
		BaseEndpoint: aws.String(srv.URL),
		HTTPClient:   sim.NewSDKHTTPClient(),
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = attempts
				o.RateLimiter = ratelimit.None
				o.Backoff = noBackoff{}
			})
		},
	}
	return &Sandbox{Sim: s, URL: srv.URL, Config: cfg, Clock: &Clock{sim: s}}
}

type noBackoff struct{}

func (noBackoff) BackoffDelay(int, error) (time.Duration, error) { return 0, nil }

// Clock is an ops.Clock over the sim's virtual clock.
type Clock struct {
	sim *sim.Sim
}

// Now is the account's virtual time.
func (c *Clock) Now() time.Time {
	c.sim.Lock()
	defer c.sim.Unlock()
	return c.sim.Now()
}

// After advances the account by d, running every event due meanwhile, and
// returns a channel that already holds the new time.
func (c *Clock) After(d time.Duration) <-chan time.Time {
	if d > 0 {
		c.sim.Advance(d)
	}
	ch := make(chan time.Time, 1)
	ch <- c.Now()
	return ch
}
