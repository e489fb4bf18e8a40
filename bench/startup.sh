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
# The floor on this machine in the same run: a static Go program that
# prints one line (the runtime's own start, no package of ecsctl's).
mkdir "$out/hello"
printf 'package main\n\nimport "os"\n\nfunc main() { os.Stdout.WriteString("hello\\n") }\n' >"$out/hello/main.go"
(cd "$out/hello" && CGO_ENABLED=0 GOFLAGS= GO111MODULE=off go build -trimpath -ldflags "-s -w" -o "$out/hello-bin" main.go)
hello_ms=$(median_ms "$out/hello-bin")
help_ms=$(median_ms "$out/ecsctl" --help)
version_ms=$(median_ms "$out/ecsctl" version)
# Package initialisation of `ecsctl version` (GODEBUG=inittrace=1), median
# of N runs: all of it, and the AWS SDK's generated schemas and endpoint
# tables (run before main, whatever the command).
inits=$(for _ in $(seq "$N"); do GODEBUG=inittrace=1 "$out/ecsctl" version 2>&1 >/dev/null |
  awk '$1 == "init" { t += $5; if ($2 ~ /\/schemas$/) s += $5; if ($2 ~ /internal\/endpoints$/) e += $5 } END { printf "%.2f %.2f %.2f\n", t, s, e }'; done)
med() { echo "$inits" | awk -v c="$1" '{print $c}' | sort -n | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)]}'; }
echo "machine: $(nproc) cores, $(uname -m), $(go version | awk '{print $3}')"
echo "binary size (stripped): $(awk -v s="$size" 'BEGIN {printf "%.1f", s/1e6}') MB ($size bytes)"
echo "ecsctl --help median: ${help_ms} ms (over $N runs)"
echo "ecsctl version median: ${version_ms} ms (over $N runs)"
echo "go hello world median: ${hello_ms} ms (over $N runs)"
echo "ecsctl version package init median: $(med 1) ms (over $N runs)"
echo "ecsctl version SDK schemas init median: $(med 2) ms (over $N runs)"
echo "ecsctl version SDK endpoints init median: $(med 3) ms (over $N runs)"
