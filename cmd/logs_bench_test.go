package cmd

import (
	"bufio"
	"context"
	"net/http/httptest"
	"os"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"ecsctl/ops"
	"ecsctl/render"
	"ecsctl/sim"
)

// BenchmarkLogsFollow200Tasks follows a 200-task service writing about
// 20,000 events per real second (LOGS_BENCH_LPM lines per virtual minute
// per task, default 100, clock at 60×) for 10 virtual minutes, rendering text to a pipe.
// It reports events/s printed, the latency from CloudWatch ingesting an
// event (sandbox clock) to ecsctl printing it, API calls per real minute,
// and misses/duplicates against the sandbox's record.
//
//	go test ./cmd -run '^$' -bench LogsFollow200 -benchtime 1x
func BenchmarkLogsFollow200Tasks(b *testing.B) {
	const speed = 60.0
	w := bulkWorld(200)
	lpm := 100.0
	if v, err := strconv.ParseFloat(os.Getenv("LOGS_BENCH_LPM"), 64); err == nil && v > 0 {
		lpm = v
	}
	w.Logs = &sim.LogsSpec{LinesPerMinute: lpm}
	s := sim.New(sim.Options{Seed: 7, Speed: speed})
	if err := s.LoadWorld(w); err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(sim.NewServer(s, sim.DefaultRegistry))
	defer srv.Close()
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""), BaseEndpoint: aws.String(srv.URL)}
	cl := &clients{cfg: cfg, ECS: ecs.NewFromConfig(cfg), Logs: cloudwatchlogs.NewFromConfig(cfg)}
	for i := 0; i < b.N; i++ {
		s.Lock()
		start := s.Now()
		s.Unlock()
		until := start.Add(10 * time.Minute)
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
		var lat []float64
		ids := map[string]int{}
		s.ResetRequests()
		t := &ops.LogTailer{ECS: cl.ECS, Logs: logsClients(cl), Region: "us-east-1", PollInterval: time.Second,
			Emit: func(ls []ops.LogLine) error {
				if err := printer.Print(ls); err != nil {
					return err
				}
				s.Lock()
				now := s.Now()
				s.Unlock()
				for _, l := range ls {
					ids[l.ID]++
					lat = append(lat, now.Sub(l.Ingested).Seconds()/speed)
				}
				return nil
			}}
		realStart := time.Now()
		err = t.Tail(context.Background(), ops.LogsRequest{Cluster: "small", Service: "bulk", Follow: true, Since: start, Until: until})
		elapsed := time.Since(realStart)
		pw.Close()
		drained.Wait()
		if err != nil {
			b.Fatal(err)
		}
		want := s.LogEventsWritten("/ecs/small/bulk", nil, start, until)
		misses, dups := 0, 0
		for _, e := range want {
			if ids[e.ID] == 0 {
				misses++
			}
		}
		for _, n := range ids {
			if n > 1 {
				dups++
			}
		}
		calls := 0
		for _, n := range s.RequestCounts() {
			calls += n
		}
		sort.Float64s(lat)
		pct := func(p float64) float64 {
			if len(lat) == 0 {
				return 0
			}
			return lat[int(p*float64(len(lat)-1))]
		}
		b.ReportMetric(float64(printer.Printed)/elapsed.Seconds(), "events/s")
		b.ReportMetric(pct(0.5), "p50-latency-s")
		b.ReportMetric(pct(0.99), "p99-latency-s")
		b.ReportMetric(float64(calls)/elapsed.Minutes(), "calls/min")
		b.ReportMetric(float64(misses), "misses")
		b.ReportMetric(float64(dups), "duplicates")
		b.Logf("%d events printed in %s (%d expected), %d API calls", printer.Printed, elapsed.Round(time.Millisecond), len(want), calls)
	}
}

type nopWriter struct{}

func (*nopWriter) Write(p []byte) (int, error) { return len(p), nil }
