# Sourced by the cold-start scripts, so that each times `up`'s first answer the same way: ADMIN, PORT and CHAT, and
# first_answer PID LOG, which waits until the `up` with that pid accepts on PORT, then sends it one chat; it returns 1 after
# printing the tail of LOG when `up` ends first or the chat fails.
# The wait uses bash's /dev/tcp and a read with a timeout on a pipe nobody writes (a sleep without a process): polling
# with curl and sleep every 5 ms took ~70% of one core, which on 2 cores slowed the very start it measured (figures
# before session 6 include that). The gateway takes its port early and holds requests until it is ready.
ADMIN=tg-admin-bench-0123456789abcdefXYZ
PORT="${COLD_PORT:-8199}"
CHAT='{"model":"small","messages":[{"role":"user","content":"hi"}]}'
exec {nap}<> <(:)

first_answer() {
  local pid="$1" log="$2"
  until { : > "/dev/tcp/127.0.0.1/$PORT"; } 2>/dev/null; do
    kill -0 "$pid" 2>/dev/null || { echo "up ended before answering:"; tail -5 "$log"; return 1; }
    read -t 0.002 -u "$nap" || true
  done
  curl -sf -o /dev/null "http://127.0.0.1:$PORT/v1/chat/completions" -H "Authorization: Bearer $ADMIN" \
    -H 'Content-Type: application/json' -d "$CHAT" || { echo "the first chat failed:"; tail -5 "$log"; return 1; }
}
