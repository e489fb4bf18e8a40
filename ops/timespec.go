package ops

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// TimeSpec is the value of a time flag (--since, --until): a duration
// before now, or a point in time. It is resolved against the account's
// clock once that is known (after the first AWS response), not the
// laptop's: with a clock that is off, or the sandbox's, "1h" still means
// the last hour of the account's events and logs.
type TimeSpec struct {
	Ago time.Duration
	At  time.Time // set for a point in time
}

// Resolve is the point in time the spec names, now being the account's now.
func (t TimeSpec) Resolve(now time.Time) time.Time {
	if !t.At.IsZero() {
		return t.At
	}
	return now.Add(-t.Ago)
}

// ParseTimeSpec is the one grammar of every time flag: a duration ago
// ("90s", "10m", "1h30m", "2d"), an RFC 3339 time, or a UTC date-time
// ("2026-11-23T10:00", "2026-11-23 10:00:00", "2026-11-23").
func ParseTimeSpec(s string) (TimeSpec, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return TimeSpec{}, fmt.Errorf("empty time")
	}
	if strings.HasSuffix(s, "d") {
		var n int
		// At most 100000 days: more would overflow time.Duration into the future.
		if _, err := fmt.Sscanf(s, "%dd", &n); err == nil && n >= 0 && n <= 100000 && fmt.Sprintf("%dd", n) == s {
			return TimeSpec{Ago: time.Duration(n) * 24 * time.Hour}, nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil {
		if d < 0 {
			return TimeSpec{}, fmt.Errorf("negative duration")
		}
		return TimeSpec{Ago: d}, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil && !t.IsZero() {
			return TimeSpec{At: t.UTC()}, nil
		}
	}
	return TimeSpec{}, fmt.Errorf("not a duration or a time")
}

// ParseTimeFlag parses the value of the option field sets (Since, Until),
// refusing it as bad input with the fix.
func ParseTimeFlag(ctx context.Context, field, s string) (TimeSpec, error) {
	t, err := ParseTimeSpec(s)
	if err == nil {
		return t, nil
	}
	if n, aerr := strconv.Atoi(strings.TrimSpace(s)); aerr == nil && n >= 0 {
		return TimeSpec{}, Inputf("invalid value %q for %s: want a duration with a unit, like %ds, %dm or %dd, or a time like 2026-11-23T10:00:00Z", s, Opt(ctx, field), n, n, n)
	}
	return TimeSpec{}, Inputf("invalid value %q for %s: want a duration ago like 10m, 2h or 1d, or a time like 2026-11-23T10:00:00Z", s, Opt(ctx, field))
}

// ParseLogsTime is ParseTimeSpec resolved at now.
func ParseLogsTime(s string, now time.Time) (time.Time, error) {
	t, err := ParseTimeSpec(s)
	if err != nil {
		return time.Time{}, err
	}
	return t.Resolve(now), nil
}
