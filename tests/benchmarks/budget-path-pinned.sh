#!/usr/bin/env bash
# budget-path.sh with DynamoDB on a core of its own, as in AWS where DynamoDB is another service: DynamoDB Local runs
# pinned to CPU 1 (in an `up` whose own gateway stays idle), while both gateways under test (the default config as
# `serve`, and routing-only), their simulators and the load generator share CPU 0. Prints the added latency at 1 client
# and both throughputs at 32 clients, short and sustained, then the CPU time each process spent per request.
#   tests/benchmarks/budget-path-pinned.sh [REQUESTS]
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$PWD"
REQUESTS="${1:-5000}"
ADMIN=tg-admin-bench-0123456789abcdefXYZ
LOGS="$(mktemp -d)"
[ "$(nproc)" -ge 2 ] || { echo "needs two CPUs" >&2; exit 1; }
export TIERGATE_JAVA_OPTS='-XX:+UseSerialGC' TIERGATE_ADMIN_KEY="$ADMIN" TIERGATE_AOT=off
DDB_PORT=8099
# CPU 1: DynamoDB Local (with the tables, made by this `up` from the same config).
(mkdir "$LOGS/ddb" && cd "$LOGS/ddb" && exec taskset -c 1 "$ROOT/bin/tiergate" up --config "$ROOT/tiergate.yaml" --port 8092 \
  --dynamodb-port "$DDB_PORT" --time-scale 0 --monitor-seconds 0) > "$LOGS/ddb.log" 2>&1 &
DDB=$!
# CPU 0: the simulated fleet, the full-path gateway, the routing-only gateway, the load generator.
taskset -c 0 bin/tiergate sim --config tiergate.yaml --base-port 8110 --time-scale 0 > "$LOGS/sim.log" 2>&1 &
SIM=$!
trap 'kill $DDB $SIM ${FULL:-} ${ROUTING:-} 2>/dev/null; wait 2>/dev/null' EXIT
for port in 8092 8110; do
  for _ in $(seq 1 300); do curl -fs -o /dev/null "http://127.0.0.1:$port/health" 2>/dev/null && break; sleep 0.2; done
done
REPLICAS="small=http://127.0.0.1:8110;medium=http://127.0.0.1:8111;large=http://127.0.0.1:8112"
(mkdir "$LOGS/full" && cd "$LOGS/full" && TIERGATE_JAVA_OPTS="$TIERGATE_JAVA_OPTS ${FULL_JAVA_OPTS:-}" exec taskset -c 0 "$ROOT/bin/tiergate" serve --config "$ROOT/tiergate.yaml" --port 8090 \
  --dynamodb-endpoint "http://127.0.0.1:$DDB_PORT" --replicas "$REPLICAS" --journal "$LOGS/full/journal") > "$LOGS/full.log" 2>&1 &
FULL=$!
taskset -c 0 bin/tiergate up --config tests/benchmarks/routing-only.yaml --port 8091 --time-scale 0 --monitor-seconds 0 > "$LOGS/routing.log" 2>&1 &
ROUTING=$!
for port in 8090 8091; do
  for _ in $(seq 1 300); do curl -fs -o /dev/null "http://127.0.0.1:$port/health" 2>/dev/null && break; sleep 0.2; done
done
BENCH="taskset -c 0 bin/tiergate bench"
admin() { curl -fsS -X "$1" "http://127.0.0.1:8090$2" -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' -d "$3"; }
CREATED="$(admin POST /admin/keys '{"team":"bench","user":"b"}')"
KEY="$(sed 's/.*"key":"\([^"]*\)".*/\1/' <<<"$CREATED")"
KEY_ID="$(sed 's/.*"id":"\([^"]*\)".*/\1/' <<<"$CREATED")"
admin PUT /admin/budgets/team/bench '{"limits_usd":{"day":1000,"month":10000}}' >/dev/null
admin PUT "/admin/budgets/key/$KEY_ID" '{"limits_usd":{"request":1,"hour":100}}' >/dev/null
admin PUT /admin/budgets/org/default '{"limits_usd":{"month":100000}}' >/dev/null
echo "== warm-up (both, 32 clients)"
$BENCH --url http://127.0.0.1:8090/v1 --key "$KEY" --model small --concurrency 32 --requests 20000 --warmup 0 | grep -E 'requests/s' || true
$BENCH --url http://127.0.0.1:8091/v1 --key "$ADMIN" --model small --concurrency 32 --requests 20000 --warmup 0 | grep -E 'requests/s' || true
echo "== 1 client: full path (--url) minus routing-only (--compare)"
$BENCH --url http://127.0.0.1:8090/v1 --key "$KEY" --compare http://127.0.0.1:8091/v1 --compare-key "$ADMIN" \
  --model small --concurrency 1 --requests "$REQUESTS" --warmup 2000
echo "== 32 clients, full path"
$BENCH --url http://127.0.0.1:8090/v1 --key "$KEY" --model small --concurrency 32 --requests $((REQUESTS * 2)) --warmup 2000
echo "== 32 clients, routing-only"
$BENCH --url http://127.0.0.1:8091/v1 --key "$ADMIN" --model small --concurrency 32 --requests $((REQUESTS * 2)) --warmup 2000
# CPU time per request of each process over the sustained runs, from /proc (utime + stime): the full-path gateway runs
# alone in its JVM (its fleet is the `sim` process), the routing-only `up` has its simulator in process.
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
per_request() { awk -v t="$1" -v n="$2" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.0f", t / hz / n * 1e6}'; }
echo "== 32 clients, sustained, full path"
F0=$(cpu $FULL); S0=$(cpu $SIM)
$BENCH --url http://127.0.0.1:8090/v1 --key "$KEY" --model small --concurrency 32 --requests $((REQUESTS * 6)) --warmup 0
F1=$(cpu $FULL); S1=$(cpu $SIM)
echo "== 32 clients, sustained, routing-only"
R0=$(cpu $ROUTING)
$BENCH --url http://127.0.0.1:8091/v1 --key "$ADMIN" --model small --concurrency 32 --requests $((REQUESTS * 6)) --warmup 0
R1=$(cpu $ROUTING)
echo "== CPU per request over the sustained runs (microseconds)"
echo "  full-path gateway (serve):                 $(per_request $((F1 - F0)) $((REQUESTS * 6)))"
echo "  its simulator (sim):                       $(per_request $((S1 - S0)) $((REQUESTS * 6)))"
echo "  routing-only gateway with its simulator:   $(per_request $((R1 - R0)) $((REQUESTS * 6)))"
echo "== the full path's budget rows"
admin GET /admin/budgets/team/bench '' | head -c 600; echo
