#!/usr/bin/env bash
# The fault matrix (cmd/reliability_faults_test.go): every command under
# throttling 30 %, 5xx 5 %, 50 ms latency, connection resets 5 % and lost
# answers, compared with the same command without faults. Prints one line
# per cell (exit code, outcome, real seconds, AWS calls, faults injected)
# and the wall time of the whole run. SOAK=1 adds seeds, combined faults and
# the demo world (tens of minutes); RACE=0 runs without the race detector.
set -euo pipefail
cd "$(dirname "$0")/.."
race=-race
[ "${RACE:-1}" = 0 ] && race=
export ECSCTL_SOAK="${SOAK:-}"
start=$(date +%s)
out=$(go test $race -count=1 -timeout 100m -run '^(TestFaultMatrix|TestFaultsScaleInLeavesZonesBalanced)$' -v ./cmd/ 2>&1) || { echo "$out" | grep -v '^=== ' | tail -80; exit 1; }
end=$(date +%s)
echo "$out" | awk '/fault matrix:/{on=1; next} on && /^        /{print substr($0, 9); next} {on=0}'
echo "$out" | grep -E '^(--- |ok)' 
echo "wall time: $((end - start)) s (go test ${race:-without -race}, $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg))"
