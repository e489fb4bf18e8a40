package render

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"ecsctl/fmtx"
	"ecsctl/ops"
	"ecsctl/ops/fleet"
)

// RotateProgress shows rotation and cluster-scaling events: on a terminal a
// live view of the batch and each instance's state, redrawn every second so
// the time spent in the current wait moves; otherwise one plain timestamped
// line per event, plus a heartbeat line at most once a minute while a wait
// goes on with nothing new.
type RotateProgress struct {
	w     io.Writer
	live  bool
	color bool
	clock ops.Clock

	mu        sync.Mutex
	cluster   string
	subject   string
	batch     string
	status    string
	statusAt  time.Time // when the current wait began
	started   time.Time
	instances map[string]string
	order     []string
	log       []string
	drawn     int
	last      time.Time
	lastLine  time.Time
	tick      *ticker
	ticking   bool // start the ticker at the first event
	closed    bool
	// The phase AWS is in during the current wait and its estimate,
	// counted down from phaseAt.
	phase      string
	phaseLeft  time.Duration
	phaseKnown bool
	phaseAt    time.Time
}

// NewRotateProgress writes to ios.Err.
func NewRotateProgress(ios *IO) *RotateProgress {
	p := newRotateProgress(ios, ops.RealClock{})
	p.ticking = true // from the first event on
	return p
}

func newRotateProgress(ios *IO, clock ops.Clock) *RotateProgress {
	return &RotateProgress{w: ios.Err, live: ios.ErrTTY, color: ios.ColorErr(), clock: clock, instances: map[string]string{}}
}

func (p *RotateProgress) now() time.Time { return p.clock.Now() }

// Event takes one progress event (safe for concurrent use).
func (p *RotateProgress) Event(ev fleet.RotateEvent) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ticking && p.tick == nil && !p.closed {
		p.tick = startTicker(p.clock, time.Second, p.Tick)
	}
	now := p.now()
	if p.started.IsZero() {
		p.started = now
	}
	subject := ev.Cluster
	if ev.Batch > 0 {
		subject += fmt.Sprintf(" batch %d/%d", ev.Batch, ev.Batches)
	}
	msg := ev.Message
	switch ev.Kind {
	case ops.EventWarning:
		msg = "warning: " + msg
	case ops.EventNote:
		msg = "note: " + msg
	}
	p.cluster, p.subject = ev.Cluster, subject
	if ev.Kind == ops.EventProgress {
		if msg != p.status {
			p.statusAt = now
		}
		p.status = msg
		p.phase, p.phaseLeft, p.phaseKnown, p.phaseAt = ev.Phase, ev.PhaseLeft, ev.PhaseLeftKnown, now
	} else if ev.Kind == ops.EventInfo {
		p.status, p.phase = "", "" // a step happened: the wait it reported is over
	}
	if !p.live {
		if ph := p.phaseText(now); ev.Kind == ops.EventProgress && ph != "" {
			msg += " · " + ph
		}
		Line(p.w, ev.Time, subject, "%s", msg)
		p.lastLine = now
		return
	}
	if ev.Batch > 0 {
		p.batch = fmt.Sprintf("batch %d/%d", ev.Batch, ev.Batches)
	}
	if ev.Instance != "" && ev.State != "" {
		if _, ok := p.instances[ev.Instance]; !ok {
			p.order = append(p.order, ev.Instance)
		}
		p.instances[ev.Instance] = ev.State
	}
	if ev.Kind != ops.EventProgress {
		p.log = append(p.log, ev.Time.Format("15:04:05")+" "+msg)
		if len(p.log) > 4 {
			p.log = p.log[len(p.log)-4:]
		}
	}
	if now.Sub(p.last) > 100*time.Millisecond {
		p.draw()
	}
}

// Tick redraws the live view, or in CI mode writes a heartbeat when a wait
// has gone on for HeartbeatEvery since the last line. Called every second.
func (p *RotateProgress) Tick() {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	if p.live {
		if p.drawn > 0 {
			p.draw()
		}
		return
	}
	if p.status == "" || p.lastLine.IsZero() || now.Sub(p.lastLine) < HeartbeatEvery {
		return
	}
	msg := fmt.Sprintf("still %s (for %s)", p.status, fmtx.Elapsed(now.Sub(p.statusAt)))
	if ph := p.phaseText(now); ph != "" {
		msg += " · " + ph
	}
	Line(p.w, now, p.subject, "%s", msg)
	p.lastLine = now
}

// phaseText is the phase with its estimate counted down to now.
func (p *RotateProgress) phaseText(now time.Time) string {
	if p.phase == "" || !p.phaseKnown {
		return p.phase
	}
	return p.phase + ", " + fmtx.Left(p.phaseLeft-now.Sub(p.phaseAt))
}

// Close stops the ticker and draws the last frame (once; safe to repeat).
func (p *RotateProgress) Close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	t := p.tick
	p.mu.Unlock()
	t.Stop() // outside the lock: a Tick in progress takes it
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.live && p.drawn > 0 {
		p.status = ""
		p.draw()
	}
}

func (p *RotateProgress) paint(st interface{ Render(...string) string }, s string) string {
	if !p.color {
		return s
	}
	return st.Render(s)
}

func (p *RotateProgress) draw() {
	now := p.now()
	p.last = now
	var b strings.Builder
	if p.drawn > 0 {
		fmt.Fprintf(&b, "\x1b[%dA\x1b[J", p.drawn)
	}
	lines := 0
	status := p.status
	if status != "" {
		status = "⧗ " + status + " · for " + fmtx.Elapsed(now.Sub(p.statusAt))
		if ph := p.phaseText(now); ph != "" {
			status += "\n    " + ph
			lines++
		}
	}
	fmt.Fprintf(&b, "%s  %s  %s  %s\n", p.paint(styleTitle, p.cluster), p.batch, p.paint(styleDim, fmtx.Elapsed(now.Sub(p.started))), status)
	lines++
	// Instances, grouped by state, the last 12 that changed.
	order := p.order
	if len(order) > 12 {
		order = order[len(order)-12:]
	}
	for _, id := range order {
		state := p.instances[id]
		mark := "…"
		switch state {
		case "terminated":
			mark = p.paint(styleOK, "✔")
		case "draining":
			mark = "⟳"
		}
		fmt.Fprintf(&b, "  %s %s %s\n", mark, id, p.paint(styleDim, state))
		lines++
	}
	for _, l := range p.log {
		fmt.Fprintf(&b, "    %s\n", p.paint(styleDim, truncate(l, 110)))
		lines++
	}
	p.drawn = lines
	io.WriteString(p.w, b.String())
}

// RotatePlan prints the plan: instances with AZ, AMI, tasks by service and
// batch; then the notes and the expected final state.
func RotatePlan(w io.Writer, plan *fleet.RotatePlan) error {
	verb := "plan"
	if plan.Resuming {
		verb = "resuming run " + plan.RunID
	}
	fmt.Fprintf(w, "rotate-ami %s: cluster %s, auto scaling group %s, launch template %s (%s)\n", verb, plan.Cluster, plan.ASG, plan.LaunchTemplate, plan.LaunchTemplateVersion)
	fmt.Fprintf(w, "target AMI %s (from %s); %d old instance(s) in %d batch(es) of %d, surge %d\n\n", plan.TargetAMI, plan.AMISource, len(plan.Instances), plan.Batches, plan.Batch, plan.Surge)
	rows := [][]string{}
	for _, in := range plan.Instances {
		rows = append(rows, []string{strconv.Itoa(in.Batch), in.InstanceID, in.AZ, in.AMI, in.Status, taskSummary(in.Tasks), in.State})
	}
	if err := Table(w, []string{"BATCH", "INSTANCE", "AZ", "AMI", "STATUS", "TASKS", "STATE"}, rows); err != nil {
		return err
	}
	for _, n := range plan.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	if e := plan.Estimate; e != nil {
		fmt.Fprintf(w, "estimated duration %s for %d batch(es); lower bound %s (batches of %d, as many as the max size and the room allow); assumes %s\n",
			seconds(e.Seconds), plan.Batches, seconds(e.BoundSeconds), e.BoundBatch, e.Assumed)
	}
	f := plan.Final
	fmt.Fprintf(w, "\nexpected final state: %s desired %d, min %d, max %d; %d instance(s), all on %s; AZRebalance as before; no scale-in protection or tags left by ecsctl\n",
		plan.ASG, f.Desired, f.Min, f.Max, f.Instances, f.AMI)
	return nil
}

func taskSummary(tasks map[string]int) string {
	keys := make([]string, 0, len(tasks))
	for k := range tasks {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		if tasks[k] == 1 {
			parts = append(parts, k)
		} else {
			parts = append(parts, fmt.Sprintf("%s×%d", k, tasks[k]))
		}
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, " ")
}

// RotateSummary prints what a run did.
func RotateSummary(w io.Writer, res *fleet.RotateResult) error {
	plan := res.Plan
	fmt.Fprintf(w, "rotate-ami %s: %s\n", plan.RunID, strings.ToUpper(res.Outcome))
	rows := [][]string{}
	for _, b := range res.Batches {
		rows = append(rows, []string{strconv.Itoa(b.Batch), strings.Join(b.Instances, " "), seconds(b.DurationSeconds)})
	}
	if len(rows) > 0 {
		if err := Table(w, []string{"BATCH", "REPLACED", "TIME"}, rows); err != nil {
			return err
		}
	}
	fmt.Fprintf(w, "replaced %d instance(s), launched %d, in %s\n", len(res.Replaced), len(res.Launched), seconds(res.DurationSeconds))
	if res.Final != nil {
		fmt.Fprintf(w, "%s now: desired %d, min %d, max %d (original %d/%d/%d)\n", plan.ASG, res.Final.Desired, res.Final.Min, res.Final.Max,
			plan.Original.Desired, plan.Original.Min, plan.Original.Max)
	}
	for _, n := range res.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	if res.Reason != "" {
		fmt.Fprintf(w, "%s\n", res.Reason)
	}
	return nil
}

// ClusterScalePlan prints the plan shown before the [y/N] question: the
// dry run's content, titled as the plan it is (not DRY-RUN, since answering
// y runs it).
func ClusterScalePlan(w io.Writer, res *fleet.ClusterScaleResult) error {
	plan := *res
	plan.Outcome = "plan"
	return ClusterScaleSummary(w, &plan)
}

// ClusterScaleSummary prints a cluster scale's plan or result.
func ClusterScaleSummary(w io.Writer, res *fleet.ClusterScaleResult) error {
	p := res.Plan
	fmt.Fprintf(w, "scale cluster %s (%s): %d → %d instances: %s\n", p.Cluster, p.ASG, p.From, p.To, strings.ToUpper(res.Outcome))
	if len(p.Remove) > 0 {
		removed := map[string]bool{}
		for _, id := range res.Removed {
			removed[id] = true
		}
		ran := res.Outcome != fleet.RotateDryRun && res.Outcome != "plan"
		rows := [][]string{}
		for _, v := range p.Remove {
			status := v.Status
			switch {
			case removed[v.InstanceID]:
				status = "terminated"
			case ran:
				status += " at plan" // not removed by this run
			}
			rows = append(rows, []string{v.InstanceID, v.AZ, status, strconv.Itoa(v.ServiceTasks), strconv.Itoa(v.Standalone)})
		}
		if err := Table(w, []string{"REMOVE", "AZ", "STATUS", "SERVICE TASKS", "STANDALONE"}, rows); err != nil {
			return err
		}
	}
	if p.RaiseMax {
		fmt.Fprintf(w, "max size raised from %d to %d\n", p.Original.Max, p.To)
	}
	if len(res.Launched) > 0 {
		fmt.Fprintf(w, "launched: %s\n", strings.Join(res.Launched, " "))
	}
	if res.Final != nil {
		fmt.Fprintf(w, "%s now: desired %d, min %d, max %d\n", p.ASG, res.Final.Desired, res.Final.Min, res.Final.Max)
	}
	for _, n := range p.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	if res.Reason != "" {
		fmt.Fprintf(w, "%s\n", res.Reason)
	}
	return nil
}
