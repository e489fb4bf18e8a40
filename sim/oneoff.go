package sim

import (
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// One-off containers: a container of a standalone (RunTask) task with a
// command — from the task's containerOverrides or its definition — runs
// that command instead of serving forever, so that tests see outcomes. The
// interpreter knows a few words:
//
//	echo TEXT   one line TEXT in the container's awslogs stream
//	sleep N     N seconds of the virtual clock
//	exit N      the container exits with code N
//	sh -c '…'   a sequence of the above, separated by ; or && (bash too)
//
// Anything else takes about a second and succeeds; at the end of the
// command the container exits 0. Service tasks and standalone tasks without
// a command (the worlds' long-running ones) are not affected.
//
// What real ECS does and the sandbox models:
//   - The container's exitCode is set when it stops; when an essential
//     container exits, the task stops with stopCode EssentialContainerExited
//     and stoppedReason "Essential container in task exited" (API reference,
//     Task.stopCode; developer guide, "Amazon ECS stopped task errors"); a
//     non-essential container exits alone.
//   - StopTask sends SIGTERM and, after the stop timeout, SIGKILL (StopTask
//     API reference). A command run as PID 1 without a signal handler (sh,
//     sleep) ignores SIGTERM, so a one-off container still running when the
//     task is stopped exits 137 (128 + SIGKILL).

// evOneOffStep runs a one-off container's command from a step on
// (key: task ARN, container index and step index, NUL-separated).
const evOneOffStep = "ecs.oneOffStep"

func init() {
	registerEvent(evOneOffStep, func(s *Sim, key string) {
		parts := strings.Split(key, "\x00")
		if len(parts) != 3 {
			return
		}
		ci, err1 := strconv.Atoi(parts[1])
		step, err2 := strconv.Atoi(parts[2])
		if err1 != nil || err2 != nil {
			return
		}
		s.oneOffRun(parts[0], ci, step)
	})
}

// oneOffStep is one word of a one-off command.
type oneOffStep struct {
	verb string // echo, sleep, exit or other
	text string
	n    float64
}

// oneOffCommand is the effective command of container i of t (nil: none).
func (s *Sim) oneOffCommand(t *ecsTask, i int) []string {
	if t.Service != "" || i >= len(t.Task.Containers) {
		return nil
	}
	name := aws.ToString(t.Task.Containers[i].Name)
	if ov := t.Task.Overrides; ov != nil {
		for _, co := range ov.ContainerOverrides {
			if aws.ToString(co.Name) == name && len(co.Command) > 0 {
				return co.Command
			}
		}
	}
	td := s.ecsLookupTaskDef(aws.ToString(t.Task.TaskDefinitionArn))
	if td == nil {
		return nil
	}
	for _, cd := range td.TD.ContainerDefinitions {
		if aws.ToString(cd.Name) == name {
			return cd.Command
		}
	}
	return nil
}

// parseOneOff turns a command into steps.
func parseOneOff(cmd []string) []oneOffStep {
	if len(cmd) >= 3 && cmd[1] == "-c" {
		switch cmd[0] {
		case "sh", "/bin/sh", "bash", "/bin/bash":
			var steps []oneOffStep
			for _, part := range splitShell(cmd[2]) {
				if len(part) > 0 {
					steps = append(steps, oneOffWord(part))
				}
			}
			return steps
		}
	}
	if len(cmd) == 1 && strings.ContainsAny(cmd[0], " \t") {
		// A command given as one string ("echo hi"), as the console does.
		cmd = strings.Fields(cmd[0])
	}
	if len(cmd) == 0 {
		return nil
	}
	return []oneOffStep{oneOffWord(cmd)}
}

func oneOffWord(words []string) oneOffStep {
	switch words[0] {
	case "echo":
		return oneOffStep{verb: "echo", text: strings.Join(words[1:], " ")}
	case "sleep":
		if len(words) > 1 {
			if n, err := strconv.ParseFloat(words[1], 64); err == nil && n >= 0 {
				return oneOffStep{verb: "sleep", n: n}
			}
		}
	case "exit":
		n := 0.0
		if len(words) > 1 {
			v, err := strconv.Atoi(words[1])
			if err != nil {
				v = 2 // sh: exit: Illegal number
			}
			n = float64(v & 0xff)
		}
		return oneOffStep{verb: "exit", n: n}
	case "true", ":":
		return oneOffStep{verb: "sleep"}
	case "false":
		return oneOffStep{verb: "exit", n: 1}
	}
	return oneOffStep{verb: "other"}
}

// splitShell splits a sh -c script into commands (on ; && || and newlines)
// of words, honouring single and double quotes.
func splitShell(script string) [][]string {
	var cmds [][]string
	var words []string
	var cur strings.Builder
	inWord := false
	var quote rune
	endWord := func() {
		if inWord {
			words = append(words, cur.String())
			cur.Reset()
			inWord = false
		}
	}
	endCmd := func() {
		endWord()
		cmds = append(cmds, words)
		words = nil
	}
	rs := []rune(script)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ';' || r == '\n':
			endCmd()
		case (r == '&' || r == '|') && i+1 < len(rs) && rs[i+1] == r:
			endCmd()
			i++
		case r == ' ' || r == '\t':
			endWord()
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	endCmd()
	return cmds
}

// oneOffStart starts the commands of a task that just became RUNNING. The
// containers' streams hold their commands' output only.
func (s *Sim) oneOffStart(t *ecsTask) {
	arn := aws.ToString(t.Task.TaskArn)
	for i := range t.Task.Containers {
		if len(s.oneOffCommand(t, i)) == 0 {
			continue
		}
		if st, _ := s.oneOffStream(t, i); st != nil {
			st.Gen = nil // nothing generated: what the command prints
			st.Pending = nil
		}
		s.oneOffRun(arn, i, 0)
	}
}

// oneOffStream is the awslogs stream of container i of t (nil if none).
func (s *Sim) oneOffStream(t *ecsTask, i int) (*LogStreamData, *LogGroupData) {
	name := aws.ToString(t.Task.Containers[i].Name)
	id := lastPart(aws.ToString(t.Task.TaskArn))
	for _, r := range s.logs.Tasks[aws.ToString(t.Task.TaskArn)] {
		if !strings.HasSuffix(r.Stream, "/"+name+"/"+id) {
			continue
		}
		if g := s.logs.Groups[r.Group]; g != nil {
			return g.Streams[r.Stream], g
		}
	}
	return nil, nil
}

// oneOffRun runs container ci's command from step on, until a sleep (the
// next step is scheduled) or its end (the container exits).
func (s *Sim) oneOffRun(arn string, ci, step int) {
	t := s.ecs.Tasks[arn]
	if t == nil || aws.ToString(t.Task.LastStatus) != "RUNNING" || aws.ToString(t.Task.DesiredStatus) != "RUNNING" ||
		ci >= len(t.Task.Containers) || aws.ToString(t.Task.Containers[ci].LastStatus) != "RUNNING" {
		return
	}
	steps := parseOneOff(s.oneOffCommand(t, ci))
	next := func(d time.Duration, k int) {
		s.after(d, evOneOffStep, arn+"\x00"+strconv.Itoa(ci)+"\x00"+strconv.Itoa(k))
	}
	if len(steps) == 1 && steps[0].verb == "other" && step == 0 {
		next(time.Second, 1) // a program the sandbox does not know runs a second
		return
	}
	for k := step; k < len(steps); k++ {
		switch st := steps[k]; st.verb {
		case "echo":
			s.oneOffLog(t, ci, st.text)
		case "sleep":
			if st.n > 0 {
				next(time.Duration(st.n*float64(time.Second)), k+1)
				return
			}
		case "exit":
			s.oneOffExit(t, ci, int(st.n))
			return
		default:
			if len(steps) > 1 {
				next(time.Second, k+1)
				return
			}
		}
	}
	s.oneOffExit(t, ci, 0)
}

// oneOffLog writes one line of container ci to its stream, now.
func (s *Sim) oneOffLog(t *ecsTask, ci int, line string) {
	st, g := s.oneOffStream(t, ci)
	if st == nil {
		return // no awslogs: the line stays on the instance
	}
	now := toMs(s.Now())
	s.appendEvent(g, st, LogEvent{Seq: s.nextUserSeq(), Timestamp: now, Ingestion: now, Message: line})
}

// oneOffExit ends container ci with code; an essential one stops the task.
func (s *Sim) oneOffExit(t *ecsTask, ci int, code int) {
	ct := &t.Task.Containers[ci]
	ct.LastStatus = aws.String("STOPPED")
	ct.ExitCode = aws.Int32(int32(code))
	t.Task.Version++
	essential := true
	if td := s.ecsLookupTaskDef(aws.ToString(t.Task.TaskDefinitionArn)); td != nil && ci < len(td.TD.ContainerDefinitions) {
		if e := td.TD.ContainerDefinitions[ci].Essential; e != nil {
			essential = *e
		}
	}
	if !essential {
		return
	}
	now := s.Now()
	t.Task.DesiredStatus = aws.String("STOPPED")
	t.Task.StoppedReason = aws.String("Essential container in task exited")
	t.Task.StopCode = types.TaskStopCodeEssentialContainerExited
	t.Task.StoppingAt = aws.Time(now)
	exited := s.oneOffExited(t)
	s.ecsFinishStop(t, 0, "essential container exited")
	for i, c := range exited {
		if c != nil {
			t.Task.Containers[i].ExitCode = c
		}
	}
}

// oneOffExited is the exit code of each container that has already exited.
func (s *Sim) oneOffExited(t *ecsTask) []*int32 {
	out := make([]*int32, len(t.Task.Containers))
	for i, c := range t.Task.Containers {
		if aws.ToString(c.LastStatus) == "STOPPED" && c.ExitCode != nil {
			v := *c.ExitCode
			out[i] = &v
		}
	}
	return out
}

// oneOffState is what the one-off containers of a task were doing before
// ECS stopped the rest of it: which still ran, which had exited and how.
type oneOffState struct {
	running []int
	exited  []*int32
}

func (s *Sim) oneOffSnapshot(t *ecsTask) oneOffState {
	st := oneOffState{exited: s.oneOffExited(t)}
	for i, c := range t.Task.Containers {
		if aws.ToString(c.LastStatus) == "RUNNING" && len(s.oneOffCommand(t, i)) > 0 {
			st.running = append(st.running, i)
		}
	}
	return st
}

// oneOffKilled gives the one-off containers that were running when their
// task was stopped the code of SIGKILL (see the top of this file), and
// those that had exited before, their own codes back.
func (s *Sim) oneOffKilled(t *ecsTask, before oneOffState) {
	for i, c := range before.exited {
		if c != nil && i < len(t.Task.Containers) {
			t.Task.Containers[i].ExitCode = c
		}
	}
	for _, i := range before.running {
		if i < len(t.Task.Containers) {
			t.Task.Containers[i].ExitCode = aws.Int32(137)
		}
	}
}
