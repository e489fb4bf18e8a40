package tui

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/smithy-go"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"ecsctl/fmtx"
	"ecsctl/ops/overview"
)

// rebuild turns the current view's data into table rows; filter, sort and
// selection live in the table and survive it.
func (m *Model) rebuild() {
	t := m.table()
	var cols []topColumn
	var rows []topRow
	now := m.opts.Now()
	switch m.view {
	case viewClusters:
		cols, rows = m.clusterRows()
	case viewServices:
		cols, rows = m.serviceRows(now)
	case viewInstances:
		cols, rows = m.instanceRows()
	case viewService, viewInstance:
		cols, rows = m.taskRows(now)
	}
	t.setRows(cols, rows)
}

// clusterRows is the clusters view (1): a row per cluster, marked when a
// service failed or is not steady, or tasks wait or instances drain.
func (m *Model) clusterRows() ([]topColumn, []topRow) {
	var rows []topRow
	cols := []topColumn{{Title: "CLUSTER"}, {Title: "ACTIVE", Right: true, Drop: 1}, {Title: "DRAINING", Right: true, Drop: 2}, {Title: "SERVICES", Right: true, Drop: 1},
		{Title: "NOT STEADY"}, {Title: "RUNNING", Right: true, Drop: 1}, {Title: "PENDING", Right: true, Drop: 2}, {Title: "CPU RESERVED", Drop: 3}, {Title: "MEM RESERVED", Drop: 3},
		{Title: "CPU UTIL", Right: true, Drop: 1}, {Title: "MEM UTIL", Right: true, Drop: 1}}
	for _, c := range m.clusters {
		u := m.clusterUtil[c.Name]
		if u.CPU == nil && u.Memory == nil {
			u = overview.Utilization{CPU: c.CPUUtilization, Memory: c.MemoryUtilization}
		}
		st, known := m.clusterStates[c.Name]
		r := topRow{Key: c.Name, Cells: []topCell{txt(c.Name), num(c.ActiveInstances), num(c.DrainingInstances), num(c.Services),
			topNotSteady(st, known), num(c.RunningTasks), num(c.PendingTasks),
			numText(topBar(c.CPUReserved, c.CPURegistered, 8), ratio(c.CPUReserved, c.CPURegistered)),
			numText(topBar(c.MemoryReserved, c.MemoryRegistered, 8), ratio(c.MemoryReserved, c.MemoryRegistered)),
			numText(topPct(u.CPU), topPctNum(u.CPU)), numText(topPct(u.Memory), topPctNum(u.Memory))}}
		switch {
		case st.Failed > 0:
			r.Mark, r.Style, r.Sign = true, m.st.bad, "!"
		case st.NotSteady() > 0 || c.PendingTasks > 0 || c.DrainingInstances > 0:
			r.Mark, r.Style, r.Sign = true, m.st.warn, "~"
		}
		rows = append(rows, r)
	}
	return cols, rows
}

// serviceRows is the services view (2): a row per service of the
// cluster, marked when it failed, rolls out or scales.
func (m *Model) serviceRows(now time.Time) ([]topColumn, []topRow) {
	var rows []topRow
	// At 80 columns: name, state, counts, utilization and the last
	// event; reservations, trend and revision give way first.
	cols := []topColumn{{Title: "SERVICE"}, {Title: "STATE"}, {Title: "DESIRED", Right: true, Drop: 2}, {Title: "RUNNING", Right: true}, {Title: "PENDING", Right: true, Drop: 3},
		{Title: "REV", Right: true, Drop: 4}, {Title: "TAG", Drop: 2}, {Title: "AGE", Right: true, Drop: 3}, {Title: "CPU RES", Right: true, Drop: 5}, {Title: "MEM RES", Right: true, Drop: 5},
		{Title: "CPU", Right: true, Drop: 1}, {Title: "MEM", Right: true, Drop: 1}, {Title: "TREND", Drop: 4}, {Title: "LAST EVENT", Drop: 1, Flex: true}}
	for _, s := range m.services {
		key := m.cluster + "/" + s.Name
		u := m.serviceUtil[key]
		// An action's progress shows in the status line (and the
		// service's own view), never in a cell: a cell that grows
		// with a message reflows the whole table.
		name := s.Name
		state := s.State
		if s.Deployments > 1 {
			state = fmt.Sprintf("%s (%d)", s.State, s.Deployments)
		}
		if k := s.DeployKind(); k != "" {
			state += " " + k
		}
		r := topRow{Key: "svc:" + s.Name, Cells: []topCell{txt(name), numText(state, stateOrder(s.State)), num(s.Desired), num(s.Running), num(s.Pending),
			num(s.Revision), txt(s.ImageTag), numText(topAge(s.AgeSeconds), float64(s.AgeSeconds)),
			num(s.CPUReserved), num(s.MemoryReserved), numText(topPct(u.CPU), topPctNum(u.CPU)), numText(topPct(u.Memory), topPctNum(u.Memory)),
			numText(topSpark(m.trend[key], 8), topLast(m.trend[key])), numText(topEvent(s.LastEvent, s.LastEventAt, now), topEventOrder(s.LastEventAt))}}
		switch s.State {
		case overview.ServiceStateFailed:
			r.Mark, r.Style, r.Sign = true, m.st.bad, "!"
		case overview.ServiceStateRolling:
			r.Mark, r.Style, r.Sign = true, m.st.warn, "~"
		case overview.ServiceStateScaling:
			r.Mark, r.Style, r.Sign = true, m.st.busy, "~"
		}
		rows = append(rows, r)
	}
	return cols, rows
}

// instanceRows is the instances view (3): a row per container instance,
// marked when its agent is disconnected, it is not ACTIVE or its AMI is old.
func (m *Model) instanceRows() ([]topColumn, []topRow) {
	var rows []topRow
	cols := []topColumn{{Title: "INSTANCE"}, {Title: "AZ", Drop: 2}, {Title: "TYPE", Drop: 3}, {Title: "AMI", Drop: 1}, {Title: "STATUS"}, {Title: "AGENT", Drop: 3},
		{Title: "TASKS", Right: true, Drop: 1}, {Title: "CPU RESERVED", Drop: 2}, {Title: "MEM RESERVED", Drop: 2}, {Title: "CPU FREE", Right: true, Drop: 4}, {Title: "MEM FREE", Right: true, Drop: 4},
		{Title: "AGE", Right: true, Drop: 3}}
	for _, in := range m.instances {
		name := in.InstanceID
		ami := in.AMI
		switch in.AMIState {
		case overview.InstanceAMIOld:
			ami += " (old)"
		case overview.InstanceAMICurrent:
			ami += " (current)"
		}
		agent := in.AgentVersion
		if !in.AgentConnected {
			agent = "DISCONNECTED"
		}
		r := topRow{Key: "inst:" + in.ContainerInstanceArn, Cells: []topCell{txt(name), txt(in.AZ), txt(in.Type), txt(ami), txt(in.Status), txt(agent),
			num(in.RunningTasks + in.PendingTasks),
			numText(topBar(in.CPUReserved, in.CPURegistered, 8), ratio(in.CPUReserved, in.CPURegistered)),
			numText(topBar(in.MemoryReserved, in.MemoryRegistered, 8), ratio(in.MemoryReserved, in.MemoryRegistered)),
			num(in.CPUFree), num(in.MemoryFree), numText(topAge(in.AgeSeconds), float64(in.AgeSeconds))}}
		switch {
		case !in.AgentConnected:
			r.Mark, r.Style, r.Sign = true, m.st.bad, "!"
		case in.Status != "ACTIVE":
			r.Mark, r.Style, r.Sign = true, m.st.warn, "~"
		case in.AMIState == overview.InstanceAMIOld:
			r.Mark, r.Style, r.Sign = true, m.st.busy, "~"
		}
		rows = append(rows, r)
	}
	return cols, rows
}

// taskRows is a service's or an instance's drill-down (4): a row per
// task, marked when it is not running or not healthy.
func (m *Model) taskRows(now time.Time) ([]topColumn, []topRow) {
	var rows []topRow
	cols := []topColumn{{Title: "TASK"}, {Title: "INSTANCE", Drop: 1}, {Title: "AZ", Drop: 3}, {Title: "STATUS"}, {Title: "HEALTH", Drop: 1}, {Title: "TARGET", Drop: 1},
		{Title: "STARTED", Right: true, Drop: 2}, {Title: "REVISION", Drop: 2}}
	var tasks []overview.TaskRow
	if m.view == viewService && m.detail != nil {
		tasks = m.detail.Tasks
	} else if m.view == viewInstance {
		tasks = m.instTasks
		cols[1].Title = "SERVICE·REV"
	}
	for _, tk := range tasks {
		started, age := "-", float64(-1)
		if tk.StartedAt != nil {
			d := now.Sub(*tk.StartedAt)
			started, age = topAge(int64(d/time.Second)), d.Seconds()
		}
		second := tk.Where()
		if tk.InstanceID == "" && second != "" {
			cols[1].Title = "INSTANCE/IP"
		}
		if m.view == viewInstance {
			second = tk.TaskDefinition
		}
		status := tk.LastStatus
		if tk.DesiredStatus != "" && tk.DesiredStatus != tk.LastStatus {
			status += "→" + tk.DesiredStatus
		}
		r := topRow{Key: tk.ID, Cells: []topCell{txt(tk.ID), txt(second), txt(tk.AZ), txt(status), txt(tk.Health), txt(tk.TargetHealth),
			numText(started, age), numText(tk.TaskDefinition, float64(tk.Revision))}}
		if tk.LastStatus != "RUNNING" || tk.Health == "UNHEALTHY" || (tk.TargetHealth != "" && tk.TargetHealth != "healthy") {
			r.Mark, r.Style, r.Sign = true, m.st.warn, "~"
		}
		rows = append(rows, r)
	}
	return cols, rows
}

// topNotSteady is the clusters view's count of services not steady, with
// the failed, rolling and scaling ones named; it sorts by the count,
// failed ones weighing most.
func topNotSteady(c overview.ServiceStateCounts, known bool) topCell {
	if !known {
		return numText("-", -1)
	}
	n := c.NotSteady()
	if n == 0 {
		return numText("0", 0)
	}
	var parts []string
	for _, p := range []struct {
		n    int
		what string
	}{{c.Failed, "failed"}, {c.Rolling, "rolling"}, {c.Scaling, "scaling"}} {
		if p.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", p.n, p.what))
		}
	}
	return numText(fmt.Sprintf("%d: %s", n, strings.Join(parts, ", ")), float64(n)+float64(c.Failed)*1e-3)
}

// topLast is the newest value of a trend (-1: none), what TREND sorts by.
func topLast(vals []float64) float64 {
	if len(vals) == 0 {
		return -1
	}
	return vals[len(vals)-1]
}

// topEventOrder sorts LAST EVENT by when it happened.
func topEventOrder(at *time.Time) float64 {
	if at == nil {
		return 0
	}
	return float64(at.Unix())
}

func ratio(a, b int) float64 {
	if b <= 0 {
		return -1
	}
	return float64(a) / float64(b)
}

func stateOrder(s string) float64 {
	switch s {
	case overview.ServiceStateFailed:
		return 0
	case overview.ServiceStateRolling:
		return 1
	case overview.ServiceStateScaling:
		return 2
	}
	return 3
}

// topAge is an age in the CLI's words (fmtx): 45s, 12m, 3h5m, 4d2h; "-"
// when unknown.
func topAge(sec int64) string {
	if sec < 0 {
		return "-"
	}
	return fmtx.AgeSeconds(sec)
}

func topEvent(msg string, at *time.Time, now time.Time) string {
	if msg == "" {
		return ""
	}
	msg = strings.Join(strings.Fields(msg), " ")
	if at != nil {
		return topAge(int64(now.Sub(*at)/time.Second)) + " ago: " + msg
	}
	return msg
}

// bodyHeight is the rows left for the view between the two header lines
// and the status line.
func (m *Model) bodyHeight() int { return max(3, m.height-3) }

// breadcrumbs says where the user is.
func (m *Model) breadcrumbs() string {
	parts := []string{"Clusters"}
	switch m.view {
	case viewServices:
		parts = append(parts, m.cluster, "Services")
	case viewInstances:
		parts = append(parts, m.cluster, "Instances")
	case viewService:
		parts = append(parts, m.cluster, "Services", m.service)
	case viewInstance:
		parts = append(parts, m.cluster, "Instances", m.instanceID)
	case viewLogs:
		if p := m.logs; p != nil {
			switch p.from {
			case viewServices:
				parts = append(parts, m.cluster, "Services")
			case viewService:
				parts = append(parts, m.cluster, "Services", m.service)
			case viewInstance:
				parts = append(parts, m.cluster, "Instances", m.instanceID)
			}
			if p.from != viewService || len(p.req.Tasks) > 0 {
				parts = append(parts, p.crumb)
			}
		}
		parts = append(parts, "Logs")
	}
	return strings.Join(parts, " › ")
}

// View draws the screen: breadcrumbs and refresh state, the view's tabs
// and sort/filter, the body, and the status line.
func (m *Model) View() string {
	w := m.width
	line1 := m.titleLine(w)
	line2 := m.tabLine(w)
	bodyH := m.bodyHeight()
	body := topClip(m.screenBody(w, bodyH), w, bodyH)
	status := m.statusLine(w)
	// One line, whatever the message: a wrapped status line would push the
	// screen up a line and draw the first row twice.
	return line1 + "\n" + line2 + "\n" + body + "\n" + fitWidth(oneLine(status), w)
}

// titleLine is the first line: the breadcrumbs on the left, the refresh
// state on the right, both cut to fit w.
func (m *Model) titleLine(w int) string {
	right := "loading…"
	if !m.lastOK.IsZero() {
		right = "updated " + m.lastOK.Format("15:04:05")
	}
	if m.inFlight {
		right = "⟳ " + right
	}
	left := m.st.title.Render("ecsctl top") + "  " + m.breadcrumbs()
	every := fmt.Sprintf(" · every %s", m.opts.Refresh)
	ro := ""
	if m.opts.ReadOnly {
		ro = " · READ-ONLY"
	}
	// The refresh interval gives way first on a narrow terminal.
	if ansi.StringWidth(left)+ansi.StringWidth(right+every+ro)+1 <= w {
		right += every
	}
	right += ro
	// Then the breadcrumbs lose their first steps, the current one stays.
	crumbs := strings.Split(m.breadcrumbs(), " › ")
	for len(crumbs) > 1 && ansi.StringWidth(left)+ansi.StringWidth(right)+1 > w {
		if crumbs[0] == "…" {
			crumbs = crumbs[1:]
		}
		crumbs[0] = "…"
		left = m.st.title.Render("ecsctl top") + "  " + strings.Join(crumbs, " › ")
	}
	return topJoin(left, right, w)
}

// tabLine is the second line: the five views (the current one in
// brackets) and the table's row count and filter, or the logs pane's
// state.
func (m *Model) tabLine(w int) string {
	tabs := []string{"1 clusters", "2 services", "3 instances", "4 tasks", "5 logs"}
	cur := map[view]int{viewClusters: 0, viewServices: 1, viewInstances: 2, viewService: 3, viewInstance: 3, viewLogs: 4}[m.view]
	tabs[cur] = "[" + tabs[cur] + "]"
	t := m.table()
	info := fmt.Sprintf("%d rows", len(t.rows))
	if len(t.rows) != len(t.all) {
		info = fmt.Sprintf("%d of %d rows", len(t.rows), len(t.all))
	}
	if t.filter != "" {
		info += " · filter " + t.filter
	}
	if m.view == viewLogs && m.logs != nil {
		info = m.logsInfo()
	}
	tabLine := strings.Join(tabs, " ")
	if ansi.StringWidth(tabLine)+ansi.StringWidth(info)+2 > w {
		// Narrow: the other views shrink to their number keys.
		for i := range tabs {
			if i != cur {
				tabs[i] = tabs[i][:1]
			}
		}
		tabLine = strings.Join(tabs, " ")
	}
	if cur != 0 {
		tabLine = " " + tabLine
	}
	return topJoin(tabLine, info, w)
}

// screenBody is what fills the screen between the two header lines and
// the status line: the help, a confirmation, the logs pane or the table.
func (m *Model) screenBody(w, bodyH int) string {
	var body string
	switch m.mode {
	case modeHelp:
		body = m.keys.helpText(m.opts.ReadOnly, bodyH)
	case modeConfirm:
		box := m.st.box.Render(m.confirm.question + "\n\n[y] yes   [any other key] no")
		body = lipgloss.Place(w, bodyH, lipgloss.Center, lipgloss.Center, box)
	default:
		if m.view == viewLogs && m.logs != nil {
			body = m.logsBody(w, bodyH)
		} else {
			body = m.body(w, bodyH)
		}
	}
	return body
}

// statusLine is the last line, the first that applies of: the input being
// edited, the error, the help's hint, a message, the logs pane's state,
// the metrics note, the keys to press.
func (m *Model) statusLine(w int) string {
	var status string
	switch {
	case m.mode == modeFilter:
		status = "/" + lineView(m.input, m.inputPos) + "  (enter keep · esc close · ctrl-u clear · KEY:VALUE with KEY a column title)"
	case m.mode == modeSearch:
		status = "/" + lineView(m.input, m.inputPos) + "  (enter jump to the nearest match · esc cancel)"
	case m.mode == modeCount:
		status = fmt.Sprintf("scale %s/%s to: %s  (enter confirm · esc cancel)", m.confirm.cluster, m.confirm.service, lineView(m.input, m.inputPos))
		if m.message != "" {
			status += "  " + m.message
		}
	case m.err != nil && m.view != viewLogs: // the pane has its own
		ago := "no data yet"
		if !m.lastOK.IsZero() {
			ago = "showing data from " + m.lastOK.Format("15:04:05")
		}
		status = m.st.errLine.Render(fitWidth("⚠ "+topErrText(m.err)+" ("+ago+")", w))
	case m.mode == modeHelp:
		status = m.st.status.Render("any key closes the help · q quits")
	case m.message != "":
		status = m.message
	case m.view == viewLogs && m.logs != nil:
		status = m.logsStatus(w)
	case m.metricsNote != "":
		status = m.st.status.Render(fitWidth(m.metricsNote+" · ? help · q quit", w))
	default:
		status = m.st.status.Render("? help · / filter · o sort · enter open · esc back · q quit")
	}
	return status
}

// body is the current view's table (and, for a service, its deployments
// and events).
func (m *Model) body(w, h int) string {
	t := m.table()
	if m.view != viewService {
		return t.render(w, h, m.st)
	}
	var head []string
	if d := m.detail; d != nil {
		s := d.Service
		head = append(head, fmt.Sprintf("%s · %s · desired %d running %d pending %d · %s · tag %s · min %d%% max %d%%",
			s.Name, s.State, s.Desired, s.Running, s.Pending, s.TaskDefinition, s.ImageTag, d.MinHealthy, d.MaxPercent))
		if k := s.DeployKind(); k != "" {
			head = append(head, "deploys: "+k+deployKindHint(k))
		}
		if s.Launch != "" && s.Launch != "EC2" {
			head[0] += " · " + s.Launch
		}
		if n := m.notes["svc:"+s.Name]; n != "" {
			head = append(head, "action: "+n)
		}
		for _, dep := range d.Deployments {
			line := fmt.Sprintf("  %-7s %-11s %s %d/%d running, %d pending, %d failed", dep.Status, dep.RolloutState, dep.TaskDefinition, dep.Running, dep.Desired, dep.Pending, dep.Failed)
			if dep.RolloutReason != "" {
				line += " — " + dep.RolloutReason
			}
			head = append(head, line)
		}
	}
	// Header lines and events wrap instead of being cut.
	var lines []string
	for _, h := range head {
		lines = append(lines, strings.Split(ansi.Wrap(h, w, ""), "\n")...)
	}
	var events []string
	if d := m.detail; d != nil {
		now := m.opts.Now()
		for _, e := range d.Events {
			ev := topAge(int64(now.Sub(e.At)/time.Second)) + " ago  " + strings.Join(strings.Fields(e.Message), " ")
			events = append(events, strings.Split(ansi.Wrap(ev, w, ""), "\n")...)
		}
	}
	avail := h - len(lines)
	if len(events) > 0 {
		avail-- // the EVENTS title
	}
	tableH := clamp(len(t.rows)+1, 3, max(3, avail-min(len(events), max(2, avail/3))))
	evH := max(0, min(len(events), avail-tableH))
	out := strings.Join(lines, "\n")
	if out != "" {
		out += "\n"
	}
	out += t.render(w, tableH, m.st)
	if evH > 0 {
		out += "\n" + m.st.header.Render("EVENTS")
		for _, e := range events[:evH] {
			out += "\n" + e
		}
	}
	return out
}

// topJoin puts left and right on one line of width w.
func topJoin(left, right string, w int) string {
	gap := w - ansi.StringWidth(left) - ansi.StringWidth(right)
	if gap < 1 {
		return fitWidth(left+" "+right, w)
	}
	return left + strings.Repeat(" ", gap) + right
}

// topClip makes s exactly h lines, none wider than w.
func topClip(s string, w, h int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for i := range lines {
		lines[i] = fitWidth(lines[i], w)
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// topErrText shortens an AWS error for the status line: the call and
// resource ecsctl named, then the AWS error code and message, without the
// SDK's request ids and attempt counts.
func topErrText(err error) string {
	s := oneLine(err.Error())
	var ae smithy.APIError
	if errors.As(err, &ae) {
		prefix := s
		if i := strings.Index(s, "operation error "); i >= 0 {
			prefix = s[:i]
		}
		s = prefix + ae.ErrorCode()
		if msg := ae.ErrorMessage(); msg != "" {
			s += ": " + msg
		}
		if strings.Contains(ae.ErrorCode(), "Throttl") || ae.ErrorCode() == "RequestLimitExceeded" {
			s = "throttled: " + s
		}
	}
	return s
}
