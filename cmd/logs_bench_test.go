package cmd

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"ecsctl/ops/logs"
	"ecsctl/render"
	"ecsctl/sim"
)

// logsBenchResult is what one follow measured.
type logsBenchResult struct {
	printed int
	elapsed time.Duration
	lat     []float64 // real seconds from ingestion to print
	calls   int
	ids     map[string]int
}

func (r *logsBenchResult) report(b *testing.B) {
	sort.Float64s(r.lat)
	pct := func(p float64) float64 {
		if len(r.lat) == 0 {
			return 0
		}
		return r.lat[int(p*float64(len(r.lat)-1))]
	}
	b.ReportMetric(float64(r.printed)/r.elapsed.Seconds(), "events/s")
	b.ReportMetric(pct(0.5), "p50-latency-s")
	b.ReportMetric(pct(0.99), "p99-latency-s")
	b.ReportMetric(float64(r.calls)/r.elapsed.Minutes(), "calls/min")
}

// logsBenchFollow follows small/bulk from start to until through url,
// rendering text to a pipe, and measures it. now is the server's virtual
// clock.
func logsBenchFollow(b *testing.B, url string, live bool, speed float64, start, until time.Time, now func() time.Time, calls func() int) *logsBenchResult {
	b.Helper()
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""), BaseEndpoint: aws.String(url)}
	cl := &clients{cfg: cfg, ECS: ecs.NewFromConfig(cfg), Logs: cloudwatchlogs.NewFromConfig(cfg)}
	pr, pw, err := os.Pipe()
	if err != nil {
		b.Fatal(err)
	}
	var drained sync.WaitGroup
	drained.Add(1)
	go func() {
		defer drained.Done()
		r := bufio.NewReaderSize(pr, 1<<20)
		buf := make([]byte, 1<<20)
		for {
			if _, err := r.Read(buf); err != nil {
				return
			}
		}
	}()
	ios := &render.IO{Out: pw, Err: &nopWriter{}, Env: func(string) string { return "" }}
	printer := render.NewLogsPrinter(ios, render.LogsOptions{})
	res := &logsBenchResult{ids: map[string]int{}}
	t := &logs.Tailer{ECS: cl.ECS, Logs: logsClients(cl), Region: "us-east-1", PollInterval: time.Second,
		Emit: func(ls []logs.Line) error {
			if err := printer.Print(ls); err != nil {
				return err
			}
			n := now()
			for _, l := range ls {
				res.ids[l.Stream+" "+strconv.FormatInt(l.Time.UnixMilli(), 10)+" "+l.Message]++
				res.lat = append(res.lat, n.Sub(l.Ingested).Seconds()/speed)
			}
			return nil
		}}
	if live {
		t.StartLive = logsLiveStarter(cl)
	}
	c0 := calls()
	realStart := time.Now()
	err = t.Tail(context.Background(), logs.Request{Cluster: "small", Service: "bulk", Follow: true, Since: start, Until: until})
	res.elapsed = time.Since(realStart)
	res.calls = calls() - c0
	pw.Close()
	drained.Wait()
	if err != nil {
		b.Fatal(err)
	}
	res.printed = printer.Printed
	return res
}

// BenchmarkLogsFollow200Tasks follows a 200-task service of the sandbox
// writing about 20,000 events per real second (LOGS_BENCH_LPM lines per
// virtual minute per task, default 100, clock at 60×) for 10 virtual
// minutes, rendering text to a pipe, by polling and through live tail. It
// reports events/s printed, the latency from CloudWatch ingesting an event
// (sandbox clock) to ecsctl printing it, API calls per real minute, and
// misses/duplicates against the sandbox's record.
//
// The sandbox generates the events as they are read (sim.genSlot, under its
// lock), which costs more than ecsctl's reading them: see
// BenchmarkLogsCeiling for ecsctl against a fast fake.
//
//	go test ./cmd -run '^$' -bench LogsFollow200 -benchtime 1x
func BenchmarkLogsFollow200Tasks(b *testing.B) {
	for _, mode := range []string{"poll", "live"} {
		b.Run(mode, func(b *testing.B) {
			const speed = 60.0
			w := bulkWorld(200)
			lpm := 100.0
			if v, err := strconv.ParseFloat(os.Getenv("LOGS_BENCH_LPM"), 64); err == nil && v > 0 {
				lpm = v
			}
			// 3000 events kept per stream: 200 streams stay under the
			// sandbox's cap of a million events held.
			w.Logs = &sim.LogsSpec{LinesPerMinute: lpm, RetainEvents: 3000}
			s := sim.New(sim.Options{Seed: 7, Speed: speed})
			if err := s.LoadWorld(w); err != nil {
				b.Fatal(err)
			}
			srv := httptest.NewServer(sim.NewServer(s, sim.DefaultRegistry))
			defer srv.Close()
			now := func() time.Time {
				s.Lock()
				defer s.Unlock()
				return s.Now()
			}
			calls := func() int {
				n := 0
				for _, c := range s.RequestCounts() {
					n += c
				}
				return n
			}
			for i := 0; i < b.N; i++ {
				// The sandbox generates a stream's history when it is first
				// read (the tasks have been running for a while): do that
				// before the clock starts, to measure the steady state.
				s.LogEventsWritten("/ecs/small/bulk", nil, now(), time.Time{})
				start := now()
				until := start.Add(10 * time.Minute)
				r := logsBenchFollow(b, srv.URL, mode == "live", speed, start, until, now, calls)
				want := s.LogEventsWritten("/ecs/small/bulk", nil, start, until)
				// Two events written with the same stream, millisecond and
				// message share a key: a key printed more often than it was
				// written is a duplicate, less often a miss.
				written := map[string]int{}
				for _, e := range want {
					written[e.Stream+" "+strconv.FormatInt(e.Timestamp.UnixMilli(), 10)+" "+e.Message]++
				}
				misses, dups := 0, 0
				for k, n := range written {
					misses += max(0, n-r.ids[k])
				}
				for k, n := range r.ids {
					if w, ok := written[k]; ok && n > w {
						dups += n - w
					} else if !ok && n > 1 {
						dups += n - 1 // outside the window compared
					}
				}
				r.report(b)
				b.ReportMetric(float64(misses), "misses")
				b.ReportMetric(float64(dups), "duplicates")
				b.Logf("%s: %d events printed in %s (%d expected), %d API calls", mode, r.printed, r.elapsed.Round(time.Millisecond), len(want), r.calls)
			}
		})
	}
}

// logsFastLogs is a fast fake of CloudWatch Logs FilterLogEvents (awsJson
// 1.1 over HTTP): stream k of every request writes one event every period
// of virtual time, at offset k ms, ingested 100 ms later; messages come from
// a small prepared set. Everything else goes to the sandbox (ECS).
type logsFastLogs struct {
	next   http.Handler
	period int64 // ms
	start  time.Time
	speed  float64
	realT0 time.Time
	msgs   []string
	mu     sync.Mutex
	calls  int
}

func (f *logsFastLogs) now() time.Time {
	return f.start.Add(time.Duration(float64(time.Since(f.realT0)) * f.speed)).Truncate(time.Millisecond)
}

type logsFastReq struct {
	LogStreamNames []string `json:"logStreamNames"`
	StartTime      int64    `json:"startTime"`
	EndTime        *int64   `json:"endTime"`
	NextToken      string   `json:"nextToken"`
}

type logsFastEvent struct {
	LogStreamName string `json:"logStreamName"`
	Timestamp     int64  `json:"timestamp"`
	Message       string `json:"message"`
	IngestionTime int64  `json:"ingestionTime"`
	EventID       string `json:"eventId"`
}

func (f *logsFastLogs) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	if !strings.HasPrefix(target, "Logs_20140328.") {
		f.next.ServeHTTP(w, r)
		return
	}
	f.mu.Lock()
	f.calls++
	f.mu.Unlock()
	now := f.now()
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("Date", now.UTC().Format(http.TimeFormat))
	if target != "Logs_20140328.FilterLogEvents" {
		w.WriteHeader(400)
		fmt.Fprintf(w, `{"__type":"UnknownOperationException","message":"not in the fast fake"}`)
		return
	}
	var in logsFastReq
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		w.WriteHeader(400)
		return
	}
	names := append([]string(nil), in.LogStreamNames...)
	sort.Strings(names)
	end := now.UnixMilli() - 100 // ingested by now
	if in.EndTime != nil && *in.EndTime < end {
		end = *in.EndTime
	}
	// Events are ordered by (timestamp, stream); the token is the next
	// timestamp slot to read.
	from := in.StartTime
	if in.NextToken != "" {
		from, _ = strconv.ParseInt(in.NextToken, 10, 64)
	}
	slot := (from + f.period - 1) / f.period * f.period
	var out struct {
		Events    []logsFastEvent `json:"events"`
		NextToken *string         `json:"nextToken,omitempty"`
	}
	out.Events = make([]logsFastEvent, 0, 1024)
	for ; slot <= end; slot += f.period {
		if len(out.Events)+len(names) > 10000 {
			tok := strconv.FormatInt(slot, 10)
			out.NextToken = &tok
			break
		}
		for k, n := range names {
			ts := slot + int64(k)
			if ts < from || ts > end {
				continue
			}
			out.Events = append(out.Events, logsFastEvent{LogStreamName: n, Timestamp: ts, IngestionTime: ts + 100,
				Message: f.msgs[(slot/f.period+int64(k))%int64(len(f.msgs))], EventID: n[len(n)-8:] + strconv.FormatInt(ts, 10)})
		}
	}
	_ = json.NewEncoder(w).Encode(&out)
}

// BenchmarkLogsCeiling measures ecsctl's own ceiling: following 200 tasks
// (polling) against a fast fake of FilterLogEvents that writes
// LOGS_CEILING_RATE events per real second (default 40,000), rendering to a
// pipe. Events/s printed at or near the rate with a low latency means ecsctl
// keeps up; below it, ecsctl (SDK decoding, merging, printing, in the same
// process as the fake) is the limit.
//
//	go test ./cmd -run '^$' -bench LogsCeiling -benchtime 1x
func BenchmarkLogsCeiling(b *testing.B) {
	const speed = 60.0
	rate := 40000.0
	if v, err := strconv.ParseFloat(os.Getenv("LOGS_CEILING_RATE"), 64); err == nil && v > 0 {
		rate = v
	}
	w := bulkWorld(200)
	w.Logs = &sim.LogsSpec{LinesPerMinute: 1}
	s := sim.New(sim.Options{Seed: 7, Speed: speed})
	if err := s.LoadWorld(w); err != nil {
		b.Fatal(err)
	}
	s.Lock()
	vstart := s.Now()
	s.Unlock()
	msgs := make([]string, 64)
	for i := range msgs {
		msgs[i] = fmt.Sprintf(`{"level":"info","msg":"request completed","path":"/v1/orders/%d","trace_id":"%032x","duration_ms":%d}`, i*37, i*7919, i*13)
	}
	// 200 streams × (1000/period) events per virtual second × speed = rate.
	period := int64(200 * 1000 * speed / rate)
	fake := &logsFastLogs{next: sim.NewServer(s, sim.DefaultRegistry), period: max(period, 200), start: vstart, speed: speed, realT0: time.Now(), msgs: msgs}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	calls := func() int {
		fake.mu.Lock()
		defer fake.mu.Unlock()
		n := fake.calls
		for _, c := range s.RequestCounts() {
			n += c
		}
		return n
	}
	b.Run("follow", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			start := fake.now()
			until := start.Add(10 * time.Minute)
			r := logsBenchFollow(b, srv.URL, false, speed, start, until, fake.now, calls)
			written := int(10*60*1000/fake.period) * 200
			r.report(b)
			b.ReportMetric(float64(written)/600*speed, "written-events/s")
			b.Logf("%d events printed in %s (%d written in the range), %d API calls", r.printed, r.elapsed.Round(time.Millisecond), written, r.calls)
		}
	})
	// The pipeline flat out: 10 virtual minutes already written, read as a
	// range (FilterLogEvents pages → SDK decoding → merge → text to a pipe)
	// without any waiting.
	b.Run("range", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			until := fake.now()
			r := logsBenchRange(b, srv.URL, until.Add(-10*time.Minute), until)
			b.ReportMetric(float64(r.printed)/r.elapsed.Seconds(), "events/s")
			b.Logf("%d events printed in %s", r.printed, r.elapsed.Round(time.Millisecond))
		}
	})
}

// logsBenchRange reads small/bulk over [since, until] to a pipe.
func logsBenchRange(b *testing.B, url string, since, until time.Time) *logsBenchResult {
	b.Helper()
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""), BaseEndpoint: aws.String(url)}
	cl := &clients{cfg: cfg, ECS: ecs.NewFromConfig(cfg), Logs: cloudwatchlogs.NewFromConfig(cfg)}
	pr, pw, err := os.Pipe()
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 1<<20)
		for {
			if _, err := pr.Read(buf); err != nil {
				return
			}
		}
	}()
	printer := render.NewLogsPrinter(&render.IO{Out: pw, Err: &nopWriter{}, Env: func(string) string { return "" }}, render.LogsOptions{})
	t := &logs.Tailer{ECS: cl.ECS, Logs: logsClients(cl), Region: "us-east-1", RangeSlice: time.Minute, Emit: printer.Print}
	realStart := time.Now()
	err = t.Tail(context.Background(), logs.Request{Cluster: "small", Service: "bulk", Since: since, Until: until})
	r := &logsBenchResult{elapsed: time.Since(realStart)}
	pw.Close()
	<-done
	if err != nil {
		b.Fatal(err)
	}
	r.printed = printer.Printed
	return r
}

type nopWriter struct{}

func (*nopWriter) Write(p []byte) (int, error) { return len(p), nil }
