package cmd

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"ecsctl/render"
)

// badInputCase is one malformed or hostile invocation and what ecsctl must
// answer: the exit code README documents, a one-line error that contains
// want, and no AWS call at all unless reads is set (some input can only be
// found wrong by looking: an unknown service, a tag missing from ECR). No
// case may make a mutating call.
type badInputCase struct {
	args  []string
	code  int
	want  string
	reads bool
}

// badInputFix is how a one-line error points at the fix: what to give
// instead, an example, or what to run or check.
var badInputFix = regexp.MustCompile(`want |e\.g\.|like |run '|pass |give |check |use |set |remove |leave |fix |push it|say whose|name |ask for|lists them|at most|cannot be combined|is not after|must be|takes no|pick |it has:|regular expression syntax`)

// badInputCommands is every command and subcommand `ecsctl --help` lists
// (TestBadInputTableCoversEveryCommand keeps it complete).
var badInputCommands = [][]string{
	{"capacity"}, {"clusters"}, {"completion"}, {"deploy"}, {"events"}, {"instances"}, {"logs"},
	{"rollback"}, {"rotate-ami"}, {"sandbox"}, {"sandbox", "push"}, {"sandbox", "world"},
	{"scale"}, {"scale", "service"}, {"scale", "cluster"}, {"services"}, {"status"}, {"top"}, {"version"},
	{"run"},
	{"cron"}, {"cron", "list"}, {"cron", "show"}, {"cron", "run"}, {"cron", "pause"}, {"cron", "resume"},
	{"man"}, // hidden
}

// badInputCommandTree lists every visible command path of the CLI.
func badInputCommandTree() []string {
	ios, _, _, _ := render.Test()
	var out []string
	var walk func(prefix string, cmds []*cli.Command)
	walk = func(prefix string, cmds []*cli.Command) {
		for _, c := range cmds {
			if c.Hidden || c.Name == "help" {
				continue
			}
			name := strings.TrimSpace(prefix + " " + c.Name)
			out = append(out, name)
			walk(name, c.Subcommands)
		}
	}
	walk("", (&app{io: ios}).newCLI().Commands)
	return out
}

func TestBadInputTable(t *testing.T) {
	sb := startSandbox(t, "small", "")
	dir := t.TempDir()
	world := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	long := strings.Repeat("a", 300)
	huge := strings.Repeat("x", 100_000)
	overflow := "99999999999999999999999"
	dep := func(extra ...string) []string {
		return append([]string{"deploy", "-c", "small", "-s", "api"}, extra...)
	}
	tag := func(v string) []string { return dep("--tag", v) }
	img := func(v string) []string { return dep("--image", "app="+v) }
	logs := func(extra ...string) []string { return append([]string{"logs", "-c", "small", "-s", "api"}, extra...) }
	rot := func(extra ...string) []string {
		return append([]string{"rotate-ami", "-c", "small", "--dry-run"}, extra...)
	}
	scaleSvc := func(extra ...string) []string {
		return append([]string{"scale", "service", "-c", "small", "-s", "api"}, extra...)
	}
	scaleCl := func(extra ...string) []string {
		return append([]string{"scale", "cluster", "-c", "small", "--yes"}, extra...)
	}
	status := func(extra ...string) []string {
		return append([]string{"status", "-c", "small", "-s", "api"}, extra...)
	}
	sbx := func(extra ...string) []string {
		return append([]string{"sandbox", "--listen", "127.0.0.1:0"}, extra...)
	}

	runT := func(extra ...string) []string {
		return append([]string{"run", "-c", "small", "-s", "worker"}, extra...)
	}

	cases := []badInputCase{
		// ecsctl run: nothing starts.
		{[]string{"run", "-c", "small", "--", "echo", "hi"}, 2, "say what to run: give --service NAME", false},
		{runT("--env", "app=1", "--", "echo"), 2, "invalid --env \"app=********\"", false},
		{runT("--cpu", "abc"), 2, "invalid --cpu \"abc\"", false},
		{runT("--memory", overflow), 2, "invalid --memory", false},
		{runT("--timeout", "-1s"), 2, "invalid --timeout", false},
		{runT("--launch-type", "EXTERNAL"), 2, "invalid --launch-type", false},
		{runT("--subnet", "vpc-1"), 2, "invalid --subnet", false},
		{runT("--no-wait", "--timeout", "1m"), 2, "--no-wait does not follow the task", false},
		{[]string{"run", "-c", "small", "-s", "nope", "--", "echo"}, 2, "service small/nope not found", true},
		{[]string{"run", "-c", "small", "--task-def", "worker:99", "--", "echo"}, 2, "task definition worker:99 not found", true},
		{runT("--container", "nope"), 2, "has no container \"nope\"", true},
		{runT("--cpu", "64"), 2, "invalid --cpu 64 for EC2", true},
		// Commands, flags and arguments.
		{[]string{"nope"}, 2, `unknown command "nope"`, false},
		{[]string{"-o", "yaml", "version"}, 2, `invalid value "yaml" for --output: want text or json`, false},
		{[]string{"-o", "JSON", "version"}, 2, `invalid value "JSON" for --output`, false},
		{[]string{"--cluster"}, 2, "--cluster needs a value", false},
		{[]string{"deploy", "--tag"}, 2, "--tag needs a value", false},
		{[]string{"scale"}, 2, "scale needs a subcommand", false},
		{[]string{"scale", "nope"}, 2, `unknown subcommand "nope" of scale`, false},
		{[]string{"sandbox", "nope"}, 2, `unknown subcommand "nope" of sandbox`, false},
		{[]string{"completion"}, 2, "completion needs one shell name", false},
		{[]string{"completion", "tcsh"}, 2, `unknown shell "tcsh"`, false},
		{[]string{"completion", "bash", "zsh"}, 2, "completion needs one shell name", false},
		{[]string{"sandbox", "world", "huge"}, 2, `unknown world "huge"`, false},
		{[]string{"sandbox", "world", "small", "demo"}, 2, "sandbox world takes one world name", false},
		{[]string{"sandbox", "push", "api"}, 2, "sandbox push needs REPOSITORY:TAG", false},
		{[]string{"sandbox", "push", ":x"}, 2, "sandbox push needs REPOSITORY:TAG", false},
		{[]string{"sandbox", "push", "api:a b"}, 2, `invalid --tag "a b"`, false},
		// A stray word stops flag parsing: the --dry-run after it would be lost.
		{dep("--tag", "a", "extra", "--dry-run"), 2, `deploy takes no arguments (got "extra", and 1 more`, false},
		{[]string{"version", "extra"}, 2, "version takes no arguments", false},
		{[]string{"cron", "list", "-c", "small", "extra"}, 2, `cron list takes no arguments (got "extra"`, false},
		{[]string{"cron", "pause", "-c", "small", "nightly", "--dry-run"}, 2, "flag --dry-run after NAME: put flags before NAME", false},
		{[]string{"cron", "run", "-c", "small", "nightly", "--timeout", "5m"}, 2, "flag --timeout after NAME: put flags before NAME, e.g. 'ecsctl cron run -c small --timeout 5m nightly'", false},
		{[]string{"cron", "run", "-c", "small"}, 2, "want one NAME of a schedule or rule, got 0 arguments", false},
		{[]string{"cron", "show", "-c", "small", "a", "b"}, 2, "want one NAME of a schedule or rule, got 2 arguments", false},
		{[]string{"cron", "resume", "nightly"}, 2, "missing --cluster", false},
		{[]string{"cron", "show", "-c", "small", "nope"}, 2, `no schedule or rule named "nope" runs tasks in cluster small`, true},
		{dep("--tag", "a", "--notify", "ftp://hooks.example.com/x"), 2, `invalid --notify "ftp://hooks.example.com/…"`, false},
		{[]string{"scale", "service", "-c", "small", "-s", "api", "4"}, 2, "scale service takes no arguments", false},
		{[]string{"-c", "small", "deploy", "-s", "api", "--tag", "a", "--region", "us east"}, 2, `invalid AWS region "us east"`, false},
		{[]string{"-c", "small", "services", "--region", "US-EAST-1"}, 2, `invalid AWS region "US-EAST-1"`, false},
		{dep("--tag", "a\x00b"), 2, "contains a NUL byte", false},
		{[]string{"-c", "sm\x00all", "services"}, 2, "contains a NUL byte", false},

		// Missing required flags.
		{[]string{"deploy", "--service", "api", "--tag", "abc"}, 2, "missing --cluster", false},
		{[]string{"deploy", "-c", "small", "--tag", "abc"}, 2, "missing --service", false},
		{dep(), 2, "nothing to deploy", false},
		{[]string{"rollback", "-c", "small"}, 2, "missing --service", false},
		{[]string{"rotate-ami", "--dry-run"}, 2, "missing --cluster", false},
		{[]string{"scale", "service", "-s", "api", "--count", "2"}, 2, "missing --cluster", false},
		{[]string{"scale", "service", "-c", "small", "--count", "2"}, 2, "missing --service", false},
		{scaleSvc(), 2, "missing --count", false},
		{[]string{"scale", "cluster", "-c", "small"}, 2, "missing --count", false},
		{[]string{"scale", "cluster", "--count", "3", "--dry-run"}, 2, "missing --cluster", false},
		{[]string{"logs", "-c", "small"}, 2, "say whose logs", false},
		{[]string{"logs", "-s", "api"}, 2, "--cluster", false},
		{[]string{"services"}, 2, "missing --cluster", false},
		{[]string{"instances"}, 2, "missing --cluster", false},
		{[]string{"capacity"}, 2, "missing --cluster", false},
		{[]string{"status", "-c", "small"}, 2, "missing --service", false},
		{[]string{"events", "-c", "small"}, 2, "missing --service", false},
		{[]string{"events", "-s", "api"}, 2, "missing --cluster", false},
		// Changing the cluster from a script needs --yes.
		{[]string{"rotate-ami", "-c", "small"}, 2, "pass --yes", false},
		{[]string{"scale", "cluster", "-c", "small", "--count", "4"}, 2, "pass --yes", false},

		// Durations.
		{dep("--tag", "a", "--timeout", "5"), 2, `invalid value "5" for --timeout: want a duration like 30s`, false},
		{dep("--tag", "a", "--timeout", "soon"), 2, `invalid value "soon" for --timeout`, false},
		{dep("--tag", "a", "--timeout", "-1s"), 2, "invalid --timeout -1s", false},
		{dep("--tag", "a", "--timeout", "0s"), 2, "invalid --timeout 0s", false},
		{dep("--tag", "a", "--timeout", "1y"), 2, `invalid value "1y" for --timeout`, false},
		{dep("--tag", "a", "--timeout", "999999999999h"), 2, `invalid value "999999999999h" for --timeout`, false},
		{[]string{"rollback", "-c", "small", "-s", "api", "--timeout", "-5s"}, 2, "invalid --timeout -5s", false},
		{rot("--timeout-per-batch", "0s"), 2, "invalid --timeout-per-batch 0s", false},
		{rot("--timeout-per-batch", "-1m"), 2, "invalid --timeout-per-batch -1m0s", false},
		{rot("--timeout-per-batch", "1d"), 2, `invalid value "1d" for --timeout-per-batch`, false},
		{scaleSvc("--count", "2", "--wait", "--timeout", "0s"), 2, "invalid --timeout 0s", false},
		{scaleCl("--count", "3", "--timeout", "-1s"), 2, "invalid --timeout -1s", false},
		{scaleCl("--count", "3", "--timeout", "0s"), 2, "invalid --timeout 0s", false},
		{logs("--since", "5"), 2, `invalid value "5" for --since`, false},
		{logs("--since", "-1s"), 2, `invalid value "-1s" for --since`, false},
		{logs("--since", "1y"), 2, `invalid value "1y" for --since`, false},
		{logs("--since", "99999999999999h"), 2, `invalid value "99999999999999h" for --since`, false},
		{logs("--since", "2026-13-45"), 2, `invalid value "2026-13-45" for --since`, false},
		{logs("--since", "200000d"), 2, `invalid value "200000d" for --since`, false}, // overflowed into the future
		{logs("--until", "yesterday"), 2, `invalid value "yesterday" for --until`, false},
		{logs("--since", "10m", "--until", "1h"), 2, "is not after --since", false},
		{logs("--overlap", "0s"), 2, "--overlap must be positive", false},
		{logs("--order-window", "-1s"), 2, "--order-window not negative", false},
		{logs("--grep", "("), 2, `invalid --grep "("`, false},
		{[]string{"events", "-c", "small", "-s", "api", "--since", "5"}, 2, `invalid value "5" for --since`, false},
		{[]string{"events", "-c", "small", "-s", "api", "--since", "-1h"}, 2, `invalid value "-1h" for --since`, false},
		{[]string{"events", "-c", "small", "-s", "api", "--since", "1y"}, 2, `invalid value "1y" for --since`, false},
		{[]string{"top", "--refresh", "5"}, 2, `invalid value "5" for --refresh`, false},
		{[]string{"top", "--refresh", "1ms"}, 2, "invalid value 1ms for --refresh", false},
		{[]string{"--poll-interval", "0s", "services", "-c", "small"}, 2, "invalid value 0s for --poll-interval", false},
		{[]string{"version", "--poll-interval", "-1s"}, 2, "--poll-interval", false},
		{[]string{"services", "-c", "small", "--poll-interval", "abc"}, 2, `invalid value "abc" for --poll-interval`, false},

		// Counts.
		{dep("--tag", "a", "--keep-revisions", "-1"), 2, "invalid --keep-revisions -1", false},
		{dep("--tag", "a", "--keep-revisions", "x"), 2, "--keep-revisions: want a whole number", false},
		{dep("--tag", "a", "--keep-revisions", "1e9"), 2, `invalid value "1e9" for --keep-revisions`, false},
		{dep("--tag", "a", "--keep-revisions", overflow), 2, "for --keep-revisions: want a whole number", false},
		{[]string{"rollback", "-c", "small", "-s", "api", "--to", "-3"}, 2, "invalid --to -3", false},
		{[]string{"rollback", "-c", "small", "-s", "api", "--to", "0"}, 2, "invalid --to 0", false},
		{[]string{"rollback", "-c", "small", "-s", "api", "--to", "abc"}, 2, `invalid value "abc" for --to`, false},
		{rot("--batch", "0"), 2, "invalid --batch 0", false},
		{rot("--batch", "-1"), 2, "invalid --batch -1", false},
		{rot("--batch", "abc"), 2, `invalid value "abc" for --batch`, false},
		{rot("--batch", "1e9"), 2, `invalid value "1e9" for --batch`, false},
		{rot("--batch", "99999999999"), 2, "invalid --batch 99999999999", false},
		{rot("--batch", overflow), 2, "for --batch: want a whole number", false},
		{rot("--surge", "-5"), 2, "invalid --surge -5", false},
		{rot("--surge", "100000"), 2, "invalid --surge 100000", false},
		{rot("--batch", "3", "--surge", "1"), 2, "the surge must be at least the batch size", false},
		{rot("--ami", "nope"), 2, `invalid --ami "nope"`, false},
		{rot("--standalone-tasks", "maybe"), 2, `invalid --standalone-tasks "maybe"`, false},
		{[]string{"rotate-ami", "-c", "small", "--abort", "--dry-run"}, 2, "--abort takes no --dry-run", false},
		{scaleSvc("--count", "-1"), 2, "invalid --count -1", false},
		{scaleSvc("--count", "1e9"), 2, `invalid value "1e9" for --count`, false},
		{scaleSvc("--count", "abc"), 2, `invalid value "abc" for --count`, false},
		{scaleSvc("--count", "04"), 2, `invalid value "04" for --count`, false},
		{scaleSvc("--count", overflow), 2, "for --count: want a whole number", false},
		{scaleSvc("--count", "100000000"), 2, "ECS runs at most 5000 tasks per service", false},
		{scaleCl("--count", "-5"), 2, "invalid --count -5", false},
		{scaleCl("--count", "1e9"), 2, `invalid value "1e9" for --count`, false},
		{scaleCl("--count", overflow), 2, "for --count: want a whole number", false},
		{scaleCl("--count", "3", "--standalone-tasks", "x"), 2, `invalid --standalone-tasks "x"`, false},
		{status("--events", "-1"), 2, "invalid value -1 for --events", false},
		{status("--events", "abc"), 2, `invalid value "abc" for --events`, false},
		{status("--events", overflow), 2, "for --events: want a whole number", false},
		{[]string{"capacity", "-c", "small", "--add", "api"}, 2, `invalid --add "api"`, false},
		{[]string{"capacity", "-c", "small", "--add", "api=-1"}, 2, `invalid --add "api=-1"`, false},
		{[]string{"capacity", "-c", "small", "--add", "api=1e9"}, 2, `invalid --add "api=1e9"`, false},
		{[]string{"capacity", "-c", "small", "--add", "api=" + overflow}, 2, "invalid --add", false},
		{[]string{"services", "-c", "small", "--sort", "bogus"}, 2, `invalid --sort "bogus"`, false},
		{[]string{"services", "-c", "small", "--filter", "bogus:x"}, 2, `invalid --filter "bogus:x"`, false},
		{sbx("--speed", "0"), 2, "invalid --speed", false},
		{sbx("--speed", "-1"), 2, "invalid --speed", false},
		{sbx("--speed", "NaN"), 2, "invalid --speed NaN", false},
		{sbx("--speed", "Inf"), 2, "invalid --speed +Inf", false},
		{sbx("--speed", "1e308"), 2, "invalid --speed", false},
		{sbx("--speed", "abc"), 2, `invalid value "abc" for --speed: want a number`, false},
		{sbx("--seed", "abc"), 2, `invalid value "abc" for --seed`, false},
		{sbx("--page-size", "0"), 2, "invalid --page-size 0", false},
		{sbx("--page-size", "101"), 2, "invalid --page-size 101", false},
		{sbx("--faults", "throttle=2"), 2, "invalid --faults", false},
		{sbx("--faults", "bogus"), 2, "invalid --faults", false},
		{sbx("--faults", "throttle=NaN"), 2, "invalid --faults", false},
		{[]string{"sandbox", "--listen", "nope"}, 2, "cannot listen on nope", false},

		// Image tags and references: shell metacharacters, paths, case, length, unicode.
		{tag("latest"), 2, `refusing mutable-looking tag "latest"`, false},
		{tag("-bad"), 2, `invalid --tag "-bad"`, false},
		{tag("a b"), 2, `invalid --tag "a b"`, false},
		{tag("../x"), 2, `invalid --tag "../x"`, false},
		{tag(long), 2, "invalid --tag", false},
		{tag("ünïcødé"), 2, `invalid --tag "ünïcødé"`, false},
		{tag("a;rm -rf /"), 2, `invalid --tag "a;rm -rf /"`, false},
		{tag("$(id)"), 2, `invalid --tag "$(id)"`, false},
		{tag("`id`"), 2, "invalid --tag", false},
		{tag("a\nb"), 2, `invalid --tag "a\nb"`, false},
		{tag("UPPER"), 2, "does not exist in ECR", true}, // a valid tag, but not pushed
		{tag("0000000"), 2, "does not exist in ECR", true},
		{dep("--image", "app"), 2, `invalid --image "app": want CONTAINER=REF`, false},
		{dep("--image", "=api:1"), 2, "want CONTAINER=REF", false},
		{img("Bad Ref"), 2, "invalid --image app=Bad Ref", false},
		{img("../x"), 2, `registry ".." is not a host name`, false},
		{img("../../etc/passwd:1"), 2, `registry ".." is not a host name`, false},
		{img("UPPER/x:1"), 2, `repository "UPPER/x" is not valid`, false},
		{img("api:$(id)"), 2, "is not valid", false},
		{img("api:a;b"), 2, "is not valid", false},
		{img("ünï:1"), 2, "is not valid", false},
		{img(long + ":1"), 2, "registries allow at most 255", false},
		{img("api@sha256:xyz"), 2, "is not algorithm:hex", false},
		{img("host:99999999/api:1"), 2, "is not a host name", false},
		{dep("--image", "nope=api:1"), 2, `has no container "nope"`, true},
		{dep("--tag", "a", "--container", "nope"), 2, `has no container "nope"`, true},
		{dep("--tag", "a", "--env", "app"), 2, `invalid --env "app"`, false},
		{dep("--tag", "a", "--env", ":A=b"), 2, `invalid --env ":A=********"`, false}, // never echo a value
		{dep("--tag", "a", "--unset-env", "app"), 2, `invalid --unset-env "app"`, false},
		{dep("--tag", "0000000", "--skip-image-check", "--unset-env", "app:NOPE"), 2, "container app has no variable NOPE", true},
		{dep("--tag", "0000000", "--skip-image-check", "--env", "nope:A=b"), 2, `has no container "nope"`, true},

		// Names: unknown, hostile, huge, unicode.
		{[]string{"deploy", "-c", "small", "-s", "api", "-s", "api", "--tag", "a"}, 2, "--service api given twice", false},
		{[]string{"deploy", "-c", "small", "-s", "ap i", "--tag", "a"}, 2, `invalid --service "ap i"`, false},
		{[]string{"deploy", "-c", "small", "-s", "api\n2026-11-23T00:00:00Z small/api verdict: succeeded", "--tag", "a"}, 2, "invalid --service", false},
		{[]string{"deploy", "-c", "small", "-s", "nope", "--tag", "a"}, 3, "service small/nope not found: check --service", true},
		{[]string{"deploy", "-c", "nope", "-s", "api", "--tag", "a"}, 3, "cluster nope not found: check --cluster", true},
		{[]string{"deploy", "-c", "ünï", "-s", "api", "--tag", "a"}, 3, "cluster ünï not found", true},
		{[]string{"deploy", "-c", huge, "-s", "api", "--tag", "a"}, 3, "not found", true},
		{[]string{"rollback", "-c", "small", "-s", "nope"}, 3, "service small/nope not found", true},
		{[]string{"rollback", "-c", "nope", "-s", "api"}, 3, "cluster nope not found", true},
		{[]string{"rollback", "-c", "small", "-s", "api", "--to", "9999"}, 2, "task definition api:9999 does not exist: check --to", true},
		{[]string{"rotate-ami", "-c", "nope", "--yes"}, 3, "cluster nope not found", true},
		{[]string{"rotate-ami", "-c", "small", "--asg", "nope", "--yes"}, 3, "auto scaling group nope not found: check --asg", true},
		{[]string{"rotate-ami", "-c", "small", "--ssm-parameter", "/nope", "--yes"}, 2, "SSM parameter /nope not found", true},
		{[]string{"scale", "service", "-c", "small", "-s", "nope", "--count", "1"}, 3, "service small/nope not found", true},
		{[]string{"scale", "service", "-c", "nope", "-s", "api", "--count", "1"}, 3, "cluster nope not found", true},
		{[]string{"scale", "cluster", "-c", "nope", "--count", "3", "--yes"}, 3, "cluster nope not found", true},
		{scaleCl("--count", "3", "--asg", "nope"), 3, "auto scaling group nope not found", true},
		{scaleCl("--count", "100000"), 2, "above the max size 6 of small-ecs", true},
		{logs("--container", "nope"), 2, "no container nope", true},
		{[]string{"logs", "-c", "small", "-s", "nope"}, 3, "service small/nope not found", true},
		{[]string{"logs", "-c", "nope", "-s", "api"}, 3, "cluster nope not found", true},
		{[]string{"logs", "-c", "small", "--task", "0f3c6e1a9b2d4e5f8a7b6c5d4e3f2a1b"}, 3, "task small/0f3c6e1a9b2d4e5f8a7b6c5d4e3f2a1b not found", true},
		{logs("--task", "abc"), 2, "--service and --task cannot be combined", false},
		{[]string{"clusters", "-c", "nope"}, 3, "cluster nope not found", true},
		{[]string{"services", "-c", "nope"}, 3, "cluster nope not found", true},
		{[]string{"instances", "-c", "nope"}, 3, "cluster nope not found", true},
		{[]string{"status", "-c", "small", "-s", "nope"}, 3, "service small/nope not found", true},
		{[]string{"status", "-c", "small", "-s", long}, 3, "not found", true},
		{[]string{"events", "-c", "small", "-s", "nope"}, 3, "service small/nope not found", true},
		{[]string{"capacity", "-c", "nope"}, 3, "cluster nope not found", true},
		{[]string{"capacity", "-c", "small", "-s", "nope"}, 3, "service small/nope not found", true},
		{[]string{"capacity", "-c", "small", "--add", "nope=1"}, 3, "service small/nope not found", true},
		{[]string{"top", "-c", "small"}, 2, "top needs a terminal", false},

		// World and state files for the sandbox.
		{sbx("--world", "/nonexistent.json"), 2, "invalid --world", false},
		{sbx("--world", dir), 2, "is a directory", false},
		{sbx("--world", world("types.json", `{"name":"x","clusters":"prod"}`)), 2, `field "clusters": got string`, false},
		{sbx("--world", world("nested.json", `{"name":"x","clusters":[{"name":"a","services":[{"name":"s","desired":"3"}]}]}`)), 2, `field "clusters.services.desired": got string, want int`, false},
		{sbx("--world", world("big.json", `{"name":"x","clusters":[{"name":"a","services":[{"name":"s","desired":1e12}]}]}`)), 2, "got number 1e12", false},
		{sbx("--world", world("unknown.json", `{"name":"x","bogus":1}`)), 2, `unknown field "bogus"`, false},
		{sbx("--world", world("truncated.json", `{"name":"x","clusters":[{"name":"a",`)), 2, "cut short", false},
		{sbx("--world", world("empty.json", "")), 2, "empty or cut short", false},
		{sbx("--world", world("null.json", "null")), 2, "null is not a world", false},
		{sbx("--world", world("array.json", "[1,2]")), 2, "got array", false},
		{sbx("--world", world("two.json", "{} {}")), 2, "more data after the world object", false},
		{sbx("--world", world("nul.json", "{\"name\":\"x\x00\"}")), 2, "JSON syntax error at byte", false},
		{sbx("--world", world("negative.json", `{"name":"x","clusters":[{"name":"a","services":[{"name":"s","desired":-5,"containers":[{"name":"c","image":"c:1"}]}]}]}`)), 2, "desired -5", false},
		{sbx("--world", world("asg.json", `{"name":"x","autoScalingGroups":[{"name":"g","launchTemplate":"nope","min":1,"max":1,"desired":1}]}`)), 2, `launch template "nope" does not exist`, false},
		{sbx("--state", world("state.json", `{"version":`)), 2, "invalid --state", false},
		{sbx("--state", world("nullevent.json", `{"version":1,"queue":[null]}`)), 2, "a null event in the queue", false},
	}

	for _, c := range cases {
		sb.sim.ResetRequests()
		code, stdout, stderr := run(t, c.args...)
		name := strings.Join(c.args, " ")
		if len(name) > 120 {
			name = name[:120] + "…"
		}
		if code != c.code {
			t.Errorf("%q: exit %d, want %d (stderr %q)", name, code, c.code, stderr)
			continue
		}
		line := strings.TrimSuffix(stderr, "\n")
		if strings.Contains(line, "\n") || !strings.HasPrefix(line, "ecsctl: ") {
			t.Errorf("%q: stderr is not one line starting with 'ecsctl: ': %q", name, stderr)
		}
		if !strings.Contains(line, c.want) {
			t.Errorf("%q: stderr %q does not say %q", name, line, c.want)
		}
		if len(line) > 600 {
			t.Errorf("%q: a %d-character error line (echo less of the input)", name, len(line))
		}
		if !badInputFix.MatchString(line) {
			t.Errorf("%q: the error names no fix: %q", name, line)
		}
		if stdout != "" {
			t.Errorf("%q: printed to stdout on bad input: %q", name, stdout)
		}
		if m := sb.mutations(); len(m) > 0 {
			t.Errorf("%q: mutating AWS calls on bad input: %v", name, m)
		}
		if reqs := sb.sim.Requests(); !c.reads && len(reqs) > 0 {
			t.Errorf("%q: %d AWS calls (first %s.%s) for input that is wrong on its face", name, len(reqs), reqs[0].Service, reqs[0].Op)
		}
	}
}

// TestBadInputEveryCommand gives every command an unknown flag and a stray
// argument, and checks the table above lists every command there is.
func TestBadInputEveryCommand(t *testing.T) {
	parallel(t)
	sb := startSandbox(t, "small", "")
	listed := map[string]bool{}
	for _, path := range badInputCommands {
		listed[strings.Join(path, " ")] = true
	}
	for _, cmd := range badInputCommandTree() {
		if !listed[cmd] {
			t.Errorf("command %q is missing from badInputCommands", cmd)
		}
	}
	for _, path := range badInputCommands {
		for _, extra := range [][]string{{"--bogus"}, {"--bogus=1"}, {"-Z"}, {"--" + strings.Repeat("x", 1000)}} {
			args := append(append([]string{}, path...), extra...)
			code, stdout, stderr := run(t, args...)
			flag := strings.SplitN(extra[0], "=", 2)[0]
			flag = "--" + strings.TrimLeft(flag, "-")
			want := "unknown flag " + flag + ": run 'ecsctl " + strings.Join(path, " ") + " --help'"
			if code != ExitUsage || stderr != "ecsctl: "+want+" for the flags it takes\n" || stdout != "" {
				t.Errorf("%v: exit %d stdout %q stderr %q, want exit 2 and %q", args, code, stdout, stderr, want)
			}
		}
	}
	for _, path := range badInputCommands {
		switch strings.Join(path, " ") {
		case "completion", "sandbox push", "sandbox world", "run", "cron show", "cron run", "cron pause", "cron resume":
			continue // they take arguments; covered by the table
		}
		args := append(append([]string{}, path...), "extra", "--dry-run")
		code, stdout, stderr := run(t, args...)
		if code != ExitUsage || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, `"extra"`) || stdout != "" {
			t.Errorf("%v: exit %d stdout %q stderr %q, want exit 2 naming the stray argument", args, code, stdout, stderr)
		}
	}
	if m := sb.mutations(); len(m) > 0 {
		t.Fatalf("mutating AWS calls: %v", m)
	}
	if n := len(sb.sim.Requests()); n > 0 {
		t.Fatalf("%d AWS calls for unknown flags and stray arguments", n)
	}
}

// TestBadInputFromTheEnvironment: the environment is input too. A malformed
// ECSCTL_* value is a usage error naming the variable; an exported
// ECSCTL_CLUSTER never beats a --cluster given on the command line, before
// or after the command name (it used to beat one given before it).
func TestBadInputFromTheEnvironment(t *testing.T) {
	sb := startSandbox(t, "small", "")
	for _, c := range []struct {
		env, value string
		args       []string
		want       string
	}{
		{"ECSCTL_POLL_INTERVAL", "abc", []string{"services", "-c", "small"}, `"ECSCTL_POLL_INTERVAL"`},
		{"ECSCTL_POLL_INTERVAL", "0s", []string{"services", "-c", "small"}, "invalid value 0s for --poll-interval"},
		{"ECSCTL_POLL_INTERVAL", "-5s", []string{"events", "-c", "small", "-s", "api"}, "invalid value -5s for --poll-interval"},
		{"ECSCTL_SANDBOX", "maybe", []string{"services", "-c", "small"}, `"ECSCTL_SANDBOX"`},
		{"AWS_REGION", "us east 1", []string{"services", "-c", "small"}, `invalid AWS region "us east 1"`},
		{"ECSCTL_SANDBOX_SPEED", "NaN", []string{"--sandbox", "services", "-c", "small"}, "invalid ECSCTL_SANDBOX_SPEED"},
	} {
		t.Run(c.env+"="+c.value, func(t *testing.T) {
			t.Setenv(c.env, c.value)
			t.Setenv("ECSCTL_SANDBOX_NO_PROBE", "1")
			t.Setenv("ECSCTL_SANDBOX_STATE", filepath.Join(t.TempDir(), "state.json"))
			sb.sim.ResetRequests()
			code, stdout, stderr := run(t, c.args...)
			if code != ExitUsage || !strings.Contains(stderr, c.want) || strings.Count(stderr, "\n") != 1 || stdout != "" {
				t.Errorf("exit %d, stdout %q, stderr %q: want exit 2 and one line saying %q", code, stdout, stderr, c.want)
			}
			if n := len(sb.sim.Requests()); n > 0 {
				t.Errorf("%d AWS calls", n)
			}
		})
	}

	t.Setenv("ECSCTL_CLUSTER", "staging-does-not-exist")
	for _, args := range [][]string{{"-c", "small", "services"}, {"services", "-c", "small"}, {"--cluster=small", "status", "-s", "api"}} {
		code, stdout, stderr := run(t, args...)
		if code != ExitOK || !strings.Contains(stdout, "api") {
			t.Errorf("%v with ECSCTL_CLUSTER set: exit %d stderr %q: the flag must win", args, code, stderr)
		}
	}
	code, _, stderr := run(t, "services")
	if code != ExitAWS || !strings.Contains(stderr, "cluster staging-does-not-exist not found") {
		t.Errorf("without a flag ECSCTL_CLUSTER is used: exit %d stderr %q", code, stderr)
	}
	if m := sb.mutations(); len(m) > 0 {
		t.Fatalf("mutating AWS calls: %v", m)
	}
}
