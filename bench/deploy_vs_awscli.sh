#!/usr/bin/env bash
# Deploy waiting, ecsctl vs the AWS CLI v2 (`aws ecs update-service` +
# `aws ecs wait services-stable`), on the same sandbox scenario (issue 5's
# measure): API calls per minute while waiting, detection latency (sandbox
# steady state → the tool exits), and the verdict on a deploy the circuit
# breaker rolls back.
#
# Usage: bash bench/deploy_vs_awscli.sh        (needs python3 and aws v2)
# Takes about 3 minutes: the sandbox runs at 10× real time so that the CLI's
# fixed 15 s waiter delay and ecsctl's 5 s default poll keep their real ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
AWS=${AWS:-/usr/bin/aws}
SPEED=10
PORT=${PORT:-45661}
work=$(mktemp -d)
trap 'kill $sbpid 2>/dev/null || true; rm -rf "$work"' EXIT

go build -o "$work/ecsctl" .
"$work/ecsctl" sandbox --world small --speed $SPEED --listen 127.0.0.1:$PORT >"$work/env" 2>"$work/sandbox.log" &
sbpid=$!
for _ in $(seq 50); do curl -sf http://127.0.0.1:$PORT/_sandbox/health >/dev/null && break; sleep 0.1; done
export AWS_ENDPOINT_URL=http://127.0.0.1:$PORT AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=sandbox AWS_SECRET_ACCESS_KEY=sandbox AWS_PAGER= HOME="$work"
ctl() { curl -sf "http://127.0.0.1:$PORT/_sandbox/$1"; }
# AWS CLI v2 before 2.13 does not read AWS_ENDPOINT_URL.
awsc() { "$AWS" --endpoint-url "$AWS_ENDPOINT_URL" "$@"; }

# measure NAME SERVICE -- command...: runs the command, then prints the
# calls it made and how long after the service's last "deployment completed"
# (virtual time, converted to real) it exited.
measure() {
  local name=$1 service=$2; shift 3
  ctl "requests?reset=1" >/dev/null
  local t0 t1 rc=0
  t0=$(date +%s.%N)
  "$@" >"$work/$name.out" 2>"$work/$name.err" || rc=$?
  t1=$(date +%s.%N)
  ctl report >"$work/$name.report.json"
  ctl clock >"$work/$name.clock.json"
  ctl requests >"$work/$name.requests.json"
  python3 - "$name" "$service" "$t0" "$t1" "$rc" "$work" <<'PY'
import json, sys
from datetime import datetime
name, service, t0, t1, rc, work = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
rep = json.load(open(f"{work}/{name}.report.json"))
clock = json.load(open(f"{work}/{name}.clock.json"))
reqs = json.load(open(f"{work}/{name}.requests.json"))["counts"]
def ts(s):
    s = s.replace("Z", "+00:00")
    if "." in s:
        head, rest = s.split(".", 1)
        frac, tz = rest[:rest.index("+")], rest[rest.index("+"):]
        s = head + "." + frac[:6].ljust(6, "0") + tz
    return datetime.fromisoformat(s).timestamp()
done = [ts(e["at"]) for e in rep["timeline"] if e["kind"] == "deployment-completed" and e["detail"].startswith(f"small/{service}:")]
now_v = ts(clock["now"]); speed = clock["speed"]
wall = t1 - t0
lat = (now_v - max(done)) / speed if done else float("nan")
calls = sum(reqs.values())
print(f"| {name} | exit {rc} | {wall:.1f} s | {calls} calls ({calls / wall * 60:.1f}/min) | {lat:.1f} s |")
# The same figures as metric lines for bench/report.
print(f"{name} exit: {rc}")
print(f"{name} wall: {wall:.1f} s")
print(f"{name} API calls per minute: {calls / wall * 60:.1f} calls/min")
print(f"{name} detection latency: {lat:.1f} s")
PY
}

echo "| run | verdict | wall | API calls while waiting | detection latency |"
echo "|---|---|---|---|---|"
# 1. A good deploy of api (4f1c2a9 → 7d3e9b1) by ecsctl, default 5 s poll.
measure ecsctl-deploy api -- "$work/ecsctl" deploy -c small -s api --tag 7d3e9b1 --keep-revisions 0
# 2. The same kind of change by the AWS CLI: roll api back to the revision it
#    came from, then wait.
prev=$(awsc ecs describe-services --cluster small --services api --query 'services[0].taskDefinition' --output text | sed 's/:[0-9]*$//'):5
awsc ecs update-service --cluster small --service api --task-definition "$prev" >/dev/null
measure awscli-wait api -- awsc ecs wait services-stable --cluster small --services api
# 3. A crashing tag, rolled back by the circuit breaker: ecsctl says failed
#    (exit 1); the CLI waiter sees "one deployment, running = desired" and
#    exits 0.
measure ecsctl-crash api -- "$work/ecsctl" deploy -c small -s api --tag crash-5b8e0f2 --keep-revisions 0
"$work/ecsctl" deploy -c small -s api --tag crash-5b8e0f2 --no-wait --keep-revisions 0 >/dev/null 2>&1 || true
measure awscli-crash api -- awsc ecs wait services-stable --cluster small --services api
echo
echo "machine: $(nproc) cores, $(uname -m); sandbox speed ${SPEED}x; ecsctl poll 5 s; aws $("$AWS" --version 2>&1 | cut -d' ' -f1)"
