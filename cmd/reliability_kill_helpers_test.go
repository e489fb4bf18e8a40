package cmd

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"

	"ecsctl/sim"
)

// The kill-and-resume tests run the real ecsctl binary as a subprocess
// against a sandbox served by the test process, so the sandbox (and its
// virtual clock) lives on while ecsctl is killed, exactly as AWS would.

var (
	killBinOnce sync.Once
	killBinDir  string
	killBinPath string
	killBinErr  error
)

// builtBinary builds ecsctl once per test run (without -race: the process
// under test only has to be the real program). Its directory is removed by
// builtBinaryCleanup.
func builtBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("this test builds and runs the ecsctl binary; skipped with -short")
	}
	killBinOnce.Do(func() {
		killBinDir, killBinErr = os.MkdirTemp("", "ecsctl-kill-")
		if killBinErr != nil {
			return
		}
		killBinPath = filepath.Join(killBinDir, "ecsctl")
		build := exec.Command("go", "build", "-o", killBinPath, ".")
		build.Dir = ".." // the module root; tests run in cmd/
		if out, err := build.CombinedOutput(); err != nil {
			killBinErr = errors.New("go build: " + err.Error() + "\n" + string(out))
		}
	})
	if killBinErr != nil {
		t.Fatal(killBinErr)
	}
	return killBinPath
}

func builtBinaryCleanup() {
	if killBinDir != "" {
		_ = os.RemoveAll(killBinDir)
	}
	killBinOnce, killBinDir, killBinPath, killBinErr = sync.Once{}, "", "", nil // -count=N builds again
}

// killSignal is what a trigger sends: SIGKILL (the process dies at once,
// mid-call) or SIGINT (Ctrl-C: the process must report and exit 130).
type killSignal = syscall.Signal

// killTrigger decides, for each answered AWS call, whether this is the
// moment to signal ecsctl. It sees the operation ("ecs.UpdateService"),
// the HTTP status and the response body, and is called under a lock, in
// the order the answers are produced.
type killTrigger func(op string, status int, body []byte) bool

// killAfter fires right after AWS has applied the n-th successful call of
// op ("svc.Op"): ecsctl never receives that answer.
func killAfter(op string, n int) killTrigger {
	seen := 0
	return func(o string, status int, _ []byte) bool {
		if o == op && status == http.StatusOK {
			seen++
		}
		return seen == n && o == op && status == http.StatusOK
	}
}

// killAfterThen fires at the m-th successful call of then made after the
// n-th successful call of first.
func killAfterThen(first string, n int, then string, m int) killTrigger {
	seenFirst, seenThen := 0, 0
	return func(o string, status int, _ []byte) bool {
		if status != http.StatusOK {
			return false
		}
		switch {
		case o == first && seenFirst < n:
			seenFirst++
		case o == then && seenFirst >= n:
			seenThen++
			return seenThen == m
		}
		return false
	}
}

// killWhen fires at the first successful answer to op whose body satisfies pred.
func killWhen(op string, pred func(body []byte) bool) killTrigger {
	return func(o string, status int, body []byte) bool {
		return o == op && status == http.StatusOK && pred(body)
	}
}

// killProc is one ecsctl subprocess.
type killProc struct {
	cmd    *exec.Cmd
	stdout bytes.Buffer
	mu     sync.Mutex
	stderr bytes.Buffer
	done   chan struct{}
	code   int
	// onLine sees every stderr line as it arrives (nil: none).
	onLine func(line string)
}

// killGate sits between ecsctl and the sandbox. Every answer passes
// through it; when the trigger fires, the process gets the signal and the
// answer is held until the process has ended: ecsctl stops with the call
// applied in AWS and its answer unseen.
type killGate struct {
	next http.Handler
	url  string
	// env is what ecsctl is given to reach the sandbox (sandbox.env): a
	// subprocess gets it explicitly, so the test needs no process
	// environment and can run in parallel.
	env map[string]string

	mu      sync.Mutex
	trigger killTrigger
	sig     killSignal
	proc    *killProc
	fired   string // the operation it fired on
	// observe, when set, sees every answered call (outside the lock).
	observe func(op string, status int)
}

// killServe serves the sandbox's account a second time, through a gate,
// for ecsctl subprocesses; the test's own SDK clients keep sb.url.
func killServe(t *testing.T, sb *sandbox) *killGate {
	t.Helper()
	g := &killGate{next: sim.NewServer(sb.sim, sim.DefaultRegistry), env: sb.env}
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)
	g.url = srv.URL
	return g
}

// arm sets the trigger and signal for the next process started.
func (g *killGate) arm(sig killSignal, tr killTrigger) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.trigger, g.sig, g.fired = tr, sig, ""
}

// firedOn is the operation the trigger fired on ("" if it never did).
func (g *killGate) firedOn() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.fired
}

func (g *killGate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op := killRequestOp(r)
	rec := httptest.NewRecorder()
	g.next.ServeHTTP(rec, r)
	g.mu.Lock()
	if observe := g.observe; observe != nil {
		g.mu.Unlock()
		observe(op, rec.Code)
		g.mu.Lock()
	}
	if g.trigger != nil && g.proc != nil && g.fired == "" && g.trigger(op, rec.Code, rec.Body.Bytes()) {
		g.fired = op
		p, sig := g.proc, g.sig
		g.mu.Unlock()
		_ = p.cmd.Process.Signal(sig)
		// Hold the answer until the process is gone: SIGKILL ends it at
		// once; on SIGINT ecsctl abandons the call in flight and reports,
		// so the interrupt lands in this call whatever the scheduling.
		hold := killLimit
		if sig != syscall.SIGKILL {
			hold = 5 * time.Second // a call ecsctl does not abandon (a rollback's update) gets its answer
		}
		select {
		case <-p.done:
		case <-time.After(hold):
		}
	} else {
		g.mu.Unlock()
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}

// killRequestOp names a request's operation as "svc.Op" in the sandbox's
// request-log spelling, reading (and restoring) a query-protocol body.
func killRequestOp(r *http.Request) string {
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		prefix, name, _ := strings.Cut(target, ".")
		switch {
		case strings.HasPrefix(prefix, "AmazonEC2ContainerService"):
			return sim.SvcECS + "." + name
		case strings.HasPrefix(prefix, "Logs"):
			return sim.SvcLogs + "." + name
		case strings.HasPrefix(prefix, "AmazonEC2ContainerRegistry"):
			return sim.SvcECR + "." + name
		case strings.HasPrefix(prefix, "AmazonSSM"):
			return sim.SvcSSM + "." + name
		}
		return prefix + "." + name
	}
	if _, op, ok := strings.Cut(r.URL.Path, "/operation/"); ok {
		return sim.SvcCloudWatch + "." + op
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return ""
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	form, _ := url.ParseQuery(string(body))
	svc := sim.SvcAutoScaling
	switch form.Get("Version") {
	case "2016-11-15":
		svc = sim.SvcEC2
	case "2015-12-01":
		svc = sim.SvcELBv2
	}
	return svc + "." + form.Get("Action")
}

// start runs ecsctl with args against the gate; the armed trigger (if
// any) applies to this process.
func (g *killGate) start(t *testing.T, args ...string) *killProc {
	t.Helper()
	p := &killProc{cmd: exec.Command(builtBinary(t), args...), done: make(chan struct{})}
	given := map[string]string{"NO_COLOR": "1", "ECSCTL_CLUSTER": "", "ECSCTL_POLL_INTERVAL": ""}
	for k, v := range g.env {
		given[k] = v
	}
	given["AWS_ENDPOINT_URL"] = g.url
	var env []string
	for k, v := range given {
		env = append(env, k+"="+v)
	}
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); !isGiven(given, k) {
			env = append(env, kv)
		}
	}
	p.cmd.Env = env
	p.cmd.Stdout = &p.stdout
	errPipe, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	g.mu.Lock()
	if err := p.cmd.Start(); err != nil {
		g.mu.Unlock()
		t.Fatal(err)
	}
	g.proc = p
	g.mu.Unlock()
	go func() {
		sc := bufio.NewScanner(errPipe)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.stderr.WriteString(line + "\n")
			onLine := p.onLine
			p.mu.Unlock()
			if onLine != nil {
				onLine(line)
			}
		}
		_ = p.cmd.Wait()
		p.code = p.cmd.ProcessState.ExitCode()
		if ws, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			p.code = -int(ws.Signal())
		}
		close(p.done)
	}()
	return p
}

// isGiven reports whether the gate sets k itself (its value wins over the
// process environment's).
func isGiven(given map[string]string, k string) bool {
	_, ok := given[k]
	return ok
}

// wait waits for the process to end (at most limit) and returns its exit
// code (minus the signal number when a signal ended it), stdout and stderr.
func (p *killProc) wait(t *testing.T, limit time.Duration) (int, string, string) {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(limit):
		_ = p.cmd.Process.Kill()
		<-p.done
		t.Fatalf("ecsctl %s did not end within %s\n%s", strings.Join(p.cmd.Args[1:], " "), limit, p.errText())
	}
	return p.code, p.stdout.String(), p.errText()
}

func (p *killProc) errText() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

// run runs ecsctl to its end with the gate's current trigger.
func (g *killGate) run(t *testing.T, limit time.Duration, args ...string) (int, string, string) {
	t.Helper()
	return g.start(t, args...).wait(t, limit)
}

// killWatchAZRebalance records every scale-out of group answered while its
// AZRebalance process was not suspended: Auto Scaling could then terminate
// undrained instances to even out the zones. It returns the records.
func (g *killGate) killWatchAZRebalance(t *testing.T, sb *sandbox, group string) func() []string {
	t.Helper()
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""), BaseEndpoint: aws.String(sb.url)}
	api := autoscaling.NewFromConfig(cfg)
	var mu sync.Mutex
	var bad []string
	g.mu.Lock()
	g.observe = func(op string, status int) {
		if op != "autoscaling.SetDesiredCapacity" || status != http.StatusOK {
			return
		}
		out, err := api.DescribeAutoScalingGroups(context.Background(), &autoscaling.DescribeAutoScalingGroupsInput{AutoScalingGroupNames: []string{group}})
		suspended := false
		if err == nil && len(out.AutoScalingGroups) == 1 {
			for _, p := range out.AutoScalingGroups[0].SuspendedProcesses {
				suspended = suspended || aws.ToString(p.ProcessName) == "AZRebalance"
			}
		}
		if !suspended {
			mu.Lock()
			bad = append(bad, fmt.Sprintf("scale-out of %s with AZRebalance running (describe: %v)", group, err))
			mu.Unlock()
		}
	}
	g.mu.Unlock()
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), bad...)
	}
}

// killCount counts the sandbox's successful calls of op ("ecs.RegisterTaskDefinition").
func killCount(sb *sandbox, op string) int {
	n := 0
	for _, r := range sb.sim.Requests() {
		if r.Service+"."+r.Op == op && r.Status == http.StatusOK {
			n++
		}
	}
	return n
}
