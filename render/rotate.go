package render

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"ecsctl/fmtx"
	"ecsctl/ops"
	"ecsctl/ops/fleet"
)

// NewRotateProgress shows rotation, drain and cluster-scaling events on
// ios.Err: on a terminal a live view of the batch, each instance's state
// and the last events, redrawn every second so the time spent in the
// current wait moves; otherwise one plain timestamped line per event, and
// a heartbeat while a wait goes on with nothing new.
func NewRotateProgress(ios *IO) *Live { return newLiveTicking(ios, newRotateBoard()) }

func newRotateProgress(ios *IO, clock ops.Clock) *Live { return newLive(ios, clock, newRotateBoard()) }

// rotateBoard is the state of one rotation: its current wait, batch and
// instances. Its events are one stream.
type rotateBoard struct {
	cluster   string
	subject   string
	batch     string
	status    string    // the wait going on ("": none)
	statusAt  time.Time // when the current wait began
	started   time.Time
	instances map[string]string
	order     []string
	log       []string
	phase     phase
}

func newRotateBoard() *rotateBoard { return &rotateBoard{instances: map[string]string{}} }

func (p *rotateBoard) event(ev ops.Event, now time.Time) (stream, subject, msg string) {
	if p.started.IsZero() {
		p.started = now
	}
	subject = ev.Cluster
	if ev.Batch > 0 {
		subject += fmt.Sprintf(" batch %d/%d", ev.Batch, ev.Batches)
	}
	msg = ciMessage(ev)
	p.cluster, p.subject = ev.Cluster, subject
	if ev.Kind == ops.EventProgress {
		if msg != p.status {
			p.statusAt = now
		}
		p.status = msg
		p.phase = phaseOf(ev, now)
	} else if ev.Kind == ops.EventInfo {
		p.status, p.phase = "", phase{} // a step happened: the wait it reported is over
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
		return "", subject, msg
	}
	return "", subject, withPhase(msg, p.phase.at(now))
}

func (p *rotateBoard) heartbeat(_ string, now time.Time) (subject, msg string, ok bool) {
	if p.status == "" {
		return "", "", false
	}
	msg = fmt.Sprintf("still %s (for %s)", p.status, fmtx.Elapsed(now.Sub(p.statusAt)))
	return p.subject, withPhase(msg, p.phase.at(now)), true
}

func (p *rotateBoard) frame(now time.Time, last bool, paint painter) []string {
	if last {
		p.status = "" // the run is over: no wait is going on
	}
	var lines []string
	status, ph := p.status, ""
	if status != "" {
		status = "⧗ " + status + " · for " + fmtx.Elapsed(now.Sub(p.statusAt))
		ph = p.phase.at(now)
	}
	lines = append(lines, fmt.Sprintf("%s  %s  %s  %s", paint(styleTitle, p.cluster), p.batch, paint(styleDim, fmtx.Elapsed(now.Sub(p.started))), status))
	if ph != "" {
		lines = append(lines, "    "+ph)
	}
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
			mark = paint(styleOK, "✔")
		case "draining":
			mark = "⟳"
		}
		lines = append(lines, fmt.Sprintf("  %s %s %s", mark, id, paint(styleDim, state)))
	}
	for _, l := range p.log {
		lines = append(lines, "    "+paint(styleDim, truncate(l, 110)))
	}
	return lines
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
