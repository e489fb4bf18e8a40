package cmd

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// A dry run that would change nothing says so, and why, instead of an
// empty TO column.
func TestE2EDeployDryRunNoChangeSaysSo(t *testing.T) {
	parallel(t)
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
	parallel(t)
	code, stdout, stderr := run(t, "rollback", "--help")
	out := stdout + stderr
	if code != ExitOK || !strings.Contains(out, "(default: the revision of the last successful deployment)") || strings.Contains(out, "(default: 0)") {
		t.Errorf("exit %d\n%s", code, out)
	}
}

// Without credentials the SDK tries the instance metadata service; its
// "WARN falling back to IMDSv1" goes through ecsctl's logger: not in the
// error output, shown with --debug.
func TestNoCredentialsSDKWarningOnlyWithDebug(t *testing.T) {
	imdsSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut { // IMDSv2 token: refused, as on hosts that only have IMDSv1
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		http.NotFound(w, r) // no instance role
	}))
	defer imdsSrv.Close()
	for k, v := range map[string]string{"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": "", "AWS_PROFILE": "",
		"AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent", "AWS_REGION": "us-east-1",
		"AWS_EC2_METADATA_DISABLED": "", "AWS_EC2_METADATA_SERVICE_ENDPOINT": imdsSrv.URL, "AWS_ENDPOINT_URL": "http://127.0.0.1:1"} {
		t.Setenv(k, v)
	}
	code, _, stderr := run(t, "clusters")
	if code != ExitAWS || strings.Contains(stderr, "IMDSv1") || strings.Contains(stderr, "WARN") || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
	code, _, stderr = run(t, "--debug", "clusters")
	if code != ExitAWS || !strings.Contains(stderr, "debug: aws sdk WARN falling back to IMDSv1") {
		t.Errorf("--debug: exit %d, stderr:\n%s", code, stderr)
	}
}
