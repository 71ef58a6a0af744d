#!/usr/bin/env bash
# The CPU one settlement costs the gateway apart from DynamoDB: the journal append and queue on the request path, and
# the settlement writer's SDK call (marshalling, signing, HTTP) against a loopback server that accepts every call.
# Six rounds of each; the first ones include JIT warm-up.
#   tests/benchmarks/settlement-cpu.sh [SETTLEMENTS] [BATCH]     (200000 and 48 by default)
set -euo pipefail
cd "$(dirname "$0")/../.."
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
CP="$(mktemp)"
trap 'rm -f "$CP"' EXIT
./mvnw -q -ntp -Dmaven.test.skip=true package -pl functions/adapters -am
./mvnw -q -ntp -pl functions/adapters dependency:build-classpath -Dmdep.outputFile="$CP"
"$JAVA_HOME/bin/java" -XX:+UseSerialGC \
  -cp "functions/adapters/target/classes:functions/core/target/classes:$(cat "$CP")" \
  tests/benchmarks/java/SettlementCpu.java "${1:-200000}" "${2:-48}"
