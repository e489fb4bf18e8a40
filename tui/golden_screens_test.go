package tui

import (
	"fmt"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

// Golden screens of the table views (clusters, services, instances, a
// service's tasks, its confirmation) at 80x24 and 200x50, without colour
// (Ascii) and with (ANSI 256), against the demo sandbox on its fixed clock:
// at 200 columns every column is on screen with no blank run before a »,
// at 80 the most useful ones are, and widths come from the data.
func TestGoldenScreens(t *testing.T) {
	sb := startTopSandbox(t, "demo")
	for _, colour := range []bool{false, true} {
		for _, size := range [][2]int{{80, 24}, {200, 50}} {
			w, h := size[0], size[1]
			suffix := ""
			if colour {
				suffix = "-colour"
			}
			t.Run(fmt.Sprintf("%dx%d%s", w, h, suffix), func(t *testing.T) {
				if colour {
					lipgloss.SetColorProfile(termenv.ANSI256)
					defer lipgloss.SetColorProfile(termenv.Ascii)
				}
				m := newTestModel(t, sb.options("", false), w, h)
				settle(t, m, m.Init())
				shot := func(name string) {
					t.Helper()
					goldenFile(t, fmt.Sprintf("screen-%s-%dx%d%s.golden", name, w, h, suffix), m.View())
				}
				shot("clusters")
				press(t, m, "enter")
				shot("services")
				press(t, m, "3")
				shot("instances")
				press(t, m, "2", "enter")
				shot("tasks")
				press(t, m, "esc", "F")
				shot("confirm-force")
				press(t, m, "n")
			})
		}
	}
	if len(sb.mutations()) != 0 {
		t.Fatalf("mutations: %v", sb.mutations())
	}
}
