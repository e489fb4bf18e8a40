#!/usr/bin/env bash
# Runs every fuzz test of the reliability suite (issue 10) for a while and
# prints, per fuzzer, executions per second and the new inputs it found.
# A failure stops the script and leaves the input in <pkg>/testdata/fuzz/.
# New inputs are minimised for at most 3 s (Go's default, 60 s, stalls the
# count on big task-definition inputs).
# Usage: bash bench/fuzz.sh [SECONDS]   (default 30 per fuzzer)
set -euo pipefail
cd "$(dirname "$0")/.."
T=${1:-30}
printf '%-32s %12s %10s %s\n' fuzzer "execs/s" "new" "seconds"
for target in ops/deploy:FuzzParseImageRef ops/deploy:FuzzImageRefWithTag ops:FuzzParseTimeFlags ops/deploy:FuzzTaskDefCopy \
  ops/overview:FuzzParseEventsSince sim:FuzzDecoders sim:FuzzEveryOperation sim:FuzzParseWorld sim:FuzzLoadState sim:FuzzParseFaults; do
  pkg=${target%%:*} name=${target#*:}
  # A real failure writes the input to testdata; "context deadline exceeded"
  # alone is the fuzzing engine timing out its workers on a loaded machine.
  log=$(go test "./$pkg" -run XXX -fuzz "^${name}\$" -fuzztime "${T}s" -fuzzminimizetime 3s 2>&1) ||
    if echo "$log" | grep -q 'Failing input written' || ! echo "$log" | grep -q 'context deadline exceeded'; then
      echo "$log" | tail -20
      exit 1
    fi
  last=$(echo "$log" | grep -E '^fuzz: elapsed: [0-9]+s, execs: [1-9]' | tail -1 || true)
  if [ -z "$last" ]; then
    printf '%-32s %12s %10s %s\n' "$pkg.$name" "-" "-" "(still replaying its corpus: give more seconds)"
    continue
  fi
  execs=$(echo "$last" | sed -E 's/.*execs: ([0-9]+).*/\1/')
  secs=$(echo "$last" | sed -E 's/.*elapsed: ([0-9]+)s.*/\1/')
  new=$(echo "$last" | sed -E 's/.*new interesting: ([0-9]+).*/\1/')
  printf '%-32s %12d %10s %s\n' "$pkg.$name" $(( execs / (secs > 0 ? secs : 1) )) "$new" "$secs"
done
