package render

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"ecsctl/fmtx"
	"ecsctl/ops"
	"ecsctl/ops/deploy"
)

// NewDeployProgress shows deploy events on ios.Err: on a terminal a live
// per-service view (a bar, the phase ECS is in with its estimate counted
// down, the last events), redrawn every second; otherwise one plain
// timestamped line per event, and a heartbeat per service still waiting.
func NewDeployProgress(ios *IO) *Live { return newLiveTicking(ios, newDeployBoard()) }

func newDeployProgress(ios *IO, clock ops.Clock) *Live { return newLive(ios, clock, newDeployBoard()) }

// deployBoard is the state of each service a deploy follows.
type deployBoard struct {
	order    []string
	services map[string]*liveService
}

func newDeployBoard() *deployBoard { return &deployBoard{services: map[string]*liveService{}} }

type liveService struct {
	progress string
	running  int32
	desired  int32
	events   []string
	verdict  string
	started  time.Time
	phase    phase
}

func (d *deployBoard) event(ev ops.Event, now time.Time) (stream, subject, msg string) {
	key := ev.Cluster + "/" + ev.Service
	s := d.services[key]
	if s == nil {
		s = &liveService{started: ev.Time}
		d.services[key] = s
		d.order = append(d.order, key)
	}
	switch ev.Kind {
	case ops.EventProgress:
		s.progress, s.running, s.desired = ev.Message, ev.Running, ev.Desired
		s.phase = phaseOf(ev, now)
	case ops.EventVerdict:
		s.verdict = ev.Message
	default:
		s.events = append(s.events, ev.Message)
		if len(s.events) > 3 {
			s.events = s.events[len(s.events)-3:]
		}
	}
	msg = ciMessage(ev)
	if ev.Kind == ops.EventProgress {
		msg = withPhase(msg, s.phaseText(now))
	}
	return key, key, msg
}

// phaseText is the phase with its estimate counted down to now, until the
// verdict.
func (s *liveService) phaseText(now time.Time) string {
	if s.verdict != "" {
		return ""
	}
	return s.phase.at(now)
}

func (d *deployBoard) heartbeat(key string, now time.Time) (subject, msg string, ok bool) {
	s := d.services[key]
	if s.verdict != "" {
		return "", "", false
	}
	state := s.phaseText(now)
	if state == "" {
		state = s.progress
	}
	if state == "" {
		state = "waiting for ECS"
	}
	return key, fmt.Sprintf("still waiting after %s: %s", fmtx.Elapsed(now.Sub(s.started)), state), true
}

func bar(running, desired int32, width int) string {
	if desired <= 0 {
		return strings.Repeat("░", width)
	}
	n := int(float64(width) * float64(min(running, desired)) / float64(desired))
	return strings.Repeat("█", n) + strings.Repeat("░", width-n)
}

func (d *deployBoard) frame(now time.Time, _ bool, paint painter) []string {
	var lines []string
	for _, key := range d.order {
		s := d.services[key]
		status := s.progress
		if s.verdict != "" {
			if strings.HasPrefix(s.verdict, deploy.OutcomeSucceeded) || strings.HasPrefix(s.verdict, "already") {
				status = paint(styleOK, "✔ "+s.verdict)
			} else {
				status = paint(styleBad, "✘ "+s.verdict)
			}
		}
		lines = append(lines, fmt.Sprintf("%s  %s  %s  %s", paint(styleTitle, key), bar(s.running, s.desired, 12), status, paint(styleDim, fmtx.Elapsed(now.Sub(s.started)))))
		if ph := s.phaseText(now); ph != "" {
			lines = append(lines, "    ⧗ "+truncate(ph, 110))
		}
		for _, e := range s.events {
			lines = append(lines, "    "+paint(styleDim, truncate(e, 110)))
		}
	}
	return lines
}

// DeploySummary prints the verdicts as a table, then the details that
// explain failures (stopped tasks, log lines, notes, the dry-run diff).
func DeploySummary(w io.Writer, res *deploy.Result) error {
	rows := [][]string{}
	for _, s := range res.Services {
		rollback := ""
		if s.Rollback != nil {
			rollback = fmt.Sprintf("%s → %s: %s", s.Rollback.By, fmtx.ShortARN(s.Rollback.TaskDefinition), s.Rollback.Outcome)
		}
		to := fmtx.ShortARN(s.NewTaskDefinition)
		if s.Outcome == deploy.OutcomeDryRun {
			switch {
			case s.NewTaskDefinition == s.OldTaskDefinition:
				to = "no change"
			case s.NewTaskDefinition == "":
				to = "a new revision"
			}
		}
		rows = append(rows, []string{s.Key(), strings.ToUpper(s.Outcome), fmtx.ShortARN(s.OldTaskDefinition), to, s.DeploymentID, seconds(s.DurationSeconds), rollback})
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
		fmt.Fprintf(w, "\n%s: rollback %s → %s\n", s.Key(), fmtx.ShortARN(s.OldTaskDefinition), fmtx.ShortARN(s.NewTaskDefinition))
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

func seconds(s float64) string {
	if s <= 0 {
		return "-"
	}
	return (time.Duration(s * float64(time.Second))).Round(time.Second).String()
}
