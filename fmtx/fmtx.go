// Package fmtx is the one place where ecsctl words durations, ages,
// estimates and percentages, so that the CLI (render/) and the dashboard
// (tui/) say the same thing the same way: ages 3h5m, percentages 52.3%.
package fmtx

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// Age is a compact age or duration for tables: 45s, 12m, 3h5m, 4d2h
// (negative counts as 0).
func Age(d time.Duration) string {
	sec := int64(d / time.Second)
	if sec < 0 {
		sec = 0
	}
	switch {
	case sec < 60:
		return fmt.Sprintf("%ds", sec)
	case sec < 3600:
		return fmt.Sprintf("%dm", sec/60)
	case sec < 86400:
		h, m := sec/3600, (sec%3600)/60
		if m == 0 {
			return fmt.Sprintf("%dh", h)
		}
		return fmt.Sprintf("%dh%dm", h, m)
	}
	days, h := sec/86400, (sec%86400)/3600
	if h == 0 {
		return fmt.Sprintf("%dd", days)
	}
	return fmt.Sprintf("%dd%dh", days, h)
}

// AgeSeconds is Age of a number of seconds.
func AgeSeconds(sec int64) string { return Age(time.Duration(sec) * time.Second) }

// Elapsed is a running time that moves every second: 50s, 5m30s, 1h2m.
func Elapsed(d time.Duration) string {
	d = max(0, d).Round(time.Second)
	switch {
	case d < time.Hour:
		m, s := int(d/time.Minute), int(d%time.Minute/time.Second)
		if m == 0 {
			return fmt.Sprintf("%ds", s)
		}
		return fmt.Sprintf("%dm%02ds", m, s)
	}
	return Age(d)
}

// Left words an estimate of the time a phase still takes: "about 3m left",
// "about 40s left", or, once the estimate has run out, "any moment now".
func Left(d time.Duration) string {
	switch {
	case d <= 0:
		return "any moment now"
	case d < time.Minute:
		return fmt.Sprintf("about %ds left", max(10, int(math.Round(d.Seconds()/10))*10))
	}
	return fmt.Sprintf("about %dm left", int(math.Round(d.Minutes())))
}

// Pct is a percentage with one decimal, or "-" when unknown: 52.3%.
func Pct(p *float64) string {
	if p == nil {
		return "-"
	}
	return strconv.FormatFloat(*p, 'f', 1, 64) + "%"
}

// Count is "1 task", "3 tasks": a number with its noun, singular or plural
// (nouns with a regular plural).
func Count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
