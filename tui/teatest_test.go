package tui

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"

	"ecsctl/ops"
	"ecsctl/ops/logs"
	"ecsctl/ops/overview"
)

// Flows through a real bubbletea program at a fixed 80x24 with the Ascii
// colour profile (TestMain), against the demo sandbox on a manual clock;
// the final screen is compared with testdata/tui/*.golden.

func runFlow(t *testing.T, opts Options, steps func(tm *teatest.TestModel)) *Model {
	t.Helper()
	m := New(opts)
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(80, 24))
	steps(tm)
	tm.Send(tea.KeyMsg{Type: tea.KeyCtrlC}) // quits from any mode, leaving the screen as it was
	tm.WaitFinished(t, teatest.WithFinalTimeout(20*time.Second))
	m.Stop()
	return tm.FinalModel(t).(*Model)
}

func waitFor(t *testing.T, tm *teatest.TestModel, text string) {
	t.Helper()
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte(text)) },
		teatest.WithDuration(20*time.Second), teatest.WithCheckInterval(5*time.Millisecond))
}

func typeKeys(tm *teatest.TestModel, keys string) {
	for _, r := range keys {
		tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
}

func TestFlowClustersToServices(t *testing.T) {
	sb := startTopSandbox(t, "demo")
	opts := sb.options("", false)
	opts.Refresh = time.Hour
	final := runFlow(t, opts, func(tm *teatest.TestModel) {
		waitFor(t, tm, "staging")
		tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
		waitForAll(t, tm, "admin-worker", "42.4%") // its utilization, on screen at 80 columns
		typeKeys(tm, "/worker")
		tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
		waitFor(t, tm, "of 90 rows")
		typeKeys(tm, "oo") // sort by DESIRED
		waitFor(t, tm, "DESIRED")
	})
	goldenFile(t, "services-80x24.golden", final.View())
}

func TestFlowHelpAndReadOnly(t *testing.T) {
	sb := startTopSandbox(t, "demo")
	opts := sb.options("prod", true)
	final := runFlow(t, opts, func(tm *teatest.TestModel) {
		waitFor(t, tm, "admin-api")
		typeKeys(tm, "F")
		waitFor(t, tm, "read-only")
		typeKeys(tm, "?")
		waitFor(t, tm, "actions (off")
	})
	goldenFile(t, "help-80x24.golden", final.View())
	if len(sb.mutations()) != 0 {
		t.Fatalf("mutations: %v", sb.mutations())
	}
}

func TestFlowInstancesConfirmDrain(t *testing.T) {
	sb := startTopSandbox(t, "demo")
	opts := sb.options("prod", false)
	final := runFlow(t, opts, func(tm *teatest.TestModel) {
		waitFor(t, tm, "admin-api")
		typeKeys(tm, "3")
		waitFor(t, tm, "50 rows")
		typeKeys(tm, "D")
		waitFor(t, tm, "Drain instance")
	})
	goldenFile(t, "confirm-drain-80x24.golden", final.View())
	if len(sb.mutations()) != 0 {
		t.Fatalf("quitting at the confirmation still mutated: %v", sb.mutations())
	}
}

var _ = io.Discard
var _ = strings.Contains

// The logs pane at 80x24: lines wrapped to the width, a search with its
// matches marked, the tail's last notice in the status line.
func TestFlowLogsPaneSearch(t *testing.T) {
	src := &fakeSource{services: func(string) ([]overview.ServiceRow, error) { return testServices(), nil }}
	fl := newFakeLogs()
	var lines []logs.Line
	for i := 0; i < 40; i++ {
		msg := fmt.Sprintf(`{"level":"info","msg":"GET /orders/%d 200","ms":%d}`, i, 3+i%7)
		switch i {
		case 31, 36:
			msg = fmt.Sprintf(`{"level":"error","msg":"POST /orders/%d 502: upstream connect error or disconnect/reset before headers","ms":%d}`, i, 30000)
		}
		task := "0f3c6e1a9b2d4c5e"
		if i%3 == 0 {
			task = "77aa88bb99cc0011"
		}
		lines = append(lines, logs.Line{ID: fmt.Sprint(i), Time: testNow.Add(time.Duration(i) * time.Second), Task: task, Container: "app", Message: msg})
	}
	fl.feed <- lines[:20]
	fl.feed <- lines[20:]
	fl.notices <- ops.Event{Time: testNow.Add(30 * time.Second), Kind: ops.EventJoined, Task: "77aa88bb99cc0011", Message: "+ task 77aa88bb99cc0011 (api:42) joined"}
	opts := Options{Source: src, Logs: fl, Cluster: "prod", ReadOnly: true, Refresh: time.Hour, Now: func() time.Time { return testNow }}
	final := runFlow(t, opts, func(tm *teatest.TestModel) {
		waitFor(t, tm, "worker")
		typeKeys(tm, "L")
		waitForAll(t, tm, "/orders/39", "joined", "40 lines")
		typeKeys(tm, "/error")
		tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
		waitFor(t, tm, "/error 2/2")
	})
	goldenFile(t, "logs-80x24.golden", final.View())
	if final.logs == nil || len(final.logs.lines) != 40 {
		t.Fatalf("pane state at the end: %+v", final.logs)
	}
}

// waitForAll waits until the output since the last wait holds every text.
func waitForAll(t *testing.T, tm *teatest.TestModel, texts ...string) {
	t.Helper()
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		for _, s := range texts {
			if !bytes.Contains(b, []byte(s)) {
				return false
			}
		}
		return true
	}, teatest.WithDuration(20*time.Second), teatest.WithCheckInterval(5*time.Millisecond))
}

// The clusters view at 80x24 with a deployment rolling in prod: the
// services not steady are counted and the row stands out.
func TestFlowClustersNotSteady(t *testing.T) {
	sb := startTopSandbox(t, "demo")
	if _, err := sb.actions.ForceDeployment(context.Background(), "prod", "api"); err != nil {
		t.Fatal(err)
	}
	sb.sim.ResetRequests()
	final := runFlow(t, sb.options("", true), func(tm *teatest.TestModel) {
		waitForAll(t, tm, "staging", "1: 1 rolling", "44.7%") // utilization is on screen at 80 columns now: wait for it
	})
	goldenFile(t, "clusters-80x24.golden", final.View())
	var prod topRow
	for _, r := range final.table().rows {
		if r.Key == "prod" {
			prod = r
		}
	}
	if prod.Sign != "~" || prod.Cells[4].Text != "1: 1 rolling" {
		t.Errorf("prod row: sign %q, NOT STEADY %q", prod.Sign, prod.Cells[4].Text)
	}
	if m := sb.mutations(); len(m) != 0 {
		t.Errorf("the clusters view changed something: %v", m)
	}
}
