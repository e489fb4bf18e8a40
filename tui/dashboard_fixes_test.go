package tui

import (
	"errors"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"ecsctl/ops/overview"
)

func sendKey(m *Model, t tea.KeyType) { m.Update(tea.KeyMsg{Type: t}) }

// `/` edits like a shell line: reopening shows the filter with the cursor
// at its end, ctrl-u clears it, ctrl-w drops a word, ctrl-a/ctrl-e jump,
// esc puts back the filter from before.
func TestFilterEditsLikeAShellLine(t *testing.T) {
	m, _ := servicesModel(t, nil, true)
	press(t, m, "/", "service:api", "enter")
	if got := m.table().filter; got != "service:api" {
		t.Fatalf("filter %q", got)
	}
	press(t, m, "/")
	sendKey(m, tea.KeyCtrlU)
	press(t, m, "tag:7d3")
	sendKey(m, tea.KeyEnter)
	if got := m.table().filter; got != "tag:7d3" {
		t.Fatalf("after ctrl-u and typing: filter %q (want tag:7d3, not appended to the old text)", got)
	}
	press(t, m, "/", " worker")
	sendKey(m, tea.KeyCtrlW)
	if string(m.input) != "tag:7d3 " {
		t.Fatalf("ctrl-w: %q", string(m.input))
	}
	sendKey(m, tea.KeyCtrlA)
	press(t, m, "x")
	sendKey(m, tea.KeyCtrlE)
	press(t, m, "y")
	if string(m.input) != "xtag:7d3 y" || !strings.Contains(m.View(), "/xtag:7d3 y▏") {
		t.Fatalf("ctrl-a/ctrl-e: %q\n%s", string(m.input), m.View())
	}
	sendKey(m, tea.KeyEsc)
	if got := m.table().filter; got != "tag:7d3" || m.mode != modeNormal {
		t.Fatalf("esc: filter %q mode %v", got, m.mode)
	}
	// The CLI's filter key for the name column works here too.
	press(t, m, "/")
	sendKey(m, tea.KeyCtrlU)
	press(t, m, "name:work", "enter")
	if len(m.table().rows) != 1 || m.table().rows[0].Key != "svc:worker" {
		t.Fatalf("name:work kept %d rows", len(m.table().rows))
	}
}

// Column widths stay put while a refresh only shortens a cell.
func TestColumnWidthsStableAcrossRefreshes(t *testing.T) {
	m, src := servicesModel(t, nil, true)
	header := func() string { return strings.Split(m.View(), "\n")[2] }
	before := header()
	src.services = func(string) ([]overview.ServiceRow, error) {
		rows := testServices()
		rows[1].State, rows[1].Deployments = overview.ServiceStateSteady, 1 // "rolling (2)" → "steady"
		return rows, nil
	}
	settle(t, m, m.refresh())
	if after := header(); after != before {
		t.Fatalf("the header moved after a refresh:\n%s\n%s", before, after)
	}
}

// A long multi-line message (a failed deploy's reason) stays on the status
// line: the screen keeps its height, so no row is drawn twice.
func TestLongStatusLineDoesNotWrap(t *testing.T) {
	m, _ := servicesModel(t, nil, true)
	m.message = "deploy failed: " + strings.Repeat("tasks failed to start because the essential container exited ", 5) + "\nsecond line"
	lines := strings.Split(m.View(), "\n")
	if len(lines) != 24 {
		t.Fatalf("%d lines, want 24", len(lines))
	}
	m.message = ""
	m.setErr(errors.New("describe services prod: " + strings.Repeat("very long error ", 20) + "\nwith a newline"))
	if lines := strings.Split(m.View(), "\n"); len(lines) != 24 {
		t.Fatalf("error status: %d lines, want 24", len(lines))
	}
}
