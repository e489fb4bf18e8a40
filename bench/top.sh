#!/usr/bin/env bash
# Measures `ecsctl top` on the large world (1,000 services, 500 instances,
# ~3,000 tasks): time to the first full screen, API calls per refresh and
# per minute, CPU per refresh and RSS after 120 refreshes (ten minutes of
# the default 5 s refresh). The sandbox runs as its own process so that CPU
# and RSS are the dashboard's (model, ops read paths, SDK clients) alone.
#
#   bash bench/top.sh            # 120 refreshes
#   N=30 bash bench/top.sh
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-120}
tmp=$(mktemp -d)
trap 'kill "$sandbox_pid" 2>/dev/null || true; wait "$sandbox_pid" 2>/dev/null || true; rm -rf "$tmp"' EXIT
go build -o "$tmp/ecsctl" .
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$tmp/ecsctl" sandbox --world large --listen "127.0.0.1:$port" >/dev/null 2>"$tmp/sandbox.log" &
sandbox_pid=$!
for _ in $(seq 1 200); do
  if curl -s -o /dev/null "http://127.0.0.1:$port/_sandbox/report"; then break; fi
  sleep 0.05
done
TOP_BENCH_ENDPOINT="http://127.0.0.1:$port" go test ./tui -run '^$' -bench 'BenchmarkTopLarge' -benchtime "${N}x" -count 1
