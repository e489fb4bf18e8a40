package tui

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
)

// topColumn is a table column; Right aligns numbers.
type topColumn struct {
	Title string
	Right bool
	// Drop orders the columns that give way when the screen is narrow:
	// the highest goes first; 0 never (then the table scrolls sideways).
	Drop int
	// Flex: long text (LAST EVENT) that takes the width left, cut with …,
	// rather than pushing every column after it off-screen.
	Flex bool
}

// topCell is one cell: the text shown and the value it sorts by.
type topCell struct {
	Text  string
	Num   float64
	IsNum bool
}

func txt(s string) topCell { return topCell{Text: s} }
func num(n int) topCell    { return topCell{Text: strconv.Itoa(n), Num: float64(n), IsNum: true} }
func numText(s string, n float64) topCell {
	return topCell{Text: s, Num: n, IsNum: true}
}

// topRow is one row: Key identifies it across refreshes (selection).
type topRow struct {
	Key   string
	Cells []topCell
	Style lipgloss.Style
	Mark  bool // styled (failing, rolling ...)
	// Sign marks the row in the gutter, for terminals without colour
	// (NO_COLOR) too: ! failing or disconnected, ~ changing.
	Sign string
}

// topTable holds the state of one scrolling table that must survive
// refreshes: the selected row's key, the sort column and the filter.
type topTable struct {
	cols     []topColumn
	all      []topRow // as read
	rows     []topRow // filtered and sorted
	cursor   int
	offset   int // first visible row
	colOff   int // first visible column after the pinned first one
	selected string
	sortCol  int
	sortDesc bool
	filter   string
	// minWidth keeps each column at the widest it has been since the
	// columns last changed, so that a refresh whose longest cell is
	// shorter (STATE "rolling (2)" back to "steady") does not shift the
	// table.
	minWidth map[string]int
	colsKey  string
}

// setRows replaces the rows and re-applies filter, sort and selection.
func (t *topTable) setRows(cols []topColumn, rows []topRow) error {
	var titles []string
	for _, c := range cols {
		titles = append(titles, c.Title)
	}
	if key := strings.Join(titles, "\x00"); key != t.colsKey || t.minWidth == nil {
		t.colsKey, t.minWidth = key, map[string]int{}
	}
	t.cols, t.all = cols, rows
	if t.sortCol >= len(cols) {
		t.sortCol, t.sortDesc = 0, false
	}
	return t.apply()
}

// topFilter compiles a filter: TEXT matches any cell, KEY:VALUE the cell
// of the column titled KEY (case-insensitive, substring).
func topFilter(cols []topColumn, expr string) (func(topRow) bool, error) {
	expr = strings.TrimSpace(expr)
	if expr == "" {
		return func(topRow) bool { return true }, nil
	}
	lower := strings.ToLower
	if k, v, ok := strings.Cut(expr, ":"); ok && k != "" && !strings.ContainsAny(k, " /") {
		idx := -1
		var names []string
		for i, c := range cols {
			name := topColumnKey(c.Title)
			names = append(names, name)
			if name == lower(k) {
				idx = i
			}
		}
		if idx < 0 && lower(k) == "name" && len(cols) > 0 {
			idx = 0 // the CLI's key for the name column (services --filter name:)
		}
		if idx < 0 {
			return nil, fmt.Errorf("unknown filter key %q: want TEXT or KEY:VALUE with KEY name or one of %s", k, strings.Join(names, ", "))
		}
		v = lower(v)
		return func(r topRow) bool { return strings.Contains(lower(r.Cells[idx].Text), v) }, nil
	}
	e := lower(expr)
	return func(r topRow) bool {
		for _, c := range r.Cells {
			if strings.Contains(lower(c.Text), e) {
				return true
			}
		}
		return false
	}, nil
}

// topColumnKey is the filter key of a column: its title, lower case,
// spaces as dashes ("CPU RES" → "cpu-res").
func topColumnKey(title string) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimSpace(title)), " ", "-")
}

// setFilter changes the filter; a bad expression leaves the old one.
func (t *topTable) setFilter(expr string) error {
	if _, err := topFilter(t.cols, expr); err != nil {
		return err
	}
	t.filter = expr
	return t.apply()
}

func (t *topTable) apply() error {
	keep, err := topFilter(t.cols, t.filter)
	if err != nil {
		keep = func(topRow) bool { return true }
	}
	t.rows = t.rows[:0]
	for _, r := range t.all {
		if keep(r) {
			t.rows = append(t.rows, r)
		}
	}
	c, desc := t.sortCol, t.sortDesc
	sort.SliceStable(t.rows, func(i, j int) bool {
		a, b := t.rows[i].Cells[c], t.rows[j].Cells[c]
		if a.IsNum && b.IsNum && a.Num != b.Num {
			return (a.Num < b.Num) != desc
		}
		if a.Text != b.Text {
			return (a.Text < b.Text) != desc
		}
		return t.rows[i].Key < t.rows[j].Key
	})
	// Keep the selected row selected wherever it moved; if it is gone,
	// stay at the same position.
	found := false
	for i, r := range t.rows {
		if r.Key == t.selected && t.selected != "" {
			t.cursor, found = i, true
			break
		}
	}
	if !found {
		t.cursor = clamp(t.cursor, 0, len(t.rows)-1)
		if len(t.rows) > 0 {
			t.selected = t.rows[t.cursor].Key
		}
	}
	return err
}

func clamp(v, lo, hi int) int {
	if v > hi {
		v = hi
	}
	if v < lo {
		v = lo
	}
	return v
}

// move moves the cursor by n rows.
func (t *topTable) move(n int) {
	if len(t.rows) == 0 {
		return
	}
	t.cursor = clamp(t.cursor+n, 0, len(t.rows)-1)
	t.selected = t.rows[t.cursor].Key
}

func (t *topTable) scrollCols(n int) {
	t.colOff = clamp(t.colOff+n, 0, max(0, len(t.cols)-2))
}

// current is the selected row, if any.
func (t *topTable) current() (topRow, bool) {
	if t.cursor < 0 || t.cursor >= len(t.rows) {
		return topRow{}, false
	}
	return t.rows[t.cursor], true
}

// cycleSort moves the sort to the next column (or the previous with n<0).
func (t *topTable) cycleSort(n int) {
	if len(t.cols) == 0 {
		return
	}
	t.sortCol = (t.sortCol + n + len(t.cols)) % len(t.cols)
	t.apply()
}

func (t *topTable) reverse() {
	t.sortDesc = !t.sortDesc
	t.apply()
}

// render draws height lines (header included) in width columns. The first
// column is pinned; the others scroll sideways (h/l) instead of being cut,
// and rows scroll with the cursor, so nothing is ever truncated.
func (t *topTable) render(width, height int, st *topStyles) string {
	if height < 2 {
		height = 2
	}
	if len(t.cols) == 0 {
		return ""
	}
	widths := t.colWidths()
	visible := t.visibleCols(widths, width)
	out := []string{st.header.Render(fitWidth(t.headLine(visible, widths), width))}
	body := height - 1
	t.scrollToCursor(body)
	for i := t.offset; i < len(t.rows) && i < t.offset+body; i++ {
		out = append(out, t.rowLine(i, visible, widths, width, st))
	}
	if len(t.rows) == 0 {
		out = append(out, st.dim.Render("  (nothing to show"+map[bool]string{true: " — filter: " + t.filter, false: ""}[t.filter != ""]+")"))
	}
	return strings.Join(out, "\n")
}

// colWidths is each column's width: its widest cell or title (with room
// for the sort arrow), never narrower than it was drawn before when the
// table remembers widths.
func (t *topTable) colWidths() []int {
	widths := make([]int, len(t.cols))
	for i, c := range t.cols {
		widths[i] = ansi.StringWidth(c.Title)
		if i == t.sortCol {
			widths[i] += 2
		}
	}
	for _, r := range t.rows {
		for i, c := range r.Cells {
			if w := ansi.StringWidth(c.Text); w > widths[i] {
				widths[i] = w
			}
		}
	}
	if t.minWidth != nil {
		for i, c := range t.cols {
			widths[i] = max(widths[i], t.minWidth[c.Title])
			t.minWidth[c.Title] = widths[i]
		}
	}
	return widths
}

// visibleCols picks the columns drawn in width: unscrolled, the ones fit
// keeps; scrolled sideways, the first and then from colOff+1 while they
// fit.
func (t *topTable) visibleCols(widths []int, width int) []int {
	t.colOff = clamp(t.colOff, 0, max(0, len(t.cols)-2))
	if t.colOff == 0 {
		return t.fit(widths, width)
	}
	visible := []int{0}
	used := 2 + widths[0]
	for i := 1 + t.colOff; i < len(t.cols); i++ {
		if used+2+widths[i] > width && len(visible) > 1 {
			break
		}
		visible = append(visible, i)
		used += 2 + widths[i]
	}
	return visible
}

// cellsLine lays out the visible cells at their widths, two spaces apart:
// right-aligned columns padded on the left, the last column not padded.
func (t *topTable) cellsLine(cells []string, visible, widths []int) string {
	var b strings.Builder
	for k, i := range visible {
		if k > 0 {
			b.WriteString("  ")
		}
		s := cells[i]
		if ansi.StringWidth(s) > widths[i] {
			s = ansi.Truncate(s, widths[i], "…")
		}
		pad := widths[i] - ansi.StringWidth(s)
		if pad < 0 {
			pad = 0
		}
		if t.cols[i].Right {
			b.WriteString(strings.Repeat(" ", pad) + s)
		} else if k < len(visible)-1 {
			b.WriteString(s + strings.Repeat(" ", pad))
		} else {
			b.WriteString(s)
		}
	}
	return b.String()
}

// headLine is the titles, the sort column's with its direction, with «
// and » where columns are scrolled or left out to either side.
func (t *topTable) headLine(visible, widths []int) string {
	more := visible[len(visible)-1] < len(t.cols)-1 || (t.colOff == 0 && len(visible) < len(t.cols))
	titles := make([]string, len(t.cols))
	for i, c := range t.cols {
		titles[i] = c.Title
		if i == t.sortCol {
			if t.sortDesc {
				titles[i] += " ↓"
			} else {
				titles[i] += " ↑"
			}
		}
	}
	head := "  " + t.cellsLine(titles, visible, widths)
	if t.colOff > 0 {
		head = "«" + head[1:]
	}
	if more {
		head += " »"
	}
	return head
}

// scrollToCursor moves the first row shown so that the cursor is among
// the body rows shown.
func (t *topTable) scrollToCursor(body int) {
	if t.cursor < t.offset {
		t.offset = t.cursor
	}
	if t.cursor >= t.offset+body {
		t.offset = t.cursor - body + 1
	}
	t.offset = clamp(t.offset, 0, max(0, len(t.rows)-body))
}

// rowLine draws row i with its gutter (the cursor or the row's sign) and
// style.
func (t *topTable) rowLine(i int, visible, widths []int, width int, st *topStyles) string {
	r := t.rows[i]
	cells := make([]string, len(r.Cells))
	for k, c := range r.Cells {
		cells[k] = c.Text
	}
	gutter := "  "
	switch {
	case i == t.cursor:
		gutter = "› "
	case r.Sign != "":
		gutter = r.Sign + " "
	}
	s := fitWidth(gutter+t.cellsLine(cells, visible, widths), width)
	switch {
	case i == t.cursor:
		s = st.selected.Render(s)
	case r.Mark:
		s = r.Style.Render(s)
	}
	return s
}

// fitWidth cuts a line at the screen edge (only the sideways-scrolled
// remainder, never a cell's content when the column is in view).
func fitWidth(s string, width int) string {
	if width <= 0 || ansi.StringWidth(s) <= width {
		return s
	}
	return ansi.Truncate(s, width, "")
}

// fit picks the columns shown unscrolled in width: all if they fit;
// otherwise the columns with the highest Drop give way first (the
// rightmost of equals), and a Flex column takes the width left, so the
// most useful columns are on screen at any width. widths[i] of a Flex
// column is set to what it gets.
func (t *topTable) fit(widths []int, width int) []int {
	shown := make([]bool, len(t.cols))
	for i := range shown {
		shown[i] = true
	}
	flexMin := func(i int) int { return min(widths[i], max(ansi.StringWidth(t.cols[i].Title)+2, 16)) }
	need := func(reserve int) int {
		n := 2 + reserve // gutter, and " »" when columns are hidden
		first := true
		for i, ok := range shown {
			if !ok {
				continue
			}
			if !first {
				n += 2
			}
			first = false
			if t.cols[i].Flex {
				n += flexMin(i)
			} else {
				n += widths[i]
			}
		}
		return n
	}
	hidden := 0
	for {
		reserve := 0
		if hidden > 0 {
			reserve = 2
		}
		if need(reserve) <= width {
			break
		}
		victim := -1
		for i, c := range t.cols {
			if shown[i] && c.Drop > 0 && i != t.sortCol && (victim < 0 || c.Drop >= t.cols[victim].Drop) { // the sort column stays
				victim = i
			}
		}
		if victim < 0 {
			break // nothing more may go: the line is cut at the edge
		}
		shown[victim] = false
		hidden++
	}
	var visible []int
	for i, ok := range shown {
		if ok {
			visible = append(visible, i)
		}
	}
	reserve := 0
	if hidden > 0 {
		reserve = 2
	}
	for _, i := range visible {
		if t.cols[i].Flex {
			rest := width - (need(reserve) - flexMin(i))
			widths[i] = max(flexMin(i), min(widths[i], rest))
		}
	}
	return visible
}
