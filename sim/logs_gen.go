package sim

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand"
	"sort"
	"strings"
	"time"
)

// Deterministic log generation. Time is cut into one-minute slots aligned on
// the epoch; the events a container writes in slot k come from a random
// source seeded by (account seed, task id, container, k) only, so the same
// stream always holds the same events whenever and however often it is read.
//
// Each event has a timestamp and an ingestion time. Most are ingested well
// under a second after their timestamp; a LateFraction of them are ingested
// up to MaxLateness later, and are invisible to every read until then.

const logSlotMs = int64(60_000)

// genSeqPerSlot spaces the sequence numbers of generated events: slot k's
// events are numbered k*genSeqPerSlot + i.
const genSeqPerSlot = 10_000

func slotOf(t time.Time) int64 { return floorDiv(toMs(t), logSlotMs) }

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func hash64(parts ...string) uint64 {
	h := fnv.New64a()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return h.Sum64()
}

func streamHash(group, stream string) uint64 { return hash64(group, stream) }

// eventID is a 56-digit CloudWatch-style event ID, unique within a group.
func eventID(st *LogStreamData, e LogEvent) string {
	return fmt.Sprintf("%018d%020d%018d", st.hash%1_000_000_000_000_000_000, e.Timestamp, e.Seq%1_000_000_000_000_000_000)
}

// imageTag is the tag of an image reference ("" when it has none).

// isCrashImage reports whether the image's tag makes its container crash.
func isCrashImage(image string) bool { return strings.HasPrefix(imageTag(image), "crash-") }

func (s *Sim) crashAt() time.Duration { return s.Timings.CrashAfter.D() }

// genRecord is one thing a container prints: one or more lines (a stack
// trace is one event per line, as awslogs without a multiline pattern).
type genRecord struct {
	ts    int64
	lines []string
}

// genSlot returns the events gen's container writes with timestamps in slot
// k (before filtering by the container's stop), sorted.
func (s *Sim) genSlot(gen *StreamGen, k int64) []LogEvent {
	cfg := s.logs.Config
	seed := hash64(fmt.Sprint(s.opts.Seed), gen.TaskID, gen.Container, fmt.Sprint(k))
	r := rand.New(&splitMix{seed})
	lo, hi := k*logSlotMs, (k+1)*logSlotMs
	startMs := toMs(gen.Start)
	if hi <= startMs {
		return nil
	}
	style := hash64(gen.Container, gen.Image) % 3
	var recs []genRecord
	if startMs >= lo && startMs < hi {
		for i, l := range startupLines(gen, style) {
			recs = append(recs, genRecord{ts: startMs + 40 + int64(i)*35, lines: []string{l}})
		}
	}
	if isCrashImage(gen.Image) {
		crashMs := startMs + s.crashAt().Milliseconds() - 250
		if crashMs < startMs+200 {
			crashMs = startMs + 200
		}
		if crashMs >= lo && crashMs < hi {
			recs = append(recs, genRecord{ts: crashMs, lines: crashLines(r)})
		}
	} else {
		rate := cfg.LinesPerMinute
		if !gen.Essential {
			rate /= 3
		}
		from := lo
		if startMs+500 > from {
			from = startMs + 500
		}
		if from < hi && rate > 0 {
			rate *= float64(hi-from) / float64(logSlotMs)
			n := poisson(r, rate)
			for i := 0; i < n; i++ {
				ts := from + r.Int63n(hi-from)
				recs = append(recs, genRecord{ts: ts, lines: s.genMessage(r, style, ts)})
			}
		}
	}
	sort.SliceStable(recs, func(i, j int) bool { return recs[i].ts < recs[j].ts })
	var out []LogEvent
	for _, rec := range recs {
		ingest := rec.ts + 80 + r.Int63n(700)
		if cfg.LateFraction > 0 && r.Float64() < cfg.LateFraction && cfg.MaxLateness > time.Second {
			ingest = rec.ts + 1000 + r.Int63n(cfg.MaxLateness.Milliseconds()-1000+1)
		}
		for j, l := range rec.lines {
			if len(out) >= genSeqPerSlot {
				break
			}
			out = append(out, LogEvent{
				Seq:       k*genSeqPerSlot + int64(len(out)),
				Timestamp: rec.ts + int64(j),
				Ingestion: ingest,
				Message:   l,
			})
		}
	}
	return out
}

// poisson draws from a Poisson distribution of mean m (normal approximation
// for large means), capped so one slot stays bounded.
func poisson(r *rand.Rand, m float64) int {
	if m <= 0 {
		return 0
	}
	var n int
	if m < 30 {
		limit, p := math.Exp(-m), 1.0
		for {
			p *= r.Float64()
			if p <= limit {
				break
			}
			n++
		}
	} else {
		n = int(math.Round(m + r.NormFloat64()*math.Sqrt(m)))
	}
	return max(0, min(n, genSeqPerSlot/4))
}

var (
	genPaths    = []string{"/v1/orders/%d", "/v1/users/%d", "/v1/cart", "/healthz", "/v1/orders", "/v1/products/%d", "/static/app.js"}
	genMethods  = []string{"GET", "GET", "GET", "POST", "GET", "PUT", "DELETE"}
	genInfoMsgs = []string{"order processed", "cache refreshed", "user session created", "payment authorized", "inventory reserved", "request completed", "connection pool stats"}
	genWarnMsgs = []string{"slow query", "retrying upstream call", "cache miss ratio high", "request took longer than 1s"}
	genErrMsgs  = []string{"upstream returned 503", "database timeout after 5s", "failed to publish event", "invalid request payload"}
)

func traceID(r *rand.Rand) string { return fmt.Sprintf("%016x%016x", r.Uint64(), r.Uint64()) }

// genMessage returns what a container prints at ts: an access-log line, a
// JSON line, or (rarely) an error with a stack trace.
func (s *Sim) genMessage(r *rand.Rand, style uint64, ts int64) []string {
	p := r.Float64()
	if p < 0.015 {
		return javaTrace(r, ts)
	}
	access := style == 0 || (style == 2 && r.Float64() < 0.5)
	if access {
		i := r.Intn(len(genPaths))
		path := genPaths[i]
		if strings.Contains(path, "%d") {
			path = fmt.Sprintf(path, 100+r.Intn(9900))
		}
		status := 200
		switch q := r.Float64(); {
		case q < 0.02:
			status = 500
		case q < 0.05:
			status = 404
		case q < 0.10:
			status = 304
		case genMethods[i] == "POST":
			status = 201
		}
		return []string{fmt.Sprintf(`10.0.%d.%d - - [%s] "%s %s HTTP/1.1" %d %d %.3f`,
			r.Intn(8), 2+r.Intn(250), fromMs(ts).Format("02/Jan/2006:15:04:05 -0700"),
			genMethods[i], path, status, 64+r.Intn(8000), 0.002+r.Float64()*0.4)}
	}
	level, msg := "info", genInfoMsgs[r.Intn(len(genInfoMsgs))]
	switch q := r.Float64(); {
	case q < 0.04:
		level, msg = "error", genErrMsgs[r.Intn(len(genErrMsgs))]
	case q < 0.14:
		level, msg = "warn", genWarnMsgs[r.Intn(len(genWarnMsgs))]
	}
	return []string{fmt.Sprintf(`{"level":%q,"ts":%q,"msg":%q,"trace_id":%q,"duration_ms":%d}`,
		level, fromMs(ts).Format("2006-01-02T15:04:05.000Z07:00"), msg, traceID(r), 1+r.Intn(900))}
}

func javaTrace(r *rand.Rand, ts int64) []string {
	msg := genErrMsgs[r.Intn(len(genErrMsgs))]
	return []string{
		fmt.Sprintf("ERROR %s [http-nio-8080-exec-%d] request failed: java.lang.IllegalStateException: %s",
			fromMs(ts).Format("2006-01-02T15:04:05.000Z07:00"), 1+r.Intn(16), msg),
		"\tat com.example.orders.InventoryClient.reserve(InventoryClient.java:88)",
		"\tat com.example.orders.OrderService.place(OrderService.java:142)",
		"\tat com.example.orders.OrderController.create(OrderController.java:57)",
		"\tat java.base/java.lang.Thread.run(Thread.java:1583)",
	}
}

func startupLines(gen *StreamGen, style uint64) []string {
	lines := []string{
		fmt.Sprintf(`{"level":"info","msg":"starting %s","image":%q,"task_id":%q}`, gen.Container, gen.Image, gen.TaskID),
		`{"level":"info","msg":"configuration loaded"}`,
	}
	if style != 1 {
		lines = append(lines, "Listening on 0.0.0.0:8080")
	}
	return lines
}

func crashLines(r *rand.Rand) []string {
	host := fmt.Sprintf("10.0.%d.%d:5432", r.Intn(8), 2+r.Intn(250))
	return []string{
		fmt.Sprintf(`{"level":"fatal","msg":"startup failed","error":"dial tcp %s: connect: connection refused"}`, host),
		fmt.Sprintf("panic: startup failed: dial tcp %s: connect: connection refused", host),
		"goroutine 1 [running]:",
		"main.mustConnect(...)",
		"\t/src/cmd/server/main.go:88 +0x1a5",
		"main.main()",
		"\t/src/cmd/server/main.go:41 +0x6f",
	}
}

func shutdownLines(gen *StreamGen) []string {
	if gen.ExitCode != nil && *gen.ExitCode != 0 && *gen.ExitCode != 143 && *gen.ExitCode != 137 {
		return []string{fmt.Sprintf(`{"level":"error","msg":"exiting","code":%d}`, *gen.ExitCode)}
	}
	return []string{
		`{"level":"info","msg":"received SIGTERM, draining connections"}`,
		`{"level":"info","msg":"shutdown complete"}`,
	}
}

// splitMix is a small, fast random source (SplitMix64): a generator is made
// per stream and slot, and math/rand's default source is slow to seed.
type splitMix struct{ x uint64 }

func (m *splitMix) Uint64() uint64 {
	m.x += 0x9e3779b97f4a7c15
	z := m.x
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func (m *splitMix) Int63() int64    { return int64(m.Uint64() >> 1) }
func (m *splitMix) Seed(seed int64) { m.x = uint64(seed) }
