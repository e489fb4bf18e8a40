package render

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"ecsctl/ops"
)

// RotateProgress shows rotation and cluster-scaling events: on a terminal a
// live view of the batch and each instance's state, otherwise one plain
// timestamped line per event.
type RotateProgress struct {
	w     io.Writer
	live  bool
	color bool
	now   func() time.Time

	mu        sync.Mutex
	cluster   string
	batch     string
	status    string
	instances map[string]string
	order     []string
	log       []string
	drawn     int
	last      time.Time
}

// NewRotateProgress writes to ios.Err.
func NewRotateProgress(ios *IO) *RotateProgress {
	return &RotateProgress{w: ios.Err, live: ios.ErrTTY, color: ios.ColorErr(), now: time.Now, instances: map[string]string{}}
}

// Event takes one progress event (safe for concurrent use).
func (p *RotateProgress) Event(ev ops.RotateEvent) {
	p.mu.Lock()
	defer p.mu.Unlock()
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
	if !p.live {
		Line(p.w, ev.Time, subject, "%s", msg)
		return
	}
	p.cluster = ev.Cluster
	if ev.Batch > 0 {
		p.batch = fmt.Sprintf("batch %d/%d", ev.Batch, ev.Batches)
	}
	if ev.Instance != "" && ev.State != "" {
		if _, ok := p.instances[ev.Instance]; !ok {
			p.order = append(p.order, ev.Instance)
		}
		p.instances[ev.Instance] = ev.State
	}
	if ev.Kind == ops.EventProgress {
		p.status = msg
	} else {
		p.log = append(p.log, ev.Time.Format("15:04:05")+" "+msg)
		if len(p.log) > 4 {
			p.log = p.log[len(p.log)-4:]
		}
	}
	if p.now().Sub(p.last) > 100*time.Millisecond {
		p.draw()
	}
}

// Close draws the last frame.
func (p *RotateProgress) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.live {
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
	p.last = p.now()
	var b strings.Builder
	if p.drawn > 0 {
		fmt.Fprintf(&b, "\x1b[%dA\x1b[J", p.drawn)
	}
	lines := 0
	fmt.Fprintf(&b, "%s  %s  %s\n", p.paint(styleTitle, p.cluster), p.batch, p.status)
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
func RotatePlan(w io.Writer, plan *ops.RotatePlan) error {
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
func RotateSummary(w io.Writer, res *ops.RotateResult) error {
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

// ClusterScaleSummary prints a cluster scale's plan or result.
func ClusterScaleSummary(w io.Writer, res *ops.ClusterScaleResult) error {
	p := res.Plan
	fmt.Fprintf(w, "scale cluster %s (%s): %d → %d instances: %s\n", p.Cluster, p.ASG, p.From, p.To, strings.ToUpper(res.Outcome))
	if len(p.Remove) > 0 {
		rows := [][]string{}
		for _, v := range p.Remove {
			rows = append(rows, []string{v.InstanceID, v.AZ, v.Status, strconv.Itoa(v.ServiceTasks), strconv.Itoa(v.Standalone)})
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
