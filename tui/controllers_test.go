package tui

import (
	"strings"
	"testing"
	"time"

	"ecsctl/ops/overview"
)

func TestDeployActionsDisabledForOtherControllers(t *testing.T) {
	for _, ctl := range []string{"CODE_DEPLOY", "EXTERNAL"} {
		acts := &fakeActions{}
		src := &fakeSource{services: func(string) ([]overview.ServiceRow, error) {
			return []overview.ServiceRow{{Cluster: "prod", Name: "cd-api", State: overview.ServiceStateSteady, Desired: 2, Running: 2, Controller: ctl}}, nil
		}}
		m := newTestModel(t, Options{Source: src, Actions: acts, Cluster: "prod", Refresh: time.Hour, Now: func() time.Time { return testNow }}, 120, 24)
		settle(t, m, m.Init())
		if !strings.Contains(m.View(), "steady "+ctl) {
			t.Errorf("%s: state does not show the controller:\n%s", ctl, m.View())
		}
		for _, k := range []string{"F", "B"} {
			press(t, m, k)
			if m.mode != modeNormal || !strings.Contains(m.View(), "disabled for cd-api") || !strings.Contains(m.View(), ctl) {
				t.Fatalf("%s %s: mode %v\n%s", ctl, k, m.mode, m.View())
			}
		}
		if len(acts.did) != 0 {
			t.Fatalf("%s: actions ran: %v", ctl, acts.did)
		}
		// Scaling is an UpdateService of the desired count, which every
		// controller accepts.
		press(t, m, "S")
		if m.mode != modeCount {
			t.Fatalf("%s: scale not offered (mode %v)", ctl, m.mode)
		}
	}
}
