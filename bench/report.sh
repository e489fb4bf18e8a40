#!/usr/bin/env bash
# Runs every benchmark of ecsctl and writes BENCHMARKS.md from the results:
# start-up and size, deploy polling and vs `aws ecs wait services-stable`,
# rotate-ami vs its lower bound, overviews and top on the large world, logs
# throughput and vs `aws logs tail --follow`, the sandbox itself.
#
#   bash bench/report.sh                 # all sections, 3 runs each (~30 min on 2 cores)
#   bash bench/report.sh -runs 1 -only startup,overviews
#
# Needs Go, bash, curl and python3 (deploy_vs_awscli.sh) and AWS CLI v2 at
# /usr/bin/aws for the comparisons. Run it on an otherwise idle machine.
set -euo pipefail
cd "$(dirname "$0")/.."
exec go run ./bench/report "$@"
