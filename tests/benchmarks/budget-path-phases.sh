# Sourced by budget-path.sh and budget-path-pinned.sh: the full path's key and budgets, and the phases both measure.
# Expects ADMIN, REQUESTS and BENCH (the bench command, e.g. "bin/tiergate bench"); the full path on 8090, routing-only
# on 8091. PHASE_START / PHASE_END (optional) run around each sustained phase, e.g. to read CPU time.

await_health() {
  local port
  for port in "$@"; do
    for _ in $(seq 1 300); do curl -fs -o /dev/null "http://127.0.0.1:$port/health" 2>/dev/null && break; sleep 0.2; done
  done
}

admin() { curl -fsS -X "$1" "http://127.0.0.1:8090$2" -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' -d "$3"; }

# A key of team bench with budgets on the key, the team and the organisation; sets KEY.
bench_key() {
  local created key_id
  created="$(admin POST /admin/keys '{"team":"bench","user":"b"}')"
  KEY="$(sed 's/.*"key":"\([^"]*\)".*/\1/' <<<"$created")"
  key_id="$(sed 's/.*"id":"\([^"]*\)".*/\1/' <<<"$created")"
  admin PUT /admin/budgets/team/bench '{"limits_usd":{"day":1000,"month":10000}}' >/dev/null
  admin PUT "/admin/budgets/key/$key_id" '{"limits_usd":{"request":1,"hour":100}}' >/dev/null
  admin PUT /admin/budgets/org/default '{"limits_usd":{"month":100000}}' >/dev/null
}

full() { $BENCH --url http://127.0.0.1:8090/v1 --key "$KEY" --model small "$@"; }
routing() { $BENCH --url http://127.0.0.1:8091/v1 --key "$ADMIN" --model small "$@"; }

run_phases() {
  echo "== warm-up (both, 32 clients)"
  full --concurrency 32 --requests 20000 --warmup 0 | grep -E 'requests/s' || true
  routing --concurrency 32 --requests 20000 --warmup 0 | grep -E 'requests/s' || true
  echo "== 1 client: full path (--url) minus routing-only (--compare)"
  full --compare http://127.0.0.1:8091/v1 --compare-key "$ADMIN" --concurrency 1 --requests "$REQUESTS" --warmup 2000
  echo "== 32 clients, full path"
  full --concurrency 32 --requests $((REQUESTS * 2)) --warmup 2000
  echo "== 32 clients, routing-only"
  routing --concurrency 32 --requests $((REQUESTS * 2)) --warmup 2000
  # The runs above are short enough for the write-behind queue to absorb: settlements are still being written when
  # they end. A run six times longer shows what the machine sustains once that queue is full.
  echo "== 32 clients, sustained, full path"
  ${PHASE_START:-:} full
  full --concurrency 32 --requests $((REQUESTS * 6)) --warmup 0
  ${PHASE_END:-:} full
  echo "== 32 clients, sustained, routing-only"
  ${PHASE_START:-:} routing
  routing --concurrency 32 --requests $((REQUESTS * 6)) --warmup 0
  ${PHASE_END:-:} routing
  echo "== the full path's budget rows"
  admin GET /admin/budgets/team/bench '' | head -c 600; echo
}
