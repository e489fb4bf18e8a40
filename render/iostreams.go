// Package render turns results and progress into text for people and
// machines: tables (tablewriter), timestamped CI lines, and JSON. Everything
// writes to an io.Writer handed in; nothing here touches os.Stdout directly.
package render

import (
	"bytes"
	"io"
	"os"

	"github.com/mattn/go-isatty"
)

// IO is the set of streams a command uses: results go to Out, progress and
// logs to Err. The TTY flags decide between a live view and plain lines.
type IO struct {
	In     io.Reader
	Out    io.Writer
	Err    io.Writer
	InTTY  bool
	OutTTY bool
	ErrTTY bool
	// NoColor is set by NO_COLOR or --no-color.
	NoColor bool
	// Env reads environment variables (tests replace it).
	Env func(string) string
}

// System returns the process's own streams.
func System() *IO {
	return &IO{
		In:     os.Stdin,
		Out:    os.Stdout,
		Err:    os.Stderr,
		InTTY:  isTerminal(os.Stdin),
		OutTTY: isTerminal(os.Stdout),
		ErrTTY: isTerminal(os.Stderr),
		Env:    os.Getenv,
	}
}

func isTerminal(f *os.File) bool {
	return isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())
}

// Test returns streams backed by buffers, none of them a terminal, and an
// empty environment.
func Test() (ios *IO, in, out, errOut *bytes.Buffer) {
	in, out, errOut = &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	return &IO{In: in, Out: out, Err: errOut, Env: func(string) string { return "" }}, in, out, errOut
}

// ColorOut reports whether results on Out may carry colour.
func (s *IO) ColorOut() bool { return s.OutTTY && !s.NoColor }

// ColorErr reports whether progress on Err may carry colour.
func (s *IO) ColorErr() bool { return s.ErrTTY && !s.NoColor }

// Interactive reports whether prompts may be shown (a terminal on both ends).
func (s *IO) Interactive() bool { return s.InTTY && s.ErrTTY }

// Getenv reads an environment variable through Env.
func (s *IO) Getenv(k string) string {
	if s.Env == nil {
		return ""
	}
	return s.Env(k)
}
