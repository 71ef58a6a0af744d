#!/usr/bin/env bash
# Cold start over N runs (default 10) each; prints every run and the median.
#   1. `bin/tiergate up`: launch to the first answered chat request over HTTP (the gateway, DynamoDB Local, the fleet),
#      without the launcher's AOT cache, then with it (after one recording run)
#   2. the Lambda artifact: JVM launch to the first answered chat event (FunctionInvoker + events/apigateway-chat-completion.json),
#      with Lambda's own JAVA_TOOL_OPTIONS (C1 only), against one more `up` that serves its DynamoDB Local over HTTP.
#   3. the streaming function as the Web Adapter starts it (the build's lwa-package/run.sh: StreamingServer on
#      AWS_LWA_PORT, on the package's own runtime): launch to the first SSE event of a streamed chat over HTTP, with the
#      package's AOT cache and without it (-XX:AOTMode=off), the same `up` behind it.
# Usage: tests/benchmarks/cold-start.sh [N]    (builds nothing: run `bin/tiergate --help` or `./mvnw package` first)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
N="${1:-10}"
source tests/benchmarks/first-answer.sh
JAR="$(ls functions/lambda/target/tiergate-lambda-*-aws.jar)"
JAVA="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java"
median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; true' EXIT
# One `up` to its first answer, in ms (UP_MS); the stack keeps running (pid) until stop_up. Not in a subshell: pid is ours.
up_once() {
  local t0 t1
  t0=$(date +%s%N)
  TIERGATE_ADMIN_KEY=$ADMIN setsid bin/tiergate up --port "$PORT" --time-scale 0 --monitor-seconds 0 "$@" > /tmp/tiergate-cold-up.log 2>&1 &
  pid=$!
  first_answer "$pid" /tmp/tiergate-cold-up.log || exit 1
  t1=$(date +%s%N)
  UP_MS=$(( (t1 - t0) / 1000000 ))
}
stop_up() { kill "$pid"; wait "$pid" 2>/dev/null || true; }
up_runs() {
  local ups=()
  for i in $(seq 1 "$N"); do
    up_once; ups+=("$UP_MS"); echo "  run $i: $UP_MS"
    stop_up
  done
  echo "  median $(printf '%s\n' "${ups[@]}" | median) ms"
}
echo "== bin/tiergate up without the AOT cache (TIERGATE_AOT=off): launch to first answered chat (ms)"
TIERGATE_AOT=off up_runs
# The launcher records the cache on the first `up` after a build and writes it when that one stops (JDK 25+).
rm -rf functions/local/target/aot
up_once
echo "== bin/tiergate up, recording run (writes the AOT cache when it stops): $UP_MS ms"
stop_up
echo "== bin/tiergate up with the AOT cache ($(du -h functions/local/target/aot/*.aot | cut -f1)): launch to first answered chat (ms)"
up_runs

# The Lambda runs need a stack's DynamoDB Local over HTTP and its simulators: one more `up`, not timed, serving it.
up_once --dynamodb-port 0
DDB=$(grep -o 'DynamoDB    http://[0-9.:]*' /tmp/tiergate-cold-up.log | awk '{print $2}')
REPLICAS=$(grep -o 'tier [a-z]* *\[[^]]*\]' /tmp/tiergate-cold-up.log | sed 's/tier \([a-z]*\) *\[\(.*\)\]/\1=\2/' | paste -sd';')
# A team's key, as applications call the API with: the function is not given the bootstrap admin key, which only
# instances given it honour on API routes.
KEY=$(curl -s "http://127.0.0.1:$PORT/admin/keys" -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
      -d '{"team":"bench","user":"cold"}' | sed -n 's/.*"key":"\([^"]*\)".*/\1/p')
[ -n "$KEY" ] || { echo "could not create a key for the Lambda runs"; kill "$pid"; exit 1; }
invoke() {
  TIERGATE_CONFIG_FILE="$ROOT/tiergate.yaml" TIERGATE_DYNAMODB_ENDPOINT="$DDB" TIERGATE_REPLICAS="$REPLICAS" TIERGATE_KEY=$KEY \
    AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local \
    "$JAVA" -XX:+TieredCompilation -XX:TieredStopAtLevel=1 "$@" -cp "$JAR" dev.tiergate.lambda.LocalInvoke events/apigateway-chat-completion.json 2>&1
}
lambda_runs() {
  local runs=()
  for i in $(seq 1 "$N"); do
    out=$(invoke "$@") || true
    echo "$out" | grep -q '"statusCode":200' || { echo "run $i did not answer 200:"; echo "$out" | tail -5; kill "$pid"; exit 1; }
    ms=$(echo "$out" | sed -n 's/^first answer \([0-9]*\) ms.*/\1/p'); runs+=("$ms"); echo "  run $i: $ms"
  done
  echo "  median $(printf '%s\n' "${runs[@]}" | median) ms"
}
echo "== Lambda artifact: JVM launch to first answered chat event (ms)"
lambda_runs
# JDK 24+ AOT cache (JEP 483): classes loaded and linked by one training invocation, mapped at start. The cache is
# specific to the JDK build that made it, so it serves the local JDK (and a Lambda runtime of the same build), not java21.
if "$JAVA" -XX:AOTCacheOutput=/dev/null -version >/dev/null 2>&1; then
  AOT="$ROOT/functions/lambda/target/tiergate-lambda.aot"
  invoke -XX:AOTCacheOutput="$AOT" > /dev/null
  echo "== Lambda artifact with the AOT cache ($(du -h "$AOT" | cut -f1), one training invocation): JVM launch to first answered chat event (ms)"
  lambda_runs -XX:AOTCache="$AOT"
fi
# The streaming function: the package's run.sh, timed to its first streamed event (the adapter waits for the port, then
# relays). Its JVM reads JAVA_TOOL_OPTIONS itself, which is how the run without the cache turns it off.
PKG="$ROOT/functions/lambda/target/lwa-package"
SPORT=$((PORT + 1))
STREAM_CHAT='{"model":"small","stream":true,"messages":[{"role":"user","content":"hi"}]}'
stream_runs() {
  local runs=() spid t0 t1
  for i in $(seq 1 "$N"); do
    t0=$(date +%s%N)
    LAMBDA_TASK_ROOT="$PKG" JAVA_TOOL_OPTIONS="$1" \
      TIERGATE_CONFIG_FILE="$ROOT/tiergate.yaml" TIERGATE_DYNAMODB_ENDPOINT="$DDB" TIERGATE_REPLICAS="$REPLICAS" AWS_LWA_PORT=$SPORT \
      AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local \
      sh "$PKG/run.sh" > /tmp/tiergate-cold-stream.log 2>&1 &
    spid=$!
    until { : > "/dev/tcp/127.0.0.1/$SPORT"; } 2>/dev/null; do
      kill -0 "$spid" 2>/dev/null || { echo "the streaming server ended:"; tail -5 /tmp/tiergate-cold-stream.log; kill "$pid"; exit 1; }
      read -t 0.002 -u "$nap" || true
    done
    # grep stops at the first event, so curl ends on a closed pipe: its own status is not the measure, the event is.
    { curl -sN "http://127.0.0.1:$SPORT/v1/chat/completions" -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
      -d "$STREAM_CHAT" || true; } | grep -m1 -q '^data: {' || { echo "run $i streamed nothing:"; tail -5 /tmp/tiergate-cold-stream.log; kill "$spid" "$pid"; exit 1; }
    t1=$(date +%s%N)
    runs+=($(( (t1 - t0) / 1000000 ))); echo "  run $i: ${runs[-1]}"
    kill "$spid"; wait "$spid" 2>/dev/null || true
  done
  echo "  median $(printf '%s\n' "${runs[@]}" | median) ms"
}
if [ -f "$PKG/tiergate.aot" ]; then
  echo "== streaming function (lwa-package/run.sh, its own runtime), without its AOT cache: launch to first streamed event (ms)"
  stream_runs "-XX:AOTMode=off"
  echo "== streaming function (lwa-package/run.sh, its own runtime), with its AOT cache ($(du -h "$PKG/tiergate.aot" | cut -f1)): launch to first streamed event (ms)"
else
  echo "== streaming function (lwa-package/run.sh, built without a JDK 25: Lambda's java, no cache): launch to first streamed event (ms)"
fi
stream_runs ""
kill "$pid"; wait "$pid" 2>/dev/null || true
pid=""
