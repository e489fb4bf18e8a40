package overview

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"ecsctl/ops"
	"ecsctl/ops/opstest"
)

// The seed corpus (testdata/fuzz/FuzzParseEventsSince/, the seeds of ops'
// FuzzParseTimeFlags) runs in every `go test`; to search longer:
//
//	go test ./ops/overview -run XXX -fuzz FuzzParseEventsSince -fuzztime 60s

// FuzzParseEventsSince: events --since. A duration means "that long ago":
// never in the future, and it moves with now; a date means itself whatever
// now is. Errors are input errors that quote the flag and the fix.
func FuzzParseEventsSince(f *testing.F) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	later := now.Add(90 * time.Minute)
	ctx := opstest.FlagNames(context.Background())
	f.Fuzz(func(t *testing.T, s string) {
		since, err := ParseEventsSince(ctx, s, now)
		switch {
		case s == "":
			if err != nil || !since.IsZero() {
				t.Fatalf("ParseEventsSince(\"\") = %v, %v: want all events", since, err)
			}
		case err != nil:
			var ie *ops.InputError
			if !errors.As(err, &ie) || !strings.Contains(err.Error(), "--since") || !strings.Contains(err.Error(), "want ") {
				t.Fatalf("ParseEventsSince(%q): error %q is not an input error naming --since and the fix", s, err)
			}
		default:
			if since.After(now) {
				t.Fatalf("ParseEventsSince(%q) = %v: after now %v", s, since, now)
			}
			if spec, _ := ops.ParseTimeSpec(s); !spec.At.IsZero() {
				break // a point in time stays put
			}
			if again, _ := ParseEventsSince(ctx, s, later); !again.Equal(since.Add(later.Sub(now))) {
				t.Fatalf("ParseEventsSince(%q) does not move with now", s)
			}
		}
	})
}
