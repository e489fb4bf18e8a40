package sim

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The sandbox's own reading of EventBridge schedule expressions. It is
// deliberately independent of ecsctl's client-side parser (ops/cron/cronexpr):
// if the sandbox fired on whatever ecsctl believes, a wrong belief would pass
// every end-to-end test. A cross-check test compares the two.
//
// Sources:
//   - EventBridge User Guide, "Creating an Amazon EventBridge rule that runs
//     on a schedule" / "Cron expressions reference": six fields (Minutes 0-59,
//     Hours 0-23, Day-of-month 1-31, Month 1-12 or JAN-DEC, Day-of-week 1-7 or
//     SUN-SAT, Year 1970-2199); wildcards per field: minutes, hours, month and
//     year take , - * /; day-of-month takes , - * ? / L W; day-of-week takes
//     , - * ? L #. "You can't specify the Day-of-month and Day-of-week fields
//     in the same cron expression. If you specify a value or a * in one of
//     the fields, you must use a ? in the other." "3#2 would be the second
//     Tuesday"; "If you use a '#' character, you can define only one
//     expression in the day-of-week field". Its examples include
//     cron(0/30 20-2 ? * MON-FRI *) ("between 10:00 pm on the starting day
//     to 2:00 am on the following day"): a range may wrap past the field's
//     end. Rules always use UTC. rate(value unit): "If the value is equal to
//     1, then the unit must be singular. If the value is greater than 1, the
//     unit must be plural."
//   - EventBridge Scheduler User Guide, "Schedule types on EventBridge
//     Scheduler": the same cron and rate syntax evaluated in the schedule's
//     time zone, at(yyyy-mm-ddThh:mm:ss) for one-time schedules, 60-second
//     precision; the guide has a section on daylight saving time.
//   - AWS Knowledge Center (AWS official), "How can I adjust my Amazon
//     EventBridge schedule for daylight saving?": "When the time shifts
//     forward in Spring, your schedule invocation gets skipped if the cron
//     expression falls on a non-existent date and time. When the time shifts
//     back in the Fall, your schedule runs only once and doesn't repeat its
//     invocation"; a rate in days is 24 hours of elapsed time.
//
// The algorithm is a scan, not field arithmetic: each field is a set of
// values, matches answers "does this minute fire", and next walks forward
// minute by minute (skipping whole local hours that cannot match) over a
// bounded window.

type schedKind int

const (
	schedCron schedKind = iota + 1
	schedRate
	schedAt
)

// schedExpr is one parsed schedule expression.
type schedExpr struct {
	kind  schedKind
	every time.Duration // rate
	at    [6]int        // at: year, month, day, hour, minute, second (wall clock)
	cron  *cronSets
}

// cronSets holds each cron field as the set of values it admits.
type cronSets struct {
	minute, hour, month, year valueSet
	anyYear                   bool
	lastYear                  int // the year field's highest value
	// Exactly one of the day fields is '?'; the other decides the day.
	byWeekday bool
	dom       domRule
	dow       dowRule
}

// valueSet is a set of small integers lo..hi.
type valueSet struct {
	lo int
	in []bool
}

func newValueSet(lo, hi int) valueSet { return valueSet{lo: lo, in: make([]bool, hi-lo+1)} }

func (s valueSet) has(v int) bool { return v >= s.lo && v-s.lo < len(s.in) && s.in[v-s.lo] }

func (s valueSet) add(v int) { s.in[v-s.lo] = true }

func (s valueSet) max() int {
	for i := len(s.in) - 1; i >= 0; i-- {
		if s.in[i] {
			return s.lo + i
		}
	}
	return s.lo - 1
}

type domRule struct {
	days      valueSet
	lastDay   bool // L
	nearestTo int  // nW: the weekday nearest day n (0: unused)
}

type dowRule struct {
	days      valueSet // 1 = SUN .. 7 = SAT
	lastOf    int      // nL: the last weekday n of the month
	nth, nthK int      // n#k: the k-th weekday n of the month
}

var (
	schedMonthNames = []string{"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}
	schedDayNames   = []string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}
)

// parseSchedExpr reads cron(...), rate(...) or at(...).
func parseSchedExpr(s string) (*schedExpr, error) {
	s = strings.TrimSpace(s)
	for _, form := range []struct {
		prefix string
		parse  func(string) (*schedExpr, error)
	}{{"cron(", parseCronBody}, {"rate(", parseRateBody}, {"at(", parseAtBody}} {
		if strings.HasPrefix(s, form.prefix) && strings.HasSuffix(s, ")") {
			return form.parse(strings.TrimSpace(s[len(form.prefix) : len(s)-1]))
		}
	}
	return nil, fmt.Errorf("%q is not cron(...), rate(...) or at(...)", s)
}

func parseRateBody(body string) (*schedExpr, error) {
	f := strings.Fields(body)
	if len(f) != 2 {
		return nil, fmt.Errorf("rate needs a value and a unit")
	}
	n, err := strconv.Atoi(f[0])
	if err != nil || n <= 0 {
		return nil, fmt.Errorf("rate value %q is not a positive whole number", f[0])
	}
	unit := strings.TrimSuffix(f[1], "s")
	per := map[string]time.Duration{"minute": time.Minute, "hour": time.Hour, "day": 24 * time.Hour}[unit]
	if per == 0 {
		return nil, fmt.Errorf("rate unit %q is not minute(s), hour(s) or day(s)", f[1])
	}
	if plural := f[1] != unit; plural != (n > 1) {
		return nil, fmt.Errorf("rate unit %q: singular with 1, plural above", f[1])
	}
	return &schedExpr{kind: schedRate, every: time.Duration(n) * per}, nil
}

func parseAtBody(body string) (*schedExpr, error) {
	var w [6]int
	var rest string
	// Sscanf accepts signs and short numbers; the length check and the
	// round trip below keep only the exact yyyy-mm-ddThh:mm:ss form.
	n, _ := fmt.Sscanf(body, "%4d-%2d-%2dT%2d:%2d:%2d%s", &w[0], &w[1], &w[2], &w[3], &w[4], &w[5], &rest)
	if n != 6 || len(body) != len("2006-01-02T15:04:05") {
		return nil, fmt.Errorf("at(%s) is not at(yyyy-mm-ddThh:mm:ss)", body)
	}
	t := time.Date(w[0], time.Month(w[1]), w[2], w[3], w[4], w[5], 0, time.UTC)
	if t.Format("2006-01-02T15:04:05") != body {
		return nil, fmt.Errorf("at(%s) is not a valid date and time", body)
	}
	return &schedExpr{kind: schedAt, at: w}, nil
}

func parseCronBody(body string) (*schedExpr, error) {
	f := strings.Fields(body)
	if len(f) != 6 {
		return nil, fmt.Errorf("cron has %d fields, want 6 (minutes hours day-of-month month day-of-week year)", len(f))
	}
	c := &cronSets{}
	var err error
	if c.minute, err = parseValueList(f[0], 0, 59, nil, true); err != nil {
		return nil, fmt.Errorf("minutes: %w", err)
	}
	if c.hour, err = parseValueList(f[1], 0, 23, nil, true); err != nil {
		return nil, fmt.Errorf("hours: %w", err)
	}
	if c.month, err = parseValueList(f[3], 1, 12, schedMonthNames, true); err != nil {
		return nil, fmt.Errorf("month: %w", err)
	}
	if c.anyYear = f[5] == "*"; !c.anyYear {
		// A year range that wraps would mean "until 2199, then from 1970":
		// never useful, so it is refused rather than guessed.
		if c.year, err = parseValueList(f[5], 1970, 2199, nil, false); err != nil {
			return nil, fmt.Errorf("year: %w", err)
		}
		c.lastYear = c.year.max()
	}
	if err := c.parseDays(f[2], f[4]); err != nil {
		return nil, err
	}
	return &schedExpr{kind: schedCron, cron: c}, nil
}

// parseDays reads the two day fields, exactly one of which is '?'.
func (c *cronSets) parseDays(dom, dow string) error {
	if (dom == "?") == (dow == "?") {
		return fmt.Errorf("exactly one of day-of-month and day-of-week must be ?")
	}
	if c.byWeekday = dom == "?"; c.byWeekday {
		r, err := parseDOWField(dow)
		if err != nil {
			return fmt.Errorf("day-of-week: %w", err)
		}
		c.dow = r
		return nil
	}
	r, err := parseDOMField(dom)
	if err != nil {
		return fmt.Errorf("day-of-month: %w", err)
	}
	c.dom = r
	return nil
}

func parseDOMField(s string) (domRule, error) {
	if s == "L" {
		return domRule{lastDay: true}, nil
	}
	if n, ok := strings.CutSuffix(s, "W"); ok {
		// W takes one day, not a list or range (the docs' only form is 3W).
		d, err := strconv.Atoi(n)
		if err != nil || d < 1 || d > 31 {
			return domRule{}, fmt.Errorf("%q: W needs one day 1-31 before it", s)
		}
		return domRule{nearestTo: d}, nil
	}
	days, err := parseValueList(s, 1, 31, nil, true)
	return domRule{days: days}, err
}

func parseDOWField(s string) (dowRule, error) {
	if s == "L" {
		// "The L wildcard in the ... Day-of-week field specifies the last
		// day of ... the week": Saturday.
		days := newValueSet(1, 7)
		days.add(7)
		return dowRule{days: days}, nil
	}
	if d, k, ok := strings.Cut(s, "#"); ok {
		day, err1 := nameOrNumber(d, 1, 7, schedDayNames)
		nth, err2 := strconv.Atoi(k)
		if err1 != nil || err2 != nil || nth < 1 || nth > 5 {
			return dowRule{}, fmt.Errorf("%q: want day#k with day 1-7 or SUN-SAT and k 1-5", s)
		}
		return dowRule{nth: day, nthK: nth}, nil
	}
	if d, ok := strings.CutSuffix(s, "L"); ok {
		day, err := nameOrNumber(d, 1, 7, schedDayNames)
		if err != nil {
			return dowRule{}, fmt.Errorf("%q: want dayL with day 1-7 or SUN-SAT", s)
		}
		return dowRule{lastOf: day}, nil
	}
	// Day-of-week lists no / among its wildcards.
	if strings.Contains(s, "/") {
		return dowRule{}, fmt.Errorf("%q: day-of-week takes no / increment", s)
	}
	days, err := parseValueList(s, 1, 7, schedDayNames, true)
	return dowRule{days: days}, err
}

// parseValueList reads a comma list of *, n, a-b (wrapping past hi when
// a > b and wrap allows), each optionally /step.
func parseValueList(s string, lo, hi int, names []string, wrap bool) (valueSet, error) {
	set := newValueSet(lo, hi)
	for _, item := range strings.Split(s, ",") {
		if err := addListItem(set, item, lo, hi, names, wrap); err != nil {
			return set, err
		}
	}
	return set, nil
}

func addListItem(set valueSet, item string, lo, hi int, names []string, wrap bool) error {
	base, stepText, stepped := strings.Cut(item, "/")
	step := 1
	if stepped {
		n, err := strconv.Atoi(stepText)
		if err != nil || n < 1 {
			return fmt.Errorf("%q: the increment must be a positive number", item)
		}
		step = n
	}
	first, last, err := itemBounds(base, lo, hi, names, stepped)
	if err != nil {
		return fmt.Errorf("%q: %w", item, err)
	}
	if first > last && !wrap {
		return fmt.Errorf("%q: range runs backwards", item)
	}
	span := hi - lo + 1
	// Walk the range as offsets from first so a wrapped range (22-2) is
	// the same loop as a plain one.
	length := (last-first+span)%span + 1
	for off := 0; off < length; off += step {
		set.add(lo + (first-lo+off)%span)
	}
	return nil
}

// itemBounds is the first and last value an item's base names: * is the
// whole field, n/step runs from n to the field's end, n alone is n.
func itemBounds(base string, lo, hi int, names []string, stepped bool) (int, int, error) {
	if base == "*" {
		return lo, hi, nil
	}
	if a, b, isRange := strings.Cut(base, "-"); isRange {
		first, err1 := nameOrNumber(a, lo, hi, names)
		last, err2 := nameOrNumber(b, lo, hi, names)
		if err1 != nil {
			return 0, 0, err1
		}
		return first, last, err2
	}
	n, err := nameOrNumber(base, lo, hi, names)
	if stepped {
		return n, hi, err
	}
	return n, n, err
}

// nameOrNumber reads a value: a number lo..hi or one of names (names[0]
// being lo). Names are matched without regard to case, as Quartz, whose
// syntax EventBridge's follows, does.
func nameOrNumber(s string, lo, hi int, names []string) (int, error) {
	for i, name := range names {
		if strings.EqualFold(s, name) {
			return lo + i, nil
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("%q is not a value %d-%d", s, lo, hi)
	}
	return n, nil
}

// schedScanWindow bounds next's search: an expression that does not fire
// within it is treated as never firing again.
const schedScanWindow = 10 * 366 * 24 * time.Hour

// next is the first run strictly after t, reading the expression in loc
// (nil: UTC). base is when a rate starts counting (start date or creation);
// a rate's first run is at base. ok is false when it never runs again.
func (e *schedExpr) next(t, base time.Time, loc *time.Location) (time.Time, bool) {
	if loc == nil {
		loc = time.UTC
	}
	switch e.kind {
	case schedRate:
		if base.After(t) {
			return base, true
		}
		// Runs fall on base + k·every; take the first k past t.
		k := int64(t.Sub(base) / e.every)
		return base.Add(time.Duration(k+1) * e.every), true
	case schedAt:
		w := e.at
		run := time.Date(w[0], time.Month(w[1]), w[2], w[3], w[4], w[5], 0, loc)
		return run, run.After(t)
	}
	return e.cron.scan(t, loc)
}

// scan walks minute by minute from the minute after t, skipping the rest of
// a local hour that cannot match.
func (c *cronSets) scan(t time.Time, loc *time.Location) (time.Time, bool) {
	end := t.Add(schedScanWindow)
	for m := t.Truncate(time.Minute).Add(time.Minute); !m.After(end); {
		lt := m.In(loc)
		if !c.anyYear && lt.Year() > c.lastYear {
			return time.Time{}, false
		}
		if !c.dateMatches(lt) && lt.Hour() < 22 {
			// Most of a day that cannot match: jump to 22:00 local by the
			// clock. A daylight-saving change on the way moves the clock by
			// at most 2 hours, so the jump lands at the next midnight at
			// the latest and never over a minute of the next day.
			m = m.Add(time.Duration((22-lt.Hour())*60-lt.Minute()) * time.Minute)
			continue
		}
		if !c.dateMatches(lt) || !c.hour.has(lt.Hour()) {
			// Real minutes to the next :00 of local time: offsets are
			// whole minutes, so this lands on a local hour (or past a
			// skipped one) and never jumps over a minute that exists.
			m = m.Add(time.Duration(60-lt.Minute()) * time.Minute)
			continue
		}
		if c.matches(m, loc) {
			return lt, true
		}
		m = m.Add(time.Minute)
	}
	return time.Time{}, false
}

// matches reports whether the cron expression fires at the minute holding t.
func (c *cronSets) matches(t time.Time, loc *time.Location) bool {
	lt := t.In(loc)
	return c.dateMatches(lt) && c.hour.has(lt.Hour()) && c.minute.has(lt.Minute()) &&
		!repeatedWallClock(t.Truncate(time.Minute), lt, loc)
}

func (c *cronSets) dateMatches(lt time.Time) bool {
	if !c.anyYear && !c.year.has(lt.Year()) {
		return false
	}
	if !c.month.has(int(lt.Month())) {
		return false
	}
	if c.byWeekday {
		return c.dow.matches(lt)
	}
	return c.dom.matches(lt)
}

// lastDayOf is the number of days in lt's month.
func lastDayOf(lt time.Time) int {
	return time.Date(lt.Year(), lt.Month()+1, 0, 12, 0, 0, 0, time.UTC).Day()
}

func (r domRule) matches(lt time.Time) bool {
	switch {
	case r.lastDay:
		return lt.Day() == lastDayOf(lt)
	case r.nearestTo > 0:
		return lt.Day() == nearestWorkday(lt, r.nearestTo)
	}
	return r.days.has(lt.Day())
}

// nearestWorkday is the Monday-to-Friday day of lt's month closest to day
// n. It does not cross into another month (Quartz's rule: 1W on a Saturday
// the 1st is Monday the 3rd). The docs do not say what nW means in a month
// shorter than n; the sandbox takes the month's last day as n.
func nearestWorkday(lt time.Time, n int) int {
	last := lastDayOf(lt)
	n = min(n, last)
	wd := time.Date(lt.Year(), lt.Month(), n, 12, 0, 0, 0, time.UTC).Weekday()
	candidates := []int{n}
	switch wd {
	case time.Saturday:
		candidates = []int{n - 1, n + 2}
	case time.Sunday:
		candidates = []int{n + 1, n - 2}
	}
	for _, d := range candidates {
		if d >= 1 && d <= last {
			return d
		}
	}
	return n
}

func (r dowRule) matches(lt time.Time) bool {
	wd := int(lt.Weekday()) + 1 // SUN = 1
	switch {
	case r.lastOf > 0:
		return wd == r.lastOf && lt.Day() > lastDayOf(lt)-7
	case r.nth > 0:
		return wd == r.nth && (lt.Day()+6)/7 == r.nthK
	}
	return r.days.has(wd)
}

// repeatedWallClock reports whether the local minute lt (the instant m) has
// already occurred earlier, which happens in the hour a daylight-saving
// change repeats. Scheduler runs such a time once, so only the first
// occurrence fires. Offsets change by multiples of 15 minutes and by at
// most 2 hours in the time zone database.
func repeatedWallClock(m, lt time.Time, loc *time.Location) bool {
	for back := 15 * time.Minute; back <= 2*time.Hour; back += 15 * time.Minute {
		p := m.Add(-back).In(loc)
		if p.Year() == lt.Year() && p.YearDay() == lt.YearDay() && p.Hour() == lt.Hour() && p.Minute() == lt.Minute() {
			return true
		}
	}
	return false
}
