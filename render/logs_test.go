package render

import (
	"ecsctl/ops/logs"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

func logsBenchLines(n int) []logs.Line {
	ls := make([]logs.Line, n)
	t0 := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	for i := range ls {
		ls[i] = logs.Line{Time: t0.Add(time.Duration(i) * time.Millisecond), ID: fmt.Sprintf("%056d", i),
			Task: "0f3c6e1a9b2d4e5f8a7b6c5d4e3f2a1b", Container: "app", Stream: "ecs/app/0f3c6e1a9b2d4e5f8a7b6c5d4e3f2a1b", Group: "/ecs/prod/api",
			Message: `{"level":"info","ts":"2026-11-23T10:00:00.000Z","msg":"request completed","trace_id":"5a8a6146cc34b07286cfd8490b5f1019","duration_ms":380}`}
	}
	return ls
}

func TestLogsPrinterFormats(t *testing.T) {
	ls := logsBenchLines(1)
	for _, c := range []struct {
		opts LogsOptions
		tty  bool
		want string
	}{
		{LogsOptions{}, false, "0f3c6e1a9b2d4e5f8a7b6c5d4e3f2a1b/app {"},
		{LogsOptions{Timestamps: true}, false, "2026-11-23T10:00:00.000Z 0f3c6e1a9b2d4e5f8a7b6c5d4e3f2a1b/app {"},
		{LogsOptions{NoPrefix: true}, false, `{"level"`},
		{LogsOptions{}, true, "\x1b["},
		{LogsOptions{JSON: true}, false, `"parsed":{"level":"info"`},
	} {
		ios, _, out, _ := Test()
		ios.OutTTY = c.tty
		if err := NewLogsPrinter(ios, c.opts).Print(ls); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), c.want) || !strings.HasSuffix(out.String(), "\n") {
			t.Errorf("%+v tty=%v: %q", c.opts, c.tty, out.String())
		}
	}
}

// go test ./render -run '^$' -bench LogsPrint
func BenchmarkLogsPrintText(b *testing.B) { benchLogsPrint(b, LogsOptions{}) }
func BenchmarkLogsPrintJSON(b *testing.B) { benchLogsPrint(b, LogsOptions{JSON: true}) }

func benchLogsPrint(b *testing.B, opts LogsOptions) {
	ls := logsBenchLines(1000)
	p := NewLogsPrinter(&IO{Out: io.Discard, Err: io.Discard}, opts)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := p.Print(ls); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(ls))/b.Elapsed().Seconds(), "events/s")
}
