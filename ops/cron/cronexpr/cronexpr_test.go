package cronexpr

import (
	"testing"
	"time"
)

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Skipf("no tzdata for %s: %v", name, err)
	}
	return loc
}

func TestNext(t *testing.T) {
	utc := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	cases := []struct {
		expr, tz, after, base, want string
	}{
		{"cron(0 2 * * ? *)", "", "2026-12-04T21:00:00Z", "", "2026-12-05T02:00:00Z"},
		{"cron(0 2 * * ? *)", "", "2026-12-05T02:00:00Z", "", "2026-12-06T02:00:00Z"}, // strictly after
		{"cron(0 2 * * ? *)", "Europe/Berlin", "2026-12-04T21:00:00Z", "", "2026-12-05T01:00:00Z"},
		{"cron(0 2 * * ? *)", "America/New_York", "2026-07-01T00:00:00Z", "", "2026-07-01T06:00:00Z"}, // EDT
		{"cron(0/15 * * * ? *)", "", "2026-12-04T21:07:00Z", "", "2026-12-04T21:15:00Z"},
		{"cron(0 9 ? * MON-FRI *)", "", "2026-12-04T10:00:00Z", "", "2026-12-07T09:00:00Z"}, // Fri → Mon
		{"cron(0 9 ? * 2-6 *)", "", "2026-12-04T10:00:00Z", "", "2026-12-07T09:00:00Z"},
		{"cron(30 0 L * ? *)", "", "2027-02-01T00:00:00Z", "", "2027-02-28T00:30:00Z"},
		{"cron(0 0 ? * 6L *)", "", "2026-12-01T00:00:00Z", "", "2026-12-25T00:00:00Z"},  // last Friday
		{"cron(0 0 ? * 2#1 *)", "", "2026-12-01T00:00:00Z", "", "2026-12-07T00:00:00Z"}, // first Monday
		{"cron(0 0 1W * ? *)", "", "2026-07-31T00:00:00Z", "", "2026-08-03T00:00:00Z"},  // Sat 1st → Mon 3rd
		{"cron(0 0 15W * ? *)", "", "2026-11-01T00:00:00Z", "", "2026-11-16T00:00:00Z"}, // Sun 15th → Mon
		{"cron(0 12 1 JAN ? 2027)", "", "2026-12-04T00:00:00Z", "", "2027-01-01T12:00:00Z"},
		{"cron(0 12 1 JAN ? 2025)", "", "2026-12-04T00:00:00Z", "", ""},
		// 02:30 does not exist in Berlin on 2027-03-28: that run is skipped
		// (Scheduler User Guide, daylight savings time).
		{"cron(30 2 * * ? *)", "Europe/Berlin", "2027-03-27T23:00:00Z", "", "2027-03-29T00:30:00Z"},
		{"cron(30 2 * * ? *)", "America/New_York", "2027-03-13T08:00:00Z", "", "2027-03-15T06:30:00Z"},
		// 02:30 happens twice in Berlin on 2027-10-31 (00:30Z CEST, 01:30Z
		// CET): it runs once, at the first.
		{"cron(30 2 * * ? *)", "Europe/Berlin", "2027-10-30T22:00:00Z", "", "2027-10-31T00:30:00Z"},
		{"cron(30 2 * * ? *)", "Europe/Berlin", "2027-10-31T00:30:00Z", "", "2027-11-01T01:30:00Z"},
		{"cron(30 1 * * ? *)", "America/New_York", "2026-11-01T05:00:00Z", "", "2026-11-01T05:30:00Z"},
		{"cron(30 1 * * ? *)", "America/New_York", "2026-11-01T05:30:00Z", "", "2026-11-02T06:30:00Z"},
		// Ranges wrap past the field's end (EventBridge User Guide example
		// 0/30 20-2 ? * MON-FRI *); 2026-12-05 is a Saturday.
		{"cron(0/30 20-2 ? * MON-FRI *)", "", "2026-12-04T23:40:00Z", "", "2026-12-07T00:00:00Z"},
		{"cron(0/30 20-2 ? * MON-FRI *)", "", "2026-12-07T02:00:00Z", "", "2026-12-07T02:30:00Z"},
		{"cron(0/30 20-2 ? * MON-FRI *)", "", "2026-12-07T02:30:00Z", "", "2026-12-07T20:00:00Z"},
		{"cron(0 12 ? * FRI-MON *)", "", "2026-12-04T12:00:00Z", "", "2026-12-05T12:00:00Z"},
		{"cron(0 12 ? * FRI-MON *)", "", "2026-12-07T12:00:00Z", "", "2026-12-11T12:00:00Z"},
		{"cron(0 0 1 NOV-FEB ? *)", "", "2027-02-01T00:00:00Z", "", "2027-11-01T00:00:00Z"},
		{"rate(5 minutes)", "", "2026-12-04T21:07:00Z", "2026-12-04T21:00:00Z", "2026-12-04T21:10:00Z"},
		{"rate(1 day)", "", "2026-12-04T21:00:00Z", "2026-12-04T21:00:00Z", "2026-12-05T21:00:00Z"},
		{"rate(1 hour)", "", "2026-12-04T20:00:00Z", "2026-12-04T21:00:00Z", "2026-12-04T21:00:00Z"},
		{"at(2026-12-24T18:00:00)", "Europe/Berlin", "2026-12-04T00:00:00Z", "", "2026-12-24T17:00:00Z"},
		{"at(2026-12-01T18:00:00)", "", "2026-12-04T00:00:00Z", "", ""},
	}
	for _, c := range cases {
		e, err := Parse(c.expr)
		if err != nil {
			t.Fatalf("%s: %v", c.expr, err)
		}
		var loc *time.Location
		if c.tz != "" {
			loc = mustLoc(t, c.tz)
		}
		var base time.Time
		if c.base != "" {
			base = utc(c.base)
		}
		got, ok := e.Next(utc(c.after), base, loc)
		if c.want == "" {
			if ok {
				t.Errorf("%s after %s: got %s, want no more runs", c.expr, c.after, got.UTC())
			}
			continue
		}
		if !ok || !got.Equal(utc(c.want)) {
			t.Errorf("%s (%s) after %s: got %s %v, want %s", c.expr, c.tz, c.after, got.UTC().Format(time.RFC3339), ok, c.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, s := range []string{
		"cron(0 2 * * *)",           // 5 fields
		"cron(0 2 * * * *)",         // neither '?'
		"cron(0 2 ? * ? *)",         // both '?'
		"cron(60 2 * * ? *)",        // minute out of range
		"cron(0 2 * 13 ? *)",        // month out of range
		"cron(0 2 ? * 8 *)",         // day-of-week out of range
		"cron(0 2 * * ? 2030-2027)", // years do not wrap
		"rate(0 minutes)",           // not positive
		"rate(5 minute)",            // singular with 5
		"rate(1 minutes)",           // plural with 1
		"rate(5 weeks)",             // unit
		"at(2026-12-24 18:00)",      // format
		"every(5 minutes)",          // kind
		"0 2 * * ? *",               // no wrapper
	} {
		if _, err := Parse(s); err == nil {
			t.Errorf("Parse(%q): no error", s)
		}
	}
}
