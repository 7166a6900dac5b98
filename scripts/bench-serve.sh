#!/usr/bin/env bash
# `perx serve` under load, measured with wrk (Debian: apt-get install wrk), against
# 127.0.0.1 only, each run bounded in time. Prints throughput, latency percentiles, the
# statuses seen and the server's resident memory.
#
#   scripts/bench-serve.sh DB [SECONDS]
#
# DB must hold MovieLens 1M and the platform data (`perx --db DB movielens load --dir …`,
# `perx --db DB load --data …`). PERX names the binary (default: perx on the PATH).
set -euo pipefail
DB=${1:?usage: scripts/bench-serve.sh DB [SECONDS]}
SECS=${2:-20}
PERX=${PERX:-perx}
command -v wrk >/dev/null || { echo "error: wrk is not installed (apt-get install wrk)" >&2; exit 1; }
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

cat > "$work/users.lua" <<'LUA'
-- Random MovieLens 1M users; counts the statuses.
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init() math.randomseed(os.time() + math.random(1000)); bad = 0; shed = 0; ok = 0 end
function request()
  return wrk.format("GET", "/v1/movielens/users/" .. math.random(1, 6040) .. "/recommendations?k=10")
end
function response(status)
  if status == 503 then shed = shed + 1 elseif status == 200 then ok = ok + 1 else bad = bad + 1 end
end
function done()
  local b, s, o = 0, 0, 0
  for _, t in ipairs(threads) do b = b + t:get("bad"); s = s + t:get("shed"); o = o + t:get("ok") end
  io.write(string.format("statuses: %d ok, %d shed with 503, %d other\n", o, s, b))
end
LUA

# serve DB EXTRA… : starts perx serve on a free port, sets PORT and PID.
serve() {
  "$PERX" --db "$DB" serve --addr 127.0.0.1:0 "$@" 2> "$work/serve.log" &
  PID=$!
  for _ in $(seq 1 600); do
    PORT=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\).*|\1|p' "$work/serve.log" | head -1)
    if [ -n "$PORT" ] && curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null; then return; fi
    sleep 0.1
  done
  echo "error: perx serve did not become ready:" >&2; cat "$work/serve.log" >&2; exit 1
}
rss() { echo "$(( $(ps -o rss= -p "$PID") / 1024 )) MB"; }
stop() { kill -TERM "$PID"; wait "$PID" 2>/dev/null || true; }
run() { # name, wrk arguments…
  echo "== $1"; shift
  wrk --latency "$@" | grep -E "Requests/sec|50%|99%|statuses|Non-2xx|Socket errors"
}

serve
echo "perx serve on 127.0.0.1:$PORT (access log on, to a file); RSS after start: $(rss)"
run "recommendations, random users, 64 connections, ${SECS}s" -t2 -c64 -d"${SECS}s" -s "$work/users.lua" "http://127.0.0.1:$PORT"
echo "RSS: $(rss)"
run "reports/weekly, 64 connections, ${SECS}s" -t2 -c64 -d"${SECS}s" "http://127.0.0.1:$PORT/v1/reports/weekly"
echo "RSS: $(rss)"
echo "== memory over 60 s of recommendations (RSS every 10 s)"
wrk -t2 -c64 -d60s -s "$work/users.lua" "http://127.0.0.1:$PORT" > "$work/long.txt" &
W=$!
for _ in 1 2 3 4 5 6; do sleep 10; printf '%s ' "$(rss)"; done; echo
wait "$W"; grep -E "Requests/sec|statuses" "$work/long.txt"
stop

serve --concurrency 64 --max-connections 64
run "overload: 640 connections (10x --max-connections 64 and --concurrency 64), ${SECS}s" -t2 -c640 -d"${SECS}s" -s "$work/users.lua" "http://127.0.0.1:$PORT"
echo "RSS: $(rss)"
stop
