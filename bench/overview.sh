#!/usr/bin/env bash
# API calls and wall time of `ecsctl services` and `ecsctl instances` on the
# sandbox's large world (1,000 services, 500 instances, ~3,000 tasks), over
# HTTP with the real SDK clients and pages of 100 as in AWS.
# Targets (issue 7): ≤ ceil(services/10) DescribeServices, ≤ ceil(instances/100)
# DescribeContainerInstances, ≤ 2 GetMetricData, under 1.5 s.
set -euo pipefail
cd "$(dirname "$0")/.."
go test ./cmd -run '^$' -bench 'BenchmarkOverviewLarge' -benchtime "${BENCHTIME:-5x}" -count "${COUNT:-3}"
