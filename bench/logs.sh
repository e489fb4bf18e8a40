#!/usr/bin/env bash
# ecsctl logs: throughput, latency and API calls while following 200 tasks of
# an in-process sandbox (about 20,000 events per real second written), by
# polling and through live tail; ecsctl's own ceiling against a fast fake of
# FilterLogEvents (following 40,000 events/s, and a range read flat out); the
# cost of rendering alone. Run from the repository root. Prints one
# "benchmark: metric value ..." line per benchmark.
set -euo pipefail
{
  go test ./cmd -run '^$' -bench 'LogsFollow200Tasks|LogsCeiling' -benchtime 1x
  go test ./render -run '^$' -bench 'LogsPrint' -benchtime 2s
} | awk '/^Benchmark/ { name=$1; sub(/-[0-9]+$/, "", name); printf "%s:", name; for (i = 3; i < NF; i += 2) printf " %s=%s", $(i+1), $i; printf "\n" }'
