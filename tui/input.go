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
	switch m.mode {
	case modeHelp:
		if key.Matches(msg, m.keys.Quit) {
			return m.quit()
		}
		m.mode = modeNormal // any other key closes the help
		return nil
	case modeFilter, modeCount:
		return m.onInputKey(msg)
	case modeSearch:
		return m.onSearchKey(msg)
	case modeConfirm:
		a := m.confirm
		m.mode, m.confirm = modeNormal, nil
		switch msg.String() {
		case "y", "Y":
			return m.run(*a)
		}
		m.message = "cancelled"
		return nil
	}
	if m.view == viewLogs {
		return m.onLogsKey(msg)
	}
	k, t := m.keys, m.table()
	m.message = ""
	page := max(1, m.bodyHeight()-2)
	switch {
	case key.Matches(msg, k.Quit):
		return m.quit()
	case key.Matches(msg, k.Help):
		m.mode = modeHelp
	case key.Matches(msg, k.Up):
		t.move(-1)
	case key.Matches(msg, k.Down):
		t.move(1)
	case key.Matches(msg, k.PageUp):
		t.move(-page)
	case key.Matches(msg, k.PageDown):
		t.move(page)
	case key.Matches(msg, k.Top):
		t.move(-len(t.rows))
	case key.Matches(msg, k.Bottom):
		t.move(len(t.rows))
	case key.Matches(msg, k.Left):
		t.scrollCols(-1)
	case key.Matches(msg, k.Right):
		t.scrollCols(1)
	case key.Matches(msg, k.Sort):
		t.cycleSort(1)
	case key.Matches(msg, k.SortBack):
		t.cycleSort(-1)
	case key.Matches(msg, k.Reverse):
		t.reverse()
	case key.Matches(msg, k.Filter):
		m.mode, m.input, m.filterBefore = modeFilter, []rune(t.filter), t.filter
		m.inputPos = len(m.input)
	case key.Matches(msg, k.Refresh):
		return m.refresh()
	case key.Matches(msg, k.Enter):
		return m.open()
	case key.Matches(msg, k.Tasks):
		return m.tasks()
	case key.Matches(msg, k.Logs):
		req, crumb, ok := m.logsTarget(false)
		if !ok {
			m.message = "select a service or a task first (views 2 and 4) to see its logs"
			return nil
		}
		return m.openLogs(req, crumb)
	case key.Matches(msg, k.Back):
		if t.filter != "" {
			t.setFilter("")
			return nil
		}
		return m.back()
	case key.Matches(msg, k.Clusters):
		return m.switchView(viewClusters)
	case key.Matches(msg, k.Services), key.Matches(msg, k.Instances):
		if !m.pickCluster() {
			m.message = "select a cluster first"
			return nil
		}
		if key.Matches(msg, k.Services) {
			return m.switchView(viewServices)
		}
		return m.switchView(viewInstances)
	case key.Matches(msg, k.Scale):
		return m.startAction(actScale)
	case key.Matches(msg, k.Force):
		return m.startAction(actForce)
	case key.Matches(msg, k.Rollback):
		return m.startAction(actRollback)
	case key.Matches(msg, k.Drain):
		return m.startAction(actDrain)
	case key.Matches(msg, k.Activate):
		return m.startAction(actActivate)
	}
	return nil
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
