#!/usr/bin/env bash
# Virtual time of the demo world's prod rotation (18 old instances) with the
# default plan (case "default": no --batch/--surge; its bound is the fleet's,
# back-to-back batches as large as the ASG's max size allows) and for batch
# sizes 1, 2 and 5 (surge = batch and 2×batch), as a ratio to the lower
# bound per batch (instance boot 90 s + task start 20 s + deregistration
# delay 300 s), and API calls per replaced instance.
#   CASES=default bash bench/rotate.sh     # only the default plan
set -euo pipefail
cd "$(dirname "$0")/.."
go test ./cmd -run '^$' -bench "BenchmarkRotateDemo/${CASES:-}" -benchtime 1x -count "${COUNT:-1}"
