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
for port in 8090 8091; do
  for _ in $(seq 1 300); do curl -fs "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break; sleep 0.2; done
done
admin() { curl -fsS -X "$1" "http://127.0.0.1:8090$2" -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' -d "$3"; }
CREATED="$(admin POST /admin/keys '{"team":"bench","user":"b"}')"
KEY="$(sed 's/.*"key":"\([^"]*\)".*/\1/' <<<"$CREATED")"
KEY_ID="$(sed 's/.*"id":"\([^"]*\)".*/\1/' <<<"$CREATED")"
admin PUT /admin/budgets/team/bench '{"limits_usd":{"day":1000,"month":10000}}' >/dev/null
admin PUT "/admin/budgets/key/$KEY_ID" '{"limits_usd":{"request":1,"hour":100}}' >/dev/null
admin PUT /admin/budgets/org/default '{"limits_usd":{"month":100000}}' >/dev/null
echo "== warm-up (both, 32 clients)"
bin/tiergate bench --url http://127.0.0.1:8090/v1 --key "$KEY" --model small --concurrency 32 --requests 20000 --warmup 0 | grep -E 'requests/s' || true
bin/tiergate bench --url http://127.0.0.1:8091/v1 --key "$ADMIN" --model small --concurrency 32 --requests 20000 --warmup 0 | grep -E 'requests/s' || true
echo "== 1 client: full path (--url) minus routing-only (--compare)"
bin/tiergate bench --url http://127.0.0.1:8090/v1 --key "$KEY" --compare http://127.0.0.1:8091/v1 --compare-key "$ADMIN" \
  --model small --concurrency 1 --requests "$REQUESTS" --warmup 2000
echo "== 32 clients, full path"
bin/tiergate bench --url http://127.0.0.1:8090/v1 --key "$KEY" --model small --concurrency 32 --requests $((REQUESTS * 2)) --warmup 2000
echo "== 32 clients, routing-only"
bin/tiergate bench --url http://127.0.0.1:8091/v1 --key "$ADMIN" --model small --concurrency 32 --requests $((REQUESTS * 2)) --warmup 2000
# The runs above are short enough for the write-behind queue to absorb: settlements are still being written when they
# end. A run six times longer shows what the machine sustains once that queue is full.
echo "== 32 clients, sustained, full path"
bin/tiergate bench --url http://127.0.0.1:8090/v1 --key "$KEY" --model small --concurrency 32 --requests $((REQUESTS * 6)) --warmup 0
echo "== 32 clients, sustained, routing-only"
bin/tiergate bench --url http://127.0.0.1:8091/v1 --key "$ADMIN" --model small --concurrency 32 --requests $((REQUESTS * 6)) --warmup 0
echo "== the full path's budget rows"
admin GET /admin/budgets/team/bench '' | head -c 600; echo
