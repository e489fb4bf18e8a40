package tui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"ecsctl/ops"
	"ecsctl/ops/logs"
)

// View 5, the logs pane: the logs of a service or of one task, followed
// with the follower of `ecsctl logs -f` (logs.Tailer). The tail runs in a
// goroutine that a tea.Cmd starts; it hands batches to a channel that a
// re-armed tea.Cmd reads, one message at a time. Leaving the pane cancels
// the tail's context, and Stop waits for its goroutine.

// LogSource follows logs (OpsLogs in production). TailLogs returns when
// the tail ends or ctx is cancelled; emit and notice are called from its
// goroutine, and an error from emit stops it.
type LogSource interface {
	TailLogs(ctx context.Context, req logs.Request, emit func([]logs.Line) error, notice func(ops.Event)) error
}

// OpsLogs follows logs with logs.Tailer, one tailer per pane opened.
type OpsLogs struct {
	ECS    logs.ECS
	Logs   func(region string) logs.API
	Region string
	// Clock and PollInterval as in logs.Tailer (zero: its defaults).
	Clock        ops.Clock
	PollInterval time.Duration
}

// TailLogs follows req with a new logs.Tailer.
func (o *OpsLogs) TailLogs(ctx context.Context, req logs.Request, emit func([]logs.Line) error, notice func(ops.Event)) error {
	t := &logs.Tailer{ECS: o.ECS, Logs: o.Logs, Region: o.Region, Clock: o.Clock, PollInterval: o.PollInterval, Emit: emit, Notice: notice}
	return t.Tail(ctx, req)
}

// topLogLine is one log event as the pane keeps it: only what it shows.
type topLogLine struct {
	id        string // CloudWatch's event id
	at        time.Time
	task      string
	container string
	msg       string
}

// topLogsMsg is what the tail's goroutine sends: lines, a notice, or the
// end of the tail.
type topLogsMsg struct {
	gen    int
	lines  []topLogLine
	notice *ops.Event
	end    bool
	err    error
}

// topLogsPane is the state of the logs pane.
type topLogsPane struct {
	gen   int
	req   logs.Request
	from  view   // where esc goes back to
	crumb string // "api", "task 0f3c6e1a"

	lines   []topLogLine // the newest Options.LogsMax
	dropped int          // older lines let go
	top     int          // first line shown when not following
	follow  bool         // stick to the newest line

	query   string
	before  string // query when / was pressed (esc restores it)
	matches []int  // line indices, ascending
	cur     int    // index into matches (-1: none chosen)

	notice   string // the last notice about the tail
	noticeAt time.Time
	ended    string // why the tail ended ("" while it runs)
	err      error

	ctx    context.Context
	cancel context.CancelFunc
	ch     chan topLogsMsg
	done   chan struct{} // closed when the tail's goroutine has returned
}

// openLogs starts the pane for req (Cluster and Service or Tasks set).
func (m *Model) openLogs(req logs.Request, crumb string) tea.Cmd {
	if m.opts.Logs == nil {
		m.message = "logs are not available in this dashboard"
		return nil
	}
	from := m.view
	if from == viewLogs && m.logs != nil {
		from = m.logs.from
	}
	m.stopLogs()
	m.logsGen++
	req.Follow = true
	if req.Since.IsZero() {
		req.Since = m.opts.Now().Add(-m.opts.LogsSince)
	}
	ctx, cancel := context.WithCancel(m.ctx)
	p := &topLogsPane{gen: m.logsGen, req: req, from: from, crumb: crumb, follow: true, cur: -1,
		ctx: ctx, cancel: cancel, ch: make(chan topLogsMsg, 16), done: make(chan struct{})}
	m.logs = p
	m.switchView(viewLogs)
	return tea.Batch(m.logsStart(p), m.logsRead(p))
}

// logsStart is the command that starts the tail's goroutine.
func (m *Model) logsStart(p *topLogsPane) tea.Cmd {
	src, work, gen, req, ctx := m.opts.Logs, m.work, p.gen, p.req, p.ctx
	return func() tea.Msg {
		if !work.begin() { // the dashboard has stopped
			close(p.done)
			return nil
		}
		go func() {
			defer work.end()
			defer close(p.done)
			send := func(msg topLogsMsg) error {
				if err := ctx.Err(); err != nil {
					return err // the pane is closed: nobody reads
				}
				select {
				case p.ch <- msg:
					return nil
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			emit := func(ls []logs.Line) error {
				out := make([]topLogLine, 0, len(ls))
				for _, l := range ls {
					out = append(out, topLogLine{id: l.ID, at: l.Time, task: l.Task, container: l.Container, msg: topLogsClean(l.Message)})
				}
				return send(topLogsMsg{gen: gen, lines: out})
			}
			notice := func(n ops.Event) { send(topLogsMsg{gen: gen, notice: &n}) }
			err := src.TailLogs(ctx, req, emit, notice)
			send(topLogsMsg{gen: gen, end: true, err: err})
		}()
		return nil
	}
}

// logsRead is the command that waits for the tail's next message; Update
// re-arms it after each one until the tail ends or the pane closes.
func (m *Model) logsRead(p *topLogsPane) tea.Cmd {
	work := m.work
	return func() tea.Msg {
		if !work.begin() {
			return nil
		}
		defer work.end()
		if p.ctx.Err() != nil {
			return nil
		}
		select {
		case msg := <-p.ch:
			return msg
		case <-p.ctx.Done():
			return nil
		}
	}
}

// stopLogs cancels the pane's tail (its goroutine returns soon after; Stop
// waits for it) and lets its lines go.
func (m *Model) stopLogs() {
	if m.logs != nil {
		m.logs.cancel()
		m.logs = nil
	}
}

// onLogs applies a message of the tail.
func (m *Model) onLogs(msg topLogsMsg) tea.Cmd {
	p := m.logs
	if p == nil || msg.gen != p.gen {
		return nil // a pane that was closed
	}
	switch {
	case msg.end:
		p.err = msg.err
		switch {
		case msg.err != nil && !errors.Is(msg.err, ops.ErrInterrupted) && !errors.Is(msg.err, context.Canceled):
			p.ended = "stopped"
		case p.ended == "":
			p.ended = "ended"
		}
		return nil
	case msg.notice != nil:
		p.notice, p.noticeAt = oneLine(msg.notice.Message), msg.notice.Time
		if msg.notice.Kind == ops.EventInfo && strings.HasPrefix(msg.notice.Message, "every task has stopped") {
			p.ended = "ended"
		}
	default:
		p.add(msg.lines, m.opts.LogsMax)
	}
	return m.logsRead(p)
}

// add appends lines, lets the oldest go beyond max, and keeps the search
// matches and the scroll position on the same lines.
func (p *topLogsPane) add(lines []topLogLine, max int) {
	base := len(p.lines)
	p.lines = append(p.lines, lines...)
	if p.query != "" {
		for i := base; i < len(p.lines); i++ {
			if p.matchLine(i) {
				p.matches = append(p.matches, i)
			}
		}
	}
	drop := len(p.lines) - max
	if drop <= 0 {
		return
	}
	copy(p.lines, p.lines[drop:])
	clear(p.lines[max:]) // let the strings go
	p.lines = p.lines[:max]
	p.dropped += drop
	p.top = clamp(p.top-drop, 0, len(p.lines)-1)
	kept := p.matches[:0]
	curLine := -1
	if p.cur >= 0 && p.cur < len(p.matches) {
		curLine = p.matches[p.cur]
	}
	p.cur = -1
	for _, i := range p.matches {
		if i >= drop {
			if i == curLine {
				p.cur = len(kept)
			}
			kept = append(kept, i-drop)
		}
	}
	p.matches = kept
}

func (p *topLogsPane) matchLine(i int) bool {
	return p.query != "" && strings.Contains(strings.ToLower(p.lines[i].msg), strings.ToLower(p.query))
}

// setQuery changes the search and finds its matches.
func (p *topLogsPane) setQuery(q string) {
	p.query, p.matches, p.cur = q, p.matches[:0], -1
	if q == "" {
		return
	}
	lq := strings.ToLower(q)
	for i, l := range p.lines {
		if strings.Contains(strings.ToLower(l.msg), lq) {
			p.matches = append(p.matches, i)
		}
	}
}

// topLogsClean makes a message safe to draw: no escape sequences or other
// control characters from the log reach the terminal.
func topLogsClean(s string) string {
	s = strings.TrimRight(s, "\r\n")
	clean := true
	for _, r := range s {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\t':
			b.WriteString("    ")
		case r == '\n' || r == '\r':
			b.WriteString(" ⏎ ")
		case unicode.IsControl(r):
			b.WriteRune('�')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// ---- keys ----------------------------------------------------------------

// logsTarget is what L/5 (or enter on a task row) opens: the selected
// service's logs, the drill-down's service, or the selected task's.
func (m *Model) logsTarget(enter bool) (logs.Request, string, bool) {
	req := logs.Request{Cluster: m.cluster}
	switch m.view {
	case viewServices:
		if svc, ok := m.selectedService(); ok {
			req.Service = svc.Name
			return req, svc.Name, true
		}
	case viewService:
		if !enter {
			req.Service = m.service
			return req, m.service, m.service != ""
		}
		fallthrough
	case viewInstance:
		if r, ok := m.table().current(); ok {
			req.Tasks = []string{r.Key}
			return req, "task " + topShortID(r.Key), true
		}
	}
	return req, "", false
}

func topShortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

// onLogsKey handles a key in the pane (normal mode).
func (m *Model) onLogsKey(msg tea.KeyMsg) tea.Cmd {
	p, k := m.logs, m.keys
	m.message = ""
	if p == nil { // cannot happen: the pane always has its state
		return m.switchView(viewClusters)
	}
	page := max(1, m.logsBodyHeight()-1)
	switch {
	case key.Matches(msg, k.Quit):
		return m.quit()
	case key.Matches(msg, k.Help):
		m.mode = modeHelp
	case key.Matches(msg, k.Up):
		m.logsScroll(-1)
	case key.Matches(msg, k.Down):
		m.logsScroll(1)
	case key.Matches(msg, k.PageUp):
		m.logsScroll(-page)
	case key.Matches(msg, k.PageDown):
		m.logsScroll(page)
	case key.Matches(msg, k.Top):
		p.follow, p.top = false, 0
	case key.Matches(msg, k.Bottom):
		p.follow = true
	case key.Matches(msg, k.Follow):
		p.follow = !p.follow
		if !p.follow {
			p.top = m.logsBottomTop()
		}
	case key.Matches(msg, k.Filter):
		m.mode, m.input, m.inputPos, p.before = modeSearch, nil, 0, p.query
	case key.Matches(msg, k.Next):
		m.logsJump(1)
	case key.Matches(msg, k.Prev):
		m.logsJump(-1)
	case key.Matches(msg, k.Back):
		if p.query != "" {
			p.setQuery("")
			return nil
		}
		return m.switchView(p.from)
	case key.Matches(msg, k.Clusters):
		return m.switchView(viewClusters)
	case key.Matches(msg, k.Services):
		return m.switchView(viewServices)
	case key.Matches(msg, k.Instances):
		return m.switchView(viewInstances)
	case key.Matches(msg, k.Tasks):
		return m.tasks()
	case key.Matches(msg, k.Scale), key.Matches(msg, k.Force), key.Matches(msg, k.Rollback), key.Matches(msg, k.Drain), key.Matches(msg, k.Activate):
		m.message = "no actions in the logs pane: esc goes back to the " + map[view]string{viewServices: "services", viewService: "service", viewInstance: "instance"}[p.from]
	}
	return nil
}

// onSearchKey edits the search of the pane; matches highlight as it is typed.
func (m *Model) onSearchKey(msg tea.KeyMsg) tea.Cmd {
	p := m.logs
	if p == nil {
		m.mode = modeNormal
		return nil
	}
	switch msg.Type {
	case tea.KeyEsc:
		p.setQuery(p.before)
		m.mode = modeNormal
	case tea.KeyEnter:
		m.mode = modeNormal
		p.setQuery(string(m.input))
		if p.query == "" {
			return nil
		}
		if len(p.matches) == 0 {
			m.message = fmt.Sprintf("no line matches %q (of %d kept)", p.query, len(p.lines))
			return nil
		}
		// The nearest match at or above the last line on screen.
		last := len(p.lines) - 1
		if !p.follow {
			last = m.logsLastShown()
		}
		p.cur = -1
		for i, li := range p.matches {
			if li <= last {
				p.cur = i
			}
		}
		if p.cur < 0 {
			p.cur = len(p.matches) - 1
		}
		m.logsShow(p.matches[p.cur])
	default:
		if editLine(&m.input, &m.inputPos, msg) {
			p.setQuery(string(m.input))
		}
	}
	return nil
}

// logsJump moves to the next (dir 1: newer) or previous (-1: older) match.
func (m *Model) logsJump(dir int) {
	p := m.logs
	if p.query == "" {
		m.message = "no search: / searches the logs"
		return
	}
	if len(p.matches) == 0 {
		m.message = fmt.Sprintf("no line matches %q", p.query)
		return
	}
	if p.cur < 0 {
		p.cur = len(p.matches) - 1
		if dir > 0 {
			p.cur = 0
		}
	} else {
		p.cur += dir
		switch {
		case p.cur >= len(p.matches):
			p.cur, m.message = 0, "search wrapped to the oldest match"
		case p.cur < 0:
			p.cur, m.message = len(p.matches)-1, "search wrapped to the newest match"
		}
	}
	m.logsShow(p.matches[p.cur])
}

// logsShow scrolls so that line i is in view, a third of the way down,
// and stops following.
func (m *Model) logsShow(i int) {
	p := m.logs
	p.follow = false
	p.top = clamp(i-m.logsBodyHeight()/3, 0, m.logsBottomTop())
	if i < p.top {
		p.top = i
	}
}

// logsScroll moves the view by n lines; scrolling up stops following,
// reaching the newest line again resumes it.
func (m *Model) logsScroll(n int) {
	p := m.logs
	bottom := m.logsBottomTop()
	if p.follow {
		if n >= 0 {
			return
		}
		p.top = bottom
	}
	p.top = clamp(p.top+n, 0, bottom)
	p.follow = p.top >= bottom && n > 0
}

// ---- drawing --------------------------------------------------------------

// logsBodyHeight is the rows for log lines.
func (m *Model) logsBodyHeight() int { return m.bodyHeight() }

// logsWrap is line i as drawn: prefix and message, search matches
// highlighted, wrapped to the width after the gutter.
func (m *Model) logsWrap(i int, w int) []string {
	p := m.logs
	l := p.lines[i]
	prefix := l.at.In(m.opts.Now().Location()).Format("15:04:05") + " "
	if len(p.req.Tasks) == 1 {
		prefix += l.container + " "
	} else {
		prefix += topShortID(l.task) + "/" + l.container + " "
	}
	msg := l.msg
	if p.query != "" {
		msg = m.logsHighlight(msg, p.query)
	}
	text := m.st.dim.Render(prefix) + msg
	return strings.Split(ansi.Wrap(text, max(10, w-2), ""), "\n")
}

// logsHighlight styles every occurrence of q in s (case-insensitive).
func (m *Model) logsHighlight(s, q string) string {
	ls, lq := strings.ToLower(s), strings.ToLower(q)
	if len(ls) != len(s) || lq == "" { // lower-casing moved bytes: no inline marks
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(ls, lq)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		b.WriteString(m.st.match.Render(s[i : i+len(q)]))
		s, ls = s[i+len(q):], ls[i+len(q):]
	}
}

// logsBottomTop is the first line shown when following: the newest lines
// that fill the body once wrapped.
func (m *Model) logsBottomTop() int {
	p := m.logs
	rows, h := 0, m.logsBodyHeight()
	i := len(p.lines) - 1
	for ; i >= 0; i-- {
		rows += len(m.logsWrap(i, m.width))
		if rows >= h {
			break
		}
	}
	return max(0, i)
}

// logsLastShown is the last line (partly) on screen when not following.
func (m *Model) logsLastShown() int {
	p := m.logs
	rows, h := 0, m.logsBodyHeight()
	i := p.top
	for ; i < len(p.lines); i++ {
		rows += len(m.logsWrap(i, m.width))
		if rows >= h {
			break
		}
	}
	return min(i, len(p.lines)-1)
}

// logsBody draws the visible lines: a gutter marks the current match (›)
// and other matching lines (•) so that search works without colour.
func (m *Model) logsBody(w, h int) string {
	p := m.logs
	if len(p.lines) == 0 {
		what := "waiting for log lines…"
		if p.ended != "" {
			what = "no log lines"
		}
		return m.st.dim.Render("  (" + what + ")")
	}
	start := p.top
	if p.follow {
		start = m.logsBottomTop()
	}
	start = clamp(start, 0, len(p.lines)-1)
	cur := -1
	if p.cur >= 0 && p.cur < len(p.matches) {
		cur = p.matches[p.cur]
	}
	match := map[int]bool{}
	for _, i := range p.matches {
		match[i] = true
	}
	var rows []string
	for i := start; i < len(p.lines) && len(rows) < h; i++ {
		gutter := "  "
		switch {
		case i == cur:
			gutter = "› "
		case match[i]:
			gutter = "• "
		}
		for k, r := range m.logsWrap(i, w) {
			g := gutter
			if k > 0 {
				g = "  "
			}
			rows = append(rows, g+r)
		}
	}
	if p.follow && len(rows) > h { // the newest line's end stays on screen
		rows = rows[len(rows)-h:]
	}
	return strings.Join(rows, "\n")
}

// logsInfo is the right side of the tabs line: lines kept, following or
// paused, the search and its position.
func (m *Model) logsInfo() string {
	p := m.logs
	info := fmt.Sprintf("%d lines", len(p.lines))
	if p.dropped > 0 {
		info += fmt.Sprintf(" (+%d dropped)", p.dropped)
	}
	switch {
	case p.ended != "":
		info += " · tail " + p.ended
	case p.follow:
		info += " · following"
	default:
		info += " · paused"
	}
	if p.query != "" {
		pos := "-"
		if p.cur >= 0 {
			pos = fmt.Sprint(p.cur + 1)
		}
		info += fmt.Sprintf(" · /%s %s/%d", p.query, pos, len(p.matches))
	}
	return info
}

// logsStatus is the pane's status line: the tail's error, else its last
// notice (tasks joining and leaving, throttling), else the keys.
func (m *Model) logsStatus(w int) string {
	p := m.logs
	switch {
	case p.err != nil && p.ended == "stopped":
		return m.st.errLine.Render(fitWidth("⚠ logs: "+topErrText(p.err), w))
	case p.notice != "":
		at := ""
		if !p.noticeAt.IsZero() {
			at = p.noticeAt.In(m.opts.Now().Location()).Format("15:04:05") + " "
		}
		s := at + p.notice
		if strings.HasPrefix(p.notice, "throttled") {
			return m.st.errLine.Render(fitWidth("⚠ "+s, w))
		}
		return m.st.status.Render(fitWidth(s, w))
	}
	return m.st.status.Render("/ search · n/N next/prev match · f follow · esc back · q quit")
}
