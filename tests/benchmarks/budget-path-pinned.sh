#!/usr/bin/env bash
# budget-path.sh with DynamoDB on a core of its own (start_pinned in budget-path-phases.sh: DynamoDB Local on CPU 1,
# everything else on CPU 0). Prints the added latency at 1 client and both throughputs at 32 clients, short and
# sustained, then the CPU time each process spent per request.
#   tests/benchmarks/budget-path-pinned.sh [REQUESTS]   (BENCH_JAVA_OPTS replaces every JVM's options, default -XX:+UseSerialGC;
#   e.g. add -XX:TieredStopAtLevel=1 for C1 only, as Lambda's java21 runs)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$PWD"
REQUESTS="${1:-5000}"
ADMIN=tg-admin-bench-0123456789abcdefXYZ
LOGS="$(mktemp -d)"
export TIERGATE_JAVA_OPTS="${BENCH_JAVA_OPTS:--XX:+UseSerialGC}" TIERGATE_ADMIN_KEY="$ADMIN" TIERGATE_AOT=off
. tests/benchmarks/budget-path-phases.sh
start_pinned
# CPU time per request of each process over the sustained runs, from /proc (utime + stime): the full-path gateway runs
# alone in its JVM (its fleet is the `sim` process), the routing-only `up` has its simulator in process.
per_request() { awk -v t="$1" -v n="$2" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.0f", t / hz / n * 1e6}'; }
cpu_start() { if [ "$1" = full ]; then F0=$(cpu $FULL); S0=$(cpu $SIM); else R0=$(cpu $ROUTING); fi; }
cpu_end() { if [ "$1" = full ]; then F1=$(cpu $FULL); S1=$(cpu $SIM); else R1=$(cpu $ROUTING); fi; }
PHASE_START=cpu_start PHASE_END=cpu_end run_phases
echo "== CPU per request over the sustained runs (microseconds)"
echo "  full-path gateway (serve):                 $(per_request $((F1 - F0)) $((REQUESTS * 6)))"
echo "  its simulator (sim):                       $(per_request $((S1 - S0)) $((REQUESTS * 6)))"
echo "  routing-only gateway with its simulator:   $(per_request $((R1 - R0)) $((REQUESTS * 6)))"
