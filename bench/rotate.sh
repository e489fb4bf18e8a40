#!/usr/bin/env bash
# Virtual time of the demo world's prod rotation (18 old instances) for
# batch sizes 1, 2 and 5 (surge = batch and 2×batch), as a ratio to the
# lower bound per batch (instance boot 90 s + task start 20 s +
# deregistration delay 300 s), and API calls per replaced instance.
set -euo pipefail
cd "$(dirname "$0")/.."
go test ./cmd -run '^$' -bench BenchmarkRotateDemo -benchtime 1x -count "${COUNT:-1}"
