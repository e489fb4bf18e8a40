package ops

import (
	"testing"
	"time"
)

func TestParseLogsTime(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"10m":                       now.Add(-10 * time.Minute),
		"1h30m":                     now.Add(-90 * time.Minute),
		"2d":                        now.Add(-48 * time.Hour),
		"2026-11-23T10:00:00Z":      time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC),
		"2026-11-23T10:00:00+01:00": time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC),
		"2026-11-23 10:00":          time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC),
		"2026-11-23":                time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC),
	} {
		got, err := ParseLogsTime(in, now)
		if err != nil || !got.Equal(want) {
			t.Errorf("%q: %v %v, want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "yesterday", "-5m", "5x", "2026-13-01"} {
		if _, err := ParseLogsTime(bad, now); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func FuzzParseLogsTime(f *testing.F) {
	for _, s := range []string{"10m", "2d", "2026-11-23T10:00:00Z", "2026-11-23"} {
		f.Add(s)
	}
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseLogsTime(s, now)
		if err == nil && got.IsZero() {
			t.Errorf("%q: zero time without an error", s)
		}
	})
}
