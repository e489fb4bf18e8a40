package logs

import (
	"hash/maphash"
	"strconv"
)

// logsDedup decides whether an event read from CloudWatch Logs is new.
//
// Polled events (FilterLogEvents) carry an event id: an id seen before is a
// repeat. Live tail events carry none, so when live tail is in use events are
// also counted by content (stream, timestamp, ingestion time, message): a
// key's events are printed as many times as the source that saw most of
// them saw it — max(distinct polled ids, live deliveries). An event read by
// both a poll and the live session is printed once; two identical events
// (same stream, millisecond, ingestion and message) are printed twice, as
// they were written.
//
// Memory is bounded by forget: entries of events older than the oldest
// timestamp any later read can return are dropped.
type logsDedup struct {
	ids map[string]int64 // event id → timestamp (ms)
	// content is nil until live tail is used.
	content map[uint64]logsDedupCount
	seed    maphash.Seed
	// floor is the newest forget point: nothing is known of events older.
	floor int64
}

type logsDedupCount struct {
	ts         int64
	poll, live uint32
}

func newLogsDedup() *logsDedup {
	return &logsDedup{ids: map[string]int64{}, seed: maphash.MakeSeed()}
}

// trackContent starts counting by content (live tail is about to be used).
func (d *logsDedup) trackContent() {
	if d.content == nil {
		d.content = map[uint64]logsDedupCount{}
	}
}

func (d *logsDedup) key(l *Line) uint64 {
	var h maphash.Hash
	h.SetSeed(d.seed)
	var b [48]byte
	h.WriteString(l.Group)
	h.WriteByte(0)
	h.WriteString(l.Stream)
	h.WriteByte(0)
	h.Write(strconv.AppendInt(b[:0], l.Time.UnixMilli(), 10))
	h.WriteByte(0)
	h.Write(strconv.AppendInt(b[:0], l.Ingested.UnixMilli(), 10))
	h.WriteByte(0)
	h.WriteString(l.Message)
	return h.Sum64()
}

// admit reports whether l is to be printed. live: it came from a live tail
// session (no event id).
func (d *logsDedup) admit(l *Line, live bool) bool {
	if !live {
		if _, dup := d.ids[l.ID]; dup {
			return false
		}
		d.ids[l.ID] = l.Time.UnixMilli()
		if d.content == nil {
			return true
		}
	}
	if d.content == nil {
		d.trackContent()
	}
	k := d.key(l)
	c := d.content[k]
	c.ts = l.Time.UnixMilli()
	var print bool
	if live {
		c.live++
		print = c.live > c.poll
	} else {
		c.poll++
		print = c.poll > c.live
	}
	d.content[k] = c
	return print
}

// forget drops what is known of events with timestamps before ms.
func (d *logsDedup) forget(ms int64) {
	d.floor = max(d.floor, ms)
	for id, ts := range d.ids {
		if ts < ms {
			delete(d.ids, id)
		}
	}
	for k, c := range d.content {
		if c.ts < ms {
			delete(d.content, k)
		}
	}
}

// reset forgets everything (between the slices of a range read).
func (d *logsDedup) reset() {
	clear(d.ids)
	clear(d.content)
}

func (d *logsDedup) size() int { return len(d.ids) + len(d.content) }
