# Sourced by budget-path.sh, budget-path-pinned.sh and budget-path-steady.sh: the full path's key and budgets, the
# phases they measure, and the pinned set-up. Expects ADMIN, REQUESTS and BENCH (the bench command, e.g.
# "bin/tiergate bench"); the full path on 8090, routing-only on 8091. PHASE_START / PHASE_END (optional) run around each
# sustained phase, e.g. to read CPU time.

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

# DynamoDB on a core of its own, as in AWS where DynamoDB is another service: DynamoDB Local pinned to CPU 1 (in an
# `up` whose own gateway stays idle, with the tables made from the same config), while both gateways under test (the
# default config as `serve` and routing-only as `up`), the full path's simulated fleet and the load generator share
# CPU 0. Expects ROOT, LOGS and ADMIN; FULL_JAVA_OPTS is added to the full-path gateway's options. Sets DDB, SIM, FULL,
# ROUTING (process ids), BENCH and KEY, and kills the processes on exit.
start_pinned() {
  [ "$(nproc)" -ge 2 ] || { echo "needs two CPUs" >&2; exit 1; }
  local ddb_port=8099 replicas="small=http://127.0.0.1:8110;medium=http://127.0.0.1:8111;large=http://127.0.0.1:8112"
  (mkdir "$LOGS/ddb" && cd "$LOGS/ddb" && exec taskset -c 1 "$ROOT/bin/tiergate" up --config "$ROOT/tiergate.yaml" --port 8092 \
    --dynamodb-port "$ddb_port" --time-scale 0 --monitor-seconds 0) > "$LOGS/ddb.log" 2>&1 &
  DDB=$!
  taskset -c 0 "$ROOT/bin/tiergate" sim --config "$ROOT/tiergate.yaml" --base-port 8110 --time-scale 0 > "$LOGS/sim.log" 2>&1 &
  SIM=$!
  trap 'kill $DDB $SIM ${FULL:-} ${ROUTING:-} 2>/dev/null; wait 2>/dev/null' EXIT
  await_health 8092 8110
  (mkdir "$LOGS/full" && cd "$LOGS/full" && TIERGATE_JAVA_OPTS="$TIERGATE_JAVA_OPTS ${FULL_JAVA_OPTS:-}" exec taskset -c 0 \
    "$ROOT/bin/tiergate" serve --config "$ROOT/tiergate.yaml" --port 8090 --dynamodb-endpoint "http://127.0.0.1:$ddb_port" \
    --replicas "$replicas" --journal "$LOGS/full/journal") > "$LOGS/full.log" 2>&1 &
  FULL=$!
  taskset -c 0 "$ROOT/bin/tiergate" up --config "$ROOT/tests/benchmarks/routing-only.yaml" --port 8091 --time-scale 0 \
    --monitor-seconds 0 > "$LOGS/routing.log" 2>&1 &
  ROUTING=$!
  await_health 8090 8091
  BENCH="taskset -c 0 $ROOT/bin/tiergate bench"
  bench_key
}

# CPU time (clock ticks, utime + stime) a process has used so far, from /proc.
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
