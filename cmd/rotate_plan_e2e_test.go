package cmd

import (
	"context"
	"encoding/json"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"

	"ecsctl/ops/fleet"
	"ecsctl/render"
)

func (sb *sandbox) asgClient() *autoscaling.Client {
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""), BaseEndpoint: aws.String(sb.url)}
	return autoscaling.NewFromConfig(cfg)
}

// planBatches maps each batch of a plan to its instances, in plan order.
func planBatches(p *fleet.RotatePlan) map[int][]string {
	out := map[int][]string{}
	for _, in := range p.Instances {
		out[in.Batch] = append(out[in.Batch], in.InstanceID)
	}
	return out
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	in := map[string]bool{}
	for _, x := range a {
		in[x] = true
	}
	for _, x := range b {
		if !in[x] {
			return false
		}
	}
	return true
}

// fleetChanger is a stderr that, the first time marker is written, changes
// the fleet behind ecsctl's back with change.
type fleetChanger struct {
	mu     sync.Mutex
	buf    strings.Builder
	marker string
	change func()
	fired  bool
}

func (w *fleetChanger) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if !w.fired && strings.Contains(w.buf.String(), w.marker) {
		w.fired = true
		w.change()
	}
	return len(p), nil
}

// Someone terminates an instance of the plan's second batch while the
// first drains: the run stops before draining it, says what changed, and
// leaves the run recorded to resume (exit 1, outcome paused).
func TestE2ERotateStopsWhenTheFleetChanges(t *testing.T) {
	parallel(t)
	sb := startSandbox(t, "demo", "")
	sb.sim.ResetReport()
	code, stdout, _ := run(t, rotateArgs("prod", "--dry-run")...)
	if code != ExitOK {
		t.Fatalf("dry run: exit %d", code)
	}
	second := planBatches(decodeRotate(t, stdout).Plan)[2]
	if len(second) == 0 {
		t.Fatal("no second batch in the plan")
	}
	victim := second[0]
	ios, _, out, _ := render.Test()
	w := &fleetChanger{marker: "batch 1/2: draining", change: func() {
		_, err := sb.asgClient().TerminateInstanceInAutoScalingGroup(context.Background(), &autoscaling.TerminateInstanceInAutoScalingGroupInput{
			InstanceId: aws.String(victim), ShouldDecrementDesiredCapacity: aws.Bool(false)})
		if err != nil {
			t.Errorf("terminate %s: %v", victim, err)
		}
	}}
	ios.Err = w
	code = Run(e2eContext(t, context.Background(), ios), append([]string{"ecsctl"}, rotateArgs("prod", "--yes", "--standalone-tasks", "stop")...), ios)
	stderr := w.buf.String()
	if !w.fired {
		t.Fatalf("marker never seen:\n%s", stderr)
	}
	if code != ExitFailed || !strings.Contains(stderr, "the fleet changed since the plan was made") || !strings.Contains(stderr, victim) {
		t.Fatalf("exit %d, want 1 with the change named\n%s\n%s", code, out.String(), stderr)
	}
	res := decodeRotate(t, out.String())
	if res.Outcome != fleet.RotatePaused {
		t.Errorf("outcome %s, want paused", res.Outcome)
	}
	for _, b := range res.Batches {
		if b.Batch != 1 {
			t.Errorf("batch %d ran after the fleet changed: %v", b.Batch, b.Instances)
		}
	}
	// Nothing of the second batch was drained (the first batch's terminated
	// instances are DRAINING until they deregister); the run is recorded.
	// Unless the second batch had started draining alongside the first
	// (its tasks fit elsewhere): then the stop says so, and they stay
	// DRAINING for the re-run to finish.
	amis := sb.rotateAMIs("prod")
	early := strings.Contains(stderr, "batch 2/2: draining") && strings.Contains(stderr, "alongside batch 1")
	// The run's own plan (the dry run's may differ a little: the sandbox
	// moved on in between) less the instance the test terminated.
	left := 0
	for _, id := range planBatches(res.Plan)[2] {
		if id != victim {
			left++
		}
	}
	switch n := amis["ACTIVE ami-0a1b2c3d4e5f60001"]; {
	case early && !strings.Contains(stderr, "batch 2 was already draining alongside batch 1 and its instances stay DRAINING"):
		t.Errorf("the second batch drained early, but the stop does not say so:\n%s", stderr)
	case !early && n > left:
		// Nothing of the second batch drained (the exact count is not
		// asserted: the group may replace the terminated instance meanwhile).
		t.Errorf("%d old instance(s) ACTIVE, at most the second batch's %d: %v\n%s", n, left, amis, stderr)
	case !early && strings.Contains(stderr, "already draining"):
		t.Errorf("the stop says batch 2 was draining, but it was not:\n%s", stderr)
	}
	if _, ok := groupTagValue(sb.rotateASG("prod-ecs"), "ecsctl:rotation"); !ok {
		t.Error("run record gone: the run cannot resume")
	}
	// The instance the test terminated had tasks (and its services dipped);
	// ecsctl itself terminated none with tasks.
	for _, tw := range sb.sim.Report().TerminatedWithTasks {
		if tw.InstanceID != victim {
			t.Errorf("%s terminated with tasks %v", tw.InstanceID, tw.ServiceTasks)
		}
	}
}

// answers is a terminal's input: each read of a line may first run a hook.
type answers struct {
	lines []string
	hooks []func()
	n     int
	cur   string
}

func (a *answers) Read(p []byte) (int, error) {
	if a.cur == "" {
		if a.n >= len(a.lines) {
			return 0, io.EOF
		}
		if a.n < len(a.hooks) && a.hooks[a.n] != nil {
			a.hooks[a.n]()
		}
		a.cur = a.lines[a.n]
		a.n++
	}
	k := copy(p, a.cur)
	a.cur = a.cur[k:]
	return k, nil
}

// On a terminal, a fleet that changes between the confirmation and the
// start gets a new plan and the question again; nothing is done on what
// was confirmed for the old fleet.
func TestE2ERotateReplansOnATerminalWhenTheFleetChanged(t *testing.T) {
	parallel(t)
	sb := startSandbox(t, "demo", "")
	ios, _, out, errOut := render.Test()
	ios.InTTY, ios.ErrTTY = true, true
	ios.In = &answers{lines: []string{"y\n", "n\n"}, hooks: []func(){func() {
		// While the user reads the plan, someone raises the max size.
		if _, err := sb.asgClient().UpdateAutoScalingGroup(context.Background(), &autoscaling.UpdateAutoScalingGroupInput{
			AutoScalingGroupName: aws.String("prod-ecs"), MaxSize: aws.Int32(64)}); err != nil {
			t.Errorf("update max: %v", err)
		}
		sb.sim.ResetRequests()
	}}}
	code := Run(e2eContext(t, context.Background(), ios), []string{"ecsctl", "rotate-ami", "-c", "prod", "--poll-interval", "20ms"}, ios)
	stderr := errOut.String()
	if code != ExitUsage || !strings.Contains(stderr, "not confirmed: nothing was changed") {
		t.Fatalf("exit %d\n%s\n%s", code, out.String(), stderr)
	}
	if !strings.Contains(stderr, "the fleet changed since the plan was made: prod-ecs desired/min/max is 50/45/64, the run expected 50/45/60") ||
		!strings.Contains(stderr, "planning again") || strings.Count(stderr, "Replace these instances?") != 2 {
		t.Errorf("no re-plan shown:\n%s", stderr)
	}
	// The second plan is for the fleet as it is: the surge uses the new room.
	if !strings.Contains(stderr, "in 2 batch(es) of 14, surge 14") {
		t.Errorf("second plan not made from the new max size:\n%s", stderr)
	}
	if m := sb.mutations(); len(m) != 0 {
		t.Errorf("mutating calls after the fleet changed: %v", m)
	}
}

// scale cluster plans once: the interactive run lists the cluster's
// services (a snapshot of the cluster) as many times as a dry run, and
// removes the instances it showed.
func TestE2EScaleClusterPlansOnce(t *testing.T) {
	parallel(t)
	sb := startSandbox(t, "demo", "")
	sb.sim.ResetReport()
	sb.sim.ResetRequests()
	code, stdout, stderr := run(t, scaleClusterArgs("prod", "--count", "48", "--dry-run")...)
	if code != ExitOK {
		t.Fatalf("dry run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	planReads := sb.sim.RequestCounts()["ecs.ListServices"]
	if planReads == 0 {
		t.Fatal("the dry run listed no services")
	}
	sb.sim.ResetRequests()
	ios, _, out, errOut := render.Test()
	ios.InTTY, ios.ErrTTY = true, true
	ios.In = strings.NewReader("y\n")
	code = Run(e2eContext(t, context.Background(), ios), append([]string{"ecsctl"}, scaleClusterArgs("prod", "--count", "48", "--standalone-tasks", "stop")...), ios)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out.String(), errOut.String())
	}
	if n := sb.sim.RequestCounts()["ecs.ListServices"]; n != planReads {
		t.Errorf("the confirmed run listed the services %d times, a plan does it %d times: it planned again", n, planReads)
	}
	var shown []string
	for _, l := range strings.Split(errOut.String(), "\n") {
		if f := strings.Fields(l); len(f) > 0 && strings.HasPrefix(f[0], "i-") {
			shown = append(shown, f[0])
		}
	}
	var res struct {
		Removed []string `json:"instancesRemoved"`
	}
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	if len(shown) != 2 || !sameSet(shown, res.Removed) {
		t.Errorf("showed %v, removed %v", shown, res.Removed)
	}
	sb.checkScaled(t, 48)
}
