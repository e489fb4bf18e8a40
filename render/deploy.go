package render

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/charmbracelet/lipgloss"

	"ecsctl/ops"
)

// DeployProgress shows deploy events: a live per-service view on a
// terminal, one plain timestamped line per event otherwise.
type DeployProgress struct {
	w     io.Writer
	live  bool
	color bool
	now   func() time.Time

	mu       sync.Mutex
	order    []string
	services map[string]*liveService
	drawn    int // lines drawn by the last frame
	last     time.Time
}

type liveService struct {
	key      string
	progress string
	running  int32
	desired  int32
	events   []string
	verdict  string
	outcome  string
	started  time.Time
}

// NewDeployProgress writes to ios.Err: live on a terminal, lines otherwise.
func NewDeployProgress(ios *IO) *DeployProgress {
	return &DeployProgress{w: ios.Err, live: ios.ErrTTY, color: ios.ColorErr(), now: time.Now, services: map[string]*liveService{}}
}

// Event takes one progress event (safe for concurrent use).
func (p *DeployProgress) Event(ev ops.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	key := ev.Cluster + "/" + ev.Service
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
			msg = "stopped: " + strings.TrimPrefix(msg, "task ")
		case ops.EventVerdict:
			msg = "verdict: " + msg
		}
		Line(p.w, ev.Time, key, "%s", msg)
		return
	}
	s := p.services[key]
	if s == nil {
		s = &liveService{key: key, started: ev.Time}
		p.services[key] = s
		p.order = append(p.order, key)
	}
	switch ev.Kind {
	case ops.EventProgress:
		s.progress, s.running, s.desired = ev.Message, ev.Running, ev.Desired
	case ops.EventVerdict:
		s.verdict = ev.Message
	default:
		s.events = append(s.events, ev.Message)
		if len(s.events) > 3 {
			s.events = s.events[len(s.events)-3:]
		}
	}
	if ev.Kind == ops.EventVerdict || p.now().Sub(p.last) > 100*time.Millisecond {
		p.draw()
	}
}

// Close draws the final frame.
func (p *DeployProgress) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.live {
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
	p.last = p.now()
	var b strings.Builder
	if p.drawn > 0 {
		fmt.Fprintf(&b, "\x1b[%dA\x1b[J", p.drawn)
	}
	lines := 0
	for _, key := range p.order {
		s := p.services[key]
		status := s.progress
		if s.verdict != "" {
			if strings.HasPrefix(s.verdict, ops.OutcomeSucceeded) || strings.HasPrefix(s.verdict, "already") {
				status = p.style(styleOK, "✔ "+s.verdict)
			} else {
				status = p.style(styleBad, "✘ "+s.verdict)
			}
		}
		fmt.Fprintf(&b, "%s  %s  %s  %s\n", p.style(styleTitle, key), bar(s.running, s.desired, 12), status, p.style(styleDim, p.now().Sub(s.started).Round(time.Second).String()))
		lines++
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
func DeploySummary(w io.Writer, res *ops.DeployResult) error {
	rows := [][]string{}
	for _, s := range res.Services {
		rollback := ""
		if s.Rollback != nil {
			rollback = fmt.Sprintf("%s → %s: %s", s.Rollback.By, shortARN(s.Rollback.TaskDefinition), s.Rollback.Outcome)
		}
		rows = append(rows, []string{s.Key(), strings.ToUpper(s.Outcome), shortARN(s.OldTaskDefinition), shortARN(s.NewTaskDefinition), s.DeploymentID, seconds(s.DurationSeconds), rollback})
	}
	if err := Table(w, []string{"SERVICE", "OUTCOME", "FROM", "TO", "DEPLOYMENT", "TIME", "ROLLBACK"}, rows); err != nil {
		return err
	}
	for _, s := range res.Services {
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
		if s.Outcome == ops.OutcomeDryRun || (s.Outcome == ops.OutcomeAlreadyDeployed && s.Reason != "") {
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
		if s.Outcome == ops.OutcomeSucceeded || s.Outcome == ops.OutcomeAlreadyDeployed || s.Outcome == ops.OutcomeDryRun || s.Outcome == ops.OutcomeNotWaited {
			continue
		}
		fmt.Fprintf(w, "\n%s: %s\n", s.Key(), s.Reason)
		if s.FailedTasks > 0 {
			fmt.Fprintf(w, "  failed tasks (ECS count): %d\n", s.FailedTasks)
		}
		for _, t := range s.StoppedTasks {
			codes := []string{}
			for _, c := range sortedKeys(t.ExitCodes) {
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
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
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
