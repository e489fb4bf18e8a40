// Command report runs ecsctl's benchmarks and writes BENCHMARKS.md from
// their output: every figure in the report comes from a run made by this
// program, with the command that reproduces it and the machine it ran on.
//
//	go run ./bench/report                 # all sections, 3 runs each → BENCHMARKS.md
//	go run ./bench/report -runs 5 -only startup,overviews
//	go run ./bench/report overviews       # one measurement, printed as metric lines
//
// Each section runs a command (a script in bench/ or a Go benchmark) several
// times and reports, per metric, the median with the smallest and largest
// value seen. Scripts print metrics as "name: value unit" lines; Go
// benchmarks print their usual result lines (custom metrics included).
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if len(os.Args) > 1 && os.Args[1] == "overviews" {
		if err := measureOverviews(ctx, os.Stdout, os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "report overviews:", err)
			os.Exit(1)
		}
		return
	}
	runs := flag.Int("runs", 3, "runs of each section; the report shows medians")
	out := flag.String("o", "BENCHMARKS.md", "report file to write")
	only := flag.String("only", "", "comma-separated sections to run (default all): "+strings.Join(sectionNames(), ","))
	flag.Parse()
	if err := os.Chdir(repoRoot()); err != nil {
		fmt.Fprintln(os.Stderr, "report:", err)
		os.Exit(1)
	}
	want := map[string]bool{}
	for _, n := range strings.Split(*only, ",") {
		if n = strings.TrimSpace(n); n != "" {
			if findSection(n) == nil {
				fmt.Fprintf(os.Stderr, "report: unknown section %q; use one of %s\n", n, strings.Join(sectionNames(), ", "))
				os.Exit(2)
			}
			want[n] = true
		}
	}
	if *runs < 1 {
		fmt.Fprintln(os.Stderr, "report: -runs must be at least 1")
		os.Exit(2)
	}
	var results []sectionResult
	for _, s := range sections {
		if len(want) > 0 && !want[s.name] {
			continue
		}
		results = append(results, runSection(ctx, s, *runs))
		if ctx.Err() != nil {
			fmt.Fprintln(os.Stderr, "report: interrupted; nothing written")
			os.Exit(130)
		}
	}
	var buf bytes.Buffer
	writeReport(&buf, results)
	if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "report:", err)
		os.Exit(1)
	}
	failed := 0
	for _, r := range results {
		if r.err != nil {
			failed++
		}
	}
	fmt.Fprintf(os.Stderr, "report: wrote %s (%d sections, %d failed)\n", *out, len(results), failed)
	if failed > 0 {
		os.Exit(1)
	}
}

// section is one measurement of the report.
type section struct {
	name  string
	title string
	// about says what is measured and how, in a sentence or two.
	about string
	// command is run with bash from the repository root.
	command string
	// once: the command repeats its runs itself (it reports medians); run it
	// a single time whatever -runs says.
	once    bool
	targets []target
}

// target is an issue's goal for one metric.
type target struct {
	metric string // regexp on the metric's name
	op     string // "<=", ">=", "=="
	value  float64
	text   string
}

func (t target) check(v float64) bool {
	switch t.op {
	case "<=":
		return v <= t.value
	case ">=":
		return v >= t.value
	}
	return v == t.value
}

var sections = []section{
	{
		name:    "startup",
		title:   "Start-up time and binary size",
		about:   "A release-like static binary (CGO_ENABLED=0, -trimpath, -s -w); wall time of `ecsctl --help` and `ecsctl version`, the median of 31 runs each, beside a static Go program that prints one line (the floor of any Go CLI on this machine, in the same run); package initialisation of `ecsctl version` from GODEBUG=inittrace=1: all of it, and the AWS SDK's generated schemas and endpoint tables, which run before main whatever the command.",
		command: "bash bench/startup.sh 31",
		once:    true,
		targets: []target{
			{metric: `^ecsctl (--help|version) median`, op: "<=", value: 20, text: "≤ 20 ms (issue 2)"},
			{metric: `^ecsctl (--help|version) median`, op: "<=", value: 8, text: "≤ 8 ms (issue 19)"},
		},
	},
	{
		name:    "deploy-polling",
		title:   "Deploy: API calls while waiting and detection latency",
		about:   "`ecsctl deploy` of 1 and of 20 services of the demo world, in process against the sandbox over HTTP (poll 20 ms, sandbox 600×). describeServices/poll: DescribeServices calls per polling round; calls/min@5s/service: all ECS calls per minute at the default 5 s poll; detect-polls: polls between the sandbox reaching steady state and ecsctl's verdict.",
		command: "go test ./cmd -run '^$' -bench BenchmarkDeployPolling -benchtime 1x -count 1",
		targets: []target{
			{metric: `services=20 describeServices/poll`, op: "<=", value: 2, text: "≤ ceil(20/10)"},
			{metric: `detect-polls`, op: "<=", value: 1, text: "≤ 1 poll"},
		},
	},
	{
		name:    "deploy-vs-awscli",
		title:   "Deploy: ecsctl vs `aws ecs wait services-stable`",
		about:   "The same sandbox (small world at 10× real time) and the same service; ecsctl at its default 5 s poll, AWS CLI v2 `update-service` + `wait services-stable` (15 s waiter). Detection latency is from the sandbox's last `deployment completed` to the tool's exit, in real seconds. The crash rows deploy a tag whose tasks exit 1: the circuit breaker rolls the service back.",
		command: "bash bench/deploy_vs_awscli.sh",
		targets: []target{
			{metric: `^ecsctl-crash exit`, op: "==", value: 1, text: "failed deploy → exit 1"},
		},
	},
	{
		name:    "rotate",
		title:   "rotate-ami: time vs the lower bound",
		about:   "The demo world's prod cluster (18 instances on the old AMI) rotated in the sandbox (virtual time): default is the plan ecsctl chooses without --batch/--surge (surge = the room under the ASG's max size, 10; batches as large as it and the room allow; the next batch drains alongside when its tasks fit), its bound the fleet's (back-to-back batches of 10); then batch 1, 2 and 5 with surge = batch and 2×batch. The lower bound per batch is instance boot 90 s + task start 20 s + deregistration delay 300 s. Virtual time includes ecsctl's and the sandbox's own CPU time ×600 (the sandbox speed), so a loaded machine inflates it. calls/instance: API calls per replaced instance.",
		command: "COUNT=1 bash bench/rotate.sh",
		targets: []target{{metric: `default x-bound`, op: "<=", value: 1.2, text: "≤ 1.2× the bound (issue 15)"}, {metric: `batch=\d+/surge=\d+ x-bound`, op: "<=", value: 1.25, text: "≤ 1.25× the bound"}},
	},
	{
		name:    "overviews",
		title:   "Overviews on the large world",
		about:   "The built binary against `ecsctl sandbox --world large` (1,000 services, 500 instances, ~3,000 tasks) in its own process: wall time, API calls (from the sandbox's request log) and the peak RSS of each ecsctl command, median of 5 runs each.",
		command: "go run ./bench/report overviews -n 5",
		once:    true,
		targets: []target{
			{metric: `^services DescribeServices calls`, op: "<=", value: 100, text: "≤ ceil(1000/10)"},
			{metric: `^services GetMetricData calls`, op: "<=", value: 2, text: "≤ 2"},
			{metric: `^instances DescribeContainerInstances calls`, op: "<=", value: 5, text: "≤ ceil(500/100)"},
			{metric: `wall`, op: "<=", value: 1500, text: "≤ 1.5 s"},
		},
	},
	{
		name:    "top",
		title:   "top on the large world",
		about:   "The dashboard's model and read paths driven by a Go benchmark against `ecsctl sandbox --world large` in its own process: first full screen, API calls per refresh and per minute (5 s refresh), CPU per refresh and RSS after 120 refreshes (10 minutes of refreshes).",
		command: "N=120 bash bench/top.sh",
		targets: []target{
			{metric: `first_screen_ms$`, op: "<=", value: 1500, text: "≤ 1.5 s"},
			{metric: `rss_mb$`, op: "<=", value: 80, text: "≤ 80 MB"},
			{metric: `refresh_services_calls_per_refresh$`, op: "<=", value: 100 + 5 + 30 + 5, text: "≤ 100+5+30+a few"},
		},
	},
	{
		name:    "logs",
		title:   "logs: following 200 tasks",
		about:   "`ecsctl logs -f` of a service of 200 tasks whose sandbox streams write about 20,000 events per real second, rendered to a pipe, by polling and through live tail; misses and duplicates against the sandbox's record of what was written (late events included). LogsCeiling: ecsctl alone against a fast fake of FilterLogEvents (following 40,000 events/s written, and a range read flat out), because the sandbox's log generator is the bottleneck of the first two. `bash bench/logs.sh` adds the cost of rendering alone.",
		command: "go test ./cmd -run '^$' -bench 'LogsFollow200Tasks|LogsCeiling' -benchtime 1x",
		targets: []target{
			{metric: ` events/s$`, op: ">=", value: 20000, text: "≥ 20,000 events/s"},
			{metric: `misses`, op: "==", value: 0, text: "0"},
			{metric: `duplicates`, op: "==", value: 0, text: "0"},
		},
	},
	{
		name:    "logs-vs-awscli",
		title:   "logs: ecsctl vs `aws logs tail --follow`",
		about:   "Both tools follow the same sandbox log group at once; what each printed is compared with the sandbox's record of what was written: events delivered, duplicates, misses (the sandbox writes some events late, as CloudWatch does), latency from ingestion to print, and (issue 19) the median delay from an on-time event's timestamp to its line.",
		command: "bash bench/logs_vs_awscli.sh",
		targets: []target{
			{metric: `^ecsctl.*miss`, op: "==", value: 0, text: "0"},
			{metric: `^ecsctl.*dup`, op: "==", value: 0, text: "0"},
			{metric: `^ecsctl logs -f \(live tail\) p50 on-time latency from timestamp`, op: "<=", value: 0.5, text: "≤ 0.5 s (issue 19)"},
			{metric: `^ecsctl logs -f --live-tail never p50 on-time latency from timestamp`, op: "<=", value: 2.5, text: "≤ poll 2 s + 0.5 s (issue 19)"},
		},
	},
	{
		name:    "logs-vs-awscli-quiet",
		title:   "logs: ecsctl vs `aws logs tail --follow` on a quiet service",
		about:   "As above, with the service's containers writing 6 lines a minute each (issue 19: the ordering hold must not wait for the next event).",
		command: "LPM=6 bash bench/logs_vs_awscli.sh",
		targets: []target{
			{metric: `^ecsctl.*miss`, op: "==", value: 0, text: "0"},
			{metric: `^ecsctl.*dup`, op: "==", value: 0, text: "0"},
			{metric: `^ecsctl logs -f \(live tail\) p50 on-time latency from timestamp`, op: "<=", value: 0.5, text: "≤ 0.5 s (issue 19)"},
			{metric: `^ecsctl logs -f --live-tail never p50 on-time latency from timestamp`, op: "<=", value: 2.5, text: "≤ poll 2 s + 0.5 s (issue 19)"},
		},
	},
	{
		name:    "logs-range",
		title:   "logs: a range read in constant memory",
		about:   "`ecsctl logs -c prod -s api --since 1h` of the demo world (4 tasks × 2 containers) against `ecsctl sandbox` in its own process, at 150 and 600 lines a minute per container (world `logs.linesPerMinute`), the sandbox keeping 40,000 events a stream (world `logs.retainEvents`; at its default 10,000 the hour at 600 would hold 1.6× the events of the hour at 150, not 4×), with `BASE=<ref>` a build of an older commit beside it: peak RSS of the ecsctl process, first line (from the process start, and after the first answered FilterLogEvents page, through a recording proxy), events/s and FilterLogEvents calls (issue 19).",
		command: "RETAIN=40000 RUNS=1 bash bench/logs_range.sh",
		targets: []target{
			{metric: `^logs range this peak RSS ratio lpm=600/150`, op: "<=", value: 1.2, text: "4× the volume within 1.2× the peak"},
			{metric: `^logs range this lpm=600 peak RSS`, op: "<=", value: 64, text: "≤ 64 MiB"},
			{metric: `^logs range this .*first line after the first answered page`, op: "<=", value: 100, text: "≤ 100 ms"},
		},
	},
	{
		name:    "sandbox",
		title:   "The sandbox itself",
		about:   "Loading the large world and serving it: heap, CPU share per virtual minute at 60×, DescribeServices latency through the SDK.",
		command: "go test ./sim -run '^$' -bench BenchmarkLargeWorld -benchtime 1x -count 1",
	},
}

func sectionNames() []string {
	var n []string
	for _, s := range sections {
		n = append(n, s.name)
	}
	return n
}

func findSection(name string) *section {
	for i := range sections {
		if sections[i].name == name {
			return &sections[i]
		}
	}
	return nil
}

// sample is one metric's value in one run.
type sample struct {
	name  string
	unit  string
	value float64
}

type sectionResult struct {
	section
	runs    int
	order   []string // metric keys in first-seen order
	units   map[string]string
	values  map[string][]float64
	context []string // non-metric lines of the last run worth keeping
	elapsed time.Duration
	err     error
	tail    string // end of the output of a failed run
}

func runSection(ctx context.Context, s section, runs int) sectionResult {
	if s.once {
		runs = 1
	}
	r := sectionResult{section: s, units: map[string]string{}, values: map[string][]float64{}}
	start := time.Now()
	for i := 0; i < runs && ctx.Err() == nil; i++ {
		fmt.Fprintf(os.Stderr, "report: %s run %d/%d: %s\n", s.name, i+1, runs, s.command)
		cmd := exec.CommandContext(ctx, "bash", "-c", s.command)
		var out bytes.Buffer
		cmd.Stdout = &out
		cmd.Stderr = os.Stderr
		if err := cmd.Run(); err != nil {
			r.err = fmt.Errorf("%s: %w", s.command, err)
			r.tail = lastLines(out.String(), 15)
			break
		}
		samples, context := parseOutput(out.String())
		if len(samples) == 0 {
			r.err = fmt.Errorf("%s printed no metrics", s.command)
			r.tail = lastLines(out.String(), 15)
			break
		}
		for _, smp := range samples {
			key := smp.name
			if _, ok := r.values[key]; !ok {
				r.order = append(r.order, key)
				r.units[key] = smp.unit
			}
			r.values[key] = append(r.values[key], smp.value)
		}
		r.context = context
		r.runs++
	}
	r.elapsed = time.Since(start)
	return r
}

var (
	// BenchmarkName/sub-2   5   123 ns/op   4.5 calls/op ...
	benchLine = regexp.MustCompile(`^(Benchmark\S+?)(-\d+)?\s+(\d+)\s+(.*)$`)
	// name: 12.5 unit (anything after)
	metricLine = regexp.MustCompile(`^([^:|#][^:|]*?):\s+(-?[0-9]+(?:\.[0-9]+)?(?:e[-+]?[0-9]+)?)(?:\s+([^\s(,;]+))?`)
	// Lines kept as they are, under the section's table (never metrics).
	contextKeep = regexp.MustCompile(`^(machine|note):`)
)

// parseOutput reads Go benchmark lines and "name: value unit" lines.
func parseOutput(out string) (samples []sample, context []string) {
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		if m := benchLine.FindStringSubmatch(line); m != nil {
			name := strings.TrimPrefix(m[1], "Benchmark")
			f := strings.Fields(m[4])
			for i := 0; i+1 < len(f); i += 2 {
				v, err := strconv.ParseFloat(f[i], 64)
				if err != nil {
					break
				}
				samples = append(samples, sample{name: name + " " + f[i+1], unit: f[i+1], value: v})
			}
			continue
		}
		if m := metricLine.FindStringSubmatch(line); m != nil && !contextKeep.MatchString(line) {
			v, err := strconv.ParseFloat(m[2], 64)
			if err == nil {
				samples = append(samples, sample{name: strings.TrimSpace(m[1]), unit: m[3], value: v})
				continue
			}
		}
		if contextKeep.MatchString(line) {
			context = append(context, line)
		}
	}
	return samples, context
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func minMax(v []float64) (lo, hi float64) {
	lo, hi = v[0], v[0]
	for _, x := range v {
		lo, hi = min(lo, x), max(hi, x)
	}
	return lo, hi
}

func num(v float64) string {
	switch a := abs(v); {
	case a == 0:
		return "0"
	case a >= 1e6 || a < 0.001:
		return strconv.FormatFloat(v, 'g', 4, 64)
	case a >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 3, 64)
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}

func writeReport(w io.Writer, results []sectionResult) {
	fmt.Fprintln(w, "# ecsctl benchmarks")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Generated by `bash bench/report.sh` (`go run ./bench/report`): every figure below comes from the run")
	fmt.Fprintln(w, "recorded here, never typed in. Each section names the command that reproduces it; where a section ran")
	fmt.Fprintln(w, "several times the table shows the median and the range over the runs.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "## Machine")
	fmt.Fprintln(w)
	for _, l := range machine() {
		fmt.Fprintln(w, "- "+l)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "## Summary")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| section | target | metric | median | verdict |")
	fmt.Fprintln(w, "|---|---|---|---|---|")
	for _, r := range results {
		if r.err != nil {
			fmt.Fprintf(w, "| %s | | | | run failed |\n", r.title)
			continue
		}
		for _, t := range r.targets {
			re := regexp.MustCompile(t.metric)
			for _, k := range r.order {
				if !re.MatchString(k) {
					continue
				}
				m := median(r.values[k])
				verdict := "met"
				if !t.check(m) {
					verdict = "**missed**"
				}
				fmt.Fprintf(w, "| %s | %s | %s | %s %s | %s |\n", r.title, t.text, k, num(m), r.units[k], verdict)
			}
		}
	}
	for _, r := range results {
		fmt.Fprintln(w)
		fmt.Fprintf(w, "## %s\n\n", r.title)
		fmt.Fprintln(w, r.about)
		fmt.Fprintln(w)
		fmt.Fprintf(w, "Reproduce: `%s` — %d run(s), %.0f s.\n\n", r.command, r.runs, r.elapsed.Seconds())
		if r.err != nil {
			fmt.Fprintf(w, "**The run failed:** %v\n\n```\n%s\n```\n", r.err, r.tail)
			continue
		}
		fmt.Fprintln(w, "| metric | median | min | max | unit |")
		fmt.Fprintln(w, "|---|---|---|---|---|")
		for _, k := range r.order {
			v := r.values[k]
			lo, hi := minMax(v)
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", k, num(median(v)), num(lo), num(hi), r.units[k])
		}
		if len(r.context) > 0 {
			fmt.Fprintln(w)
			for _, l := range r.context {
				fmt.Fprintf(w, "- %s\n", l)
			}
		}
	}
}

func machine() []string {
	var l []string
	l = append(l, "date: "+time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	if b, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output(); err == nil {
		dirty := ""
		if st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(bytes.TrimSpace(st)) > 0 {
			dirty = " (with uncommitted changes)"
		}
		l = append(l, "commit: "+strings.TrimSpace(string(b))+dirty)
	}
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "model name") {
				cpu = strings.TrimSpace(line[strings.Index(line, ":")+1:])
				break
			}
		}
	}
	l = append(l, fmt.Sprintf("cpu: %s, %d logical cores (GOMAXPROCS %d)", cpu, runtime.NumCPU(), runtime.GOMAXPROCS(0)))
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "MemTotal:") {
				f := strings.Fields(line)
				if kb, err := strconv.ParseFloat(f[1], 64); err == nil {
					l = append(l, fmt.Sprintf("memory: %.1f GB", kb/1024/1024))
				}
			}
		}
	}
	if b, err := exec.Command("uname", "-srm").Output(); err == nil {
		l = append(l, "os: "+strings.TrimSpace(string(b)))
	}
	l = append(l, "go: "+runtime.Version())
	if b, err := exec.Command("/usr/bin/aws", "--version").CombinedOutput(); err == nil {
		l = append(l, "aws cli: "+strings.Fields(string(b))[0])
	}
	return l
}

// repoRoot is the directory holding go.mod above the working directory.
func repoRoot() string {
	dir, _ := os.Getwd()
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return dir
		}
	}
}
