package cmd

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"ecsctl/render"
)

func TestTopBadInputIsExit2WithNoAWSCall(t *testing.T) {
	calls := countingEndpoint(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"top"}, "top needs a terminal"},
		{[]string{"top", "--refresh", "0s"}, "invalid value 0s for --refresh"},
		{[]string{"top", "prod"}, `top takes no arguments (got "prod")`},
	} {
		code, _, stderr := run(t, tc.args...)
		if code != ExitUsage || !strings.Contains(stderr, tc.want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and %q on one line", tc.args, code, stderr, tc.want)
		}
	}
	if n := calls.Load(); n != 0 {
		t.Errorf("bad input made %d AWS calls", n)
	}
}

func TestTopUnknownClusterIsExit3BeforeTheDashboard(t *testing.T) {
	sb := startSandbox(t, "small", "")
	ios, _, _, errOut := render.Test()
	ios.InTTY, ios.OutTTY, ios.ErrTTY = true, true, true
	code := Run(context.Background(), []string{"ecsctl", "top", "-c", "nope", "--log-file", filepath.Join(t.TempDir(), "top.log")}, ios)
	if code != ExitAWS || !strings.Contains(errOut.String(), "cluster nope not found") {
		t.Fatalf("exit %d, stderr %q; want 3 naming the cluster", code, errOut.String())
	}
	if m := sb.mutations(); len(m) != 0 {
		t.Errorf("mutations: %v", m)
	}
}
