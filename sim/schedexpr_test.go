package sim

import (
	"context"
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	schedtypes "github.com/aws/aws-sdk-go-v2/service/scheduler/types"

	"ecsctl/ops/cron/cronexpr"
)

func schedLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Skipf("no tzdata for %s: %v", name, err)
	}
	return loc
}

func mustUTC(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// runsAfter lists up to n runs after from.
func runsAfter(e *schedExpr, from, base time.Time, loc *time.Location, n int) []string {
	var out []string
	for t, ok := e.next(from, base, loc); ok && len(out) < n; t, ok = e.next(t, base, loc) {
		out = append(out, t.UTC().Format(time.RFC3339))
	}
	return out
}

// The AWS documentation's own examples, each checked by hand against its
// stated meaning (EventBridge User Guide, "Creating an Amazon EventBridge
// rule that runs on a schedule", examples table and put-rule examples;
// EventBridge Scheduler User Guide, "Schedule types", and the Knowledge
// Center note on daylight saving time).
func TestSchedExprAWSExamples(t *testing.T) {
	cases := []struct {
		name, expr, tz, after, base string
		want                        []string
	}{
		{"10:00 every day", "cron(0 10 * * ? *)", "", "2026-12-04T10:00:00Z", "",
			[]string{"2026-12-05T10:00:00Z", "2026-12-06T10:00:00Z"}},
		{"12:15 every day", "cron(15 12 * * ? *)", "", "2026-12-04T13:00:00Z", "",
			[]string{"2026-12-05T12:15:00Z"}},
		// 2026-12-04 is a Friday: the next weekday evening after it is Monday.
		{"18:00 Monday to Friday", "cron(0 18 ? * MON-FRI *)", "", "2026-12-04T18:00:00Z", "",
			[]string{"2026-12-07T18:00:00Z", "2026-12-08T18:00:00Z"}},
		{"08:00 on the 1st", "cron(0 8 1 * ? *)", "", "2026-12-04T00:00:00Z", "",
			[]string{"2027-01-01T08:00:00Z", "2027-02-01T08:00:00Z"}},
		{"every 15 minutes", "cron(0/15 * * * ? *)", "", "2026-12-04T21:07:00Z", "",
			[]string{"2026-12-04T21:15:00Z", "2026-12-04T21:30:00Z", "2026-12-04T21:45:00Z", "2026-12-04T22:00:00Z"}},
		// Saturday 2026-12-05 23:55: nothing until Monday 00:00.
		{"every 10 minutes Monday to Friday", "cron(0/10 * ? * MON-FRI *)", "", "2026-12-05T23:55:00Z", "",
			[]string{"2026-12-07T00:00:00Z", "2026-12-07T00:10:00Z"}},
		{"every 5 minutes 08:00-17:55 weekdays", "cron(0/5 8-17 ? * MON-FRI *)", "", "2026-12-07T17:50:00Z", "",
			[]string{"2026-12-07T17:55:00Z", "2026-12-08T08:00:00Z"}},
		// 20-2 wraps past midnight: hours 20,21,22,23,0,1,2, each on a
		// Monday-to-Friday date.
		{"every 30 minutes 20:00-02:30 weekdays", "cron(0/30 20-2 ? * MON-FRI *)", "", "2026-12-07T01:45:00Z", "",
			[]string{"2026-12-07T02:00:00Z", "2026-12-07T02:30:00Z", "2026-12-07T20:00:00Z", "2026-12-07T20:30:00Z"}},
		{"14:05 and 14:35", "cron(5,35 14 * * ? *)", "", "2026-12-04T14:05:00Z", "",
			[]string{"2026-12-04T14:35:00Z", "2026-12-05T14:05:00Z"}},
		// Last Friday of each month, 2019-2022 only.
		{"last Friday 2019-2022", "cron(15 10 ? * 6L 2019-2022)", "", "2022-10-01T00:00:00Z", "",
			[]string{"2022-10-28T10:15:00Z", "2022-11-25T10:15:00Z", "2022-12-30T10:15:00Z"}},
		{"second Tuesday", "cron(0 9 ? * 3#2 *)", "", "2026-12-01T00:00:00Z", "",
			[]string{"2026-12-08T09:00:00Z", "2027-01-12T09:00:00Z"}},
		// 2026-08-01 is a Saturday: 1W does not leave the month, so Monday 3rd.
		{"1W on a Saturday", "cron(0 0 1W * ? *)", "", "2026-07-31T00:00:00Z", "",
			[]string{"2026-08-03T00:00:00Z"}},
		// 2027-01-03 is a Sunday: 3W is Monday 4th; 2027-04-03 is a Saturday: Friday 2nd.
		{"3W", "cron(0 0 3W * ? *)", "", "2026-12-31T00:00:00Z", "",
			[]string{"2027-01-04T00:00:00Z", "2027-02-03T00:00:00Z", "2027-03-03T00:00:00Z", "2027-04-02T00:00:00Z"}},
		{"last day of the month", "cron(0 5 L * ? *)", "", "2027-01-31T05:00:00Z", "",
			[]string{"2027-02-28T05:00:00Z", "2027-03-31T05:00:00Z"}},
		{"L in day-of-week is Saturday", "cron(0 0 ? * L *)", "", "2026-12-04T00:00:00Z", "",
			[]string{"2026-12-05T00:00:00Z", "2026-12-12T00:00:00Z"}},
		{"month names list", "cron(0 0 1 JAN,FEB,MAR ? *)", "", "2026-12-04T00:00:00Z", "",
			[]string{"2027-01-01T00:00:00Z", "2027-02-01T00:00:00Z", "2027-03-01T00:00:00Z", "2028-01-01T00:00:00Z"}},
		{"1/10: the 1st, 11th, 21st minute", "cron(1/10 9 * * ? *)", "", "2026-12-04T09:00:00Z", "",
			[]string{"2026-12-04T09:01:00Z", "2026-12-04T09:11:00Z", "2026-12-04T09:21:00Z"}},
		{"a year that has passed", "cron(0 12 1 JAN ? 2025)", "", "2026-12-04T00:00:00Z", "", nil},
		// Scheduler: the expression is read in the schedule's time zone.
		{"Berlin 02:00 in winter", "cron(0 2 * * ? *)", "Europe/Berlin", "2026-12-04T21:00:00Z", "",
			[]string{"2026-12-05T01:00:00Z"}},
		{"New York 02:00 in summer", "cron(0 2 * * ? *)", "America/New_York", "2026-07-01T00:00:00Z", "",
			[]string{"2026-07-01T06:00:00Z"}},
		// Spring forward: Berlin skips 02:00-02:59 on 2027-03-28, so the
		// 02:30 run that day is skipped, not moved.
		{"spring forward skips", "cron(30 2 * * ? *)", "Europe/Berlin", "2027-03-27T02:00:00Z", "",
			[]string{"2027-03-29T00:30:00Z"}},
		// Fall back: 02:30 happens twice in Berlin on 2027-10-31 (00:30Z
		// CEST and 01:30Z CET); it runs once, at the first.
		{"fall back runs once", "cron(30 2 * * ? *)", "Europe/Berlin", "2027-10-30T02:00:00Z", "",
			[]string{"2027-10-31T00:30:00Z", "2027-11-01T01:30:00Z"}},
		{"fall back, every 30 minutes", "cron(0/30 1 * * ? *)", "America/New_York", "2026-11-01T04:45:00Z", "",
			[]string{"2026-11-01T05:00:00Z", "2026-11-01T05:30:00Z", "2026-11-02T06:00:00Z"}},
		// rate counts elapsed time from its base: days are 24 hours, even
		// across a daylight-saving change.
		{"rate 5 minutes", "rate(5 minutes)", "", "2026-12-04T21:07:00Z", "2026-12-04T21:00:00Z",
			[]string{"2026-12-04T21:10:00Z", "2026-12-04T21:15:00Z"}},
		{"rate 1 day across DST", "rate(1 day)", "Europe/Berlin", "2027-03-27T09:00:00Z", "2027-03-27T09:00:00Z",
			[]string{"2027-03-28T09:00:00Z", "2027-03-29T09:00:00Z"}},
		{"rate before its start", "rate(1 hour)", "", "2026-12-04T20:00:00Z", "2026-12-04T21:00:00Z",
			[]string{"2026-12-04T21:00:00Z", "2026-12-04T22:00:00Z"}},
		{"at in its zone", "at(2026-12-24T18:00:00)", "Europe/Berlin", "2026-12-04T00:00:00Z", "",
			[]string{"2026-12-24T17:00:00Z"}},
		{"at in the past", "at(2026-12-01T18:00:00)", "", "2026-12-04T00:00:00Z", "", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e, err := parseSchedExpr(c.expr)
			if err != nil {
				t.Fatalf("%s: %v", c.expr, err)
			}
			var loc *time.Location
			if c.tz != "" {
				loc = schedLoc(t, c.tz)
			}
			var base time.Time
			if c.base != "" {
				base = mustUTC(t, c.base)
			}
			got := runsAfter(e, mustUTC(t, c.after), base, loc, len(c.want))
			if strings.Join(got, " ") != strings.Join(c.want, " ") {
				t.Errorf("%s (%s) after %s:\n got  %v\n want %v", c.expr, c.tz, c.after, got, c.want)
			}
		})
	}
}

func TestSchedExprRejects(t *testing.T) {
	for _, s := range []string{
		"cron(0 2 * * *)",           // 5 fields
		"cron(0 2 * * * *)",         // neither day field is ?
		"cron(0 2 ? * ? *)",         // both are
		"cron(0 2 1 * MON *)",       // both given
		"cron(60 2 * * ? *)",        // minute out of range
		"cron(0 24 * * ? *)",        // hour out of range
		"cron(0 2 * 13 ? *)",        // month out of range
		"cron(0 2 32 * ? *)",        // day out of range
		"cron(0 2 ? * 8 *)",         // day-of-week out of range
		"cron(0 2 ? * 0 *)",         // day-of-week starts at 1 (SUN)
		"cron(0 2 * * ? 1969)",      // year out of range
		"cron(0 2 * * ? 2030-2027)", // backwards years
		"cron(0 2 ? * 3#1,6#3 *)",   // # allows one expression only
		"cron(0 2 ? * 3#6 *)",       // no sixth Tuesday
		"cron(0 2 1-5W * ? *)",      // W takes one day
		"cron(0/0 2 * * ? *)",       // zero increment
		"cron(0 2 ? * MON/2 *)",     // day-of-week lists no /
		"cron(a 2 * * ? *)",         // not a number
		"rate(0 minutes)",           // not positive
		"rate(5 minute)",            // singular with 5
		"rate(1 minutes)",           // plural with 1
		"rate(5 weeks)",             // unit
		"rate(5)",                   // no unit
		"at(2026-12-24 18:00)",      // format
		"at(2026-02-30T18:00:00)",   // no such date
		"every(5 minutes)",          // kind
		"0 2 * * ? *",               // no wrapper
	} {
		if _, err := parseSchedExpr(s); err == nil {
			t.Errorf("parseSchedExpr(%q): no error", s)
		}
	}
}

// crossCheckExprs builds cron expressions from documented forms: every
// field's wildcards combined at random (a fixed seed: the same set every
// run).
func crossCheckExprs() []string {
	minutes := []string{"0", "*", "0/15", "1/10", "5,35", "10-20", "*/7", "45", "30"}
	hours := []string{"*", "0", "2", "8-17", "0/6", "1,13", "23", "3/5", "1-3", "22-2", "20-2/3"}
	doms := []string{"*", "1", "15", "L", "1W", "15W", "31W", "30", "29", "1-7", "10/10", "31", "28-31", "2,16", "28-3"}
	months := []string{"*", "1", "FEB", "JAN,FEB,MAR", "6-8", "2/3", "DEC", "NOV-DEC", "NOV-FEB", "mar"}
	dows := []string{"*", "MON-FRI", "2-6", "1", "SAT,SUN", "6L", "2#1", "1#5", "L", "FRI", "3#2", "7L", "5#4", "MON,WED,FRI", "FRI-MON", "sun"}
	years := []string{"*", "*", "*", "2026-2028", "2027", "2026/2"}
	r := rand.New(rand.NewSource(17))
	pick := func(s []string) string { return s[r.Intn(len(s))] }
	var out []string
	for i := 0; i < 100; i++ {
		dom, dow := pick(doms), "?"
		if i%2 == 1 {
			dom, dow = "?", pick(dows)
		}
		out = append(out, fmt.Sprintf("cron(%s %s %s %s %s %s)", pick(minutes), pick(hours), dom, pick(months), dow, pick(years)))
	}
	return append(out, "rate(1 minute)", "rate(7 minutes)", "rate(1 hour)", "rate(3 hours)", "rate(1 day)", "rate(2 days)",
		"at(2027-03-28T02:30:00)", "at(2026-12-24T18:00:00)", "at(2027-10-31T02:30:00)")
}

// TestSchedExprAgreesWithCronexpr compares the sandbox's matcher with
// ecsctl's parser (ops/cron/cronexpr) over many expressions, start times
// and zones: the runs each predicts must be the same instants, and both must
// accept the same expressions.
func TestSchedExprAgreesWithCronexpr(t *testing.T) {
	zones := []*time.Location{time.UTC}
	for _, name := range []string{"Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"} {
		zones = append(zones, schedLoc(t, name))
	}
	var starts []time.Time
	for _, s := range []string{
		// Year and leap-day edges, then the days around daylight-saving
		// changes in Berlin, New York and Lord Howe (a 30-minute change).
		"2026-12-04T21:07:30Z", "2026-12-31T23:59:00Z", "2028-02-28T00:00:00Z",
		"2027-03-13T00:00:00Z", "2027-03-27T23:00:00Z", "2027-10-30T22:00:00Z", "2027-11-06T00:00:00Z",
		"2027-04-03T14:00:00Z",
	} {
		starts = append(starts, mustUTC(t, s))
	}
	base := mustUTC(t, "2026-12-01T10:03:00Z")
	mismatches := 0
	for _, src := range crossCheckExprs() {
		mine, errMine := parseSchedExpr(src)
		theirs, errTheirs := cronexpr.Parse(src)
		if (errMine == nil) != (errTheirs == nil) {
			t.Errorf("%s: sandbox error %v, cronexpr error %v", src, errMine, errTheirs)
			continue
		}
		if errMine != nil {
			continue
		}
		for _, loc := range zones {
			for _, from := range starts {
				if d := firstDifference(mine, theirs, from, base, loc, 4); d != "" {
					if mismatches++; mismatches <= 20 {
						t.Errorf("%s in %s after %s: %s", src, loc, from.Format(time.RFC3339), d)
					}
				}
			}
		}
	}
	if mismatches > 20 {
		t.Errorf("%d mismatches in all", mismatches)
	}
}

func firstDifference(mine *schedExpr, theirs *cronexpr.Expr, from, base time.Time, loc *time.Location, n int) string {
	a, b := from, from
	for i := 0; i < n; i++ {
		na, okA := mine.next(a, base, loc)
		nb, okB := theirs.Next(b, base, loc)
		if okA != okB || (okA && !na.Equal(nb)) {
			return fmt.Sprintf("run %d: sandbox %s %v, cronexpr %s %v", i+1, na.UTC().Format(time.RFC3339), okA, nb.UTC().Format(time.RFC3339), okB)
		}
		if !okA {
			return ""
		}
		a, b = na, nb
	}
	return ""
}

// Through the APIs: a Scheduler schedule whose cron time a spring-forward
// change skips is armed for the next day, not moved past the gap, and a rule
// with a documented wrapped hour range is accepted and armed on it.
func TestSchedulesArmOnTheSandboxsOwnReading(t *testing.T) {
	s, c := newSchedEnv(t)
	ctx := context.Background()
	// Berlin springs forward on the last Sunday of March, at 01:00 UTC.
	now := s.virtualNow()
	var gapDay time.Time
	for y := now.Year(); gapDay.Before(now.Add(24 * time.Hour)); y++ {
		gapDay = time.Date(y, 3, 31, 0, 0, 0, 0, time.UTC)
		gapDay = gapDay.AddDate(0, 0, -int(gapDay.Weekday()))
	}
	start := gapDay.Add(-time.Hour)
	off := &schedtypes.FlexibleTimeWindow{Mode: schedtypes.FlexibleTimeWindowModeOff}
	if _, err := c.sched.CreateSchedule(ctx, &scheduler.CreateScheduleInput{
		Name: aws.String("berlin"), ScheduleExpression: aws.String("cron(30 2 * * ? *)"),
		ScheduleExpressionTimezone: aws.String("Europe/Berlin"), StartDate: aws.Time(start),
		FlexibleTimeWindow: off, Target: fullECSTarget(s, "api:3"),
	}); err != nil {
		t.Fatal(err)
	}
	// 02:30 does not exist in Berlin that Sunday; the next is 02:30 CEST
	// on the Monday.
	if got, want := s.sched().Schedules["default/berlin"].NextRun, gapDay.Add(24*time.Hour+30*time.Minute); !got.Equal(want) {
		t.Errorf("berlin schedule armed for %s, want %s", got.UTC(), want)
	}
	if _, err := c.ev.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("nights"), ScheduleExpression: aws.String("cron(0/30 20-2 ? * MON-FRI *)")}); err != nil {
		t.Fatalf("PutRule with the User Guide's example cron(0/30 20-2 ? * MON-FRI *): %v", err)
	}
	r := s.sched().Rules["nights"]
	want, ok := mustSchedExpr(t, "cron(0/30 20-2 ? * MON-FRI *)").next(r.NextRun.Add(-time.Minute), time.Time{}, time.UTC)
	if r.NextRun.IsZero() || !ok || !want.Equal(r.NextRun) {
		t.Errorf("rule armed for %s", r.NextRun)
	}
	if h := r.NextRun.UTC().Hour(); h > 2 && h < 20 {
		t.Errorf("rule armed for %s, outside 20:00-02:30", r.NextRun.UTC())
	}
}

func mustSchedExpr(t *testing.T, s string) *schedExpr {
	t.Helper()
	e, err := parseSchedExpr(s)
	if err != nil {
		t.Fatal(err)
	}
	return e
}
