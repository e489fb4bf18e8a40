package tui

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

func (m *Model) onKey(msg tea.KeyMsg) tea.Cmd {
	if msg.String() == "ctrl+c" {
		return m.quit()
	}
	if cmd, ok := m.onModalKey(msg); ok {
		return cmd
	}
	if m.view == viewLogs {
		return m.onLogsKey(msg)
	}
	m.message = ""
	for _, tk := range m.tableKeys() {
		if key.Matches(msg, tk.binding) {
			return tk.do()
		}
	}
	return nil
}

// onModalKey handles a key while help, an input line or a confirmation is
// open; it says whether one was.
func (m *Model) onModalKey(msg tea.KeyMsg) (tea.Cmd, bool) {
	switch m.mode {
	case modeHelp:
		if key.Matches(msg, m.keys.Quit) {
			return m.quit(), true
		}
		m.mode = modeNormal // any other key closes the help
		return nil, true
	case modeFilter, modeCount:
		return m.onInputKey(msg), true
	case modeSearch:
		return m.onSearchKey(msg), true
	case modeConfirm:
		a := m.confirm
		m.mode, m.confirm = modeNormal, nil
		switch msg.String() {
		case "y", "Y":
			return m.run(*a), true
		}
		m.message = "cancelled"
		return nil, true
	}
	return nil, false
}

// tableKey is one key of the table views and what it does.
type tableKey struct {
	binding key.Binding
	do      func() tea.Cmd
}

// tableKeys are the table views' keys, matched in this order (the first
// binding that matches wins).
func (m *Model) tableKeys() []tableKey {
	k, t := m.keys, m.table()
	page := max(1, m.bodyHeight()-2)
	move := func(n int) func() tea.Cmd { return func() tea.Cmd { t.move(n); return nil } }
	do := func(f func()) func() tea.Cmd { return func() tea.Cmd { f(); return nil } }
	act := func(kind topActionKind) func() tea.Cmd { return func() tea.Cmd { return m.startAction(kind) } }
	return []tableKey{
		{k.Quit, m.quit},
		{k.Help, do(func() { m.mode = modeHelp })},
		{k.Up, move(-1)},
		{k.Down, move(1)},
		{k.PageUp, move(-page)},
		{k.PageDown, move(page)},
		{k.Top, move(-len(t.rows))},
		{k.Bottom, move(len(t.rows))},
		{k.Left, do(func() { t.scrollCols(-1) })},
		{k.Right, do(func() { t.scrollCols(1) })},
		{k.Sort, do(func() { t.cycleSort(1) })},
		{k.SortBack, do(func() { t.cycleSort(-1) })},
		{k.Reverse, do(t.reverse)},
		{k.Filter, do(func() {
			m.mode, m.input, m.filterBefore = modeFilter, []rune(t.filter), t.filter
			m.inputPos = len(m.input)
		})},
		{k.Refresh, m.refresh},
		{k.Enter, m.open},
		{k.Tasks, m.tasks},
		{k.Logs, m.logsKey},
		{k.Back, func() tea.Cmd {
			if t.filter != "" {
				t.setFilter("")
				return nil
			}
			return m.back()
		}},
		{k.Clusters, func() tea.Cmd { return m.switchView(viewClusters) }},
		{k.Services, func() tea.Cmd { return m.clusterView(viewServices) }},
		{k.Instances, func() tea.Cmd { return m.clusterView(viewInstances) }},
		{k.Scale, act(actScale)},
		{k.Force, act(actForce)},
		{k.Rollback, act(actRollback)},
		{k.Drain, act(actDrain)},
		{k.Activate, act(actActivate)},
	}
}

// logsKey opens the logs of the selected service or task.
func (m *Model) logsKey() tea.Cmd {
	req, crumb, ok := m.logsTarget(false)
	if !ok {
		m.message = "select a service or a task first (views 2 and 4) to see its logs"
		return nil
	}
	return m.openLogs(req, crumb)
}

// clusterView switches to a view of one cluster (services or instances),
// of the cluster selected in the clusters view.
func (m *Model) clusterView(v view) tea.Cmd {
	if !m.pickCluster() {
		m.message = "select a cluster first"
		return nil
	}
	return m.switchView(v)
}

// onInputKey edits the filter or the scale count.
func (m *Model) onInputKey(msg tea.KeyMsg) tea.Cmd {
	switch msg.Type {
	case tea.KeyEsc:
		if m.mode == modeFilter {
			m.table().setFilter(m.filterBefore)
		}
		m.mode, m.confirm = modeNormal, nil
		return nil
	case tea.KeyEnter:
		m.message = ""
		if m.mode == modeFilter {
			m.mode = modeNormal
			if err := m.table().setFilter(string(m.input)); err != nil {
				m.table().setFilter(m.filterBefore)
				m.message = err.Error()
			}
			return nil
		}
		n, err := strconv.Atoi(strings.TrimSpace(string(m.input)))
		if err != nil || n < 0 || n > 5000 {
			m.message = fmt.Sprintf("invalid count %q: want a whole number from 0 to 5000", string(m.input))
			return nil
		}
		a := *m.confirm
		a.count = n
		m.ask(a)
		return nil
	default:
		if editLine(&m.input, &m.inputPos, msg) && m.mode == modeFilter {
			// Filter as you type; an incomplete KEY: is not an error yet.
			m.table().setFilter(string(m.input))
		}
	}
	return nil
}

func (m *Model) quit() tea.Cmd {
	m.cancel() // stops reads and actions in flight
	return tea.Quit
}

// pickCluster sets the cluster from the clusters view's selection.
func (m *Model) pickCluster() bool {
	if m.view == viewClusters {
		if r, ok := m.table().current(); ok {
			m.setCluster(r.Key)
		}
	}
	return m.cluster != ""
}

func (m *Model) setCluster(name string) {
	if name != m.cluster {
		m.cluster = name
		m.services, m.instances = nil, nil
		m.tables[viewServices].selected, m.tables[viewInstances].selected = "", ""
	}
}

// open drills down from the selected row.
func (m *Model) open() tea.Cmd {
	r, ok := m.table().current()
	if !ok {
		return nil
	}
	switch m.view {
	case viewClusters:
		m.setCluster(r.Key)
		return m.switchView(viewServices)
	case viewServices:
		return m.openService(strings.TrimPrefix(r.Key, "svc:"))
	case viewInstances:
		arn := strings.TrimPrefix(r.Key, "inst:")
		if arn != m.instanceArn {
			m.instTasks = nil
			m.tables[viewInstance].selected = ""
		}
		m.instanceArn = arn
		for _, in := range m.instances {
			if in.ContainerInstanceArn == arn {
				m.instanceID = in.InstanceID
			}
		}
		return m.switchView(viewInstance)
	case viewService, viewInstance: // a task: its logs
		if req, crumb, ok := m.logsTarget(true); ok {
			return m.openLogs(req, crumb)
		}
	}
	return nil
}

// openService opens a service's drill-down (view 4).
func (m *Model) openService(name string) tea.Cmd {
	if name != m.service {
		m.detail = nil
		m.tables[viewService].selected = ""
	}
	m.service = name
	return m.switchView(viewService)
}

// tasks is key 4: the drill-down of the selected service or instance, or
// the last one opened.
func (m *Model) tasks() tea.Cmd {
	switch {
	case m.view == viewServices || m.view == viewInstances:
		return m.open()
	case m.view == viewLogs && m.logs != nil && (m.logs.from == viewService || m.logs.from == viewInstance):
		return m.switchView(m.logs.from)
	case m.view == viewLogs && m.logs != nil && m.logs.req.Service != "":
		return m.openService(m.logs.req.Service)
	case m.view == viewService || m.view == viewInstance:
		return nil
	case m.service != "" && m.cluster != "":
		return m.switchView(viewService)
	}
	m.message = "select a service or an instance first (views 2 and 3)"
	return nil
}

// back goes one level up.
func (m *Model) back() tea.Cmd {
	switch m.view {
	case viewService:
		return m.switchView(viewServices)
	case viewInstance:
		return m.switchView(viewInstances)
	case viewServices, viewInstances:
		return m.switchView(viewClusters)
	case viewLogs:
		if m.logs != nil {
			return m.switchView(m.logs.from)
		}
	}
	return nil
}
