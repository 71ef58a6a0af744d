#!/usr/bin/env bash
# budget-path.sh with DynamoDB on a core of its own, as in AWS where DynamoDB is another service: DynamoDB Local runs
# pinned to CPU 1 (in an `up` whose own gateway stays idle), while both gateways under test (the default config as
# `serve`, and routing-only), their simulators and the load generator share CPU 0. Prints the added latency at 1 client
# and both throughputs at 32 clients, short and sustained, then the CPU time each process spent per request.
#   tests/benchmarks/budget-path-pinned.sh [REQUESTS]   (BENCH_JAVA_OPTS replaces every JVM's options, default -XX:+UseSerialGC;
#   e.g. add -XX:TieredStopAtLevel=1 for C1 only, as Lambda's java21 runs)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$PWD"
REQUESTS="${1:-5000}"
ADMIN=tg-admin-bench-0123456789abcdefXYZ
LOGS="$(mktemp -d)"
[ "$(nproc)" -ge 2 ] || { echo "needs two CPUs" >&2; exit 1; }
export TIERGATE_JAVA_OPTS="${BENCH_JAVA_OPTS:--XX:+UseSerialGC}" TIERGATE_ADMIN_KEY="$ADMIN" TIERGATE_AOT=off
DDB_PORT=8099
# CPU 1: DynamoDB Local (with the tables, made by this `up` from the same config).
(mkdir "$LOGS/ddb" && cd "$LOGS/ddb" && exec taskset -c 1 "$ROOT/bin/tiergate" up --config "$ROOT/tiergate.yaml" --port 8092 \
  --dynamodb-port "$DDB_PORT" --time-scale 0 --monitor-seconds 0) > "$LOGS/ddb.log" 2>&1 &
DDB=$!
# CPU 0: the simulated fleet, the full-path gateway, the routing-only gateway, the load generator.
taskset -c 0 bin/tiergate sim --config tiergate.yaml --base-port 8110 --time-scale 0 > "$LOGS/sim.log" 2>&1 &
SIM=$!
trap 'kill $DDB $SIM ${FULL:-} ${ROUTING:-} 2>/dev/null; wait 2>/dev/null' EXIT
. tests/benchmarks/budget-path-phases.sh
await_health 8092 8110
REPLICAS="small=http://127.0.0.1:8110;medium=http://127.0.0.1:8111;large=http://127.0.0.1:8112"
(mkdir "$LOGS/full" && cd "$LOGS/full" && TIERGATE_JAVA_OPTS="$TIERGATE_JAVA_OPTS ${FULL_JAVA_OPTS:-}" exec taskset -c 0 "$ROOT/bin/tiergate" serve --config "$ROOT/tiergate.yaml" --port 8090 \
  --dynamodb-endpoint "http://127.0.0.1:$DDB_PORT" --replicas "$REPLICAS" --journal "$LOGS/full/journal") > "$LOGS/full.log" 2>&1 &
FULL=$!
taskset -c 0 bin/tiergate up --config tests/benchmarks/routing-only.yaml --port 8091 --time-scale 0 --monitor-seconds 0 > "$LOGS/routing.log" 2>&1 &
ROUTING=$!
await_health 8090 8091
BENCH="taskset -c 0 bin/tiergate bench"
bench_key
# CPU time per request of each process over the sustained runs, from /proc (utime + stime): the full-path gateway runs
# alone in its JVM (its fleet is the `sim` process), the routing-only `up` has its simulator in process.
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
per_request() { awk -v t="$1" -v n="$2" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.0f", t / hz / n * 1e6}'; }
cpu_start() { if [ "$1" = full ]; then F0=$(cpu $FULL); S0=$(cpu $SIM); else R0=$(cpu $ROUTING); fi; }
cpu_end() { if [ "$1" = full ]; then F1=$(cpu $FULL); S1=$(cpu $SIM); else R1=$(cpu $ROUTING); fi; }
PHASE_START=cpu_start PHASE_END=cpu_end run_phases
echo "== CPU per request over the sustained runs (microseconds)"
echo "  full-path gateway (serve):                 $(per_request $((F1 - F0)) $((REQUESTS * 6)))"
echo "  its simulator (sim):                       $(per_request $((S1 - S0)) $((REQUESTS * 6)))"
echo "  routing-only gateway with its simulator:   $(per_request $((R1 - R0)) $((REQUESTS * 6)))"
