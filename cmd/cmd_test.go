package cmd

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"ecsctl/render"
)

// run runs ecsctl in-process with fresh buffers.
func run(t testing.TB, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ios, _, out, errOut := render.Test()
	ios.Env = os.Getenv
	code = Run(context.Background(), append([]string{"ecsctl"}, args...), ios)
	return code, out.String(), errOut.String()
}

// countingEndpoint is an AWS endpoint that counts requests and refuses them.
func countingEndpoint(t *testing.T) *atomic.Int64 {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.WriteHeader(http.StatusBadRequest)
	}))
	t.Cleanup(srv.Close)
	t.Setenv("AWS_ENDPOINT_URL", srv.URL)
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	return &n
}

func TestBadInputIsOneLineExit2AndNoAWSCall(t *testing.T) {
	calls := countingEndpoint(t)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"nope"}, `unknown command "nope"`},
		{[]string{"version", "--bogus"}, "unknown flag --bogus"},
		{[]string{"deploy", "--bogus"}, "unknown flag --bogus"},
		{[]string{"deploy", "-c", "prod", "--service", "api", "--tag", "abc", "--timeout", "soon"}, "invalid value \"soon\" for --timeout: want a duration"},
		{[]string{"deploy", "-c", "prod", "--service", "api", "--tag", "abc", "--keep-revisions", "x"}, "--keep-revisions: want a whole number"},
		{[]string{"-o", "yaml", "version"}, "invalid value \"yaml\" for --output: want text or json"},
		{[]string{"version", "--poll-interval", "-1s"}, "--poll-interval"},
		{[]string{"deploy", "--service", "api", "--tag", "abc"}, "missing --cluster"},
		{[]string{"deploy", "-c", "prod", "--tag", "abc"}, "missing --service"},
		{[]string{"deploy", "-c", "prod", "--service", "api"}, "nothing to deploy"},
		{[]string{"deploy", "-c", "prod", "--service", "api", "--tag", "latest"}, "refusing mutable-looking tag \"latest\""},
		{[]string{"deploy", "-c", "prod", "--service", "api", "--tag", "-bad"}, "invalid --tag \"-bad\""},
		{[]string{"deploy", "-c", "prod", "--service", "api", "--tag", "a", "--timeout", "0s"}, "invalid --timeout"},
		{[]string{"deploy", "-c", "prod", "--service", "api", "--image", "app"}, "invalid --image \"app\": want CONTAINER=REF"},
		{[]string{"deploy", "-c", "prod", "--service", "api", "--image", "app=Bad Ref"}, "invalid --image app=Bad Ref"},
		{[]string{"deploy", "-c", "prod", "--service", "api", "--env", "app"}, "invalid --env \"app\""},
		{[]string{"deploy", "-c", "prod", "--service", "api", "--unset-env", "app"}, "invalid --unset-env \"app\""},
		{[]string{"deploy", "-c", "prod", "--service", "api", "--service", "api", "--tag", "a"}, "--service api given twice"},
		{[]string{"rollback", "-c", "prod"}, "missing --service"},
		{[]string{"rollback", "-c", "prod", "--service", "api", "--to", "-3"}, "invalid --to -3"},
		{[]string{"completion"}, "completion needs one shell name"},
		{[]string{"completion", "tcsh"}, "unknown shell \"tcsh\""},
		{[]string{"sandbox", "--speed", "0"}, "invalid --speed"},
		{[]string{"sandbox", "--world", "/nonexistent.json"}, "invalid --world"},
		{[]string{"sandbox", "--faults", "throttle=2"}, "invalid --faults"},
		{[]string{"sandbox", "push", "api"}, "sandbox push needs REPOSITORY:TAG"},
		{[]string{"sandbox", "world", "huge"}, "unknown world \"huge\""},
	}
	for _, c := range cases {
		code, stdout, stderr := run(t, c.args...)
		if code != ExitUsage {
			t.Errorf("%v: exit %d, want 2 (stderr %q)", c.args, code, stderr)
			continue
		}
		if lines := strings.Count(strings.TrimSpace(stderr), "\n"); lines != 0 || !strings.HasPrefix(stderr, "ecsctl: ") {
			t.Errorf("%v: stderr is not one line: %q", c.args, stderr)
		}
		if !strings.Contains(stderr, c.want) {
			t.Errorf("%v: stderr %q does not say %q", c.args, stderr, c.want)
		}
		if strings.Contains(stdout, "USAGE") {
			t.Errorf("%v: help text dumped on bad input", c.args)
		}
	}
	if n := calls.Load(); n != 0 {
		t.Fatalf("bad input made %d AWS requests", n)
	}
}

func TestMissingRegionIsExit3(t *testing.T) {
	countingEndpoint(t)
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	code, _, stderr := run(t, "deploy", "-c", "prod", "--service", "api", "--tag", "abc")
	if code != ExitAWS || !strings.Contains(stderr, "no AWS region: set --region or AWS_REGION") {
		t.Fatalf("exit %d stderr %q", code, stderr)
	}
}

func TestMissingCredentialsIsExit3(t *testing.T) {
	countingEndpoint(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	t.Setenv("AWS_PROFILE", "")
	code, _, stderr := run(t, "deploy", "-c", "prod", "--service", "api", "--tag", "abc")
	if code != ExitAWS || !strings.Contains(stderr, "AWS credentials") {
		t.Fatalf("exit %d stderr %q", code, stderr)
	}
}

func TestVersionJSON(t *testing.T) {
	code, stdout, _ := run(t, "version", "-o", "json")
	var b buildInfo
	if code != 0 || json.Unmarshal([]byte(stdout), &b) != nil || b.Version == "" || b.GoVersion == "" {
		t.Fatalf("exit %d: %q", code, stdout)
	}
}

func TestCommonFlagsBeforeOrAfterTheCommand(t *testing.T) {
	for _, args := range [][]string{{"-o", "json", "version"}, {"version", "-o", "json"}, {"version", "--output=json"}} {
		code, stdout, _ := run(t, args...)
		if code != 0 || !strings.HasPrefix(stdout, "{") {
			t.Errorf("%v: exit %d %q", args, code, stdout)
		}
	}
}

func TestCompletionScripts(t *testing.T) {
	for shell, want := range map[string]string{"bash": "complete -o bashdefault", "zsh": "#compdef ecsctl", "fish": "complete -c ecsctl"} {
		code, stdout, _ := run(t, "completion", shell)
		if code != 0 || !strings.Contains(stdout, want) {
			t.Errorf("completion %s: exit %d, missing %q", shell, code, want)
		}
	}
	code, stdout, _ := run(t, "man")
	if code != 0 || !strings.Contains(stdout, ".TH") {
		t.Errorf("man: exit %d", code)
	}
}
