#!/usr/bin/env bash
# budget-path-pinned.sh's set-up (DynamoDB Local alone on CPU 1, everything else on CPU 0), measured in rounds: each
# round runs the full path then routing-only, REQUESTS each at 32 clients, and prints requests/s and, per request, the
# gateway process's CPU, its JIT compiler threads' share of it, and the full path's simulator's CPU. Interleaved rounds,
# because this machine's speed drifts between runs; the JIT column shows when a gateway has stopped compiling (its
# steady state), which the full path, with more code on its path, reaches much later than routing-only.
#   tests/benchmarks/budget-path-steady.sh [REQUESTS]      ROUNDS=6 by default
#   ASYNC_PROFILER=/path/libasyncProfiler.so: one more round of each, sampled, written to PROFILE (collapsed stacks)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$PWD"
N="${1:-30000}"
ADMIN=tg-admin-bench-0123456789abcdefXYZ
LOGS="$(mktemp -d)"
export TIERGATE_JAVA_OPTS="${BENCH_JAVA_OPTS:--XX:+UseSerialGC}" TIERGATE_ADMIN_KEY="$ADMIN" TIERGATE_AOT=off
. tests/benchmarks/budget-path-phases.sh
start_pinned
jit() { for t in /proc/$1/task/*; do c=$(cat $t/comm 2>/dev/null) || continue; case "$c" in C1*|C2*) awk '{print $14+$15}' $t/stat;; esac; done | awk '{s+=$1} END {print s+0}'; }
hz=$(getconf CLK_TCK)
measure() { # name pid cmd...
  local name=$1 pid=$2; shift 2
  local c0 j0 s0 c1 j1 s1 out
  c0=$(cpu $pid); j0=$(jit $pid); s0=$(cpu $SIM)
  out=$("$@" --concurrency 32 --requests $N --warmup 0 | grep 'requests/s')
  c1=$(cpu $pid); j1=$(jit $pid); s1=$(cpu $SIM)
  echo "$name: $(sed 's/.*: \([0-9]*\) requests\/s.*p50 \([0-9.]*\).*p99 \([0-9.]*\).*/\1 rps p50 \2 p99 \3/' <<<"$out") | cpu/req $(awk -v a=$((c1-c0)) -v n=$N -v h=$hz 'BEGIN{printf "%.0f", a/h/n*1e6}') us, jit $(awk -v a=$((j1-j0)) -v n=$N -v h=$hz 'BEGIN{printf "%.0f", a/h/n*1e6}') us, sim $(awk -v a=$((s1-s0)) -v n=$N -v h=$hz 'BEGIN{printf "%.0f", a/h/n*1e6}') us"
}
for i in $(seq 1 ${ROUNDS:-6}); do
  measure full $FULL full
  measure routing $ROUTING routing
done
if [ -n "${ASYNC_PROFILER:-}" ]; then
  PROFILE="${PROFILE:-/tmp/tiergate-budget-path.collapsed}"
  J="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/jcmd"
  $J $FULL JVMTI.agent_load "$ASYNC_PROFILER" "\"start,event=cpu,interval=1ms,threads\"" > /dev/null
  measure full-profiled $FULL full
  $J $FULL JVMTI.agent_load "$ASYNC_PROFILER" "\"stop,collapsed,file=$PROFILE\"" > /dev/null
  $J $ROUTING JVMTI.agent_load "$ASYNC_PROFILER" "\"start,event=cpu,interval=1ms,threads\"" > /dev/null
  measure routing-profiled $ROUTING routing
  $J $ROUTING JVMTI.agent_load "$ASYNC_PROFILER" "\"stop,collapsed,file=$PROFILE.routing\"" > /dev/null
fi
