package render

import (
	"bytes"
	"ecsctl/ops/fleet"
	"strings"
	"testing"
)

func clusterScaleRes(outcome string, removed ...string) *fleet.ClusterScaleResult {
	return &fleet.ClusterScaleResult{Outcome: outcome, Removed: removed, Plan: &fleet.ClusterScalePlan{Cluster: "prod", ASG: "prod-ecs", From: 3, To: 1,
		Remove: []fleet.ScaleVictim{{InstanceID: "i-1", AZ: "us-east-1a", Status: "ACTIVE"}, {InstanceID: "i-2", AZ: "us-east-1b", Status: "ACTIVE"}}}}
}

// The plan above the [y/N] question is a plan, not a dry run; the final
// table says which instances are gone.
func TestClusterScalePlanAndResultWording(t *testing.T) {
	var b bytes.Buffer
	if err := ClusterScalePlan(&b, clusterScaleRes(fleet.RotateDryRun)); err != nil {
		t.Fatal(err)
	}
	if out := b.String(); !strings.Contains(out, "3 → 1 instances: PLAN") || strings.Contains(out, "DRY-RUN") {
		t.Errorf("plan:\n%s", out)
	}
	b.Reset()
	if err := ClusterScaleSummary(&b, clusterScaleRes("completed", "i-1", "i-2")); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if strings.Contains(out, "ACTIVE") || strings.Count(out, "terminated") != 2 {
		t.Errorf("result shows removed instances as ACTIVE:\n%s", out)
	}
	b.Reset()
	_ = ClusterScaleSummary(&b, clusterScaleRes("paused", "i-1"))
	if out := b.String(); !strings.Contains(out, "ACTIVE at plan") || strings.Count(out, "terminated") != 1 {
		t.Errorf("partial result:\n%s", out)
	}
}
