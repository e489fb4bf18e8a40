#!/usr/bin/env bash
# ecsctl logs: throughput, latency and API calls while following 200 tasks of
# an in-process sandbox (about 20,000 events per real second written), and
# the cost of rendering alone. Run from the repository root.
set -euo pipefail
go test ./cmd -run '^$' -bench 'LogsFollow200Tasks' -benchtime 1x
go test ./render -run '^$' -bench 'LogsPrint' -benchtime 2s
