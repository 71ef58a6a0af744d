#!/usr/bin/env bash
# Where `up`'s cold start spends its CPU: one start from an AOT cache recorded as the launcher records it, sampled by
# async-profiler every 1 ms of CPU until the first answered chat; then a summary: samples by thread, and the frames on
# the most samples.
# JFR is no use here: with it on, the AOT cache loses most classes and the start runs ~4x slower; async-profiler's agent
# keeps the cache. The profiler costs ~40% of wall time, so read the shares, not the milliseconds.
#
# Usage: tests/benchmarks/cold-start-profile.sh [OUT]   (OUT: the collapsed stacks, default /tmp/tiergate-cold-start.collapsed)
#   Needs JDK 25+ (JAVA_HOME) and a built tree (`bin/tiergate --help` builds it); records its own AOT cache first (one
#   start and one chat, as the launcher's recording run), and fetches tools.profiler:async-profiler from Maven Central once.
#   CPU sampling needs perf events (kernel.perf_event_paranoid <= 2 for root); PROFILE_EVENT=itimer works without them.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
OUT="${1:-/tmp/tiergate-cold-start.collapsed}"
JAVA="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java"
AP_VERSION=4.1
AP_DIR="$ROOT/tests/target/async-profiler-$AP_VERSION"
source tests/benchmarks/first-answer.sh
AOT="$ROOT/tests/target/cold-start-profile.aot"

if [ ! -f "$AP_DIR/libasyncProfiler.so" ]; then
  ./mvnw -q -ntp -N dependency:copy -Dartifact=tools.profiler:async-profiler:$AP_VERSION -DoutputDirectory="$AP_DIR" >/dev/null
  # The JDK's own jar tool, so the script needs no unzip.
  lib="linux-${HOSTTYPE/x86_64/x64}/libasyncProfiler.so"
  (cd "$AP_DIR" && "${JAVA%/java}/jar" xf "async-profiler-$AP_VERSION.jar" "$lib" && mv "$lib" . && rmdir "${lib%/*}")
fi

# One `up` with the launcher's JVM options for it (bin/tiergate) plus "$@", to its first answered chat; then it stops.
SQLITE="$ROOT/functions/local/target/launch/native/Linux/${HOSTTYPE:-x86_64}"
up_once() {
  local t0 pid
  t0=$(date +%s%N)
  TIERGATE_ADMIN_KEY=$ADMIN setsid "$JAVA" "$@" \
    -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xms640m -Xmn480m \
    -XX:+UnlockDiagnosticVMOptions -XX:-AOTRecordTraining -XX:-AOTReplayTraining -Xlog:aot*=error,cds*=error \
    -Dorg.sqlite.lib.path="$SQLITE" --enable-native-access=ALL-UNNAMED \
    -cp "$(cat functions/local/target/launch-classpath.txt)" dev.tiergate.local.TiergateCli up --port "$PORT" --time-scale 0 \
    --monitor-seconds 0 > /tmp/tiergate-cold-profile.log 2>&1 &
  pid=$!
  first_answer "$pid" /tmp/tiergate-cold-profile.log || exit 1
  UP_MS=$(( ($(date +%s%N) - t0) / 1000000 ))
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true   # the cache, or the profile, is written as the JVM exits
}
rm -f "$AOT"
up_once -XX:AOTCacheOutput="$AOT"
up_once -XX:AOTCache="$AOT" \
  -agentpath:"$AP_DIR/libasyncProfiler.so"=start,event="${PROFILE_EVENT:-cpu}",interval=1ms,threads,collapsed,file="$OUT"
echo "first answer after $UP_MS ms (profiled)"

awk '{ n = $NF; total += n
       t = substr($0, 2, index($0, " tid=") - 2); gsub(/[-#]?[0-9]+$/, "", t); thread[t] += n
       m = split($0, fr, ";")
       for (i = 2; i <= m; i++) { sub(/ [0-9]+$/, "", fr[i]); seen[fr[i]] = 1 }
       for (k in seen) frame[k] += n; delete seen }
     END { printf "%d samples (1 ms of CPU each)\n\nby thread:\n", total
           for (t in thread) printf "%6d %5.1f%%  %s\n", thread[t], 100 * thread[t] / total, t | "sort -rn | head -12"
           close("sort -rn | head -12")
           printf "\nframes on the most samples (inclusive; plumbing left out: threads, reflection, lambdas, C1'"'"'s own):\n"
           for (k in frame) if (k !~ /(^java\/lang\/(Thread|VirtualThread|reflect)|^jdk\/internal\/(vm|reflect)|^java\/util\/concurrent|^picocli|^org\/apache\/hc|Lambda|lambda\$|::|^\[|^thread_|^start_thread|^Interpreter$|^call_stub)/)
             printf "%6d %5.1f%%  %s\n", frame[k], 100 * frame[k] / total, k | "sort -rn | head -40" }' "$OUT"
echo
echo "collapsed stacks: $OUT (e.g. flamegraph.pl, or https://www.speedscope.app)"
