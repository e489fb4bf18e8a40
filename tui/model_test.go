package tui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	smithy "github.com/aws/smithy-go"
	tea "github.com/charmbracelet/bubbletea"

	"ecsctl/ops/overview"
)

// fakeSource is a function-field fake of Source; unset reads answer empty.
type fakeSource struct {
	mu             sync.Mutex
	calls          map[string]int
	clusters       func() ([]overview.ClusterSummary, error)
	services       func(cluster string) ([]overview.ServiceRow, error)
	instances      func(cluster string) ([]overview.InstanceRow, error)
	serviceDetail  func(cluster, service string) (*overview.ServiceStatus, error)
	instanceTasks  func(cluster, arn string) ([]overview.TaskRow, error)
	serviceMetrics func(cluster string, names []string) (map[string]overview.Utilization, error)
	serviceStates  func(clusters []string) (map[string]overview.ServiceStateCounts, error)
}

func (f *fakeSource) count(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.calls == nil {
		f.calls = map[string]int{}
	}
	f.calls[name]++
}

func (f *fakeSource) n(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[name]
}

func (f *fakeSource) Clusters(ctx context.Context) ([]overview.ClusterSummary, error) {
	f.count("Clusters")
	if f.clusters == nil {
		return nil, nil
	}
	return f.clusters()
}
func (f *fakeSource) Services(ctx context.Context, cluster string) ([]overview.ServiceRow, error) {
	f.count("Services")
	if f.services == nil {
		return nil, nil
	}
	return f.services(cluster)
}
func (f *fakeSource) Instances(ctx context.Context, cluster string) ([]overview.InstanceRow, error) {
	f.count("Instances")
	if f.instances == nil {
		return nil, nil
	}
	return f.instances(cluster)
}
func (f *fakeSource) ServiceDetail(ctx context.Context, cluster, service string, n int) (*overview.ServiceStatus, error) {
	f.count("ServiceDetail")
	if f.serviceDetail == nil {
		return &overview.ServiceStatus{Service: overview.ServiceRow{Name: service}}, nil
	}
	return f.serviceDetail(cluster, service)
}
func (f *fakeSource) InstanceTasks(ctx context.Context, cluster, arn string) ([]overview.TaskRow, error) {
	f.count("InstanceTasks")
	if f.instanceTasks == nil {
		return nil, nil
	}
	return f.instanceTasks(cluster, arn)
}
func (f *fakeSource) ServiceStates(ctx context.Context, clusters []string) (map[string]overview.ServiceStateCounts, error) {
	f.count("ServiceStates")
	if f.serviceStates == nil {
		return map[string]overview.ServiceStateCounts{}, nil
	}
	return f.serviceStates(clusters)
}
func (f *fakeSource) ClusterMetrics(ctx context.Context, names []string) (map[string]overview.Utilization, error) {
	f.count("ClusterMetrics")
	return map[string]overview.Utilization{}, nil
}
func (f *fakeSource) ServiceMetrics(ctx context.Context, cluster string, names []string) (map[string]overview.Utilization, error) {
	f.count("ServiceMetrics")
	if f.serviceMetrics == nil {
		return map[string]overview.Utilization{}, nil
	}
	return f.serviceMetrics(cluster, names)
}

// fakeActions records the actions asked for.
type fakeActions struct {
	mu  sync.Mutex
	did []string
	err error
}

func (f *fakeActions) rec(s string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.did = append(f.did, s)
	return "done: " + s, f.err
}
func (f *fakeActions) ScaleService(ctx context.Context, c, s string, n int) (string, error) {
	return f.rec(fmt.Sprintf("scale %s/%s %d", c, s, n))
}
func (f *fakeActions) ForceDeployment(ctx context.Context, c, s string) (string, error) {
	return f.rec("force " + c + "/" + s)
}
func (f *fakeActions) Rollback(ctx context.Context, c, s string) (string, error) {
	return f.rec("rollback " + c + "/" + s)
}
func (f *fakeActions) SetInstanceState(ctx context.Context, c, arn, st string) (string, error) {
	return f.rec("state " + c + " " + arn + " " + st)
}

func testServices() []overview.ServiceRow {
	return []overview.ServiceRow{
		{Cluster: "prod", Name: "api", State: overview.ServiceStateSteady, Desired: 4, Running: 4, Revision: 42, ImageTag: "7d3e9b1", CPUReserved: 4096},
		{Cluster: "prod", Name: "worker", State: overview.ServiceStateRolling, Desired: 2, Running: 1, Pending: 1, Deployments: 2, Revision: 7, ImageTag: "abc", CPUReserved: 512},
		{Cluster: "prod", Name: "billing", State: overview.ServiceStateFailed, Desired: 3, Running: 0, Revision: 3, ImageTag: "crash-1", CPUReserved: 0},
	}
}

var testNow = time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)

func servicesModel(t *testing.T, actions Actions, readOnly bool) (*Model, *fakeSource) {
	src := &fakeSource{services: func(string) ([]overview.ServiceRow, error) { return testServices(), nil }}
	now := testNow
	m := newTestModel(t, Options{Source: src, Actions: actions, Cluster: "prod", ReadOnly: readOnly, Refresh: time.Hour, Now: func() time.Time { return now }}, 100, 24)
	settle(t, m, m.Init())
	return m, src
}

func selectedName(m *Model) string {
	r, _ := m.table().current()
	return r.Key
}

func TestNavigationAndBreadcrumbs(t *testing.T) {
	src := &fakeSource{
		clusters: func() ([]overview.ClusterSummary, error) {
			return []overview.ClusterSummary{{Name: "prod", ActiveInstances: 3}, {Name: "staging", ActiveInstances: 1}}, nil
		},
		services: func(c string) ([]overview.ServiceRow, error) {
			return []overview.ServiceRow{{Cluster: c, Name: c + "-api", State: overview.ServiceStateSteady}}, nil
		},
		instances: func(c string) ([]overview.InstanceRow, error) {
			return []overview.InstanceRow{{Cluster: c, InstanceID: "i-1", ContainerInstanceArn: "arn:ci/" + c + "/1", Status: "ACTIVE", AgentConnected: true}}, nil
		},
	}
	m := newTestModel(t, Options{Source: src, Refresh: time.Hour, Now: func() time.Time { return testNow }}, 80, 24)
	settle(t, m, m.Init())
	if !strings.Contains(m.View(), "ecsctl top  Clusters ") || !strings.Contains(m.View(), "staging") {
		t.Fatalf("clusters view:\n%s", m.View())
	}
	press(t, m, "j", "enter")
	if m.view != viewServices || m.cluster != "staging" || !strings.Contains(m.View(), "Clusters › staging › Services") || !strings.Contains(m.View(), "staging-api") {
		t.Fatalf("enter on staging:\n%s", m.View())
	}
	press(t, m, "enter")
	// At 80 columns the first step gives way to READ-ONLY.
	if m.view != viewService || !strings.Contains(m.View(), "ecsctl top  … › staging › Services › staging-api") || !strings.Contains(m.View(), "READ-ONLY") {
		t.Fatalf("drill-down:\n%s", m.View())
	}
	press(t, m, "esc")
	if m.view != viewServices {
		t.Fatalf("esc from the drill-down went to %v", m.view)
	}
	press(t, m, "3")
	if m.view != viewInstances || !strings.Contains(m.View(), "i-1") {
		t.Fatalf("3:\n%s", m.View())
	}
	press(t, m, "enter")
	if m.view != viewInstance || m.instanceArn != "arn:ci/staging/1" || !strings.Contains(m.View(), "Instances › i-1") {
		t.Fatalf("instance drill-down:\n%s", m.View())
	}
	press(t, m, "1")
	if m.view != viewClusters || selectedName(m) != "staging" {
		t.Fatalf("1 went to %v with %q selected", m.view, selectedName(m))
	}
	if src.n("ServiceDetail") != 1 || src.n("InstanceTasks") != 1 {
		t.Errorf("drill-down reads: %v", src.calls)
	}
}

func TestFilterSubstringAndKeyValue(t *testing.T) {
	m, _ := servicesModel(t, nil, true)
	press(t, m, "/", "work", "enter")
	if got := len(m.table().rows); got != 1 || selectedName(m) != "svc:worker" {
		t.Fatalf("filter work: %d rows, selected %q", got, selectedName(m))
	}
	press(t, m, "/")
	for range "work" {
		press(t, m, "backspace")
	}
	press(t, m, "state:failed", "enter")
	if got := len(m.table().rows); got != 1 || selectedName(m) != "svc:billing" {
		t.Fatalf("state:failed: %d rows, selected %q\n%s", got, selectedName(m), m.View())
	}
	if !strings.Contains(m.View(), "1 of 3 rows · filter state:failed") {
		t.Errorf("filter not shown:\n%s", m.View())
	}
	// The filter survives a refresh.
	settle(t, m, m.refresh())
	if len(m.table().rows) != 1 {
		t.Errorf("refresh dropped the filter: %d rows", len(m.table().rows))
	}
	press(t, m, "/")
	for range "state:failed" {
		press(t, m, "backspace")
	}
	press(t, m, "bogus:x", "enter")
	if !strings.Contains(m.View(), `unknown filter key "bogus"`) || m.table().filter != "state:failed" {
		// a bad key keeps the previous filter and says which keys exist
		t.Errorf("bad filter key: filter %q\n%s", m.table().filter, m.View())
	}
	press(t, m, "esc") // esc clears the filter before leaving the view
	if m.table().filter != "" || len(m.table().rows) != 3 || m.view != viewServices {
		t.Errorf("esc: filter %q, %d rows, view %v", m.table().filter, len(m.table().rows), m.view)
	}
}

func TestSortByAnyColumnKeepsSelection(t *testing.T) {
	m, _ := servicesModel(t, nil, true)
	order := func() string {
		var names []string
		for _, r := range m.table().rows {
			names = append(names, strings.TrimPrefix(r.Key, "svc:"))
		}
		return strings.Join(names, ",")
	}
	if order() != "api,billing,worker" {
		t.Fatalf("default order %s", order())
	}
	press(t, m, "j") // billing
	press(t, m, "o") // STATE: failed, rolling, steady
	if order() != "billing,worker,api" || selectedName(m) != "svc:billing" {
		t.Fatalf("by state: %s, selected %s", order(), selectedName(m))
	}
	press(t, m, "o") // DESIRED
	if order() != "worker,billing,api" {
		t.Fatalf("by desired: %s", order())
	}
	press(t, m, "r")
	if order() != "api,billing,worker" || !strings.Contains(m.View(), "DESIRED ↓") {
		t.Fatalf("desired reversed: %s\n%s", order(), m.View())
	}
	for range m.table().cols {
		press(t, m, "o") // every column sorts without panicking
	}
	if selectedName(m) != "svc:billing" {
		t.Errorf("selection moved to %s while sorting", selectedName(m))
	}
}

func TestSelectionKeptAcrossRefreshes(t *testing.T) {
	m, src := servicesModel(t, nil, true)
	press(t, m, "G")
	if selectedName(m) != "svc:worker" {
		t.Fatalf("G selected %s", selectedName(m))
	}
	// A new service sorts before the selected one: the selection follows
	// the row, not the position.
	src.services = func(string) ([]overview.ServiceRow, error) {
		return append(testServices(), overview.ServiceRow{Name: "aaa", State: overview.ServiceStateSteady}), nil
	}
	settle(t, m, m.refresh())
	if selectedName(m) != "svc:worker" || m.table().cursor != 3 {
		t.Fatalf("after refresh selected %s at %d", selectedName(m), m.table().cursor)
	}
}

func TestRefreshNeverOverlapsAndDropsStaleReplies(t *testing.T) {
	m, src := servicesModel(t, nil, true)
	before := src.n("Services")
	// A tick while a refresh is in flight does not start another.
	c1 := m.refresh()
	if c1 == nil || !m.inFlight {
		t.Fatal("no refresh started")
	}
	_, c2 := m.Update(tickMsg(testNow))
	if c2 != nil {
		if _, ok := c2().(dataMsg); ok {
			t.Fatal("a tick started a second refresh while one was in flight")
		}
	}
	// The view changes while the services read is in flight: its reply is
	// stale and dropped, and the new view is read next.
	m.switchView(viewInstances)
	msg := c1()
	_, next := m.Update(msg)
	if m.view != viewInstances || next == nil {
		t.Fatalf("stale reply handling: view %v next %v", m.view, next)
	}
	if len(m.table().all) != 0 {
		t.Errorf("stale services landed in the instances table")
	}
	settle(t, m, next)
	if got := src.n("Services") - before; got != 1 {
		t.Errorf("services read %d times, want 1", got)
	}
	if src.n("Instances") != 1 {
		t.Errorf("instances read %d times, want 1", src.n("Instances"))
	}
	// A reply with an old sequence number never replaces newer data.
	m.switchView(viewServices)
	old := dataMsg{seq: m.seq - 5, view: viewServices, services: []overview.ServiceRow{{Name: "ghost"}}}
	m.inFlight = false
	m.Update(old)
	if strings.Contains(m.View(), "ghost") {
		t.Errorf("an old reply was shown")
	}
}

func TestErrorKeepsLastGoodData(t *testing.T) {
	m, src := servicesModel(t, nil, true)
	src.services = func(string) ([]overview.ServiceRow, error) {
		return nil, errors.New("describe services of prod: ThrottlingException: Rate exceeded")
	}
	settle(t, m, m.refresh())
	v := m.View()
	if !strings.Contains(v, "api") || !strings.Contains(v, "worker") || !strings.Contains(v, "⚠ describe services of prod: ThrottlingException: Rate exceeded (showing data from 10:00:00)") {
		t.Fatalf("error view:\n%s", v)
	}
	src.services = func(string) ([]overview.ServiceRow, error) { return testServices(), nil }
	settle(t, m, m.refresh())
	if strings.Contains(m.View(), "⚠") {
		t.Errorf("the error stayed after a good refresh:\n%s", m.View())
	}
}

func TestMetricsAtMostOncePerMinute(t *testing.T) {
	src := &fakeSource{services: func(string) ([]overview.ServiceRow, error) { return testServices(), nil }}
	v := 55.0
	src.serviceMetrics = func(c string, names []string) (map[string]overview.Utilization, error) {
		out := map[string]overview.Utilization{}
		for _, n := range names {
			out[n] = overview.Utilization{CPU: &v, Memory: &v}
		}
		return out, nil
	}
	now := testNow
	m := newTestModel(t, Options{Source: src, Cluster: "prod", Refresh: time.Hour, Now: func() time.Time { return now }}, 160, 24)
	settle(t, m, m.Init())
	for i := 0; i < 5; i++ {
		now = now.Add(5 * time.Second)
		settle(t, m, m.refresh())
	}
	if src.n("Services") != 6 || src.n("ServiceMetrics") != 1 {
		t.Fatalf("6 refreshes in 25s: %v", src.calls)
	}
	now = now.Add(time.Minute)
	settle(t, m, m.refresh())
	if src.n("ServiceMetrics") != 2 {
		t.Fatalf("a minute later: %v", src.calls)
	}
	if !strings.Contains(m.View(), "55.0%") || !strings.Contains(m.View(), "▄▄") {
		t.Errorf("utilization and trend not shown:\n%s", m.View())
	}
}

func TestConfirmationsAndActions(t *testing.T) {
	acts := &fakeActions{}
	m, _ := servicesModel(t, acts, false)
	press(t, m, "F")
	if m.mode != modeConfirm || !strings.Contains(m.View(), "Force a new deployment of prod/api?") {
		t.Fatalf("no confirmation:\n%s", m.View())
	}
	press(t, m, "n")
	if len(acts.did) != 0 || m.mode != modeNormal {
		t.Fatalf("declined action ran: %v", acts.did)
	}
	press(t, m, "F", "y")
	press(t, m, "j", "B", "y")
	// Scale: the count is asked first, then confirmed.
	press(t, m, "k", "S")
	if m.mode != modeCount || string(m.input) != "4" {
		t.Fatalf("scale prompt: mode %v input %q", m.mode, string(m.input))
	}
	press(t, m, "backspace", "x", "enter")
	if !strings.Contains(m.View(), `invalid count "x"`) || m.mode != modeCount {
		t.Fatalf("bad count:\n%s", m.View())
	}
	press(t, m, "backspace", "7", "enter")
	if !strings.Contains(m.View(), "Scale prod/api from 4 to 7 tasks?") {
		t.Fatalf("scale confirmation:\n%s", m.View())
	}
	press(t, m, "y")
	want := []string{"force prod/api", "rollback prod/billing", "scale prod/api 7"}
	if strings.Join(acts.did, ";") != strings.Join(want, ";") {
		t.Fatalf("actions %v, want %v", acts.did, want)
	}
	// The result is a status line message, never in a cell (a cell that
	// grows with it widened the SERVICE column for a refresh).
	if v := m.View(); !strings.HasSuffix(v, "done: scale prod/api 7") || strings.Contains(v, "[✓") {
		t.Errorf("result not in the status line, or drawn in a cell:\n%s", v)
	}
	// Instances: drain and activate.
	m.instances = nil
	src2 := m.opts.Source.(*fakeSource)
	src2.instances = func(string) ([]overview.InstanceRow, error) {
		return []overview.InstanceRow{{InstanceID: "i-1", ContainerInstanceArn: "arn:ci/1", Status: "ACTIVE", AgentConnected: true}}, nil
	}
	press(t, m, "3", "A")
	if !strings.Contains(m.View(), "i-1 is already active") {
		t.Errorf("activate on an active instance:\n%s", m.View())
	}
	press(t, m, "D")
	if !strings.Contains(m.View(), "Drain instance i-1 of prod?") {
		t.Fatalf("drain confirmation:\n%s", m.View())
	}
	press(t, m, "y")
	if acts.did[len(acts.did)-1] != "state prod arn:ci/1 DRAINING" {
		t.Errorf("drain did %v", acts.did)
	}
}

func TestActionErrorShown(t *testing.T) {
	acts := &fakeActions{err: errors.New("update service prod/api: AccessDeniedException: no")}
	m, _ := servicesModel(t, acts, false)
	press(t, m, "F", "y")
	if !strings.Contains(m.View(), "⚠ update service prod/api: AccessDeniedException: no") || strings.Contains(m.View(), "forcing") {
		t.Errorf("action error:\n%s", m.View())
	}
}

func TestReadOnlyRefusesEveryAction(t *testing.T) {
	acts := &fakeActions{}
	m, _ := servicesModel(t, acts, true)
	for _, k := range []string{"S", "F", "B"} {
		press(t, m, k)
		if m.mode != modeNormal || !strings.Contains(m.View(), "read-only: actions are disabled") {
			t.Fatalf("%s in read-only: mode %v\n%s", k, m.mode, m.View())
		}
	}
	press(t, m, "3", "D", "A")
	if len(acts.did) != 0 {
		t.Fatalf("read-only ran %v", acts.did)
	}
	// Even a confirmed action that slipped through is refused in run().
	if cmd := m.run(topAction{kind: actForce, cluster: "prod", service: "api"}); cmd != nil {
		t.Fatal("run() ignored --read-only")
	}
	if !strings.Contains(m.View(), "READ-ONLY") {
		t.Errorf("read-only not shown in the header")
	}
}

func TestHelpIsGeneratedFromKeymap(t *testing.T) {
	m, _ := servicesModel(t, &fakeActions{}, false)
	press(t, m, "?")
	v := m.View()
	for _, g := range m.keys.groups() {
		for _, b := range g.keys {
			if !strings.Contains(v, b.Help().Desc) {
				t.Errorf("help lacks %q", b.Help().Desc)
			}
		}
	}
	press(t, m, "x")
	if m.mode != modeNormal {
		t.Errorf("a key did not close the help")
	}
}

func TestSmallTerminalAndResize(t *testing.T) {
	src := &fakeSource{}
	var rows []overview.ServiceRow
	for i := 0; i < 1000; i++ {
		rows = append(rows, overview.ServiceRow{Name: fmt.Sprintf("svc-%04d", i), State: overview.ServiceStateSteady, Desired: i, LastEvent: "a very long last event message that would not fit on a small terminal at all"})
	}
	src.services = func(string) ([]overview.ServiceRow, error) { return rows, nil }
	m := newTestModel(t, Options{Source: src, Cluster: "large", Refresh: time.Hour, Now: func() time.Time { return testNow }}, 80, 24)
	settle(t, m, m.Init())
	check := func(w, h int) {
		t.Helper()
		lines := strings.Split(m.View(), "\n")
		if len(lines) != h {
			t.Fatalf("%dx%d: %d lines", w, h, len(lines))
		}
		for i, l := range lines {
			if n := len([]rune(l)); n > w {
				t.Fatalf("%dx%d: line %d is %d wide: %q", w, h, i, n, l)
			}
		}
	}
	check(80, 24)
	// Every row is reachable: scroll to the last one.
	press(t, m, "G")
	if !strings.Contains(m.View(), "svc-0999") {
		t.Fatalf("last row not shown after G:\n%s", m.View())
	}
	// At 80 columns the most useful columns are on screen (utilization
	// and the last event, cut), the rest give way and scroll into view.
	if v := m.View(); !strings.Contains(v, "LAST EVENT") || !strings.Contains(v, " CPU ") || !strings.Contains(v, " MEM ") || strings.Contains(v, "CPU RES") {
		t.Fatalf("at 80 columns, want CPU, MEM and LAST EVENT before CPU RES:\n%s", v)
	}
	for i := 0; i < 12; i++ {
		press(t, m, "l")
	}
	if !strings.Contains(m.View(), "a very long last event message") {
		t.Fatalf("last column never scrolled into view:\n%s", m.View())
	}
	m.Update(tea.WindowSizeMsg{Width: 200, Height: 50})
	check(200, 50)
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	check(80, 24)
}

func TestQuitCancelsWork(t *testing.T) {
	m, _ := servicesModel(t, nil, true)
	_, cmd := m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'q'}})
	if cmd == nil {
		t.Fatal("q returned no command")
	}
	if _, ok := cmd().(tea.QuitMsg); !ok {
		t.Fatal("q did not quit")
	}
	if m.ctx.Err() == nil {
		t.Fatal("q left the reads' context running")
	}
	m.Stop() // returns: nothing left in flight
}

// blockingSource never answers until its context ends, like a hung call.
type blockingSource struct {
	fakeSource
	started chan struct{}
}

func (b *blockingSource) Services(ctx context.Context, cluster string) ([]overview.ServiceRow, error) {
	close(b.started)
	<-ctx.Done()
	return nil, ctx.Err()
}

func TestQuitWithAReadInFlightLeavesNoGoroutine(t *testing.T) {
	src := &blockingSource{started: make(chan struct{})}
	m := New(Options{Source: src, Cluster: "prod", Refresh: 10 * time.Millisecond})
	cmds := m.Init()
	done := make(chan struct{})
	go func() { // what bubbletea does with the batch: run every command
		var wg sync.WaitGroup
		for _, c := range cmds().(tea.BatchMsg) {
			wg.Add(1)
			go func(c tea.Cmd) { defer wg.Done(); c() }(c)
		}
		wg.Wait()
		close(done)
	}()
	<-src.started
	_, quit := m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'q'}})
	if _, ok := quit().(tea.QuitMsg); !ok {
		t.Fatal("q did not quit")
	}
	m.Stop() // returns only when the read and the tick have returned
	<-done
	// A command bubbletea starts after Stop does nothing.
	if msg := m.io(func(context.Context) tea.Msg { return "ran" })(); msg != nil {
		t.Fatalf("a command ran after Stop: %#v", msg)
	}
}

// Utilization is optional: denied metrics leave the services on screen,
// without an error, utilization "-" and one note in the status line.
func TestMetricsDeniedIsANoteNotAnError(t *testing.T) {
	src := &fakeSource{services: func(string) ([]overview.ServiceRow, error) { return testServices(), nil }}
	src.serviceMetrics = func(string, []string) (map[string]overview.Utilization, error) {
		return nil, &smithy.GenericAPIError{Code: "AccessDenied", Message: "User: arn:aws:iam::123456789012:user/x is not authorized to perform: cloudwatch:GetMetricData"}
	}
	now := testNow
	m := newTestModel(t, Options{Source: src, Cluster: "prod", Refresh: time.Hour, Now: func() time.Time { return now }}, 160, 24)
	settle(t, m, m.Init())
	v := m.View()
	if strings.Contains(v, "⚠") || !strings.Contains(v, "api") || !strings.Contains(v, "worker") {
		t.Fatalf("denied metrics hid the data or showed an error:\n%s", v)
	}
	if !strings.Contains(v, "utilization not shown: cloudwatch:GetMetricData is denied") {
		t.Errorf("no note:\n%s", v)
	}
}
