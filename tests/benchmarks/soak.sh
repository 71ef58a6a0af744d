#!/usr/bin/env bash
# Memory over a soak: `bin/tiergate up` with the example config (the full path: keys, budgets, usage, cache on), an
# open-loop load at a steady rate, and every INTERVAL seconds the live heap after a full GC and the process RSS.
# A leak shows as a live heap that keeps growing; a flat one ends near where it started.
# Usage: tests/benchmarks/soak.sh [SECONDS=600] [RATE=150] [INTERVAL=60]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
SECONDS_TOTAL="${1:-600}"; RATE="${2:-150}"; INTERVAL="${3:-60}"
ADMIN=tg-admin-bench-0123456789abcdefXYZ
PORT="${SOAK_PORT:-8198}"
JDK="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
TIERGATE_ADMIN_KEY=$ADMIN setsid bin/tiergate up --port "$PORT" --time-scale 0 --monitor-seconds 0 > /tmp/tiergate-soak-up.log 2>&1 &
trap 'kill $(pgrep -f "TiergateCli up --port $PORT") 2>/dev/null; true' EXIT
until curl -sf -o /dev/null "http://127.0.0.1:$PORT/health"; do sleep 0.1; done
GW=$(pgrep -f "TiergateCli up --port $PORT")
live() {  # heap in use after a full GC, and RSS, in MiB
  "$JDK/bin/jcmd" "$GW" GC.run > /dev/null
  local heap; heap=$("$JDK/bin/jstat" -gc "$GW" | awk 'NR==2 {printf "%.1f", ($4+$6+$8+$10)/1024}')
  local rss; rss=$(awk '/VmRSS/ {printf "%.0f", $2/1024}' /proc/"$GW"/status)
  echo "$heap $rss"
}
echo "soak: ${SECONDS_TOTAL}s at ${RATE} requests/s against http://127.0.0.1:$PORT (gateway pid $GW)"
echo "  t(s)  live heap after GC (MiB)  RSS (MiB)"
read -r h r < <(live); echo "     0  $h  $r"
TIERGATE_BENCH_KEY=$ADMIN bin/tiergate bench --url "http://127.0.0.1:$PORT/v1" --model auto --rate "$RATE" \
  --requests $((SECONDS_TOTAL * RATE)) --warmup 0 --json /tmp/tiergate-soak-bench.json > /tmp/tiergate-soak-bench.txt 2>&1 &
BENCH=$!
t=0
while kill -0 "$BENCH" 2>/dev/null; do
  sleep "$INTERVAL"; t=$((t + INTERVAL))
  kill -0 "$BENCH" 2>/dev/null || break
  read -r h r < <(live); printf "%6d  %s  %s\n" "$t" "$h" "$r"
done
wait "$BENCH" || true
read -r h r < <(live); echo "   end  $h  $r"
grep -E "ok in|errors|error" /tmp/tiergate-soak-bench.txt | head -5
