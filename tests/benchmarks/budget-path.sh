#!/usr/bin/env bash
# The full path (keys, budgets on the key, its team and the organisation, usage records, the response cache on: the
# default tiergate.yaml) side by side with the routing-only path, in one run on one machine, each behind its own
# zero-latency simulator. Prints the added latency of the full path over routing-only at 1 client, then both
# throughputs at 32 clients, in a short run and a sustained one.
#   tests/benchmarks/budget-path.sh [REQUESTS]
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$PWD"
REQUESTS="${1:-5000}"
ADMIN=tg-admin-bench-0123456789abcdefXYZ
LOGS="$(mktemp -d)"
# serve's JIT (C2), and no AOT cache: figures are steady state, not start-up.
export TIERGATE_JAVA_OPTS='-XX:+UseSerialGC' TIERGATE_ADMIN_KEY="$ADMIN" TIERGATE_AOT=off
# The default config on 8090, in its own folder so its journal is its own; routing-only on 8091.
(mkdir "$LOGS/full" && cd "$LOGS/full" && exec "$ROOT/bin/tiergate" up --config "$ROOT/tiergate.yaml" --port 8090 --time-scale 0 --monitor-seconds 0) > "$LOGS/full.log" 2>&1 &
FULL=$!
bin/tiergate up --config tests/benchmarks/routing-only.yaml --port 8091 --time-scale 0 --monitor-seconds 0 > "$LOGS/routing.log" 2>&1 &
ROUTING=$!
trap 'kill $FULL $ROUTING 2>/dev/null; wait 2>/dev/null' EXIT
BENCH="bin/tiergate bench"
. tests/benchmarks/budget-path-phases.sh
await_health 8090 8091
bench_key
run_phases
