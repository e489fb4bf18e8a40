package tui

import (
	"bytes"
	"context"
	"flag"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"ecsctl/ops/deploy"
	"ecsctl/ops/logs"
	"ecsctl/ops/overview"
	"ecsctl/sim"
)

// update is -update, defined by teatest's golden package (which this
// package's tests link): it rewrites testdata/tui too.
func update() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

func TestMain(m *testing.M) {
	// Goldens and View assertions are plain text: pin the colour profile.
	lipgloss.SetColorProfile(termenv.Ascii)
	log.SetOutput(io.Discard) // the dashboard logs its actions; tests need not see them
	os.Exit(m.Run())
}

// topStart is the fixed virtual start of the test sandboxes.
var topStart = time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)

type topFixedClock struct{ t time.Time }

func (c topFixedClock) Now() time.Time                         { return c.t }
func (c topFixedClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// topSandbox is a sandbox on a manual clock with the real SDK clients over
// loopback HTTP, and the dashboard's source and actions over them.
type topSandbox struct {
	url     string
	sim     *sim.Sim
	ecs     *ecs.Client
	src     *overview.TopSource
	actions *OpsActions
	logs    *OpsLogs
	now     time.Time
}

// startTopSandbox loads a built-in world and lets it settle so that tasks
// run and metrics exist. Clients make one attempt per call, so a fault
// shows at once instead of after the retryer's backoff.
func startTopSandbox(t testing.TB, world string) *topSandbox {
	t.Helper()
	return startTopSandboxWith(t, world, nil)
}

// startTopSandboxWith is startTopSandbox with the SDK's HTTP client
// wrapped (benchmarks count calls with it).
func startTopSandboxWith(t testing.TB, world string, wrap func(aws.HTTPClient) aws.HTTPClient) *topSandbox {
	t.Helper()
	w, err := sim.BuiltinWorld(world)
	if err != nil {
		t.Fatal(err)
	}
	s := sim.New(sim.Options{Seed: 11, ManualClock: true, Start: topStart})
	if err := s.LoadWorld(w); err != nil {
		t.Fatal(err)
	}
	s.Advance(10 * time.Minute)
	srv := httptest.NewServer(sim.NewServer(s, sim.DefaultRegistry))
	t.Cleanup(srv.Close)
	sb := topSandboxAt(srv.URL, s.Now(), wrap)
	sb.sim = s
	return sb
}

// topSandboxAt builds the clients, source and actions for an endpoint
// whose clock reads now.
func topSandboxAt(url string, now time.Time, wrap func(aws.HTTPClient) aws.HTTPClient) *topSandbox {
	cfg := aws.Config{
		Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""), BaseEndpoint: aws.String(url),
		Retryer:    func() aws.Retryer { return retry.AddWithMaxAttempts(retry.NewStandard(), 1) },
		HTTPClient: sim.NewSDKHTTPClient(),
	}
	if wrap != nil {
		cfg.HTTPClient = wrap(cfg.HTTPClient)
	}
	ecsc := ecs.NewFromConfig(cfg)
	clock := topFixedClock{now}
	src := overview.NewTopSource(&overview.Reader{ECS: ecsc, EC2: ec2.NewFromConfig(cfg), ASG: autoscaling.NewFromConfig(cfg),
		CW: cloudwatch.NewFromConfig(cfg), ELB: elasticloadbalancingv2.NewFromConfig(cfg), Clock: clock})
	acts := &OpsActions{
		Scaler:   &overview.ServiceScaler{ECS: ecsc, AAS: applicationautoscaling.NewFromConfig(cfg), Clock: clock},
		Deployer: &deploy.Deployer{ECS: ecsc, Region: "us-east-1", Clock: clock},
		ECS:      ecsc,
	}
	cwl := cloudwatchlogs.NewFromConfig(cfg)
	logs := &OpsLogs{ECS: ecsc, Logs: func(string) logs.API { return cwl }, Region: "us-east-1", Clock: clock, PollInterval: 10 * time.Millisecond}
	return &topSandbox{url: url, ecs: ecsc, src: src, actions: acts, logs: logs, now: now}
}

func (sb *topSandbox) options(cluster string, readOnly bool) Options {
	o := Options{Source: sb.src, Actions: sb.actions, Logs: sb.logs, Cluster: cluster, Refresh: time.Hour, ReadOnly: readOnly, Now: func() time.Time { return sb.now }}
	return o
}

// newTestModel builds a model at a fixed size with the tick off: tests
// drive refreshes and settle the commands themselves.
func newTestModel(t testing.TB, opts Options, w, h int) *Model {
	t.Helper()
	m := New(opts)
	m.noTick = true
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	t.Cleanup(m.Stop)
	return m
}

// settle runs cmd and every command its messages lead to until no read,
// metrics read or action is in flight. Commands run in goroutines, as in
// bubbletea; their messages are applied one at a time.
func settle(t testing.TB, m *Model, cmd tea.Cmd) {
	t.Helper()
	msgs := make(chan tea.Msg, 64)
	var launch func(tea.Cmd)
	running := 0
	launch = func(c tea.Cmd) {
		if c == nil {
			return
		}
		running++
		go func() { msgs <- c() }()
	}
	launch(cmd)
	deadline := time.After(30 * time.Second) // a hang, not a timing assertion
	for running > 0 {
		select {
		case msg := <-msgs:
			running--
			switch msg := msg.(type) {
			case nil:
			case tea.BatchMsg:
				for _, c := range msg {
					launch(c)
				}
			default:
				if _, ok := msg.(tea.QuitMsg); ok {
					continue
				}
				_, next := m.Update(msg)
				launch(next)
			}
		case <-deadline:
			t.Fatalf("commands never settled (in flight: refresh %v, metrics %v, actions %d)", m.inFlight, m.metricsInFlight, m.actionsInFlight)
		}
	}
}

// press sends keys (each rune a key; names like "enter" as one) and
// settles what they start.
func press(t testing.TB, m *Model, keys ...string) {
	t.Helper()
	for _, k := range keys {
		var msg tea.KeyMsg
		switch k {
		case "enter":
			msg = tea.KeyMsg{Type: tea.KeyEnter}
		case "esc":
			msg = tea.KeyMsg{Type: tea.KeyEsc}
		case "backspace":
			msg = tea.KeyMsg{Type: tea.KeyBackspace}
		case "down":
			msg = tea.KeyMsg{Type: tea.KeyDown}
		case "up":
			msg = tea.KeyMsg{Type: tea.KeyUp}
		case "ctrl+c":
			msg = tea.KeyMsg{Type: tea.KeyCtrlC}
		default:
			for _, r := range k {
				_, cmd := m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
				settle(t, m, cmd)
			}
			continue
		}
		_, cmd := m.Update(msg)
		settle(t, m, cmd)
	}
}

// goldenFile compares got with testdata/tui/NAME, or rewrites it under -update.
func goldenFile(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("..", "testdata", "tui", name)
	if update() {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./tui -run %s -update creates it)", err, t.Name())
	}
	if !bytes.Equal(want, []byte(got)) {
		t.Errorf("%s differs (go test ./tui -run %s -update rewrites it)\n--- got:\n%s\n--- want:\n%s", path, t.Name(), got, want)
	}
}

var _ = context.Background
