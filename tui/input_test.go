package tui

import (
	"strings"
	"testing"
)

// The table views' dispatch and the help screen are written apart: every
// key the help lists for the table views must do something there, and the
// table views must answer no key the help does not list.
func TestTableKeysAreTheHelpScreensKeys(t *testing.T) {
	m, _ := servicesModel(t, &fakeActions{}, false)
	helped := map[string]bool{}
	for _, g := range m.keys.groups() {
		if strings.HasPrefix(g.title, "logs pane") {
			continue
		}
		for _, b := range g.keys {
			helped[b.Help().Key] = true
		}
	}
	dispatched := map[string]bool{}
	for _, tk := range m.tableKeys() {
		h := tk.binding.Help().Key
		if dispatched[h] {
			t.Errorf("key %s is dispatched twice", h)
		}
		dispatched[h] = true
		if !helped[h] {
			t.Errorf("key %s works in the table views but the help does not list it", h)
		}
	}
	for h := range helped {
		if !dispatched[h] {
			t.Errorf("the help lists %s but the table views ignore it", h)
		}
	}
}
