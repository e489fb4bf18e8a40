package cmd

import (
	"strings"
	"testing"
)

// A dry run that would change nothing says so, and why, instead of an
// empty TO column.
func TestE2EDeployDryRunNoChangeSaysSo(t *testing.T) {
	sb := startSandbox(t, "small", "")
	sb.sim.ResetRequests()
	code, stdout, stderr := run(t, "deploy", "-c", "small", "--service", "api", "--tag", "4f1c2a9", "--dry-run")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "no change") || !strings.Contains(stdout, "small/api: no change: the service already runs api:5 with these images, so a deploy would do nothing") {
		t.Errorf("stdout:\n%s", stdout)
	}
	if m := sb.mutations(); len(m) != 0 {
		t.Errorf("a dry run mutated: %v", m)
	}
	// A dry run that would change something names the new revision.
	code, stdout, _ = run(t, "deploy", "-c", "small", "--service", "api", "--tag", "7d3e9b1", "--dry-run")
	if code != ExitOK || !strings.Contains(stdout, "a new revision") {
		t.Errorf("exit %d\n%s", code, stdout)
	}
}

// rollback --help says the default of --to once.
func TestRollbackHelpSaysTheDefaultOnce(t *testing.T) {
	code, stdout, stderr := run(t, "rollback", "--help")
	out := stdout + stderr
	if code != ExitOK || !strings.Contains(out, "(default: the previous one)") || strings.Contains(out, "(default: 0)") {
		t.Errorf("exit %d\n%s", code, out)
	}
}
