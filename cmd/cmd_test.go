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

// The bad-input table (every command, malformed and hostile values, no AWS
// call and no mutation) is TestBadInputTable in reliability_badinput_test.go.

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
