package render

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/charmbracelet/lipgloss"

	"ecsctl/fmtx"
	"ecsctl/ops"
	"ecsctl/ops/deploy"
)

// DeployProgress shows deploy events: a live per-service view on a
// terminal, redrawn every second so the elapsed time and the estimate of
// the current phase move while ECS works; otherwise one plain timestamped
// line per event, plus a heartbeat line at most once a minute while
// nothing changes.
type DeployProgress struct {
	w     io.Writer
	live  bool
	color bool
	clock ops.Clock

	mu       sync.Mutex
	order    []string
	services map[string]*liveService
	drawn    int // lines drawn by the last frame
	last     time.Time
	tick     *ticker
	ticking  bool // start the ticker at the first event
	closed   bool
}

type liveService struct {
	key      string
	progress string
	running  int32
	desired  int32
	events   []string
	verdict  string
	started  time.Time
	// The phase ECS is in and its estimate, counted down from phaseAt.
	phase      string
	phaseLeft  time.Duration
	phaseKnown bool
	phaseAt    time.Time
	lastLine   time.Time // CI mode: when a line for this service was printed
}

// HeartbeatEvery is the longest a CI log stays silent while a wait goes on.
const HeartbeatEvery = time.Minute

// NewDeployProgress writes to ios.Err: live on a terminal, lines otherwise.
func NewDeployProgress(ios *IO) *DeployProgress {
	p := newDeployProgress(ios, ops.RealClock{})
	p.ticking = true // from the first event on
	return p
}

func newDeployProgress(ios *IO, clock ops.Clock) *DeployProgress {
	return &DeployProgress{w: ios.Err, live: ios.ErrTTY, color: ios.ColorErr(), clock: clock, services: map[string]*liveService{}}
}

func (p *DeployProgress) now() time.Time { return p.clock.Now() }

// Event takes one progress event (safe for concurrent use).
func (p *DeployProgress) Event(ev ops.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ticking && p.tick == nil && !p.closed {
		p.tick = startTicker(p.clock, time.Second, p.Tick)
	}
	key := ev.Cluster + "/" + ev.Service
	s := p.services[key]
	if s == nil {
		s = &liveService{key: key, started: ev.Time}
		p.services[key] = s
		p.order = append(p.order, key)
	}
	switch ev.Kind {
	case ops.EventProgress:
		s.progress, s.running, s.desired = ev.Message, ev.Running, ev.Desired
		s.phase, s.phaseLeft, s.phaseKnown, s.phaseAt = ev.Phase, ev.PhaseLeft, ev.PhaseLeftKnown, p.now()
	case ops.EventVerdict:
		s.verdict = ev.Message
	default:
		s.events = append(s.events, ev.Message)
		if len(s.events) > 3 {
			s.events = s.events[len(s.events)-3:]
		}
	}
	if !p.live {
		msg := ev.Message
		switch ev.Kind {
		case ops.EventService:
			msg = "event: " + msg
		case ops.EventWarning:
			msg = "warning: " + msg
		case ops.EventNote:
			msg = "note: " + msg
		case ops.EventTaskStopped:
			// "task <id> stopped: <reason>" says it already.
		case ops.EventVerdict:
			msg = "verdict: " + msg
		case ops.EventProgress:
			if ph := s.phaseText(p.now()); ph != "" {
				msg += " · " + ph
			}
		}
		Line(p.w, ev.Time, key, "%s", msg)
		s.lastLine = p.now()
		return
	}
	if ev.Kind == ops.EventVerdict || p.now().Sub(p.last) > 100*time.Millisecond {
		p.draw()
	}
}

// phaseText is the phase with its estimate counted down to now.
func (s *liveService) phaseText(now time.Time) string {
	if s.phase == "" || s.verdict != "" {
		return ""
	}
	if !s.phaseKnown {
		return s.phase
	}
	return s.phase + ", " + fmtx.Left(s.phaseLeft-now.Sub(s.phaseAt))
}

// Tick redraws the live view (the elapsed time moves) or, in CI mode,
// writes a heartbeat for each service still waiting whose last line is
// HeartbeatEvery old. The ticker calls it every second.
func (p *DeployProgress) Tick() {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	if p.live {
		if p.drawn > 0 {
			p.draw()
		}
		return
	}
	for _, key := range p.order {
		s := p.services[key]
		if s.verdict != "" || s.lastLine.IsZero() || now.Sub(s.lastLine) < HeartbeatEvery {
			continue
		}
		state := s.phaseText(now)
		if state == "" {
			state = s.progress
		}
		if state == "" {
			state = "waiting for ECS"
		}
		Line(p.w, now, key, "still waiting after %s: %s", fmtx.Elapsed(now.Sub(s.started)), state)
		s.lastLine = now
	}
}

// Close stops the ticker and draws the final frame (once; safe to repeat).
func (p *DeployProgress) Close() {
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
		p.draw()
	}
}

var (
	styleOK    = lipgloss.NewStyle().Foreground(lipgloss.Color("2")).Bold(true)
	styleBad   = lipgloss.NewStyle().Foreground(lipgloss.Color("1")).Bold(true)
	styleDim   = lipgloss.NewStyle().Faint(true)
	styleTitle = lipgloss.NewStyle().Bold(true)
)

func (p *DeployProgress) style(st lipgloss.Style, s string) string {
	if !p.color {
		return s
	}
	return st.Render(s)
}

func bar(running, desired int32, width int) string {
	if desired <= 0 {
		return strings.Repeat("░", width)
	}
	n := int(float64(width) * float64(min(running, desired)) / float64(desired))
	return strings.Repeat("█", n) + strings.Repeat("░", width-n)
}

func (p *DeployProgress) draw() {
	now := p.now()
	p.last = now
	var b strings.Builder
	if p.drawn > 0 {
		fmt.Fprintf(&b, "\x1b[%dA\x1b[J", p.drawn)
	}
	lines := 0
	for _, key := range p.order {
		s := p.services[key]
		status := s.progress
		if s.verdict != "" {
			if strings.HasPrefix(s.verdict, deploy.OutcomeSucceeded) || strings.HasPrefix(s.verdict, "already") {
				status = p.style(styleOK, "✔ "+s.verdict)
			} else {
				status = p.style(styleBad, "✘ "+s.verdict)
			}
		}
		fmt.Fprintf(&b, "%s  %s  %s  %s\n", p.style(styleTitle, key), bar(s.running, s.desired, 12), status, p.style(styleDim, fmtx.Elapsed(now.Sub(s.started))))
		lines++
		if ph := s.phaseText(now); ph != "" {
			fmt.Fprintf(&b, "    ⧗ %s\n", truncate(ph, 110))
			lines++
		}
		for _, e := range s.events {
			fmt.Fprintf(&b, "    %s\n", p.style(styleDim, truncate(e, 110)))
			lines++
		}
	}
	p.drawn = lines
	io.WriteString(p.w, b.String())
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// DeploySummary prints the verdicts as a table, then the details that
// explain failures (stopped tasks, log lines, notes, the dry-run diff).
func DeploySummary(w io.Writer, res *deploy.Result) error {
	rows := [][]string{}
	for _, s := range res.Services {
		rollback := ""
		if s.Rollback != nil {
			rollback = fmt.Sprintf("%s → %s: %s", s.Rollback.By, shortARN(s.Rollback.TaskDefinition), s.Rollback.Outcome)
		}
		to := shortARN(s.NewTaskDefinition)
		if s.Outcome == deploy.OutcomeDryRun {
			switch {
			case s.NewTaskDefinition == s.OldTaskDefinition:
				to = "no change"
			case s.NewTaskDefinition == "":
				to = "a new revision"
			}
		}
		rows = append(rows, []string{s.Key(), strings.ToUpper(s.Outcome), shortARN(s.OldTaskDefinition), to, s.DeploymentID, seconds(s.DurationSeconds), rollback})
	}
	if err := Table(w, []string{"SERVICE", "OUTCOME", "FROM", "TO", "DEPLOYMENT", "TIME", "ROLLBACK"}, rows); err != nil {
		return err
	}
	for _, s := range res.Services {
		deployDetails(w, s)
		deployFailure(w, s)
	}
	return nil
}

// deployDetails prints what a service's result explains besides a failure:
// the dry-run diff, a rollback's images, why nothing was deployed.
func deployDetails(w io.Writer, s *deploy.ServiceResult) {
	if s.Diff != "" {
		fmt.Fprintf(w, "\n%s: task definition changes (secrets masked)\n%s", s.Key(), s.Diff)
	}
	if s.Kind == "rollback" {
		fmt.Fprintf(w, "\n%s: rollback %s → %s\n", s.Key(), shortARN(s.OldTaskDefinition), shortARN(s.NewTaskDefinition))
		for _, n := range s.Notes {
			fmt.Fprintf(w, "  %s\n", n)
		}
		for _, im := range s.Images {
			fmt.Fprintf(w, "  %s: %s → %s\n", im.Container, im.From, im.To)
		}
	}
	if s.Outcome == deploy.OutcomeDryRun || (s.Outcome == deploy.OutcomeAlreadyDeployed && s.Reason != "") {
		if s.Reason != "" {
			fmt.Fprintf(w, "\n%s: %s\n", s.Key(), s.Reason)
		}
		if s.WouldDeregister != nil {
			would := strings.Join(s.WouldDeregister, ", ")
			if would == "" {
				would = "none"
			}
			fmt.Fprintf(w, "%s: after success --keep-revisions would deregister: %s\n", s.Key(), would)
		}
	}
}

// deployFailure prints why a service's deploy failed: the reason, ECS's
// failed-task count, the stopped tasks with their exit codes, last log lines.
func deployFailure(w io.Writer, s *deploy.ServiceResult) {
	if s.Outcome == deploy.OutcomeSucceeded || s.Outcome == deploy.OutcomeAlreadyDeployed || s.Outcome == deploy.OutcomeDryRun || s.Outcome == deploy.OutcomeNotWaited {
		return
	}
	fmt.Fprintf(w, "\n%s: %s\n", s.Key(), s.Reason)
	if s.FailedTasks > 0 {
		fmt.Fprintf(w, "  failed tasks (ECS count): %d\n", s.FailedTasks)
	}
	for _, t := range s.StoppedTasks {
		codes := []string{}
		for _, c := range slices.Sorted(maps.Keys(t.ExitCodes)) {
			codes = append(codes, fmt.Sprintf("%s=%d", c, t.ExitCodes[c]))
		}
		fmt.Fprintf(w, "  stopped task %s: %s %s [%s]\n", t.TaskID, t.StopCode, t.StoppedReason, strings.Join(codes, " "))
	}
	if len(s.LogLines) > 0 {
		fmt.Fprintf(w, "  last log lines:\n")
		for _, l := range s.LogLines {
			fmt.Fprintf(w, "    %s\n", l)
		}
	}
}

func shortARN(arn string) string {
	if i := strings.LastIndex(arn, "/"); i >= 0 {
		return arn[i+1:]
	}
	return arn
}

func seconds(s float64) string {
	if s <= 0 {
		return "-"
	}
	return (time.Duration(s * float64(time.Second))).Round(time.Second).String()
}
