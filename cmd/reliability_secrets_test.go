package cmd

import (
	"strings"
	"testing"

	"ecsctl/ops/deploy"
	"ecsctl/sim"
)

// TestSecretsNeverPrinted runs every command that reads or shows the
// account — with --debug, -o json, both and neither — on the small world,
// whose task definitions hold literal secrets in env vars, a password in a
// URL and `secrets` entries, with AWS credentials in the environment. run()
// scans every output for those values; this test makes sure the outputs it
// scanned are the interesting ones (a diff was shown, calls were logged).
func TestSecretsNeverPrinted(t *testing.T) {
	parallel(t)
	sb := startSandbox(t, "small", "")
	sb.waitSteady("small", "api")
	newSecret := "pw-new-from-cli-8d7c6b5a"
	poll := []string{"--poll-interval", "20ms"}
	type step struct {
		args []string
		// variants: also run with --debug, -o json and both.
		variants bool
		// want is printed by the plain run (proof the output is the real one).
		want string
	}
	steps := []step{
		{[]string{"deploy", "-c", "small", "-s", "api", "-s", "web", "--tag", sim.DemoNextTag, "--dry-run"}, true, "(secrets masked)"},
		// Changing secrets from the command line: the diff says "changed", never the value.
		{[]string{"deploy", "-c", "small", "-s", "worker", "--tag", sim.DemoNextTag, "--dry-run",
			"--env", "app:DB_PASSWORD=" + newSecret, "--env", "app:DATABASE_URL=postgres://worker:" + newSecret + "@small-db:5432/app"}, true, deploy.Masked + " (changed)"},
		{[]string{"deploy", "-c", "small", "-s", "worker", "--tag", sim.DemoNextTag, "--dry-run", "--unset-env", "app:DB_PASSWORD"}, false, "DB_PASSWORD"},
		// A malformed --env must not echo the value it carries.
		{[]string{"deploy", "-c", "small", "-s", "worker", "--tag", sim.DemoNextTag, "--env", "DB_PASSWORD=" + newSecret}, false, "invalid --env"},
		{[]string{"clusters"}, true, "small"},
		{[]string{"services", "-c", "small"}, true, "worker"},
		{[]string{"instances", "-c", "small"}, true, "ACTIVE"},
		{[]string{"status", "-c", "small", "-s", "worker"}, true, "worker"},
		{[]string{"status", "-c", "small", "-s", "web"}, true, "web"},
		{[]string{"events", "-c", "small", "-s", "api"}, true, "steady state"},
		{[]string{"capacity", "-c", "small", "--add", "web=2"}, true, "web"},
		{[]string{"logs", "-c", "small", "-s", "worker", "--since", "1h"}, true, "worker"},
		{[]string{"rotate-ami", "-c", "small", "--dry-run"}, true, "i-"},
		{[]string{"scale", "service", "-c", "small", "-s", "web", "--count", "3", "--dry-run"}, true, "web"},
		{[]string{"scale", "cluster", "-c", "small", "--count", "4", "--dry-run"}, true, "small-ecs"},
		{[]string{"version"}, true, "commit"},
		// Real changes last: a deploy with a new secret, its rollback.
		{append([]string{"deploy", "-c", "small", "-s", "worker", "--tag", sim.DemoNextTag, "--env", "app:DB_PASSWORD=" + newSecret, "--debug"}, poll...), false, "succeeded"},
		{append([]string{"deploy", "-c", "small", "-s", "web", "--tag", sim.DemoNextTag, "-o", "json", "--debug"}, poll...), false, `"outcome"`},
		{append([]string{"rollback", "-c", "small", "-s", "web", "--debug", "-o", "json"}, poll...), false, `"outcome"`},
		{append([]string{"scale", "service", "-c", "small", "-s", "web", "--count", "3", "--wait", "--debug"}, poll...), false, "web"},
		// A failing deploy shows stop reasons and the crashing container's logs.
		{append([]string{"deploy", "-c", "small", "-s", "api", "--tag", sim.DemoCrashTag, "--debug"}, poll...), false, "BREAKER-ROLLED-BACK"},
	}
	for _, s := range steps {
		variants := [][]string{nil}
		if s.variants {
			variants = append(variants, []string{"--debug"}, []string{"-o", "json"}, []string{"--debug", "-o", "json"})
		}
		for i, v := range variants {
			args := append(append([]string{}, s.args...), v...)
			_, stdout, stderr := run(t, args...) // run() fails the test on a known secret
			all := stdout + stderr
			if strings.Contains(all, newSecret) {
				t.Errorf("%v printed the secret given with --env", args)
			}
			if i == 0 && !strings.Contains(all, s.want) {
				t.Errorf("%v: output does not show %q, so the scan proves little:\n%s", args, s.want, all)
			}
			if args[0] != "version" && strings.Contains(strings.Join(args, " "), "--debug") && !strings.Contains(stderr, "debug: ") {
				t.Errorf("%v: no debug lines on stderr", args)
			}
		}
	}
	// The secrets did reach AWS unchanged: masking is for display only.
	td, _ := sb.taskDef(secretsDeref(sb.service("small", "worker").TaskDefinition))
	got := map[string]string{}
	for _, kv := range td.ContainerDefinitions[0].Environment {
		got[secretsDeref(kv.Name)] = secretsDeref(kv.Value)
	}
	if got["DB_PASSWORD"] != newSecret || got["DATABASE_URL"] != "postgres://worker:pw-url-3e8d1f60@small-db:5432/app" {
		t.Fatalf("worker's env after the deploy: DB_PASSWORD and DATABASE_URL not as registered: %v", got)
	}
}

// TestSecretsMaskedInDiffs checks the masking the scan relies on: a diff
// shows that a secret changed and where, never its old or new value.
func TestSecretsMaskedInDiffs(t *testing.T) {
	parallel(t)
	for name, value := range map[string]string{
		"DB_PASSWORD":  "hunter2",
		"DATABASE_URL": "postgres://app:hunter2@db:5432/app",
		"REDIS_URL":    "redis://:hunter2@cache:6379/0",
		"GITHUB_TOKEN": "hunter2",
		"DB_PASS":      "hunter2",
		"MYSQL_DSN":    "app:hunter2@tcp(db:3306)/app",
		"TLS_CERT_PEM": "-----BEGIN hunter2",
	} {
		shown := deploy.MaskEnvValue(name, value)
		if strings.Contains(shown, "hunter2") || !strings.Contains(shown, deploy.Masked) {
			t.Errorf("%s=%s shown as %q", name, value, shown)
		}
	}
	if got := deploy.MaskEnvValue("SITE_URL", "https://example.com/a:b@c"); got != "https://example.com/a:b@c" {
		t.Errorf("a URL without a password was changed: %q", got)
	}
	if got := deploy.MaskEnvValue("LOG_LEVEL", "debug"); got != "debug" {
		t.Errorf("a plain value was masked: %q", got)
	}
}

func secretsDeref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
