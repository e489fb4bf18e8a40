package tui

import (
	"ecsctl/ops/logs"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Benchmarks of the dashboard on the large world (1,000 services, 500
// instances, ~3,000 tasks) over loopback HTTP with the real SDK clients and
// ops read paths; the sandbox runs in-process on a manual clock.
//
//	go test ./tui -run '^$' -bench BenchmarkTopLarge -benchtime 120x
//
// 120 refreshes are ten minutes of the default 5 s refresh (the fake clock
// moves 5 s per refresh, so metrics are read once every 12).

// topCounter counts the SDK's HTTP requests by operation.
type topCounter struct {
	inner aws.HTTPClient
	mu    sync.Mutex
	n     map[string]int
}

func (c *topCounter) Do(r *http.Request) (*http.Response, error) {
	op := r.Header.Get("X-Amz-Target")
	if i := strings.LastIndexByte(op, '.'); i >= 0 {
		op = op[i+1:]
	}
	if op == "" {
		op = r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:]
	}
	if op == "" {
		op = "query:" + r.Host
	}
	c.mu.Lock()
	c.n[op]++
	c.mu.Unlock()
	return c.inner.Do(r)
}

func (c *topCounter) take() (total int, by map[string]int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	by = c.n
	c.n = map[string]int{}
	for _, v := range by {
		total += v
	}
	return total, by
}

// benchTopSandbox starts the large world in-process, or, with
// TOP_BENCH_ENDPOINT set (bench/top.sh), uses the `ecsctl sandbox --world
// large` listening there so that CPU and RSS are the dashboard's alone.
func benchTopSandbox(b *testing.B) (*topSandbox, *topCounter) {
	counter := &topCounter{n: map[string]int{}}
	wrap := func(c aws.HTTPClient) aws.HTTPClient { counter.inner = c; return counter }
	if url := os.Getenv("TOP_BENCH_ENDPOINT"); url != "" {
		return topSandboxAt(url, time.Now(), wrap), counter
	}
	return startTopSandboxWith(b, "large", wrap), counter
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func rssMB() float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			f := strings.Fields(line)
			kb, _ := strconv.Atoi(f[1])
			return float64(kb) / 1024
		}
	}
	return 0
}

// BenchmarkTopLargeFirstScreen: from start to the services of the large
// cluster on screen with utilization (a fresh source each time: no task
// definition cache). Calls include the metrics read.
func BenchmarkTopLargeFirstScreen(b *testing.B) {
	sb, counter := benchTopSandbox(b)
	calls := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		inner := counter.inner
		fresh := topSandboxAt(sb.url, sb.now, func(aws.HTTPClient) aws.HTTPClient { return counter })
		counter.inner = inner
		opts := fresh.options("large", true)
		b.StartTimer()
		m := newTestModel(b, opts, 160, 50)
		counter.take()
		settle(b, m, m.Init())
		_ = m.View()
		if len(m.table().rows) < 1000 || m.metricsInFlight || m.metricsAt["services:large"].IsZero() {
			b.Fatalf("first screen incomplete: %d rows", len(m.table().rows))
		}
		n, _ := counter.take()
		calls += n
		m.Stop()
	}
	b.ReportMetric(float64(calls)/float64(b.N), "calls/op")
}

func benchTopRefresh(b *testing.B, key string) {
	sb, counter := benchTopSandbox(b)
	now := sb.now
	opts := sb.options("large", true)
	opts.Now = func() time.Time { return now }
	m := newTestModel(b, opts, 160, 50)
	settle(b, m, m.Init())
	if key != "" {
		press(b, m, key)
	}
	counter.take()
	cpu0 := cpuTime()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		now = now.Add(5 * time.Second)
		settle(b, m, m.refresh())
		_ = m.View()
	}
	b.StopTimer()
	cpu := cpuTime() - cpu0
	total, by := counter.take()
	b.ReportMetric(float64(total)/float64(b.N), "calls/refresh")
	b.ReportMetric(float64(total)/float64(b.N)*12, "calls/min")
	b.ReportMetric(float64(by["GetMetricData"])/float64(b.N)*12, "GetMetricData/min")
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/refresh")
	b.ReportMetric(rssMB(), "RSS-MB")
	if m.err != nil {
		b.Fatalf("refresh error: %v", m.err)
	}
	b.Logf("calls over %d refreshes: %v (CPU and RSS include the sandbox unless TOP_BENCH_ENDPOINT is set)", b.N, by)
}

// BenchmarkTopLargeRefreshServices: one refresh of the services view.
func BenchmarkTopLargeRefreshServices(b *testing.B) { benchTopRefresh(b, "") }

// BenchmarkTopLargeRefreshInstances: one refresh of the instances view.
func BenchmarkTopLargeRefreshInstances(b *testing.B) { benchTopRefresh(b, "3") }

// BenchmarkTopLargeRefreshClusters: one refresh of the clusters view,
// with the services' states it counts (the services not steady).
func BenchmarkTopLargeRefreshClusters(b *testing.B) { benchTopRefresh(b, "1") }

// BenchmarkTopLogsPane: lines through the logs pane in batches of 100, the
// screen drawn after each batch as bubbletea would; the pane keeps the
// newest 5,000, so the heap stays flat however many lines pass.
//
//	go test ./tui -run '^$' -bench BenchmarkTopLogsPane -benchtime 2000x
func BenchmarkTopLogsPane(b *testing.B) {
	m := newTestModel(b, Options{Source: &fakeSource{}, Logs: newFakeLogs(), Cluster: "prod", Refresh: time.Hour, Now: func() time.Time { return testNow }}, 160, 50)
	m.view, m.service = viewServices, "api"
	m.openLogs(logs.Request{Cluster: "prod", Service: "api"}, "api") // the tail itself is not started
	m.logs.setQuery("error")
	batch := make([]topLogLine, 100)
	var ms runtime.MemStats
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for k := range batch {
			n := i*100 + k
			batch[k] = topLogLine{id: strconv.Itoa(n), at: testNow.Add(time.Duration(n) * time.Millisecond), task: "0f3c6e1a9b2d4c5e", container: "app",
				msg: `{"level":"info","ts":"2026-11-21T10:00:00.000Z","msg":"order processed","trace_id":"7ba3d27964f56d32f8f058b4d0fb47a6","duration_ms":` + strconv.Itoa(n%900) + `}`}
			if n%50 == 0 {
				batch[k].msg = `{"level":"error","msg":"upstream returned 503"}`
			}
		}
		m.onLogs(topLogsMsg{gen: m.logs.gen, lines: append([]topLogLine(nil), batch...)})
		_ = m.View()
	}
	b.StopTimer()
	if got := len(m.logs.lines); got != min(5000, b.N*100) {
		b.Fatalf("pane keeps %d lines", got)
	}
	runtime.GC()
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*100), "ns/line")
	b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MB")
	m.Stop()
}
