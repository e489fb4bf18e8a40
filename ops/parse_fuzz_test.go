package ops

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// Fuzz tests for the parsers behind the command line. Their seed corpora
// (testdata/fuzz/<name>/) run in every `go test`; to search longer:
//
//	go test ./ops -run XXX -fuzz FuzzParseTimeFlags -fuzztime 60s
//
// The image reference and task definition fuzzers are in ops/deploy.

// FuzzParseTimeFlags: logs --since/--until (ParseLogsTime) and events
// --since (ParseEventsSince). A duration means "that long ago": never in the
// future, and it moves with now; a date means itself whatever now is.
// Errors of events --since are input errors that quote the value.
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

		since, err := ParseEventsSince(s, now)
		switch {
		case s == "":
			if err != nil || !since.IsZero() {
				t.Fatalf("ParseEventsSince(\"\") = %v, %v: want all events", since, err)
			}
		case err != nil:
			var ie *InputError
			if !errors.As(err, &ie) || !strings.Contains(err.Error(), "--since") || !strings.Contains(err.Error(), "want ") {
				t.Fatalf("ParseEventsSince(%q): error %q is not an input error naming --since and the fix", s, err)
			}
		default:
			if since.After(now) {
				t.Fatalf("ParseEventsSince(%q) = %v: after now %v", s, since, now)
			}
			if spec, _ := ParseTimeSpec(s); !spec.At.IsZero() {
				break // a point in time stays put
			}
			if again, _ := ParseEventsSince(s, later); !again.Equal(since.Add(later.Sub(now))) {
				t.Fatalf("ParseEventsSince(%q) does not move with now", s)
			}
		}
	})
}
