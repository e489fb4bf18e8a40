package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/lipgloss"
)

// topKeys is the dashboard's keymap; each binding carries its help text and
// the `?` screen is generated from it. Movement keeps hjkl and the arrows;
// actions are capital letters so that a stray key never starts one.
type topKeys struct {
	Up, Down, PageUp, PageDown, Top, Bottom, Left, Right key.Binding
	Enter, Back, Clusters, Services, Instances, Tasks    key.Binding
	Logs                                                 key.Binding
	Filter, Sort, SortBack, Reverse, Refresh, Help, Quit key.Binding
	Scale, Force, Rollback, Drain, Activate              key.Binding
	// The logs pane: / searches there (Search is Filter's help line),
	// n/N jump between matches, f toggles following.
	Search, Next, Prev, Follow key.Binding
}

func newTopKeys() topKeys {
	b := func(help, desc string, keys ...string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
	}
	return topKeys{
		Up:        b("up/k", "move up", "up", "k"),
		Down:      b("down/j", "move down", "down", "j"),
		PageUp:    b("pgup/ctrl+u", "page up", "pgup", "ctrl+u"),
		PageDown:  b("pgdn/ctrl+d", "page down", "pgdown", "ctrl+d"),
		Top:       b("g/home", "first row", "g", "home"),
		Bottom:    b("G/end", "last row", "G", "end"),
		Left:      b("left/h", "scroll columns left", "left", "h"),
		Right:     b("right/l", "scroll columns right", "right", "l"),
		Enter:     b("enter", "open the row (task: logs)", "enter"),
		Back:      b("esc", "back (or clear the filter)", "esc"),
		Clusters:  b("1", "clusters", "1"),
		Services:  b("2", "services of the cluster", "2"),
		Instances: b("3", "instances of the cluster", "3"),
		Tasks:     b("4", "tasks of service/instance", "4"),
		Logs:      b("L/5", "logs of service or task", "L", "5"),
		Filter:    b("/", "filter (TEXT or col:value)", "/"),
		Sort:      b("o", "sort by the next column", "o", "s"),
		SortBack:  b("O", "sort by previous column", "O"),
		Reverse:   b("r", "reverse the sort order", "r"),
		Refresh:   b("ctrl+r", "refresh now", "ctrl+r"),
		Help:      b("?", "this help", "?"),
		Quit:      b("q/ctrl+c", "quit", "q", "ctrl+c"),
		Scale:     b("S", "scale the service", "S"),
		Force:     b("F", "force a new deployment", "F"),
		Rollback:  b("B", "roll back one revision", "B"),
		Drain:     b("D", "drain the instance", "D"),
		Activate:  b("A", "activate the instance", "A"),
		Search:    b("/", "search the logs", "/"),
		Next:      b("n", "next match (newer)", "n"),
		Prev:      b("N", "previous match (older)", "N"),
		Follow:    b("f/G", "follow newest (↑ pauses)", "f"),
	}
}

// groups lists the bindings for the help screen, by purpose.
func (k topKeys) groups() []struct {
	title string
	keys  []key.Binding
} {
	return []struct {
		title string
		keys  []key.Binding
	}{
		{"move", []key.Binding{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom, k.Left, k.Right}},
		{"views", []key.Binding{k.Enter, k.Back, k.Clusters, k.Services, k.Instances, k.Tasks, k.Logs}},
		{"table", []key.Binding{k.Filter, k.Sort, k.SortBack, k.Reverse, k.Refresh, k.Help, k.Quit}},
		{"actions (each asks first)", []key.Binding{k.Scale, k.Force, k.Rollback, k.Drain, k.Activate}},
		{"logs pane (5)", []key.Binding{k.Search, k.Next, k.Prev, k.Follow}},
	}
}

// helpText renders the help screen from the keymap, in two columns when
// one would not fit the height.
func (k topKeys) helpText(readOnly bool, height int) string {
	var blocks []string
	total := 0
	for _, g := range k.groups() {
		var b strings.Builder
		title := g.title
		if readOnly && strings.HasPrefix(title, "actions") {
			title = "actions (off: --read-only)"
		}
		fmt.Fprintf(&b, "%s\n", title)
		for _, kb := range g.keys {
			h := kb.Help()
			fmt.Fprintf(&b, "  %-11s %s\n", h.Key, h.Desc)
		}
		blocks = append(blocks, b.String())
		total += len(g.keys) + 1
	}
	if total <= height {
		return strings.TrimRight(strings.Join(blocks, ""), "\n")
	}
	half := len(blocks) / 2
	left := strings.TrimRight(strings.Join(blocks[:half], ""), "\n")
	right := strings.TrimRight(strings.Join(blocks[half:], ""), "\n")
	return lipgloss.JoinHorizontal(lipgloss.Top, lipgloss.NewStyle().Width(40).Render(left), right)
}
