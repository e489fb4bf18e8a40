package tui

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"ecsctl/ops"
	"ecsctl/ops/logs"
	"ecsctl/ops/overview"
)

// fakeLogs is a LogSource the test feeds: each batch sent on feed is
// emitted, each notice on notices noticed; end ends the tail with endErr.
type fakeLogs struct {
	feed    chan []logs.Line
	notices chan ops.Event
	end     chan error
	running atomic.Int32
	reqs    chan logs.Request // one per tail started
}

func newFakeLogs() *fakeLogs {
	return &fakeLogs{feed: make(chan []logs.Line, 64), notices: make(chan ops.Event, 8), end: make(chan error, 1), reqs: make(chan logs.Request, 16)}
}

func (f *fakeLogs) TailLogs(ctx context.Context, req logs.Request, emit func([]logs.Line) error, notice func(ops.Event)) error {
	f.running.Add(1)
	defer f.running.Add(-1)
	f.reqs <- req
	for {
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w: %v", ops.ErrInterrupted, ctx.Err())
		case b := <-f.feed:
			if err := emit(b); err != nil {
				return err
			}
		case n := <-f.notices:
			notice(n)
		case err := <-f.end:
			return err
		}
	}
}

// lastReq is the request of the next tail started.
func (f *fakeLogs) lastReq(t *testing.T) logs.Request {
	t.Helper()
	select {
	case r := <-f.reqs:
		return r
	case <-time.After(30 * time.Second): // a hang, not a timing assertion
		t.Fatal("no tail started")
	}
	return logs.Request{}
}

// logLines makes n lines "<word> line NNN" from the task t1 and the
// container app, a second apart from testNow.
func logLines(from, n int, word string) []logs.Line {
	var out []logs.Line
	for i := from; i < from+n; i++ {
		out = append(out, logs.Line{ID: fmt.Sprint(i), Time: testNow.Add(time.Duration(i) * time.Second), Task: "0f3c6e1a9b2d4c5e", Container: "app",
			Message: fmt.Sprintf("%s line %03d", word, i)})
	}
	return out
}

// logsDriver drives the pane's commands as bubbletea would: the start
// command once, then the read command Update re-arms after each message.
type logsDriver struct {
	t    *testing.T
	m    *Model
	next tea.Cmd
}

// openPane sends key (L, 5 or enter) and runs the command that starts the
// tail; the read command is kept for pump.
func openPane(t *testing.T, m *Model, k tea.KeyMsg) *logsDriver {
	t.Helper()
	_, cmd := m.Update(k)
	if cmd == nil {
		t.Fatalf("%s opened nothing: %s\n%s", k, m.message, m.View())
	}
	batch, ok := cmd().(tea.BatchMsg)
	if !ok || len(batch) != 2 {
		t.Fatalf("%s: want the start and read commands, got %#v", k, batch)
	}
	if msg := batch[0](); msg != nil {
		t.Fatalf("the start command answered %#v", msg)
	}
	return &logsDriver{t: t, m: m, next: batch[1]}
}

var keyL = tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'L'}}

// step applies the tail's next message.
func (d *logsDriver) step() {
	d.t.Helper()
	if d.next == nil {
		d.t.Fatalf("the pane stopped reading its tail:\n%s", d.m.View())
	}
	got := make(chan tea.Msg, 1)
	go func() { got <- d.next() }()
	select {
	case msg := <-got:
		_, d.next = d.m.Update(msg)
	case <-time.After(30 * time.Second): // a hang, not a timing assertion
		d.d()
	}
}

func (d *logsDriver) d() {
	d.t.Helper()
	d.t.Fatalf("no message from the tail:\n%s", d.m.View())
}

// pump applies the tail's messages until cond holds.
func (d *logsDriver) pump(cond func() bool) {
	d.t.Helper()
	for !cond() {
		d.step()
	}
}

func logsModel(t *testing.T, h int) (*Model, *fakeLogs) {
	t.Helper()
	src := &fakeSource{services: func(string) ([]overview.ServiceRow, error) { return testServices(), nil }}
	fl := newFakeLogs()
	m := newTestModel(t, Options{Source: src, Logs: fl, Cluster: "prod", ReadOnly: true, Refresh: time.Hour, Now: func() time.Time { return testNow }}, 100, h)
	settle(t, m, m.Init())
	return m, fl
}

func TestLogsPaneLinesArriveAndFollow(t *testing.T) {
	m, fl := logsModel(t, 24)
	if selectedName(m) != "svc:api" { // sorted by name
		t.Fatalf("selected %s", selectedName(m))
	}
	d := openPane(t, m, keyL)
	req := fl.lastReq(t)
	if req.Cluster != "prod" || req.Service != "api" || !req.Follow || !req.Since.Equal(testNow.Add(-10*time.Minute)) || len(req.Tasks) != 0 {
		t.Fatalf("tail request %+v", req)
	}
	if m.view != viewLogs || !strings.Contains(m.View(), "Clusters › prod › Services › api › Logs") {
		t.Fatalf("not in the pane:\n%s", m.View())
	}
	if !strings.Contains(m.View(), "waiting for log lines") {
		t.Errorf("empty pane says nothing:\n%s", m.View())
	}
	fl.feed <- logLines(0, 3, "hello")
	fl.feed <- logLines(3, 100, "more")
	d.pump(func() bool { return len(m.logs.lines) == 103 })
	v := m.View()
	// Following: the newest lines fill the body, the oldest are above.
	if !strings.Contains(v, "10:01:42 0f3c6e1a/app more line 102") || strings.Contains(v, "hello line 000") {
		t.Fatalf("not following the newest line:\n%s", v)
	}
	if !strings.Contains(v, "103 lines · following") {
		t.Errorf("info line:\n%s", v)
	}
	if n := len(strings.Split(v, "\n")); n != 24 {
		t.Errorf("%d lines on a 24-line screen", n)
	}
	// Scrolling up pauses: new lines do not move the view.
	press(t, m, "k", "k")
	before := m.View()
	if !strings.Contains(before, "paused") || strings.Contains(before, "more line 102") {
		t.Fatalf("scrolling up did not pause:\n%s", before)
	}
	fl.feed <- logLines(103, 5, "newer")
	d.pump(func() bool { return len(m.logs.lines) == 108 })
	if after := m.View(); strings.Contains(after, "newer line") || !strings.Contains(after, "more line 100") {
		t.Fatalf("paused view moved with new lines:\n%s", after)
	}
	// g goes to the oldest; G follows again.
	press(t, m, "g")
	if !strings.Contains(m.View(), "hello line 000") {
		t.Fatalf("g did not show the oldest line:\n%s", m.View())
	}
	press(t, m, "G")
	if !strings.Contains(m.View(), "newer line 107") || !m.logs.follow {
		t.Fatalf("G did not follow:\n%s", m.View())
	}
	// Scrolling back down to the newest line follows again, too.
	press(t, m, "k", "j")
	if !m.logs.follow {
		t.Errorf("down to the newest line did not resume following")
	}
	// The tabs and the help know the pane.
	if !strings.Contains(m.View(), "[5 logs]") {
		t.Errorf("tab not marked:\n%s", m.View())
	}
}

func TestLogsPaneSearchHighlightsAndJumps(t *testing.T) {
	m, fl := logsModel(t, 24)
	d := openPane(t, m, keyL)
	var lines []logs.Line
	for i := 0; i < 60; i++ {
		word := "ok"
		if i == 5 || i == 30 || i == 35 || i == 58 {
			word = "ERROR"
		}
		lines = append(lines, logLines(i, 1, word)...)
	}
	fl.feed <- lines
	d.pump(func() bool { return len(m.logs.lines) == 60 })
	press(t, m, "/", "error")
	if m.mode != modeSearch || len(m.logs.matches) != 4 {
		t.Fatalf("search as you type: mode %v, %d matches", m.mode, len(m.logs.matches))
	}
	if !strings.Contains(m.View(), "/error▏") {
		t.Errorf("search prompt:\n%s", m.View())
	}
	press(t, m, "enter")
	// Following, the nearest match above the bottom is the newest (58).
	v := m.View()
	if !strings.Contains(v, "› 10:00:58 0f3c6e1a/app ERROR line 058") || !strings.Contains(v, "/error 4/4") {
		t.Fatalf("enter did not jump to the nearest match:\n%s", v)
	}
	press(t, m, "N")
	v = m.View()
	if !strings.Contains(v, "› 10:00:35 0f3c6e1a/app ERROR line 035") || !strings.Contains(v, "/error 3/4") || m.logs.follow {
		t.Fatalf("N did not go to the older match:\n%s", v)
	}
	if !strings.Contains(v, "• 10:00:30 0f3c6e1a/app ERROR line 030") {
		t.Errorf("other matches on screen not marked:\n%s", v)
	}
	press(t, m, "N", "N", "N")
	if !strings.Contains(m.View(), "› 10:00:58") || !strings.Contains(m.View(), "wrapped") {
		t.Fatalf("N past the oldest match did not wrap:\n%s", m.View())
	}
	press(t, m, "n")
	if !strings.Contains(m.View(), "› 10:00:05") {
		t.Fatalf("n past the newest did not wrap to the oldest:\n%s", m.View())
	}
	// New matching lines join the matches.
	fl.feed <- logLines(60, 1, "error")
	d.pump(func() bool { return len(m.logs.lines) == 61 })
	if len(m.logs.matches) != 5 {
		t.Errorf("%d matches after a new matching line, want 5", len(m.logs.matches))
	}
	press(t, m, "/", "zzz", "enter")
	if !strings.Contains(m.View(), `no line matches "zzz"`) {
		t.Errorf("no-match message:\n%s", m.View())
	}
	// esc clears the search first, then leaves the pane.
	press(t, m, "esc")
	if m.logs == nil || m.logs.query != "" || m.view != viewLogs {
		t.Fatalf("esc did not clear the search")
	}
	press(t, m, "esc")
	if m.view != viewServices {
		t.Fatalf("esc did not go back to the services: view %v", m.view)
	}
}

func TestLogsPaneBufferIsBounded(t *testing.T) {
	m, fl := logsModel(t, 24)
	m.opts.LogsMax = 50
	d := openPane(t, m, keyL)
	press(t, m, "/", "line 07", "enter")
	for i := 0; i < 12; i++ {
		fl.feed <- logLines(i*10, 10, "x")
	}
	d.pump(func() bool { return m.logs.dropped == 70 })
	p := m.logs
	if len(p.lines) != 50 || p.lines[0].msg != "x line 070" || p.lines[49].msg != "x line 119" {
		t.Fatalf("kept %d lines, %q … %q", len(p.lines), p.lines[0].msg, p.lines[len(p.lines)-1].msg)
	}
	if len(p.matches) != 10 || p.lines[p.matches[0]].msg != "x line 070" {
		t.Fatalf("matches not shifted with the dropped lines: %v", p.matches)
	}
	if !strings.Contains(m.View(), "50 lines (+70 dropped)") {
		t.Errorf("info:\n%s", m.View())
	}
}

func TestLogsPaneNoticesAndEnd(t *testing.T) {
	m, fl := logsModel(t, 24)
	m.setErr(errors.New("describe services of prod: an error of the services view"))
	d := openPane(t, m, keyL)
	if v := m.View(); strings.Contains(v, "an error of the services view") || !strings.Contains(v, "/ search") {
		t.Fatalf("the services view's error shows in the pane:\n%s", v)
	}
	fl.notices <- ops.Event{Time: testNow, Kind: ops.EventJoined, Task: "abc", Message: "+ task abc (api:42) joined"}
	d.step()
	if !strings.Contains(m.View(), "10:00:00 + task abc (api:42) joined") {
		t.Fatalf("joined notice not in the status line:\n%s", m.View())
	}
	fl.notices <- ops.Event{Time: testNow, Kind: ops.EventThrottled, Message: "throttled (ThrottlingException): polling every 4s until it passes"}
	d.step()
	if v := m.View(); !strings.Contains(v, "⚠ 10:00:00 throttled (ThrottlingException)") {
		t.Fatalf("throttled notice not in the status line:\n%s", v)
	}
	fl.end <- &ops.NotFoundError{Kind: "task", Name: "prod/abc"}
	d.step()
	if d.next != nil {
		t.Errorf("the pane kept reading after the tail ended")
	}
	if v := m.View(); !strings.Contains(v, "⚠ logs: ") || !strings.Contains(v, "tail stopped") {
		t.Fatalf("the tail's error is not shown:\n%s", v)
	}
}

func TestLogsPaneCleansControlCharacters(t *testing.T) {
	m, fl := logsModel(t, 24)
	d := openPane(t, m, keyL)
	fl.feed <- []logs.Line{{ID: "1", Time: testNow, Task: "t", Container: "app", Message: "red \x1b[31mtext\x1b[0m\ttab\r\n"}}
	d.pump(func() bool { return len(m.logs.lines) == 1 })
	v := m.View()
	if strings.Contains(v, "\x1b") || strings.Contains(v, "\t") || !strings.Contains(v, "red �[31mtext�[0m    tab") {
		t.Fatalf("control characters reached the screen: %q", v)
	}
}

// Leaving the pane, by esc, by another view or by quitting, cancels the
// tail: its goroutine returns and no goroutine is left.
func TestLeavingThePaneStopsTheTail(t *testing.T) {
	base := runtime.NumGoroutine()
	m, fl := logsModel(t, 24)
	for _, leave := range []string{"esc", "1", "3"} {
		d := openPane(t, m, keyL)
		fl.lastReq(t)
		p := m.logs
		fl.feed <- logLines(0, 1, "x")
		d.pump(func() bool { return len(p.lines) == 1 })
		if fl.running.Load() != 1 {
			t.Fatalf("%d tails running", fl.running.Load())
		}
		press(t, m, leave)
		if m.view == viewLogs || m.logs != nil {
			t.Fatalf("%s did not leave the pane", leave)
		}
		press(t, m, "2") // back to the services to open it again
		waitClosed(t, p.done, "the tail's goroutine after "+leave)
		// A message of the old tail that was in flight is dropped.
		if cmd := m.onLogs(topLogsMsg{gen: p.gen, lines: []topLogLine{{msg: "late"}}}); cmd != nil {
			t.Errorf("a message of a closed pane re-armed a read")
		}
		if d.next != nil {
			if msg := d.next(); msg != nil { // the old read returns at once
				t.Errorf("the old read answered %#v", msg)
			}
		}
	}
	// Quitting with the pane open: Stop cancels and waits for the tail.
	openPane(t, m, keyL)
	fl.lastReq(t)
	p := m.logs
	m.Stop()
	waitClosed(t, p.done, "the tail's goroutine after Stop")
	if n := fl.running.Load(); n != 0 {
		t.Fatalf("%d tails still running", n)
	}
	// Every goroutine the pane started has returned (the bound only
	// stops a hang; the runtime needs a moment to retire them).
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > base {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines, %d before:\n%s", runtime.NumGoroutine(), base, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(time.Millisecond)
	}
}

func waitClosed(t *testing.T, ch chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(30 * time.Second): // a hang, not a timing assertion
		t.Fatalf("%s never returned", what)
	}
}

func TestLogsOfATaskFromTheDrillDowns(t *testing.T) {
	src := &fakeSource{
		services: func(string) ([]overview.ServiceRow, error) { return testServices(), nil },
		serviceDetail: func(c, s string) (*overview.ServiceStatus, error) {
			return &overview.ServiceStatus{Service: overview.ServiceRow{Name: s}, Tasks: []overview.TaskRow{{ID: "0f3c6e1a9b2d4c5e", LastStatus: "RUNNING"}, {ID: "9a8b7c6d5e4f", LastStatus: "RUNNING"}}}, nil
		},
		instances: func(string) ([]overview.InstanceRow, error) {
			return []overview.InstanceRow{{InstanceID: "i-1", ContainerInstanceArn: "arn:ci/1", Status: "ACTIVE", AgentConnected: true}}, nil
		},
		instanceTasks: func(c, arn string) ([]overview.TaskRow, error) {
			return []overview.TaskRow{{ID: "77aa88bb99cc", LastStatus: "RUNNING"}}, nil
		},
	}
	fl := newFakeLogs()
	m := newTestModel(t, Options{Source: src, Logs: fl, Cluster: "prod", ReadOnly: true, Refresh: time.Hour, Now: func() time.Time { return testNow }}, 100, 24)
	settle(t, m, m.Init())
	press(t, m, "enter") // api's tasks
	if m.view != viewService {
		t.Fatalf("not in the drill-down:\n%s", m.View())
	}
	// L in the drill-down: the service's logs.
	openPane(t, m, keyL)
	if r := fl.lastReq(t); r.Service != "api" || len(r.Tasks) != 0 {
		t.Fatalf("L in the drill-down asked for %+v", r)
	}
	if !strings.Contains(m.View(), "Clusters › prod › Services › api › Logs") {
		t.Errorf("breadcrumbs:\n%s", m.View())
	}
	press(t, m, "esc")
	if m.view != viewService {
		t.Fatalf("esc went to view %v, want the drill-down", m.view)
	}
	// enter on a task row: that task's logs.
	press(t, m, "j")
	openPane(t, m, tea.KeyMsg{Type: tea.KeyEnter})
	if r := fl.lastReq(t); r.Service != "" || len(r.Tasks) != 1 || r.Tasks[0] != "9a8b7c6d5e4f" || r.Cluster != "prod" {
		t.Fatalf("enter on a task asked for %+v", r)
	}
	if !strings.Contains(m.View(), "Clusters › prod › Services › api › task 9a8b7c6d › Logs") {
		t.Errorf("breadcrumbs:\n%s", m.View())
	}
	// An instance's task, with 5.
	press(t, m, "3", "enter")
	openPane(t, m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'5'}})
	if r := fl.lastReq(t); len(r.Tasks) != 1 || r.Tasks[0] != "77aa88bb99cc" {
		t.Fatalf("5 on an instance's task asked for %+v", r)
	}
	if !strings.Contains(m.View(), "Clusters › prod › Instances › i-1 › task 77aa88bb › Logs") {
		t.Errorf("breadcrumbs:\n%s", m.View())
	}
	// Nothing selected that has logs: a message, no tail.
	press(t, m, "1")
	press(t, m, "L")
	if len(fl.reqs) != 0 || !strings.Contains(m.View(), "select a service or a task first") {
		t.Errorf("L on the clusters view:\n%s", m.View())
	}
}

func TestClustersViewCountsServicesNotSteady(t *testing.T) {
	src := &fakeSource{
		clusters: func() ([]overview.ClusterSummary, error) {
			return []overview.ClusterSummary{{Name: "prod", Services: 90, ActiveInstances: 50}, {Name: "staging", Services: 10, ActiveInstances: 3}, {Name: "dev", Services: 4}}, nil
		},
		serviceStates: func(cs []string) (map[string]overview.ServiceStateCounts, error) {
			return map[string]overview.ServiceStateCounts{
				"prod":    {Services: 90, Rolling: 2, Failed: 1},
				"staging": {Services: 10, Scaling: 1},
				"dev":     {Services: 4},
			}, nil
		},
	}
	m := newTestModel(t, Options{Source: src, Refresh: time.Hour, Now: func() time.Time { return testNow }}, 120, 24)
	settle(t, m, m.Init())
	v := m.View()
	for _, want := range []string{"NOT STEADY", "3: 1 failed, 2 rolling", "1: 1 scaling"} {
		if !strings.Contains(v, want) {
			t.Errorf("clusters view lacks %q:\n%s", want, v)
		}
	}
	rows := map[string]topRow{}
	for _, r := range m.table().rows {
		rows[r.Key] = r
	}
	if !rows["prod"].Mark || !rows["staging"].Mark || rows["dev"].Mark {
		t.Errorf("marks: prod %v staging %v dev %v; want the clusters with services not steady marked", rows["prod"].Mark, rows["staging"].Mark, rows["dev"].Mark)
	}
	// Sort by it, most unsteady first.
	press(t, m, "o", "o", "o", "o", "r")
	if keys := rowKeys(m); strings.Join(keys, ",") != "prod,staging,dev" {
		t.Errorf("sorted by NOT STEADY descending: %v", keys)
	}
	if src.n("ServiceStates") == 0 {
		t.Error("states never read")
	}
}

// Every column of every view sorts, by its value (numbers as numbers).
func TestSortByEveryColumnOfEveryView(t *testing.T) {
	m, _ := servicesModel(t, nil, true)
	now := testNow
	at := now.Add(-time.Hour)
	m.services[0].LastEvent, m.services[0].LastEventAt = "old", &at
	m.Update(tea.WindowSizeMsg{Width: 300, Height: 24})
	m.rebuild()
	for i := range m.table().cols {
		m.table().sortCol = i
		m.table().apply()
		if len(m.table().rows) != 3 {
			t.Fatalf("column %d lost rows", i)
		}
		if !strings.Contains(m.View(), " ↑") {
			t.Errorf("column %d: no sort marker", i)
		}
	}
}

func rowKeys(m *Model) []string {
	var out []string
	for _, r := range m.table().rows {
		out = append(out, r.Key)
	}
	return out
}

// A failed read of the services' states keeps the clusters on screen, and
// the last states read, with the error in the status line.
func TestClustersViewKeepsClustersWhenStatesFail(t *testing.T) {
	fail := false
	src := &fakeSource{
		clusters: func() ([]overview.ClusterSummary, error) {
			return []overview.ClusterSummary{{Name: "prod", Services: 3}}, nil
		},
		serviceStates: func([]string) (map[string]overview.ServiceStateCounts, error) {
			if fail {
				return nil, errors.New("list services of prod: AccessDeniedException: not allowed")
			}
			return map[string]overview.ServiceStateCounts{"prod": {Services: 3, Rolling: 1}}, nil
		},
	}
	m := newTestModel(t, Options{Source: src, Refresh: time.Hour, Now: func() time.Time { return testNow }}, 120, 24)
	settle(t, m, m.Init())
	fail = true
	settle(t, m, m.refresh())
	v := m.View()
	if !strings.Contains(v, "prod") || !strings.Contains(v, "1: 1 rolling") || !strings.Contains(v, "⚠ list services of prod: AccessDeniedException") {
		t.Fatalf("after a failed states read:\n%s", v)
	}
}
