package cmd

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"ecsctl/sim"
)

// README's IAM policies are checked against what the commands call: every
// e2e test runs ecsctl through run() against a sandbox served by
// serveSandbox; the AWS calls the sandbox answered during each run are
// recorded as IAM actions of that command, and TestMain fails the package
// when README's policies for a command lack one of its actions.

var iam struct {
	mu    sync.Mutex
	calls map[string]map[string]bool // command → IAM actions called
	// active counts the runs in progress per sandbox; a run that overlapped
	// another on the same sandbox (a logs follow while a test deploys)
	// cannot tell whose calls are whose and records nothing
	// (TestIAMPoliciesCoverWhatCommandsCall runs each command alone). Runs
	// on different sandboxes (parallel tests) never mix.
	active  map[*sim.Sim]int
	overlap map[int]bool // run id → overlapped another run
	runSim  map[int]*sim.Sim
	nextID  int
}

// iamCommands are the commands that call AWS ("scale" has two).
var iamCommands = map[string]bool{"clusters": true, "services": true, "instances": true, "status": true, "events": true,
	"capacity": true, "logs": true, "top": true, "deploy": true, "rollback": true, "rotate-ami": true, "scale": true, "run": true,
	"cron": true}

// iamCommand is the command args run ("scale service", "deploy", ...), or
// "" for one that calls no AWS API of its own.
func iamCommand(args []string) string {
	for i, a := range args {
		if !iamCommands[a] {
			continue // a global flag or its value
		}
		if a == "scale" {
			for _, sub := range args[i+1:] {
				if sub == "service" || sub == "cluster" {
					return "scale " + sub
				}
			}
		}
		return a
	}
	return ""
}

// iamRecord notes when a command starts; the returned func records the
// calls ecsctl made to t's sandbox since (by their User-Agent's app id:
// calls the test itself makes meanwhile are not the command's).
func iamRecord(t testing.TB, args []string) func() {
	sb := sandboxFor(t)
	cmd := iamCommand(args)
	if sb == nil || cmd == "" {
		return func() {}
	}
	s := sb.sim
	start := time.Now()
	iam.mu.Lock()
	iam.nextID++
	id := iam.nextID
	if iam.overlap == nil {
		iam.overlap, iam.runSim, iam.active = map[int]bool{}, map[int]*sim.Sim{}, map[*sim.Sim]int{}
	}
	iam.overlap[id] = iam.active[s] > 0
	if iam.active[s] > 0 {
		for other, os := range iam.runSim {
			if os == s {
				iam.overlap[other] = true // the runs in progress overlap this one
			}
		}
	}
	iam.runSim[id] = s
	iam.active[s]++
	iam.mu.Unlock()
	return func() {
		recs := s.RequestsSince(start)
		iam.mu.Lock()
		defer iam.mu.Unlock()
		iam.active[s]--
		if iam.active[s] == 0 {
			delete(iam.active, s)
		}
		overlapped := iam.overlap[id]
		delete(iam.overlap, id)
		delete(iam.runSim, id)
		if overlapped {
			return
		}
		if iam.calls == nil {
			iam.calls = map[string]map[string]bool{}
		}
		for _, r := range recs {
			if r.App != "ecsctl" {
				continue
			}
			if iam.calls[cmd] == nil {
				iam.calls[cmd] = map[string]bool{}
			}
			iam.calls[cmd][sim.IAMAction(r.Service, r.Op)] = true
		}
	}
}

// readmePolicies reads README's "## IAM" section: for each command, the
// actions of the policies whose "Commands:" line names it.
func readmePolicies() (map[string]map[string]bool, error) {
	b, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		return nil, err
	}
	text := string(b)
	i := strings.Index(text, "\n## IAM\n")
	if i < 0 {
		return nil, fmt.Errorf("README has no ## IAM section")
	}
	text = text[i+len("\n## IAM\n"):]
	if j := strings.Index(text, "\n## "); j >= 0 {
		text = text[:j]
	}
	out := map[string]map[string]bool{}
	cmdRE := regexp.MustCompile("`([a-z -]+)`")
	for _, part := range strings.Split(text, "\n### ")[1:] {
		k := strings.Index(part, "\nCommands: ")
		if k < 0 {
			return nil, fmt.Errorf("policy %q has no Commands: line", strings.SplitN(part, "\n", 2)[0])
		}
		// The Commands: paragraph runs to the next blank line.
		para := part[k+len("\nCommands: "):]
		para = para[:strings.Index(para+"\n\n", "\n\n")]
		var cmds []string
		for _, m := range cmdRE.FindAllStringSubmatch(para, -1) {
			cmds = append(cmds, m[1])
		}
		js := part[strings.Index(part, "```json\n")+len("```json\n"):]
		js = js[:strings.Index(js, "```")]
		var doc struct {
			Statement []struct {
				Effect string
				Action json.RawMessage
			}
		}
		if err := json.Unmarshal([]byte(js), &doc); err != nil {
			return nil, fmt.Errorf("policy %q: %v", strings.SplitN(part, "\n", 2)[0], err)
		}
		for _, st := range doc.Statement {
			var actions []string
			if json.Unmarshal(st.Action, &actions) != nil {
				var one string
				if err := json.Unmarshal(st.Action, &one); err != nil {
					return nil, err
				}
				actions = []string{one}
			}
			for _, c := range cmds {
				if out[c] == nil {
					out[c] = map[string]bool{}
				}
				for _, a := range actions {
					out[c][a] = true
				}
			}
		}
	}
	return out, nil
}

// iamMissing lists the actions commands called that README's policies for
// them lack.
func iamMissing() ([]string, error) {
	pol, err := readmePolicies()
	if err != nil {
		return nil, err
	}
	iam.mu.Lock()
	defer iam.mu.Unlock()
	var missing []string
	for cmd, actions := range iam.calls {
		for a := range actions {
			if !pol[cmd][a] {
				missing = append(missing, fmt.Sprintf("%s calls %s", cmd, a))
			}
		}
	}
	sort.Strings(missing)
	return missing, nil
}

func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		missing, err := iamMissing()
		switch {
		case err != nil:
			fmt.Fprintf(os.Stderr, "IAM policies in README: %v\n", err)
			code = 1
		case len(missing) > 0:
			fmt.Fprintf(os.Stderr, "README's IAM policies lack actions the end-to-end tests called:\n  %s\n", strings.Join(missing, "\n  "))
			code = 1
		}
	}
	os.Exit(code)
}

// Each command once against a sandbox: the actions it calls must be in
// README's policies for it (the whole suite adds every other test's calls
// through TestMain).
func TestIAMPoliciesCoverWhatCommandsCall(t *testing.T) {
	parallel(t)
	startSandbox(t, "small", "")
	for _, args := range [][]string{
		{"clusters"}, {"services", "-c", "small"}, {"instances", "-c", "small"}, {"status", "-c", "small", "-s", "api"},
		{"events", "-c", "small", "-s", "api"}, {"capacity", "-c", "small"},
		{"logs", "-c", "small", "-s", "api", "--since", "2m"},
		{"deploy", "-c", "small", "-s", "api", "--tag", sim.DemoNextTag, "--poll-interval", "20ms"},
		{"rollback", "-c", "small", "-s", "api", "--poll-interval", "20ms"},
		{"scale", "service", "-c", "small", "-s", "worker", "--count", "3", "--poll-interval", "20ms"},
	} {
		if code, _, stderr := run(t, args...); code != ExitOK {
			t.Fatalf("%v: exit %d\n%s", args, code, stderr)
		}
	}
	iam.mu.Lock()
	seen := len(iam.calls["deploy"]) > 0 && len(iam.calls["clusters"]) > 0
	iam.mu.Unlock()
	if !seen {
		t.Fatal("no calls recorded")
	}
	missing, err := iamMissing()
	if err != nil {
		t.Fatal(err)
	}
	if len(missing) > 0 {
		t.Errorf("README's IAM policies lack:\n  %s", strings.Join(missing, "\n  "))
	}
}
