package tui

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"
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
		waitFor(t, tm, "admin-worker")
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
