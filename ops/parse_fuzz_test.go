package ops

import (
	"testing"
	"time"
)

// Fuzz tests for the parsers behind the command line. Their seed corpora
// (testdata/fuzz/<name>/) run in every `go test`; to search longer:
//
//	go test ./ops -run XXX -fuzz FuzzParseTimeFlags -fuzztime 60s
//
// The image reference and task definition fuzzers are in ops/deploy.

// FuzzParseTimeFlags: logs --since/--until (ParseLogsTime). A duration
// means "that long ago": never in the future, and it moves with now; a date
// means itself whatever now is. Events --since is fuzzed in ops/overview
// (FuzzParseEventsSince, the same seeds).
func FuzzParseTimeFlags(f *testing.F) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	later := now.Add(90 * time.Minute)
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseLogsTime(s, now)
		if err == nil {
			if got.IsZero() {
				t.Fatalf("ParseLogsTime(%q): zero time without an error", s)
			}
			again, err2 := ParseLogsTime(s, later)
			if err2 != nil {
				t.Fatalf("ParseLogsTime(%q): ok at one now, %v at another", s, err2)
			}
			if relative := !again.Equal(got); relative {
				if !again.Equal(got.Add(later.Sub(now))) {
					t.Fatalf("ParseLogsTime(%q) = %v at %v but %v at %v: a duration ago must move with now", s, got, now, again, later)
				}
				if got.After(now) {
					t.Fatalf("ParseLogsTime(%q) = %v: a duration ago is after now %v", s, got, now)
				}
			}
		}

	})
}
