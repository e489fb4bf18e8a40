package logs

import (
	"fmt"
	"testing"
	"time"
)

// FuzzLogsDedup drives the de-dup window with reads from a poll (with event
// ids, re-reading what it read before) and a live session (without ids,
// each event once), and forgets in between. Property: once the window is
// past, every event is printed exactly once per copy written: identical
// events (same stream, time, ingestion and message) as many times as they
// were written, never more.
//
// Each input byte is one step: the low 3 bits pick one of 8 events
// (events 6 and 7 are identical copies), bit 3 the source (poll or live),
// bit 4..5 an action (read, read, read, forget events older than the
// step's event).
func FuzzLogsDedup(f *testing.F) {
	f.Add([]byte{0x00, 0x08, 0x01, 0x09, 0x06, 0x0e, 0x07, 0x0f})
	f.Add([]byte{0x08, 0x00, 0x00, 0x08, 0x36, 0x06, 0x07})
	f.Add([]byte{0x0e, 0x0f, 0x06, 0x07, 0x06})
	f.Fuzz(func(t *testing.T, steps []byte) {
		d := newLogsDedup()
		d.trackContent()
		event := func(i int) Line {
			msg, ts := fmt.Sprintf("m%d", i), int64(i)
			if i >= 6 {
				msg, ts = "same", 6
			}
			return Line{ID: fmt.Sprintf("id%d", i), Group: "/g", Stream: "s", Time: time.UnixMilli(ts * 1000), Ingested: time.UnixMilli(ts*1000 + 50), Message: msg}
		}
		printed := map[int]int{}   // event → times printed (6 and 7 pooled under 6)
		liveSent := map[int]bool{} // a session delivers each event once
		horizon := int64(0)        // forget(horizon) was called: older events are not read again
		for _, b := range steps {
			i := int(b & 7)
			live := b&8 != 0
			l := event(i)
			if (b>>4)&3 == 3 {
				if ms := l.Time.UnixMilli(); ms > horizon {
					horizon = ms
					d.forget(ms)
				}
				continue
			}
			if l.Time.UnixMilli() < horizon {
				continue // reads start at the horizon
			}
			if live {
				if liveSent[i] {
					continue
				}
				liveSent[i] = true
			}
			k := min(i, 6)
			if d.admit(&l, live) {
				printed[k]++
			}
		}
		for k, n := range printed {
			copies := 1
			if k == 6 {
				copies = 2
			}
			if n > copies {
				t.Fatalf("event %d printed %d times (%d written)", k, n, copies)
			}
		}
		// Both copies of the identical event, read by a poll that reads
		// everything from the horizon, are printed (once each) in the end.
		if horizon <= 6000 {
			for _, i := range []int{6, 7} {
				l := event(i)
				if d.admit(&l, false) {
					printed[6]++
				}
			}
			if printed[6] != 2 {
				t.Fatalf("identical events printed %d times in all, 2 written", printed[6])
			}
		}
		if d.size() > 2*8 {
			t.Fatalf("%d entries for 8 events", d.size())
		}
	})
}
