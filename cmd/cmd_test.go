package cmd

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"ecsctl/ops/deploy"
	"ecsctl/render"
	"ecsctl/sim"
)

// run runs ecsctl in-process with fresh buffers, and fails the test if
// anything it printed holds a secret value (secretValues).
func run(t testing.TB, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ios, _, out, errOut := render.Test()
	ios.Env = nil
	ctx := e2eContext(t, context.Background(), ios)
	defer iamRecord(t, args)()
	code = Run(e2eContext(t, ctx, ios), append([]string{"ecsctl"}, args...), ios)
	stdout, stderr = out.String(), errOut.String()
	if !printsWorldDefinition(args) {
		checkNoSecrets(t, "ecsctl "+strings.Join(args, " "), stdout, stderr)
	}
	return code, stdout, stderr
}

// The credentials the cmd tests give ecsctl (serveSandbox): values that
// must never be printed.
const (
	testSecretAccessKey = "ecsctlTestSecretKey/doNotPrint+7Qm2Wv"
	testSessionToken    = "ecsctlTestSessionToken//doNotPrint/Zx91Lk"
)

// secretValues maps every secret value of the built-in worlds to where it
// lives: env values of secret-looking names, passwords inside URLs, the
// valueFrom of task-definition secrets; and the test credentials.
var secretValues = sync.OnceValue(func() map[string]string {
	out := map[string]string{testSecretAccessKey: "AWS_SECRET_ACCESS_KEY", testSessionToken: "AWS_SESSION_TOKEN"}
	urlPassword := regexp.MustCompile(`://[^/:@\s]*:([^/@\s]+)@`)
	for _, name := range []string{"small", "demo"} {
		w, err := sim.BuiltinWorld(name)
		if err != nil {
			panic(err)
		}
		for _, c := range w.Clusters {
			var containers []sim.ContainerSpec
			for _, s := range c.Services {
				containers = append(containers, s.Containers...)
			}
			for _, task := range c.Tasks {
				containers = append(containers, task.Containers...)
			}
			for _, ct := range containers {
				where := name + " world, container " + ct.Name + ": "
				for k, v := range ct.Environment {
					if deploy.LooksSecret(k) {
						out[v] = where + k
					} else if m := urlPassword.FindStringSubmatch(v); m != nil {
						out[m[1]] = where + "password in " + k
					}
				}
				for k, v := range ct.Secrets {
					out[v] = where + "secrets " + k
				}
			}
		}
	}
	return out
})

// checkNoSecrets fails t when an output holds a secret value: the worlds'
// secrets, and the AWS credentials of the environment the command ran in.
func checkNoSecrets(t testing.TB, what string, outputs ...string) {
	t.Helper()
	secrets := secretValues()
	env := map[string]string{}
	for _, k := range []string{"AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"} {
		if v := os.Getenv(k); len(v) >= 8 {
			env[v] = k
		}
	}
	for _, o := range outputs {
		for _, set := range []map[string]string{secrets, env} {
			for v, where := range set {
				if strings.Contains(o, v) {
					t.Errorf("%s printed a secret (%s)", what, where)
				}
			}
		}
	}
}

// printsWorldDefinition is `ecsctl sandbox world`: it prints the sandbox's
// own fixture account, fake secrets included, to be edited and loaded back.
func printsWorldDefinition(args []string) bool {
	for i := 0; i+1 < len(args); i++ {
		if args[i] == "sandbox" && args[i+1] == "world" {
			return true
		}
	}
	return false
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

// TestVersionFlag: `ecsctl --version` is what scripts try first (every peer
// accepts it); it prints what `ecsctl version` prints, JSON too.
func TestVersionFlag(t *testing.T) {
	_, want, _ := run(t, "version")
	code, stdout, stderr := run(t, "--version")
	if code != 0 || stdout != want || stderr != "" {
		t.Fatalf("--version: exit %d stdout %q (want %q) stderr %q", code, stdout, want, stderr)
	}
	code, stdout, _ = run(t, "--version", "-o", "json")
	var b buildInfo
	if code != 0 || json.Unmarshal([]byte(stdout), &b) != nil || b.Version == "" {
		t.Fatalf("--version -o json: exit %d %q", code, stdout)
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
