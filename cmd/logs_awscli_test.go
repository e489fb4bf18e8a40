package cmd

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"ecsctl/sim"
)

// TestLogsVersusAWSCLITail follows one sandbox log group with
// `aws logs tail --follow` (AWS CLI v2) and with ecsctl (live tail, and
// polling), all at once against one sandbox served over HTTP at real-time
// speed, and compares what each printed with the sandbox's record: events
// delivered, missed (late ones separately), duplicated, and the latency from
// ingestion to the line being read from the tool's stdout.
//
// It runs only with LOGS_VS_AWSCLI=1 and ECSCTL_BIN (a built ecsctl), takes
// LOGS_VS_AWSCLI_SECONDS (default 90) and writes a plain-text table to
// LOGS_VS_AWSCLI_OUT (or the test log): bench/logs_vs_awscli.sh runs it.
func TestLogsVersusAWSCLITail(t *testing.T) {
	if os.Getenv("LOGS_VS_AWSCLI") != "1" {
		t.Skip("set LOGS_VS_AWSCLI=1 (bench/logs_vs_awscli.sh)")
	}
	bin := os.Getenv("ECSCTL_BIN")
	if bin == "" {
		t.Skip("set ECSCTL_BIN to a built ecsctl")
	}
	if _, err := os.Stat("/usr/bin/aws"); err != nil {
		t.Skip("no AWS CLI v2 at /usr/bin/aws")
	}
	secs := 90
	if v, err := strconv.Atoi(os.Getenv("LOGS_VS_AWSCLI_SECONDS")); err == nil && v > 0 {
		secs = v
	}
	w, _ := sim.BuiltinWorld("small")
	lpm := 600.0
	if v, err := strconv.ParseFloat(os.Getenv("LOGS_VS_AWSCLI_LPM"), 64); err == nil && v > 0 {
		lpm = v // a quiet service: a few lines a minute per container
	}
	w.Logs = &sim.LogsSpec{LinesPerMinute: lpm}
	s := sim.New(sim.Options{Seed: 7, Speed: 1, PageSize: 100})
	if err := s.LoadWorld(w); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim.NewServer(s, sim.DefaultRegistry))
	defer srv.Close()
	now := func() time.Time {
		s.Lock()
		defer s.Unlock()
		return s.Now()
	}
	start := now().Truncate(time.Millisecond)
	since := start.Add(-30 * time.Second)
	env := append(os.Environ(), "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_REGION=us-east-1",
		"AWS_DEFAULT_REGION=us-east-1", "AWS_EC2_METADATA_DISABLED=true", "AWS_CONFIG_FILE=/nonexistent",
		"AWS_SHARED_CREDENTIALS_FILE=/nonexistent", "AWS_PAGER=", "AWS_ENDPOINT_URL="+srv.URL)
	type printedLine struct {
		key string
		at  time.Time // virtual time the line was read
	}
	type tool struct {
		name  string
		cmd   *exec.Cmd
		parse func(line string) (key string, ok bool)
		lines []printedLine
		mu    sync.Mutex
		done  chan struct{}
	}
	key := func(stream string, ts time.Time, msg string) string {
		return stream + " " + strconv.FormatInt(ts.UnixMilli(), 10) + " " + msg
	}
	ecsctlParse := func(line string) (string, bool) {
		var l struct {
			Time    time.Time `json:"time"`
			Stream  string    `json:"stream"`
			Message string    `json:"message"`
		}
		if json.Unmarshal([]byte(line), &l) != nil {
			return "", false
		}
		return key(l.Stream, l.Time, l.Message), true
	}
	cliParse := func(line string) (string, bool) {
		// --format detailed: 2026-11-23T21:31:44.778000+00:00 <stream> <message>
		f := strings.SplitN(line, " ", 3)
		if len(f) != 3 {
			return "", false
		}
		ts, err := time.Parse("2006-01-02T15:04:05.999999-07:00", f[0])
		if err != nil {
			return "", false
		}
		return key(f[1], ts, f[2]), true
	}
	ecsctlArgs := func(extra ...string) []string {
		return append([]string{"logs", "-c", "small", "-s", "api", "-f", "-o", "json", "--since", since.UTC().Format(time.RFC3339Nano)}, extra...)
	}
	tools := []*tool{
		{name: "aws logs tail --follow", cmd: exec.Command("/usr/bin/aws", "logs", "tail", "/ecs/small/api", "--follow", "--format", "detailed",
			"--since", since.UTC().Format(time.RFC3339), "--endpoint-url", srv.URL), parse: cliParse},
		{name: "ecsctl logs -f (live tail)", cmd: exec.Command(bin, ecsctlArgs()...), parse: ecsctlParse},
		{name: "ecsctl logs -f --live-tail never", cmd: exec.Command(bin, ecsctlArgs("--live-tail", "never")...), parse: ecsctlParse},
	}
	for _, tl := range tools {
		tl.cmd.Env = env
		var stderr strings.Builder
		tl.cmd.Stderr = &stderr
		out, err := tl.cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := tl.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		tl.done = make(chan struct{})
		go func(tl *tool) {
			defer close(tl.done)
			sc := bufio.NewScanner(out)
			sc.Buffer(make([]byte, 1<<20), 1<<20)
			for sc.Scan() {
				if k, ok := tl.parse(sc.Text()); ok {
					at := now()
					tl.mu.Lock()
					tl.lines = append(tl.lines, printedLine{k, at})
					tl.mu.Unlock()
				}
			}
		}(tl)
		defer func(tl *tool) {
			if t.Failed() {
				t.Logf("%s stderr:\n%s", tl.name, stderr.String())
			}
		}(tl)
	}
	time.Sleep(time.Duration(secs) * time.Second) // the comparison runs in real time
	stop := now()
	for _, tl := range tools {
		_ = tl.cmd.Process.Signal(syscall.SIGINT)
	}
	for _, tl := range tools {
		select {
		case <-tl.done:
		case <-time.After(10 * time.Second):
			_ = tl.cmd.Process.Kill()
			<-tl.done
		}
		_ = tl.cmd.Wait()
	}
	// Ground truth: events stamped in [since, stop−30s] (late ones are in by
	// stop−10s: lateness is at most 20s), as the sandbox recorded them.
	cut := stop.Add(-30 * time.Second)
	want := s.LogEventsWritten("/ecs/small/api", nil, since, cut)
	ingested := map[string]time.Time{}
	stamped := map[string]time.Time{}
	lateKeys := map[string]bool{}
	for _, e := range want {
		k := key(e.Stream, e.Timestamp, e.Message)
		ingested[k] = e.IngestionTime
		stamped[k] = e.Timestamp
		if e.IngestionTime.Sub(e.Timestamp) > 2*time.Second {
			lateKeys[k] = true
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "logs vs aws logs tail: group /ecs/small/api, %ds real time, %d events stamped in the compared window (%d ingested late, 1-20s)\n", secs, len(want), len(lateKeys))
	fmt.Fprintf(&b, "%-34s %9s %7s %11s %10s %9s %9s %9s\n", "tool", "delivered", "misses", "late-missed", "duplicates", "p50-lat-s", "p99-lat-s", "p50-ts-s")
	for _, tl := range tools {
		count := map[string]int{}
		var lat, tsLat []float64
		for _, l := range tl.lines {
			count[l.key]++
			// From the timestamp, for on-time events (issue 19's freshness).
			if ts, ok := stamped[l.key]; ok && count[l.key] == 1 && !lateKeys[l.key] && ingested[l.key].After(start.Add(5*time.Second)) {
				tsLat = append(tsLat, l.at.Sub(ts).Seconds())
			}
			// Latency of the events ingested while the tools ran (not the
			// backlog read at their start).
			if ing, ok := ingested[l.key]; ok && count[l.key] == 1 && ing.After(start.Add(5*time.Second)) {
				lat = append(lat, l.at.Sub(ing).Seconds())
			}
		}
		delivered, misses, lateMissed, dups := 0, 0, 0, 0
		for k := range ingested {
			switch n := count[k]; {
			case n == 0:
				misses++
				if lateKeys[k] {
					lateMissed++
				}
			default:
				delivered++
				if n > 1 {
					dups++
				}
			}
		}
		sort.Float64s(lat)
		sort.Float64s(tsLat)
		pctOf := func(lat []float64, p float64) float64 {
			if len(lat) == 0 {
				return 0
			}
			return lat[int(p*float64(len(lat)-1))]
		}
		pct := func(p float64) float64 { return pctOf(lat, p) }
		fmt.Fprintf(&b, "%-34s %9d %7d %11d %10d %9.2f %9.2f %9.2f\n", tl.name, delivered, misses, lateMissed, dups, pct(0.5), pct(0.99), pctOf(tsLat, 0.5))
		if strings.HasPrefix(tl.name, "ecsctl") && (misses > 0 || dups > 0) {
			t.Errorf("%s: %d misses, %d duplicates", tl.name, misses, dups)
		}
		if delivered == 0 {
			t.Errorf("%s printed nothing that was written", tl.name)
		}
	}
	// What no follower can beat: an on-time event is in a live tail update
	// only once ingested, and updates come once a second (half a second's
	// wait at the median on top of its ingestion lag).
	var lags []float64
	for k := range ingested {
		if !lateKeys[k] && ingested[k].After(start.Add(5*time.Second)) {
			lags = append(lags, ingested[k].Sub(stamped[k]).Seconds())
		}
	}
	sort.Float64s(lags)
	if len(lags) > 0 {
		fmt.Fprintf(&b, "sandbox p50 on-time ingestion lag: %.2f s\n", lags[len(lags)/2])
	}
	if p := os.Getenv("LOGS_VS_AWSCLI_OUT"); p != "" {
		if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	} else {
		t.Log("\n" + b.String())
	}
}
