package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/lipgloss"

	"ecsctl/fmtx"
)

// topStyles are the dashboard's styles. Colours adapt to the terminal
// through lipgloss's profile detection; with NO_COLOR (or --no-color) the
// caller pins the Ascii profile and only the layout and markers remain.
type topStyles struct {
	title, header, selected, dim, bad, warn, busy, ok, status, errLine, box, match lipgloss.Style
}

func newTopStyles() *topStyles {
	return &topStyles{
		title:    lipgloss.NewStyle().Bold(true),
		header:   lipgloss.NewStyle().Bold(true).Underline(true),
		selected: lipgloss.NewStyle().Reverse(true),
		dim:      lipgloss.NewStyle().Faint(true),
		bad:      lipgloss.NewStyle().Foreground(lipgloss.AdaptiveColor{Light: "1", Dark: "9"}),
		warn:     lipgloss.NewStyle().Foreground(lipgloss.AdaptiveColor{Light: "3", Dark: "11"}),
		busy:     lipgloss.NewStyle().Foreground(lipgloss.AdaptiveColor{Light: "4", Dark: "12"}),
		ok:       lipgloss.NewStyle().Foreground(lipgloss.AdaptiveColor{Light: "2", Dark: "10"}),
		status:   lipgloss.NewStyle().Faint(true),
		errLine:  lipgloss.NewStyle().Foreground(lipgloss.AdaptiveColor{Light: "1", Dark: "9"}).Bold(true),
		box:      lipgloss.NewStyle().Border(lipgloss.NormalBorder()).Padding(0, 1),
		match:    lipgloss.NewStyle().Reverse(true).Bold(true),
	}
}

// topBar draws used/total as a bar of width cells and a percentage:
// "████░░░░ 52%".
func topBar(used, total, width int) string {
	if total <= 0 {
		return strings.Repeat("·", width) + "   -"
	}
	frac := float64(used) / float64(total)
	if frac < 0 {
		frac = 0
	}
	if frac > 1 {
		frac = 1
	}
	full := int(frac*float64(width) + 0.5)
	return strings.Repeat("█", full) + strings.Repeat("░", width-full) + fmt.Sprintf(" %3.0f%%", frac*100)
}

// topSpark draws the last values (0–100) as a sparkline.
func topSpark(vals []float64, width int) string {
	const ticks = "▁▂▃▄▅▆▇█"
	rs := []rune(ticks)
	if len(vals) > width {
		vals = vals[len(vals)-width:]
	}
	var b strings.Builder
	for _, v := range vals {
		i := int(v / 100 * float64(len(rs)-1))
		b.WriteRune(rs[clamp(i, 0, len(rs)-1)])
	}
	return b.String()
}

// topPct is a percentage in the CLI's words (fmtx): 52.3%, or "-".
func topPct(p *float64) string { return fmtx.Pct(p) }

func topPctNum(p *float64) float64 {
	if p == nil {
		return -1
	}
	return *p
}
