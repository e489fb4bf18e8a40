#!/usr/bin/env bash
# ecsctl logs -f versus `aws logs tail --follow` (AWS CLI v2 at /usr/bin/aws)
# on the same sandbox log group, in real time: events delivered, misses (late
# events separately), duplicates, latency from ingestion to print. Prints a
# plain-text table. Run from the repository root. SECONDS_TO_RUN (default 90),
# LPM lines per minute per container (default 600; e.g. 6 for a quiet service).
# p50-ts-s: median delay from an on-time event's timestamp to its line.
# "sandbox p50 on-time ingestion lag": the median of those events' ingestion
# lags, below which no follower can print them.
set -euo pipefail
if [ ! -x /usr/bin/aws ]; then
  echo "logs_vs_awscli: skipped (no AWS CLI v2 at /usr/bin/aws)"
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/ecsctl" .
LOGS_VS_AWSCLI=1 ECSCTL_BIN="$tmp/ecsctl" LOGS_VS_AWSCLI_SECONDS="${SECONDS_TO_RUN:-90}" LOGS_VS_AWSCLI_OUT="$tmp/table.txt" LOGS_VS_AWSCLI_LPM="${LPM:-600}" \
  go test ./cmd -run '^TestLogsVersusAWSCLITail$' -count=1 -timeout 10m >"$tmp/test.log" 2>&1 || { cat "$tmp/test.log"; exit 1; }
cat "$tmp/table.txt"
# The same figures as "name: value unit" lines (bench/report reads them).
awk 'NR > 2 && NF >= 8 {
  tool = $1; for (i = 2; i <= NF - 7; i++) tool = tool " " $i
  printf "%s delivered: %s events\n%s misses: %s events\n%s late misses: %s events\n%s duplicates: %s events\n%s p50 latency: %s s\n%s p99 latency: %s s\n%s p50 on-time latency from timestamp: %s s\n", tool, $(NF-6), tool, $(NF-5), tool, $(NF-4), tool, $(NF-3), tool, $(NF-2), tool, $(NF-1), tool, $NF
}' "$tmp/table.txt"
