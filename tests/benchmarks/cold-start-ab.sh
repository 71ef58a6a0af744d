#!/usr/bin/env bash
# Interleaved A/B of `up`'s cold start: two or more builds (or JVM option sets), each started in turn, each from an AOT
# cache recorded by itself, so a machine whose speed drifts over minutes (BENCHMARKS.md) affects them alike.
#
# Usage: tests/benchmarks/cold-start-ab.sh N DIR...
#   Each DIR is a variant: DIR/classpath.txt (a launch class path, e.g. a copy of functions/local/target/launch-classpath.txt
#   from a `git worktree` of another commit, built with `./mvnw package -DskipTests -pl functions/local -am`) and optionally
#   DIR/jvm-options.txt (extra JVM options, e.g. what bin/tiergate adds for `up`). The script records DIR/up.aot for each,
#   then runs N rounds and prints, per variant, every start and the medians of the wall time (launch to the first answered
#   chat) and of the process's CPU time at that moment. Needs JDK 25+ (JAVA_HOME) and the repository's tiergate.yaml.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
N="${1:?usage: cold-start-ab.sh N DIR...}"; shift
[ $# -ge 1 ] || { echo "usage: cold-start-ab.sh N DIR..." >&2; exit 2; }
JAVA="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java"
source tests/benchmarks/first-answer.sh
SQLITE="$ROOT/functions/local/target/launch/native/Linux/${HOSTTYPE:-x86_64}"
BASE=(-Xlog:aot*=error,cds*=error -Dorg.sqlite.lib.path="$SQLITE" --enable-native-access=ALL-UNNAMED -Dsun.net.httpserver.nodelay=true)
median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; true' EXIT

# One start of variant $1 with cache option $2; appends the wall and CPU milliseconds to $1/wall.txt and $1/cpu.txt.
start_once() {
  local dir="$1" cache="$2" t0 t1 opts=()
  [ -f "$dir/jvm-options.txt" ] && read -r -a opts < "$dir/jvm-options.txt"
  t0=$(date +%s%N)
  TIERGATE_ADMIN_KEY=$ADMIN setsid "$JAVA" -XX:TieredStopAtLevel=1 -XX:+UseSerialGC "${BASE[@]}" "${opts[@]}" "$cache" \
    -cp "$(cat "$dir/classpath.txt")" dev.tiergate.local.TiergateCli up --port "$PORT" --time-scale 0 --monitor-seconds 0 \
    > "$dir/up.log" 2>&1 &
  pid=$!
  first_answer "$pid" "$dir/up.log" || { echo "(variant $dir)"; exit 1; }
  t1=$(date +%s%N)
  echo $(( (t1 - t0) / 1000000 )) >> "$dir/wall.txt"
  echo $(( $(awk '{print $14 + $15}' "/proc/$pid/stat") * 1000 / $(getconf CLK_TCK) )) >> "$dir/cpu.txt"
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
  pid=""
}

for dir in "$@"; do
  [ -f "$dir/classpath.txt" ] || { echo "$dir/classpath.txt is missing" >&2; exit 2; }
  rm -f "$dir/up.aot" "$dir/wall.txt" "$dir/cpu.txt"
  start_once "$dir" "-XX:AOTCacheOutput=$dir/up.aot"   # the recording start: the cache is written when it stops
  rm -f "$dir/wall.txt" "$dir/cpu.txt"
done
for i in $(seq 1 "$N"); do
  for dir in "$@"; do start_once "$dir" "-XX:AOTCache=$dir/up.aot"; done
done
for dir in "$@"; do
  echo "$dir: $(tr '\n' ' ' < "$dir/wall.txt")-> median $(median < "$dir/wall.txt") ms; CPU median $(median < "$dir/cpu.txt") ms"
done
