package cmd

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ecsctl/ops/deploy"
	"ecsctl/sim"
)

// inProcessSandbox makes --sandbox start its own sandbox from a state file
// in a temporary directory, on the small world, at test speed.
func inProcessSandbox(t *testing.T) string {
	t.Helper()
	state := filepath.Join(t.TempDir(), "state.json")
	t.Setenv("ECSCTL_SANDBOX_STATE", state)
	t.Setenv("ECSCTL_SANDBOX_NO_PROBE", "1")
	t.Setenv("ECSCTL_SANDBOX_WORLD", "small")
	t.Setenv("ECSCTL_SANDBOX_SPEED", "600")
	t.Setenv("AWS_ENDPOINT_URL", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
	return state
}

func TestSandboxFlagCommandsSeeEachOthersChanges(t *testing.T) {
	state := inProcessSandbox(t)
	// A pipeline pushes, then deploys; a second deploy of the same tag finds it done.
	if code, out, errOut := run(t, "--sandbox", "sandbox", "push", "api:9f8e7d6"); code != 0 || !strings.Contains(out, "pushed api:9f8e7d6 sha256:") {
		t.Fatalf("push: exit %d %s %s", code, out, errOut)
	}
	code, out, errOut := run(t, "--sandbox", "deploy", "-c", "small", "--service", "api", "--tag", "9f8e7d6", "--poll-interval", "20ms", "-o", "json")
	if code != 0 {
		t.Fatalf("deploy: exit %d\n%s\n%s", code, out, errOut)
	}
	if _, err := os.Stat(state); err != nil {
		t.Fatalf("no state saved: %v", err)
	}
	code, out, errOut = run(t, "--sandbox", "deploy", "-c", "small", "--service", "api", "--tag", "9f8e7d6", "-o", "json")
	if code != 0 {
		t.Fatalf("second deploy: exit %d\n%s\n%s", code, out, errOut)
	}
	var res deploy.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.Services[0].Outcome != deploy.OutcomeAlreadyDeployed {
		t.Fatalf("second deploy did not see the first: %v %s", err, out)
	}
}

func TestSandboxPushNeedsASandbox(t *testing.T) {
	inProcessSandbox(t)
	code, _, errOut := run(t, "sandbox", "push", "api:1")
	if code != ExitUsage || !strings.Contains(errOut, "pass --sandbox or set AWS_ENDPOINT_URL") {
		t.Fatalf("exit %d %q", code, errOut)
	}
}

func TestSandboxWorldPrintsLoadableJSON(t *testing.T) {
	code, out, _ := run(t, "sandbox", "world", "small")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	w, err := sim.ParseWorld([]byte(out))
	if err != nil || w.Name != "small" {
		t.Fatalf("world JSON does not load back: %v", err)
	}
	path := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(path, []byte(`{"clusters":[{"name":"x","services":[{"name":"a","desired":"many"}]}]}`), 0o644)
	code, _, errOut := run(t, "sandbox", "--world", path)
	if code != ExitUsage || !strings.Contains(errOut, "desired") {
		t.Fatalf("bad world: exit %d %q", code, errOut)
	}
}

func TestDebugLogsEveryCallWithoutParameters(t *testing.T) {
	sb := startSandbox(t, "small", "")
	_ = sb
	code, _, errOut := run(t, "deploy", "-c", "small", "--service", "api", "--tag", sim.DemoNextTag, "--dry-run", "--debug")
	if code != 0 {
		t.Fatalf("exit %d %s", code, errOut)
	}
	for _, want := range []string{"debug: ", "ECS.DescribeServices", "ECS.DescribeTaskDefinition", "ECR.DescribeImages"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("--debug output lacks %q:\n%s", want, errOut)
		}
	}
	if strings.Contains(errOut, "tok-sandbox") || strings.Contains(errOut, "db-password") {
		t.Errorf("--debug printed a secret")
	}
}
