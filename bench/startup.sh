#!/usr/bin/env bash
# Start-up time and binary size of ecsctl (issue 2's measure).
# Builds a release-like binary (CGO_ENABLED=0, -trimpath, -s -w), then runs
# `ecsctl --help` and `ecsctl version` N times each and prints the medians.
# Usage: bash bench/startup.sh [N]   (default N=31)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-31}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$out/ecsctl" .
size=$(stat -c %s "$out/ecsctl")
median_ms() {
  local -a times=()
  for _ in $(seq "$N"); do
    local t0 t1
    t0=$(date +%s%N)
    "$@" >/dev/null 2>&1
    t1=$(date +%s%N)
    times+=($(( (t1 - t0) / 1000 )))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {m=a[int((NR+1)/2)]; printf "%.1f", m/1000}'
}
help_ms=$(median_ms "$out/ecsctl" --help)
version_ms=$(median_ms "$out/ecsctl" version)
echo "machine: $(nproc) cores, $(uname -m), $(go version | awk '{print $3}')"
echo "binary size (stripped): $(awk -v s="$size" 'BEGIN {printf "%.1f", s/1e6}') MB ($size bytes)"
echo "ecsctl --help median: ${help_ms} ms (over $N runs)"
echo "ecsctl version median: ${version_ms} ms (over $N runs)"
