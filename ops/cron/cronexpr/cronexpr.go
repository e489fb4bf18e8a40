// Package cronexpr parses the schedule expressions of EventBridge Scheduler
// and EventBridge rules — cron(...), rate(...) and at(...) — and computes
// their next run. It has no dependencies so that both ecsctl (ops/cron) and
// the sandbox (sim) use the same reading of an expression.
//
// Source: EventBridge Scheduler User Guide, "Schedule types on EventBridge
// Scheduler" (cron has six fields: minutes hours day-of-month month
// day-of-week year; one of day-of-month and day-of-week must be '?';
// day-of-week 1-7 is SUN-SAT; wildcards , - * ? / L W #; rate(value unit)
// with unit minute(s), hour(s) or day(s); at(yyyy-mm-ddThh:mm:ss) in the
// schedule's time zone) and the EventBridge User Guide, "Creating a rule
// that runs on a schedule" (the same cron and rate syntax, always UTC).
package cronexpr

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Kind is the form of an expression.
type Kind int

const (
	Cron Kind = iota + 1
	Rate
	At
)

// Expr is a parsed schedule expression.
type Expr struct {
	Kind Kind
	Src  string
	// Rate: the period.
	Every time.Duration
	// At: the wall-clock time (read in the schedule's zone).
	AtTime time.Time
	cron   *cronSpec
}

type cronSpec struct {
	minutes, hours, months [64]bool // months indexed 1..12
	years                  map[int]bool
	anyYear                bool
	dom                    domSpec
	dow                    dowSpec
	domAny, dowAny         bool // '?' (or '*') in that field
}

type domSpec struct {
	days    [32]bool
	last    bool // L: last day of the month
	weekday int  // nW: nearest weekday to day n (0 = unused)
}

type dowSpec struct {
	days    [8]bool // 1..7 = SUN..SAT
	lastOf  int     // nL: the last day n of the month
	nth     int     // n#k: the k-th day n of the month
	nthWeek int
}

// Parse reads cron(...), rate(...) or at(...).
func Parse(s string) (*Expr, error) {
	s = strings.TrimSpace(s)
	open := strings.IndexByte(s, '(')
	if open < 0 || !strings.HasSuffix(s, ")") {
		return nil, fmt.Errorf("expression %q: want cron(...), rate(...) or at(...)", s)
	}
	body := strings.TrimSpace(s[open+1 : len(s)-1])
	switch s[:open] {
	case "cron":
		c, err := parseCron(body)
		if err != nil {
			return nil, fmt.Errorf("expression %q: %v", s, err)
		}
		return &Expr{Kind: Cron, Src: s, cron: c}, nil
	case "rate":
		d, err := parseRate(body)
		if err != nil {
			return nil, fmt.Errorf("expression %q: %v", s, err)
		}
		return &Expr{Kind: Rate, Src: s, Every: d}, nil
	case "at":
		t, err := time.Parse("2006-01-02T15:04:05", body)
		if err != nil {
			return nil, fmt.Errorf("expression %q: want at(yyyy-mm-ddThh:mm:ss)", s)
		}
		return &Expr{Kind: At, Src: s, AtTime: t}, nil
	}
	return nil, fmt.Errorf("expression %q: want cron(...), rate(...) or at(...)", s)
}

func parseRate(body string) (time.Duration, error) {
	f := strings.Fields(body)
	if len(f) != 2 {
		return 0, fmt.Errorf("want rate(value unit)")
	}
	n, err := strconv.Atoi(f[0])
	if err != nil || n < 1 {
		return 0, fmt.Errorf("rate value must be a positive whole number")
	}
	unit := map[string]time.Duration{"minute": time.Minute, "minutes": time.Minute, "hour": time.Hour, "hours": time.Hour, "day": 24 * time.Hour, "days": 24 * time.Hour}[f[1]]
	if unit == 0 {
		return 0, fmt.Errorf("rate unit must be minute(s), hour(s) or day(s)")
	}
	// AWS wants the singular with 1 and the plural otherwise.
	if (n == 1) == strings.HasSuffix(f[1], "s") {
		return 0, fmt.Errorf("use %q with 1 and the plural otherwise", strings.TrimSuffix(f[1], "s"))
	}
	return time.Duration(n) * unit, nil
}

var monthNames = map[string]int{"JAN": 1, "FEB": 2, "MAR": 3, "APR": 4, "MAY": 5, "JUN": 6, "JUL": 7, "AUG": 8, "SEP": 9, "OCT": 10, "NOV": 11, "DEC": 12}
var dayNames = map[string]int{"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}

func parseCron(body string) (*cronSpec, error) {
	f := strings.Fields(body)
	if len(f) != 6 {
		return nil, fmt.Errorf("cron needs 6 fields (minutes hours day-of-month month day-of-week year), got %d", len(f))
	}
	c := &cronSpec{}
	if err := setList(f[0], 0, 59, nil, true, c.minutes[:]); err != nil {
		return nil, fmt.Errorf("minutes: %v", err)
	}
	if err := setList(f[1], 0, 23, nil, true, c.hours[:]); err != nil {
		return nil, fmt.Errorf("hours: %v", err)
	}
	if err := setList(f[3], 1, 12, monthNames, true, c.months[:]); err != nil {
		return nil, fmt.Errorf("month: %v", err)
	}
	if f[5] == "*" {
		c.anyYear = true
	} else {
		years := make([]bool, 2200)
		if err := setList(f[5], 1970, 2199, nil, false, years); err != nil {
			return nil, fmt.Errorf("year: %v", err)
		}
		c.years = map[int]bool{}
		for y, ok := range years {
			if ok {
				c.years[y] = true
			}
		}
	}
	c.domAny, c.dowAny = f[2] == "?", f[4] == "?"
	if c.domAny == c.dowAny {
		return nil, fmt.Errorf("one of day-of-month and day-of-week must be '?' and the other not")
	}
	if !c.domAny {
		if err := parseDOM(f[2], &c.dom); err != nil {
			return nil, fmt.Errorf("day-of-month: %v", err)
		}
	}
	if !c.dowAny {
		if err := parseDOW(f[4], &c.dow); err != nil {
			return nil, fmt.Errorf("day-of-week: %v", err)
		}
	}
	return c, nil
}

func parseDOM(s string, d *domSpec) error {
	switch {
	case s == "L":
		d.last = true
		return nil
	case strings.HasSuffix(s, "W"):
		n, err := strconv.Atoi(strings.TrimSuffix(s, "W"))
		if err != nil || n < 1 || n > 31 {
			return fmt.Errorf("%q: want nW with n in 1-31", s)
		}
		d.weekday = n
		return nil
	}
	return setList(s, 1, 31, nil, true, d.days[:])
}

func parseDOW(s string, d *dowSpec) error {
	if day, k, ok := strings.Cut(s, "#"); ok {
		n, err1 := value(day, dayNames)
		w, err2 := strconv.Atoi(k)
		if err1 != nil || err2 != nil || n < 1 || n > 7 || w < 1 || w > 5 {
			return fmt.Errorf("%q: want d#k with d in 1-7 (SUN-SAT) and k in 1-5", s)
		}
		d.nth, d.nthWeek = n, w
		return nil
	}
	if len(s) > 1 && strings.HasSuffix(s, "L") {
		n, err := value(strings.TrimSuffix(s, "L"), dayNames)
		if err != nil || n < 1 || n > 7 {
			return fmt.Errorf("%q: want dL with d in 1-7 (SUN-SAT)", s)
		}
		d.lastOf = n
		return nil
	}
	if s == "L" {
		d.days[7] = true // L alone is the last day of the week, Saturday
		return nil
	}
	return setList(s, 1, 7, dayNames, true, d.days[:])
}

func value(s string, names map[string]int) (int, error) {
	if n, ok := names[strings.ToUpper(s)]; ok {
		return n, nil
	}
	return strconv.Atoi(s)
}

// setList sets out[v] for every v a field's list of values, ranges and
// steps names. With wrap, a range whose start is above its end runs past
// the field's end and on from its start: the EventBridge User Guide's
// examples include cron(0/30 20-2 ? * MON-FRI *), "between 10:00 pm on the
// starting day to 2:00 am on the following day".
func setList(s string, lo, hi int, names map[string]int, wrap bool, out []bool) error {
	for _, part := range strings.Split(s, ",") {
		rng, stepS, hasStep := strings.Cut(part, "/")
		step := 1
		if hasStep {
			n, err := strconv.Atoi(stepS)
			if err != nil || n < 1 {
				return fmt.Errorf("%q: bad step", part)
			}
			step = n
		}
		from, to := lo, hi
		switch {
		case rng == "*":
		case strings.Contains(rng, "-"):
			a, b, _ := strings.Cut(rng, "-")
			var err1, err2 error
			from, err1 = value(a, names)
			to, err2 = value(b, names)
			if err1 != nil || err2 != nil {
				return fmt.Errorf("%q: bad range", part)
			}
		default:
			n, err := value(rng, names)
			if err != nil {
				return fmt.Errorf("%q: not a value", part)
			}
			from = n
			if !hasStep {
				to = n
			}
		}
		if from < lo || to > hi || (from > to && !wrap) {
			return fmt.Errorf("%q: outside %d-%d", part, lo, hi)
		}
		if from > to {
			to += hi - lo + 1
		}
		for v := from; v <= to; v += step {
			out[lo+(v-lo)%(hi-lo+1)] = true
		}
	}
	return nil
}

// Next returns the first run strictly after t, with the expression read in
// loc (nil means UTC). base is when a rate schedule started counting (its
// start date or creation time); cron and at ignore it. ok is false when the
// expression never runs again.
//
// A cron time that a daylight-saving change skips does not run that day, and
// one that repeats runs once, at its first occurrence: "When the time shifts
// forward in Spring, your schedule invocation gets skipped if the cron
// expression falls on a non-existent date and time. When the time shifts back
// in the Fall, your schedule runs only once and doesn't repeat its
// invocation" (AWS Knowledge Center, AWS official: "How can I adjust my
// Amazon EventBridge schedule for daylight saving?").
func (e *Expr) Next(t, base time.Time, loc *time.Location) (time.Time, bool) {
	if loc == nil {
		loc = time.UTC
	}
	switch e.Kind {
	case Rate:
		if base.After(t) {
			return base, true
		}
		n := t.Sub(base)/e.Every + 1
		return base.Add(n * e.Every), true
	case At:
		a := e.AtTime
		at := time.Date(a.Year(), a.Month(), a.Day(), a.Hour(), a.Minute(), a.Second(), 0, loc)
		return at, at.After(t)
	}
	c := e.cron
	lt := t.In(loc)
	day := time.Date(lt.Year(), lt.Month(), lt.Day(), 0, 0, 0, 0, loc)
	// Ten years of days bounds the search; a year field can end sooner.
	for i := 0; i < 366*10; i++ {
		d := day.AddDate(0, 0, i)
		if !c.anyYear && !c.years[d.Year()] {
			if c.lastYear() < d.Year() {
				return time.Time{}, false
			}
			continue
		}
		if !c.months[int(d.Month())] || !c.dayMatches(d) {
			continue
		}
		for h := 0; h < 24; h++ {
			if !c.hours[h] {
				continue
			}
			for m := 0; m < 60; m++ {
				if !c.minutes[m] {
					continue
				}
				run, ok := wallClock(d, h, m, loc)
				if ok && run.After(t) {
					return run, true
				}
			}
		}
	}
	return time.Time{}, false
}

// wallClock is the first instant whose clock in loc reads h:m on day d; ok
// is false when a daylight-saving change skips that clock time. time.Date
// alone does not do: it moves a skipped time past the gap, and for a
// repeated time it may return either instant.
func wallClock(d time.Time, h, m int, loc *time.Location) (time.Time, bool) {
	run := time.Date(d.Year(), d.Month(), d.Day(), h, m, 0, 0, loc)
	if run.Day() != d.Day() || run.Hour() != h || run.Minute() != m {
		return time.Time{}, false
	}
	// Zone offsets change by multiples of 15 minutes, by at most 2 hours.
	for back := 15 * time.Minute; back <= 2*time.Hour; back += 15 * time.Minute {
		if e := run.Add(-back); e.Day() == run.Day() && e.Hour() == h && e.Minute() == m {
			run = e
		}
	}
	return run, true
}

func (c *cronSpec) lastYear() int {
	last := 0
	for y := range c.years {
		last = max(last, y)
	}
	return last
}

func daysIn(y int, m time.Month) int { return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day() }

func (c *cronSpec) dayMatches(d time.Time) bool {
	n := daysIn(d.Year(), d.Month())
	if !c.domAny {
		switch {
		case c.dom.last:
			return d.Day() == n
		case c.dom.weekday > 0:
			return d.Day() == nearestWeekday(d.Year(), d.Month(), min(c.dom.weekday, n))
		}
		return c.dom.days[d.Day()]
	}
	wd := int(d.Weekday()) + 1 // SUN = 1
	switch {
	case c.dow.lastOf > 0:
		return wd == c.dow.lastOf && d.Day()+7 > n
	case c.dow.nth > 0:
		return wd == c.dow.nth && (d.Day()-1)/7+1 == c.dow.nthWeek
	}
	return c.dow.days[wd]
}

// nearestWeekday is the weekday nearest to day n of the month, not leaving
// the month (AWS: "3W" on a Saturday the 3rd... runs Friday the 2nd; "1W" on
// a Saturday runs Monday the 3rd).
func nearestWeekday(y int, m time.Month, n int) int {
	d := time.Date(y, m, n, 0, 0, 0, 0, time.UTC)
	switch d.Weekday() {
	case time.Saturday:
		if n == 1 {
			return 3
		}
		return n - 1
	case time.Sunday:
		if n == daysIn(y, m) {
			return n - 2
		}
		return n + 1
	}
	return n
}
