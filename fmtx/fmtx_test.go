package fmtx

import (
	"testing"
	"time"
)

func TestWords(t *testing.T) {
	f := 52.34
	for _, c := range []struct{ got, want string }{
		{Age(45 * time.Second), "45s"}, {Age(12 * time.Minute), "12m"}, {Age(3*time.Hour + 5*time.Minute), "3h5m"},
		{Age(3 * time.Hour), "3h"}, {Age(98 * time.Hour), "4d2h"}, {Age(-time.Second), "0s"},
		{Elapsed(50 * time.Second), "50s"}, {Elapsed(5*time.Minute + 30*time.Second), "5m30s"}, {Elapsed(62 * time.Minute), "1h2m"},
		{Left(170 * time.Second), "about 3m left"}, {Left(42 * time.Second), "about 40s left"}, {Left(3 * time.Second), "about 10s left"}, {Left(0), "any moment now"},
		{Pct(&f), "52.3%"}, {Pct(nil), "-"},
		{Count(1, "task"), "1 task"}, {Count(0, "stream"), "0 streams"}, {Count(3, "task"), "3 tasks"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
