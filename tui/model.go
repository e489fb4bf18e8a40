// Package tui is `ecsctl top`, the live ECS dashboard: bubbletea models
// over the read paths and actions of package ops. All I/O happens in
// tea.Cmds that return messages; the model only keeps state and draws it.
package tui

import (
	"context"
	"ecsctl/ops"
	"ecsctl/ops/overview"
	"errors"
	"log"
	"sync"
	"time"

	tea "github.com/charmbracelet/bubbletea"
)

// Source is what the dashboard reads (overview.TopSource in production).
type Source interface {
	Clusters(ctx context.Context) ([]overview.ClusterSummary, error)
	Services(ctx context.Context, cluster string) ([]overview.ServiceRow, error)
	Instances(ctx context.Context, cluster string) ([]overview.InstanceRow, error)
	ServiceDetail(ctx context.Context, cluster, service string, lastEvents int) (*overview.ServiceStatus, error)
	InstanceTasks(ctx context.Context, cluster, containerInstance string) ([]overview.TaskRow, error)
	// ServiceStates counts the services of each cluster by deployment state.
	ServiceStates(ctx context.Context, clusters []string) (map[string]overview.ServiceStateCounts, error)
	ClusterMetrics(ctx context.Context, clusters []string) (map[string]overview.Utilization, error)
	ServiceMetrics(ctx context.Context, cluster string, services []string) (map[string]overview.Utilization, error)
}

// Actions are what the dashboard may change (OpsActions in production).
// Each returns a one-line account of what it did.
type Actions interface {
	ScaleService(ctx context.Context, cluster, service string, count int) (string, error)
	ForceDeployment(ctx context.Context, cluster, service string) (string, error)
	Rollback(ctx context.Context, cluster, service string) (string, error)
	SetInstanceState(ctx context.Context, cluster, containerInstance, state string) (string, error)
}

// Options configure the dashboard.
type Options struct {
	Source  Source
	Actions Actions // nil: read-only
	// Cluster opens the services of this cluster; "" opens the clusters.
	Cluster string
	// Refresh is the data refresh interval (default 5s).
	Refresh time.Duration
	// MetricsEvery is the least time between two metrics reads of the
	// same view (default 1m: ECS publishes utilization per minute).
	MetricsEvery time.Duration
	ReadOnly     bool
	// Logs follows logs for the logs pane (nil: no pane).
	Logs LogSource
	// LogsSince is how far back the pane starts (default 10m, as
	// `ecsctl logs -f`); LogsMax is how many lines it keeps (default 5,000).
	LogsSince time.Duration
	LogsMax   int
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Context bounds every read and action; cancelling it stops them.
	Context context.Context
}

// view is a screen of the dashboard.
type view int

const (
	viewClusters view = iota
	viewServices
	viewInstances
	viewService  // drill-down: a service's tasks and events
	viewInstance // drill-down: an instance's tasks
	viewLogs     // the logs of a service or a task
)

// mode is what keys go to.
type mode int

const (
	modeNormal mode = iota
	modeFilter
	modeHelp
	modeCount   // typing a service's new desired count
	modeConfirm // y/n on an action
	modeSearch  // typing a search of the logs pane
)

// Model is the dashboard's state.
type Model struct {
	opts   Options
	ctx    context.Context
	cancel context.CancelFunc
	work   *topWork
	keys   topKeys
	st     *topStyles

	width, height int
	view          view
	cluster       string
	service       string // viewService
	instanceArn   string // viewInstance
	instanceID    string

	clusters  []overview.ClusterSummary
	services  []overview.ServiceRow
	instances []overview.InstanceRow
	detail    *overview.ServiceStatus
	instTasks []overview.TaskRow
	// loaded is set once the current view has data.
	loaded bool

	tables map[view]*topTable

	// Refresh bookkeeping: one refresh in flight at most; replies carry
	// the sequence number of their request and only the latest counts.
	seq       int
	inFlight  bool
	wantAgain bool
	lastOK    time.Time
	err       error
	errAt     time.Time
	refreshes int

	// Metrics: read per view scope at most once per MetricsEvery.
	metricsSeq      int
	metricsInFlight bool
	metricsAt       map[string]time.Time
	clusterUtil     map[string]overview.Utilization
	serviceUtil     map[string]overview.Utilization // key cluster/service
	trend           map[string][]float64            // cluster/service → CPU %

	mode     mode
	input    []rune
	inputPos int // the cursor in input
	// filterBefore is the filter when `/` was pressed (esc restores it).
	filterBefore string
	confirm      *topAction
	// notes are actions in progress or done, shown on their rows.
	notes     map[string]string
	doneNotes []string
	noteAge   map[string]int
	message   string

	// actionsInFlight counts running actions; noTick turns the tick off
	// (model tests drive refreshes by hand).
	actionsInFlight int
	noTick          bool

	// The logs pane (view 5); logsGen tells its tails apart.
	logs    *topLogsPane
	logsGen int
	// Service states per cluster, for the clusters view.
	clusterStates map[string]overview.ServiceStateCounts

	// metricsNote says why utilization is not shown (GetMetricData denied
	// or failing); everything else goes on.
	metricsNote string
}

// New builds the dashboard model.
func New(opts Options) *Model {
	if opts.Refresh <= 0 {
		opts.Refresh = 5 * time.Second
	}
	if opts.MetricsEvery <= 0 {
		opts.MetricsEvery = time.Minute
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Context == nil {
		opts.Context = context.Background()
	}
	if opts.Actions == nil {
		opts.ReadOnly = true
	}
	if opts.LogsSince <= 0 {
		opts.LogsSince = 10 * time.Minute
	}
	if opts.LogsMax <= 0 {
		opts.LogsMax = 5000
	}
	// Reads, actions and the logs pane go through ops, whose messages name
	// options in the dashboard's words, not the CLI's flags.
	ctx, cancel := context.WithCancel(ops.WithOptionNames(opts.Context, dashboardOption))
	m := &Model{
		opts: opts, ctx: ctx, cancel: cancel, work: newTopWork(), keys: newTopKeys(), st: newTopStyles(),
		width: 80, height: 24, tables: map[view]*topTable{},
		metricsAt: map[string]time.Time{}, clusterUtil: map[string]overview.Utilization{}, serviceUtil: map[string]overview.Utilization{},
		trend: map[string][]float64{}, notes: map[string]string{}, noteAge: map[string]int{},
	}
	for _, v := range []view{viewClusters, viewServices, viewInstances, viewService, viewInstance, viewLogs} {
		m.tables[v] = &topTable{}
	}
	if opts.Cluster != "" {
		m.view, m.cluster = viewServices, opts.Cluster
	}
	return m
}

// Stop cancels every read and action in flight and waits for their
// goroutines to return. Call it after the program has ended.
func (m *Model) Stop() {
	m.cancel()
	m.work.stop()
}

// topWork counts the commands running I/O. A command that bubbletea
// starts after Stop does nothing, and Stop waits for those running.
type topWork struct {
	mu      sync.Mutex
	cond    *sync.Cond
	running int
	stopped bool
}

func newTopWork() *topWork {
	w := &topWork{}
	w.cond = sync.NewCond(&w.mu)
	return w
}

func (w *topWork) begin() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopped {
		return false
	}
	w.running++
	return true
}

func (w *topWork) end() {
	w.mu.Lock()
	w.running--
	w.cond.Broadcast()
	w.mu.Unlock()
}

func (w *topWork) stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.stopped = true
	for w.running > 0 {
		w.cond.Wait()
	}
}

// ---- messages ----------------------------------------------------------------

type tickMsg time.Time

// dataMsg is a refresh's answer for one view.
type dataMsg struct {
	seq       int
	view      view
	clusters  []overview.ClusterSummary
	states    map[string]overview.ServiceStateCounts
	services  []overview.ServiceRow
	instances []overview.InstanceRow
	detail    *overview.ServiceStatus
	instTasks []overview.TaskRow
	err       error
	// partial is an error of a read that only adds to the view.
	partial error
}

type metricsMsg struct {
	seq   int
	scope string
	util  map[string]overview.Utilization
	err   error
}

type actionMsg struct {
	act    topAction
	result string
	err    error
}

// io wraps a command so that Stop can wait for it.
func (m *Model) io(fn func(ctx context.Context) tea.Msg) tea.Cmd {
	ctx, work := m.ctx, m.work
	return func() tea.Msg {
		if !work.begin() {
			return nil
		}
		defer work.end()
		return fn(ctx)
	}
}

func (m *Model) tick() tea.Cmd {
	if m.noTick {
		return nil
	}
	// Like tea.Tick, but it ends when the dashboard stops instead of
	// holding a goroutine until the timer fires.
	ctx, d, work := m.ctx, m.opts.Refresh, m.work
	return func() tea.Msg {
		if !work.begin() {
			return nil
		}
		defer work.end()
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case now := <-t.C:
			return tickMsg(now)
		case <-ctx.Done():
			return nil
		}
	}
}

// Init starts the first refresh and the tick.
func (m *Model) Init() tea.Cmd {
	return tea.Batch(m.refresh(), m.tick())
}

// refresh starts a read of the current view unless one is in flight; then
// it only notes that another is wanted when that one returns.
func (m *Model) refresh() tea.Cmd {
	if m.view == viewLogs {
		return nil // the pane follows on its own
	}
	if m.inFlight {
		m.wantAgain = true
		return nil
	}
	m.inFlight, m.wantAgain = true, false
	m.seq++
	seq, v, cluster, service, inst := m.seq, m.view, m.cluster, m.service, m.instanceArn
	src := m.opts.Source
	return m.io(func(ctx context.Context) tea.Msg {
		msg := dataMsg{seq: seq, view: v}
		switch v {
		case viewClusters:
			msg.clusters, msg.err = src.Clusters(ctx)
			if msg.err == nil {
				names := make([]string, len(msg.clusters))
				for i, c := range msg.clusters {
					names[i] = c.Name
				}
				// The states only add a column: without them the
				// clusters still show, with the error.
				msg.states, msg.partial = src.ServiceStates(ctx, names)
			}
		case viewServices:
			msg.services, msg.err = src.Services(ctx, cluster)
		case viewInstances:
			msg.instances, msg.err = src.Instances(ctx, cluster)
		case viewService:
			msg.detail, msg.err = src.ServiceDetail(ctx, cluster, service, 50)
		case viewInstance:
			msg.instTasks, msg.err = src.InstanceTasks(ctx, cluster, inst)
		}
		return msg
	})
}

// metricsScope is the metrics the current view shows ("" none).
func (m *Model) metricsScope() string {
	switch m.view {
	case viewClusters:
		return "clusters"
	case viewServices:
		return "services:" + m.cluster
	}
	return ""
}

// maybeMetrics reads utilization for the current view if the last read of
// that scope is at least MetricsEvery old.
func (m *Model) maybeMetrics() tea.Cmd {
	scope := m.metricsScope()
	if scope == "" || m.metricsInFlight || !m.loaded {
		return nil
	}
	if at, ok := m.metricsAt[scope]; ok && m.opts.Now().Sub(at) < m.opts.MetricsEvery {
		return nil
	}
	m.metricsAt[scope] = m.opts.Now()
	m.metricsInFlight = true
	m.metricsSeq++
	seq, src, cluster := m.metricsSeq, m.opts.Source, m.cluster
	var names []string
	if m.view == viewClusters {
		for _, c := range m.clusters {
			names = append(names, c.Name)
		}
	} else {
		for _, s := range m.services {
			if s.Running > 0 {
				names = append(names, s.Name)
			}
		}
	}
	return m.io(func(ctx context.Context) tea.Msg {
		msg := metricsMsg{seq: seq, scope: scope}
		if scope == "clusters" {
			msg.util, msg.err = src.ClusterMetrics(ctx, names)
		} else {
			msg.util, msg.err = src.ServiceMetrics(ctx, cluster, names)
		}
		return msg
	})
}

// switchView changes the view; the data of the old one is stale from now
// on (its reply, if in flight, is dropped by sequence number).
func (m *Model) switchView(v view) tea.Cmd {
	if v != viewLogs {
		m.stopLogs() // leaving the pane ends its tail
	}
	if v != m.view {
		m.tables[v].offset = 0
	}
	m.view = v
	m.loaded = false
	m.seq++ // anything in flight is now stale
	m.mode = modeNormal
	m.rebuild()
	return m.refresh()
}

// Update handles a message.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		return m, nil
	case tickMsg:
		// A tick while a refresh is in flight is dropped, not queued.
		var cmd tea.Cmd
		if !m.inFlight {
			cmd = m.refresh()
		}
		return m, tea.Batch(cmd, m.tick())
	case dataMsg:
		return m, m.onData(msg)
	case metricsMsg:
		m.metricsInFlight = false
		if msg.err != nil {
			// Utilization is an extra: a note, not an error over the data.
			if !errors.Is(msg.err, context.Canceled) {
				if m.metricsNote == "" {
					log.Printf("top: utilization not shown: %v", msg.err)
				}
				m.metricsNote = "utilization not shown: " + overview.MetricsUnavailableReason(msg.err)
			}
			return m, nil
		}
		m.metricsNote = ""
		m.onMetrics(msg)
		m.rebuild()
		return m, nil
	case actionMsg:
		return m, m.onAction(msg)
	case topLogsMsg:
		return m, m.onLogs(msg)
	case tea.KeyMsg:
		// Keys typed fast (or over a slow link) can arrive as one message
		// of several runes: each is a key of its own ("/level" is / then
		// the search).
		if msg.Type == tea.KeyRunes && len(msg.Runes) > 1 && !msg.Paste {
			var cmds []tea.Cmd
			for _, r := range msg.Runes {
				cmds = append(cmds, m.onKey(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}, Alt: msg.Alt}))
			}
			return m, tea.Batch(cmds...)
		}
		return m, m.onKey(msg)
	}
	return m, nil
}

func (m *Model) setErr(err error) {
	if errors.Is(err, context.Canceled) {
		return
	}
	m.err, m.errAt = err, m.opts.Now()
	log.Printf("top: %v", err)
}

func (m *Model) onData(msg dataMsg) tea.Cmd {
	m.inFlight = false
	stale := msg.seq != m.seq || msg.view != m.view
	if stale {
		// The view changed while this was in flight: read the new one.
		return m.refresh()
	}
	var again tea.Cmd
	if m.wantAgain {
		again = m.refresh()
	}
	if msg.err != nil {
		m.setErr(msg.err) // the last good data stays on screen
		return again
	}
	m.err = nil
	m.lastOK = m.opts.Now()
	m.refreshes++
	m.loaded = true
	switch msg.view {
	case viewClusters:
		m.clusters = msg.clusters
		if msg.partial == nil {
			m.clusterStates = msg.states
		}
	case viewServices:
		m.services = msg.services
	case viewInstances:
		m.instances = msg.instances
	case viewService:
		m.detail = msg.detail
	case viewInstance:
		m.instTasks = msg.instTasks
	}
	if msg.partial != nil {
		m.setErr(msg.partial) // the last states read stay
	}
	m.clearDoneNotes()
	m.rebuild()
	return tea.Batch(again, m.maybeMetrics())
}

func (m *Model) onMetrics(msg metricsMsg) {
	if msg.seq != m.metricsSeq {
		return
	}
	if msg.scope == "clusters" {
		for k, u := range msg.util {
			m.clusterUtil[k] = u
		}
		return
	}
	cluster := msg.scope[len("services:"):]
	for name, u := range msg.util {
		key := cluster + "/" + name
		m.serviceUtil[key] = u
		if u.CPU != nil {
			tr := append(m.trend[key], *u.CPU)
			if len(tr) > 12 {
				tr = tr[len(tr)-12:]
			}
			m.trend[key] = tr
		}
	}
}

// table is the current view's table.
func (m *Model) table() *topTable { return m.tables[m.view] }
