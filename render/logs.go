package render

import (
	"bufio"
	"bytes"
	"ecsctl/ops"
	"ecsctl/ops/logs"
	"encoding/json"
	"hash/fnv"
	"io"
	"sync"
	"time"
)

// LogsOptions choose how `ecsctl logs` prints events.
type LogsOptions struct {
	JSON       bool
	Timestamps bool
	NoPrefix   bool
	// Subject ("cluster/service") starts each notice line.
	Subject string
}

// LogsPrinter prints log events to Out and notices to Err. On a terminal
// each task gets a colour and a short task/container prefix; on a pipe the
// prefix is the whole task id, without colour; -o json prints one object per
// line.
type LogsPrinter struct {
	opts  LogsOptions
	w     *bufio.Writer
	errw  io.Writer
	tty   bool
	color bool
	enc   *json.Encoder
	mu    sync.Mutex
	// Printed counts the events written.
	Printed int
}

// NewLogsPrinter prints to ios.Out (events) and ios.Err (notices).
func NewLogsPrinter(ios *IO, opts LogsOptions) *LogsPrinter {
	p := &LogsPrinter{opts: opts, w: bufio.NewWriterSize(ios.Out, 64<<10), errw: ios.Err, tty: ios.OutTTY, color: ios.ColorOut()}
	p.enc = json.NewEncoder(p.w)
	p.enc.SetEscapeHTML(false)
	return p
}

// logsJSONLine is one event in -o json.
type logsJSONLine struct {
	Time      string          `json:"time"`
	Task      string          `json:"task"`
	Container string          `json:"container"`
	Stream    string          `json:"stream"`
	Group     string          `json:"group"`
	ID        string          `json:"id,omitempty"` // live tail events have none
	Message   string          `json:"message"`
	Parsed    json.RawMessage `json:"parsed,omitempty"`
}

// logsPalette: ANSI foreground colours that read on dark and light terminals.
var logsPalette = []string{"\x1b[36m", "\x1b[33m", "\x1b[32m", "\x1b[35m", "\x1b[34m", "\x1b[91m", "\x1b[96m", "\x1b[93m"}

const logsReset = "\x1b[0m"

// Print writes a batch of events and flushes it.
func (p *LogsPrinter) Print(lines []logs.Line) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := range lines {
		l := &lines[i]
		if p.opts.JSON {
			j := logsJSONLine{Time: l.Time.UTC().Format("2006-01-02T15:04:05.000Z07:00"), Task: l.Task, Container: l.Container,
				Stream: l.Stream, Group: l.Group, ID: l.ID, Message: l.Message}
			if m := bytes.TrimSpace([]byte(l.Message)); len(m) > 1 && m[0] == '{' && json.Valid(m) {
				j.Parsed = m
			}
			if err := p.enc.Encode(j); err != nil {
				return err
			}
			continue
		}
		if p.opts.Timestamps {
			p.w.WriteString(l.Time.UTC().Format("2006-01-02T15:04:05.000Z07:00"))
			p.w.WriteByte(' ')
		}
		if !p.opts.NoPrefix {
			task := l.Task
			if p.tty && len(task) > 8 {
				task = task[:8]
			}
			if p.color {
				p.w.WriteString(logsColor(l.Task))
			}
			p.w.WriteString(task)
			p.w.WriteByte('/')
			p.w.WriteString(l.Container)
			if p.color {
				p.w.WriteString(logsReset)
			}
			p.w.WriteByte(' ')
		}
		p.w.WriteString(l.Message)
		if err := p.w.WriteByte('\n'); err != nil {
			return err
		}
	}
	p.Printed += len(lines)
	return p.w.Flush()
}

func logsColor(task string) string {
	h := fnv.New32a()
	h.Write([]byte(task))
	return logsPalette[h.Sum32()%uint32(len(logsPalette))]
}

// Notice writes one line about the tail to Err.
func (p *LogsPrinter) Notice(ev ops.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	at := ev.Time
	if at.IsZero() {
		at = time.Now()
	}
	Line(p.errw, at, p.opts.Subject, "%s", ciMessage(ev))
}
