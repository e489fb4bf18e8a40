#!/usr/bin/env bash
# Measures `ecsctl top` on the large world (1,000 services, 500 instances,
# ~3,000 tasks): time to the first full screen, API calls per refresh and
# per minute of each view, CPU per refresh and RSS after N refreshes (120:
# ten minutes of the default 5 s refresh); and the logs pane: CPU per line
# and the heap with its 5,000-line buffer full. The sandbox runs as its own
# process so that CPU and RSS are the dashboard's (model, ops read paths,
# SDK clients) alone.
#
# stdout: one "metric: value" line per figure; the raw `go test -bench`
# output goes to stderr.
#
#   bash bench/top.sh            # 120 refreshes
#   N=30 bash bench/top.sh
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-120}
tmp=$(mktemp -d)
sandbox_pid=""
trap '[ -n "$sandbox_pid" ] && { kill "$sandbox_pid" 2>/dev/null || true; wait "$sandbox_pid" 2>/dev/null || true; }; rm -rf "$tmp"' EXIT
go build -o "$tmp/ecsctl" .
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$tmp/ecsctl" sandbox --world large --listen "127.0.0.1:$port" >/dev/null 2>"$tmp/sandbox.log" &
sandbox_pid=$!
for _ in $(seq 1 200); do
  if curl -s -o /dev/null "http://127.0.0.1:$port/_sandbox/report"; then break; fi
  sleep 0.05
done
{
  TOP_BENCH_ENDPOINT="http://127.0.0.1:$port" go test ./tui -run '^$' -bench 'BenchmarkTopLarge' -benchtime "${N}x" -count 1
  go test ./tui -run '^$' -bench 'BenchmarkTopLogsPane' -benchtime 2000x -count 1
} >"$tmp/bench.txt"
cat "$tmp/bench.txt" >&2

# BenchmarkTopLargeRefreshServices-2  120  93061481 ns/op  111.0 calls/refresh ...
#   → top_refresh_services_ms: 93.1, top_refresh_services_calls_per_refresh: 111.0, ...
awk '
/^Benchmark/ {
  name = $1
  sub(/-[0-9]+$/, "", name)
  sub(/^BenchmarkTop(Large)?/, "", name)
  # FirstScreen -> first_screen
  snake = ""
  for (i = 1; i <= length(name); i++) {
    c = substr(name, i, 1)
    if (c ~ /[A-Z]/ && i > 1) snake = snake "_"
    snake = snake tolower(c)
  }
  for (i = 3; i + 1 <= NF; i += 2) {
    v = $i; u = $(i + 1)
    if (u == "ns/op" && snake == "logs_pane") { printf "top_logs_pane_ms_per_100_lines: %.2f\n", v / 1e6; continue }
    if (u == "ns/op") { printf "top_%s_ms: %.1f\n", snake, v / 1e6; continue }
    if (u == "B/op" || u == "allocs/op") continue
    gsub(/\/op$/, "", u)
    gsub(/\//, "_per_", u)
    gsub(/-/, "_", u)
    printf "top_%s_%s: %s\n", snake, tolower(u), v
  }
}' "$tmp/bench.txt"
