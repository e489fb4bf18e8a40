package tui

import (
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
)

// Without colour (the tests pin the Ascii profile, as NO_COLOR does) the
// rows that stand out still do: a sign in the gutter, and no escape codes.
func TestNoColorRowsStandOutBySign(t *testing.T) {
	m, _ := servicesModel(t, nil, true)
	press(t, m, "j") // the cursor off the first rows' gutter
	press(t, m, "g")
	v := m.View()
	if strings.Contains(v, "\x1b[") {
		t.Fatalf("escape codes without colour: %q", v)
	}
	for _, want := range []string{"! billing", "~ worker"} {
		if !strings.Contains(v, want) {
			t.Errorf("no %q:\n%s", want, v)
		}
	}
	if !strings.Contains(v, "› api") {
		t.Errorf("cursor:\n%s", v)
	}
}

func TestKey4OpensTheDrillDown(t *testing.T) {
	m, _ := servicesModel(t, nil, true)
	press(t, m, "4")
	if m.view != viewService || m.service != "api" || !strings.Contains(m.View(), "[4 tasks]") {
		t.Fatalf("4 on the services: view %v service %q\n%s", m.view, m.service, m.View())
	}
	press(t, m, "1", "4")
	if m.view != viewService {
		t.Fatalf("4 from the clusters did not reopen api's tasks: view %v", m.view)
	}
	m2, _ := servicesModel(t, nil, true)
	press(t, m2, "1")
	m2.service = ""
	press(t, m2, "4")
	if m2.view != viewClusters || !strings.Contains(m2.View(), "select a service or an instance first") {
		t.Errorf("4 with nothing to open:\n%s", m2.View())
	}
}

func TestLongBreadcrumbsGiveWayOnANarrowTerminal(t *testing.T) {
	m, _ := servicesModel(t, nil, true)
	m.view, m.instanceID = viewInstance, "i-00506ba0c372734f8"
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	first := strings.Split(m.View(), "\n")[0]
	if !strings.Contains(first, "… › Instances › i-00506ba0c372734f8") || !strings.Contains(first, "READ-ONLY") {
		t.Fatalf("header at 80 columns: %q", first)
	}
	m.Update(tea.WindowSizeMsg{Width: 200, Height: 24})
	if first := strings.Split(m.View(), "\n")[0]; !strings.Contains(first, "Clusters › prod › Instances › i-00506ba0c372734f8") {
		t.Fatalf("header at 200 columns: %q", first)
	}
}
