package tui

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
)

// A refusal from ops shown in the dashboard names the option in the
// dashboard's words: the count typed at the scale prompt is the desired
// count, not the CLI's --count, and no flag is suggested at all.
func TestSandboxRefusalInDashboardWords(t *testing.T) {
	sb := startTopSandbox(t, "demo")
	aas, ok := sb.actions.Scaler.AAS.(*applicationautoscaling.Client)
	if !ok {
		t.Fatalf("the sandbox's scaler has no Application Auto Scaling client: %T", sb.actions.Scaler.AAS)
	}
	if _, err := aas.RegisterScalableTarget(context.Background(), &applicationautoscaling.RegisterScalableTargetInput{
		ServiceNamespace: aastypes.ServiceNamespaceEcs, ResourceId: aws.String("service/prod/api"),
		ScalableDimension: aastypes.ScalableDimensionECSServiceDesiredCount, MinCapacity: aws.Int32(3), MaxCapacity: aws.Int32(10),
	}); err != nil {
		t.Fatal(err)
	}
	before := len(sb.mutations())
	m := newTestModel(t, sb.options("prod", false), 200, 40)
	settle(t, m, m.Init())
	press(t, m, "/", "api", "enter")
	for i := 0; i < len(m.table().rows) && selectedName(m) != "svc:api"; i++ {
		press(t, m, "j")
	}
	if selectedName(m) != "svc:api" {
		t.Fatalf("api not found:\n%s", m.View())
	}
	press(t, m, "S", "backspace", "1", "enter", "y")
	if m.err == nil {
		t.Fatalf("scaling api to 1 under an auto scaling minimum of 3 was not refused:\n%s", m.View())
	}
	msg := m.err.Error()
	if !strings.Contains(msg, "desired count 1 is below the Application Auto Scaling min of 3") {
		t.Errorf("refusal %q does not name the desired count", msg)
	}
	if strings.Contains(msg, "--") {
		t.Errorf("refusal %q names a CLI flag in the dashboard", msg)
	}
	if !strings.Contains(m.View(), "desired count 1 is below") {
		t.Errorf("refusal not shown:\n%s", m.View())
	}
	if got := sb.service(t, "prod", "api"); got != 4 {
		t.Errorf("api's desired count is %d after a refused scale, want 4", got)
	}
	if muts := sb.mutations()[before:]; len(muts) != 0 {
		t.Errorf("a refused scale made mutating calls: %v", muts)
	}
	// The dashboard's filter is its own (typed after /), and so is its
	// answer to a bad one.
	press(t, m, "/", "backspace", "backspace", "backspace", "colour:red", "enter") // "api" was the filter
	if !strings.Contains(m.message, `unknown filter key "colour"`) || strings.Contains(m.message, "--") {
		t.Errorf("bad filter's message %q: want the dashboard's words, no flag", m.message)
	}
}
